"""Magnitude pruning with tensorflow-model-optimization, returning a plain (un-wrapped) Keras model.

Every trainable Dense/Conv1D kernel is wrapped with ``prune_low_magnitude`` and a PolynomialDecay schedule
from 0 to the target sparsity; the model is fine-tuned for ``prune.epochs`` epochs (no early stopping: the
schedule must finish), stripped, and its weights are copied into a fresh clone of the float model, because
``strip_pruning`` output cannot be sliced or re-cloned reliably. The zeros of that model are the mask that
quantization-aware training keeps.
"""

from __future__ import annotations

import math

import numpy as np

from codesign import distill, keras_env
from codesign.errors import InternalError, SpecError
from codesign.train import TrainResult, compile_model, fit, fit_rows, seed_everything

keras = keras_env.keras()
import tensorflow_model_optimization as tfmot  # noqa: E402  (after keras_env: selects tf-keras)

PRUNABLE = ("Dense", "Conv1D", "QDense", "QConv1D")
# A pruned layer may miss its target by rounding (one weight, or this fraction); beyond that the schedule failed.
SPARSITY_TOLERANCE = 0.02
MIN_UPDATES = 4


def prunable_layers(model) -> list[str]:
    """Names of the layers that carry a trainable kernel that pruning and the mask apply to."""
    return [
        layer.name
        for layer in model.layers
        if type(layer).__name__ in PRUNABLE and layer.trainable and getattr(layer, "kernel", None) is not None
    ]


def sparsity_of(kernels: dict[str, np.ndarray]) -> dict:
    """Fraction of exact-zero entries per kernel and over all of them: ``{"layers": {...}, "total": f}``."""
    per_layer = {name: float(np.mean(np.asarray(k) == 0)) for name, k in kernels.items()}
    n_zero = sum(int(np.sum(np.asarray(k) == 0)) for k in kernels.values())
    n_all = sum(int(np.asarray(k).size) for k in kernels.values())
    return {"layers": per_layer, "total": n_zero / n_all if n_all else 0.0}


def kernels(model) -> dict[str, np.ndarray]:
    """The float kernel of each prunable layer, by layer name."""
    return {name: model.get_layer(name).kernel.numpy() for name in prunable_layers(model)}


def sparsity(model) -> dict:
    """Fraction of exact-zero kernel weights per prunable layer and in total (float weights as stored)."""
    return sparsity_of(kernels(model))


def masks(model) -> dict[str, np.ndarray]:
    """Per-layer boolean masks (True = weight kept) of the prunable kernels of a pruned model."""
    return {name: k != 0 for name, k in kernels(model).items()}


