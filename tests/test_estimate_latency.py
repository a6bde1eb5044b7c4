"""Latency / II structure of the estimator: cycle packing, reuse-factor schedules, the io_parallel top."""

from pathlib import Path

import pytest

from codesign.estimate import constants as K
from codesign.estimate.calibration_set import load_records, raw_dir, records_dir, shared_dir
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock, chain_cycles
from codesign.estimate.layers import (
    ActivationEstimator,
    BatchNormEstimator,
    Context,
    ConvEstimator,
    DenseEstimator,
    DotProductModel,
    predict_layer,
)
from codesign.estimate.network import (
    _top_overhead,
    _with_boundary_registers,
    dataflow_interval,
    pipeline_interval,
    top_style,
)
from codesign.estimate.result import LayerEstimate
from codesign.precision import FixedPrecision
from tests.benchmark_module import load_benchmark

ROOT = Path(__file__).resolve().parents[1]

#: ArgyKokk's two clocks: 3.33 ns and 5 ns with 12.5 % uncertainty, 7-series delays (factor 1).
FAST = Context(Clock(3.33, 3.33 * 0.125), "DSP48E1", "dsp", "Vitis HLS", "2021.1", 1.0)
SLOW = Context(Clock(5.0, 0.625), "DSP48E1", "dsp", "Vitis HLS", "2021.1", 1.0)


def _dense(n_in, n_out, rf=1, n_zeros=0, bits=8, name="d") -> LayerCall:
    p = FixedPrecision.parse(f"ap_fixed<{bits},2>")
    cfg = {
        "n_in": n_in,
        "n_out": n_out,
        "reuse_factor": rf,
        "n_zeros": n_zeros,
        "strategy": "latency",
        "weight_t": f"ap_fixed<{bits},1>",
        "accum_t": "ap_fixed<16,4>",
    }
    return LayerCall(name, "dense", cfg, p, FixedPrecision.parse("ap_fixed<16,4>"), "io_parallel")


def test_chain_cycles_packs_operations_into_cycles():
    assert chain_cycles([], 4.0) == 0
    assert chain_cycles([1.0, 1.0, 1.0], 4.0) == 0  # all fit in one cycle: combinational
    assert chain_cycles([3.0, 3.0], 4.0) == 1  # the second does not fit: next cycle
    assert chain_cycles([3.0, 3.0, 3.0], 4.0) == 2
    # a multi-cycle operation spans ceil(d / period) cycles; its tail chains with what follows
    assert chain_cycles([5.0], 4.0) == 2
    assert chain_cycles([5.0, 2.0], 4.0) == 2
    assert chain_cycles([5.0, 3.5], 4.0) == 3


def test_adder_tree_costs_a_cycle_per_level_on_7_series():
    """Two adders do not fit in one 4.38 ns cycle on 7-series: one level per cycle, as ArgyKokk's reports."""
    est = DenseEstimator()
    depths = [est.predict(_dense(fan, 16), SLOW).latency_cycles for fan in (2, 4, 16, 64)]
    assert depths == [1, 2, 4, 6]
    # the faster clock adds the pipelined DSP product in front of the tree
    assert est.predict(_dense(16, 16), FAST).latency_cycles > depths[2]
    # UltraScale+ delays (factor 0.2): a whole 16-term dot product in one cycle (Lrozzy, kimhaneal11: 0-1)
    usp = Context(Clock(5.0, 1.35), "DSP48E2", "auto", "Vitis HLS", "2024.1", K.DELAY_FACTOR_ULTRASCALE_PLUS)
    assert est.predict(_dense(16, 32, bits=16), usp).latency_cycles == 1


def test_reuse_factor_schedule_and_interval():
    """ALLOCATION-limited schedule: II = min(RF, latency + 1); RF = 1 and RF = 2 keep the unrolled depth."""
    est = DenseEstimator()
    rf1 = est.predict(_dense(16, 64, rf=1, n_zeros=165), FAST)
    rf2 = est.predict(_dense(16, 64, rf=2, n_zeros=165), FAST)
    rf100 = est.predict(_dense(16, 64, rf=100, n_zeros=165), FAST)
    assert rf1.ii_cycles == 1 and rf2.ii_cycles == 2
    assert rf2.latency_cycles == rf1.latency_cycles
    # RF 100 on 1024 weights: ~10 multipliers for ~160 true products -> ~20 issue cycles, then the tree tail
    assert rf1.latency_cycles < rf100.latency_cycles < 99
    assert rf100.ii_cycles == rf100.latency_cycles + 1
    # a reuse factor the schedule cannot beat keeps II = RF
    big = est.predict(_dense(64, 64, rf=3), FAST)
    assert big.ii_cycles == 3
    # fewer multipliers (larger RF) never shorten the schedule
    lats = [est.predict(_dense(32, 32, rf=rf), FAST).latency_cycles for rf in (1, 4, 16, 64, 256)]
    assert lats == sorted(lats)


