"""Distillation of an anomaly model: the pruned (or quantized) student fits the float teacher's outputs.

An autoencoder's student fits the teacher's reconstruction; a VAE's student fits the teacher encoder's z_mean and
z_log_var (what its score is made of) while its decoder keeps its own target (the input) and its KL term.

The fit set is the training background, optionally with one widened copy of it (``widen``), made without any
signal so that the student also learns how the teacher scores inputs the background rarely shows (the anomaly
tail):

- ``scale``: each event's standardized features times one factor drawn from U(1, 3);
- ``noise``: Gaussian noise of a standard deviation drawn per event from U(1, 3) added to every feature (the
  features are z-scores, so 1-3 sigma);
- ``mix``: each feature taken from another random event (one permutation per feature).

A copy is put on the input grid (rounded, saturated) as the firmware would see it, carries the weight of the
event it was made from, and is shuffled in with the background, so the validation split holds both.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from codesign import keras_env
from codesign.errors import InternalError, SpecError

keras = keras_env.keras()

WIDEN = ("none", "scale", "noise", "mix")
WIDEN_RANGE = (1.0, 3.0)  # scale factor / noise sigma range of the widened copies
HEADS = ("z_mean", "z_log_var")


def widened(x: np.ndarray, kind: str, seed: int) -> np.ndarray:
    """One widened copy of the events ``x`` (kind: scale, noise or mix), not yet on the input grid."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    per_event = (n,) + (1,) * (x.ndim - 1)
    if kind == "scale":
        return x * rng.uniform(*WIDEN_RANGE, size=per_event)
    if kind == "noise":
        return x + rng.normal(size=x.shape) * rng.uniform(*WIDEN_RANGE, size=per_event)
    if kind == "mix":
        flat = x.reshape(n, -1)
        out = np.stack([flat[rng.permutation(n), j] for j in range(flat.shape[1])], axis=1)
        return out.reshape(x.shape)
    raise SpecError(f"prune.distill_widen {kind!r} is not known (accepted: {', '.join(WIDEN)})")


def fit_set(data, widen: str, seed: int):
    """The data to distill on: ``data`` itself for ``widen: none``, else its training background plus one widened
    copy, on the input grid and shuffled (a new Dataset; the test set and signals are unchanged)."""
    return marked_fit_set(data, widen, seed)[0]


def marked_fit_set(data, widen: str, seed: int):
    """(:func:`fit_set`, a boolean per training row: True for the widened copies)."""
    if widen == "none":
        return data, np.zeros(len(data.x_train), dtype=bool)
    x = np.asarray(data.x_train)
    extra = widened(x, widen, seed)
    precision = getattr(data, "input_precision", None)
    if precision is not None:
        from codesign.datasets import _snap_precision

        extra = _snap_precision(precision).quantize(extra)
    order = np.random.default_rng(seed + 1).permutation(2 * len(x))
    doubled = {"x_train": np.concatenate([x, np.asarray(extra, dtype=x.dtype)])[order]}
    for name in ("y_train", "weights_train"):  # a copy is labelled and weighted as the event it was made from
        value = getattr(data, name, None)
        if value is not None:
            doubled[name] = np.concatenate([value, value])[order]
    return replace(data, **doubled), (order >= len(x))


def _output_of(model, name: str):
    """The output of layer ``name`` in ``model``, also when it is wrapped for pruning."""
    for layer in model.layers:
        if name in (layer.name, getattr(getattr(layer, "layer", None), "name", None)):
            return layer.output
    raise InternalError(f"model {model.name!r} has no layer {name!r}")


def _masked_mse(y_true, y_pred):
    """Mean squared error over all but the last column of ``y_true``, times that column (0: no target)."""
    import tensorflow as tf

    return tf.reduce_mean(y_true[:, -1:] * tf.square(y_true[:, :-1] - y_pred), axis=-1)


def student_and_targets(teacher, model, data, task: str, key: str = "prune.distill", own=None):
    """(student, targets, loss) for fitting ``model`` (pruning-wrapped or QKeras) toward ``teacher``'s outputs on
    ``data.x_train``; ``key`` names the spec setting in the error for a classifier.

    ``own`` (a boolean per training row) marks events that keep the model's own loss instead: the AE's input as its
    target, no z_mean / z_log_var target for the VAE (its reconstruction and KL terms stay on every event)."""
    from codesign.zoo import is_vae

    if task != "anomaly":
        raise SpecError(f"{key} applies to anomaly models (model.family vae or ae); a classifier is trained "
                        f"against its labels (remove {key})")  # fmt: skip
    x = np.asarray(data.x_train, dtype=np.float32)
    if not is_vae(teacher):
        y = teacher.predict(x, batch_size=4096, verbose=0)
        if own is not None:
            y = np.where(np.reshape(own, (-1,) + (1,) * (y.ndim - 1)), x.reshape(y.shape), y)
        return model, y, "mse"
    enc = keras.Model(teacher.input, [teacher.get_layer(h).output for h in HEADS])
    mu, lv = enc.predict(x, batch_size=4096, verbose=0)
    student = keras.Model(model.input, [*(_output_of(model, h) for h in HEADS), model.output])
    if own is None:
        return student, [mu, lv, x], "mse"
    flag = (~np.asarray(own, dtype=bool)).astype(np.float32)[:, None]
    heads = [np.concatenate([t, flag], axis=1) for t in (mu, lv)]
    return student, [*heads, x], [_masked_mse, _masked_mse, "mse"]