def fresh_copy(model):
    """An independent clone of ``model`` (new layer objects, same names and weights)."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def schedule_steps(n_fit: int, batch_size: int, epochs: int, prune) -> tuple[int, int, int]:
    """(begin_step, end_step, frequency) of the schedule: end_step is a pruning step, so the target is hit,
    and the frequency is lowered when needed to give at least ``MIN_UPDATES`` mask updates."""
    steps = math.ceil(n_fit / batch_size) * epochs
    begin = int(prune.begin_fraction * steps)
    end = int(prune.end_fraction * steps)
    if end <= begin:
        raise SpecError(
            f"prune: the schedule has {steps} training steps ({epochs} prune.epochs x {math.ceil(n_fit / batch_size)} "
            f"batches) and prune.begin_fraction {prune.begin_fraction} .. end_fraction {prune.end_fraction} leaves "
            f"no step to prune over (accepted: end_fraction > begin_fraction by at least one step; raise "
            f"prune.epochs or end_fraction)"
        )
    # At least MIN_UPDATES mask updates: with few steps (small data sets) one-shot pruning at the last
    # step leaves no time to recover.
    freq = max(1, min(int(prune.frequency), (end - begin) // MIN_UPDATES))
    end = begin + ((end - begin) // freq) * freq
    return begin, end, freq


def layer_targets(model, prune) -> dict[str, float]:
    """Target sparsity of each prunable layer: ``prune.sparsity`` unless ``prune.layers`` names the layer."""
    names = prunable_layers(model)
    overrides = dict(getattr(prune, "layers", None) or {})
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise SpecError(f"prune.layers names {unknown}, which are not prunable layers of model {model.name!r}; "
                        f"accepted: {', '.join(names)}")  # fmt: skip
    return {name: float(overrides.get(name, prune.sparsity)) for name in names}


def _wrap(model, schedules: dict):
    def clone_fn(layer):
        if layer.name in schedules:
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedules[layer.name])
        return layer

    return keras.models.clone_model(model, clone_function=clone_fn)


def prune(model, data, prune, train) -> TrainResult:
    """Prune ``model`` to ``prune.sparsity`` (PruneSpec; ``prune.layers`` per layer) while fine-tuning (TrainSpec).

    Returns a plain model; ``model`` itself is left unchanged. A layer whose target is 0 stays dense (and is still
    fine-tuned). Raises when a layer ends further than the tolerance from its target.
    """
    if not prunable_layers(model):
        raise SpecError(f"model {model.name!r} has no Dense/Conv1D kernel to prune")
    targets = layer_targets(model, prune)
    if not any(0 < t < 1 for t in targets.values()):  # prune.layers alone may ask for it, with prune.sparsity 0
        asked = dict(getattr(prune, "layers", None) or {})
        raise SpecError(f"prune: no layer has a target sparsity in (0, 1) (prune.sparsity {prune.sparsity}, "
                        f"prune.layers {asked}); accepted: prune.sparsity or a prune.layers entry in (0, 1)")  # fmt: skip
    seed_everything(train.seed)
    distilling = bool(getattr(prune, "distill", False))
    if distilling:  # the schedule's steps count the widened copies too
        data, copies = distill.marked_fit_set(data, getattr(prune, "distill_widen", "none"), int(train.seed))
        own = ~copies if getattr(prune, "distill_background", "teacher") == "own" else None
    n = len(data.x_train)
    n_fit = fit_rows(n, float(train.validation_split))  # the rows Keras fits on, by its own rounding
    n_fit *= 1 + len(getattr(data, "x_train_augmented", ()))  # data.augment's copies: more steps per epoch
    begin, end, freq = schedule_steps(n_fit, int(train.batch_size), int(prune.epochs), prune)
    schedules = {
        name: tfmot.sparsity.keras.PolynomialDecay(
            initial_sparsity=0.0, final_sparsity=t, begin_step=begin, end_step=end, frequency=freq
        )
        for name, t in targets.items()
        if t > 0
    }
    wrapped = _wrap(fresh_copy(model), schedules)
    task = getattr(data, "task", "classification")
    if distilling:
        student, y, loss = distill.student_and_targets(model, wrapped, data, task, own=own)
        student.compile(optimizer=keras.optimizers.Adam(learning_rate=float(train.learning_rate)), loss=loss)
    else:
        student, y = wrapped, None
        compile_model(wrapped, task, train.learning_rate)
    result = fit(
        student,
        data,
        train,
        int(prune.epochs),
        callbacks=[tfmot.sparsity.keras.UpdatePruningStep()],
        early_stopping=False,
        y=y,
    )
    stripped = tfmot.sparsity.keras.strip_pruning(wrapped)
    out = fresh_copy(model)
    for layer in out.layers:
        layer.set_weights(stripped.get_layer(layer.name).get_weights())
    compile_model(out, getattr(data, "task", "classification"), train.learning_rate)
    reached = sparsity(out)
    sizes = {k: v.size for k, v in kernels(out).items()}
    short = {k: v for k, v in reached["layers"].items() if v < targets[k] - max(SPARSITY_TOLERANCE, 1.0 / sizes[k])}
    if short:
        raise InternalError(
            f"pruning stopped short of the target sparsity {targets} in layers {short} "
            f"(schedule steps {begin}..{end} every {freq}); this is a bug in the schedule arithmetic"
        )
    return TrainResult(model=out, history=result.history, epochs_run=result.epochs_run, seconds=result.seconds)
