"""The index logic of table activations (kernels.tables): counted operation by operation, against hand counts of
the rows the per-module reports list, and where it must not apply."""

from __future__ import annotations

import pytest

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.kernels.common import Context
from codesign.estimate.kernels.tables import index_luts
from codesign.estimate.layers import ActivationEstimator
from codesign.precision import FixedPrecision

VIVADO_2018 = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2018.3", 1.0)
VIVADO_2020 = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vivado HLS", "2020.1", 0.2)
VITIS_2021 = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vitis HLS", "2021.1", 1.2)
VITIS_2023 = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vitis HLS", "2023.1", 0.2)


def fx(w: int, i: int) -> FixedPrecision:
    return FixedPrecision.parse(f"ap_fixed<{w},{i}>")


def _sigmoid(n: int, inp: FixedPrecision | None, ctx: Context, fn: str = "sigmoid", table: int = 1024):
    call = LayerCall("s", fn, {"n_in": n, "table_size": table, "table_t": "ap_fixed<18,8>"}, inp, inp, "io_parallel")
    return ActivationEstimator().predict(call, ctx)


def test_sigmoid_16_6_hand_count_per_release():
    # freaksie's Vivado HLS 2018.3 sigmoid module (ap_fixed<16,6>, 1024 entries), row by row: adders ret_V (+1, 13
    # bits), index (13) and the clamp's (12) at W + 7; selects p_s, p_2 (13), p_1 (12), index_1 (10); compares of the
    # input's fraction (10 bits), the scaled value's (26) and the bits above the table (2) at one LUT a bit
    adders = (13 + 7) + (13 + 7) + (12 + 7)
    selects = 13 + 13 + 12 + 10
    compares = 10 + 26 + 2
    assert index_luts("sigmoid", fx(16, 6), 1024, VIVADO_2018) == adders + selects + compares == 145
    assert index_luts("sigmoid", fx(16, 6), 1024, VIVADO_2020) == 145
    # Vitis HLS 2023.1 prices each compare as an adder (W + 7): 17 + 33 + 9
    assert index_luts("sigmoid", fx(16, 6), 1024, VITIS_2023) == adders + selects + (17 + 33 + 9) == 166
    # Vitis HLS 2021.1 prices adders at W
    assert index_luts("sigmoid", fx(16, 6), 1024, VITIS_2021) == (13 + 13 + 12) + selects + compares == 124
    # the layer: n elements of it, the ROM a BRAM per two elements, the output register as before
    est = _sigmoid(64, fx(16, 6), VIVADO_2020)
    assert (est.lut, est.bram_18k, est.ff) == (64 * 145, 32, 64 * 16)


def test_tanh_and_wider_inputs():
    # tanh divides by 8: one more integer bit than sigmoid (w = 6 + 7 + 1 = 14; the bits above the table 3)
    assert index_luts("tanh", fx(16, 6), 1024, VIVADO_2020) == (21 + 21 + 20) + (14 + 14 + 13 + 10) + (10 + 26 + 3)
    # ap_fixed<32,18>: w = 25 (freaksie's 32-bit module: the same rows at 24-25 bits)
    assert index_luts("sigmoid", fx(32, 18), 1024, VIVADO_2018) == (32 + 32 + 31) + (25 + 25 + 24 + 10) + (14 + 42 + 14)


def test_branches_that_drop_out():
    # ap_fixed<18,4>: [-8, 8) is the table's range, no clamp (freaksie's 18,4 module: no clamp adder, select or
    # compare; the index select kept with an 11-bit xor)
    assert index_luts("sigmoid", fx(18, 4), 1024, VIVADO_2018) == (18 + 18) + (11 + 11 + 10 + 11) + (14 + 28)
    # ap_fixed<4,2>: data x 64 is an integer (no conversion logic) and inside the table (no clamp): the offset adder,
    # the index select and the xor only
    assert index_luts("sigmoid", fx(4, 2), 1024, VIVADO_2020) == (9 + 7) + 10 + 9


@pytest.mark.parametrize(
    "fn, inp, table",
    [
        ("elu", fx(16, 6), 1024),  # its own kernel (negative branch x alpha): not this structure
        ("selu", fx(16, 6), 1024),
        ("sigmoid", None, 1024),  # unknown input type
        ("sigmoid", fx(16, 6), 1000),  # not a power of two: a constant multiplication, not a shift
    ],
)
def test_rule_does_not_apply(fn, inp, table):
    assert index_luts(fn, inp, table, VIVADO_2020) is None
    est = _sigmoid(8, inp, VIVADO_2020, fn, table)
    assert est.lut == 8 * K.LUT_PER_TABLE_LOOKUP


def test_switch_off_restores_the_old_price(monkeypatch):
    monkeypatch.setattr(K, "TABLE_INDEX_LOGIC", False)
    assert index_luts("sigmoid", fx(16, 6), 1024, VIVADO_2020) is None
    assert _sigmoid(64, fx(16, 6), VIVADO_2020).lut == 64 * K.LUT_PER_TABLE_LOOKUP


def test_io_stream_carries_the_count():
    inp = fx(16, 6)
    call = LayerCall("s", "sigmoid", {"n_in": 64, "table_size": 1024}, inp, inp, "io_stream")
    assert ActivationEstimator().predict(call, VIVADO_2020).lut == 64 * 145