def test_reuse_factor_moves_lut_only_where_products_stay_multiplications():
    """Default mapping, 6-bit constants (the demo's): RF 4 moves II alone; ``-impl fabric``: the shared LUT
    multipliers take the LUT down (docs/estimator.md, "Latency strategy at RF > 1: what the reuse factor moves")."""
    est = DenseEstimator()
    usp = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vitis HLS", "2024.1", K.DELAY_FACTOR_ULTRASCALE_PLUS)
    rf1, rf4 = (est.predict(_dense(64, 32, rf=rf, n_zeros=1536, bits=6), usp) for rf in (1, 4))
    assert (rf4.lut, rf4.ff, rf4.dsp, rf4.latency_cycles) == (rf1.lut, rf1.ff, rf1.dsp, rf1.latency_cycles)
    assert rf1.ii_cycles == 1 and rf4.ii_cycles == min(4, rf4.latency_cycles + 1) < 4
    fabric = Context(Clock(5.0, 0.625), "DSP48E1", "fabric", "Vitis HLS", "2021.1", 1.0)
    f1, f100 = (est.predict(_dense(32, 10, rf=rf), fabric) for rf in (1, 100))
    assert f1.dsp == f100.dsp == 0 and f100.lut < 0.7 * f1.lut  # ArgyKokk mnist 32x10: 14178 -> 7805 reported


def test_allocated_mults_depend_on_the_multiplier_mapping():
    # forced mapping: the saturating share; default mapping: only the DSP share of the products
    assert DotProductModel.allocated_mults(1000, 0.01, "dsp") == pytest.approx(
        1000 * K.DSP_FORCED_FRACTION / (1 + 1000 / K.DSP_FORCED_SATURATION)
    )
    assert DotProductModel.allocated_mults(1000, 0.01, "auto") == pytest.approx(10.0)


def test_batchnorm_interval_follows_its_latency():
    p = FixedPrecision.parse("ap_fixed<16,4>")
    cfg = {"n_in": 3, "reuse_factor": 100, "scale_t": "ap_fixed<16,4>"}
    bn = BatchNormEstimator().predict(LayerCall("bn", "normalize", cfg, p, p, "io_parallel"), SLOW)
    assert (bn.latency_cycles, bn.ii_cycles) == (0, 1)  # ArgyKokk: 0 cycles, II 1 at RF 1, 2 and 100


def _layer(kind: str, lat: int) -> LayerEstimate:
    return LayerEstimate(kind, kind, lat, 1, 0, 0, 0, 0)


def test_top_overhead_counts_call_boundaries():
    layers = [_layer("dense", 3), _layer("relu", 0), _layer("dense", 2), _layer("batchnorm", 0)]
    layers += [_layer("relu", 0), _layer("dense", 1), _layer("softmax", 8)]
    # 6 boundaries (batchnorm -> relu chain); Vitis on 7-series at II = 1: one more per dense call
    assert _top_overhead(layers, 2, SLOW) == 5
    assert _top_overhead(layers, 1, SLOW) == 5 + 3 * K.TOP_CYCLES_II1_PER_DENSE
    vivado = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2018.2", 1.0)
    assert _top_overhead(layers, 1, vivado) == 5
    usp = Context(Clock(5.0, 1.35), "DSP48E2", "auto", "Vitis HLS", "2024.1", 0.2)
    assert _top_overhead(layers, 1, usp) == 5
    # HGQ casts are inlined: they add no boundary
    with_casts = [_layer("cast", 0)] + [x for pair in zip(layers, [_layer("cast", 0)] * 7, strict=True) for x in pair]
    assert _top_overhead(with_casts, 2, SLOW) == 5


def _benchmark():
    return load_benchmark("estimator_accuracy")


