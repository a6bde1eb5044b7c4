"""The index logic of hls4ml's table activations (``nnet_activation.h``: sigmoid, tanh, softplus, softsign).

Each element computes ``data_round = data * table_size / R`` (R = 16: a table over [-8, 8); tanh R = 8: over
[-4, 4)), converts it to ``int`` (towards zero), adds ``table_size / 2`` and clamps the index to
[0, table_size - 1] before the ROM read. With an ``ap_fixed<W, I>`` input and ``table_size = 2^a`` the scaled value
has ``s = a - log2(R)`` more integer bits, so the rounded index is ``w = I + s + 1`` bits (with its carry). What the
per-module reports' Expression tables list per element (freaksie and kimhaneal11 sigmoid at 16-32 bits, the
toptagging GRU's sigmoid and its cell's sigmoid / tanh, all the same rows):

- the conversion towards zero, where fraction bits survive the scaling (F = W - I > s): a test of the input's
  fraction bits (an ``icmp`` over F bits), a test of the scaled value's (over W + a bits), a +1 adder of w bits and
  two w-bit selects;
- the offset, an adder of w bits;
- the clamp, where the index can leave the table (I + s > a): a compare of the bits above the table (w - a - 1), a
  (w - 1)-bit adder and a (w - 1)-bit select for the two bounds, and the a-bit select of the index; where it cannot
  (the 18,4 sigmoid: [-8, 8) is the table's range) the index select stays with a w-bit ``xor``.

Priced as the estimator prices those operations elsewhere: an adder at its width plus the release's offset
(:func:`adder_lut_offset`), a select at LUT_PER_SELECT_BIT per bit, a compare by :func:`compare_luts`. The ROM is a
BRAM per two elements (the activation's caller counts it); ELU / SELU (their own kernel: the negative branch only,
times alpha) and the rest keep constants.LUT_PER_TABLE_LOOKUP.
"""

from __future__ import annotations

import math

from codesign.estimate import constants as K
from codesign.estimate.kernels.common import Context, adder_lut_offset, compare_luts
from codesign.precision import FixedPrecision

#: log2 of the divisor R in ``data * table_size / R`` per kernel (nnet_activation.h)
RANGE_SHIFT = {"sigmoid": 4, "softplus": 4, "softsign": 4, "tanh": 3}


def index_luts(function: str, inp: FixedPrecision | None, table_size: int, ctx: Context) -> float | None:
    """LUTs of one element's index arithmetic, or None where the structure does not apply: a kernel outside
    RANGE_SHIFT, an unknown input type, a table size that is not a power of two, or the rule switched off
    (constants.TABLE_INDEX_LOGIC)."""
    shift = RANGE_SHIFT.get(function)
    if not K.TABLE_INDEX_LOGIC or shift is None or inp is None or table_size < 2:
        return None
    if table_size & (table_size - 1):
        return None
    a = int(math.log2(table_size))
    s = a - shift
    w_int, frac = inp.integer, inp.width - inp.integer
    w = max(2, w_int + s + 1)
    offset = adder_lut_offset(ctx, "table")
    sel = K.LUT_PER_SELECT_BIT
    luts = w + offset  # index = data_round + table_size / 2
    if frac > s:  # int() towards zero: fraction tests, +1, two selects
        luts += compare_luts(frac, ctx) + compare_luts(inp.width + a, ctx) + (w + offset) + 2 * w * sel
    if w_int + s > a:  # the clamp to [0, table_size - 1]
        luts += compare_luts(max(1, w - a - 1), ctx) + (w - 1 + offset) + (w - 1) * sel + a * sel
    else:
        luts += a * sel + w
    return luts
