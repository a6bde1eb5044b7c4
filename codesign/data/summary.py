"""What a data file holds, per class or process: counts, feature means, groomed-mass peaks, object counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from codesign.data import layouts as L
from codesign.data.hdf5io import file_keys, layout_miss, read_attrs, read_jets, read_l1, refuse_two_layouts
from codesign.errors import DataError


def mass_peak(mass: np.ndarray, lo: float = 40.0, hi: float = 250.0, bins: int = 84) -> tuple[float, float]:
    """Position (mode of a 2.5 GeV histogram in [lo, hi]) and width (half the 16-84 % interval around it)."""
    m = np.asarray(mass, dtype=np.float64)
    m = m[(m >= lo) & (m <= hi)]
    if m.size < 10:
        return float("nan"), float("nan")
    counts, edges = np.histogram(m, bins=bins, range=(lo, hi))
    # Smooth over three bins so that the mode is not a single-bin fluctuation.
    smooth = np.convolve(counts, np.ones(3) / 3.0, mode="same")
    i = int(np.argmax(smooth))
    peak = 0.5 * (edges[i] + edges[i + 1])
    window = m[np.abs(m - peak) < 0.25 * peak]
    width = 0.5 * float(np.subtract(*np.percentile(window, [84, 16]))) if window.size > 5 else float("nan")
    return float(peak), width


def jets_summary(path: str | Path) -> dict[str, Any]:
    """Per-class counts, HLF means and groomed-mass peaks of a jets file."""
    sample = read_jets(path)
    classes = sample.class_index
    per_class: dict[str, Any] = {}
    mass = sample.feature("j_mass_mmdt")
    for c, name in enumerate(sample.class_names):
        sel = classes == c
        peak, width = mass_peak(mass[sel]) if name in ("w", "z", "t") else (float("nan"), float("nan"))
        per_class[name] = {
            "n": int(sel.sum()),
            "fraction": float(sel.mean()) if len(sel) else 0.0,
            "hlf_mean": {n: float(v) for n, v in zip(sample.hlf_names, sample.hlf[sel].mean(axis=0), strict=True)} if sel.any() else {},
            "mass_mmdt_peak": peak,
            "mass_mmdt_width": width,
        }
    return {"kind": "jets", "n": len(sample), "per_class": per_class}


def l1_summary(path: str | Path) -> dict[str, Any]:
    """Per-process counts, background mixture and mean object multiplicities of an L1 file."""
    sample = read_l1(path)
    types = sample.particles[:, :, 3]
    per_process: dict[str, Any] = {}
    for i, name in enumerate(sample.process_names):
        sel = sample.process == i
        if not sel.any():
            continue
        t = types[sel]
        entry: dict[str, Any] = {
            "n": int(sel.sum()),
            "electrons": float(np.mean(np.sum(t == L.TYPE_ELECTRON, axis=1))),
            "muons": float(np.mean(np.sum(t == L.TYPE_MUON, axis=1))),
            "jets": float(np.mean(np.sum(t == L.TYPE_JET, axis=1))),
            "met_mean": float(np.mean(sample.particles[sel, L.MET_SLOT, 0])),
        }
        if sample.subprocess is not None:
            sub, w = sample.subprocess[sel], sample.event_weights[sel]
            entry["mixture"] = {
                sample.subprocess_names[c]: float(np.mean(sub == c)) for c in np.unique(sub).tolist()
            }
            if sample.weights is not None:
                entry["weight_mixture"] = {
                    sample.subprocess_names[c]: float(w[sub == c].sum() / w.sum()) for c in np.unique(sub).tolist()
                }
        per_process[name] = entry
    return {"kind": "l1", "n": len(sample), "per_process": per_process}


def summarize(path: str | Path) -> dict[str, Any]:
    """Summary of a jets or L1 file, recognised by its keys, with its keys and metadata."""
    keys = file_keys(path)
    refuse_two_layouts(Path(path), keys)
    if L.JETS_KEY in keys:
        out = jets_summary(path)
    elif L.PARTICLES_KEY in keys:
        out = l1_summary(path)
    else:
        raise DataError(
            f"{path}: neither a jets file (a dataset {L.JETS_KEY!r}) nor an L1 file (a dataset {L.PARTICLES_KEY!r}); "
            f"{layout_miss(path, (L.JETS_KEY, L.PARTICLES_KEY))}"
        )
    out["keys"] = {k: {"shape": list(s), "dtype": d} for k, (s, d) in keys.items()}
    out["attrs"] = read_attrs(path)
    return out