def test_layer_summary_fractions():
    bench = _benchmark()
    rows = [
        {
            "repo": "a",
            "group": "io_parallel dense RF=1",
            "pred_latency": 5,
            "act_latency": 5,
            "pred_ii": 1,
            "act_ii": 1,
        },
        {
            "repo": "b",
            "group": "io_parallel dense RF=1",
            "pred_latency": 4,
            "act_latency": 6,
            "pred_ii": 1,
            "act_ii": 2,
        },
        {"repo": "b", "group": "io_parallel relu", "pred_latency": 1, "act_latency": 0, "pred_ii": 1, "act_ii": 1},
    ]
    s = bench.summarize_layers(rows)
    d = s["io_parallel dense RF=1"]
    assert (d["n"], d["repos"], d["lat_exact"], d["lat_within1"], d["ii_exact"]) == (2, 2, 0.5, 0.5, 0.5)
    assert s["ALL io_parallel layers"]["n"] == 3 and s["ALL io_parallel layers"]["lat_within1"] == pytest.approx(2 / 3)


#: The repositories whose per-layer reports the dense depth model was read on and this guard was set on
#: (the calibration set before December 2026; constants.py). Their Latency-strategy dense layers at RF <= 2:
#: 71 of 75 within one cycle (the misses: MinhNguy3n's xc7z020-1, known and documented).
GUARD_REPOS = (
    "ArgyKokk/hls4ml_MLP_estimator",
    "Lrozzy/hls4ml-tutorial",
    "kimhaneal11/hls4ml_practice",
    "MinhNguy3n/hls4ml-tutorial",
)


@pytest.mark.skipif(raw_dir() is None, reason="per-layer reports (../shared/calibration/raw) not present")
def test_per_layer_io_parallel_latency_against_reports():
    """Regression guard (in-sample): io_parallel layer latencies of the stock per-module csynth reports.

    Dense: the Latency-strategy kernel (``nnet_dense_latency.h``: unrolled products and adder trees), whose
    depth model this guards. Floor 0.9 within one cycle on GUARD_REPOS, the repositories it was read and set on;
    floor 0.85 on every record present (December 2026, 222 records: 87 of 98, 0.89). The layers of the newer
    repositories that miss (freaksie/ML-on-Chip, Vivado HLS 2018.3 on Virtex-7: two adder levels per cycle where
    the model has one; alex-yang-upenn at 2.91 ns on UltraScale+) have no rule yet that does not break another
    repository (a Kintex/Virtex-7 delay factor fixed freaksie and broke fastmachinelearning/hls4ml's Vivado HLS
    2016.4 design); ``benchmarks/estimator_accuracy.py`` reports them per group. Resource-strategy dense layers
    are another kernel and are reported there too (``io_parallel dense/resource``).
    """
    bench = _benchmark()
    rows = [r for r in bench.layer_rows(load_records(shared_dir()), shared_dir()) if r["call"].io_type == "io_parallel"]
    dense = [
        r
        for r in rows
        if r["call"].function == "dense"
        and str(r["call"].config.get("strategy", "latency")).lower() == "latency"
        and (r["call"].num("reuse_factor") or 1) <= 2
        and r["call"].num("n_in") * r["call"].num("n_out") < 8192
    ]
    within = {id(r): abs(predict_layer(r["call"], r["ctx"]).latency_cycles - r["module"].latency_max) <= 1 for r in dense}
    guarded = [r for r in dense if r["repo"] in GUARD_REPOS]
    assert len(guarded) >= 60 and {r["repo"] for r in guarded} == set(GUARD_REPOS)
    assert sum(within[id(r)] for r in guarded) / len(guarded) >= 0.9
    assert sum(within.values()) / len(dense) >= 0.85
    others = [r for r in rows if r["call"].function != "dense" and r["module"].interval_max is not None]
    ii_ok = [predict_layer(r["call"], r["ctx"]).ii_cycles == r["module"].interval_max for r in others]
    assert sum(ii_ok) / len(ii_ok) >= 0.95


def _softmax(n: int, ctx: Context, implementation: str = "softmax_implementation::stable") -> int:
    return ActivationEstimator.softmax_cycles(n, implementation, ctx)


