"""Detector-like constituents (codesign/data/towers.py): a brute-force tower sum, 4-momentum bookkeeping."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from codesign.data.towers import TowerConfig, detector_candidates, ecal_rings, hcal_rings
from codesign.errors import DataError

CFG = TowerConfig()


def _particles(rng: np.random.Generator, n: int = 600, junk: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A jet-like spray around (eta 1.6, phi 3.1: near a ring edge and the phi wrap) plus a fraction
    ``junk`` spread over |eta| < 5.5."""
    species = rng.choice([22, 22, 211, -211, 2112, 130, 11, 13, 321], size=n)
    charge = np.array([{211: 1, -211: -1, 11: -1, 13: -1, 321: 1}.get(int(s), 0) for s in species], dtype=float)
    eta = np.where(rng.random(n) >= junk, 1.6 + 0.3 * rng.standard_normal(n), rng.uniform(-5.5, 5.5, n))
    phi = np.remainder(3.1 + 0.3 * rng.standard_normal(n) + np.pi, 2 * np.pi) - np.pi
    pt = rng.exponential(3.0, n) + 0.02
    mass = np.array([{22: 0.0, 11: 0.000511, 13: 0.1057, 211: 0.1396, 2112: 0.9396, 130: 0.4976, 321: 0.4937}[abs(int(s))] for s in species])
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2 + mass**2)
    return np.stack([px, py, pz, e, species.astype(float)], axis=1), charge


def _brute_cell(eta: float, phi: float, rings) -> tuple[float, float, int] | None:
    """Ring and phi cell of one direction by a plain loop; (eta centre, phi centre, key) or None."""
    for r, (lo, hi, n) in enumerate(rings):
        if lo <= eta < hi:
            width = 2 * math.pi / n
            i = min(int(math.floor(((phi + math.pi) % (2 * math.pi)) / width)), n - 1)
            return 0.5 * (lo + hi), -math.pi + (i + 0.5) * width, r * 10_000 + i
    return None


def _brute_force(parts: np.ndarray, charge: np.ndarray, cfg: TowerConfig):
    """Tracks and towers by per-particle loops and dictionaries (independent of the numpy version)."""
    tracks, cells = [], {"ecal": {}, "hcal": {}}
    lost_e = 0.0
    for row, q in zip(parts, charge, strict=True):
        px, py, pz, e, pid = (float(v) for v in row)
        pt = math.hypot(px, py)
        eta = math.asinh(pz / pt)
        phi = math.atan2(py, px)
        if q != 0 and pt > cfg.track_pt_min and abs(eta) < cfg.tracker_eta_max:
            tracks.append(tuple(row))
            continue
        if abs(pid) == 13:
            lost_e += e
            continue
        calo = "ecal" if abs(pid) in (11, 22) else "hcal"
        cell = _brute_cell(eta, phi, cfg.ecal if calo == "ecal" else cfg.hcal)
        if cell is None:
            lost_e += e
            continue
        ceta, cphi, key = cell
        old = cells[calo].get(key, (ceta, cphi, 0.0))
        cells[calo][key] = (ceta, cphi, old[2] + e)
    towers = []
    for calo, e_min, pid in (("ecal", cfg.ecal_e_min, 22.0), ("hcal", cfg.hcal_e_min, 130.0)):
        for ceta, cphi, e in cells[calo].values():
            if e >= e_min:
                pt = e / math.cosh(ceta)
                towers.append((pt * math.cos(cphi), pt * math.sin(cphi), pt * math.sinh(ceta), e, pid))
            else:
                lost_e += e
    return np.array(tracks), np.array(towers), lost_e


def _sorted(rows: np.ndarray) -> np.ndarray:
    return rows[np.lexsort(rows.T[::-1])]


def test_rings_tile_eta_without_gaps_and_match_the_cms_card_granularity():
    for rings in (ecal_rings(), hcal_rings()):
        assert rings[0][0] == -5.0 and rings[-1][1] == 5.0
        assert all(a[1] == pytest.approx(b[0], abs=1e-12) for a, b in zip(rings[:-1], rings[1:], strict=True))
    ecal_central = [r for r in ecal_rings() if abs(r[0]) < 1.0]
    assert {round(r[1] - r[0], 6) for r in ecal_central} == {0.0174} and {r[2] for r in ecal_central} == {360}
    hcal_central = [r for r in hcal_rings() if abs(r[0]) < 1.0]
    assert {round(r[1] - r[0], 6) for r in hcal_central} == {0.087} and {r[2] for r in hcal_central} == {72}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_towers_match_a_brute_force_sum(seed):
    parts, charge = _particles(np.random.default_rng(seed))
    out = detector_candidates(parts, charge, CFG)
    tracks, towers, _ = _brute_force(parts, charge, CFG)
    is_track = np.isin(np.arange(len(out)), np.arange(len(tracks)))
    np.testing.assert_array_equal(out[is_track], tracks)  # tracks come first, unchanged, in input order
    assert len(towers) > 20  # the spray fills many cells
    np.testing.assert_allclose(_sorted(out[~is_track]), _sorted(towers), rtol=1e-12, atol=1e-12)


