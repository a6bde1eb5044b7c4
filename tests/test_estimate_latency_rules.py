"""Latency rules: the Resource ReuseLoop iteration, the reshaped-input-port read, the convergent-rounding ReLU."""

from unittest import mock

import pytest

from codesign.estimate import constants as K
from codesign.estimate import estimate_record
from codesign.estimate.calibration_set import load_records
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock, chain_cycles
from codesign.estimate.layers import Context, predict_layer, reuse_loop_cycles
from codesign.estimate.network import port_read_cycles
from codesign.precision import FixedPrecision

#: Vivado HLS 2020.1 on xc7z020-1 (delay factor 1.2) at 5 ns with 12.5 % uncertainty: GuillaumeDerville's setting.
VIVADO = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2020.1", 1.2)
VITIS = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vitis HLS", "2022.1", 1.2)


def _dense(n_in: int, rf: int, strategy: str = "resource", io: str = "io_parallel", bits: int = 16) -> LayerCall:
    cfg = {"n_in": n_in, "n_out": 8, "reuse_factor": rf, "strategy": strategy, "weight_t": "ap_fixed<8,1>",
           "accum_t": "ap_fixed<24,8>"}  # fmt: skip
    return LayerCall("enc1", "dense", cfg, FixedPrecision.parse(f"ap_fixed<{bits},6>"), None, io)


def _levels(bits: int) -> int:
    """ceil(log2(bits)) by doubling (independent of math.log2)."""
    n, width = 0, 1
    while width < bits:
        width *= 2
        n += 1
    return n


def test_port_read_costs_a_cycle_per_shifter_level_only_where_the_kernel_indexes_the_port():
    # 14 inputs x 16 bits = 224-bit word: 8 levels (GuillaumeDerville's enc1: 12-14-cycle iterations vs 4-5)
    assert port_read_cycles(_dense(14, 14), VIVADO) == _levels(14 * 16) * K.PORT_SHIFT_CYCLES_PER_LEVEL == 8
    assert port_read_cycles(_dense(16, 8, bits=6), VIVADO) == _levels(16 * 6) == 7
    assert port_read_cycles(_dense(14, 1), VIVADO) == 0  # RF = 1: unrolled, constant indices
    assert port_read_cycles(_dense(14, 14, strategy="latency"), VIVADO) == 0  # unrolled products
    assert port_read_cycles(_dense(14, 14, io="io_stream"), VIVADO) == 0  # the input is a stream, not a port
    assert port_read_cycles(_dense(14, 14), VITIS) == 0  # no Vitis HLS record shows it


def test_port_read_is_added_once_to_the_design_latency():
    recs = [r for r in load_records() if r["id"] == "GuillaumeDerville/Strage-Umons::hls4ml_dse_rf16::fb1a8b4e36"]
    assert len(recs) == 1
    with_rule = estimate_record(recs[0])["latency_max_cycles"]
    old = K.PORT_SHIFT_CYCLES_PER_LEVEL
    try:
        K.PORT_SHIFT_CYCLES_PER_LEVEL = 0
        without = estimate_record(recs[0])["latency_max_cycles"]
    finally:
        K.PORT_SHIFT_CYCLES_PER_LEVEL = old
    assert with_rule - without == _levels(14 * 16)
    assert abs(with_rule - recs[0]["latency_max_cycles"]) <= 3  # reported 130 (124-130)


def _relu(inp: str, out: str) -> LayerCall:
    return LayerCall("r", "relu", {"n_in": 8}, FixedPrecision.parse(inp), FixedPrecision.parse(out), "io_parallel")


def test_convergent_rounding_relu_takes_a_cycle_on_slow_7_series_only():
    conv = _relu("ap_fixed<19,8>", "ap_ufixed<8,2,AP_RND_CONV,AP_SAT>")
    assert predict_layer(conv, VIVADO).latency_cycles == 1  # GuillaumeDerville: reported 1
    # the same relu on a delay-factor 1.0 part (ArgyKokk, xc7z007s-2, RND_CONV + SAT from 16 bits): 0
    fast_part = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vitis HLS", "2021.1", 1.0)
    assert predict_layer(_relu("ap_fixed<16,4>", "ap_ufixed<8,0,AP_RND_CONV,AP_SAT>"), fast_part).latency_cycles == 0
    # AP_RND (PYNQ_IA: 0 cycles), truncation, and RND_CONV that drops no fraction bit cost no extra level
    assert predict_layer(_relu("ap_fixed<16,6>", "ap_fixed<6,1,AP_RND,AP_SAT>"), VIVADO).latency_cycles == 0
    assert predict_layer(_relu("ap_fixed<19,8>", "ap_ufixed<8,2>"), VIVADO).latency_cycles == 0
    assert predict_layer(_relu("ap_fixed<8,2>", "ap_ufixed<8,2,AP_RND_CONV,AP_SAT>"), VIVADO).latency_cycles == 0
    # a registered relu holds its outputs
    assert predict_layer(conv, VIVADO).ff == 8 * 8