def test_softmax_cycles_follow_its_trees_and_tables():
    # ArgyKokk (Vitis 2021.1, 7-series): 8 / 12 / 14 cycles for n = 2 / 6 / 10 at 4.38 ns with -impl dsp
    assert [_softmax(n, SLOW) for n in (2, 6, 10)] == [8, 12, 14]
    # two trees of ceil(log2 n) levels: more cycles per level at the faster clock
    assert _softmax(16, FAST) - _softmax(4, FAST) > _softmax(16, SLOW) - _softmax(4, SLOW)
    fabric = Context(SLOW.clock, "DSP48E1", "fabric", "Vitis HLS", "2021.1", 1.0)
    assert _softmax(6, fabric) < _softmax(6, SLOW)  # the product leaves the registered DSP
    assert _softmax(6, SLOW, "softmax_implementation::latency") < _softmax(6, SLOW)  # no max tree
    usp = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vivado HLS", None, K.DELAY_FACTOR_ULTRASCALE_PLUS)
    # UltraScale+ is faster, but not by the dense layers' factor (test_estimate_latency_rules.py)
    assert 2 <= _softmax(5, usp) < _softmax(5, SLOW) - 4


def test_vitis_leaves_very_large_accumulations_as_chains():
    est = DenseEstimator()
    small = est.predict(_dense(64, 64), SLOW).latency_cycles
    big = est.predict(_dense(561, 20, n_zeros=4381), SLOW).latency_cycles
    # 342 terms per output, about two chained adders per 4.38 ns cycle (ArgyKokk reports 192 cycles)
    assert small <= 6 and 150 <= big <= 220
    vivado = Context(SLOW.clock, "DSP48E1", "dsp", "Vivado HLS", "2019.2", 1.0)
    assert est.predict(_dense(561, 20, n_zeros=4381), vivado).latency_cycles <= 12


def test_call_boundaries_register_the_layer_outputs():
    """The top's register row: each boundary holds the previous layer's outputs (n_out x width)."""
    relu_cfg = {"n_in": 64}
    p16, p8 = FixedPrecision.parse("ap_fixed<16,4>"), FixedPrecision.parse("ap_ufixed<8,0>")
    calls = [
        _dense(16, 64),
        LayerCall("r", "relu", relu_cfg, p16, p8, "io_parallel"),
        LayerCall("r2", "relu", relu_cfg, p8, p8, "io_parallel"),
        _dense(64, 5),
    ]
    layers = [
        LayerEstimate("d", "dense/latency", 5, 1, 0, 100, 0, 0),
        LayerEstimate("r", "relu", 0, 1, 0, 0, 0, 0),
        LayerEstimate("r2", "relu", 0, 1, 0, 0, 0, 0),
        LayerEstimate("d2", "dense/latency", 4, 1, 0, 10, 0, 0),
    ]
    out = _with_boundary_registers(calls, layers)
    # dense -> relu: 64 x 16 bits; relu -> relu chains (no register); relu -> dense: 64 x 8; the last none
    assert [x.ff for x in out] == [100 + 64 * 16, 0, 64 * 8, 10]


def test_fabric_products_cost_lut_multipliers_not_a_bigger_tree():
    """-impl fabric: the products -impl dsp puts on DSPs become ~wd x ww-LUT multipliers (ArgyKokk pairs)."""
    fabric = Context(SLOW.clock, "DSP48E1", "fabric", "Vitis HLS", "2021.1", 1.0)
    for rf in (1, 100):
        on_dsp = DenseEstimator().predict(_dense(64, 32, rf=rf, n_zeros=576), SLOW)
        on_lut = DenseEstimator().predict(_dense(64, 32, rf=rf, n_zeros=576), fabric)
        assert on_lut.dsp == 0 and on_dsp.dsp > 0
        assert on_lut.lut - on_dsp.lut == pytest.approx(on_dsp.dsp * 8 * 8 * K.LUT_PER_MULT_BIT2, rel=0.02)


def test_stream_conv_pays_the_kernel_interval_per_pixel():
    """io_stream conv: one window evaluation per input pixel at II = RF, or at the pixel pipeline's depth where
    RF is longer than that depth (the loop then runs without overlap)."""
    p = FixedPrecision.parse("ap_fixed<8,2>")
    geometry = {"in_height": 6, "in_width": 6, "n_chan": 16, "n_filt": 24, "filt_height": 3, "filt_width": 3}
    geometry |= {"out_height": 4, "out_width": 4, "weight_t": "ap_fixed<8,1>", "accum_t": "ap_fixed<16,4>"}
    ests = {}
    for rf in (1, 128):
        cfg = dict(geometry, reuse_factor=rf, strategy="latency")
        ests[rf] = est = ConvEstimator().predict(LayerCall("c", "conv_2d_cl", cfg, p, p, "io_stream"), SLOW)
        depth = est.fill_cycles - 1
        assert est.ii_cycles == est.latency_cycles == 35 * min(rf, depth) + depth + 1
    # RishThakkar (RF 128, Vivado HLS 2019.2): 398 cycles reported where 36 x RF would be 4608
    assert ests[1].latency_cycles < ests[128].latency_cycles < 36 * 128


