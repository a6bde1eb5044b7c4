"""A working point whose threshold reaches far below its FPR (a heavy background event straddles it) is marked, in
report.json's points, report.md's cells and the tail check's warning; hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from codesign import metrics as M
from codesign.report_metrics import flat_anomaly, physics_section
from codesign.score_check import tail_check, warning_lines

# background scores 100 (top) .. 1; the second event (score 99) weighs 30, the rest 1: total 129
BKG = np.arange(100.0, 0.0, -1.0)
W = np.ones(100)
W[1] = 30.0


def test_reached_fpr_by_hand():
    """FPR 0.2 allows 25.8 of 129: the top event fits, the heavy one does not, so the threshold stops at 99 and
    keeps 1/129 = 0.0078 (short); FPR 0.4 allows 51.6: the top 22 events (weight 51) fit, 51/129 = 0.395."""
    sig = np.array([99.5, 98.5, 50.5, 0.5])
    res = M.anomaly_metrics(BKG, {"s": sig}, fprs=(0.2, 0.4), weights=W).signal("s")
    short, fine = res.points
    assert (short.threshold, short.resolved) == (99.0, True)
    assert short.fpr_reached == pytest.approx(1 / 129) and short.fpr_short is True
    assert short.tpr == 0.25 and short.rate_khz == pytest.approx(40e3 / 129)
    assert fine.threshold == 78.0 and fine.fpr_reached == pytest.approx(51 / 129) and fine.fpr_short is False
    assert res.to_dict()["points"]["0.2"]["fpr_short"] is True


def test_unweighted_points_are_never_short():
    """Unit weights keep floor(FPR x N) >= FPR x N / 2 events once resolved: never short; unresolved: not marked."""
    rng = np.random.default_rng(0)
    bkg = rng.normal(size=1500)
    res = M.anomaly_metrics(bkg, {"s": rng.normal(1, 1, 200)}, fprs=(1e-4, 1e-3, 1.9e-3, 0.01)).signal("s")
    assert [p.resolved for p in res.points] == [False, True, True, True]
    assert not any(p.fpr_short for p in res.points)
    assert [round(p.fpr_reached * 1500) for p in res.points] == [0, 1, 2, 15]


def _stage(tpr: float, reached: float, short: bool, rough: bool, paired=None) -> dict:
    point = {"fpr": 1e-3, "tpr": tpr, "resolved": True, "fpr_reached": reached, "fpr_short": short,
             "tpr_interval": [tpr - 0.01, tpr + 0.01], "tpr_interval_rough": rough}  # fmt: skip
    sig = {"auc": 0.9, "points": {"0.001": point}}
    if paired is not None:
        sig["vs_float"] = {"TPR at FPR 0.001": {"paired_interval": paired, "beyond_noise": False}}
    return {"signals": {"ato4l": sig}}


def test_tail_warning_says_when_the_comparison_is_not_like_for_like():
    """Flagged all the same, but the warning names the reached FPRs and the noise; a clean point adds nothing."""
    m = {"float": _stage(0.033, 3.0e-4, True, True), "firmware": _stage(0.020, 9.9e-4, False, True, [-0.02, 0.004])}
    check = tail_check(m)
    row = check["signals"][0]
    assert check["flagged"] == ["ato4l"] and row["fpr_short"] and row["rough"]
    assert (row["float_fpr_reached"], row["firmware_fpr_reached"], row["paired_interval"]) == (3.0e-4, 9.9e-4, [-0.02, 0.004])
    (line,) = warning_lines(check)
    assert "not like for like: the thresholds reach FPR 0.0003 (float) and 0.00099 (firmware)" in line
    assert "paired change band [-0.02, 0.004] includes 0: within the test sample's noise" in line
    clean = tail_check({"float": _stage(0.1, 1e-3, False, False), "firmware": _stage(0.05, 1e-3, False, False, [-0.06, -0.04])})
    (line,) = warning_lines(clean)
    assert line.endswith("see quantize.activation_range in the README)")


def test_report_cell_and_legend_show_the_reached_fpr():
    """report.md: the short point's cell carries '@ FPR 0.0003' and a legend line explains it."""
    m = {"float": _stage(0.033, 3.0e-4, True, False), "firmware": _stage(0.036, 9.9e-4, False, False)}
    cells = flat_anomaly(m["float"])
    assert cells["ato4l TPR at FPR 0.001 (L1 rate 40 kHz)"].endswith("@ FPR 0.0003")
    assert not str(flat_anomaly(m["firmware"])["ato4l TPR at FPR 0.001 (L1 rate 40 kHz)"]).endswith("0.00099")
    assert any(line.startswith("@ FPR x: the threshold reaches a background fraction x") for line in physics_section(m))


def test_score_section_lists_the_caveats():
    """report.md's score table: a caveats column with the reached FPRs, '-' for a clean comparison."""
    from codesign.report import score_section

    m = {"float": _stage(0.033, 3.0e-4, True, False), "firmware": _stage(0.020, 9.9e-4, False, False)}
    text = "\n".join(score_section({"score_check": tail_check(m)}))
    assert "| caveats |" in text and "LOSES THE TAIL | not like for like: the thresholds reach FPR 0.0003" in text
    clean = {"float": _stage(0.1, 1e-3, False, False), "firmware": _stage(0.1, 1e-3, False, False)}
    assert "| ok | - |" in "\n".join(score_section({"score_check": tail_check(clean)}))


def test_tail_warning_names_the_step_that_lost_most():
    """With the pruned and quantized stages, the warning names the step with the largest drop (the l1_ae's figures)."""
    m = {st: _stage(t, 1e-3, False, False) for st, t in
         (("float", 0.085), ("pruned", 0.073), ("quantized", 0.072), ("firmware", 0.072))}  # fmt: skip
    check = tail_check(m)
    assert check["signals"][0]["stage_tprs"] == {"float": 0.085, "pruned": 0.073, "quantized": 0.072, "firmware": 0.072}
    (line,) = warning_lines(check)
    assert line.endswith("; largest drop at float -> pruned (0.085 -> 0.073)")
