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

Modules: ``common`` (per-item weights, JSON-ready values), ``roc`` (ROC, AUC, rejection), ``classification``
(multi-class figures), ``anomaly`` (thresholds at an FPR, L1 rates, anomaly-score figures).
"""

from __future__ import annotations

from codesign.metrics.anomaly import (
    BUNCH_CROSSING_RATE_MHZ,
    DEFAULT_FPRS,
    SHORT_FPR_FRACTION,
    AnomalyMetrics,
    OperatingPoint,
    SignalMetrics,
    anomaly_metrics,
    fpr_for_rate,
    fraction_above,
    rate_at_fpr_khz,
    threshold_at_fpr,
    threshold_in_sorted,
    trigger_rate_khz,
)
from codesign.metrics.classification import (
    DEFAULT_SIGNAL_EFFICIENCIES,
    ClassificationMetrics,
    ClassMetrics,
    accuracy,
    class_indices,
    classification_metrics,
    confusion_matrix,
)
from codesign.metrics.common import check_weights, effective_count
from codesign.metrics.roc import auc, background_rejection, rejection_from_roc, roc_auc, roc_curve

__all__ = [
    "BUNCH_CROSSING_RATE_MHZ",
    "DEFAULT_FPRS",
    "DEFAULT_SIGNAL_EFFICIENCIES",
    "SHORT_FPR_FRACTION",
    "AnomalyMetrics",
    "ClassMetrics",
    "ClassificationMetrics",
    "OperatingPoint",
    "SignalMetrics",
    "accuracy",
    "anomaly_metrics",
    "auc",
    "background_rejection",
    "check_weights",
    "class_indices",
    "classification_metrics",
    "confusion_matrix",
    "effective_count",
    "fpr_for_rate",
    "fraction_above",
    "rate_at_fpr_khz",
    "rejection_from_roc",
    "roc_auc",
    "roc_curve",
    "threshold_at_fpr",
    "threshold_in_sorted",
    "trigger_rate_khz",
]