def test_table_activation_pays_the_rom_read_register():
    """sigmoid = index arithmetic + a ROM read with a registered output: 2 cycles where the logic is tiny
    (kimhaneal11 xcu55c, fastmachinelearning/hls4ml xc7vx690t reports), one more where it spills a cycle."""
    p = FixedPrecision.parse("ap_fixed<16,6>")
    call = LayerCall("s", "sigmoid", {"n_in": 1, "table_size": 1024}, p, p, "io_parallel")
    ultrascale_plus = Context(Clock(5.0, 1.35), "DSP48E2", "auto", "Vitis HLS", "2022.1", 0.2)
    assert predict_layer(call, ultrascale_plus).latency_cycles == 1 + K.TABLE_ROM_READ_CYCLES == 2
    assert predict_layer(call, SLOW).latency_cycles == 2
    assert predict_layer(call, FAST).latency_cycles == 3  # 4 ns of index logic does not fit 2.91 ns


def _ii_layer(lat: int, ii: int, sequential: bool = False) -> LayerEstimate:
    return LayerEstimate("x", "dense", lat, ii, 0, 0, 0, 0, sequential=sequential)


def test_top_interval_follows_the_top_pragma_and_the_slowest_layer():
    """io_parallel PIPELINE: the slowest layer's II (the pragma has no II=); DATAFLOW: + the handshake cycle."""
    rf100 = [_dense(16, 64, rf=100), _dense(64, 5, rf=100)]
    # the top's own pragma decides, whatever the layers
    assert (
        top_style({"top_pragmas": ["#pragma HLS ARRAY_PARTITION variable=x complete", "#pragma HLS PIPELINE "]}, [])[0]
        == "pipeline"
    )
    assert top_style({"top_pragmas": ["#pragma HLS PIPELINE II=4"]}, []) == ("pipeline", 4)
    assert top_style({"top_pragmas": ["#pragma HLS DATAFLOW"]}, rf100) == ("dataflow", None)
    # without pragma text: hls4ml's SetPipelineStyle 'auto' rule
    assert top_style({}, rf100) == ("pipeline", None)
    res = LayerCall("r", "dense", {**rf100[0].config, "strategy": "resource"}, None, None, "io_parallel")
    assert top_style({}, [res, rf100[1]]) == ("dataflow", None)
    conv = LayerCall("c", "conv_2d_cl", {"n_partitions": 676}, None, None, "io_parallel")
    assert top_style({}, [conv])[0] == "dataflow"
    unrolled = LayerCall("u", "dense", {"strategy": "resource_unrolled", "reuse_factor": 8}, None, None, "io_parallel")
    assert top_style({}, [unrolled, rf100[0]]) == ("pipeline", 100)
    # PIPELINE without II=: the slowest layer's II, a layer whose schedule is shorter than its RF at latency + 1
    # (ArgyKokk jet_tagging DSP_reuse100: layers at II 29, 1, 28, 1, 34, 1, 48, 1 -> top II 48)
    layers = [_ii_layer(28, 29), _ii_layer(1, 1), _ii_layer(47, 48), _ii_layer(16, 1)]
    assert pipeline_interval(layers, None, 161) == 48
    # an explicit II= longer than the layers' is met, up to the pipeline's depth
    assert pipeline_interval(layers, 100, 161) == 100
    assert pipeline_interval(layers, 500, 161) == 162
    assert pipeline_interval(layers, 8, 161) == 48
    # DATAFLOW: a non-pipelined process (II = its latency) is restarted a cycle after its ap_done
    # (MuhammadAshraful, Vitis 2024.1: conv 1353/1353, dense_resource 107/107, softmax 0/1 -> top II 1354)
    procs = [_ii_layer(1353, 1353, True), _ii_layer(107, 107, True), _ii_layer(0, 1)]
    assert dataflow_interval(procs) == 1354
    assert dataflow_interval([_ii_layer(317, 308), _ii_layer(5, 1)]) == 308  # pipelined: its own II


