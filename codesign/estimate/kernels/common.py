"""What every per-layer estimator shares: the :class:`Context`, width/rounding helpers, the io_stream wrapper."""

from __future__ import annotations

import math
from dataclasses import dataclass

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock, in_release_window, is_vitis, tool_year
from codesign.estimate.result import LayerEstimate
from codesign.precision import FixedPrecision, Overflow


@dataclass(frozen=True)
class Context:
    """What every layer estimator needs besides the layer: clock, DSP family, multiplier impl, tool."""

    clock: Clock
    dsp_family: str
    mul_impl: str
    tool: str | None
    tool_version: str | None
    delay_factor: float = 1.0
    #: scale of T_MUL_DSP_NS for this device (hardware.dsp_delay_factor); None: the logic's delay_factor
    dsp_delay_factor: float | None = None
    #: ``config_schedule -enable_dsp_full_reg`` as the build script leaves it (hardware.dsp_full_reg)
    dsp_full_reg: bool = True
    #: how the top function schedules its layer calls, "pipeline" or "dataflow" (network.top_style): a
    #: function without a PIPELINE pragma of its own is pipelined only under a pipelined top
    top_style: str = "pipeline"
    #: a Latency dense call the top lets be combinational where its chain fits one cycle (network, constants
    #: DENSE_COMBINATIONAL_LAST): the design's last dense call only
    combinational_dense: bool = False
    #: the device family as the HLS reports name it (hardware.hls_family: ``virtex7``, ``virtexuplus``, ``zynq``...);
    #: None where unknown
    family: str | None = None

    @property
    def dsp_factor(self) -> float:
        """Scale of the DSP multiplier's 7-series delay: its own factor where set, else the logic's."""
        return self.delay_factor if self.dsp_delay_factor is None else self.dsp_delay_factor

    @property
    def vitis(self) -> bool:
        """Whether the tool is Vitis HLS (hardware.is_vitis)."""
        return is_vitis(self.tool)


def adder_lut_offset(ctx: Context, use: str = "tree") -> float:
    """LUTs HLS prices an adder above its width: ADDER_LUT_OFFSET_BITS; none for Vitis HLS up to 2021, and none for
    Vivado HLS on the (family, releases) of VIVADO_ADDER_AT_WIDTH where ``use`` (``tree``: a Latency dense/conv adder
    tree, ``accumulator``: the Resource accumulators, ``batchnorm``, ``table``: a table activation's index logic) is
    one of VIVADO_ADDER_AT_WIDTH_USES (constants)."""
    year = tool_year(ctx.tool_version)
    if ctx.vitis and year is not None and year <= K.ADDER_AT_WIDTH_LAST_VITIS_YEAR:
        return 0.0
    window = (K.VIVADO_ADDER_AT_WIDTH or {}).get(ctx.family or "")
    if (not ctx.vitis and window is not None and use in K.VIVADO_ADDER_AT_WIDTH_USES
            and in_release_window(ctx.tool_version, *window)):  # fmt: skip
        return 0.0
    return K.ADDER_LUT_OFFSET_BITS


def compare_luts(width: int, ctx: Context) -> float:
    """LUTs of a compare of two ``width``-bit variables: an adder's price (width + ADDER_LUT_OFFSET_BITS) on the Vitis HLS
    releases VITIS_COMPARE_AT_ADDER_PRICE_RELEASES (None: none), LUT_PER_COMPARE_BIT per bit on the others, on Vivado
    HLS and on an unknown release (constants)."""
    window = K.VITIS_COMPARE_AT_ADDER_PRICE_RELEASES
    if ctx.vitis and window is not None and in_release_window(ctx.tool_version, *window):
        return width + K.ADDER_LUT_OFFSET_BITS
    return width * K.LUT_PER_COMPARE_BIT


def compare_select_luts(in_width: int, out_width: int, ctx: Context) -> float:
    """LUTs of one compare-and-select (``y = x > y ? x : y``): the compare (:func:`compare_luts`) and a 2:1 select
    of the output bits (constants.LUT_PER_SELECT_BIT)."""
    return compare_luts(in_width, ctx) + out_width * K.LUT_PER_SELECT_BIT


