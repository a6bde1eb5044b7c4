"""Element-wise and layout kernels: batch normalisation (``nnet_batchnorm.h``: one product and one sum per
element), pooling (``nnet_pooling*.h``: comparators or adders per window), merges (``nnet_merge*.h``; concatenation
is wiring), quantizer casts and layout-only calls."""

from __future__ import annotations

import math
from dataclasses import replace

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import MultiplierMap, chain_cycles, tree_levels
from codesign.estimate.kernels.common import (
    Context,
    adder_lut_offset,
    compare_select_luts,
    rint,
    stream_elementwise,
    stream_word_cycles,
    stream_words,
    width_of,
)
from codesign.estimate.result import LayerEstimate, declined


class BatchNormEstimator:
    """``nnet::normalize``: one product and one sum per element."""

    multipliers = MultiplierMap()

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one batch-normalisation layer."""
        n = int(call.num("n_in", 0) or 0)
        if n <= 0:
            return declined(call.name, "batchnorm", "n_in missing from the config")
        rf = int(call.num("reuse_factor", 1) or 1)
        wd, ws = width_of(call.input), width_of(call.prec("scale_t"))
        wo = width_of(call.output, wd + ws)
        cost = self.multipliers.predict(wd, ws, ctx.dsp_family, ctx.mul_impl)
        per_cycle = math.ceil(n / rf)
        # a one-term dot product (scale x + bias) whose last stage chains into the next layer's first cycle,
        # as a ReLU's does: ArgyKokk's io_parallel batchnorm layers take 0 cycles at 4.38 ns, at RF 1, 2 and
        # 100 alike, and (as the latency dense kernel) report II = latency + 1 when that is below the RF
        one_term = math.floor(K.T_MUL_LUT_NS * ctx.delay_factor / ctx.clock.effective_ns + K.STAGE_ROUNDING)
        lat = max(0, one_term - 1)
        ii = min(rf, lat + 1)
        lut = per_cycle * (cost.lut + K.LUT_PER_SUM_BIT * (wo + adder_lut_offset(ctx, "batchnorm")))
        ff = n * wo if lat else 0
        chain = (K.T_MUL_LUT_NS * ctx.delay_factor,) if lat == 0 and call.io_type != "io_stream" else ()
        est = LayerEstimate(call.name, "batchnorm", lat, ii, rint(lut), rint(ff), rint(per_cycle * cost.dsp), 0,
                            chain_ns=chain)  # fmt: skip
        if call.io_type == "io_stream":
            return self.stream_allocation(call, n, rf, stream_elementwise(call, n, est, ctx))
        return est

    @staticmethod
    def stream_allocation(call: LayerCall, n: int, rf: int, est: LayerEstimate) -> LayerEstimate:
        """io_stream ``normalize``: ``ALLOCATION mul limit = ceil(n_in / RF)`` (the scale is an argument array, so
        every product is a true multiplication) serialises a word's ``pack`` products through that many multipliers.

        RishThakkar (Vivado HLS 2019.2), one 42- or 64-element word: RF 256 and 128 give interval 42 / 64 (latency
        42-45 / 64-67), RF 1 gives interval 1. A word then takes ceil(pack / limit) cycles instead of one.
        """
        limit = math.ceil(n / max(rf, 1))
        per_word = math.ceil(min(max(call.pack, 1), n) / limit)
        if per_word <= 1 or est.latency_cycles is None:
            return est
        words = stream_words(call, n)
        lat = est.latency_cycles + words * (per_word - 1)
        return replace(est, latency_cycles=lat, ii_cycles=lat if words > 1 or est.sequential else per_word)


class ThresholdEstimator:
    """``nnet::normalize_binary_tanh`` / ``normalize_ternary_tanh`` (hls4ml folds a BatchNormalization into the binary
    or ternary activation after it): per element one (binary) or two (ternary) comparisons of the input with a
    threshold of the input's type. Priced as the max-pooling and merge comparators (LUT_PER_COMPARE_BIT per input
    bit, T_COMPARE_NS); no synthesis report of this kernel was at hand to fit it on."""

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one threshold layer."""
        n = int(call.num("n_in", 0) or 0)
        if n <= 0:
            return declined(call.name, call.function, "n_in missing from the config")
        compares = 2 if "ternary" in call.function.lower() else 1
        lat = ctx.clock.cycles(K.T_COMPARE_NS * ctx.delay_factor)
        lut = n * compares * width_of(call.input) * K.LUT_PER_COMPARE_BIT
        ff = n * compares if lat else 0  # the 1- or 2-bit results, registered
        est = LayerEstimate(call.name, call.function, lat, 1, rint(lut), rint(ff), 0, 0)
        return stream_elementwise(call, n, est, ctx) if call.io_type == "io_stream" else est


