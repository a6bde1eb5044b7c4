"""Small synthetic data sets for the model tests: quick to train on, with a learnable rule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ToyData:
    """The attributes of codesign.datasets.Dataset that training reads."""

    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    feature_names: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()
    task: str = "classification"


def _split(x, y, n_test, task="classification"):
    names = tuple(f"f{i}" for i in range(x.shape[-1]))
    classes = tuple(f"c{i}" for i in range(y.shape[1])) if y is not None else ()
    yt = y[:-n_test] if y is not None else None
    ys = y[-n_test:] if y is not None else None
    return ToyData(x[:-n_test], yt, x[-n_test:], ys, names, classes, task)


def flat(n: int = 3000, n_features: int = 8, n_classes: int = 3, seed: int = 0) -> ToyData:
    """Flat features whose class is the argmax of a fixed linear map: a small MLP learns it well."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features)).astype(np.float32)
    w = rng.normal(size=(n_features, n_classes))
    y = np.eye(n_classes, dtype=np.float32)[np.argmax(x @ w, axis=1)]
    return _split(x, y, n // 5)


def sets(n: int = 2000, n_const: int = 6, n_features: int = 3, seed: int = 0) -> ToyData:
    """Constituent sets, 3 classes from the sum and the maximum of per-particle features (order-free)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_const, n_features)).astype(np.float32)
    label = (x[:, :, 0].sum(axis=1) > 0).astype(int) + (x[:, :, 1].max(axis=1) > 1.2).astype(int)
    y = np.eye(3, dtype=np.float32)[label]
    return _split(x, y, n // 5)


def background(n: int = 2000, n_features: int = 10, seed: int = 0) -> ToyData:
    """Correlated Gaussian 'background' for the VAE (anomaly task: no labels)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    x = (z @ rng.normal(size=(3, n_features)) + 0.1 * rng.normal(size=(n, n_features))).astype(np.float32)
    return _split(x, None, n // 5, task="anomaly")
