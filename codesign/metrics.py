"""Physics metrics of classifiers and anomaly scores: ROC/AUC, rejection, accuracy, trigger rates.

Conventions
-----------
- ROC: an item is selected when ``score > threshold`` (strictly). The curve runs over every distinct
  score, from (0, 0) to (1, 1); tied scores move both rates at once. AUC is the trapezoid integral,
  which equals the Mann-Whitney probability P(s_sig > s_bkg) + 0.5 P(s_sig == s_bkg).
- Multi-class: one-vs-rest per class (class c is the signal, all other classes the background).
- Background rejection at signal efficiency eps_S: 1/eps_B at the first (tightest) ROC point whose signal
  efficiency is >= eps_S, i.e. the smallest eps_B that reaches eps_S; ``None`` when no background survives (rejection not measurable with the sample).
- Anomaly detection (ADC2021 / AXOL1TL convention): the background sample stands for what reaches the
  L1 trigger at every bunch crossing, so a threshold that keeps a fraction FPR of the background fires at
  ``rate = f_BX * FPR`` with f_BX = 40 MHz (pass 28.61 MHz for the filled-bunch rate of the 2544-bunch
  LHC scheme). FPR = 1e-5 is 0.4 kHz at 40 MHz. The TPR at a target FPR uses the threshold that keeps
  at most ``floor(FPR * N_bkg)`` background events; when ``FPR * N_bkg < 1`` the background sample cannot
  resolve that point, the threshold falls back to the highest background score, and the value is flagged
  ``resolved = False``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from codesign.errors import DataError

BUNCH_CROSSING_RATE_MHZ = 40.0
DEFAULT_FPRS = (1e-5, 1e-4, 1e-3)
DEFAULT_SIGNAL_EFFICIENCIES = (0.3, 0.5)


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


def _binary_inputs(is_signal: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a binary truth vector and matching finite scores."""
    y = np.asarray(is_signal).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise DataError(f"{len(y)} labels but {len(s)} scores")
    if not np.all(np.isfinite(s)):
        raise DataError(f"scores hold {int(np.sum(~np.isfinite(s)))} NaN/Inf values")
    if y.all() or not y.any():
        raise DataError("ROC needs both signal and background items")
    return y, s