class PoolingEstimator:
    """``nnet::pooling1d_cl`` / ``pooling2d_cl`` / global pooling: comparators or adders per window."""

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one pooling layer."""
        c = call.num
        n_filt = c("n_filt")
        if n_filt is None:
            return declined(call.name, "pooling", "n_filt missing from the pooling config")
        one_d = "1d" in call.function or c("in_height") is None and c("pool_height") is None
        if call.function.startswith("global_pooling"):
            # the whole input is one window; one output per channel
            ih, iw = (1, c("n_in")) if one_d else (c("in_height"), c("in_width"))
            if iw is None or ih is None:
                return declined(call.name, "pooling", "global pooling input size missing from the config")
            ph, pw, oh, ow = ih, iw, 1, 1
        elif one_d:
            iw, ow, pw = c("n_in"), c("n_out"), c("pool_width")
            ih = oh = ph = 1
            if iw is None or ow is None or pw is None:
                return declined(call.name, "pooling", "pooling geometry missing from the config")
        else:
            ph, pw = c("pool_height"), c("pool_width")
            ih, iw, oh, ow = c("in_height"), c("in_width"), c("out_height"), c("out_width")
            if None in (ph, pw, oh, ow):
                return declined(call.name, "pooling", "pooling geometry missing from the config")
            ih = ih if ih is not None else oh * ph
            iw = iw if iw is not None else ow * pw
        w = width_of(call.input)
        window = int(ph * pw)
        if call.io_type == "io_stream":
            # one input pixel per stream_word_cycles (read, compare into the window, write; constants)
            ii = int(ih * iw) * stream_word_cycles(ctx)
            lut = stream_pooling_luts(int(n_filt), window, w, call.function.startswith("global_pooling"))
            # a loop over the pixels in a function that is not pipelined (as kernels.common.stream_elementwise):
            # interval = latency in every io_stream pooling report
            lat = ii + K.STREAM_LOOP_CYCLES
            return LayerEstimate(call.name, "pooling/stream", lat, lat, rint(lut), rint(n_filt * window * w), 0, 0,
                                 sequential=True)  # fmt: skip
        n_out = int(oh * ow * n_filt)
        # Max: window - 1 compare-selects per output (``nnet_pooling.h`` max: y = x[i] > y ? x[i] : y), priced by tool
        # release (kernels.common.compare_select_luts); Average (or no pool_op in the config): one operation per bit
        op = str(call.config.get("pool_op", "")).split("::")[-1].strip().lower()
        per_op = compare_select_luts(w, width_of(call.output, w), ctx) if op == "max" else w * K.LUT_PER_COMPARE_BIT
        lut = n_out * (window - 1) * per_op
        delay = tree_levels(window) * K.T_COMPARE_NS * ctx.delay_factor
        # constants.POOLING_COMBINATIONAL: a comparator tree that fits the period is combinational (chain_cycles)
        lat = chain_cycles([delay], ctx.clock.effective_ns) if K.POOLING_COMBINATIONAL else ctx.clock.cycles(delay)
        chain = (delay,) if lat == 0 and delay > 0 else ()
        return LayerEstimate(call.name, "pooling", lat, 1, rint(lut), rint(n_out * w if lat else 0), 0, 0,
                             chain_ns=chain)  # fmt: skip


def stream_pooling_luts(n_filt: int, window: int, width: int, global_pool: bool) -> float:
    """LUTs of an io_stream pooling layer: per channel the window's window - 1 compare-selects, plus the pixel loop's
    counters and control (constants.POOL_STREAM_COMPARE_LUT, POOL_STREAM_CONTROL_LUT). Global pooling keeps the
    window-register form (WINDOW_LUT_PER_BIT): no report of it here."""
    if global_pool:
        return n_filt * window * width * K.WINDOW_LUT_PER_BIT
    return K.POOL_STREAM_CONTROL_LUT + n_filt * max(window - 1, 1) * K.POOL_STREAM_COMPARE_LUT


class MergeEstimator:
    """``nnet::add/subtract/multiply/average/maximum/minimum`` (element-wise) and ``concatenate`` (wiring)."""

    multipliers = MultiplierMap()

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one merge layer."""
        f = call.function.lower()
        n = int(call.num("n_elem", 0) or call.num("n_elem1_0", 0) or 0)
        if f.startswith("concatenate"):
            lat = 0 if call.io_type != "io_stream" else max(n, 1)
            return LayerEstimate(call.name, "concatenate", lat, max(1, lat), 0, 0, 0, 0)
        if n <= 0:
            return declined(call.name, f, "n_elem missing from the merge config")
        w = width_of(call.output, width_of(call.input))
        if f == "multiply":
            cost = self.multipliers.predict(width_of(call.input), width_of(call.input), ctx.dsp_family, ctx.mul_impl)
            dsp, lut = n * cost.dsp, n * (cost.lut + w)
        elif f in ("maximum", "minimum"):  # res = a > b ? a : b: a compare-select per element (common)
            dsp, lut = 0.0, n * compare_select_luts(width_of(call.input, w), w, ctx)
        else:
            dsp, lut = 0.0, n * w * K.LUT_PER_COMPARE_BIT
        delay = K.T_ADD_NS if f != "multiply" else K.T_MUL_DSP_NS
        lat = ctx.clock.cycles(delay)
        chain = (delay,) if lat == 0 and call.io_type != "io_stream" else ()
        est = LayerEstimate(call.name, f, lat, 1, rint(lut), n * w if lat else 0, rint(dsp), 0, chain_ns=chain)
        if call.io_type == "io_stream":
            return stream_elementwise(call, n, est, ctx)
        return est


