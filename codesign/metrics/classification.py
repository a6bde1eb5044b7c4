"""Multi-class classifier figures: accuracy, confusion matrix and one-vs-rest AUC / rejection per class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from codesign.errors import DataError
from codesign.metrics.common import _plain, check_weights
from codesign.metrics.roc import auc, rejection_from_roc, roc_curve

DEFAULT_SIGNAL_EFFICIENCIES = (0.3, 0.5)


@dataclass(frozen=True)
class ClassMetrics:
    """One-vs-rest figures of one class."""

    name: str
    auc: float
    rejection: dict[float, float | None]  # signal efficiency -> 1/eps_B
    n_items: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return _plain(
            {"name": self.name, "auc": self.auc, "n": self.n_items,
             "rejection": {f"{k:g}": v for k, v in self.rejection.items()}}
        )


@dataclass(frozen=True)
class ClassificationMetrics:
    """Multi-class classifier figures: accuracy, confusion matrix and per-class one-vs-rest metrics."""

    class_names: tuple[str, ...]
    accuracy: float
    confusion: tuple[tuple[float, ...], ...]  # rows: true class, columns: predicted class (weighted sums if weighted)
    per_class: tuple[ClassMetrics, ...]
    mean_auc: float
    weighted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return _plain(
            {
                "class_names": list(self.class_names),
                "accuracy": self.accuracy,
                "mean_auc": self.mean_auc,
                "confusion": [list(r) for r in self.confusion],
                "per_class": {c.name: c.to_dict() for c in self.per_class},
                "weighted": self.weighted,
            }
        )


def class_indices(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Integer classes from integer labels or one-hot rows."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if labels.shape[1] != n_classes:
            raise DataError(f"one-hot labels have {labels.shape[1]} columns, expected {n_classes}")
        return np.argmax(labels, axis=1)
    return labels.astype(np.int64).ravel()


def confusion_matrix(
    true: np.ndarray, predicted: np.ndarray, n_classes: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """[n_classes, n_classes]: rows true class, columns predicted class; counts, or summed weights if given."""
    out = np.zeros((n_classes, n_classes), dtype=np.int64 if weights is None else np.float64)
    index = (np.asarray(true, np.int64), np.asarray(predicted, np.int64))
    np.add.at(out, index, 1 if weights is None else check_weights(weights, len(index[0])))
    return out


def accuracy(true: np.ndarray, predicted: np.ndarray, weights: np.ndarray | None = None) -> float:
    """(Weighted) fraction of items whose predicted class is the true class."""
    true, predicted = np.asarray(true).ravel(), np.asarray(predicted).ravel()
    if weights is None:
        return float(np.mean(true == predicted))
    w = check_weights(weights, len(true))
    return float(np.sum(w[true == predicted]) / np.sum(w))


def classification_metrics(
    labels: np.ndarray,
    scores: np.ndarray,
    class_names: Sequence[str],
    signal_efficiencies: Sequence[float] = DEFAULT_SIGNAL_EFFICIENCIES,
    weights: np.ndarray | None = None,
) -> ClassificationMetrics:
    """Accuracy, confusion matrix and one-vs-rest AUC / rejection of class scores [N, C] (weighted if given)."""
    scores = np.asarray(scores, dtype=np.float64)
    n_classes = len(class_names)
    if scores.ndim != 2 or scores.shape[1] != n_classes:
        raise DataError(f"scores have shape {scores.shape}, expected [N, {n_classes}]")
    true = class_indices(labels, n_classes)
    if len(true) != len(scores):
        raise DataError(f"{len(true)} labels but {len(scores)} score rows")
    w = check_weights(weights, len(true), "test items")
    for e in signal_efficiencies:
        if not 0.0 < e <= 1.0:
            raise DataError(f"signal efficiency must be in (0, 1], got {e}")
    predicted = np.argmax(scores, axis=1)
    per_class = []
    for c, name in enumerate(class_names):
        is_c = true == c
        if is_c.all() or not is_c.any() or (w is not None and not (w[is_c].sum() > 0 and w[~is_c].sum() > 0)):
            per_class.append(ClassMetrics(name, float("nan"), {e: None for e in signal_efficiencies}, int(is_c.sum())))
            continue
        fpr, tpr, _ = roc_curve(is_c, scores[:, c], w)
        per_class.append(
            ClassMetrics(
                name=name,
                auc=auc(fpr, tpr),
                rejection={e: rejection_from_roc(fpr, tpr, e) for e in signal_efficiencies},
                n_items=int(is_c.sum()),
            )
        )
    aucs = [c.auc for c in per_class if np.isfinite(c.auc)]
    confusion = confusion_matrix(true, predicted, n_classes, w)
    return ClassificationMetrics(
        class_names=tuple(class_names),
        accuracy=accuracy(true, predicted, w),
        confusion=tuple(tuple(v.item() for v in row) for row in confusion),
        per_class=tuple(per_class),
        mean_auc=float(np.mean(aucs)) if aucs else float("nan"),
        weighted=w is not None,
    )