def test_reuse_loop_iteration_adds_its_accumulation_tree():
    # reported module latencies, Vivado HLS 2020.1 at 4.38 ns on xc7z020-1 (per-module csynth reports)
    assert reuse_loop_cycles(64, 32, 32, 6, 6, VIVADO) == 36  # Gabriele-bot/PYNQ_IA fc2: 2 products per acc
    assert reuse_loop_cycles(32, 32, 16, 6, 6, VIVADO) == 20  # PYNQ_IA fc3
    # GuillaumeDerville bottleneck (RF > n_in: one product per acc; rem0 kernel: + its outidx read): reported 16
    assert reuse_loop_cycles(4, 3, 12, 8, 8, VIVADO) == 16
    # its dec2 (4 x 8 at RF 32) reported 35 in both designs: one of the 3 of 12 rem0 layers without the index read
    assert reuse_loop_cycles(4, 8, 32, 8, 8, VIVADO) == 36
    assert reuse_loop_cycles(3, 4, 3, 8, 8, VIVADO) == 6  # GuillaumeDerville dec1 at RF 3
    # more products per accumulator and iteration (RF <= n_in: block / n_out of them) make the iteration deeper
    shallow = reuse_loop_cycles(32, 32, 50, 4, 4, VIVADO) - 49
    deep = reuse_loop_cycles(800, 32, 50, 4, 4, VIVADO) - 49  # Spehic qdense_1: 16 products per acc
    assert deep > shallow >= K.RESOURCE_ITER_BASE_CYCLES
    # the layer estimate uses it at RF > 1 (and adds the stream words in io_stream)
    assert predict_layer(_dense(64, 16, bits=6), VIVADO).latency_cycles == reuse_loop_cycles(64, 8, 16, 6, 8, VIVADO)


def _softmax(n: int, ctx: Context, in_bits: int = 16, io: str = "io_parallel") -> LayerCall:
    cfg = {"n_in": n, "table_size": 1024, "implementation": "softmax_implementation::stable"}
    inp = FixedPrecision.parse(f"ap_fixed<{in_bits},{min(6, in_bits - 1)}>")
    return LayerCall("sm", "softmax", cfg, inp, inp, io)


def _usp(tool: str, period: float, uncertainty: float) -> Context:
    return Context(Clock(period, uncertainty), "DSP48E2", "auto", tool, None, K.DELAY_FACTOR_ULTRASCALE_PLUS)


def test_softmax_on_ultrascale_plus_keeps_its_table_reads():
    vitis, vivado = _usp("Vitis HLS", 3.33, 0.9), _usp("Vivado HLS", 3.33, 0.9)  # alex-yang-upenn: 2.43 ns
    lat = {name: predict_layer(_softmax(5, c), c).latency_cycles for name, c in (("vitis", vitis), ("vivado", vivado))}
    # the chain is scaled by max(0.2, SOFTMAX_MIN_DELAY_FACTOR), not by the dense layers' 0.2
    assert K.SOFTMAX_MIN_DELAY_FACTOR > K.DELAY_FACTOR_ULTRASCALE_PLUS
    # Vitis HLS registers both table reads on every device; Vivado HLS not on UltraScale+
    assert lat["vitis"] - lat["vivado"] == K.SOFTMAX_TABLE_REGISTERS
    assert abs(lat["vitis"] - 8) <= 1  # alex-yang-upenn, Vitis 2022.2, xcu55c, n = 5: 8 cycles
    # Vivado HLS, UltraScale+, 4.38 ns, n = 10: mbavier's io_stream softmax, 3 cycles besides its stream word
    at_5ns = _usp("Vivado HLS", 5.0, 0.625)
    assert abs(predict_layer(_softmax(10, at_5ns), at_5ns).latency_cycles - 3) <= 1
    # a 6-bit input addresses a 64-entry LUT table: the dense factor, no table register (MuhammadAshraful: 0)
    ku5p = _usp("Vitis HLS", 5.0, 0.625)  # MuhammadAshraful's xcku5p setting
    narrow = predict_layer(_softmax(10, ku5p, in_bits=6), ku5p).latency_cycles
    assert narrow <= 2 and narrow + K.SOFTMAX_TABLE_REGISTERS < predict_layer(_softmax(10, ku5p), ku5p).latency_cycles
    # 7-series (delay factor >= 1) is unchanged: the registers on both tools
    slow = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", None, 1.2)
    slow_vitis = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vitis HLS", None, 1.2)
    assert (
        predict_layer(_softmax(5, slow), slow).latency_cycles
        == predict_layer(_softmax(5, slow), slow_vitis).latency_cycles
    )