class CastEstimator:
    """HGQ / fixed-point quantizer calls (``nnet::h_quantize<in_t, out_t>``): an element-wise type cast.

    hls4ml generates them without a config struct; the cast is wiring plus rounding/saturation logic that HLS
    folds into the neighbouring layer, so it adds no cycle and is counted as no resource.
    """

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """A cast costs no cycle and (to first order) no resource."""
        return LayerEstimate(call.name, "cast", 0, 1, 0, 0, 0, 0)


class PassThroughEstimator:
    """Layout-only calls (zero padding, flatten, reshape, repack in io_stream)."""

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Padding/repacking streams move one element per cycle; in io_parallel they are wiring."""
        if call.io_type != "io_stream":
            return LayerEstimate(call.name, call.function, 0, 1, 0, 0, 0, 0)
        c = call.num
        f = call.function.lower()
        if f.startswith("resize_nearest"):
            # one output word per cycle: its row loop is pipelined but writes ratio_h x new_width words, so the
            # trip count is the output image (new_height x new_width), not its input; not a pipelined function
            lat = int((c("new_height", 1) or 1) * (c("new_width", 1) or 1)) + K.STREAM_RESIZE_CYCLES
            return LayerEstimate(call.name, call.function, lat, lat, K.STREAM_COPY_LUT, K.STREAM_COPY_FF, 0, 0,
                                 sequential=True)  # fmt: skip
        n = int((c("out_height", 1) or 1) * (c("out_width", 0) or c("n_out", 0) or c("size", 0) or 1))
        if f.startswith("zeropad2d"):
            # PadTop / PadMain (PadLeft, CopyMain, PadRight) / PadBottom: one output pixel per cycle plus the
            # loops' entry and exit; the function is not pipelined (interval = latency)
            lat = n + K.STREAM_PAD2D_CYCLES
            return LayerEstimate(call.name, call.function, lat, lat, K.STREAM_COPY_LUT, K.STREAM_COPY_FF, 0, 0,
                                 sequential=True)  # fmt: skip
        return LayerEstimate(call.name, call.function, n + 1, n, K.STREAM_COPY_LUT, K.STREAM_COPY_FF, 0, 0)
