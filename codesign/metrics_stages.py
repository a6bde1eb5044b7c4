"""The build's physics metrics: each stage's scores (float, pruned, quantized, firmware) on the test set, with the
data's per-event weights and bootstrap intervals, as report.json's ``metrics``.

Per-event weights come from the dataset object's ``weights`` attribute, or else its ``weights_test`` (the data
branch's name for the test rows' weights); None: unit weights. Accepted forms of ``weights``:

- a 1-D float array with one weight per test event (``x_test``; the background test events of anomaly data);
- a mapping ``{"test": array, <signal name>: array, ...}``: the test events' weights and, for anomaly data,
  each signal's (aligned with ``data.signals[name]``); a missing entry means unit weights, a ``"train"``
  entry is the training's business and is not used here.

``weights_test`` is a 1-D array of the test events' weights (signal events then weigh 1).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from codesign import metrics, metrics_bootstrap
from codesign.errors import DataError
from codesign.metrics_bootstrap import BootstrapSettings


def event_weights(data) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """(test-event weights, {signal: weights}) from ``data.weights``; DataError naming what does not fit."""
    raw = getattr(data, "weights", None)
    if raw is None:
        raw = getattr(data, "weights_test", None)
    if raw is None:
        return None, {}
    signals = getattr(data, "signals", None) or {}
    n_test = len(data.x_test)
    if isinstance(raw, Mapping):
        unknown = sorted(set(raw) - {"test", "train", *signals})
        if unknown:
            raise DataError(f"dataset weights: unknown entries {unknown} (accepted: 'test', 'train' and the signal "
                            f"names {sorted(signals)})")  # fmt: skip
        test = raw.get("test")
        per_signal = {k: metrics.check_weights(v, len(signals[k]), f"{k} events (dataset weights)")
                      for k, v in raw.items() if k in signals and v is not None}  # fmt: skip
    else:
        test, per_signal = raw, {}
    where = "background test events" if signals else "test events"
    return metrics.check_weights(test, n_test, f"{where} (dataset weights)"), per_signal


@dataclass(frozen=True)
class StagePart:
    """One stage's figures before they are set against the float stage: its report dict without the bootstrap
    annotations, and its figures on every resample (empty when the bootstrap is off).

    A stage's part depends on its own scores, the data and the bootstrap settings only (every stage sees the same
    seeded resamples), so a part computed in one build serves another build of the same model exactly."""

    metrics: dict
    resamples: dict[tuple, np.ndarray]


def stage_parts(data, scores: dict, bootstrap: BootstrapSettings | None = None) -> dict[str, StagePart]:
    """Each stage's :class:`StagePart` (weighted when the data carry weights); :func:`assemble` joins them."""
    w_test, w_signals = event_weights(data)
    nominal = {}
    for label, s in scores.items():
        if data.task == "classification":
            nominal[label] = metrics.classification_metrics(data.y_test, s, data.class_names, weights=w_test).to_dict()
        else:
            signals = {k: v for k, v in s.items() if k != "background"}
            nominal[label] = metrics.anomaly_metrics(s["background"], signals, weights=w_test,
                                                     signal_weights=w_signals).to_dict()  # fmt: skip
    if bootstrap is None or bootstrap.n == 0 or not scores:
        return {label: StagePart(m, {}) for label, m in nominal.items()}
    metrics_bootstrap.check_settings(bootstrap.n, bootstrap.confidence)
    # the resamples are drawn from the seed alone, whichever stages are computed: a stage's figures on them do not
    # depend on the other stages computed beside it
    if data.task == "classification":
        resamples = metrics_bootstrap.classification_resamples(scores, data.y_test, data.class_names, bootstrap,
                                                               weights=w_test)  # fmt: skip
    else:
        fprs = tuple(next(iter(nominal.values()))["fprs"])
        resamples = metrics_bootstrap.anomaly_resamples(scores, bootstrap, fprs, weights=w_test,
                                                        signal_weights=w_signals)  # fmt: skip
    return {label: StagePart(m, resamples[label]) for label, m in nominal.items()}


def assemble(data, parts: Mapping[str, StagePart], bootstrap: BootstrapSettings | None = None) -> dict:
    """report.json's ``metrics`` from the stages' parts, in their order: intervals and stage-vs-float comparisons
    (on the float stage's resamples) added unless ``bootstrap`` is None or has ``n = 0``. The parts are not changed."""
    out = {label: copy.deepcopy(p.metrics) for label, p in parts.items()}
    if bootstrap is None or bootstrap.n == 0 or not parts:
        return out
    w_test, w_signals = event_weights(data)
    weighted = w_test is not None or bool(w_signals)
    resamples = {label: p.resamples for label, p in parts.items()}
    if data.task == "classification":
        metrics_bootstrap.annotate_classification(out, resamples, bootstrap, weighted)
    else:
        metrics_bootstrap.annotate_anomaly(out, resamples, bootstrap, weighted)
    return out


def stage_metrics(data, scores: dict, bootstrap: BootstrapSettings | None = None) -> dict:
    """Physics metrics of each stage's scores (report.json dicts), weighted when the data carry weights, with
    bootstrap intervals and stage-vs-float comparisons unless ``bootstrap`` is None or has ``n = 0``."""
    return assemble(data, stage_parts(data, scores, bootstrap), bootstrap)
