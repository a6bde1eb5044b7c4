"""Physics metrics of classifiers and anomaly scores: ROC/AUC, rejection, accuracy, trigger rates.

Conventions
-----------
- ROC and AUC are scikit-learn's (``sklearn.metrics.roc_curve`` with ``drop_intermediate=False``, then
  ``sklearn.metrics.auc``): one point per distinct score, from (0, 0) to (1, 1), an item selected when
  ``score >= threshold``; tied scores move both rates at once. AUC is the trapezoid integral, which equals the
  Mann-Whitney probability P(s_sig > s_bkg) + 0.5 P(s_sig == s_bkg). (codesign's earlier hand-written ROC gave
  the same arrays bit for bit; tests/test_metrics.py keeps it as the independent reference.)
- Per-event weights: every function takes ``weights=`` (float64, one per item, None = unit weights). Rates and
  efficiencies are then weighted fractions (sum of the weights selected / sum of all weights); unit weights give
  the unweighted figures bit for bit. Negative, NaN or infinite weights are refused, and so is a sample whose
  weights sum to 0.
- Multi-class: one-vs-rest per class (class c is the signal, all other classes the background).
- Background rejection at signal efficiency eps_S: 1/eps_B at the first (tightest) ROC point whose signal
  efficiency is >= eps_S, i.e. the smallest eps_B that reaches eps_S; ``None`` when no background survives (rejection not measurable with the sample).
- Anomaly detection (ADC2021 / AXOL1TL convention): the background sample stands for what reaches the
  L1 trigger at every bunch crossing, so a threshold that keeps a fraction FPR of the background fires at
  ``rate = f_BX * FPR`` with f_BX = 40 MHz (pass 28.61 MHz for the filled-bunch rate of the 2544-bunch
  LHC scheme). FPR = 1e-5 is 0.4 kHz at 40 MHz. The TPR at a target FPR uses the lowest background score
  as threshold whose (weighted) background fraction strictly above it is at most FPR: unweighted, the threshold
  keeps at most ``floor(FPR * N_bkg)`` background events. When not even the highest background event fits
  under FPR (``FPR * N_bkg < 1`` unweighted) the background sample cannot resolve that point, the threshold
  falls back to the highest background score, and the value is flagged ``resolved = False``. The rate in kHz
  at a threshold is f_BX times the weighted background fraction above it.
- Reached FPR: with weights (or ties) the background fraction above the threshold (``fpr_reached``) can fall well
  below the FPR asked for, when a heavy event straddles it: the point then sits at a lower rate than its label.
  ``fpr_short`` marks a resolved point whose reached FPR is below ``SHORT_FPR_FRACTION`` (one half) of the asked
  one: its TPR belongs to a tighter working point, and two stages compared there may not be like for like.
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
SHORT_FPR_FRACTION = 0.5  # a resolved point reaching less than this fraction of its FPR is marked fpr_short


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


# --- anomaly detection ------------------------------------------------------------------------------
def threshold_in_sorted(descending: np.ndarray, cumulative: np.ndarray, fpr: float) -> tuple[float, bool]:
    """:func:`threshold_at_fpr` on scores sorted high to low with ``cumulative`` = [0, cumsum(weights)] in that
    order (the bootstrap sorts once and calls this per resample)."""
    k = int(np.searchsorted(cumulative, fpr * cumulative[-1], side="right")) - 1  # most events that fit under fpr
    if k >= len(descending):
        return float(np.nextafter(descending[-1], -np.inf)), True
    return float(descending[k]), k >= 1


def threshold_at_fpr(
    background_scores: np.ndarray, fpr: float, weights: np.ndarray | None = None
) -> tuple[float, bool]:
    """Threshold whose (weighted) background fraction with score > threshold is at most fpr, and whether resolved.

    Unweighted it keeps at most floor(fpr * N) background events (unit weights give the same threshold)."""
    s = np.asarray(background_scores, dtype=np.float64).ravel()
    if len(s) == 0:
        raise DataError("no background scores")
    w = check_weights(weights, len(s), "background events")
    order = np.argsort(-s, kind="stable")
    w_sorted = np.ones(len(s)) if w is None else w[order]
    return threshold_in_sorted(s[order], np.concatenate([[0.0], np.cumsum(w_sorted)]), fpr)


def fraction_above(scores: np.ndarray, threshold: float, weights: np.ndarray | None = None) -> float:
    """(Weighted) fraction of items with score > threshold."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    if weights is None:
        return float(np.mean(s > threshold))
    w = check_weights(weights, len(s))
    return float(np.sum(w[s > threshold]) / np.sum(w))