def test_multi_partition_conv_and_parallel_resource_dense_are_not_pipelined():
    p = FixedPrecision.parse("ap_fixed<6,2>")
    cfg = {
        "n_chan": 1, "n_filt": 2, "filt_height": 3, "filt_width": 3, "in_height": 28, "in_width": 28,
        "out_height": 26, "out_width": 26, "reuse_factor": 128, "n_partitions": 676, "strategy": "latency",
        "weight_t": "ap_fixed<6,2>", "accum_t": "ap_fixed<6,2>",
    }  # fmt: skip
    conv = ConvEstimator().predict(LayerCall("c", "conv_2d_cl", cfg, p, p, "io_parallel"), SLOW)
    assert conv.sequential and conv.ii_cycles == conv.latency_cycles
    one = ConvEstimator().predict(LayerCall("c", "conv_2d_cl", {**cfg, "n_partitions": 1}, p, p, "io_parallel"), SLOW)
    assert not one.sequential
    dcfg = {**_dense(1352, 10, rf=104).config, "strategy": "resource"}
    dense = DenseEstimator().predict(LayerCall("d", "dense", dcfg, p, p, "io_parallel"), SLOW)
    assert dense.sequential and dense.ii_cycles == dense.latency_cycles


def test_top_interval_on_records_whose_settings_determine_it():
    """Stock io_parallel Latency records whose II the settings fix: RF 1 and 2, RF 100 with a long schedule.

    Left out: records whose report is the ``myproject`` core inside a wrapper that hls4ml's settings do not
    describe (the VitisAccelerator ``kernel_wrapper`` feeds the core through memory ports: alex-yang-upenn's
    core reports II 3 with every layer at II 1, the wrapper's two ports over 5 outputs).
    """
    from codesign.estimate import estimate_record

    recs = load_records(records_dir())
    picked = [
        r
        for r in recs
        if "custom_or_modified_hls4ml" not in r["flags"]
        and not any(f.startswith("vitis_accelerator_kernel_wrapper") for f in r["flags"])
        and r["io_type"] == ["io_parallel"]
        and (max(r["reuse_factors"] or [1]) <= 2 or "/HAR/" in r["id"] or "MuhammadAshraful" in r["repo"])
        and "latency" in (r["strategy"] or [])
    ]
    assert len(picked) >= 25
    for r in picked:
        assert estimate_record(r)["interval_max"] == r["interval_max"], r["id"]


def test_resource_dense_interval_follows_the_tool_and_old_dense_large_is_resource():
    """Vivado HLS rewinds the Resource ReuseLoop (II = RF); Vitis HLS and RF = 1 finish first (II = latency)."""
    p = FixedPrecision.parse("ap_fixed<16,6>")
    cfg = {**_dense(16, 64, rf=16).config, "strategy": "resource", "weight_t": "ap_fixed<16,6>"}
    vivado = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2020.1", 1.2)
    viv = DenseEstimator().predict(LayerCall("d", "dense", cfg, p, p, "io_parallel"), vivado)
    vit = DenseEstimator().predict(LayerCall("d", "dense", cfg, p, p, "io_parallel"), SLOW)
    # RF 16 issues, then one iteration: ROM read and input mux, a 16 x 16 DSP product driving 64 outputs
    # ((3.5 + 0.1 x log2 64) x 1.2 = 4.92 ns), one adder into its accumulator
    assert (viv.ii_cycles, viv.sequential) == (16, False) and viv.latency_cycles == 15 + K.RESOURCE_ITER_BASE_CYCLES + chain_cycles([4.92, 2.8 * 1.2], 4.375)
    assert vit.sequential and vit.ii_cycles == vit.latency_cycles
    one = DenseEstimator().predict(LayerCall("d", "dense", {**cfg, "reuse_factor": 1}, p, p, "io_parallel"), vivado)
    assert one.sequential and one.ii_cycles == one.latency_cycles
    # hls4ml <= 0.4's dense_large (no strategy field) is the Resource kernel: reused multipliers, II = RF
    old = {k: v for k, v in cfg.items() if k != "strategy"}
    large = DenseEstimator().predict(LayerCall("d", "dense_large", old, p, p, "io_parallel"), vivado)
    assert large.kind == "dense/resource" and large.ii_cycles == 16
