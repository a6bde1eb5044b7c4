"""Bootstrap intervals of the physics metrics, and which stage-vs-float differences are beyond that noise.

Method
------
``n`` resamples (seeded) of the test events with replacement, stratified: the background and each signal
apart (anomaly scores), each true class apart (classifiers), so every resample keeps the sample sizes. A
resample is a multiplicity per event (0, 1, 2, ...) multiplied into the event weights: the weighted bootstrap
when the data carry weights. Every figure is recomputed on every resample, thresholds at FPR included (on the
resampled background), and every stage (float, pruned, quantized, firmware) sees the same resamples, because
the stages score the same events: their differences are paired. An interval is the central ``confidence``
band of the resampled values (percentiles 16 and 84 for 0.68). A stage's figure is ``beyond_noise`` when it
lies outside the float figure's interval: the change is larger than what the test sample can measure. The band
of the paired difference (of the ratio, for rejections) is given as well; it says how well the change itself
is known and is narrow (the stages score the same events), so it leaves out 0 for almost any real change.

A TPR at an FPR whose threshold has fewer than ``MIN_TAIL_EVENTS`` (10) effective background events above it
is an extreme order statistic, for which the bootstrap is known to be unreliable: its interval is given but
marked ``tpr_interval_rough`` and its comparison is never flagged.

Each resample reuses one sort per score set (the figures are cumulative sums over the sorted events), so this
module has its own sorted-ROC arithmetic; tests/test_metrics_bootstrap.py checks it against
:mod:`codesign.metrics` (scikit-learn) on weighted samples. The resamples are drawn one after the other (one
seeded stream, stratum by stratum), then computed a few at a time as the rows of one array: every row goes
through the same floating-point operations, in the same order, as one resample alone would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from codesign.errors import DataError
from codesign.metrics import DEFAULT_FPRS, DEFAULT_SIGNAL_EFFICIENCIES, class_indices

DEFAULT_RESAMPLES = 200
DEFAULT_CONFIDENCE = 0.68
# A threshold at FPR set by fewer (effective) background events above it than this is an extreme order statistic,
# whose bootstrap band is known to be unreliable: such TPR intervals are marked rough and never flagged.
MIN_TAIL_EVENTS = 10
# resamples computed at once: a block's [resamples, events] arrays hold at most this many values (small arrays
# stay in the processor's caches; on the demo's 10000 test events, blocks of 2,000,000 values were no faster)
BLOCK_VALUES = 100_000


@dataclass(frozen=True)
class BootstrapSettings:
    """How many resamples, their seed and the interval's confidence level (``n = 0``: no intervals)."""

    n: int = DEFAULT_RESAMPLES
    seed: int = 0
    confidence: float = DEFAULT_CONFIDENCE

    def to_dict(self, weighted: bool) -> dict[str, Any]:
        """The ``bootstrap`` entry of a stage's metrics in report.json."""
        lo, hi = self.percentiles
        return {"n": self.n, "seed": self.seed, "confidence": self.confidence, "percentiles": [lo, hi],
                "weighted": weighted, "method": "stratified resampling, paired across stages"}  # fmt: skip

    @property
    def percentiles(self) -> tuple[float, float]:
        """The interval's lower and upper percentiles."""
        return 50.0 * (1.0 - self.confidence), 50.0 * (1.0 + self.confidence)


