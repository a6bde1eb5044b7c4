"""data.constituent_features: stored and derived per-constituent inputs (j1_pt, j1_e in GeV), checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.data import write_jets
from codesign.data.constituents import select_features
from codesign.data.layouts import HLF_NAMES, LABEL_COLUMNS, UNDEF_COLUMN
from codesign.errors import DataError, SpecError

STORED = ("j1_ptrel", "j1_etarel", "j1_phirel", "j1_erel", "j1_deltaR")

# Two jets, three constituent slots (the last of jet 1 is padding). Jet 0: pT 600, eta 0, mass 800 -> E = 1000;
# jet 1: pT 800, eta ln 2 (cosh = 1.25), mass 0 -> E = 1000.
CONST = np.array(
    [
        [[0.5, 0.1, -0.2, 0.4, 0.3], [0.25, -0.05, 0.0, 0.3, 0.05], [0.125, 0.2, 0.1, 0.2, 0.25]],
        [[0.75, 0.0, 0.02, 0.8, 0.02], [0.125, 0.3, -0.4, 0.1, 0.5], [0.0, 0.0, 0.0, 0.0, 0.0]],
    ],
    dtype=np.float32,
)
JET = {"j_pt": np.array([600.0, 800.0]), "j_eta": np.array([0.0, np.log(2.0)]), "j_mass": np.array([800.0, 0.0])}
# By hand: pT = ptrel x jet pT, E = erel x 1000 GeV.
PT = np.array([[300.0, 150.0, 75.0], [600.0, 100.0, 0.0]])
E = np.array([[400.0, 300.0, 200.0], [800.0, 100.0, 0.0]])


def _reference(const, jet, features):
    """Independent per-slot loop: each feature from its definition, jet energy from (pT, eta, m) by E^2 = m^2 + p^2."""
    out = np.zeros(const.shape[:2] + (len(features),))
    for j in range(const.shape[0]):
        p = jet["j_pt"][j] * np.cosh(jet["j_eta"][j])
        energy = (jet["j_mass"][j] ** 2 + p**2) ** 0.5
        for i in range(const.shape[1]):
            row = dict(zip(STORED, const[j, i].tolist(), strict=True))
            row["j1_pt"] = row["j1_ptrel"] * jet["j_pt"][j]
            row["j1_e"] = row["j1_erel"] * energy
            out[j, i] = [row[f] for f in features]
    return out


def test_derived_features_match_hand_values_and_an_independent_loop():
    feats = ("j1_pt", "j1_etarel", "j1_phirel", "j1_e", "j1_deltaR")
    got = select_features(CONST, STORED, feats, JET, "test")
    assert got.dtype == np.float32 and got.shape == (2, 3, 5)
    np.testing.assert_allclose(got[:, :, 0], PT, rtol=1e-6)
    np.testing.assert_allclose(got[:, :, 3], E, rtol=1e-6)
    np.testing.assert_array_equal(got[:, :, [1, 2, 4]], CONST[:, :, [1, 2, 4]])
    np.testing.assert_array_equal(got[1, 2], 0.0)  # padding stays 0
    assert np.array_equal(got, _reference(CONST, JET, feats).astype(np.float32))


def test_stored_features_are_taken_as_stored_in_the_asked_order():
    got = select_features(CONST, STORED, ("j1_deltaR", "j1_ptrel"), {}, "test")  # no jet columns needed
    np.testing.assert_array_equal(got, CONST[:, :, [4, 0]])


def test_unknown_or_underivable_feature_is_refused_with_what_is_accepted():
    with pytest.raises(DataError, match=r"'j1_px'.*j1_ptrel.*j1_pt, j1_e derived"):
        select_features(CONST, STORED, ("j1_px",), JET, "f.h5")
    with pytest.raises(DataError, match=r"j_eta, j_mass"):
        select_features(CONST, STORED, ("j1_e",), {"j_pt": JET["j_pt"]}, "f.h5")
    with pytest.raises(DataError, match=r"neither stores nor can derive"):
        select_features(CONST[:, :, 1:], STORED[1:], ("j1_pt",), JET, "f.h5")  # no j1_ptrel to scale


def _jet_file(tmp_path, n=40):
    """A tiny jet file in the shipped layout: each jet the two hand jets' constituents, alternating, 5 classes."""
    names = ("j_pt", "j_eta", "j_mass", *HLF_NAMES, *LABEL_COLUMNS, UNDEF_COLUMN)
    cols = np.zeros((n, len(names)), dtype=np.float32)
    pick = np.arange(n) % 2
    for k in ("j_pt", "j_eta", "j_mass"):
        cols[:, names.index(k)] = JET[k][pick]
    cols[:, names.index("j_multiplicity")] = 3
    cols[np.arange(n), names.index("j_g") + np.arange(n) % 5] = 1.0
    const = CONST[pick] * (1.0 + 0.01 * np.arange(n, dtype=np.float32))[:, None, None]
    return write_jets(tmp_path / "jets.h5", cols, names, const, STORED), const, pick


