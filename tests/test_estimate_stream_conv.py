"""io_stream convolutions: the pixel loop's schedule (Latency and Resource strategy) and the DATAFLOW composition."""

from dataclasses import replace

import pytest

from codesign.estimate import constants as K
from codesign.estimate import estimate_record
from codesign.estimate.calibration_set import load_records
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.kernels.conv import ConvEstimator, version_at_least
from codesign.estimate.kernels.dense import DotProductModel
from codesign.estimate.layers import Context
from codesign.estimate.network import dataflow_interval, stream_latency
from codesign.estimate.result import LayerEstimate
from codesign.precision import FixedPrecision

#: UltraScale+ (delay factor 0.2) at 5 ns, 27 % uncertainty; only the tool version differs
VITIS_OLD = Context(Clock(5.0, 1.35), "DSP48E2", "auto", "Vitis HLS", "2022.1", 0.2)
VITIS_NEW = replace(VITIS_OLD, tool_version="2023.2")
VIVADO = replace(VITIS_OLD, tool="Vivado HLS", tool_version="2020.1")
P8 = FixedPrecision.parse("ap_fixed<8,4>")


def _conv(rf: int = 1, strategy: str = "latency", filt: int = 5, n_chan: int = 6, side: int = 12) -> LayerCall:
    out = side - filt + 1
    cfg = {"in_height": side, "in_width": side, "n_chan": n_chan, "n_filt": 16, "filt_height": filt,
           "filt_width": filt, "out_height": out, "out_width": out, "reuse_factor": rf, "strategy": strategy,
           "weight_t": "ap_fixed<8,4>", "accum_t": "ap_fixed<25,14>"}  # fmt: skip
    return LayerCall("conv", "pointwise_conv_2d_cl" if filt == 1 else "conv_2d_cl", cfg, P8, P8, "io_stream")


def _depth(call: LayerCall, ctx: Context) -> int:
    """The pixel iteration's depth, recomputed: the window's dot product at the floored delay factor + window."""
    c = call.config
    k_in = c["filt_height"] * c["filt_width"] * c["n_chan"]
    slow = Context(ctx.clock, ctx.dsp_family, ctx.mul_impl, ctx.tool, ctx.tool_version,
                   max(ctx.delay_factor, K.STREAM_CONV_MIN_DELAY_FACTOR))  # fmt: skip
    kern = DotProductModel().predict(k_in, 16, k_in * 16, 8, 8, 25, c["reuse_factor"], slow)
    return kern.latency_cycles + K.STREAM_CONV_WINDOW_CYCLES


def _expected_latency(pixels: int, per_pixel: int, depth: int) -> int:
    return sum(per_pixel for _ in range(pixels - 1)) + depth + 1


def test_version_at_least():
    assert version_at_least("2022.2", 2022, 2) and version_at_least("2023.1", 2022, 2)
    assert not version_at_least("2022.1", 2022, 2) and not version_at_least("2019.2.1", 2022, 2)
    assert not version_at_least(None, 2022, 2) and not version_at_least("unknown", 2022, 2)


def test_vitis_2022_2_carries_the_window_state_through_the_pixel_iteration():
    """abdennour (2023.2) / alex-yang (2022.2): loop II = depth - 2 at target 1; Vitis 2022.1 and Vivado HLS: 1."""
    call = _conv()
    depth = _depth(call, VITIS_NEW)
    assert depth - K.STREAM_CONV_RECURRENCE_SLACK > 1  # the case the rule is about
    new = ConvEstimator().predict(call, VITIS_NEW)
    assert new.latency_cycles == _expected_latency(144, depth - 2, depth)
    for ctx in (VITIS_OLD, VIVADO):
        old = ConvEstimator().predict(call, ctx)
        assert old.latency_cycles == _expected_latency(144, 1, depth)
    assert new.ii_cycles == new.latency_cycles and new.sequential and new.fill_cycles == depth + 1


def test_pointwise_convolution_has_no_window_to_carry():
    """SpAllen0726 (Vitis 2023.1): the pointwise layer's loop reaches II 1 where its windowed layers do not."""
    call = _conv(filt=1, n_chan=32)
    est = ConvEstimator().predict(call, VITIS_NEW)
    assert est.latency_cycles == _expected_latency(144, 1, _depth(call, VITIS_NEW))


def test_reuse_factor_above_the_depth_runs_the_loop_without_overlap():
    """Gabriele-bot ALVEO / RishThakkar (Vivado HLS, RF 16-256): achieved II = iteration latency < target RF."""
    for rf in (2, 64):
        call = _conv(rf=rf)
        depth = _depth(call, VIVADO)
        est = ConvEstimator().predict(call, VIVADO)
        per_pixel = depth if rf >= depth else rf
        assert est.latency_cycles == _expected_latency(144, per_pixel, depth)
    assert est.latency_cycles < 144 * 64  # not RF per pixel


def test_resource_convolution_interval_is_its_latency():
    """Resource strategy: reported latency = interval = pixels x (RF + STREAM_RESOURCE_PIXEL_CYCLES)."""
    est = ConvEstimator().predict(_conv(rf=8, strategy="resource"), VIVADO)
    assert est.latency_cycles == est.ii_cycles == 144 * (8 + K.STREAM_RESOURCE_PIXEL_CYCLES)
    assert est.sequential