def width_of(p: FixedPrecision | None, default: int = 16) -> int:
    """The width of a precision, or ``default`` where the type is unknown."""
    return p.width if p is not None else default


def live_operand_widths(call: LayerCall) -> tuple[int, int]:
    """Widths of a dense/conv product's data and weight operands, and with constants.PRODUCT_LIVE_BITS only the
    bits that reach a wrapping ``accum_t`` (the product is cast to it before any sum): a data bit of weight
    2^k lands at 2^(k - F_w) and up, so with I_a integer bits of accumulator it is dropped once k >= I_a + F_w;
    likewise for the weight with F_x. Both operands keep at most I_a + F_x + F_w bits. A saturating or unknown
    accumulator keeps every bit (its overflow detection reads them)."""
    x, w, acc = call.input, call.prec("weight_t"), call.prec("accum_t")
    wd, ww = width_of(x), width_of(w)
    if not K.PRODUCT_LIVE_BITS or x is None or w is None or acc is None or acc.overflow is not Overflow.WRAP:
        return wd, ww
    cap = acc.integer + (x.width - x.integer) + (w.width - w.integer)
    return max(1, min(wd, cap)), max(1, min(ww, cap))


def rint(x: float) -> int:
    """Round a resource count to the nearest integer."""
    return int(round(x))


def variable_product_on_dsp(width: int, ctx: Context) -> bool:
    """Whether a product with no constant operand (a ROM-fed weight, two variables) of operands up to ``width``
    bits goes on a DSP: always with ``-impl dsp``, by width with the default mapping (constants)."""
    return ctx.mul_impl == "dsp" or (ctx.mul_impl == "auto" and width >= K.RESOURCE_DSP_MIN_WIDTH)


def stream_words(call: LayerCall, n: int) -> int:
    """Stream words an io_stream layer reads: ``n`` elements, ``pack`` of them per word."""
    return max(1, math.ceil(n / max(call.pack, 1)))


def stream_elementwise(call: LayerCall, n: int, est: LayerEstimate, ctx: Context) -> LayerEstimate:
    """An element-wise layer in io_stream: one packed array (a pixel's channels) per cycle.

    Several words: a pipelined loop over them inside a function that is not itself pipelined: the words, the
    element's latency, and STREAM_LOOP_CYCLES for the loop's entry/exit and its read/write registers; it takes its
    next input once done (II = latency, sequential: a DATAFLOW region adds its handshake cycle). Constants.
    One word: the element's latency plus the word's read. Vivado HLS makes the function one pipeline (II 1): its
    single-word relu / sigmoid reports say Pipeline Type "function" with interval 1 below latency 2-4
    (kendermag, RishThakkar, uw-acme, nicologhielmetti). Vitis HLS keeps the one-iteration loop inside a function
    that is not pipelined, so the layer is sequential as with several words: its single-word relu reports say
    Pipeline Type "no" (alex-yang-upenn 2022.2, CestMerNeil 2022.1), and hls4ml's own tiny io_stream baselines
    (Dense on one input, then one activation word; Vitis HLS 2023.1 / 2024.1, 10 designs) report the DATAFLOW
    II as the activation's latency + 1: 2 after relu / leaky_relu / PReLU, 4 after ELU / sigmoid.
    """
    words = stream_words(call, n)
    lat = (est.latency_cycles or 0) + words
    if words == 1:
        sequential = ctx.vitis
        return LayerEstimate(est.name, est.kind + "/stream", lat, lat if sequential else 1, est.lut, est.ff, est.dsp,
                             est.bram_18k, sequential=sequential)  # fmt: skip
    lat += K.STREAM_LOOP_CYCLES
    return LayerEstimate(est.name, est.kind + "/stream", lat, lat, est.lut, est.ff, est.dsp, est.bram_18k,
                         sequential=True)  # fmt: skip


def stream_word_cycles(ctx: Context) -> int:
    """Cycles an io_stream element-wise layer spends on one word: read, compute, write (constants)."""
    return max(1, ctx.clock.cycles(K.T_STREAM_WORD_NS * ctx.delay_factor))
