"""Latency, eighth round: the build script's ``-enable_dsp_full_reg`` setting and the candidate rules read with it.

None of the candidates is in the shipped estimate (docs/estimator.md, eighth round): these tests pin the
parser, that the hooks leave the shipped figures alone, and each candidate's arithmetic worked out by hand.
"""

from dataclasses import replace

from codesign.estimate import constants as K
from codesign.estimate.calibration_set import load_records
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock, dsp_full_reg
from codesign.estimate.layers import Context, predict_layer, reuse_loop_cycles
from codesign.estimate.settings import settings_from_record
from codesign.precision import FixedPrecision
from tests.benchmark_module import load_benchmark

#: Vivado HLS 2020.1 on xc7z020-1 (delay factor 1.2) at 5 ns, 12.5 %: 4.375 ns per cycle (GuillaumeDerville, PYNQ_IA).
Z020 = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2020.1", 1.2)
#: Vivado HLS 2018.3 on a Virtex-7 -2 part (delay factor 1.0) at 5 ns (freaksie).
V7 = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2018.3", 1.0)


def _latency_rules():
    return load_benchmark("latency_rules")


def test_dsp_full_reg_reads_the_config_schedule_line():
    assert dsp_full_reg(None) is True and dsp_full_reg([]) is True  # the tools' default
    assert dsp_full_reg(["config_compile -name_max_length 80", "config_schedule -enable_dsp_full_reg=false"]) is False
    assert dsp_full_reg(["config_schedule -enable_dsp_full_reg false"]) is False
    assert dsp_full_reg(["config_schedule -enable_dsp_full_reg=true"]) is True
    assert dsp_full_reg(["config_schedule -effort high"]) is True
    # the two repositories whose Resource iterations differ at the same tool, part and clock
    flags = {}
    for rec in load_records():
        if rec["repo"] in ("GuillaumeDerville/Strage-Umons", "Gabriele-bot/PYNQ_IA"):
            flags.setdefault(rec["repo"], set()).add(dsp_full_reg(settings_from_record(rec)["tcl_config_lines"]))
    assert flags == {"GuillaumeDerville/Strage-Umons": {False}, "Gabriele-bot/PYNQ_IA": {True}}


def test_hooks_off_leave_the_estimate_as_shipped():
    assert not (K.DSP_POSTADDER_CHAIN_VIVADO or K.DSP_POSTADDER_CHAIN_VITIS or K.RESOURCE_PRODUCT_ADD_CHAIN
                or K.RESOURCE_PRODUCT_REGISTERED_VIVADO)  # fmt: skip
    unreg = replace(Z020, dsp_full_reg=False)
    # GuillaumeDerville's 8x4 layer at RF 4 (8-bit LUT products, 2 per accumulator): RF - 1 + 3 + 2 boundaries
    # ([3.0 + 0.1 x log2(4) x 1.2 = 3.24, 3.36, 3.36] in 4.375 ns cycles); reported 7
    assert reuse_loop_cycles(8, 4, 4, 8, 8, Z020) == reuse_loop_cycles(8, 4, 4, 8, 8, unreg) == 3 + 3 + 2


def test_candidate_rules_by_hand():
    rules = _latency_rules()
    unreg = replace(Z020, dsp_full_reg=False)
    with rules.variant("resource-product-add"):
        # the block's add chains with the LUT product where the flag is false: [3.24, 3.36] -> 1 boundary: 7 = reported
        assert reuse_loop_cycles(8, 4, 4, 8, 8, unreg) == 3 + 3 + 1
        assert reuse_loop_cycles(8, 4, 4, 8, 8, Z020) == 3 + 3 + 2  # PYNQ_IA's default: unchanged
        assert reuse_loop_cycles(4, 8, 4, 8, 8, unreg) == 3 + 3 + 1  # one product per accumulator: unchanged
    slow = Context(Clock(10.0, 1.25), "DSP48E1", "auto", "Vivado HLS", "2019.2", 1.2)  # 8.75 ns cycles
    assert reuse_loop_cycles(8, 4, 4, 8, 8, slow) == 3 + 3 + 1  # 3.24 + 3.36 fit, + 3.36 does not
    with rules.variant("resource-product-registered"):
        # a one-cycle product is registered before its adds: 1 + chain([3.36, 3.36]) = 1 + 0
        assert reuse_loop_cycles(8, 4, 4, 8, 8, slow) == 3 + 3 + 1
        # 16x16 DSP products at 4.375 ns take 2 cycles (4.2 + 0.24 = 4.44 ns) and the first add chains into the
        # last one's 0.065 ns: [4.44, 3.36, 3.36] is 3 boundaries with or without the candidate
        assert reuse_loop_cycles(8, 4, 4, 16, 16, Z020) == 3 + 3 + 3
    assert reuse_loop_cycles(8, 4, 4, 16, 16, Z020) == 3 + 3 + 3
    one_level = Context(Clock(10.0, 1.25), "DSP48E1", "auto", "Vivado HLS", "2019.2", 1.2)
    assert reuse_loop_cycles(4, 8, 4, 8, 8, one_level) == 3 + 3 + 0  # [3.24, 3.36] fits 8.75
    with rules.variant("resource-product-registered"):
        assert reuse_loop_cycles(4, 8, 4, 8, 8, one_level) == 3 + 3 + 1
    # the post-adder: freaksie's 16x1 layer (16-bit DSP products, 4 adder levels) is 4 boundaries, 3 with the first
    # level in the DSP where the flag is false (reported 2)
    p = FixedPrecision.parse("ap_fixed<16,6>")
    cfg = {"n_in": 16, "n_out": 1, "reuse_factor": 1, "strategy": "latency", "weight_t": "ap_fixed<16,6>",
           "accum_t": "ap_fixed<16,6>"}  # fmt: skip
    call = LayerCall("fc", "dense", cfg, p, p, "io_parallel")
    v7_unreg = replace(V7, dsp_full_reg=False)
    assert predict_layer(call, V7).latency_cycles == predict_layer(call, v7_unreg).latency_cycles == 4
    with rules.variant("postadd-vivado"):
        assert predict_layer(call, v7_unreg).latency_cycles == 3
        assert predict_layer(call, V7).latency_cycles == 4
        assert predict_layer(call, replace(v7_unreg, tool="Vitis HLS")).latency_cycles == 4
    # Kintex-7-fabric parts only: the Virtex-7 logic factor x 0.75, the Artix-7-fabric Zynq 7z020's unchanged
    with rules.variant("kintex-fabric 0.75"):
        assert rules.H.delay_factor("virtex7", "xc7vx485tffg1761-2") == 0.75
        assert rules.H.delay_factor("zynq", "xc7z020-clg400-1") == K.DELAY_FACTOR_SPEED_GRADE_1
    assert rules.H.delay_factor("virtex7", "xc7vx485tffg1761-2") == 1.0