def test_energy_is_conserved_up_to_the_documented_losses_and_momentum_within_the_cell_size():
    parts, charge = _particles(np.random.default_rng(7), 2000, junk=0.0)  # one jet-like spray
    out = detector_candidates(parts, charge, CFG)
    tracks, _, lost_e = _brute_force(parts, charge, CFG)
    assert lost_e > 0  # the thresholds and the acceptance do drop something here
    assert out[:, 3].sum() + lost_e == pytest.approx(parts[:, 3].sum(), rel=1e-12)
    # Momentum: a calorimeter particle moves to its cell centre and becomes massless, so its momentum moves
    # by at most (E - |p|) + E x angle, and the angle is below the cell's (eta, phi) diagonal over
    # cosh(eta) at the cell's smallest |eta| (d theta = d eta / cosh eta; the azimuthal arc is d phi / cosh eta).
    members: dict[tuple[bool, int], list[tuple[np.ndarray, float]]] = {}
    for row, q in zip(parts, charge, strict=True):
        pt = math.hypot(row[0], row[1])
        eta, phi = math.asinh(row[2] / pt), math.atan2(row[1], row[0])
        if abs(row[4]) == 13 or (q != 0 and pt > CFG.track_pt_min and abs(eta) < CFG.tracker_eta_max):
            continue
        is_ecal = abs(row[4]) in (11, 22)
        cell = _brute_cell(eta, phi, CFG.ecal if is_ecal else CFG.hcal)
        if cell is not None:
            members.setdefault((is_ecal, cell[2]), []).append((row, eta))
    p_in, bound = np.zeros(3), 0.0
    for (is_ecal, _), rows in members.items():
        if sum(r[3] for r, _ in rows) < (CFG.ecal_e_min if is_ecal else CFG.hcal_e_min):
            continue  # a cell below threshold: its energy is in lost_e above
        for row, eta in rows:
            lo, hi, n_phi = next(r for r in (CFG.ecal if is_ecal else CFG.hcal) if r[0] <= eta < r[1])
            p_in += row[:3]
            eta_min = 0.0 if lo < 0 < hi else min(abs(lo), abs(hi))
            angle = math.hypot(hi - lo, 2 * math.pi / n_phi) / math.cosh(eta_min)
            bound += row[3] * angle + (row[3] - np.linalg.norm(row[:3]))
    shift = np.linalg.norm(out[len(tracks):, :3].sum(axis=0) - p_in)
    assert 0 < shift <= bound
    assert bound < 0.05 * np.linalg.norm(p_in)  # and the bound itself is small (soft neutrons, 10-degree endcap cells)


def test_no_threshold_keeps_all_calorimeter_energy_in_acceptance():
    parts, charge = _particles(np.random.default_rng(11))
    cfg = replace(CFG, ecal_e_min=0.0, hcal_e_min=0.0)
    out = detector_candidates(parts, charge, cfg)
    pt = np.hypot(parts[:, 0], parts[:, 1])
    eta = np.arcsinh(parts[:, 2] / pt)
    lost = (np.abs(parts[:, 4]) == 13) & ~((charge != 0) & (pt > 0.1) & (np.abs(eta) < 2.5))
    lost |= np.abs(eta) >= 5.0
    assert out[:, 3].sum() == pytest.approx(parts[~lost, 3].sum(), rel=1e-12)


def test_pythia_jets_from_towers_have_fewer_harder_constituents():
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    from codesign.data.jets import JetConfig, generate_jet_chunk
    from codesign.data.layouts import JET_COLUMNS

    base = replace(JetConfig(), n_constituents=32, boson_width="zero")
    mult = {}
    for source in ("particles", "towers"):
        chunk = generate_jet_chunk("w", 2, 4242, replace(base, constituents_from=source))
        mult[source] = chunk.columns[:, JET_COLUMNS.index("j_multiplicity")]
        assert np.all(chunk.columns[:, JET_COLUMNS.index("j_pt")] >= 800)
    # Same seed, same Pythia events: towers merge photons and drop soft neutrals, so fewer constituents.
    assert mult["towers"].sum() < mult["particles"].sum()


def test_unknown_source_is_refused():
    from codesign.data.jets import JetConfig, generate_jet_chunk
    from codesign.data.production import jet_config_from_options

    with pytest.raises(DataError, match="--constituents-from 'pf'; accepted: particles, towers"):
        jet_config_from_options(800, 1200, 32, constituents_from="pf")
    with pytest.raises(DataError, match="accepted: particles, towers"):
        generate_jet_chunk("w", 1, 1, replace(JetConfig(), constituents_from="pf"))
