"""Convolutions (``nnet_conv*_stream.h`` / ``nnet_conv*_latency.h``): a dense kernel over the receptive field,
reused for every output pixel (io_stream: one input pixel per kernel interval through a line buffer)."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.kernels.common import Context, live_operand_widths, width_of
from codesign.estimate.kernels.dense import DotProductModel, accum_cast_luts
from codesign.estimate.result import LayerEstimate, declined


def version_at_least(version: str | None, major: int, minor: int) -> bool:
    """Whether a tool version such as ``"2022.2"`` or ``"2019.2.1"`` is at least ``major.minor``."""
    m = re.match(r"\s*(\d+)\.(\d+)", version or "")
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= (major, minor)


class ConvEstimator:
    """``nnet::conv_1d_cl`` / ``conv_2d_cl`` (and pointwise/depthwise) in io_parallel and io_stream."""

    core = DotProductModel()

    #: hls4ml 0.0.x (``nnet::conv_1d``, base ``conv_config``) named the 1D geometry after the y axis
    OLD_NAMES = {"in_width": "y_in", "filt_width": "y_filt", "out_width": "y_out"}

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one convolution layer."""
        if any(old in call.config and new not in call.config for new, old in self.OLD_NAMES.items()):
            cfg = dict(call.config)
            for new, old in self.OLD_NAMES.items():
                cfg.setdefault(new, cfg.get(old))
            call = replace(call, config=cfg)
        c = call.num
        n_chan, n_filt = c("n_chan"), c("n_filt")
        fh, fw = c("filt_height", 1), c("filt_width")
        if n_chan is None or n_filt is None or fw is None:
            return declined(call.name, "conv", "convolution geometry missing from the config")
        oh, ow = c("out_height", 1), c("out_width")
        if ow is None:
            return declined(call.name, "conv", "output size missing from the config")
        ih, iw = c("in_height", 1), c("in_width", ow)
        depthwise = "depthwise" in call.function
        k_in = int(fh * fw * (1 if depthwise else n_chan))
        n_out = int(n_chan if depthwise else n_filt)
        rf = int(c("reuse_factor", 1) or 1)
        n_zeros = int(c("n_zeros", 0) or 0)
        nnz = max(k_in * n_out - n_zeros, 1)
        wd, ww = live_operand_widths(call)
        out_w = width_of(call.output)
        acc = width_of(call.prec("accum_t"), width_of(call.input) + width_of(call.prec("weight_t")) + 8)
        strategy = str(call.config.get("strategy", "latency")).lower()
        kern = self.core.predict(
            k_in, n_out, nnz, wd, ww, acc, rf, ctx, zeros_skipped=not strategy.startswith("resource"),
            n_shift=int(c("n_shift", 0) or 0),
        )  # fmt: skip
        # the products' casts into a rounding / saturating accum_t (kernels.dense.accum_cast_luts), per kernel
        kern = replace(kern, lut=(kern.lut or 0) + accum_cast_luts(
            call, nnz if not strategy.startswith("resource") else math.ceil(k_in * n_out / rf), ctx))
        pixels = int(oh * ow)
        if call.io_type == "io_stream":
            pixels_in = int(ih * iw)
            if strategy.startswith("resource"):
                # the Resource kernel is called once per pixel and not overlapped with the next call: its RF
                # issues plus its fill/drain and the call around it (constants.STREAM_RESOURCE_PIXEL_CYCLES); the
                # loop is the whole function (reported latency = interval = pixels x per-pixel cycles)
                latency = pixels_in * (rf + K.STREAM_RESOURCE_PIXEL_CYCLES)
                fill = (kern.latency_cycles or 0) + K.STREAM_EXTRA_CYCLES
            else:
                # the per-pixel step is a function of its own only for a standard windowed convolution
                # (``compute_output_buffer_*``, INLINE OFF); pointwise and depthwise steps are inlined
                separate = not ("pointwise" in call.function or fh * fw == 1 or depthwise)
                args = (k_in, n_out, nnz, wd, ww, acc, rf)
                shifts = int(c("n_shift", 0) or 0)
                per_pixel, depth = self.stream_pixel_schedule(args, rf, separate, ctx, n_shift=shifts)
                # the ReadInput loop: (pixels - 1) intervals then the last pixel's depth, + the call's state
                latency = (pixels_in - 1) * per_pixel + depth + 1
                fill = depth + 1
            lut = (kern.lut or 0) + int(fh * fw * n_chan * wd * K.WINDOW_LUT_PER_BIT)
            ff = (kern.ff or 0) + int(fh * fw * n_chan * wd)
            row_bits = iw * n_chan * wd
            bram = math.ceil((fh - 1) * row_bits / 18432) if fh > 1 and row_bits > K.LINEBUFFER_BRAM_MIN_BITS else 0
            # the function is not pipelined (a loop inside): II = latency, and a DATAFLOW region restarts it
            # one handshake cycle after its last state (network.dataflow_interval)
            # one handshake cycle after its last state (network.dataflow_interval); its fill into the next process
            # is the pixel pipeline's depth
            return LayerEstimate(call.name, "conv/stream", latency, latency, lut, ff, kern.dsp, bram,
                                 sequential=True, fill_cycles=fill)  # fmt: skip
        partitions = int(c("n_partitions", 1) or 1)
        if "_large" in call.function:
            # hls4ml <= 0.4 ``conv_2d_large_cl``: im2col, then one dense_large kernel called for each output
            # pixel in turn (filipemlins/nas-hls4ml: one kernel's DSPs, not one per pixel)
            partitions = pixels
        copies = max(1, pixels // max(partitions, 1))
        # the output pixels are computed in n_partitions sequential groups, each at the kernel's interval
        ii = partitions * (kern.ii_cycles or rf)
        latency = (kern.latency_cycles or 0) + ii
        # ``nnet_conv*_latency.h`` pipelines its PartitionLoop (II = RF, rewind), not the function: with more
        # than one partition the function takes its next input once it has finished, II = latency; each
        # partition fills its input buffer through a multiplexer (``fill_buffer``) and writes its slice of the
        # output, so the whole output array is held in registers until the function returns
        # (MuhammadAshraful, Vitis 2024.1, 676 partitions: PartitionLoop 676 x II 2, module latency 1353,
        # interval 1353; hls4ml then writes a DATAFLOW top, whose II is 1354, network.dataflow_interval)
        sequential = partitions > 1
        if sequential:
            ii = latency
        dsp = (kern.dsp or 0) * copies
        if call.function.endswith("_cl") and not strategy.startswith("resource") and "_large" not in call.function:
            # ``#pragma HLS ALLOCATION operation instances=mul limit=mult_config::multiplier_limit``: the
            # kernel's limit (its products / RF) holds for all the pixels of a partition together, so the
            # multiplications on DSPs cannot outnumber it (the latency/II effect is not modelled: no report)
            limit = math.ceil(k_in * n_out / max(rf, 1)) - n_zeros // max(rf, 1)
            dsp = min(dsp, max(limit, 1) * self.core.multipliers.slices(wd, ww, ctx.dsp_family))
        lut, ff = (kern.lut or 0) * copies, (kern.ff or 0) * copies
        if sequential and self.fills_buffer(call):
            lut, ff = lut + self.fill_buffer_luts(k_in, copies, wd, partitions), ff + pixels * n_out * out_w
        return LayerEstimate(call.name, "conv/parallel", latency, ii, lut, ff, dsp, 0, sequential=sequential)

    def stream_pixel_schedule(
        self, args: tuple, rf: int, separate: bool, ctx: Context, *, n_shift: int = 0
    ) -> tuple[int, int]:
        """(cycles per input pixel, iteration depth) of the io_stream Latency-strategy pixel loop.

        hls4ml pipelines its ReadInput loop at ``II = reuse_factor``. One iteration reads a pixel, shifts the
        line buffer and window (STREAM_CONV_WINDOW_CYCLES with the read and the write) and runs the dense
        kernel over the window, whose adders HLS schedules at no less than STREAM_CONV_MIN_DELAY_FACTOR of the
        7-series delays (constants). Where the target II is not shorter than that depth, HLS runs the loop
        without overlap: II = depth. With Vitis HLS >= 2022.2, where the iteration calls the per-pixel step as
        a function of its own (``separate``: ``compute_output_buffer_1d/2d``, ``#pragma HLS INLINE OFF``, whose
        static window and position counters live inside it), that state is carried from one call to the next
        through the iteration, so the II is at least depth - STREAM_CONV_RECURRENCE_SLACK. A pointwise step
        (no window) and the depthwise ``compute_depthwise_output_buffer_*`` (``#pragma HLS INLINE``: its state
        is the loop's own registers) keep the target: hls4ml's Vitis HLS 2024.1 DepthwiseConv1D / 2D baselines
        take one pixel a cycle (latency 35 for 32 pixels, 1028 for 1024), as on Vivado HLS 2020.1.
        """
        floor = K.STREAM_CONV_MIN_DELAY_FACTOR
        kctx = replace(ctx, delay_factor=max(ctx.delay_factor, floor), dsp_delay_factor=max(ctx.dsp_factor, floor))
        kern = self.core.predict(*args, kctx, n_shift=n_shift)
        depth = (kern.latency_cycles or 0) + K.STREAM_CONV_WINDOW_CYCLES
        target = max(1, rf)
        if target >= depth:
            return depth, depth
        if separate and ctx.vitis and version_at_least(ctx.tool_version, 2022, 2):
            return max(target, depth - K.STREAM_CONV_RECURRENCE_SLACK), depth
        return target, depth

    @staticmethod
    def fills_buffer(call: LayerCall) -> bool:
        """Whether the io_parallel kernel is hls4ml's ``conv_*d_latency_cl`` with a generated ``fill_buffer``
        (hls4ml >= 0.7: the config names a ``conv_implementation``; the Resource kernel has none)."""
        strategy = str(call.config.get("strategy", "latency")).lower()
        return call.function.endswith("_cl") and "implementation" in call.config and not strategy.startswith("resource")

    @staticmethod
    def fill_buffer_luts(k_in: int, n_pixels: int, wd: int, partitions: int) -> int:
        """LUTs of ``fill_buffer``: each of the n_pixels x k_in buffer words selects one of n_partitions input
        words (one ``if (partition == p)`` branch per partition), a multiplexer HLS costs per input bit
        (constants.FILL_BUFFER_LUT_PER_INPUT_BIT)."""
        return int(round(n_pixels * k_in * wd * partitions * K.FILL_BUFFER_LUT_PER_INPUT_BIT))
