"""The multiplexers of a Resource-strategy dense layer at RF > 1 (``nnet_dense_resource.h``), in LUTs.

Two kinds, both read off the per-module reports' utilisation details (Vivado HLS 2019.1-2020.1, see constants):

- operand multiplexers (the report's *Instance* rows ``<top>_mux_<inputs><select>_<bits>``): the input element each
  reused multiplier reads in a ReuseLoop iteration, ``data[in_index]``;
- the rewound loop's phi and control multiplexers (the report's *Multiplexer* table), which Vivado HLS prices by
  input count alone (:func:`mux_luts`).
"""

from __future__ import annotations

import math

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.kernels.common import Context, stream_words


def operand_mux_luts(n_in: int, n_out: int, rf: int, wd: int, shared_index: bool = True) -> float:
    """LUTs of the multiplexers selecting the ``wd``-bit input element of each reused multiplier.

    Multiplier ``im`` reads ``data[(ir + im * RF) mod n_in]`` in iteration ``ir``. Where RF is a multiple of n_in
    (RF = n_in, and the ``rf_gt_nin_rem0`` kernel) that index does not depend on the multiplier: one n_in:1
    multiplexer feeds them all (nicologhielmetti's RF = n_in and RF = 2 n_in layers, GuillaumeDerville's RF = n_in
    and rem0 layers, kendermag, Spehic: one ``mux`` instance each). Otherwise every multiplier of the block factor
    has its own, over the min(RF, n_in) elements it can read. A LUT6 selects among constants.MUX_INPUTS_PER_LUT
    data inputs. ``shared_index`` False (the convolution kernels, whose operand multiplexers no per-module report
    here breaks down): an RF:1 multiplexer per multiplier, the earlier form.
    """
    block = math.ceil(n_in * n_out / rf)
    if not shared_index:
        return block * wd * rf / K.MUX_INPUTS_PER_LUT
    if rf % n_in == 0:
        return wd * max(1.0, n_in / K.MUX_INPUTS_PER_LUT)
    return block * wd * min(rf, n_in) / K.MUX_INPUTS_PER_LUT


def mux_luts(inputs: int) -> int:
    """LUTs Vivado HLS charges for one ``inputs``:1 row of its Multiplexer table, whatever its width
    (constants.MUX_LUT_PER_INPUT / MUX_LUT_BASE)."""
    return K.MUX_LUT_PER_INPUT * inputs - K.MUX_LUT_BASE


def _mux_priced_by_inputs(ctx: Context) -> bool:
    """Whether the tool prices a Multiplexer row by its inputs: Vivado HLS >= 2018 (an unknown version counts)."""
    if ctx.vitis:
        return False
    try:
        return float(str(ctx.tool_version or "2020")[:4]) >= 2018
    except ValueError:
        return True


def rewind_mux_luts(call: LayerCall, n_in: int, n_out: int, rf: int, ctx: Context, reads_port: bool = False) -> int:
    """The Multiplexer-table LUTs of a Resource dense layer at RF > 1 under Vivado HLS >= 2018 (0 otherwise).

    Vivado HLS pipelines the ReuseLoop with ``rewind``: every value live across the restart gets a phi
    multiplexer. Per input element, its rewind / phi / phi-register multiplexers (constants.REWIND_MUX_PER_INPUT;
    a layer reading the top's reshaped port word has one such word instead of n_in elements); per output, its
    return and result-register 2:1 muxes, and with RF > n_in a 3:1 accumulator phi (the accumulator is re-entered
    every n_in iterations); the loop's control: the state machine and the weight index's phi and ``do_init`` (3:1
    each), two pipeline enables and the weight-index register (2:1 each), with RF > n_in also the input index (phi
    3:1 and register 2:1), and ``ap_done`` in io_parallel. In io_stream the dense wrapper adds a 2:1
    stream-blocking mux per input element of a word and per output element, its state machine (4:1), ``ap_done``
    and ``real_start``.
    """
    if rf <= 1 or not _mux_priced_by_inputs(ctx):
        return 0
    m2, m3 = mux_luts(2), mux_luts(3)
    lut = 2 * m2 * n_out + (1 if reads_port else n_in) * K.REWIND_MUX_PER_INPUT
    lut += 3 * m3 + 3 * m2
    if rf > n_in:
        lut += m3 * n_out + m3 + m2
    if call.io_type == "io_stream":
        words = stream_words(call, n_in)
        lut += m2 * ((n_in if words == 1 else max(call.pack, 1)) + n_out) + mux_luts(4) + 2 * m2
    else:
        lut += m2
    return lut


def port_read_mux_delta(call: LayerCall, ctx: Context) -> int:
    """LUT correction of a Resource dense layer that reads the top's reshaped input port (network.port_read_cycles):
    the port shifter replaces its operand multiplexers, and its rewind muxes hold one word, not n_in elements."""
    n_in, n_out = int(call.num("n_in", 0) or 0), int(call.num("n_out", 0) or 0)
    rf = int(call.num("reuse_factor", 1) or 1)
    if not n_in or not n_out or rf <= 1:
        return 0
    wd = call.input.width if call.input is not None else 16
    mux = rewind_mux_luts(call, n_in, n_out, rf, ctx, reads_port=True) - rewind_mux_luts(call, n_in, n_out, rf, ctx)
    return round(mux - operand_mux_luts(n_in, n_out, rf, wd))


def stream_wrapper_luts(call: LayerCall, element_logic: float, n: int) -> float:
    """An io_stream element-wise layer: one word's element logic (``pack`` elements of the io_parallel kernel), a
    2:1 stream-blocking multiplexer per element read and per element written, ``ap_done`` and ``real_start``;
    over several words, the loop's state machine (4:1) and two pipeline enables (relu reports' Multiplexer tables:
    kendermag 16 elements 306 LUT = 16 x 18 + 18)."""
    m2 = mux_luts(2)
    lut = element_logic + call.pack * 2 * m2 + 2 * m2
    if stream_words(call, n) > 1:
        lut += mux_luts(4) + 2 * m2
    return lut
