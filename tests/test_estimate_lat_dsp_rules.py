"""DSP mapping of constant products by operand widths (hardware.MultiplierMap) and the rem0 Resource kernel's
index read, with hand-derived numbers."""

import math

import pytest

from codesign.estimate import constants as K
from codesign.estimate import estimate_record
from codesign.estimate.calibration_set import load_records
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock, MultiplierMap
from codesign.estimate.layers import Context, predict_layer, reuse_loop_cycles
from codesign.precision import FixedPrecision

#: Vitis HLS 2024.2 on xc7z020-1 at 5 ns (MinhNguy3n's setting).
VITIS_Z020 = Context(Clock(5.0, 1.35), "DSP48E1", "auto", "Vitis HLS", "2024.2", 1.2)


def _share(effective_width: float) -> float:
    """The documented curve, written out: 0.8 / (1 + e^-((w - 14) / 0.5))."""
    return 0.8 / (1.0 + math.exp(-(effective_width - 14.0) * 2.0))


def test_dsp_share_follows_the_effective_product_width():
    m = MultiplierMap()
    # 16 x 16: effective width 16, two scales above the center
    assert m.predict(16, 16, "DSP48E2").dsp_fraction == pytest.approx(0.8 / (1 + math.exp(-4)), abs=1e-9)
    assert m.predict(16, 16, "DSP48E2").dsp_fraction == pytest.approx(0.7856, abs=1e-4)
    # 14 x 14 sits on the center: half the maximum
    assert m.predict(14, 14, "DSP48E2").dsp_fraction == pytest.approx(0.4, abs=1e-12)
    # 28 x 12 (Berk-Bilgin): (12^3 x 28)^(1/4) = 48384^(1/4) = 14.831 -> 0.672; two DSP48E2 slices per product
    w = (12**3 * 28) ** 0.25
    assert w == pytest.approx(14.831, abs=1e-3)
    cost = m.predict(28, 12, "DSP48E2")
    assert cost.dsp_fraction == pytest.approx(_share(w), abs=1e-12) == pytest.approx(0.6724, abs=1e-4)
    assert cost.dsp == pytest.approx(2 * cost.dsp_fraction)
    # both operands narrow (MinhNguy3n 12 x 9, abdennour 8 x 8): shift-adds, no DSP; a 16-bit word and a 12-bit
    # weight: (12^3 x 16)^(1/4) = 12.89 -> 8 %
    assert m.predict(12, 9, "DSP48E1").dsp_fraction < 1e-3
    assert m.predict(8, 8, "DSP48E2").dsp_fraction < 1e-5
    assert m.predict(16, 12, "DSP48E2").dsp_fraction == pytest.approx(0.0791, abs=1e-4)
    # the narrower operand weighs more than the wider one: 12 x 16 maps less than 14 x 14
    assert m.predict(12, 16, "DSP48E2").dsp_fraction < m.predict(14, 14, "DSP48E2").dsp_fraction
    # a forced mapping overrides the curve
    assert m.predict(6, 6, "DSP48E2", "dsp").dsp_fraction == K.DSP_FORCED_FRACTION
    assert m.predict(16, 16, "DSP48E2", "fabric").dsp == 0.0


def _dense(n_in: int, n_out: int, data: str, weight: str, n_zeros: int = 0) -> LayerCall:
    cfg = {"n_in": n_in, "n_out": n_out, "reuse_factor": 1, "strategy": "latency", "n_zeros": n_zeros,
           "weight_t": weight, "accum_t": "ap_fixed<24,10>"}  # fmt: skip
    return LayerCall("fc1", "dense", cfg, FixedPrecision.parse(data), None, "io_parallel")


def test_dense_layer_dsp_count():
    # MinhNguy3n's first layer: 16 x 64, 12-bit data x 9-bit weights, 710 zeros -> 314 products, none on DSPs
    # (report: 2); the old curve in the narrower width (center 12, scale 1) gave 314 x 0.8 / (1 + e^3) = 12
    est = predict_layer(_dense(16, 64, "ap_fixed<12,5>", "ap_fixed<9,4>", n_zeros=710), VITIS_Z020)
    assert est.dsp == 0
    # 10 x 4 at 16 x 16 bits: 40 products x 0.7856 = 31.4 -> 31 DSPs (camillaMiao-like, 16 x 4: 50 of 64)
    est = predict_layer(_dense(10, 4, "ap_fixed<16,6>", "ap_fixed<16,6>"), VITIS_Z020)
    assert est.dsp == round(40 * 0.8 / (1 + math.exp(-4))) == 31


