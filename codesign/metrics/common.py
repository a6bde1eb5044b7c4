"""What every metric shares: per-item weights (checked once, Kish's effective size) and JSON-ready values."""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import DataError


def _plain(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays and tuples into JSON-ready Python values (NaN/inf -> None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if np.isfinite(f) else None
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def check_weights(weights: np.ndarray | None, n: int, what: str = "items") -> np.ndarray | None:
    """Per-item weights as float64 (None stays None = unit weights); DataError when they cannot be weights."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (n,):
        raise DataError(f"{len(w)} weights for {n} {what} (accepted: one float weight per item, or none)")
    bad = ~np.isfinite(w)
    if bad.any():
        raise DataError(f"weights of the {what} hold {int(bad.sum())} NaN/Inf values (first at index "
                        f"{int(np.argmax(bad))}); accepted: finite weights >= 0")  # fmt: skip
    if (w < 0).any():
        first = int(np.argmax(w < 0))
        raise DataError(f"weights of the {what} hold {int((w < 0).sum())} negative values (first at index {first}: "
                        f"{w[first]:g}); accepted: weights >= 0 (negative-weight events are not supported)")  # fmt: skip
    if not w.sum() > 0:
        raise DataError(f"the weights of the {what} sum to 0: no rate or efficiency is defined (accepted: weights "
                        ">= 0 with a positive sum)")  # fmt: skip
    return w


def effective_count(weights: np.ndarray | None, n: int) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2: how many unweighted events the weighted sample is worth."""
    if weights is None:
        return float(n)
    w = np.asarray(weights, dtype=np.float64)
    return float(w.sum() ** 2 / np.sum(w * w))
