"""ROC curves (scikit-learn's, without dropping points), AUC and background rejection at a signal efficiency."""

from __future__ import annotations

import numpy as np

from codesign.errors import DataError
from codesign.metrics.common import check_weights


def _binary_inputs(is_signal: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None):
    """Validate a binary truth vector, matching finite scores and optional weights."""
    y = np.asarray(is_signal).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise DataError(f"{len(y)} labels but {len(s)} scores")
    if not np.all(np.isfinite(s)):
        raise DataError(f"scores hold {int(np.sum(~np.isfinite(s)))} NaN/Inf values")
    if y.all() or not y.any():
        raise DataError("ROC needs both signal and background items")
    w = check_weights(weights, len(y))
    if w is not None and not (w[y].sum() > 0 and w[~y].sum() > 0):
        raise DataError("ROC needs both signal and background items of positive weight")
    return y, s, w


def roc_curve(
    is_signal: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False- and true-positive rates (weighted when ``weights`` is given) over all distinct thresholds
    (``score >= threshold`` selects), and the thresholds; sklearn.metrics.roc_curve without dropping points."""
    from sklearn.metrics import roc_curve as sk_roc_curve

    y, s, w = _binary_inputs(is_signal, scores, weights)
    fpr, tpr, thresholds = sk_roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    return fpr, tpr, thresholds


def auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Area under a ROC curve (trapezoid rule over fpr; sklearn.metrics.auc)."""
    from sklearn.metrics import auc as sk_auc

    return float(sk_auc(fpr, tpr))


def roc_auc(is_signal: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None) -> float:
    """AUC of scores separating signal (True) from background (False), weighted when ``weights`` is given."""
    fpr, tpr, _ = roc_curve(is_signal, scores, weights)
    return auc(fpr, tpr)


def rejection_from_roc(fpr: np.ndarray, tpr: np.ndarray, signal_efficiency: float) -> float | None:
    """1/eps_B at the first ROC point whose signal efficiency reaches ``signal_efficiency`` (None if eps_B = 0)."""
    index = int(np.argmax(tpr >= signal_efficiency - 1e-12))
    eps_b = float(fpr[index])
    return 1.0 / eps_b if eps_b > 0.0 else None


def background_rejection(
    is_signal: np.ndarray, scores: np.ndarray, signal_efficiency: float, weights: np.ndarray | None = None
) -> float | None:
    """1/eps_B at the tightest threshold reaching the signal efficiency (None if eps_B = 0); weighted if given."""
    if not 0.0 < signal_efficiency <= 1.0:
        raise DataError(f"signal efficiency must be in (0, 1], got {signal_efficiency}")
    fpr, tpr, _ = roc_curve(is_signal, scores, weights)
    return rejection_from_roc(fpr, tpr, signal_efficiency)
