"""Anomaly scores as an L1 trigger: thresholds at a background FPR, their rates in kHz, TPR and AUC per signal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from codesign.errors import DataError
from codesign.metrics.common import _plain, check_weights, effective_count
from codesign.metrics.roc import roc_auc

BUNCH_CROSSING_RATE_MHZ = 40.0
DEFAULT_FPRS = (1e-5, 1e-4, 1e-3)
SHORT_FPR_FRACTION = 0.5  # a resolved point reaching less than this fraction of its FPR is marked fpr_short


def threshold_in_sorted(descending: np.ndarray, cumulative: np.ndarray, fpr: float) -> tuple[float, bool]:
    """:func:`threshold_at_fpr` on scores sorted high to low with ``cumulative`` = [0, cumsum(weights)] in that
    order (what :mod:`codesign.metrics_bootstrap` computes for many resamples at once)."""
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
