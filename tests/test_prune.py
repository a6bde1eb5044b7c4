"""Pruning: the target sparsity is reached, the result is a plain model, the input model is untouched."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import toy_data

from codesign import keras_env

keras = keras_env.keras()

from codesign import prune, train, zoo  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from codesign.spec import ModelSpec, PruneSpec, TrainSpec  # noqa: E402

TRAIN = TrainSpec(epochs=2, batch_size=64, learning_rate=3e-3, seed=0)


@pytest.fixture(scope="module")
def trained():
    data = toy_data.flat()
    model = zoo.build_model(ModelSpec(family="mlp", hidden=(16, 8)), (8,), 3, seed=0)
    return data, train.train_float(model, data, TRAIN).model


@pytest.mark.parametrize("target", [0.5, 0.8])
def test_prune_reaches_target_and_returns_plain_model(trained, target):
    data, model = trained
    before = [w.copy() for w in model.get_weights()]
    res = prune.prune(model, data, PruneSpec(sparsity=target, epochs=2, frequency=10), TRAIN)
    pruned = res.model
    assert [layer.name for layer in pruned.layers] == [layer.name for layer in model.layers]
    assert all("PruneLowMagnitude" not in type(layer).__name__ for layer in pruned.layers)
    s = prune.sparsity(pruned)
    assert set(s["layers"]) == {"dense_1", "dense_2", "output_logits"}
    for name, frac in s["layers"].items():
        size = pruned.get_layer(name).kernel.shape.num_elements()
        assert abs(frac - target) <= max(0.02, 1.0 / size), f"{name}: sparsity {frac:.3f}, target {target}"
    # the float model given in is left as it was (pruning works on a copy)
    for w0, w1 in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)
    assert prune.sparsity(model)["total"] < 0.01
    # the pruned model still classifies: well above chance (~0.33) even with 80 % of a tiny model gone
    assert train.evaluate(pruned, data)["accuracy"] > 0.45
    assert res.epochs_run == 2 and len(res.history["loss"]) == 2


def test_pruned_deepsets_conv_kernels():
    data = toy_data.sets(n=800)
    model = zoo.build_model(ModelSpec(family="deepsets", phi=(8, 8), rho=(8,)), (6, 3), 3, seed=0)
    res = prune.prune(model, data, PruneSpec(sparsity=0.5, epochs=1, frequency=5), TRAIN)
    s = prune.sparsity(res.model)
    assert set(s["layers"]) == {"phi_1", "phi_2", "rho_1", "output_logits"}
    assert abs(s["total"] - 0.5) < 0.02


def test_prune_layers_overrides_the_target_per_layer_and_names_unknown_layers(trained):
    data, model = trained
    spec = PruneSpec(sparsity=0.5, epochs=1, frequency=5, layers={"dense_1": 0.0, "output_logits": 0.75})
    s = prune.sparsity(prune.prune(model, data, spec, TRAIN).model)["layers"]
    assert s["dense_1"] == 0.0  # left dense
    assert abs(s["dense_2"] - 0.5) <= 0.02 and abs(s["output_logits"] - 0.75) <= 0.02
    with pytest.raises(SpecError, match=r"prune.layers names \['enc_9'\].*accepted: dense_1, dense_2, output_logits"):
        prune.prune(model, data, PruneSpec(sparsity=0.5, layers={"enc_9": 0.1}), TRAIN)
    with pytest.raises(ValueError, match="prune.layers"):
        PruneSpec(sparsity=0.5, layers={"dense_1": 1.0})


def test_sparsity_of_by_hand():
    k = {"a": np.array([[0.0, 1.0], [0.0, 0.0]]), "b": np.array([1.0, 2.0, 0.0, 4.0, 5.0, 6.0])}
    s = prune.sparsity_of(k)
    assert s["layers"] == {"a": 0.75, "b": 1 / 6}
    assert s["total"] == 4 / 10


@pytest.mark.parametrize(
    ("n_fit", "batch", "epochs", "freq"), [(32000, 1024, 5, 50), (1000, 64, 2, 10), (100, 64, 2, 50)]
)
def test_schedule_ends_on_a_pruning_step(n_fit, batch, epochs, freq):
    spec = SimpleNamespace(begin_fraction=0.0, end_fraction=0.7, frequency=freq)
    begin, end, f = prune.schedule_steps(n_fit, batch, epochs, spec)
    steps = -(-n_fit // batch) * epochs
    assert 0 <= begin < end <= int(0.7 * steps)
    assert (end - begin) % f == 0 and 1 <= f <= freq
    assert (end - begin) // f >= min(prune.MIN_UPDATES, int(0.7 * steps) - begin), "too few mask updates"


def test_prune_rejects_zero_sparsity_and_empty_schedule(trained):
    data, model = trained
    with pytest.raises(SpecError, match="prune.sparsity"):
        prune.prune(model, data, PruneSpec(sparsity=0.0), TRAIN)
    with pytest.raises(ValueError, match="prune.end_fraction 0.5 is not after prune.begin_fraction 0.5"):
        PruneSpec(sparsity=0.5, begin_fraction=0.5, end_fraction=0.5)  # refused with the spec, before training
    with pytest.raises(SpecError, match="end_fraction"):  # apart, but less than one of the few steps apart
        prune.prune(model, data, PruneSpec(sparsity=0.5, epochs=1, begin_fraction=0.5, end_fraction=0.5001), TRAIN)


def test_prune_layers_alone_prune_the_named_layers(trained):
    """prune.layers with prune.sparsity 0: the named layer is pruned (the setting was dropped: pruning was off)."""
    data, model = trained
    spec = PruneSpec(epochs=1, frequency=5, layers={"dense_2": 0.5})
    assert spec.enabled
    s = prune.sparsity(prune.prune(model, data, spec, TRAIN).model)["layers"]
    assert abs(s["dense_2"] - 0.5) <= 0.02
    assert s["dense_1"] == 0.0 and s["output_logits"] == 0.0
    assert not PruneSpec(layers={"dense_2": 0.0}).enabled
    with pytest.raises(ValueError, match="prune.distill changes the pruning fine-tune, and pruning is off"):
        PruneSpec(distill=True, layers={"dense_2": 0.0})


@pytest.mark.slow  # ~20 CPU-s: one float VAE and two pruning runs
def test_distill_fits_the_float_encoder_better_than_the_own_loss_and_is_refused_for_classifiers(trained):
    """prune.distill: the pruned VAE's z_mean / z_log_var end closer to the float model's than with its own loss."""
    data = toy_data.background(n=1500)
    vae = zoo.build_model(ModelSpec(family="vae", encoder=(16, 8), decoder=(8, 16), latent_dim=3), (10,), 0, seed=0)
    vae = train.train_float(vae, data, TRAIN).model
    enc = lambda m: keras.Model(m.input, [m.get_layer("z_mean").output, m.get_layer("z_log_var").output])  # noqa: E731
    want = enc(vae).predict(data.x_test, verbose=0)
    gaps = {}
    for distill in (False, True):
        res = prune.prune(vae, data, PruneSpec(sparsity=0.5, epochs=2, frequency=5, distill=distill), TRAIN)
        got = enc(res.model).predict(data.x_test, verbose=0)
        gaps[distill] = sum(float(np.mean((g - w) ** 2)) for g, w in zip(got, want, strict=True))
        assert abs(prune.sparsity(res.model)["total"] - 0.5) < 0.02
    assert gaps[True] < gaps[False], gaps
    clf_data, clf = trained
    with pytest.raises(SpecError, match="prune.distill applies to anomaly models"):
        prune.prune(clf, clf_data, PruneSpec(sparsity=0.5, epochs=1, distill=True), TRAIN)
