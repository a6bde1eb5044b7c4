"""Float training: it learns, it reports its history, it is reproducible with a seed, the VAE trains."""

from __future__ import annotations

import numpy as np
import pytest
import toy_data

from codesign import keras_env

keras = keras_env.keras()

from codesign import train, zoo  # noqa: E402
from codesign.errors import DataError  # noqa: E402
from codesign.spec import ModelSpec, TrainSpec  # noqa: E402

MLP = ModelSpec(family="mlp", hidden=(16, 8))


def fit_mlp(data, spec: TrainSpec):
    model = zoo.build_model(MLP, data.x_train.shape[1:], data.y_train.shape[1], seed=spec.seed)
    return train.train_float(model, data, spec)


def test_train_float_learns_and_reports():
    data = toy_data.flat()
    spec = TrainSpec(epochs=8, batch_size=64, learning_rate=1e-2, seed=0, patience=3)
    res = fit_mlp(data, spec)
    assert isinstance(res, train.TrainResult)
    assert 1 <= res.epochs_run <= 8
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(res.history)
    assert all(len(v) == res.epochs_run for v in res.history.values())
    assert res.history["loss"][-1] < res.history["loss"][0]
    assert res.seconds > 0
    acc = train.evaluate(res.model, data)["accuracy"]
    assert acc > 0.8, f"test accuracy {acc:.3f} on a linearly separable toy problem (chance is ~0.33)"


def test_same_seed_same_weights_other_seed_differs():
    data = toy_data.flat(n=1500)
    spec = TrainSpec(epochs=2, batch_size=64, seed=7)
    a = fit_mlp(data, spec).model.get_weights()
    b = fit_mlp(data, spec).model.get_weights()
    c = fit_mlp(data, spec.model_copy(update={"seed": 8})).model.get_weights()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_learning_rate_halves_on_a_plateau():
    data = toy_data.flat(n=1500)
    spec = TrainSpec(epochs=6, batch_size=64, learning_rate=0.3, seed=0, patience=0, lr_patience=1, lr_factor=0.5)
    res = fit_mlp(data, spec)
    lr = res.history["lr"]
    val = res.history["val_loss"]
    assert len(lr) == 6 and lr[0] == pytest.approx(0.3)
    for i in range(1, len(lr)):  # halved exactly after an epoch that did not beat the best validation loss
        worse = val[i - 1] >= min(val[: i - 1], default=np.inf)
        assert lr[i] == pytest.approx(lr[i - 1] * (0.5 if worse else 1.0))
    assert min(lr) < 0.3
    plain = fit_mlp(data, spec.model_copy(update={"lr_patience": 0}))
    assert "lr" not in plain.history


def test_early_stopping_restores_the_best_epoch():
    data = toy_data.flat(n=1500)
    # A large learning rate makes the validation loss bounce, so early stopping has something to do.
    spec = TrainSpec(epochs=12, batch_size=32, learning_rate=0.3, seed=0, patience=1)
    res = fit_mlp(data, spec)
    val = res.history["val_loss"]
    best = int(np.argmin(val))
    assert res.epochs_run == len(val) < 12, "seeded run expected to stop early"
    assert res.epochs_run == best + 2  # stopped patience=1 epoch after the best one
    x, y = train.targets(data, "train")
    n_val = len(x) - int(len(x) * (1 - spec.validation_split))
    restored = res.model.evaluate(x[-n_val:], y[-n_val:], verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(restored, val[best], rtol=1e-4)


def test_vae_trains_on_reconstruction_plus_kl():
    data = toy_data.background()
    vae = zoo.build_model(ModelSpec(family="vae", encoder=(16, 8), decoder=(8, 16), latent_dim=3), (10,), 0, seed=0)
    res = train.train_float(vae, data, TrainSpec(epochs=4, batch_size=64, learning_rate=3e-3, seed=0))
    assert {"loss", "kl", "val_loss"} <= set(res.history)
    assert res.history["loss"][-1] < res.history["loss"][0]
    # no posterior collapse on data with 3 latent factors: the latent means spread over the test set
    mu, _ = zoo.encoder_model(res.model).predict(data.x_test, verbose=0)
    assert mu.std(axis=0).max() > 0.3, f"latent means barely move: std {mu.std(axis=0)}"


def test_targets_reject_bad_labels():
    data = toy_data.flat(n=100)
    bad = toy_data.ToyData(data.x_train, data.y_train[:, 0], data.x_test, data.y_test)
    with pytest.raises(DataError, match="one-hot"):
        train.targets(bad)
    unknown = toy_data.ToyData(data.x_train, data.y_train, data.x_test, data.y_test, task="regression")
    with pytest.raises(DataError, match="accepted: classification, anomaly"):
        train.targets(unknown)
