"""data.augment: reflected copies of the training jets, checked against the generator's own feature code on
reflected four-vectors, through the data step (standardised, snapped, test untouched) and the fit (validation
rows unaugmented); the spec errors; a spec without the key keeps its resolved data section (no retrain)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from codesign.data import write_jets
from codesign.data.augment import NEGATED, UNCHANGED, reflected_copies
from codesign.data.jets import constituent_features
from codesign.data.layouts import HLF_NAMES, LABEL_COLUMNS, PARTICLE_FEATURE_NAMES, UNDEF_COLUMN
from codesign.errors import SpecError
from codesign.spec import load_spec

REPO = Path(__file__).resolve().parent.parent

MAPPED = tuple(n for n in PARTICLE_FEATURE_NAMES if n not in ("j1_etarot", "j1_phirot"))


def _jet(seed: int) -> np.ndarray:
    """A jet's constituents [n, 4] (px, py, pz, E), massless, around eta 0.7 and phi 3.0 (phi wraps at pi)."""
    rng = np.random.default_rng(seed)
    n = 12
    pt = rng.exponential(40.0, n) + 1.0
    eta = 0.7 + rng.normal(0, 0.15, n)
    phi = np.remainder(3.0 + rng.normal(0, 0.15, n) + np.pi, 2 * np.pi) - np.pi
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return np.stack([px, py, pz, np.sqrt(px * px + py * py + pz * pz)], axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_copies_equal_the_generator_features_of_the_reflected_jet(seed):
    """Each copy of the stored features equals codesign.data.jets.constituent_features recomputed on the jet whose
    four-vectors are reflected: pz -> -pz (reflect_eta) and / or py -> -py (reflect_phi)."""
    parts = _jet(seed)
    cols = [PARTICLE_FEATURE_NAMES.index(n) for n in MAPPED]
    feats = constituent_features(parts)[:, cols]
    copies = reflected_copies(feats[None], ("reflect_eta", "reflect_phi"), MAPPED)
    flips = [np.array([1, 1, -1, 1]), np.array([1, -1, 1, 1]), np.array([1, -1, -1, 1])]  # eta, phi, both
    assert len(copies) == 3
    for copy, flip in zip(copies, flips, strict=True):
        want = constituent_features(parts * flip)[:, cols]
        np.testing.assert_allclose(copy[0], want, rtol=1e-12, atol=1e-12)
    # the tables name every mapped feature once per reflection, and nothing else
    for r in NEGATED:
        assert sorted(NEGATED[r] + UNCHANGED[r]) == sorted(MAPPED)


def test_copies_on_a_small_array_by_hand():
    x = np.array([[[10.0, 0.5, -0.25], [0.0, 0.0, 0.0]]], dtype=np.float32)  # one jet, one padded slot
    names = ("j1_pt", "j1_etarel", "j1_phirel")
    eta, phi, both = reflected_copies(x, ("reflect_eta", "reflect_phi"), names)
    np.testing.assert_array_equal(eta, [[[10.0, -0.5, -0.25], [0.0, 0.0, 0.0]]])
    np.testing.assert_array_equal(phi, [[[10.0, 0.5, 0.25], [0.0, 0.0, 0.0]]])
    np.testing.assert_array_equal(both, [[[10.0, -0.5, 0.25], [0.0, 0.0, 0.0]]])
    (only,) = reflected_copies(x, ("reflect_phi",), names)
    np.testing.assert_array_equal(only, phi)


STORED = ("j1_ptrel", "j1_etarel", "j1_phirel", "j1_erel", "j1_deltaR")


def _jet_file(tmp_path, n=40, stored=STORED):
    names = ("j_pt", "j_eta", "j_mass", *HLF_NAMES, *LABEL_COLUMNS, UNDEF_COLUMN)
    cols = np.zeros((n, len(names)), dtype=np.float32)
    cols[:, names.index("j_pt")] = 1000.0
    cols[np.arange(n), names.index("j_g") + np.arange(n) % 5] = 1.0
    rng = np.random.default_rng(3)
    const = rng.normal(0.0, 0.2, (n, 4, len(stored))).astype(np.float32)
    const[:, :, 0] = np.abs(const[:, :, 0])
    const[:, 3] = 0.0  # a padded slot in every jet
    return write_jets(tmp_path / "jets.h5", cols, names, const, stored), const


def test_data_step_adds_standardised_snapped_copies_of_the_training_rows_only(tmp_path):
    from codesign.datasets import load_dataset
    from codesign.precision import FixedPrecision
    from codesign.spec import DataSpec, Family

    path, const = _jet_file(tmp_path)
    p = FixedPrecision.parse("ap_fixed<16,6>")
    feats = ("j1_pt", "j1_etarel", "j1_phirel", "j1_deltaR")
    spec = DataSpec(path=str(path), n_train=30, n_test=10, n_constituents=4, constituent_features=feats)
    plain = load_dataset(spec, Family.DEEPSETS, p)
    aug = load_dataset(spec.model_copy(update={"augment": ("reflect_phi", "reflect_eta")}), Family.DEEPSETS, p)
    # training and test rows, mean and std as without the key
    for k in ("x_train", "y_train", "x_test", "y_test", "mean", "std"):
        assert np.array_equal(getattr(plain, k), getattr(aug, k)), k
    assert plain.x_train_augmented == () and len(aug.x_train_augmented) == 3
    assert aug.summary()["augment"] == {"reflections": ["reflect_phi", "reflect_eta"], "copies": 3}
    # independently: the raw training rows, signs by hand per copy (phi, eta, both), standardised, then snapped
    order = np.random.default_rng(0).permutation(40)[:30]
    raw = np.concatenate([const[:, :, :1] * 1000.0, const[:, :, 1:3], const[:, :, 4:5]], axis=2)[order]
    for copy, sign in zip(aug.x_train_augmented, ([1, 1, -1, 1], [1, -1, 1, 1], [1, -1, -1, 1]), strict=True):
        z = (raw.astype(np.float64) * np.array(sign, dtype=np.float32) - aug.mean) / aug.std
        want = np.clip(np.round(z * 1024.0), -32768, 32767) / 1024.0  # ap_fixed<16,6>: 10 fraction bits, saturated
        np.testing.assert_array_equal(copy, want.astype(np.float32))


def test_fit_appends_the_copies_to_the_fitted_rows_and_validates_on_the_last_unaugmented_rows():
    from codesign import train

    x = np.arange(10 * 2 * 3, dtype=np.float32).reshape(10, 2, 3)
    y = np.eye(5, dtype=np.float32)[np.arange(10) % 5]
    copies = (-x, 2 * x, 3 * x)
    xs, ys, ws, split = train.augmented(x, y, None, copies, 0.2)
    assert train.fit_rows(10, 0.2) == 8 and xs.shape == (32, 2, 3) and ws is None
    np.testing.assert_array_equal(xs, np.concatenate([x[:8], -x[:8], 2 * x[:8], 3 * x[:8]]))
    np.testing.assert_array_equal(ys, np.concatenate([y[:8]] * 4))
    vx, vy = split["validation_data"]
    np.testing.assert_array_equal(vx, x[8:])
    np.testing.assert_array_equal(vy, y[8:])
    w = np.linspace(1, 2, 10, dtype=np.float32)
    _, _, ws, split = train.augmented(x, y, w, copies, 0.2)
    np.testing.assert_array_equal(ws, np.concatenate([w[:8]] * 4))
    np.testing.assert_array_equal(split["validation_data"][2], w[8:])
    assert train.augmented(x, y, None, copies, 0.0)[3] == {}  # no validation split: nothing held out


def test_fit_runs_the_augmented_rows_per_epoch():
    """Through keras: 8 fitted rows x 4 copies in batches of 4 = 8 steps per epoch; val_loss is that of x[8:]."""
    from types import SimpleNamespace

    from codesign import train
    from codesign.spec import TrainSpec

    keras = train.keras
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[np.arange(10) % 2]
    data = SimpleNamespace(x_train=x, y_train=y, task="classification", x_train_augmented=(-x, x, -x))
    spec = TrainSpec(epochs=1, batch_size=4, validation_split=0.2, patience=0)
    train.seed_everything(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    train.compile_model(model, "classification", 1e-2)
    steps = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))
    result = train.fit(model, data, spec, 1, callbacks=[cb])
    assert len(steps) == 8
    val = model.evaluate(x[8:], y[8:], verbose=0, return_dict=True)["loss"]
    assert result.history["val_loss"][0] == pytest.approx(val, rel=1e-6)


