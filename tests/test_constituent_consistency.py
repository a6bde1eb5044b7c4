"""benchmarks/constituent_consistency.py inverts the generator's constituent ratios exactly.

The generator (codesign.data.jets) turns a jet's particles into ratios to the jet (ptrel, etarel, phirel, erel);
the benchmark rebuilds 4-vectors from those ratios and the jet columns. On a jet whose particles are all kept, the
rebuilt jet must give the generator's j_pt, j_eta and j_mass: two independent computations of the same numbers.
"""

from __future__ import annotations

import numpy as np
from benchmark_module import load_benchmark

from codesign.data.jets import JetConfig, constituent_features, jet_columns
from codesign.data.layouts import PARTICLE_FEATURE_NAMES

cc = load_benchmark("constituent_consistency")
STORED = ("j1_ptrel", "j1_etarel", "j1_phirel", "j1_erel", "j1_deltaR")


def _jet(rng: np.random.Generator, n: int, phi0: float) -> np.ndarray:
    """n particles (px, py, pz, E) around (eta 0.7, phi0), pion-mass, pT-descending."""
    pt = np.sort(rng.exponential(30.0, n) + 0.5)[::-1]
    eta = 0.7 + rng.normal(0, 0.2, n)
    phi = phi0 + rng.normal(0, 0.2, n)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2 + 0.1396**2)
    return np.stack([px, py, pz, e], axis=1)


def _as_file(jets: list[np.ndarray], n_slots: int) -> dict:
    """The benchmark's in-memory layout of a file holding these jets (stored features zero-padded to n_slots)."""
    cfg = JetConfig()
    cols = [jet_columns(p, cfg) for p in jets]
    cons = np.zeros((len(jets), n_slots, len(STORED)))
    for i, p in enumerate(jets):
        feats = constituent_features(p)[:n_slots]
        cons[i, : len(feats)] = feats[:, [PARTICLE_FEATURE_NAMES.index(k) for k in STORED]]
    jet = {k: np.array([c[k] for c in cols]) for k in ("j_pt", "j_eta", "j_mass", "j_mass_mmdt")}
    return {"jet": jet, "raw": cons, "c": {k: cons[:, :, i] for i, k in enumerate(STORED)},
            "label": np.arange(len(jets)) % 5, "cfg": {}}  # fmt: skip


def test_rebuilt_jet_equals_generator_jet():
    rng = np.random.default_rng(3)
    # one jet straddling phi = +-pi (its phirel must wrap), one ordinary, one with fewer particles than slots
    jets = [_jet(rng, 40, np.pi - 0.05), _jet(rng, 25, 0.3), _jet(rng, 12, -2.0)]
    d = _as_file(jets, n_slots=40)
    k = cc.kinematics(cc.four_vectors(d).sum(axis=1))
    np.testing.assert_allclose(k["pt"], d["jet"]["j_pt"], rtol=1e-10)
    np.testing.assert_allclose(k["eta"], d["jet"]["j_eta"], atol=1e-10)
    np.testing.assert_allclose(k["mass"], d["jet"]["j_mass"], rtol=1e-8)
    conv = cc.conventions(d)
    assert conv["jets_pt_descending"] == 1.0
    assert conv["padding_only_trailing"] == 1.0
    assert conv["max_abs_phirel"] < 1.5  # wrapped: the jet at phi ~ pi would give ~2 pi otherwise
    assert conv["max_abs_dR_minus_hypot"] < 1e-12


def test_truncated_jet_loses_mass():
    """Keeping only the leading constituents must lower the rebuilt mass (soft wide-angle particles dropped)."""
    rng = np.random.default_rng(4)
    d = _as_file([_jet(rng, 40, 1.0)], n_slots=40)
    full = cc.kinematics(cc.four_vectors(d).sum(axis=1))["mass"][0]
    lead = cc.kinematics(cc.four_vectors(d, 8).sum(axis=1))["mass"][0]
    assert lead < full
