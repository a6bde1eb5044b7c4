"""Side-by-side summary of L1 files made with and without pileup / its mitigation (models/data/README.md table).

Usage: python benchmarks/l1_pileup_table.py FILE [FILE ...]
Prints one markdown row per file: the file's pileup settings (from its generation settings), kept / generated
events (the trigger efficiency including the pre-selection), MET median (p90), jets per event (of which
inside the tracker, |eta| < 2.5), jet HT median
(p90), the median leading-lepton pT and the CPU seconds the generation recorded. Every background event counts
once (no weights; use files without QCD).
"""

from __future__ import annotations

import argparse

import numpy as np

from codesign.data import layouts as L
from codesign.data.hdf5io import read_attrs, read_l1


def row(path: str) -> str:
    """One markdown table row for the L1 file at ``path``."""
    sample, attrs = read_l1(path), read_attrs(path)
    config = attrs.get(L.ATTR_CONFIG, {})
    mu, mode = config.get("pileup", 0.0), config.get("pileup_mitigation", "none")
    objects = sample.particles.astype(np.float64)
    met = objects[:, L.MET_SLOT, 0]
    jets = objects[:, L.JET_SLOTS, :]
    jet_pt = np.where(jets[:, :, 3] == L.TYPE_JET, jets[:, :, 0], 0.0)
    ht = jet_pt.sum(axis=1)
    n_jets = (jets[:, :, 3] == L.TYPE_JET).sum(axis=1)
    n_central = ((jets[:, :, 3] == L.TYPE_JET) & (np.abs(jets[:, :, 1]) < 2.5)).sum(axis=1)
    leptons = np.concatenate([objects[:, L.ELECTRON_SLOTS, 0], objects[:, L.MUON_SLOTS, 0]], axis=1)
    kept, tried = len(sample), sum(attrs.get("events_tried", {}).values())
    cpu = sum(attrs.get("cpu_seconds", {}).values())
    settings = f"pileup {mu:g}" + ("" if not mu else f", {mode}")
    return (
        f"| {settings} | {kept / tried:.3f} | {np.median(met):.1f} ({np.percentile(met, 90):.1f}) GeV | "
        f"{n_jets.mean():.2f} ({n_central.mean():.2f}) | {np.median(ht):.0f} ({np.percentile(ht, 90):.0f}) GeV | "
        f"{np.median(leptons.max(axis=1)):.1f} GeV | {cpu:.0f} s |"
    )


def main(paths: list[str]) -> None:
    """Print the table header and one row per file."""
    print("| background | kept / generated | MET median (p90) | jets per event (\\|eta\\| < 2.5) | jet HT median (p90) | "
          "leading lepton median | CPU |")
    print("|---|---|---|---|---|---|---|")
    for path in paths:
        print(row(path))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE", help="L1 files made by codesign data l1")
    main(parser.parse_args().files)
