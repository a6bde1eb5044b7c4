"""Max pooling and merge maximum / minimum as compare-selects, the compare priced by tool release (kernels.common)."""

from dataclasses import replace

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock, in_release_window, tool_release
from codesign.estimate.layers import Context, predict_layer
from codesign.precision import FixedPrecision

#: hls4ml's baseline setting: xcvu13p at 5 ns; the tool and release vary per test
VIVADO_2020 = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vivado HLS", "2020.1", 0.2)
VITIS_2024 = replace(VIVADO_2020, tool="Vitis HLS", tool_version="2024.1")
VITIS_2022 = replace(VIVADO_2020, tool="Vitis HLS", tool_version="2022.2")
VITIS_2024_2 = replace(VIVADO_2020, tool="Vitis HLS", tool_version="2024.2")
VITIS_UNKNOWN = replace(VIVADO_2020, tool="Vitis HLS", tool_version=None)

P16 = FixedPrecision.parse("ap_fixed<16,6>")
P8 = FixedPrecision.parse("ap_fixed<8,3>")


def _pool2d(pool_op: str | None, prec: FixedPrecision = P16) -> LayerCall:
    """hls4ml's MaxPooling2D baseline: (18, 15, 3) in, 2 x 2 windows, 'valid': 9 x 7 x 3 outputs."""
    cfg = {"n_filt": 3, "in_height": 18, "in_width": 15, "out_height": 9, "out_width": 7, "pool_height": 2,
           "pool_width": 2, "stride_height": 2, "stride_width": 2}  # fmt: skip
    if pool_op is not None:
        cfg["pool_op"] = pool_op
    return LayerCall("pool", "pooling2d_cl", cfg, prec, prec, "io_parallel")


def test_max_pooling_prices_a_compare_and_a_select_per_window_element_by_release():
    n_ops = 9 * 7 * 3 * (2 * 2 - 1)  # 567 compare-selects
    # Vivado HLS (and Vitis HLS before 2023): 16 LUT of compare (LUT_PER_COMPARE_BIT) + 16 of select
    assert predict_layer(_pool2d("Max"), VIVADO_2020).lut == n_ops * (16 + 16) == 18144
    assert predict_layer(_pool2d("Max"), VITIS_2022).lut == 18144
    # Vitis HLS >= 2023: the compare at the adder's price, 16 + 7 = 23, plus the 16-bit select
    assert predict_layer(_pool2d("Max"), VITIS_2024).lut == n_ops * (23 + 16) == 22113
    # the hls4ml baselines (held out for Vivado HLS; the Vitis price was read with them): 17804 and 22151 reported
    assert abs(18144 - 17804) / 17804 < 0.02 and abs(22113 - 22151) / 22151 < 0.002
    # the namespace hls4ml writes in parameters.h is accepted as well
    assert predict_layer(_pool2d("nnet::Max"), VITIS_2024).lut == 22113
    # width: an 8-bit compare on Vitis HLS 2024.1 is 8 + 7 (the Expression tables' 15 at 8 bits)
    assert predict_layer(_pool2d("Max", P8), VITIS_2024).lut == n_ops * (15 + 8)


def test_average_pooling_and_an_unknown_release_keep_the_old_price():
    n_ops = 567
    for ctx in (VIVADO_2020, VITIS_2022, VITIS_2024):
        assert predict_layer(_pool2d("Average"), ctx).lut == n_ops * 16  # adders: no select, no compare
        assert predict_layer(_pool2d(None), ctx).lut == n_ops * 16  # no pool_op in the config: not taken as Max
    # Vitis HLS 2024.2 (its icmp rows at W or W + 1) and a Vitis HLS of no known release: LUT_PER_COMPARE_BIT per bit
    assert predict_layer(_pool2d("Max"), VITIS_2024_2).lut == n_ops * 32
    assert predict_layer(_pool2d("Max"), VITIS_UNKNOWN).lut == n_ops * 32


def test_release_window():
    first, last = (2023, 1), (2024, 1)
    assert [in_release_window(v, first, last) for v in ("2022.2", "2023.1", "2023.2", "2024.1", "2024.2", "2025.1")] == [
        False, True, True, True, False, False]  # fmt: skip
    # a bare year counts only where every release of it is inside; no version never does
    assert in_release_window("2023", first, last) and not in_release_window("2024", first, last)
    assert not in_release_window(None, first, last) and not in_release_window("unknown", first, last)
    assert tool_release("2019.2.1") == (2019, 2) and tool_release("2023") == (2023, None)


def test_the_select_and_the_release_rule_switch_off_through_their_constants(monkeypatch):
    monkeypatch.setattr(K, "LUT_PER_SELECT_BIT", 0.0)
    monkeypatch.setattr(K, "VITIS_COMPARE_AT_ADDER_PRICE_RELEASES", None)
    assert predict_layer(_pool2d("Max"), VITIS_2024).lut == 567 * 16  # the price before the rule


def test_merge_maximum_and_minimum_are_compare_selects_add_is_not():
    def merge(fn: str) -> LayerCall:
        return LayerCall("m", fn, {"n_elem": 10}, P16, P16, "io_parallel")

    assert predict_layer(merge("maximum"), VIVADO_2020).lut == 10 * 32
    assert predict_layer(merge("minimum"), VITIS_2024).lut == 10 * 39
    assert predict_layer(merge("add"), VITIS_2024).lut == 10 * 16
