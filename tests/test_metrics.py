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


def reference_roc(is_signal, scores, weights=None):
    """codesign's former hand-written ROC (sort, cumulative counts at the last item of each tied group), kept here
    as the independent reference of the sklearn path now in codesign.metrics; weights generalise the counts."""
    y = np.asarray(is_signal, bool)
    s = np.asarray(scores, np.float64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted, w_sorted = s[order], y[order], w[order]
    last = np.append(np.flatnonzero(np.diff(s_sorted) != 0.0), len(s_sorted) - 1)
    tp = np.cumsum(w_sorted * y_sorted)[last]
    fp = np.cumsum(w_sorted * ~y_sorted)[last]
    fpr = np.concatenate([[0.0], fp / w[~y].sum()])
    tpr = np.concatenate([[0.0], tp / w[y].sum()])
    return fpr, tpr, np.concatenate([[np.inf], s_sorted[last]])


@pytest.mark.parametrize("seed", range(6))
def test_roc_equals_the_hand_written_reference_exactly(seed):
    """The sklearn path equals the former hand-written ROC/AUC bit for bit on random data with ties (unweighted),
    so replacing it changed no unweighted figure."""
    rng = np.random.default_rng(seed)
    y = rng.random(3000) < 0.3
    s = np.round(rng.normal(y * 0.8, 1.0), 1 if seed % 2 else 6)
    fpr, tpr, thr = M.roc_curve(y, s)
    ref_fpr, ref_tpr, ref_thr = reference_roc(y, s)
    np.testing.assert_array_equal(fpr, ref_fpr)
    np.testing.assert_array_equal(tpr, ref_tpr)
    np.testing.assert_array_equal(thr, ref_thr)
    area = np.trapezoid(ref_tpr, ref_fpr) if hasattr(np, "trapezoid") else np.trapz(ref_tpr, ref_fpr)
    assert M.roc_auc(y, s) == float(area)


@pytest.mark.parametrize("seed", range(4))
def test_weighted_roc_matches_the_reference(seed):
    rng = np.random.default_rng(10 + seed)
    y = rng.random(2000) < 0.4
    s = np.round(rng.normal(y * 0.7, 1.0), 1)
    w = rng.exponential(1.0, 2000) * (rng.random(2000) > 0.1)  # some zero weights
    fpr, tpr, _ = M.roc_curve(y, s, w)
    # sklearn leaves out zero-weight items (their scores are no threshold): the reference without them
    keep = w > 0
    ref_fpr, ref_tpr, _ = reference_roc(y[keep], s[keep], w[keep])
    np.testing.assert_allclose(fpr, ref_fpr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(tpr, ref_tpr, rtol=0, atol=1e-12)
    ref_fpr, ref_tpr, _ = reference_roc(y, s, w)  # with them: extra points on the same curve, the same area
    area = np.trapezoid(ref_tpr, ref_fpr) if hasattr(np, "trapezoid") else np.trapz(ref_tpr, ref_fpr)
    assert M.roc_auc(y, s, w) == pytest.approx(area, abs=1e-12)
    assert M.roc_auc(y, s, w) == pytest.approx(sklearn_metrics.roc_auc_score(y, s, sample_weight=w), abs=1e-12)


def test_integer_weights_equal_repeated_events():
    """A weight of k is k copies of the event: every figure equals the unweighted one on the repeated sample."""
    rng = np.random.default_rng(3)
    bkg, sig = np.round(rng.normal(0, 1, 3000), 2), np.round(rng.normal(1.5, 1, 400), 2)
    wb, ws = rng.integers(0, 4, 3000).astype(float), rng.integers(1, 3, 400).astype(float)
    weighted = M.anomaly_metrics(bkg, {"s": sig}, fprs=(1e-3, 1e-2, 0.1), weights=wb, signal_weights={"s": ws})
    repeated = M.anomaly_metrics(np.repeat(bkg, wb.astype(int)), {"s": np.repeat(sig, ws.astype(int))},
                                 fprs=(1e-3, 1e-2, 0.1))  # fmt: skip
    assert weighted.signal("s").auc == pytest.approx(repeated.signal("s").auc, abs=1e-12)
    for p, q in zip(weighted.signal("s").points, repeated.signal("s").points, strict=True):
        assert (p.threshold, p.resolved) == (q.threshold, q.resolved)
        assert p.tpr == pytest.approx(q.tpr, abs=1e-12) and p.rate_khz == pytest.approx(q.rate_khz, abs=1e-9)
    assert weighted.weighted and not repeated.weighted
    assert weighted.n_background_effective < 3000
    labels = rng.integers(0, 3, 600)
    scores = rng.normal(size=(600, 3)) + np.eye(3)[labels]
    w = rng.integers(0, 3, 600).astype(float)
    cw = M.classification_metrics(labels, scores, ("a", "b", "c"), weights=w)
    cr = M.classification_metrics(np.repeat(labels, w.astype(int)), np.repeat(scores, w.astype(int), axis=0),
                                  ("a", "b", "c"))  # fmt: skip
    assert cw.accuracy == pytest.approx(cr.accuracy, abs=1e-12)
    np.testing.assert_allclose(np.array(cw.confusion), np.array(cr.confusion))
    for a, b in zip(cw.per_class, cr.per_class, strict=True):
        assert a.auc == pytest.approx(b.auc, abs=1e-12)
        assert a.rejection == pytest.approx(b.rejection)


def test_unit_weights_leave_every_figure_unchanged_bit_for_bit():
    rng = np.random.default_rng(5)
    bkg, sig = rng.normal(0, 1, 20_000), rng.normal(2, 1, 500)
    fprs = (1e-5, 1e-4, 1e-3, 0.05)
    plain = M.anomaly_metrics(bkg, {"s": sig}, fprs=fprs).to_dict()
    unit = M.anomaly_metrics(bkg, {"s": sig}, fprs=fprs, weights=np.ones(20_000), signal_weights={"s": np.ones(500)})
    unit = unit.to_dict()
    assert unit.pop("weighted") is True and plain.pop("weighted") is False
    unit.pop("n_background_effective")
    assert unit == plain  # exact equality of every float
    for f in fprs:
        assert M.threshold_at_fpr(bkg, f, np.ones(len(bkg))) == M.threshold_at_fpr(bkg, f)
    labels = rng.integers(0, 4, 3000)
    scores = rng.normal(size=(3000, 4)) + np.eye(4)[labels]
    a = M.classification_metrics(labels, scores, "abcd").to_dict()
    b = M.classification_metrics(labels, scores, "abcd", weights=np.ones(3000)).to_dict()
    assert a.pop("weighted") is False and b.pop("weighted") is True
    assert a == b


def test_weighted_threshold_by_hand():
    # background 1..10 high to low; the top two events weigh 5 each, the rest 1: total 18
    bkg = np.arange(1.0, 11.0)
    w = np.array([1.0] * 8 + [5.0, 5.0])
    thr, resolved = M.threshold_at_fpr(bkg, 0.5, w)  # fpr * W = 9: only the event of weight 5 at 10 fits
    assert (thr, resolved) == (9.0, True)
    assert M.trigger_rate_khz(bkg, thr, weights=w) == pytest.approx(40e3 * 5 / 18)
    thr, resolved = M.threshold_at_fpr(bkg, 0.2, w)  # fpr * W = 3.6 < 5: not even the top event fits
    assert (thr, resolved) == (10.0, False)
    thr, _ = M.threshold_at_fpr(bkg, 12 / 18, w)  # 10 and 9 (weight 10) and 8, 7 (weight 2): 12 fits exactly
    assert thr == 6.0


@pytest.mark.parametrize(
    ("weights", "match"),
    [(np.array([1.0, -1.0, 1.0, 1.0]), "negative"), (np.array([1.0, np.nan, 1.0, 1.0]), "NaN"),
     (np.zeros(4), "sum to 0"), (np.ones(3), "3 weights for 4")],
)  # fmt: skip
def test_bad_weights_are_refused(weights, match):
    y, s = np.array([0, 0, 1, 1], bool), np.arange(4.0)
    with pytest.raises(DataError, match=match):
        M.roc_auc(y, s, weights)
    with pytest.raises(DataError, match=match):
        M.anomaly_metrics(s, {"s": s}, weights=weights)
    with pytest.raises(DataError, match=match):
        M.classification_metrics(y.astype(int), np.c_[-s, s], ("a", "b"), weights=weights)
