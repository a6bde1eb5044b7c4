"""LUT rules of the estimator, each checked against numbers worked out by hand from the rule's structure."""

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.layers import Context, predict_layer
from codesign.precision import FixedPrecision

#: Vivado HLS 2018.3 on a 7-series -2 part at 5 ns (freaksie's setting).
VIVADO = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2018.3", 1.0)


def _pool(function: str, cfg: dict, bits: int = 6) -> LayerCall:
    p = FixedPrecision.parse(f"ap_fixed<{bits},2>")
    return LayerCall("p", function, cfg, p, p, "io_stream", pack=cfg.get("n_filt", 1))


def test_stream_pooling_counts_compare_selects_per_channel_plus_the_pixel_loop():
    two_d = {"n_filt": 16, "in_height": 30, "in_width": 30, "out_height": 15, "out_width": 15, "pool_height": 2,
             "pool_width": 2}  # fmt: skip
    # 16 channels x (4 - 1) compares x 50 + 500 of loop control (RishThakkar's 16-channel layer reports 3209-3223)
    assert predict_layer(_pool("pooling2d_cl", two_d), VIVADO).lut == 16 * 3 * 50 + 500 == 2900
    # the data width and the image size do not enter; a 4x4 window has 15 compares per channel
    assert predict_layer(_pool("pooling2d_cl", two_d, bits=32), VIVADO).lut == 2900
    big = {**two_d, "n_filt": 12, "pool_height": 4, "pool_width": 4, "out_height": 7, "out_width": 7}
    assert predict_layer(_pool("pooling2d_cl", big), VIVADO).lut == 12 * 15 * 50 + 500
    # 1-D: a window of 2 is one compare per channel
    one_d = {"n_filt": 8, "n_in": 64, "n_out": 32, "pool_width": 2}
    assert predict_layer(_pool("pooling1d_cl", one_d), VIVADO).lut == 8 * 1 * 50 + 500
    # global pooling (no report of it here) keeps the window-register form: channels x window x width x 1.5
    glob = {"n_filt": 4, "in_height": 2, "in_width": 2}
    assert predict_layer(_pool("global_pooling2d_cl", glob), VIVADO).lut == round(4 * 4 * 6 * K.WINDOW_LUT_PER_BIT)


def _lut_residuals():
    from tests.benchmark_module import load_benchmark

    return load_benchmark("lut_residuals")


def test_lut_residual_groups_and_repository_balanced_median():
    m = _lut_residuals()
    assert [m._bucket(x, (100, 1000)) for x in (5, 100, 999, 1000)] == ["0-99", "100-999", "100-999", ">=1000"]
    assert m.family("xcu250-figd2104-2L-e") == m.family("xcku5p-ffvb676-2-e") == "UltraScale+"
    assert (m.family("xcku115-flvb2104-2-e"), m.family("xc7z020clg400-1")) == ("UltraScale", "7-series")
    # repository a: ratios 1 and 4 (geometric median 2), b: 8, c: 0.5 -> repository medians 0.5, 2, 8 -> 2
    rows = [{"repo": "a", "ratio": 1.0}, {"repo": "a", "ratio": 4.0}, {"repo": "b", "ratio": 8.0},
            {"repo": "c", "ratio": 0.5}]  # fmt: skip
    med, lo, hi, n, k = m.balanced(rows)
    assert (round(med, 9), round(lo, 9), round(hi, 9), n, k) == (2.0, 0.5, 8.0, 4, 3)


def _narrow_dense(ctx: Context) -> int:
    """LUTs of a 4 -> 2 Latency dense layer at RF 1, 6-bit data x 6-bit weights (fabric), 16-bit accumulator."""
    cfg = {"n_in": 4, "n_out": 2, "reuse_factor": 1, "strategy": "latency", "weight_t": "ap_fixed<6,2>",
           "accum_t": "ap_fixed<16,6>"}  # fmt: skip
    call = LayerCall("d", "dense", cfg, FixedPrecision.parse("ap_fixed<6,2>"), None, "io_parallel")
    return predict_layer(call, ctx).lut


def test_adder_tree_priced_at_width_plus_offset_except_vitis_2021():
    # 8 non-zero products, 4 terms per output: partial sums of 6 + 6 + log2(4) = 14 bits (under the 16-bit accum_t).
    # Vivado HLS and Vitis HLS >= 2022 price a W-bit adder at W + 7 LUTs (their Expression tables: 16/16 -> 23,
    # 24/24 -> 31); Vitis HLS 2021.1 at W (ArgyKokk: 16/16 -> 16). So 8 x 1.2 x (14 + 7) against 8 x 1.2 x 14.
    assert (K.LUT_PER_SUM_BIT, K.ADDER_LUT_OFFSET_BITS) == (1.2, 7.0)
    assert _narrow_dense(VIVADO) == round(8 * 1.2 * 21) == 202
    vitis = lambda version: Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vitis HLS", version, 1.0)  # noqa: E731
    assert _narrow_dense(vitis("2023.2")) == 202
    assert _narrow_dense(vitis("2021.1")) == round(8 * 1.2 * 14) == 134


def test_latency_residual_groups_balance_repositories():
    m = _lut_residuals()
    # repository a: -1, 0, 3 (median 0, 2 of 3 within one cycle), b: 4 (0 of 1), c: -2, -1 (median -1.5, 1 of 2)
    rows = [{"repo": "a", "ratio": x} for x in (-1.0, 0.0, 3.0)] + [{"repo": "b", "ratio": 4.0}] + [
        {"repo": "c", "ratio": x} for x in (-2.0, -1.0)
    ]
    med, lo, hi, within, n, k = m.balanced_cycles(rows)
    # repository medians -1.5, 0, 4 -> median 0, 16th / 84th percentile of three: the first and the last
    assert (med, lo, hi, n, k) == (0.0, -1.5, 4.0, 6, 3)
    assert round(within, 9) == round((2 / 3 + 0 + 1 / 2) / 3, 9)
