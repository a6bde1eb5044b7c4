"""Model, reference and firmware outputs (one array, or a list for several outputs) as one [n, k] float64 array."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_rows(a: Any) -> np.ndarray:
    """One row per sample: every output (a VAE encoder's mean and log-variance ...) flattened, side by side, float64."""
    parts = a if isinstance(a, (list, tuple)) else [a]
    n = len(parts[0])
    return np.concatenate([np.asarray(p, dtype=np.float64).reshape(n, -1) for p in parts], axis=1)