def _stream_relu(n: int, pack: int) -> LayerCall:
    p = FixedPrecision.parse("ap_fixed<16,6>")
    return LayerCall("r", "relu", {"n_in": n}, p, p, "io_stream", pack=pack)


USP_VIVADO = _usp("Vivado HLS", 5.0, 0.625)


def test_stream_relu_is_a_loop_over_its_words_in_a_function_that_is_not_pipelined():
    # RishThakkar (Vivado HLS 2019.2), 14400 elements in 900 words of 16: 903 on xczu5ev, 904 on xc7z020-1
    for ctx, reported in ((USP_VIVADO, 903), (VIVADO, 904)):
        est = predict_layer(_stream_relu(14400, 16), ctx)
        assert est.latency_cycles == reported and est.ii_cycles == reported and est.sequential
    # one word: one pipeline, II 1 (1 cycle on UltraScale+, 2 on 7-series -1 at 5 ns)
    one = [predict_layer(_stream_relu(64, 64), c) for c in (USP_VIVADO, VIVADO)]
    assert [x.latency_cycles for x in one] == [1, 2] and all(x.ii_cycles == 1 and not x.sequential for x in one)
    # io_parallel is unchanged: a relu that fits the cycle is combinational
    par = LayerCall("r", "relu", {"n_in": 64}, FixedPrecision.parse("ap_fixed<16,6>"), None, "io_parallel")
    assert predict_layer(par, USP_VIVADO).latency_cycles == 0


def test_stream_dense_and_softmax_take_their_next_input_once_done():
    # every io_stream dense and softmax report has interval = latency
    dense = predict_layer(_dense(64, 1, strategy="latency", io="io_stream"), VIVADO)
    assert dense.ii_cycles == dense.latency_cycles and dense.sequential
    core = predict_layer(_dense(64, 1, strategy="latency"), VIVADO).latency_cycles
    one_word = LayerCall("enc1", "dense", _dense(64, 1, strategy="latency").config, FixedPrecision.parse("ap_fixed<16,6>"),
                         None, "io_stream", pack=64)  # fmt: skip
    # one word: no loop, its read and write states around the kernel (hls4ml 0.x: the config names no kernel)
    assert predict_layer(one_word, VIVADO).latency_cycles == core + 1 + K.STREAM_DENSE_WORD_STATES
    assert dense.latency_cycles == core + 64 + K.STREAM_LOOP_CYCLES  # 64 words of 1
    sm = predict_layer(_softmax(10, USP_VIVADO, io="io_stream"), USP_VIVADO)
    assert sm.ii_cycles == sm.latency_cycles and sm.sequential


def test_stream_pooling_reads_a_pixel_per_word_cycle():
    cfg = {"n_filt": 6, "in_height": 24, "in_width": 24, "pool_height": 2, "pool_width": 2, "out_height": 12,
           "out_width": 12, "stride_height": 2, "stride_width": 2}  # fmt: skip
    call = LayerCall("p", "pooling2d_cl", cfg, FixedPrecision.parse("ap_fixed<16,6>"), None, "io_stream", pack=6)
    fast, slow = predict_layer(call, USP_VIVADO), predict_layer(call, VIVADO)
    # UltraScale+: one pixel a cycle (RishThakkar, alex-yang-upenn, CestMerNeil Vitis, Gabriele-bot ALVEO);
    # 7-series -1 at 5 ns: two (CestMerNeil Vivado, ChiRuiChen, kendermag, Spehic, RishThakkar)
    assert fast.latency_cycles == 576 + K.STREAM_LOOP_CYCLES and slow.latency_cycles == 2 * 576 + K.STREAM_LOOP_CYCLES
    assert fast.ii_cycles == fast.latency_cycles and fast.sequential


def test_clock_uncertainty_counts_only_where_the_script_applies_it():
    from codesign.estimate.settings import settings_from_record

    def unc(lines):
        return settings_from_record({"tcl_config_lines": lines})["clock_uncertainty"]

    applied = ["set clock_uncertainty 12.5%", "set_clock_uncertainty $clock_uncertainty default"]
    assert unc(applied) == "12.5%"  # hls4ml's build_prj.tcl
    assert unc(["set clock_uncertainty 12.5%"]) is None  # a variable nobody applies: the tool's default
    assert unc(["set clock_uncertainty 12.5%", "set_clock_uncertainty 0.5 default"]) == "0.5"  # a literal wins
    assert unc([]) is None
    # alex-yang-upenn's record sets the variable alone and its report says 0.9 ns: 27 % of 3.33 ns (Vitis default)
    rec = [r for r in load_records() if r["id"] == "alex-yang-upenn/vitis_accel_backend_test::.::ab6b341da7"]
    assert len(rec) == 1 and rec[0]["clock_uncertainty_ns"] == 0.9
    assert settings_from_record(rec[0])["clock_uncertainty"] is None