def trigger_rate_khz(
    background_scores: np.ndarray,
    threshold: float,
    bunch_crossing_mhz: float = BUNCH_CROSSING_RATE_MHZ,
    weights: np.ndarray | None = None,
) -> float:
    """L1 rate in kHz of a 'score > threshold' trigger: f_BX x (weighted) fraction of background above threshold."""
    return float(bunch_crossing_mhz * 1e3 * fraction_above(background_scores, threshold, weights))


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
    fpr_reached: float | None = None  # (weighted) background fraction above the threshold
    fpr_short: bool = False  # resolved, but fpr_reached < SHORT_FPR_FRACTION * fpr (a heavy event straddles it)

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
    weighted: bool = False
    n_background_effective: float | None = None  # Kish's effective size of a weighted background

    def signal(self, name: str) -> SignalMetrics:
        """Figures of one signal by name."""
        for s in self.signals:
            if s.name == name:
                return s
        raise KeyError(f"no signal {name!r}; have {[s.name for s in self.signals]}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = {
            "n_background": self.n_background,
            "bunch_crossing_mhz": self.bunch_crossing_mhz,
            "fprs": list(self.fprs),
            "signals": {s.name: s.to_dict() for s in self.signals},
            "weighted": self.weighted,
        }
        if self.weighted:
            out["n_background_effective"] = self.n_background_effective
        return _plain(out)


def anomaly_metrics(
    background_scores: np.ndarray,
    signal_scores: Mapping[str, np.ndarray],
    fprs: Sequence[float] = DEFAULT_FPRS,
    bunch_crossing_mhz: float = BUNCH_CROSSING_RATE_MHZ,
    weights: np.ndarray | None = None,
    signal_weights: Mapping[str, np.ndarray | None] | None = None,
) -> AnomalyMetrics:
    """AUC and TPR at each FPR (with threshold and L1 rate) for every signal; higher score = more anomalous.

    ``weights`` are the background events' (thresholds and rates come from the weighted background),
    ``signal_weights`` ``{signal: weights}`` the signals' (a signal left out has unit weights)."""
    bkg = np.asarray(background_scores, dtype=np.float64).ravel()
    if not np.all(np.isfinite(bkg)):
        raise DataError("background scores hold NaN/Inf values")
    w_bkg = check_weights(weights, len(bkg), "background events")
    signal_weights = dict(signal_weights or {})
    unknown = sorted(set(signal_weights) - set(signal_scores))
    if unknown:
        raise DataError(f"weights given for unknown signal(s) {unknown}; signals: {sorted(signal_scores)}")
    thresholds = {f: threshold_at_fpr(bkg, f, w_bkg) for f in fprs}
    reached = {f: fraction_above(bkg, thr, w_bkg) for f, (thr, _) in thresholds.items()}
    rates = {f: float(bunch_crossing_mhz * 1e3 * reached[f]) for f in thresholds}
    signals = []
    for name, scores in signal_scores.items():
        sig = np.asarray(scores, dtype=np.float64).ravel()
        if sig.size == 0:
            raise DataError(f"signal {name!r} has no events: AUC and efficiencies are undefined")
        w_sig = check_weights(signal_weights.get(name), len(sig), f"{name} events")
        truth = np.concatenate([np.zeros(len(bkg), bool), np.ones(len(sig), bool)])
        weighted = w_bkg is not None or w_sig is not None
        both = None if not weighted else np.concatenate([
            np.ones(len(bkg)) if w_bkg is None else w_bkg, np.ones(len(sig)) if w_sig is None else w_sig])  # fmt: skip
        points = tuple(
            OperatingPoint(fpr=float(f), threshold=thr, tpr=fraction_above(sig, thr, w_sig), rate_khz=rates[f],
                           resolved=resolved, fpr_reached=reached[f],
                           fpr_short=bool(resolved and reached[f] < SHORT_FPR_FRACTION * f))  # fmt: skip
            for f, (thr, resolved) in thresholds.items()
        )
        signals.append(SignalMetrics(name, roc_auc(truth, np.concatenate([bkg, sig]), both), points, len(sig)))
    weighted = w_bkg is not None or any(v is not None for v in signal_weights.values())
    return AnomalyMetrics(tuple(signals), len(bkg), float(bunch_crossing_mhz), tuple(float(f) for f in fprs),
                          weighted=weighted, n_background_effective=effective_count(w_bkg, len(bkg)))  # fmt: skip
