"""The one place that calls FastJet: anti-kT jets (with active areas), mMDT grooming by C/A declustering,
exclusive-kT axes, and the grid-median pileup density.

Particles travel as float64 arrays [n, >=4] with columns px, py, pz, E; jets come back as index arrays
into those rows, so every observable is then computed in numpy on the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_FJ: Any = None


def _fastjet() -> Any:
    """Import fastjet once; its banner (printed by C++ on the first clustering) goes to /dev/null."""
    global _FJ
    if _FJ is None:
        import os
        import sys

        import fastjet

        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4)
            fastjet.ClusterSequence([fastjet.PseudoJet(1.0, 0.0, 0.0, 1.0)], jet_def).inclusive_jets()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _FJ = fastjet
    return _FJ


def _pseudojets(p4: np.ndarray, index: np.ndarray | None = None) -> list[Any]:
    """PseudoJets carrying their row index (or the given indices) as user_index."""
    fj = _fastjet()
    idx = np.arange(len(p4)) if index is None else index
    out = []
    for i, row in zip(idx, p4, strict=True):
        pj = fj.PseudoJet(float(row[0]), float(row[1]), float(row[2]), float(row[3]))
        pj.set_user_index(int(i))
        out.append(pj)
    return out


def antikt_jets(p4: np.ndarray, radius: float, pt_min: float) -> list[np.ndarray]:
    """Anti-kT jets above pt_min as arrays of constituent row indices, hardest jet first."""
    fj = _fastjet()
    if len(p4) == 0:
        return []
    seq = fj.ClusterSequence(_pseudojets(p4), fj.JetDefinition(fj.antikt_algorithm, radius))
    jets = fj.sorted_by_pt(seq.inclusive_jets(pt_min))
    return [np.array([c.user_index() for c in j.constituents()], dtype=np.int64) for j in jets]


def antikt_jets_with_area(
    p4: np.ndarray, radius: float, pt_min: float, ghost_rap_max: float, ghost_area: float
) -> list[tuple[np.ndarray, float]]:
    """Anti-kT jets above pt_min, hardest first, as (constituent row indices, active area) pairs.

    FastJet's active area: ghosts of ``ghost_area`` each up to |rapidity| ``ghost_rap_max`` are clustered with
    the particles and a jet's area is its number of ghosts times their area. The ghosts sit on FastJet's grid
    with no random scatter of position or pT (grid_scatter = pt_scatter = 0), so the areas are the same in
    every process and run: the Python wheel cannot seed FastJet's shared ghost generator. Ghosts are
    infinitely soft, so the anti-kT jets' particles are those of :func:`antikt_jets`.
    """
    fj = _fastjet()
    if len(p4) == 0:
        return []
    ghosts = fj.GhostedAreaSpec(float(ghost_rap_max), 1, float(ghost_area), 0.0, 0.0)
    seq = fj.ClusterSequenceArea(
        _pseudojets(p4), fj.JetDefinition(fj.antikt_algorithm, radius), fj.AreaDefinition(fj.active_area, ghosts)
    )
    jets = fj.sorted_by_pt(seq.inclusive_jets(pt_min))
    return [(np.array([c.user_index() for c in j.constituents()], dtype=np.int64), float(j.area())) for j in jets]


def grid_median_rho(p4: np.ndarray, rap_max: float, spacing: float, abs_rap_min: float, abs_rap_max: float) -> float:
    """Pileup pT density [GeV per unit rapidity-azimuth area]: FastJet's GridMedianBackgroundEstimator.

    The grid spans |rapidity| < rap_max in cells of about ``spacing`` x ``spacing`` (FastJet rounds both to
    divide the ranges evenly); rho is the median over the cells whose centre has abs_rap_min <= |y| <=
    abs_rap_max of the cell's scalar pT sum over its area (empty cells count, with 0).
    """
    fj = _fastjet()
    tiles = fj.SelectorAbsRapRange(float(abs_rap_min), float(abs_rap_max))
    estimator = fj.GridMedianBackgroundEstimator(-float(rap_max), float(rap_max), float(spacing), float(spacing), tiles)
    estimator.set_particles(_pseudojets(p4))
    return float(estimator.rho())


def mmdt_groom(p4: np.ndarray, z_cut: float = 0.1) -> np.ndarray:
    """Row indices kept by the modified mass-drop tagger (mu = 1, scalar z, follow the harder pT branch).

    The constituents are reclustered into one Cambridge/Aachen tree and declustered from the top: at each
    step the softer branch is dropped while min(pT1, pT2) / (pT1 + pT2) <= z_cut.
    """
    fj = _fastjet()
    if len(p4) <= 1:
        return np.arange(len(p4), dtype=np.int64)
    seq = fj.ClusterSequence(_pseudojets(p4), fj.JetDefinition(fj.cambridge_algorithm, 100.0))
    jets = seq.inclusive_jets(0.0)
    jet = max(jets, key=lambda j: j.pt())
    while True:
        a, b = fj.PseudoJet(), fj.PseudoJet()
        if not jet.has_parents(a, b):
            break
        pa, pb = a.pt(), b.pt()
        if min(pa, pb) / (pa + pb) > z_cut:
            break
        jet = a if pa >= pb else b
    return np.array(sorted(c.user_index() for c in jet.constituents()), dtype=np.int64)


def exclusive_kt_axes(p4: np.ndarray, n_axes: int) -> np.ndarray:
    """Four-momenta [n_axes, 4] of the exclusive kT subjets (fewer if there are fewer particles)."""
    fj = _fastjet()
    n = min(n_axes, len(p4))
    if n == 0:
        return np.zeros((0, 4))
    seq = fj.ClusterSequence(_pseudojets(p4), fj.JetDefinition(fj.kt_algorithm, 100.0))
    subjets = seq.exclusive_jets(n)
    return np.array([[j.px(), j.py(), j.pz(), j.e()] for j in subjets], dtype=np.float64)
