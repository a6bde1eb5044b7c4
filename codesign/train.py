"""Float training: Adam, early stopping on the validation loss (optionally the learning rate reduced on a plateau),
reproducible with a seed.

Classifiers are trained with categorical cross-entropy on the softmax output (labels one-hot), a one-output
binary classifier with binary cross-entropy on its sigmoid (or its logit) against the class-1 column; the VAE
(``task == "anomaly"``) reconstructs its input with a mean-squared error plus the beta * KL term its
sampling layer adds. :func:`compile_model` and :func:`fit` are shared with pruning and QAT.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from codesign import keras_env
from codesign.errors import DataError

keras = keras_env.keras()
import tensorflow as tf  # noqa: E402  (after keras_env: selects tf-keras)

TASKS = ("classification", "anomaly")


@dataclass(frozen=True)
class TrainResult:
    """A trained model with its per-epoch history, the number of epochs run and the wall time."""

    model: object
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    seconds: float = 0.0


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and TensorFlow and ask TensorFlow for deterministic kernels."""
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def targets(data, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The (inputs, targets) pair to fit on: labels for classifiers, the inputs themselves for anomaly models."""
    task = getattr(data, "task", "classification")
    if task not in TASKS:
        raise DataError(f"data.task {task!r} is not known (accepted: {', '.join(TASKS)})")
    x = np.asarray(getattr(data, f"x_{split}"), dtype=np.float32)
    if task == "anomaly":
        return x, x
    y = getattr(data, f"y_{split}")
    if y is None:
        raise DataError(f"classification data have no y_{split} labels")
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 2 or len(y) != len(x):
        raise DataError(f"y_{split} must be one-hot of shape [{len(x)}, n_classes], got {y.shape}")
    return x, y


def _one_output(model) -> bool:
    return len(model.outputs) == 1 and int(np.prod([int(d) for d in model.outputs[0].shape[1:]])) == 1


def _ends_in_sigmoid(model) -> bool:
    from codesign.reference.graph import fused_head_of, head_of

    layer = model.get_layer(model.output_names[0])
    layer = getattr(layer, "layer", layer)  # a pruning wrapper's layer
    return (head_of(layer) or fused_head_of(layer)) == "sigmoid"


def compile_model(model, task: str, learning_rate: float) -> None:
    """Compile with Adam: cross-entropy + accuracy for classifiers (binary for a one-output model: on its sigmoid,
    or on its logit without one), MSE for anomaly (reconstruction) models."""
    opt = keras.optimizers.Adam(learning_rate=float(learning_rate))
    if task == "anomaly":
        model.compile(optimizer=opt, loss="mse")
    elif _one_output(model):
        logits = not _ends_in_sigmoid(model)
        acc = keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0 if logits else 0.5)
        model.compile(optimizer=opt, loss=keras.losses.BinaryCrossentropy(from_logits=logits), metrics=[acc])
    else:
        model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])


def fit(model, data, train, epochs: int, callbacks=(), early_stopping: bool = True, y=None) -> TrainResult:
    """Fit ``model`` (already compiled) for up to ``epochs`` epochs; returns history, epochs run and seconds.

    ``y`` replaces the data's own targets (e.g. a teacher model's outputs when distilling)."""
    x, own = targets(data, "train")
    if y is None and own.ndim == 2 and own.shape[1] == 2 and _one_output(model):
        own = own[:, 1:]  # a one-output binary classifier learns the probability of class 1
    y = own if y is None else y
    cbs = list(callbacks)
    val = float(train.validation_split)
    if early_stopping and val > 0 and train.patience > 0:
        cbs.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=int(train.patience), restore_best_weights=True)
        )
    lr_patience = int(getattr(train, "lr_patience", 0) or 0)
    if val > 0 and lr_patience > 0:
        cbs.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=float(train.lr_factor), patience=lr_patience, min_lr=1e-5
            )
        )
    weights = getattr(data, "weights_train", None)  # per-event weights of the data (L1 background mixture)
    weights = None if weights is None else np.asarray(weights, dtype=np.float32)
    split = {"validation_split": val}
    copies = getattr(data, "x_train_augmented", ())
    if copies:
        x, y, weights, split = augmented(x, y, weights, copies, val)
    t0 = time.perf_counter()
    if epochs > 0:
        hist = model.fit(
            x,
            y,
            sample_weight=weights,
            epochs=int(epochs),
            batch_size=int(train.batch_size),
            shuffle=True,
            callbacks=cbs,
            verbose=0,
            **split,
        )
        history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    else:
        history = {}
    seconds = time.perf_counter() - t0
    epochs_run = len(next(iter(history.values()))) if history else 0
    return TrainResult(model=model, history=history, epochs_run=epochs_run, seconds=seconds)


def fit_rows(n: int, validation_split: float) -> int:
    """How many leading rows Keras fits on with ``validation_split`` (the rest validate): its own rounding."""
    return int(math.floor(n * (1.0 - validation_split)))


def augmented(x, y, weights, copies, val: float):
    """(x, y, weights, fit kwargs) with ``copies`` (data.augment's reflections of x) appended to the fitted rows
    only: the validation rows are the last ``val`` of ``x`` as Keras' validation_split takes them, unaugmented."""
    n = fit_rows(len(x), val)
    if n <= 0:
        raise DataError(f"data.augment: train.validation_split {val} leaves no training rows of {len(x)}")
    xs = np.concatenate([x[:n]] + [np.asarray(c[:n], dtype=np.float32) for c in copies])
    ys = np.concatenate([y[:n]] * (1 + len(copies)))
    ws = None if weights is None else np.concatenate([weights[:n]] * (1 + len(copies)))
    if n == len(x):
        return xs, ys, ws, {}
    held = (x[n:], y[n:]) if weights is None else (x[n:], y[n:], weights[n:])
    return xs, ys, ws, {"validation_data": held}


def train_float(model, data, train) -> TrainResult:
    """Train the float model of ``data`` with the ``train`` settings (a TrainSpec); seeded and deterministic."""
    seed_everything(train.seed)
    compile_model(model, getattr(data, "task", "classification"), train.learning_rate)
    return fit(model, data, train, train.epochs)


def evaluate(model, data) -> dict[str, float]:
    """Test-set loss (and accuracy for classifiers) of a compiled model."""
    x, y = targets(data, "test")
    if y.ndim == 2 and y.shape[1] == 2 and _one_output(model):
        y = y[:, 1:]
    values = model.evaluate(x, y, verbose=0, return_dict=True)
    return {k: float(v) for k, v in values.items()}