def test_build_data_step_applies_the_key(tmp_path):
    from codesign.datasets import load_dataset
    from codesign.spec import DataSpec, Family

    path, const, pick = _jet_file(tmp_path)
    spec = DataSpec(path=str(path), n_train=30, n_test=10, n_constituents=3, standardize=False,
                    constituent_features=("j1_pt", "j1_phirel", "j1_e"))  # fmt: skip
    data = load_dataset(spec, Family.DEEPSETS, None)
    assert data.feature_names == ("j1_pt", "j1_phirel", "j1_e")
    order = np.random.default_rng(0).permutation(40)
    jet = {k: v[pick] for k, v in JET.items()}
    want = _reference(const, jet, ("j1_pt", "j1_phirel", "j1_e")).astype(np.float32)
    np.testing.assert_allclose(data.x_train, want[order[:30]], rtol=1e-6)
    default = load_dataset(spec.model_copy(update={"constituent_features": None}), Family.DEEPSETS, None)
    assert default.feature_names == STORED and np.array_equal(default.x_test, const[order[30:]])


def test_key_reads_constituents_for_an_mlp_and_is_refused_on_high_level_features(tmp_path):
    from codesign.datasets import load_dataset
    from codesign.spec import DataSpec, Family

    path, const, _ = _jet_file(tmp_path)
    spec = DataSpec(path=str(path), n_train=30, n_test=10, n_constituents=3, standardize=False,
                    constituent_features=("j1_deltaR",))  # fmt: skip
    flat = load_dataset(spec, Family.MLP, None)  # a user's jet file: the key asks for constituents
    assert flat.x_train.shape == (30, 3, 1) and flat.feature_names == ("j1_deltaR",)
    hlf = DataSpec(source="jets_hlf", n_train=30, n_test=10, constituent_features=("j1_pt",))
    with pytest.raises(SpecError, match="constituent_features applies to constituent models"):
        load_dataset(hlf, Family.MLP, None)


def test_n_constituents_reads_constituents_or_is_refused(tmp_path):
    """data.n_constituents given: a user's jet file is read as constituents (an mlp on them), cut to that many; on
    data that has none (high-level features) the key would be dropped, so it is refused."""
    from codesign.datasets import load_dataset
    from codesign.spec import DataSpec, Family

    path, const, _ = _jet_file(tmp_path)
    data = load_dataset(DataSpec(path=str(path), n_train=30, n_test=10, n_constituents=2, standardize=False),
                        Family.MLP, None)  # fmt: skip
    order = np.random.default_rng(0).permutation(40)
    assert data.feature_names == STORED and np.array_equal(data.x_train, const[order[:30], :2])
    assert load_dataset(DataSpec(path=str(path), n_train=30, n_test=10), Family.MLP, None).x_train.ndim == 2
    with pytest.raises(SpecError, match=r"data.n_constituents applies to constituent inputs .* read as jets_hlf"):
        load_dataset(DataSpec(source="jets_hlf", n_train=30, n_test=10, n_constituents=8), Family.MLP, None)
