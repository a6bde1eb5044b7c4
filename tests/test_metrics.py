"""Metrics against scikit-learn (an independent implementation) and hand-computed cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

from codesign import metrics as M
from codesign.errors import DataError

sklearn_metrics = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(2000) < 0.3
    # Rounded scores make many ties, the case where ROC implementations usually disagree.
    s = np.round(rng.normal(y * 0.8, 1.0), 1)
    assert M.roc_auc(y, s) == pytest.approx(sklearn_metrics.roc_auc_score(y, s), abs=1e-12)


def test_roc_curve_matches_sklearn_points():
    rng = np.random.default_rng(4)
    y = rng.random(500) < 0.5
    s = np.round(rng.normal(y * 1.0, 1.0), 2)
    fpr, tpr, thr = M.roc_curve(y, s)
    ref_fpr, ref_tpr, _ = sklearn_metrics.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr)
    np.testing.assert_allclose(tpr, ref_tpr)
    assert thr[0] == np.inf


def test_background_rejection_by_hand():
    # Signal scores 6..10, background 1..10.
    y = np.array([0] * 10 + [1] * 5, bool)
    s = np.array(list(range(1, 11)) + [6, 7, 8, 9, 10], float)
    # s > 8 keeps signal {9, 10} = 40%, background {9, 10} = 20%  -> rejection 5.
    assert M.background_rejection(y, s, 0.4) == pytest.approx(5.0)
    # Perfect separation: no background left at low efficiency -> not measurable.
    assert M.background_rejection(np.array([0, 0, 1, 1], bool), np.array([0.0, 0.1, 0.8, 0.9]), 0.5) is None


def test_classification_metrics_match_sklearn():
    rng = np.random.default_rng(7)
    n, c = 3000, 5
    true = rng.integers(0, c, n)
    logits = rng.normal(size=(n, c)) + 1.5 * np.eye(c)[true]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    m = M.classification_metrics(np.eye(c)[true], probs, ("g", "q", "w", "z", "t"))
    assert m.accuracy == pytest.approx(sklearn_metrics.accuracy_score(true, probs.argmax(1)))
    np.testing.assert_array_equal(np.array(m.confusion), sklearn_metrics.confusion_matrix(true, probs.argmax(1)))
    for k, cm in enumerate(m.per_class):
        assert cm.auc == pytest.approx(sklearn_metrics.roc_auc_score(true == k, probs[:, k]), abs=1e-12)
    assert m.mean_auc == pytest.approx(np.mean([cm.auc for cm in m.per_class]))
    d = json.loads(json.dumps(m.to_dict(), allow_nan=False))
    assert d["per_class"]["w"]["n"] == int(np.sum(true == 2))


def test_tpr_at_fpr_and_trigger_rate_by_hand():
    bkg = np.arange(100_000, dtype=float)  # scores 0..99999
    sig = np.array([99_990.5, 99_950.5, 50.0, 99_999.5])
    res = M.anomaly_metrics(bkg, {"sig": sig}, fprs=(1e-5, 1e-4, 1e-3))
    p5, p4, p3 = res.signal("sig").points
    # FPR 1e-5 -> 1 background event above threshold: threshold = 99998 (only 99999 is above).
    assert p5.threshold == 99_998.0 and p5.resolved
    assert p5.tpr == pytest.approx(0.25)  # only 99999.5
    assert p5.rate_khz == pytest.approx(40e3 * 1e-5)  # 0.4 kHz
    assert p4.threshold == 99_989.0 and p4.tpr == pytest.approx(0.5)
    assert p3.threshold == 99_899.0 and p3.tpr == pytest.approx(0.75)
    assert M.fpr_for_rate(0.4) == pytest.approx(1e-5)
    assert M.trigger_rate_khz(bkg, 99_998.0, bunch_crossing_mhz=28.61) == pytest.approx(28.61e3 * 1e-5)


def test_unresolved_fpr_is_flagged():
    bkg = np.arange(1000, dtype=float)
    thr, resolved = M.threshold_at_fpr(bkg, 1e-5)
    assert thr == 999.0 and not resolved
    res = M.anomaly_metrics(bkg, {"s": np.array([2000.0, 10.0])}, fprs=(1e-5,))
    assert res.signal("s").points[0].resolved is False
    assert res.signal("s").tpr_at(1e-5) == pytest.approx(0.5)


def test_anomaly_auc_matches_sklearn_and_serializes():
    rng = np.random.default_rng(9)
    bkg, sig = rng.normal(0, 1, 5000), rng.normal(1, 1, 800)
    res = M.anomaly_metrics(bkg, {"a": sig})
    ref = sklearn_metrics.roc_auc_score(np.r_[np.zeros(5000), np.ones(800)], np.r_[bkg, sig])
    assert res.signal("a").auc == pytest.approx(ref, abs=1e-12)
    text = json.dumps(res.to_dict(), allow_nan=False)
    assert json.loads(text)["signals"]["a"]["points"]["1e-05"]["resolved"] is False


def test_bad_inputs_are_rejected():
    with pytest.raises(DataError, match="both signal and background"):
        M.roc_auc(np.ones(5, bool), np.arange(5.0))
    with pytest.raises(DataError, match="NaN"):
        M.roc_auc(np.array([0, 1], bool), np.array([np.nan, 1.0]))
    with pytest.raises(DataError, match="expected"):
        M.classification_metrics(np.zeros(3, int), np.zeros((3, 4)), ("a", "b", "c"))


@pytest.mark.parametrize("seed", range(6))
def test_hand_written_roc_equals_sklearn_exactly(seed):
    """codesign's own ROC/AUC and sklearn's (drop_intermediate=False, then sklearn.metrics.auc) agree bit for bit,
    ties included: the condition for replacing the hand-written path with sklearn."""
    rng = np.random.default_rng(seed)
    y = rng.random(3000) < 0.3
    s = np.round(rng.normal(y * 0.8, 1.0), 1 if seed % 2 else 6)
    fpr, tpr, thr = M.roc_curve(y, s)
    ref_fpr, ref_tpr, ref_thr = sklearn_metrics.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_array_equal(fpr, ref_fpr)
    np.testing.assert_array_equal(tpr, ref_tpr)
    np.testing.assert_array_equal(thr, ref_thr)
    assert M.auc(fpr, tpr) == sklearn_metrics.auc(ref_fpr, ref_tpr)
