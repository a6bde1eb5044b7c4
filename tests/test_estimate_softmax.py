"""The softmax's LUTs (kernels.softmax): counted operation by operation per implementation, against hand counts of
the rows the per-module reports list, and where the count must not apply."""

from __future__ import annotations

import pytest

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall, build_calls
from codesign.estimate.hardware import Clock
from codesign.estimate.kernels.common import Context
from codesign.estimate.kernels.softmax import implementation, shift_register_values, softmax_luts
from codesign.estimate.layers import ActivationEstimator
from codesign.precision import FixedPrecision

# ArgyKokk's sweep: Vitis HLS 2021.1, xc7z007s, 5 ns (4.38 effective), -impl dsp / fabric
VITIS_2021 = Context(Clock(5.0, 0.625), "DSP48E1", "dsp", "Vitis HLS", "2021.1", 1.0)
VITIS_2021_FABRIC = Context(Clock(5.0, 0.625), "DSP48E1", "fabric", "Vitis HLS", "2021.1", 1.0)
# Gabriele-bot PYNQ_IA: Vivado HLS 2020.1, xc7z020, 5 ns, default mapping
VIVADO_2020 = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2020.1", 1.0)
VITIS_2023 = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vitis HLS", "2023.1", 0.35)


def fx(w: int, i: int) -> FixedPrecision:
    return FixedPrecision.parse(f"ap_fixed<{w},{i}>")


def _call(n: int, impl: str = "stable", io: str = "io_parallel", inp: FixedPrecision | None = None, **cfg):
    config = {"n_in": n, "table_size": 1024, "implementation": f"softmax_implementation::{impl}", **cfg}
    inp = inp or fx(16, 4)
    return LayerCall("sm", "softmax", config, inp, fx(16, 6), io)


def _predict(call: LayerCall, ctx: Context):
    return ActivationEstimator().predict(call, ctx)


def test_stable_hls4ml_0x_hand_count_vitis_2021():
    # ArgyKokk mnist (n = 10, ap_fixed<16,4> in), the module's rows: 9 adders of 18 bits (at W on Vitis HLS 2021.1),
    # 9 compare-selects of 16 bits (icmp at one LUT a bit here, 7 in the report; select 16), 10 subtractions of 17
    # bits, 10 x two 10-bit selects of the saturating cast; in the Register table 20 shift registers of 32 LUT
    # (the 10 exp entries and the 10 inputs): 162 + 288 + 370 + 640 = 1460 (reported 809 + 704 = 1513)
    est = _predict(_call(10), VITIS_2021)
    assert est.lut == 9 * 18 + 9 * (16 + 16) + 10 * (17 + 2 * 10) + 20 * 32 == 1460
    assert est.dsp == 10


def test_fabric_products_are_lut_multipliers():
    # -impl fabric: the 10 products 18 x 18 become LUT multipliers at the dense layer's price (0.97 a bit pair; the
    # report's mul_18s_18s cores are 366 LUT each): 1460 + 10 x 314.28
    est = _predict(_call(10), VITIS_2021_FABRIC)
    assert est.lut == round(1460 + 10 * K.LUT_PER_MULT_BIT2 * 18 * 18) == 4603
    assert est.dsp == 0


def test_latency_implementation_vivado_2020():
    # Gabriele-bot Keras_only (n = 5, latency): no max tree, no subtraction; 4 adders at W + 7 and 5 exp entries in
    # shift registers (the report's Register table: 5 x 32 exactly)
    est = _predict(_call(5, "latency", inp=fx(16, 6)), VIVADO_2020)
    assert est.lut == 4 * (18 + 7) + 5 * 32 == 260


def test_stable_hls4ml_1x_vitis_2023(monkeypatch):
    # hls4ml 1.x (exp_table_size in the config): the sum in accum_t (18 + ceil(log2 5) = 21 bits by default), the
    # difference cast to an unsigned type without saturation; Vitis HLS 2023.1 prices compares and adders at W + 7
    # and keeps no shift registers
    call = _call(5, inp=fx(16, 6), exp_table_size=1024, inv_table_size=1024)
    # off by default (no 1.x module report to check it on): the flat price
    assert _predict(call, VITIS_2023).lut == 5 * K.LUT_PER_SOFTMAX_ELEMENT
    monkeypatch.setattr(K, "SOFTMAX_LUT_COUNT_HLS4ML_1", True)
    est = _predict(call, VITIS_2023)
    assert est.lut == 4 * (21 + 7) + 4 * ((16 + 7) + 16) + 5 * (16 + 7) == 383
    # an accum_t the user gave is read
    call = _call(5, inp=fx(16, 6), exp_table_size=1024, accum_t="ap_fixed<24,12>")
    assert _predict(call, VITIS_2023).lut == 4 * (24 + 7) + 4 * 39 + 5 * 23


