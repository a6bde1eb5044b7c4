"""Activations (``nnet_activation.h``): ReLU-like ones are a compare-and-select; sigmoid/tanh/softmax read
lookup tables."""

from __future__ import annotations

import math
from dataclasses import replace

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import chain_cycles
from codesign.estimate.kernels.common import Context, rint, stream_elementwise, stream_word_cycles, width_of
from codesign.estimate.kernels.multiplexers import stream_wrapper_luts
from codesign.estimate.kernels.softmax import products_on_dsp, softmax_luts
from codesign.estimate.kernels.tables import index_luts
from codesign.estimate.result import LayerEstimate, declined
from codesign.precision import FixedPrecision


def _rounds_convergent(inp: FixedPrecision | None, out: FixedPrecision | None) -> bool:
    """Whether an element-wise output rounds convergently (``AP_RND_CONV``) and drops fraction bits to do so."""
    if inp is None or out is None or out.rounding.value != "AP_RND_CONV":
        return False
    return out.width - out.integer < inp.width - inp.integer


def _quantizing_cast(inp: FixedPrecision | None, out: FixedPrecision | None) -> bool:
    """Whether an element-wise output cast saturates away integer bits or rounds away fraction bits."""
    if inp is None or out is None:
        return False
    saturates = out.overflow.value != "AP_WRAP" and out.integer < inp.integer
    rounds = out.rounding.value not in ("AP_TRN", "AP_TRN_ZERO") and out.width - out.integer < inp.width - inp.integer
    return saturates or rounds


