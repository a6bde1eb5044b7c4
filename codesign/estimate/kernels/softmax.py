"""The LUTs of hls4ml's softmax (``nnet_activation.h``), counted operation by operation.

``softmax_latency`` reads one exp-table entry per element (the index is the top log2(table_size) bits of the
input: a slice, no logic), sums the n entries with an adder tree (n - 1 adders; where the sum's type saturates, as
hls4ml 0.x's default ``exp_table_t`` ap_fixed<18,8,AP_RND,AP_SAT> does, each adder also selects its saturated
value, a select of its width), reads the inverse table at the top bits of the sum and multiplies every entry by it
(n products of ``exp_table_t`` x ``inv_table_t``).
``softmax_stable`` first finds the maximum with a compare-select tree (n - 1) and subtracts every input from it (n
subtractions of the input's width + 1). hls4ml 0.x casts the difference to ``ap_fixed<W, I, AP_RND, AP_SAT>``: a
saturation whose Expression rows are two a-bit selects per element (a = log2(table_size)) and a few one-bit gates;
hls4ml 1.x (its config carries ``exp_table_size``) casts to an unsigned ``inp_norm_t`` without saturation and sums
in an ``accum_t`` ceil(log2 n) bits wider than ``exp_table_t``. The per-module reports list exactly these rows
(ArgyKokk, Vitis HLS 2021.1; Gabriele-bot PYNQ_IA, Vivado HLS 2020.1; docs/estimator.md "Softmax: the LUTs by
implementation").

The products go to DSPs, or with ``config_op mul -impl fabric`` (or the default mapping at narrow widths:
:func:`~codesign.estimate.kernels.common.variable_product_on_dsp`) become LUT multipliers priced as the dense
layer's (constants.LUT_PER_MULT_BIT2 per bit pair): ArgyKokk's ``-impl fabric`` softmax modules are
366 LUT per element above their ``-impl dsp`` twins, one ``mul_18s_18s`` core each.

Vivado HLS and Vitis HLS up to SOFTMAX_SRL_LAST_VITIS_YEAR keep a value that waits two or more cycles in a shift
register and price it in the Register table (SOFTMAX_SRL_LUTS each): every exp entry waits for the sum tree and
the inverse read, every input of the stable version for the max tree.

Priced as the estimator prices adders, compares and selects elsewhere; ``legacy`` and ``argmax`` keep
constants.LUT_PER_SOFTMAX_ELEMENT.
"""

from __future__ import annotations

import math

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import chain_cycles, tool_year
from codesign.estimate.kernels.common import (
    Context,
    adder_lut_offset,
    compare_select_luts,
    variable_product_on_dsp,
    width_of,
)
from codesign.precision import Overflow

#: hls4ml's default table types (0.x and 1.x): ``exp_table_t`` and ``inv_table_t`` are ap_fixed<18, *>
DEFAULT_TABLE_WIDTH = 18


def implementation(call: LayerCall) -> str:
    """``latency``, ``stable``, ``legacy`` or ``argmax`` from the config's ``softmax_implementation::NAME``."""
    text = str(call.config.get("implementation", "stable"))
    return text.rsplit(":", 1)[-1].strip().lower() or "stable"


def products_on_dsp(call: LayerCall, ctx: Context) -> bool:
    """Whether the n products exp x 1/sum go to DSPs (two variables: the mapping by operand width; the default
    types, 18 bits, go to DSPs unless ``-impl fabric``)."""
    we = width_of(call.prec("exp_table_t"), DEFAULT_TABLE_WIDTH)
    wi = width_of(call.prec("inv_table_t"), DEFAULT_TABLE_WIDTH)
    return variable_product_on_dsp(max(we, wi), ctx)


def shift_register_values(n: int, impl: str, ctx: Context, delay_factor: float, table_registers: int) -> int:
    """Values the pipeline holds in shift registers (constants.SOFTMAX_SRL_LUTS each): the exp entries while
    the sum tree and the inverse read (and its output register, where the tables' reads are registered:
    ``table_registers`` > 0) run, and the stable version's inputs while the max tree runs, where that wait is two
    cycles or more (the chains of ``ActivationEstimator.softmax_cycles``); none on Vitis HLS after
    SOFTMAX_SRL_LAST_VITIS_YEAR."""
    year = tool_year(ctx.tool_version)
    if ctx.vitis and (year is None or year > K.SOFTMAX_SRL_LAST_VITIS_YEAR):
        return 0
    levels = math.ceil(math.log2(n)) if n > 1 else 0
    eff = ctx.clock.effective_ns
    exp_wait = chain_cycles([K.T_ADD_NS * delay_factor] * levels + [K.T_TABLE_READ_NS * delay_factor], eff)
    exp_wait += min(1, table_registers)
    values = n if exp_wait >= 2 else 0
    if impl == "stable":
        in_wait = chain_cycles([K.T_MAX_LEVEL_NS * delay_factor] * levels + [K.T_ADD_NS * delay_factor], eff)
        values += n if in_wait >= 2 else 0
    return values


def softmax_luts(call: LayerCall, n: int, ctx: Context, delay_factor: float, table_registers: int) -> float | None:
    """LUTs of one io_parallel softmax of ``n`` elements, or None where the count does not apply: io_stream (its
    own kernel, ``nnet_activation_stream.h``), ``legacy``, ``argmax``, an unknown implementation,
    constants.SOFTMAX_LUT_COUNT off, or an hls4ml 1.x config with constants.SOFTMAX_LUT_COUNT_HLS4ML_1 off. ``delay_factor`` and ``table_registers``: the softmax chain's
    (``activation.softmax_delay_factor``, ``activation.softmax_table_registers``)."""
    impl = implementation(call)
    if not K.SOFTMAX_LUT_COUNT or call.io_type != "io_parallel" or impl not in ("latency", "stable"):
        return None
    hls4ml_1 = call.config.get("exp_table_size") is not None
    if hls4ml_1 and not K.SOFTMAX_LUT_COUNT_HLS4ML_1:
        return None
    w = width_of(call.input)
    we = width_of(call.prec("exp_table_t"), DEFAULT_TABLE_WIDTH)
    wi = width_of(call.prec("inv_table_t"), DEFAULT_TABLE_WIDTH)
    table = int(call.num("exp_table_size", call.num("table_size", 1024)) or 1024)
    a = max(1, math.ceil(math.log2(table)))
    off = adder_lut_offset(ctx, "softmax")
    levels = math.ceil(math.log2(n)) if n > 1 else 0
    sum_type = call.prec("accum_t") if hls4ml_1 else call.prec("exp_table_t")
    acc = width_of(sum_type, we + levels if hls4ml_1 else we)
    luts = (n - 1) * (acc + off)  # the sum tree
    if sum_type is not None and sum_type.overflow is not Overflow.WRAP:  # each adder saturates: a select of its width
        luts += (n - 1) * acc * K.LUT_PER_SELECT_BIT
    if impl == "stable":
        luts += (n - 1) * compare_select_luts(w, w, ctx)  # the max tree
        luts += n * (w + (0 if hls4ml_1 else 1) + off)  # x_max - x
        if not hls4ml_1:  # the saturating cast to ap_fixed<W, I, AP_RND, AP_SAT>: its two a-bit selects
            luts += n * 2 * a * K.LUT_PER_SELECT_BIT
    if not products_on_dsp(call, ctx):
        luts += n * K.LUT_PER_MULT_BIT2 * we * wi
    luts += K.SOFTMAX_SRL_LUTS * shift_register_values(n, impl, ctx, delay_factor, table_registers)
    return luts