def test_narrow_record_is_no_longer_over_predicted():
    recs = [r for r in load_records() if r["id"] == "MinhNguy3n/hls4ml-tutorial::model_3.1/hls4ml_prj::f3793a3b4f"]
    assert len(recs) == 1
    assert recs[0]["DSP"] == 2
    # every layer is narrow (9- to 12-bit data, 7- to 9-bit weights): 18 predicted before, now at most the 2 reported
    assert estimate_record(recs[0])["DSP"] <= 2


def _ctx(version: str) -> Context:
    """Vivado HLS on xc7z020-1 at 5 ns (12.5 % uncertainty, delay factor 1.2): GuillaumeDerville's setting."""
    return Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", version, 1.2)


def test_rem0_resource_kernel_reads_its_index_table_from_2020_on():
    # 4 x 3 at RF 12 (RF > n_in, 12 % 4 == 0: dense_resource_rf_gt_nin_rem0), 8-bit data x 8-bit weights (LUT
    # product): RF - 1 = 11 issues + 3 (ROM read, input mux, write-back) + the outidx read (1) + one cycle for the
    # product (2.5 + 0.1 x log2(3) = 2.66 ns, x 1.2 = 3.19) chained with its add (2.8 x 1.2 = 3.36): 6.55 ns > 4.375
    # -> one boundary. 11 + 3 + 1 + 1 = 16, GuillaumeDerville's report (Vivado HLS 2020.1); 15 with Vivado HLS 2019.2.
    assert reuse_loop_cycles(4, 3, 12, 8, 8, _ctx("2020.1")) == 16
    assert reuse_loop_cycles(4, 3, 12, 8, 8, _ctx("2019.2")) == 15
    assert reuse_loop_cycles(4, 3, 12, 8, 8, _ctx("2024.1")) == 16  # Vitis HLS versions: as 2020.1
    # RF <= n_in (rf_leq_nin) and RF > n_in not a multiple (rf_gt_nin): no index table
    assert reuse_loop_cycles(4, 3, 4, 8, 8, _ctx("2020.1")) == 4 - 1 + 3 + 1 == 7  # reported 7
    assert reuse_loop_cycles(4, 3, 6, 8, 8, _ctx("2020.1")) == 6 - 1 + 3 + 1
    # the constant is what moves it
    old = K.REM0_INDEX_READ_CYCLES
    try:
        K.REM0_INDEX_READ_CYCLES = 0
        assert reuse_loop_cycles(4, 3, 12, 8, 8, _ctx("2020.1")) == 15
    finally:
        K.REM0_INDEX_READ_CYCLES = old


def test_rem0_rule_on_a_record():
    # GuillaumeDerville's pynq_z1_final design: six Resource layers, every one RF > n_in and a multiple of it (14x8 and
    # 8x14 at RF 56, 8x4 and 4x8 at RF 32, 4x3 and 3x4 at RF 12): six cycles more than without the rule
    rid = "GuillaumeDerville/Strage-Umons::hls4ml_pynq_z1_final::fb1a8b4e36"
    recs = [r for r in load_records() if r["id"] == rid]
    assert len(recs) == 1
    with_rule = estimate_record(recs[0])["latency_max_cycles"]
    old = K.REM0_INDEX_READ_CYCLES
    try:
        K.REM0_INDEX_READ_CYCLES = 0
        without = estimate_record(recs[0])["latency_max_cycles"]
    finally:
        K.REM0_INDEX_READ_CYCLES = old
    assert with_rule - without == 6
    assert abs(with_rule - recs[0]["latency_max_cycles"]) <= abs(without - recs[0]["latency_max_cycles"])