def _latency_rules():
    from tests.benchmark_module import load_benchmark

    return load_benchmark("latency_rules")


def test_candidate_latency_rules_by_hand():
    """benchmarks/latency_rules.py's variants (tried, not kept): the data-sheet factor and the registered product."""
    m = _latency_rules()
    # DSP48E1 Fmax ratio to Artix-7 -2 (550.66 MHz): Virtex-7 -2 650.20, Zynq 7z020 -1 464.25, Virtex-7 -3 741.84
    assert m.datasheet_delay_factor("virtex7", "xc7vx485tffg1761-2") == pytest.approx(0.8469, abs=1e-4)
    assert m.datasheet_delay_factor("zynq", "xc7z020-clg400-1") == pytest.approx(1.1861, abs=1e-4)
    assert m.datasheet_delay_factor("virtex7", "xc7vx690t-ffg1930-3") == pytest.approx(0.7423, abs=1e-4)
    assert m.datasheet_delay_factor("zynq", "xc7z007s-clg225-2") == 1.0
    assert m.fabric_class("zynq", "xc7z045-ffg900-2") == "kintex"  # Zynq 7z030 and up: Kintex-7 fabric
    assert m.datasheet_delay_factor("alveo", "xcu250-figd2104-2L-e") == K.DELAY_FACTOR_ULTRASCALE_PLUS
    # a 3.5 ns product at 2.91 ns spans 2 cycles; a 2.0 ns add chains into its last 0.59 ns (shipped) or waits
    # for the next cycle (registered output)
    assert chain_cycles([3.5, 2.0], 2.91) == 2
    assert m.registered_chain_cycles([3.5, 2.0], 2.91) == 3
    assert m.registered_chain_cycles([2.0, 0.5], 2.91) == chain_cycles([2.0, 0.5], 2.91) == 0


def test_softmax_candidate_variants_touch_only_their_kernel_and_tool():
    """latency_rules.py's tenth-round softmax variants (tried, not kept): Vivado HLS's latency softmax on a fast device
    takes N table registers more; the Vitis floor on the softmax factor moves Vitis HLS on a fast device only."""
    m = _latency_rules()

    def lat(n: int, ctx: Context, impl: str = "stable") -> int:
        call = _softmax(n, ctx)
        call = LayerCall(call.name, call.function, {**call.config, "implementation": f"softmax_implementation::{impl}"},
                         call.input, call.output, call.io_type)  # fmt: skip
        return predict_layer(call, ctx).latency_cycles

    vitis_usp, slow = (
        _usp("Vitis HLS", 3.33, 0.9),
        Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", None, 1.2),
    )
    cases = [(10, USP_VIVADO, "latency"), (10, USP_VIVADO, "stable"), (5, vitis_usp, "latency"), (5, slow, "latency")]
    shipped = [lat(*c) for c in cases]
    with m.variant("softmax-latency-registers-vivado 2"):
        assert [lat(*c) for c in cases] == [shipped[0] + 2, *shipped[1:]]
    with mock.patch.object(K, "SOFTMAX_MIN_DELAY_FACTOR", 0.6):
        vitis_06 = lat(5, vitis_usp, "stable")  # the same floor through the shipped constant (both tools)
    with m.variant("softmax-floor-vitis 0.6"):
        assert lat(5, vitis_usp, "stable") == vitis_06
        assert [lat(*c) for c in cases if not c[1].vitis] == [
            s for c, s in zip(cases, shipped, strict=True) if not c[1].vitis
        ]
    assert vitis_06 > lat(5, vitis_usp, "stable")  # the floor does move it (alex-yang-upenn's setting)


def test_vitis_floor_context_raises_only_newer_vitis_on_fast_devices():
    """latency_rules.py's ``vitis2022.2-floor F`` (tried, not kept): the logic factor of Vitis HLS 2022.2+ on a fast
    device is at least F; Vitis HLS 2022.1, Vivado HLS and 7-series contexts are left as they are."""
    make = _latency_rules()._vitis_floor_context(0.4)
    clock = Clock(5.0, 1.35)

    def factor(tool: str, version: str, df: float) -> float:
        return make(clock, "DSP48E2", "auto", tool, version, df, df).delay_factor

    assert factor("Vitis HLS", "2022.2", 0.2) == 0.4
    assert factor("Vitis HLS", "2024.1", 0.2) == 0.4
    assert factor("Vitis HLS", "2022.1", 0.2) == 0.2
    assert factor("Vivado HLS", "2020.1", 0.2) == 0.2
    assert factor("Vitis HLS", "2024.2", 1.2) == 1.2
    assert make(clock, "DSP48E2", "auto", "Vitis HLS", "2023.2", 0.2, 0.2).dsp_delay_factor == 0.2
