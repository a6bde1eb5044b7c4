"""Model, reference and firmware outputs (one array, or a list for several outputs) as one [n, k] float64 array."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_rows(a: Any) -> np.ndarray:
    """One row per sample: every output (a VAE encoder's mean and log-variance ...) flattened, side by side, float64."""
    parts = a if isinstance(a, (list, tuple)) else [a]
    n = len(parts[0])
    return np.concatenate([np.asarray(p, dtype=np.float64).reshape(n, -1) for p in parts], axis=1)


def n_rows(x: Any) -> int:
    """The number of samples of a model's inputs: one array, or a list with one array per input."""
    return len(x[0] if isinstance(x, (list, tuple)) else x)


def take_rows(x: Any, index: Any) -> Any:
    """The samples ``index`` (a slice or an index array) of every input: one array, or a list with one per input."""
    return [np.asarray(a)[index] for a in x] if isinstance(x, (list, tuple)) else np.asarray(x)[index]


def join_rows(parts: list[Any]) -> Any:
    """Sample blocks of a model's inputs, one after another (each one array, or a list with one per input)."""
    if isinstance(parts[0], (list, tuple)):
        return [np.concatenate([p[i] for p in parts], axis=0) for i in range(len(parts[0]))]
    return np.concatenate(parts, axis=0)