def test_narrow_tables_put_the_products_in_fabric_under_the_default_mapping():
    # exp_table_t / inv_table_t of 8 bits: below RESOURCE_DSP_MIN_WIDTH, the default mapping keeps them in LUTs
    call = _call(5, "latency", exp_table_t="ap_fixed<8,4>", inv_table_t="ap_fixed<8,4>")
    est = _predict(call, VIVADO_2020)
    assert est.dsp == 0
    assert est.lut == round(4 * (8 + 7) + 5 * K.LUT_PER_MULT_BIT2 * 8 * 8 + 5 * 32)
    # -impl dsp forces them onto DSPs
    ctx = Context(Clock(5.0, 0.625), "DSP48E1", "dsp", "Vivado HLS", "2020.1", 1.0)
    assert _predict(call, ctx).dsp == 5


def test_shift_registers_by_tool_and_wait():
    # none on Vitis HLS 2022+ (alex-yang-upenn 2022.2, CestMerNeil 2022.1: values waiting 2-3 cycles, no LUT rows)
    vitis_2022 = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vitis HLS", "2022.2", 1.0)
    assert shift_register_values(10, "stable", vitis_2022, 1.0, 2) == 0
    assert shift_register_values(10, "stable", VITIS_2021, 1.0, 2) == 20
    # n = 2 (ArgyKokk Breast_cancer): the input waits one compare level (one cycle: a plain register), the exp entry
    # an adder, the inverse read and its register (two: a shift register) -> the report's two 32-LUT rows
    assert shift_register_values(2, "stable", VITIS_2021, 1.0, 2) == 2
    assert _predict(_call(2), VITIS_2021).lut == 18 + 32 + 2 * (17 + 20) + 2 * 32 == 188
    # a fast device whose whole chain fits a cycle or two (mbavier's UltraScale+, 2-4 cycles): none
    fast = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vivado HLS", "2019.2", 0.2)
    assert shift_register_values(10, "latency", fast, 0.35, 0) == 0


@pytest.mark.parametrize(
    "impl, io",
    [
        ("legacy", "io_parallel"),  # n x n table reads: not this structure
        ("argmax", "io_parallel"),
        ("stable", "io_stream"),  # nnet_activation_stream.h: its own kernel and wrapper
    ],
)
def test_count_does_not_apply(impl, io):
    call = _call(10, impl, io)
    assert softmax_luts(call, 10, VITIS_2021_FABRIC, 1.0, 2) is None
    est = _predict(call, VITIS_2021_FABRIC)
    assert est.lut == 10 * K.LUT_PER_SOFTMAX_ELEMENT


def test_switch_off_restores_the_old_price(monkeypatch):
    monkeypatch.setattr(K, "SOFTMAX_LUT_COUNT", False)
    est = _predict(_call(10), VITIS_2021_FABRIC)
    assert (est.lut, est.dsp) == (10 * K.LUT_PER_SOFTMAX_ELEMENT, 0)
    narrow = _call(5, "latency", exp_table_t="ap_fixed<8,4>", inv_table_t="ap_fixed<8,4>")
    assert _predict(narrow, VIVADO_2020).dsp == 5


def test_implementation_name():
    assert implementation(_call(3, "latency")) == "latency"
    assert implementation(LayerCall("s", "softmax", {"n_in": 3}, fx(16, 6), fx(16, 6), "io_parallel")) == "stable"


def _settings(layer: dict) -> dict:
    return {
        "layers": [layer],
        "typedefs": {
            "layer2_t": "ap_fixed<16,6>",
            "result_t": "ap_fixed<16,6>",
            "softmax_exp_table_t": "ap_fixed<8,4,AP_RND,AP_SAT>",
            "exp_table_t": "softmax_exp_table_t",
            "inv_table_t": "ap_fixed<12,4>",
        },
        "top_calls": ["nnet::softmax<layer2_t, result_t, softmax_config3>"],
        "io_type": ["io_parallel"],
    }


def test_table_types_from_the_struct_aliases():
    # harvested settings keep the struct's ``typedef softmax_exp_table_t exp_table_t;`` among the file's typedefs
    layer = {"n_in": 5, "table_size": 1024, "implementation": "softmax_implementation::latency"}
    (call,) = build_calls(_settings({**layer, "config": "softmax_config3"}))
    assert (call.prec("exp_table_t").width, call.prec("inv_table_t").width) == (8, 12)
    # the saturating 8-bit sum: 4 adders of 8 bits (+7) and their 8-bit selects; 12-bit operands stay on DSPs
    assert _predict(call, VIVADO_2020).lut == 4 * (8 + 7) + 4 * 8 + 5 * 32
    # a type the config names itself is not replaced
    (call,) = build_calls(_settings({**layer, "config": "softmax_config3", "exp_table_t": "ap_fixed<18,8>"}))
    assert call.prec("exp_table_t").width == 18