class ActivationEstimator:
    """ReLU-like (compare/select), table-based (sigmoid, tanh, softmax ...) activations."""

    SIMPLE = (
        "relu",
        "leaky_relu",
        "thresholded_relu",
        "relu6",
        "relu1",
        "hard_sigmoid",
        "hard_tanh",
        "linear",
        "binary_tanh",
        "ternary_tanh",
        "clipped_relu",
        "prelu",
        "elu_simple",
    )
    TABLE = ("sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "gelu", "swish")

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one activation layer."""
        n = int(call.num("n_in", 0) or 0)
        if n <= 0:
            return declined(call.name, call.function, "n_in missing from the activation config")
        f = call.function.lower()
        wo = width_of(call.output, width_of(call.input))
        stream = call.io_type == "io_stream"
        if f == "linear":
            return _stream(call, n, self._linear(call, n, ctx, wo, stream), stream, ctx)
        if f in self.SIMPLE or f.startswith("relu"):
            t_relu = K.T_RELU_NS + (K.T_RND_CONV_NS if _rounds_convergent(call.input, call.output) else 0.0)
            lat = 0 if ctx.clock.effective_ns >= t_relu * ctx.delay_factor else 1
            if stream:  # read, compare-select and write of a word; the word's read is counted by _stream
                lat = stream_word_cycles(ctx) - 1
            per_bit = K.LUT_PER_RELU_BIT
            if _quantizing_cast(call.input, call.output):
                per_bit += K.RELU_CAST_LUT_PER_BIT_VITIS if ctx.vitis else K.RELU_CAST_LUT_PER_BIT
            lut = n * width_of(call.input) * per_bit
            ff = n * wo if lat else 0
            if stream:  # one stream word (pack elements) per cycle, plus the stream handshake multiplexers
                lut = stream_wrapper_luts(call, call.pack * width_of(call.input) * per_bit, n)
                ff = call.pack * width_of(call.input) * K.STREAM_FF_PER_BIT
            chain = (t_relu * ctx.delay_factor,) if lat == 0 and not stream else ()
            est = LayerEstimate(call.name, f, lat, 1, rint(lut), rint(ff), 0, 0, chain_ns=chain)
            return _stream(call, n, est, stream, ctx)
        if f.startswith("softmax"):
            table = int(call.num("exp_table_size", call.num("table_size", 1024)) or 1024)
            tw = width_of(call.prec("exp_table_t"), 18)
            per = math.ceil(table * tw / 18432)
            bram = n * per  # one exp-table copy per element (the inverse table shares the last)
            impl = str(call.config.get("implementation", "stable"))
            lat = self.softmax_cycles(n, impl, ctx, width_of(call.input))
            w_in = width_of(call.input)
            counted = softmax_luts(call, n, ctx, softmax_delay_factor(ctx, w_in), softmax_table_registers(ctx, w_in))
            lut = n * K.LUT_PER_SOFTMAX_ELEMENT if counted is None else counted
            ff = n * K.FF_PER_SOFTMAX_ELEMENT
            if counted is None:
                dsp = 0 if ctx.mul_impl == "fabric" else n  # exp x 1/sum products
            else:
                dsp = n if products_on_dsp(call, ctx) else 0
            est = LayerEstimate(call.name, "softmax", lat, 1, rint(lut), rint(ff), dsp, bram)
            est = _stream(call, n, est, stream, ctx)
            if stream:
                # nnet_activation_stream.h's softmax is not pipelined: every io_stream softmax report (23, 10
                # repositories) has interval = latency
                est = replace(est, ii_cycles=est.latency_cycles, sequential=True)
            return est
        if f in self.TABLE:
            table = int(call.num("table_size", 1024) or 1024)
            tw = width_of(call.prec("table_t"), 18)
            bram = math.ceil(n / 2) * math.ceil(table * tw / 18432)
            # index arithmetic (shift, offset, clip) into the table address, then the ROM read, whose
            # registered output is one more cycle (constants.TABLE_ROM_READ_CYCLES); Vivado HLS on a device
            # faster than 7-series chains the arithmetic into the read's cycle (constants.TABLE_CHAINED_...)
            lat = max(1, ctx.clock.cycles(K.T_TABLE_LOOKUP_NS * ctx.delay_factor)) + K.TABLE_ROM_READ_CYCLES
            if not ctx.vitis and ctx.delay_factor < 1.0 and call.io_type == "io_parallel":
                lat = K.TABLE_CHAINED_READ_CYCLES
            per = index_luts(f, call.input, table, ctx)
            lut = n * (K.LUT_PER_TABLE_LOOKUP if per is None else per)
            ff = n * wo
            return _stream(call, n, LayerEstimate(call.name, f, lat, 1, rint(lut), rint(ff), 0, bram), stream, ctx)
        return declined(call.name, f, f"activation '{call.function}' is not modelled")

    @staticmethod
    def _linear(call: LayerCall, n: int, ctx: Context, wo: int, stream: bool) -> LayerEstimate:
        """``nnet::linear``: wires, unless its output cast quantizes (a QActivation('quantized_bits(8,4)') after an
        ap_fixed<16,6>: round and saturate to ap_fixed<9,5,AP_RND_CONV,AP_SAT>), which costs the cast's share of a
        quantizing ReLU (RELU_CAST_LUT_PER_BIT per input bit, without the compare) and its timing."""
        if not _quantizing_cast(call.input, call.output):
            return LayerEstimate(call.name, "linear", 0, 1, 0, 0, 0, 0)
        t_cast = K.T_RELU_NS + (K.T_RND_CONV_NS if _rounds_convergent(call.input, call.output) else 0.0)
        lat = 0 if ctx.clock.effective_ns >= t_cast * ctx.delay_factor else 1
        per_bit = K.RELU_CAST_LUT_PER_BIT_VITIS if ctx.vitis else K.RELU_CAST_LUT_PER_BIT
        if stream:
            lat = stream_word_cycles(ctx) - 1
            lut = stream_wrapper_luts(call, call.pack * width_of(call.input) * per_bit, n)
            ff = call.pack * width_of(call.input) * K.STREAM_FF_PER_BIT
        else:
            lut, ff = n * width_of(call.input) * per_bit, (n * wo if lat else 0)
        chain = (t_cast * ctx.delay_factor,) if lat == 0 and not stream else ()
        return LayerEstimate(call.name, "linear", lat, 1, rint(lut), rint(ff), 0, 0, chain_ns=chain)

    @staticmethod
    def softmax_cycles(n: int, implementation: str, ctx: Context, in_width: int = 16) -> int:
        """Cycles of ``nnet::softmax`` as its operations chain (``nnet_activation.h``, see constants).

        Stable: a max tree of ceil(log2 n) compare-select levels, x - max, the exp table read, a sum tree of
        ceil(log2 n) adder levels, the 1/sum table read, the exp x 1/sum product. The latency variant skips the
        max tree and the subtraction. An input of ``in_width`` bits addresses at most 2^in_width entries of the exp
        table (:func:`softmax_delay_factor`, :func:`softmax_table_registers`).
        """
        levels = math.ceil(math.log2(n)) if n > 1 else 0
        t_mul = K.T_SOFTMAX_MUL_FABRIC_NS if ctx.mul_impl == "fabric" else K.T_SOFTMAX_MUL_NS
        ops: list[float] = []
        if "latency" not in implementation:
            ops += [K.T_MAX_LEVEL_NS] * levels + [K.T_ADD_NS]
        ops += [K.T_TABLE_READ_NS] + [K.T_ADD_NS] * levels + [K.T_TABLE_READ_NS, t_mul]
        factor = softmax_delay_factor(ctx, in_width)
        chain = chain_cycles([d * factor for d in ops], ctx.clock.effective_ns)
        return max(1, chain + softmax_table_registers(ctx, in_width))


def _narrow(in_width: int) -> bool:
    """Whether the softmax input addresses a LUT-sized exp table (constants.SOFTMAX_LUT_TABLE_MAX_BITS)."""
    return in_width <= K.SOFTMAX_LUT_TABLE_MAX_BITS


def softmax_delay_factor(ctx: Context, in_width: int = 16) -> float:
    """Scale of the softmax chain's 7-series delays: the device's, but never below SOFTMAX_MIN_DELAY_FACTOR.

    The UltraScale+ factor (0.2) was read off dense layers (DSP products, carry-chain adders); the softmax's
    compare-selects, table addressing and ROM reads speed up less (constants.SOFTMAX_MIN_DELAY_FACTOR), except on
    a narrow input, whose exp table is a few LUTs.
    """
    if _narrow(in_width):
        return ctx.delay_factor
    return max(ctx.delay_factor, K.SOFTMAX_MIN_DELAY_FACTOR)


def softmax_table_registers(ctx: Context, in_width: int = 16) -> int:
    """Register stages of the softmax's two table reads: always with Vitis HLS (but for a narrow input), with
    Vivado HLS only where the logic is as slow as 7-series (it reads a fast device's tables combinationally)."""
    if ctx.vitis and not _narrow(in_width):
        return K.SOFTMAX_TABLE_REGISTERS
    return round(K.SOFTMAX_TABLE_REGISTERS * min(1.0, ctx.delay_factor))


def _stream(call: LayerCall, n: int, est: LayerEstimate, stream: bool, ctx: Context) -> LayerEstimate:
    return stream_elementwise(call, n, est, ctx) if stream else est