class _SortedCurve:
    """One binary problem sorted once by score (high to low); its ROC for the weights of several resamples at once.

    The weights are [resamples, events] arrays, one row per resample, each row added exactly as a single resample's
    weights would be. The signal and background running sums go over their own events only: a single running sum
    over all events would add a 0 for each of the other class's events, which changes no sum of weights >= 0.
    """

    def __init__(self, is_signal: np.ndarray, scores: np.ndarray):
        order = np.argsort(-scores, kind="stable")
        y = is_signal[order]
        s = scores[order]
        last = np.append(np.flatnonzero(np.diff(s) != 0.0), len(s) - 1)  # last item of each tied group
        self.signal, self.background = order[y], order[~y]  # each class's events, high score first
        self.n_signal = np.cumsum(y)[last]  # signal events down to each distinct score
        self.n_background = last + 1 - self.n_signal

    def roc(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(fpr, tpr), [resamples, points]: one point per distinct score, up to (1, 1); the ROC's first point,
        (0, 0), is left out (:func:`_trapezoid` and :func:`_eps_b` count it)."""
        return self.roc_from(_running(weights, self.background), _running(weights, self.signal))

    def roc_from(self, background: np.ndarray, signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ROC from each class's running sums (:func:`_running`, over its events in this curve's order)."""
        return _rates(background, self.n_background), _rates(signal, self.n_signal)


def _rates(running: np.ndarray, points: np.ndarray) -> np.ndarray:
    """[resamples, points]: each row's running sum at ``points`` over its total."""
    at = np.take(running, points, axis=1)
    return np.true_divide(at, at[:, -1:], dtype=np.float64)  # integer sums: each converted exactly, then divided


def _running(weights: np.ndarray, events: np.ndarray) -> np.ndarray:
    """[resamples, len(events) + 1]: 0, then each row's running sum of the weights of ``events``, in that order.

    Unit weights come as the integer multiplicities: their sums are the float sums' exact values, added faster."""
    out = np.empty((len(weights), len(events) + 1), dtype=weights.dtype)
    out[:, 0] = 0
    np.cumsum(np.take(weights, events, axis=1), axis=1, out=out[:, 1:])
    return out


def _rowsum(a: np.ndarray) -> np.ndarray:
    """Each row's sum, added as numpy adds one 1-D array (pairwise; numpy adds a strided axis term by term, and a
    fancy-indexed array can come out column-major)."""
    return np.sum(np.ascontiguousarray(a), axis=1)


def _trapezoid(tpr: np.ndarray, fpr: np.ndarray) -> np.ndarray:
    """The area under each resample's curve from (0, 0) on: the sum of diff(fpr) * (tpr[1:] + tpr[:-1]) / 2 over
    the curve with its first point, term by term as numpy computes it (x - 0 and x + 0 are x; halving by * 0.5
    rounds as / 2 does)."""
    terms = np.empty_like(fpr)
    np.multiply(fpr[:, 0], tpr[:, 0], out=terms[:, 0])  # the term from (0, 0)
    np.subtract(fpr[:, 1:], fpr[:, :-1], out=terms[:, 1:])
    terms[:, 1:] *= tpr[:, 1:] + tpr[:, :-1]
    terms *= 0.5
    return _rowsum(terms)


def _eps_b(fpr: np.ndarray, tpr: np.ndarray, efficiency: float) -> np.ndarray:
    """Each resample's background efficiency at the first point of its ROC, (0, 0) included, reaching the signal
    ``efficiency`` (0, the first point's, when none does, as for a resample whose signal has no weight)."""
    goal = efficiency - 1e-12
    if goal <= 0.0:
        return np.zeros(len(fpr))  # (0, 0) reaches it
    first = np.array([np.searchsorted(row, goal) for row in tpr])  # tpr rises along each row
    rows = np.arange(len(tpr))
    reached = first < tpr.shape[1]
    reached[reached] = tpr[rows[reached], first[reached]] >= goal  # (a NaN row reaches nothing)
    return np.where(reached, fpr[rows, np.minimum(first, tpr.shape[1] - 1)], 0.0)


def _multiplicities(rng: np.random.Generator, n: int) -> np.ndarray:
    """How often each of ``n`` events is drawn into one resample (integers)."""
    return np.bincount(rng.integers(0, n, n), minlength=n)


def _weighted(counts: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """[resamples, events]: the multiplicities times the events' weights; the integers themselves for unit weights."""
    return counts if weights is None else counts * np.asarray(weights, dtype=np.float64)


def _blocks(n_resamples: int, n_events: int) -> list[int]:
    """Block sizes: the resamples computed together, at most BLOCK_VALUES / n_events (at least one)."""
    size = max(1, BLOCK_VALUES // max(n_events, 1))
    return [min(size, n_resamples - start) for start in range(0, n_resamples, size)]


def _collect(out: dict[str, dict[tuple, list]], stage: str, key: tuple, values: np.ndarray) -> None:
    out[stage].setdefault(key, []).append(values)


def _joined(out: dict[str, dict[tuple, list]]) -> dict[str, dict[tuple, np.ndarray]]:
    return {s: {k: np.concatenate(v) for k, v in figs.items()} for s, figs in out.items()}


# ------------------------------------------------------------------------------------------ anomaly scores


def anomaly_resamples(
    stages: Mapping[str, Mapping[str, np.ndarray]],
    settings: BootstrapSettings,
    fprs: Sequence[float] = DEFAULT_FPRS,
    weights: np.ndarray | None = None,
    signal_weights: Mapping[str, np.ndarray | None] | None = None,
) -> dict[str, dict[tuple, np.ndarray]]:
    """Per stage, ``{("auc", signal): values, ("tpr", signal, fpr): values}`` over the resamples."""
    first = next(iter(stages.values()))
    names = [k for k in first if k != "background"]
    n_bkg = len(first["background"])
    w_sig = {k: (signal_weights or {}).get(k) for k in names}
    prepared = {}
    for stage, scores in stages.items():
        bkg = np.asarray(scores["background"], dtype=np.float64).ravel()
        order = np.argsort(-bkg, kind="stable")
        sigs = {}
        for k in names:
            sig = np.asarray(scores[k], dtype=np.float64).ravel()
            truth = np.concatenate([np.zeros(n_bkg, bool), np.ones(len(sig), bool)])
            sig_order = np.argsort(-sig, kind="stable")
            sigs[k] = (_SortedCurve(truth, np.concatenate([bkg, sig])), -sig[sig_order], sig_order)
        prepared[stage] = (bkg[order], order, sigs)
    fractions = np.asarray(fprs, dtype=np.float64)
    out: dict[str, dict[tuple, list]] = {s: {} for s in stages}
    rng = np.random.default_rng(settings.seed)
    n_sig = [len(first[k]) for k in names]
    for size in _blocks(settings.n, n_bkg + sum(n_sig)):
        draws = [(_multiplicities(rng, n_bkg), [_multiplicities(rng, n) for n in n_sig])
                 for _ in range(size)]  # fmt: skip  # one resample's strata after the other, as drawn one at a time
        wb = _weighted(np.array([d[0] for d in draws]), weights)
        ws = {k: _weighted(np.array([d[1][j] for d in draws]), w_sig[k]) for j, k in enumerate(names)}
        rows = np.arange(size)[:, None]
        for stage, (bkg_desc, order, sigs) in prepared.items():
            cumulative = _running(wb, order)
            # threshold_in_sorted of each resample: the most events whose weight fits under each fpr
            k_fit = np.array([np.searchsorted(c, fractions * c[-1], side="right") for c in cumulative]) - 1
            below_all = np.nextafter(bkg_desc[-1], -np.inf)
            thresholds = np.where(k_fit >= n_bkg, below_all, bkg_desc[np.minimum(k_fit, n_bkg - 1)])
            for k, (curve, neg_sig_desc, sig_order) in sigs.items():
                # the joint sort keeps each class's own order: the background sums above and the signal's serve it
                cum_sig = _running(ws[k], sig_order)
                fpr, tpr = curve.roc_from(cumulative, cum_sig)
                _collect(out, stage, ("auc", k), _trapezoid(tpr, fpr))
                above = np.searchsorted(neg_sig_desc, -thresholds, side="left")  # signal events with s > thr
                passed = cum_sig[rows, above] / cum_sig[:, -1:]
                for j, f in enumerate(fprs):
                    _collect(out, stage, ("tpr", k, float(f)), passed[:, j])
    return _joined(out)


# ------------------------------------------------------------------------------------------ classifiers


def classification_resamples(
    stages: Mapping[str, np.ndarray],
    labels: np.ndarray,
    class_names: Sequence[str],
    settings: BootstrapSettings,
    signal_efficiencies: Sequence[float] = DEFAULT_SIGNAL_EFFICIENCIES,
    weights: np.ndarray | None = None,
) -> dict[str, dict[tuple, np.ndarray]]:
    """Per stage, ``{("accuracy",), ("auc", class), ("eps_b", class, efficiency): values}`` over the resamples."""
    true = class_indices(labels, len(class_names))
    members = [np.flatnonzero(true == c) for c in range(len(class_names))]
    prepared = {}
    for stage, scores in stages.items():
        scores = np.asarray(scores, dtype=np.float64)
        correct = np.argmax(scores, axis=1) == true
        curves = {name: _SortedCurve(true == c, scores[:, c]) for c, name in enumerate(class_names)
                  if 0 < len(members[c]) < len(true)}  # fmt: skip
        prepared[stage] = (correct, curves)
    out: dict[str, dict[tuple, list]] = {s: {} for s in stages}
    rng = np.random.default_rng(settings.seed)
    for size in _blocks(settings.n, len(true)):
        mult = np.zeros((size, len(true)), dtype=np.int64)
        for r in range(size):
            for idx in members:
                if len(idx):
                    mult[r, idx] = _multiplicities(rng, len(idx))
        wb = _weighted(mult, weights)  # [resamples, events]
        total = _rowsum(wb)
        for stage, (correct, curves) in prepared.items():
            _collect(out, stage, ("accuracy",), _rowsum(wb[:, correct]) / total)
            for name, curve in curves.items():
                fpr, tpr = curve.roc(wb)
                _collect(out, stage, ("auc", name), _trapezoid(tpr, fpr))
                for e in signal_efficiencies:
                    _collect(out, stage, ("eps_b", name, float(e)), _eps_b(fpr, tpr, e))
    return _joined(out)


# ------------------------------------------------------------------------------------------ intervals


def interval(values: np.ndarray, settings: BootstrapSettings) -> list[float]:
    """The central ``confidence`` band of resampled values, [low, high]."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).any():
        return [float("nan"), float("nan")]  # no resample defines the figure (JSON null)
    lo, hi = np.nanpercentile(values, settings.percentiles)  # a resample that leaves a class weightless is NaN
    return [float(lo), float(hi)]


def _rejection_interval(eps_b: np.ndarray, settings: BootstrapSettings) -> list[float | None]:
    lo, hi = interval(eps_b, settings)  # 1/x turns the eps_B band into the rejection band, ends swapped
    return [1.0 / hi if hi > 0 else None, 1.0 / lo if lo > 0 else None]


def _comparison(stage: np.ndarray, ref: np.ndarray, nominal: tuple, settings: BootstrapSettings,
                ratio: bool = False) -> dict[str, Any] | None:  # fmt: skip
    """A stage against float: the difference (or, for rejections, the ratio) with the float figure's interval, and
    whether the stage's value lies outside it; ``paired_interval`` is the band of the paired difference (ratio).

    ``stage``/``ref`` are resampled values (eps_B for rejections), ``nominal`` the (stage, float) figures (eps_B
    for rejections). None when a figure is not defined (eps_B = 0: rejection not measurable)."""
    if ratio:  # rejection ratio stage / float = eps_B(float) / eps_B(stage)
        if not (nominal[0] > 0 and nominal[1] > 0):
            return None
        ok = (stage > 0) & (ref > 0)
        if ok.mean() < 0.95:
            return None  # most resamples must resolve both rejections for a meaningful band
        band = _rejection_interval(ref, settings)
        value, paired, at, base = nominal[1] / nominal[0], ref[ok] / stage[ok], 1.0 / nominal[0], 1.0 / nominal[1]
    else:
        band = interval(ref, settings)
        value, paired, at, base = nominal[0] - nominal[1], stage - ref, nominal[0], nominal[1]
    outside = None not in band and np.isfinite(band).all() and not band[0] <= at <= band[1]
    return {"kind": "ratio" if ratio else "difference", "value": float(value), "stage": float(at), "float": float(base),
            "float_interval": band, "paired_interval": interval(paired, settings), "beyond_noise": bool(outside)}


def annotate_anomaly(metrics: dict[str, dict], resamples: dict, settings: BootstrapSettings, weighted: bool) -> None:
    """Add ``auc_interval``, each point's ``tpr_interval`` and, for stages other than float, ``vs_float`` to the
    stages' report dicts (``{stage: AnomalyMetrics.to_dict()}``), in place."""
    ref = resamples.get("float")
    for stage, m in metrics.items():
        m["bootstrap"] = settings.to_dict(weighted)
        n_eff = m.get("n_background_effective") if m.get("weighted") else m.get("n_background")
        for name, sig in (m.get("signals") or {}).items():
            sig["auc_interval"] = interval(resamples[stage][("auc", name)], settings)
            compare = ref is not None and stage != "float"
            vs: dict[str, Any] = {}
            if compare:
                vs["AUC"] = _comparison(resamples[stage][("auc", name)], ref[("auc", name)],
                                        (sig["auc"], metrics["float"]["signals"][name]["auc"]), settings)  # fmt: skip
            for key, point in (sig.get("points") or {}).items():
                values = resamples[stage][("tpr", name, float(point["fpr"]))]
                point["tpr_interval"] = interval(values, settings) if point.get("resolved", True) else None
                rough = n_eff is not None and float(point["fpr"]) * n_eff < MIN_TAIL_EVENTS
                if point.get("resolved", True):
                    point["tpr_interval_rough"] = bool(rough)
                if compare and point.get("resolved", True):
                    float_point = metrics["float"]["signals"][name]["points"][key]
                    cmp = _comparison(values, ref[("tpr", name, float(point["fpr"]))],
                                      (point["tpr"], float_point["tpr"]), settings)  # fmt: skip
                    if cmp is not None and rough:
                        cmp.update(beyond_noise=False, rough=True)  # too few background events to judge
                    vs[f"TPR at FPR {key}"] = cmp
            if compare:
                sig["vs_float"] = {k: v for k, v in vs.items() if v is not None}


def annotate_classification(metrics: dict[str, dict], resamples: dict, settings: BootstrapSettings,
                            weighted: bool) -> None:  # fmt: skip
    """Add ``accuracy_interval``, per class ``auc_interval`` / ``rejection_interval`` and, for stages other than
    float, ``vs_float`` to the stages' report dicts (``{stage: ClassificationMetrics.to_dict()}``), in place."""
    ref = resamples.get("float")
    for stage, m in metrics.items():
        m["bootstrap"] = settings.to_dict(weighted)
        figs = resamples[stage]
        m["accuracy_interval"] = interval(figs[("accuracy",)], settings)
        compare = ref is not None and stage != "float"
        if compare:
            m["vs_float"] = {"accuracy": _comparison(figs[("accuracy",)], ref[("accuracy",)],
                                                     (m["accuracy"], metrics["float"]["accuracy"]), settings)}  # fmt: skip
        for name, c in (m.get("per_class") or {}).items():
            if ("auc", name) not in figs:
                continue
            c["auc_interval"] = interval(figs[("auc", name)], settings)
            c["rejection_interval"] = {key: _rejection_interval(figs[("eps_b", name, float(key))], settings)
                                       for key in (c.get("rejection") or {})}  # fmt: skip
            if not compare:
                continue
            f = metrics["float"]["per_class"][name]
            vs = {"AUC": _comparison(figs[("auc", name)], ref[("auc", name)], (c["auc"], f["auc"]), settings)}
            for key, value in (c.get("rejection") or {}).items():
                eps = (1.0 / value if value else 0.0, 1.0 / f["rejection"][key] if f["rejection"].get(key) else 0.0)
                vs[f"1/eps_B at eps_S {key}"] = _comparison(figs[("eps_b", name, float(key))],
                                                              ref[("eps_b", name, float(key))], eps, settings, ratio=True)  # fmt: skip
            c["vs_float"] = {k: v for k, v in vs.items() if v is not None}


def beyond_noise(metrics: dict[str, dict], stage: str = "firmware") -> list[str]:
    """One line per figure where ``stage`` differs from float beyond the bootstrap interval (for report notes)."""
    m = metrics.get(stage) or {}
    conf = (m.get("bootstrap") or {}).get("confidence")
    rows = [("", "accuracy", (m.get("vs_float") or {}).get("accuracy"))]
    for group in ("signals", "per_class"):
        for name, entry in (m.get(group) or {}).items():
            rows += [(f"{name} ", fig, cmp) for fig, cmp in (entry.get("vs_float") or {}).items()]
    out = []
    for who, fig, cmp in rows:
        if cmp and cmp.get("beyond_noise"):
            lo, hi = cmp["float_interval"]
            out.append(f"{stage} vs float: {who}{fig} {cmp['stage']:.4g} vs {cmp['float']:.4g} ({cmp['kind']} "
                       f"{cmp['value']:.4g}), outside the float figure's {100 * conf:.0f} % bootstrap interval "
                       f"[{lo:.4g}, {hi:.4g}]: beyond the statistical noise of the test sample")  # fmt: skip
    return out


def check_settings(n: int, confidence: float) -> None:
    """Refuse settings that give no interval (the spec parser checks the same; this guards direct API use)."""
    if n < 0:
        raise DataError(f"bootstrap resamples must be >= 0 (0 turns the intervals off), got {n}")
    if not 0.0 < confidence < 1.0:
        raise DataError(f"bootstrap confidence must be in (0, 1), e.g. 0.68, got {confidence}")