def roc_curve(is_signal: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False- and true-positive rates for 'score > threshold' over all distinct thresholds, and the thresholds."""
    y, s = _binary_inputs(is_signal, scores)
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    # Last index of each group of equal scores: a threshold just below that score selects the group.
    last = np.flatnonzero(np.diff(s_sorted) != 0.0)
    last = np.append(last, len(s_sorted) - 1)
    tp = np.cumsum(y_sorted)[last]
    fp = (last + 1) - tp
    tpr = np.concatenate([[0.0], tp / y.sum()])
    fpr = np.concatenate([[0.0], fp / (~y).sum()])
    thresholds = np.concatenate([[np.inf], s_sorted[last]])
    return fpr, tpr, thresholds


def auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Area under a ROC curve (trapezoid rule over fpr)."""
    return float(np.trapezoid(tpr, fpr)) if hasattr(np, "trapezoid") else float(np.trapz(tpr, fpr))


def roc_auc(is_signal: np.ndarray, scores: np.ndarray) -> float:
    """AUC of scores separating signal (True) from background (False)."""
    fpr, tpr, _ = roc_curve(is_signal, scores)
    return auc(fpr, tpr)


def background_rejection(is_signal: np.ndarray, scores: np.ndarray, signal_efficiency: float) -> float | None:
    """1/eps_B at the tightest threshold reaching the signal efficiency (None if eps_B = 0)."""
    if not 0.0 < signal_efficiency <= 1.0:
        raise DataError(f"signal efficiency must be in (0, 1], got {signal_efficiency}")
    fpr, tpr, _ = roc_curve(is_signal, scores)
    index = int(np.argmax(tpr >= signal_efficiency - 1e-12))
    eps_b = float(fpr[index])
    return 1.0 / eps_b if eps_b > 0.0 else None


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
    confusion: tuple[tuple[int, ...], ...]  # rows: true class, columns: predicted class
    per_class: tuple[ClassMetrics, ...]
    mean_auc: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return _plain(
            {
                "class_names": list(self.class_names),
                "accuracy": self.accuracy,
                "mean_auc": self.mean_auc,
                "confusion": [list(r) for r in self.confusion],
                "per_class": {c.name: c.to_dict() for c in self.per_class},
            }
        )


def _class_indices(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Integer classes from integer labels or one-hot rows."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if labels.shape[1] != n_classes:
            raise DataError(f"one-hot labels have {labels.shape[1]} columns, expected {n_classes}")
        return np.argmax(labels, axis=1)
    return labels.astype(np.int64).ravel()


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts [n_classes, n_classes]: rows true class, columns predicted class."""
    out = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(out, (np.asarray(true, np.int64), np.asarray(predicted, np.int64)), 1)
    return out


def accuracy(true: np.ndarray, predicted: np.ndarray) -> float:
    """Fraction of items whose predicted class is the true class."""
    true, predicted = np.asarray(true).ravel(), np.asarray(predicted).ravel()
    return float(np.mean(true == predicted))


def classification_metrics(
    labels: np.ndarray,
    scores: np.ndarray,
    class_names: Sequence[str],
    signal_efficiencies: Sequence[float] = DEFAULT_SIGNAL_EFFICIENCIES,
) -> ClassificationMetrics:
    """Accuracy, confusion matrix and one-vs-rest AUC / rejection of class scores [N, C]."""
    scores = np.asarray(scores, dtype=np.float64)
    n_classes = len(class_names)
    if scores.ndim != 2 or scores.shape[1] != n_classes:
        raise DataError(f"scores have shape {scores.shape}, expected [N, {n_classes}]")
    true = _class_indices(labels, n_classes)
    if len(true) != len(scores):
        raise DataError(f"{len(true)} labels but {len(scores)} score rows")
    predicted = np.argmax(scores, axis=1)
    per_class = []
    for c, name in enumerate(class_names):
        is_c = true == c
        if is_c.all() or not is_c.any():
            per_class.append(ClassMetrics(name, float("nan"), {e: None for e in signal_efficiencies}, int(is_c.sum())))
            continue
        per_class.append(
            ClassMetrics(
                name=name,
                auc=roc_auc(is_c, scores[:, c]),
                rejection={e: background_rejection(is_c, scores[:, c], e) for e in signal_efficiencies},
                n_items=int(is_c.sum()),
            )
        )
    aucs = [c.auc for c in per_class if np.isfinite(c.auc)]
    return ClassificationMetrics(
        class_names=tuple(class_names),
        accuracy=accuracy(true, predicted),
        confusion=tuple(tuple(int(v) for v in row) for row in confusion_matrix(true, predicted, n_classes)),
        per_class=tuple(per_class),
        mean_auc=float(np.mean(aucs)) if aucs else float("nan"),
    )


# --- anomaly detection ------------------------------------------------------------------------------
def threshold_at_fpr(background_scores: np.ndarray, fpr: float) -> tuple[float, bool]:
    """Threshold keeping at most floor(fpr * N) background events with score > threshold, and whether resolved."""
    s = np.sort(np.asarray(background_scores, dtype=np.float64).ravel())[::-1]
    if len(s) == 0:
        raise DataError("no background scores")
    k = int(np.floor(fpr * len(s)))
    if k >= len(s):
        return float(np.nextafter(s[-1], -np.inf)), True
    return float(s[k]), k >= 1


def trigger_rate_khz(
    background_scores: np.ndarray, threshold: float, bunch_crossing_mhz: float = BUNCH_CROSSING_RATE_MHZ
) -> float:
    """L1 rate in kHz of a 'score > threshold' trigger: f_BX x fraction of background above threshold."""
    s = np.asarray(background_scores, dtype=np.float64).ravel()
    return float(bunch_crossing_mhz * 1e3 * np.mean(s > threshold))


def rate_at_fpr_khz(fpr: float, bunch_crossing_mhz: float = BUNCH_CROSSING_RATE_MHZ) -> float:
    """The L1 rate in kHz that a background false-positive rate ``fpr`` stands for: f_BX x FPR (1e-5 -> 0.4 kHz).

    The one place this figure is computed: report.md's operating-point labels and the ROC plot's legend use it.
    """
    return float(bunch_crossing_mhz * 1e3 * fpr)


def fpr_for_rate(rate_khz: float, bunch_crossing_mhz: float = BUNCH_CROSSING_RATE_MHZ) -> float:
    """Background fraction that a trigger rate in kHz allows: rate / f_BX."""
    return float(rate_khz / (bunch_crossing_mhz * 1e3))


@dataclass(frozen=True)
class OperatingPoint:
    """Signal efficiency at a background false-positive rate, with the threshold and its L1 rate."""

    fpr: float
    threshold: float
    tpr: float
    rate_khz: float
    resolved: bool  # False when fpr * N_background < 1: the background sample cannot resolve this point

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return _plain(self.__dict__)


@dataclass(frozen=True)
class SignalMetrics:
    """Anomaly-score figures of one signal against the background."""

    name: str
    auc: float
    points: tuple[OperatingPoint, ...]
    n_signal: int

    def tpr_at(self, fpr: float) -> float:
        """Signal efficiency at one of the evaluated false-positive rates."""
        for p in self.points:
            if np.isclose(p.fpr, fpr):
                return p.tpr
        raise KeyError(f"FPR {fpr:g} not evaluated; have {[p.fpr for p in self.points]}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return _plain(
            {"name": self.name, "auc": self.auc, "n": self.n_signal,
             "points": {f"{p.fpr:g}": p.to_dict() for p in self.points}}
        )


@dataclass(frozen=True)
class AnomalyMetrics:
    """Anomaly-score figures of every signal, with the background size and bunch-crossing rate used."""

    signals: tuple[SignalMetrics, ...]
    n_background: int
    bunch_crossing_mhz: float
    fprs: tuple[float, ...] = field(default=DEFAULT_FPRS)

    def signal(self, name: str) -> SignalMetrics:
        """Figures of one signal by name."""
        for s in self.signals:
            if s.name == name:
                return s
        raise KeyError(f"no signal {name!r}; have {[s.name for s in self.signals]}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return _plain(
            {
                "n_background": self.n_background,
                "bunch_crossing_mhz": self.bunch_crossing_mhz,
                "fprs": list(self.fprs),
                "signals": {s.name: s.to_dict() for s in self.signals},
            }
        )


def anomaly_metrics(
    background_scores: np.ndarray,
    signal_scores: Mapping[str, np.ndarray],
    fprs: Sequence[float] = DEFAULT_FPRS,
    bunch_crossing_mhz: float = BUNCH_CROSSING_RATE_MHZ,
) -> AnomalyMetrics:
    """AUC and TPR at each FPR (with threshold and L1 rate) for every signal; higher score = more anomalous."""
    bkg = np.asarray(background_scores, dtype=np.float64).ravel()
    if not np.all(np.isfinite(bkg)):
        raise DataError("background scores hold NaN/Inf values")
    thresholds = {f: threshold_at_fpr(bkg, f) for f in fprs}
    signals = []
    for name, scores in signal_scores.items():
        sig = np.asarray(scores, dtype=np.float64).ravel()
        if sig.size == 0:
            raise DataError(f"signal {name!r} has no events: AUC and efficiencies are undefined")
        truth = np.concatenate([np.zeros(len(bkg), bool), np.ones(len(sig), bool)])
        points = tuple(
            OperatingPoint(
                fpr=float(f),
                threshold=thr,
                tpr=float(np.mean(sig > thr)),
                rate_khz=trigger_rate_khz(bkg, thr, bunch_crossing_mhz),
                resolved=resolved,
            )
            for f, (thr, resolved) in thresholds.items()
        )
        signals.append(SignalMetrics(name, roc_auc(truth, np.concatenate([bkg, sig])), points, len(sig)))
    return AnomalyMetrics(tuple(signals), len(bkg), float(bunch_crossing_mhz), tuple(float(f) for f in fprs))