def _write(tmp_path, obj) -> str:
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(obj))
    return str(p)


def _ds32() -> dict:
    obj = yaml.safe_load((REPO / "models" / "jet_deepsets_32.yaml").read_text())
    obj["data"].pop("augment", None)
    return obj


@pytest.mark.parametrize(
    "augment, words",
    [
        (["reflect_y"], ["data.augment", "reflect_eta", "reflect_phi"]),
        (["reflect_eta", "reflect_eta"], ["augment", "twice"]),
        ("reflect_eta", ["data.augment"]),
    ],
)
def test_spec_refuses_unknown_or_repeated_reflections(tmp_path, augment, words):
    obj = _ds32()
    obj["data"]["augment"] = augment
    with pytest.raises(SpecError) as err:
        load_spec(_write(tmp_path, obj))
    for w in words:
        assert w in str(err.value)


def test_data_step_refuses_the_key_on_other_data_or_an_unmapped_feature(tmp_path):
    from codesign.datasets import load_dataset
    from codesign.spec import DataSpec, Family

    hlf = DataSpec(source="jets_hlf", n_train=30, n_test=10, augment=("reflect_eta",))
    with pytest.raises(SpecError, match=r"data.augment applies to constituent models.*remove the key"):
        load_dataset(hlf, Family.MLP, None)
    stored = ("j1_ptrel", "j1_etarel", "j1_phirel", "j1_etarot", "j1_deltaR")
    path, _ = _jet_file(tmp_path, stored=stored)
    spec = DataSpec(path=str(path), n_train=30, n_test=10, n_constituents=4, augment=("reflect_phi",))
    with pytest.raises(SpecError, match=r"reflect_phi does not map the input feature\(s\) j1_etarot \(it negates "
                                        r"j1_phirel, j1_phi, j1_py; leaves .*j1_deltaR.* unchanged\)"):  # fmt: skip
        load_dataset(spec, Family.DEEPSETS, None)
    ok = spec.model_copy(update={"constituent_features": ("j1_ptrel", "j1_etarel", "j1_phirel", "j1_deltaR")})
    assert len(load_dataset(ok, Family.DEEPSETS, None).x_train_augmented) == 1


