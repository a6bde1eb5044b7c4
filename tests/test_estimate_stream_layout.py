"""io_stream layout layers (zero padding, nearest-neighbour upsampling): the pixel loop's trip count and the
not-pipelined function, against numbers counted by hand from hls4ml's nnet_padding_stream.h / nnet_image_stream.h
and checked against the per-layer csynth reports quoted in each test."""

from dataclasses import replace

from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.kernels.elementwise import BatchNormEstimator, PassThroughEstimator
from codesign.estimate.layers import Context
from codesign.estimate.network import dataflow_interval
from codesign.estimate.result import LayerEstimate
from codesign.precision import FixedPrecision

VIVADO = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2019.2", 1.2)
P16 = FixedPrecision.parse("ap_fixed<16,6>")


def _call(function: str, io_type: str = "io_stream", **cfg) -> LayerCall:
    return LayerCall("layer", function, cfg, P16, P16, io_type)


def _zeropad2d(side: int, pad: int = 1, io_type: str = "io_stream") -> LayerCall:
    out = side + 2 * pad
    return _call("zeropad2d_cl", io_type, in_height=side, in_width=side, out_height=out, out_width=out, n_chan=4,
                 pad_top=pad, pad_bottom=pad, pad_left=pad, pad_right=pad)  # fmt: skip


def test_zeropad2d_is_one_cycle_per_output_pixel_plus_its_loops_and_not_pipelined():
    """8x8 -> 10x10: 100 output pixels + 3 = 103 cycles, interval 103 (mbavier CNN, Vivado HLS 2019.2: 103 / 103;
    ChiRuiChen 32x32 -> 34x34: 1159 / 1159; kendermag 512x16 -> 514x18: 9255 / 9255)."""
    est = PassThroughEstimator().predict(_zeropad2d(8), VIVADO)
    assert (est.latency_cycles, est.ii_cycles, est.sequential) == (103, 103, True)
    big = PassThroughEstimator().predict(
        _call("zeropad2d_cl", in_height=512, in_width=16, out_height=514, out_width=18, n_chan=1), VIVADO
    )
    assert (big.latency_cycles, big.ii_cycles) == (9255, 9255)


def test_resize_nearest_runs_over_the_output_image_not_the_input():
    """4x4 -> 8x8: 64 output words + 2 = 66 (ChiRuiChen AutoEncoder, Vivado HLS 2019.2: 66 / 66); 16x16 -> 32x32:
    1026. The config names the output new_height x new_width: the old reading (out_height, absent) gave 2 / 1."""
    small = PassThroughEstimator().predict(
        _call("resize_nearest", height=4, width=4, new_height=8, new_width=8, n_chan=4), VIVADO
    )
    assert (small.latency_cycles, small.ii_cycles, small.sequential) == (66, 66, True)
    large = PassThroughEstimator().predict(
        _call("resize_nearest", height=16, width=16, new_height=32, new_width=32, n_chan=8), VIVADO
    )
    assert (large.latency_cycles, large.ii_cycles) == (1026, 1026)


def test_other_layout_layers_keep_one_word_per_cycle_and_io_parallel_is_wiring():
    """zeropad1d (no rule: Berk-Bilgin's 1D reports scatter -1 to +3 around it) and repack: n + 1, II n;
    io_parallel padding is wiring (0 cycles)."""
    pad1d = PassThroughEstimator().predict(
        _call("zeropad1d_cl", in_width=64, out_width=68, n_chan=8, pad_left=2, pad_right=2), VIVADO
    )
    assert (pad1d.latency_cycles, pad1d.ii_cycles, pad1d.sequential) == (69, 68, False)
    wiring = PassThroughEstimator().predict(_zeropad2d(8, io_type="io_parallel"), VIVADO)
    assert (wiring.latency_cycles, wiring.ii_cycles) == (0, 1)


def test_a_padding_process_that_sets_the_pace_adds_its_handshake_cycle():
    """DATAFLOW: a not-pipelined process restarts one cycle after its last state (network.dataflow_interval), so a
    34x34 padding (1159 cycles) ahead of a faster process gives the region an II of 1160."""
    pad = PassThroughEstimator().predict(_zeropad2d(32), VIVADO)
    faster = LayerEstimate("conv", "conv/stream", 1100, 1100, 0, 0, 0, 0, sequential=True)
    assert dataflow_interval([pad, faster]) == 1160
    assert dataflow_interval([replace(pad, sequential=False), faster]) == 1159


def _normalize(n: int, pack: int, rf: int) -> LayerCall:
    call = _call("normalize", n_in=n, n_filt=-1, reuse_factor=rf, scale_t="ap_fixed<16,6>", bias_t="ap_fixed<16,6>")
    return replace(call, pack=pack)


def test_stream_batchnorm_serialises_a_word_through_its_allocated_multipliers():
    """``ALLOCATION mul limit = ceil(n_in / RF)``: one 42-element word at RF 256 -> 1 multiplier, 42 cycles per word
    (RishThakkar, Vivado HLS 2019.2: interval 42, latency 42-45; 64 elements: 64); RF 21 -> 2 multipliers, 21
    cycles; RF 1 keeps one word per cycle. Four 16-element words at RF 64 -> 1 multiplier: 4 x 15 more cycles,
    and the function (a loop over the words) takes its next input once done."""
    bn = BatchNormEstimator()
    one = bn.predict(_normalize(42, 42, 1), VIVADO)
    assert one.ii_cycles == 1
    serial = bn.predict(_normalize(42, 42, 256), VIVADO)
    assert (serial.latency_cycles, serial.ii_cycles) == (one.latency_cycles + 41, 42)
    two = bn.predict(_normalize(42, 42, 21), VIVADO)
    assert (two.latency_cycles, two.ii_cycles) == (one.latency_cycles + 20, 21)
    words1 = bn.predict(_normalize(64, 16, 4), VIVADO)  # limit 16 = pack: one cycle per word
    words = bn.predict(_normalize(64, 16, 64), VIVADO)
    assert words.latency_cycles == words1.latency_cycles + 4 * 15
    assert words.ii_cycles == words.latency_cycles and words.sequential
