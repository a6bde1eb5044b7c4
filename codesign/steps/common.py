"""Helpers the build steps share: model stage files, JSON, predictions as [n, k] float64."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from codesign import modelio
from codesign.arrays import as_rows
from codesign.durable import atomic_write_text
from codesign.pipeline import BuildContext


def _write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1))


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _model_path(ctx: BuildContext, stage: str) -> Path:
    return ctx.path("models", f"{stage}.h5")


def _load_stage(ctx: BuildContext, stage: str):
    path = _model_path(ctx, stage)
    return modelio.load_model(path, trust=ctx.trusts_model_code) if path.is_file() else None


def _stage_files(stage: str, history: str) -> list[str]:
    """A model stage's files, relative to the build folder (what the shared step cache stores)."""
    return [f"models/{stage}.h5", f"models/{history}_history.json"]


def _history_path(ctx: BuildContext, stage: str) -> Path:
    return ctx.path("models", f"{stage}_history.json")


def _remove_stage(ctx: BuildContext, stage: str, history: str) -> None:
    """Remove a model stage's files that an earlier build of another spec left in the folder (a build without
    pruning after one with it kept models/pruned.h5 beside a report that has no pruned stage)."""
    for rel in _stage_files(stage, history):
        ctx.path(*rel.split("/")).unlink(missing_ok=True)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _binary_scores(out: np.ndarray, probabilities: bool) -> np.ndarray:
    """A one-output binary classifier's scores as the two class columns [1 - p, p] the metrics read: ``out`` is the
    sigmoid's probability (``probabilities``) or a logit, which gets the sigmoid."""
    z = np.asarray(out, dtype=np.float64)[:, 0]
    p = z if probabilities else 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, without exp overflow
    return np.column_stack([1.0 - p, p])


# the steps' classes call it _as_2d, and a step's class source is part of its cache key: the name stays
_as_2d = as_rows


def _predict(model, x: np.ndarray) -> np.ndarray:
    """Keras predictions (softmax included) for the physics metrics of the float and quantized stages."""
    return _as_2d(model.predict(x, batch_size=4096, verbose=0))


def _user_model_is_source(ctx: BuildContext) -> bool:
    return ctx.spec is None or ctx.spec.model.file is not None