def _latency_dense(n_in: int, n_out: int, rf: int) -> LayerCall:
    cfg = {"n_in": n_in, "n_out": n_out, "reuse_factor": rf, "strategy": "latency", "n_zeros": 0,
           "weight_t": "ap_fixed<16,6>", "accum_t": "ap_fixed<16,6>"}  # fmt: skip
    return LayerCall("fc", "dense", cfg, FixedPrecision.parse("ap_fixed<16,6>"), None, "io_parallel")


def test_latency_strategy_rf_schedule_overlaps_one_cycle_less_with_vivado_hls():
    vivado = _ctx("2020.1")
    vitis = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vitis HLS", "2021.1", 1.2)
    # GuillaumeDerville's 8 x 4 layer at RF 8, 16 x 16 bits: ALLOCATION limit ceil(32 / 8) = 4; 32 x 0.7856 = 25.1
    # products stay multiplications, the last issues in cycle ceil(25.1 / 4) - 1 = 6. The RF = 1 depth: the DSP
    # product (3.5 + 0.1 x log2 4) x 1.2 = 4.44 ns > 4.375 is a 2-cycle multiplier ending 0.065 ns into its second
    # cycle, then 3 adder levels of 3.36 ns: the first fits there, the other two take a cycle each -> 4.
    # Vivado HLS: 6 + (4 - 1) = 9 (reported 9); with the Vitis HLS overlap 6 + (4 - 2) = 8.
    assert predict_layer(_latency_dense(8, 4, 8), vivado).latency_cycles == 9
    assert predict_layer(_latency_dense(8, 4, 8), vitis).latency_cycles == 8
    assert predict_layer(_latency_dense(8, 4, 8), vivado).ii_cycles == 8
    # 4 x 8 at RF 8: same issue (cycle 6), depth 3 (2 levels): 6 + 2 = 8 (reported 8)
    assert predict_layer(_latency_dense(4, 8, 8), vivado).latency_cycles == 8
    # RF = 1: no ALLOCATION, the tool does not matter
    assert predict_layer(_latency_dense(8, 4, 1), vivado).latency_cycles == predict_layer(
        _latency_dense(8, 4, 1), vitis
    ).latency_cycles == 4


def _bench(name: str):
    from tests.benchmark_module import load_benchmark

    return load_benchmark(name)


def test_residual_summary_caps_each_repository():
    res = _bench("estimator_residuals")
    # repository A has 10 residuals of +4 (capped to a total weight of 5), B has 5 of 0 and C one of -1:
    # weights 0.5 x 10, 1 x 5, 1 x 1 -> sorted -1 (1), 0 (5), +4 (5): total 11, median at cumulative 5.5 -> 0;
    # p10 at 1.1 -> 0; p90 at 9.9 -> +4; within 2: (1 + 5) / 11
    rows = [("A", 4.0)] * 10 + [("B", 0.0)] * 5 + [("C", -1.0)]
    s = res.summarize(rows, within=2)
    assert (s["n"], s["repos"]) == (16, 3)
    assert (s["p10"], s["med"], s["p90"]) == (0.0, 0.0, 4.0)
    assert s["within"] == pytest.approx(6 / 11)
    keys = res.record_keys({"part": "xc7z020-clg400-1", "hls_tool": "Vivado HLS", "hls_tool_version": "2020.1",
                            "strategy": ["resource"], "io_type": ["io_parallel"], "reuse_factors": [1, 32]})  # fmt: skip
    assert keys == {"tool": "Vivado HLS 2020.1", "family": "zynq", "strategy": "resource", "io": "io_parallel",
                    "reuse": "RF>1"}  # fmt: skip


def test_compare_marks_repositories_whose_latency_or_dsp_moved():
    cmp = _bench("estimator_compare")
    before = {"lat_within2": 0.6, "latency_max_cycles_med": 2, "DSP_med": 0.06, "LUT_med": 0.2}
    same_lat = dict(before, LUT_med=0.3)  # only LUT moved: not marked, shown as before->after
    moved = dict(before, lat_within2=0.69)
    assert cmp.line("x", before, same_lat).startswith(" ") and "20%->30%" in cmp.line("x", before, same_lat)
    assert cmp.line("x", before, moved).startswith("*") and "60%->69%" in cmp.line("x", before, moved)
    assert cmp.line("x", None, moved).startswith("*")  # a repository new in the after run