def test_stream_latency_does_not_count_the_pacing_sequential_process_fill_twice():
    conv = LayerEstimate("c", "conv/stream", 100, 100, 0, 0, 0, 0, sequential=True, fill_cycles=6)
    relu = LayerEstimate("r", "relu/stream", 3, 1, 0, 0, 0, 0)
    ii = dataflow_interval([conv, relu])
    assert ii == 101
    assert stream_latency([conv, relu], ii) == 101 + 0 + 2 + 2
    # a faster convolution behind a slower process adds its fill
    slow = LayerEstimate("d", "dense/stream", 300, 300, 0, 0, 0, 0, sequential=True)
    assert stream_latency([conv, slow], dataflow_interval([conv, slow])) == 301 + 6 + 0 + 2


def test_a_region_of_one_process_takes_that_process_latency():
    """hls4ml's DepthwiseConv1D / 2D io_stream baselines (one process): latency = II - 1 (35 / 36, 1028 / 1029)."""
    conv = LayerEstimate("c", "conv/stream", 100, 100, 0, 0, 0, 0, sequential=True, fill_cycles=6)
    ii = dataflow_interval([conv])
    assert ii == 101 and stream_latency([conv], ii) == 100
    relu = LayerEstimate("r", "relu/stream", 3, 1, 0, 0, 0, 0)
    assert stream_latency([relu], dataflow_interval([relu])) == 3
    # two processes keep the composed form: II + the other's fill + one cycle per FIFO hop
    assert stream_latency([conv, relu], ii) == 101 + 2 + 2


@pytest.mark.parametrize(
    ("repo", "low", "high"),
    [
        # the two Vitis >= 2022.2 io_stream designs: 0.33x and 0.20x before the rule
        ("abdennour-GUESSOUM/Lenet5-hls4ml", 0.95, 1.05),
        ("alex-yang-upenn/vitis_accel_backend_test", 0.7, 1.1),
    ],
)
def test_vitis_stream_designs_latency_from_their_settings(repo, low, high):
    recs = [r for r in load_records() if r["repo"] == repo and r.get("io_type") == ["io_stream"]]
    if not recs:
        pytest.skip(f"no io_stream record of {repo} in the calibration records")
    for rec in recs:
        pred = estimate_record(rec)
        assert low <= pred["latency_max_cycles"] / rec["latency_max_cycles"] <= high


def _depthwise(filt: int = 3, n_chan: int = 3, side: int = 12, one_d: bool = False) -> LayerCall:
    out = side - filt + 1
    cfg = {"in_height": 1 if one_d else side, "in_width": side, "n_chan": n_chan, "n_filt": n_chan,
           "filt_height": 1 if one_d else filt, "filt_width": filt, "out_height": 1 if one_d else out,
           "out_width": out, "reuse_factor": 1, "strategy": "latency", "weight_t": "ap_fixed<8,4>",
           "accum_t": "ap_fixed<25,14>"}  # fmt: skip
    return LayerCall("dw", f"depthwise_conv_{1 if one_d else 2}d_cl", cfg, P8, P8, "io_stream")


def _depthwise_depth(call: LayerCall, ctx: Context) -> int:
    """A depthwise window's iteration depth, recomputed: one fh x fw dot product per channel + the window cycles."""
    c = call.config
    taps = c["filt_height"] * c["filt_width"]
    slow = replace(ctx, delay_factor=max(ctx.delay_factor, K.STREAM_CONV_MIN_DELAY_FACTOR))
    kern = DotProductModel().predict(taps, c["n_chan"], taps * c["n_chan"], 8, 8, 25, 1, slow)
    return kern.latency_cycles + K.STREAM_CONV_WINDOW_CYCLES


@pytest.mark.parametrize("one_d", [False, True])
def test_depthwise_step_is_inlined_and_keeps_its_target_ii_with_vitis_2022_2(one_d):
    """``compute_depthwise_output_buffer_*`` is ``#pragma HLS INLINE`` (its window state is the loop's registers),
    unlike ``compute_output_buffer_*`` (INLINE OFF): no recurrence. hls4ml's Vitis HLS 2024.1 DepthwiseConv1D / 2D
    baselines take one pixel a cycle, as on Vivado HLS 2020.1."""
    call = _depthwise(one_d=one_d)
    pixels = call.config["in_height"] * call.config["in_width"]
    depth = _depthwise_depth(call, VITIS_NEW)
    assert depth - K.STREAM_CONV_RECURRENCE_SLACK > 1  # the recurrence rule would have moved it
    for ctx in (VITIS_NEW, VITIS_OLD, VIVADO):
        est = ConvEstimator().predict(call, ctx)
        assert est.latency_cycles == _expected_latency(pixels, 1, depth), ctx.tool_version
    # the standard convolution over the same window keeps the recurrence
    std = _conv(filt=3, n_chan=3)
    std_depth = _depth(std, VITIS_NEW)
    assert std_depth - K.STREAM_CONV_RECURRENCE_SLACK > 1
    assert ConvEstimator().predict(std, VITIS_NEW).latency_cycles == _expected_latency(144, std_depth - 2, std_depth)