# jet_deepsets_32.yaml's resolved data section before data.augment existed: the load_data step's cache key input
DS32_DATA = {"source": "jets_constituents", "path": None, "inputs": None, "labels": None, "n_train": 40000,
             "n_test": 10000, "n_constituents": 32, "constituent_features": ["j1_pt", "j1_etarel", "j1_phirel"],
             "seed": 0, "standardize": True, "pt_scale": None}  # fmt: skip


def test_spec_without_the_key_keeps_its_resolved_data_and_keys(tmp_path):
    from codesign import parts
    from codesign.build_steps import default_steps
    from codesign.pipeline import BuildContext, step_keys

    def keys(obj):
        spec = load_spec(_write(tmp_path, obj))
        ctx = BuildContext(spec=spec, hls4ml_config=None, part=parts.resolve_part("xcvu9p"), out_dir=tmp_path)
        steps = default_steps()
        return spec, dict(zip([s.name for s in steps], step_keys(ctx, steps), strict=True))

    plain, base = keys(_ds32())
    assert plain.resolved()["data"] == DS32_DATA
    empty = _ds32()
    empty["data"]["augment"] = []
    assert keys(empty)[1] == base  # an empty list is no augmentation
    given = _ds32()
    given["data"]["augment"] = ["reflect_eta", "reflect_phi"]
    spec, aug = keys(given)
    assert spec.resolved()["data"] == {**DS32_DATA, "augment": ["reflect_eta", "reflect_phi"]}
    assert all(aug[k] != base[k] for k in ("load_data", "train_float", "prune", "quantize"))
    assert json.loads(json.dumps(spec.resolved()))["data"]["augment"] == ["reflect_eta", "reflect_phi"]
