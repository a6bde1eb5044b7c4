"""Distillation sets: widened copies of the background (scale, noise, mix), on the input grid, weighted as their
source; the keys are refused without distill; distilling on them fits the float encoder where the background is
rarely seen."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import toy_data
import yaml

from codesign import keras_env

keras = keras_env.keras()

from codesign import distill, prune, quantize, train, zoo  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from codesign.spec import ModelSpec, PruneSpec, QuantizeSpec, TrainSpec, load_spec  # noqa: E402

TRAIN = TrainSpec(epochs=2, batch_size=64, learning_rate=3e-3, seed=0)


@dataclass(frozen=True)
class Weighted:
    """The Dataset attributes the fit set reads, with an input type and event weights."""

    x_train: np.ndarray
    y_train: np.ndarray | None
    weights_train: np.ndarray
    input_precision: FixedPrecision | None
    task: str = "anomaly"


def _events(n=400, f=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, f)).astype(np.float32)


def test_scale_multiplies_each_event_by_one_factor_in_1_to_3():
    x = _events()
    w = distill.widened(x, "scale", seed=1)
    ratio = w / x
    assert np.allclose(ratio, ratio[:, :1], rtol=1e-6)  # one factor per event
    assert ratio.min() >= 1.0 and ratio.max() <= 3.0 and ratio.max() - ratio.min() > 1.5


def test_noise_adds_one_to_three_sigma_per_event():
    x = np.zeros((1000, 400), dtype=np.float32)
    spread = distill.widened(x, "noise", seed=1).std(axis=1)
    assert 0.9 < spread.min() < 1.1 and 2.9 < spread.max() < 3.3 and spread.mean() == pytest.approx(2.0, abs=0.1)


def test_mix_takes_each_feature_from_another_event():
    x = _events()
    m = distill.widened(x, "mix", seed=1)
    assert np.array_equal(np.sort(m, axis=0), np.sort(x, axis=0))  # each column a permutation of its own
    assert not any(np.array_equal(m[i], x[i]) for i in range(len(x)))


def test_fit_set_doubles_the_background_on_the_input_grid_with_the_source_weights():
    x = _events(n=300)
    x[0] = 20.0  # scaled up to 3x: saturates the type's 32
    prec = FixedPrecision.parse("ap_fixed<10,6>")
    data = Weighted(x, None, np.arange(300, dtype=np.float64), prec)
    assert distill.fit_set(data, "none", 0) is data
    out = distill.fit_set(data, "scale", 0)
    assert out.x_train.shape == (600, 6) and out.y_train is None
    assert sorted(out.weights_train) == sorted(np.concatenate([data.weights_train] * 2))
    # the background rows are all there, unchanged; the copies are on the ap_fixed<10,6> grid, saturated
    rows = {r.tobytes() for r in out.x_train}
    assert all(r.tobytes() in rows for r in x)
    copies = np.array([r for r in out.x_train if r.tobytes() not in {q.tobytes() for q in x}])
    assert np.array_equal(copies * 16, np.round(copies * 16)) and copies.max() <= 32 - 1 / 16
    assert (copies == 32 - 1 / 16).any()
    # each copy keeps the weight of its source: off the grid, it is its source times one factor in [1, 3]
    plain = distill.fit_set(Weighted(x, None, data.weights_train, None), "scale", 0)
    for row, weight in zip(plain.x_train, plain.weights_train, strict=True):
        ratio = row / x[int(weight)]
        assert np.allclose(ratio, ratio[0], rtol=1e-5) and 1 <= ratio[0] <= 3, (int(weight), ratio)


@pytest.mark.parametrize("section", ["prune", "quantize"])
def test_distill_widen_without_distill_is_refused_naming_the_key(tmp_path, section):
    body = {"name": "t", "model": {"family": "vae", "encoder": [8], "decoder": [8], "latent_dim": 2},
            "prune": {"sparsity": 0.5}, "quantize": {"bits": 8}}  # fmt: skip
    body[section]["distill_widen"] = "scale"
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(body))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    for needle in ("spec.yaml", f"{section}.", "distill_widen", "'scale'", "distill: true"):
        assert needle in str(info.value), (needle, str(info.value))
    body[section]["distill"] = True
    path.write_text(yaml.safe_dump(body))
    assert getattr(load_spec(path), section).distill_widen == "scale"


def _encoder(model):
    return keras.Model(model.input, [model.get_layer("z_mean").output, model.get_layer("z_log_var").output])


def _gap(model, teacher, x) -> float:
    got, want = _encoder(model).predict(x, verbose=0), _encoder(teacher).predict(x, verbose=0)
    return sum(float(np.mean((g - w) ** 2)) for g, w in zip(got, want, strict=True))


@pytest.fixture(scope="module")
def float_vae():
    data = toy_data.background(n=1500)
    vae = zoo.build_model(ModelSpec(family="vae", encoder=(16, 8), decoder=(8, 16), latent_dim=3), (10,), 0, seed=0)
    return data, train.train_float(vae, data, TRAIN).model


@pytest.mark.slow  # ~25 CPU-s: two pruning runs, two QAT runs
def test_widened_distillation_fits_the_float_encoder_off_the_background(float_vae):
    """Distilled on scaled-up copies too, the pruned and the QAT VAE follow the float encoder on scaled-up events
    (another draw) more closely than distilled on the background alone."""
    data, vae = float_vae
    far = distill.widened(data.x_test, "scale", seed=7).astype(np.float32)
    gaps = {}
    for widen in ("none", "scale"):
        spec = PruneSpec(sparsity=0.5, epochs=3, frequency=5, distill=True, distill_widen=widen)
        gaps[widen] = _gap(prune.prune(vae, data, spec, TRAIN).model, vae, far)
    assert gaps["scale"] < gaps["none"], gaps
    qgaps = {}
    for dist, widen in ((False, "none"), (True, "scale")):
        q = QuantizeSpec(bits=8, integer=2, activation_bits=12, activation_integer=6, epochs=2, distill=dist,
                         distill_widen=widen)  # fmt: skip
        qmodel = quantize.to_qkeras(vae, q)
        quantize.qat(qmodel, data, q, TRAIN, teacher=vae)
        qgaps[widen] = _gap(qmodel, vae, far)
    assert qgaps["scale"] < qgaps["none"], qgaps
    with pytest.raises(SpecError, match="quantize.distill applies to anomaly models"):
        clf_data = toy_data.flat()
        clf = zoo.build_model(ModelSpec(family="mlp", hidden=(8,)), (8,), 3, seed=0)
        qc = QuantizeSpec(bits=8, epochs=1, distill=True)
        quantize.qat(quantize.to_qkeras(clf, qc), clf_data, qc, TRAIN, teacher=clf)


def test_marked_fit_set_marks_exactly_the_widened_copies():
    x = _events(n=200)
    data = Weighted(x, None, np.ones(200), None)
    out, copies = distill.marked_fit_set(data, "scale", 3)
    originals = {r.tobytes() for r in x}
    assert copies.sum() == 200
    assert all((r.tobytes() not in originals) == c for r, c in zip(out.x_train, copies, strict=True))
    assert not distill.marked_fit_set(data, "none", 3)[1].any()


def test_own_background_keeps_the_input_as_the_ae_target_and_no_encoder_target_for_the_vae(float_vae):
    data, vae = float_vae
    n = len(data.x_train)
    own = np.arange(n) % 2 == 0
    ae = zoo.build_model(ModelSpec(family="ae", encoder=(8,), decoder=(8,), latent_dim=2), (10,), 0, seed=0)
    _, y, loss = distill.student_and_targets(ae, ae, data, "anomaly", own=own)
    assert loss == "mse"
    assert np.array_equal(y[own], data.x_train[own])
    assert np.array_equal(y[~own], ae.predict(data.x_train, verbose=0)[~own])
    student, (mu, lv, x), losses = distill.student_and_targets(vae, vae, data, "anomaly", own=own)
    assert (
        mu.shape == (n, 4) and np.array_equal(mu[:, -1], (~own).astype(np.float32)) and np.array_equal(x, data.x_train)
    )
    # the masked loss is the MSE on the flagged rows and exactly 0 on the others
    pred = np.zeros((n, 3), dtype=np.float32)
    per_row = losses[0](mu, pred).numpy()
    assert np.all(per_row[own] == 0)
    assert np.allclose(per_row[~own], np.mean(mu[~own, :3] ** 2, axis=1), rtol=1e-6)


def test_own_background_without_widened_copies_is_refused(tmp_path):
    body = {"name": "t", "model": {"family": "vae", "encoder": [8], "decoder": [8], "latent_dim": 2},
            "prune": {"sparsity": 0.5, "distill": True, "distill_background": "own"}}  # fmt: skip
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(body))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    for needle in ("spec.yaml", "prune.distill_background", "'own'", "distill_widen"):
        assert needle in str(info.value), (needle, str(info.value))
