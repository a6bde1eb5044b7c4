"""QKeras quantizers and Keras activations on da4ml arrays, as :func:`codesign.reference.apply_quantizer` defines them.

QKeras rounds half to even and saturates; da4ml's own ``quantize`` rounds half up, so the rounding is built
from da4ml's truncation, the half, sticky and parity bits (see :func:`round_half_even`), with the increment and
the saturation on the output's width rather than the (much wider) accumulator's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.reference.quantizers import quantizer_config
from codesign.rtl import constants

NAMES = ("", "linear", "relu", "quantized_relu", "quantized_bits")
ACTIVATIONS = ", ".join(NAMES[1:])


def _bit(v: Any, f: int) -> Any:
    """The bit of weight 2**-f of ``v`` (two's complement) as a 0/1 variable: a wire, no logic."""
    return v.quantize(0, 1 - f, f, "WRAP", "TRN") * 2.0**f


def _mux(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where the MSB of ``cond`` is set, else ``b`` (da4ml's msb_mux), never through its bit-slice shortcut.

    da4ml 0.6.0's ``msb_mux`` on a 'wrap' (bit-slice) variable reads the MSB of the variable it was sliced from;
    for a scaled variable (a power-of-two factor, as a layer output can carry) that picks the wrong bit
    (quantized_relu(6,3) of a (0, 4, 8) value scaled by 1/4 gave the maximum for inputs 4 to 8). Presenting
    the slice as another operation for the call makes da4ml multiplex on the slice itself.
    """
    if cond.opr != "wrap":
        return cond.msb_mux(a, b)
    cond.opr = "wrap (no msb_mux shortcut)"
    try:
        return cond.msb_mux(a, b)
    finally:
        cond.opr = "wrap"


def _round_up(v: Any, f: int, half: Any) -> Any:
    """0/1: whether QKeras' round half to even of ``v`` to the 2**-f grid goes up from floor(v).

    Up when ``half`` (the bit of weight 2**-(f+1), or 0 where the increment must not happen) is set and either a
    lower bit (the sticky OR) or the parity bit (of weight 2**-f) is: a few LUTs of bit logic, where adding
    constants to ``v`` costs carry chains over its full width.
    """
    odd = _bit(v, f)
    if float(v.step) < 2.0 ** -(f + 1):
        f_v = -int(np.log2(float(v.step)))
        sticky = v.quantize(0, -f - 1, f_v, "WRAP", "TRN").unary_bit_op("any")  # bits below the half bit
        odd = _mux(sticky, 1.0, odd)
    return _mux(half, odd, 0.0)


def _round_unsigned(v: Any, t: Any, i: int, f: int) -> Any:
    """Round half to even and saturate to (0, i, f): one multiplexer, then an increment on i+f bits.

    floor(v) negative or with a bit of weight >= 2**i set selects 0 or the maximum, with no increment; else its
    low i+f bits are incremented when rounding goes up, except where they are all ones (the maximum already).
    The selection comes first so that the increment is the last operation (one level of logic less).
    """
    hi = 2.0**i - 2.0**-f
    kt, it, _ = t.kif
    tl = t.quantize(0, i, f, "WRAP", "TRN")
    half = _bit(v, f + 1)
    if i + f > 0 and float(tl.high) >= hi:  # tl can be the maximum: all its i+f bits set
        half = _mux(tl.unary_bit_op("all"), 0.0, half)
    r = _round_up(v, f, half)
    if it > i:  # the sign or a bit of weight >= 2**i set: 0 or the maximum
        sel = t.quantize(0, it + kt, -i, "WRAP", "TRN").unary_bit_op("any")
        tl, r = _mux(sel, _mux(t, 0.0, hi) if kt else hi, tl), _mux(sel, 0.0, r)
    elif kt:  # only the sign: 0
        tl, r = _mux(t, 0.0, tl), _mux(t, 0.0, r)
    return (tl + r * 2.0**-f).quantize(0, i, f, "WRAP", "TRN")  # <= the maximum: the wrap drops a zero bit


def _add_saturate(t: Any, r: Any, k: int, i: int, f: int, overflow: str) -> Any:
    """clamp(t + r * lsb) to (k, i, f) for ``t`` on the lsb grid and ``r`` in {0, 1}.

    The increment runs on the output's own width (t's low k+i+f bits); whether t itself is out of range is read
    from its upper bits (any set: too high; for negatives, not all set: too low), so no adder spans t's width.
    """
    lsb = 2.0**-f
    kt, it, _ = t.kif
    if it <= i and kt <= k:  # t already fits: only the increment can overflow
        return (t + r * lsb).quantize(k, i, f, overflow, "TRN")
    ws = (t.quantize(k, i, f, "WRAP", "TRN") + r * lsb).quantize(k, i, f, overflow, "TRN")
    return _clamp_by_upper_bits(t, ws, k, i, f, overflow)


def _clamp_by_upper_bits(t: Any, ws: Any, k: int, i: int, f: int, overflow: str) -> Any:
    """``ws`` (t's value on (k, i, f), computed from its low bits) where ``t`` is in range, else the limit.

    Whether t is out of range is read from its upper bits (any set: too high; for negatives, not all set: too
    low), so no adder spans t's width.
    """
    kt, it, _ = t.kif
    hi = 2.0**i - 2.0**-f
    lo = -(2.0**i) * k if overflow == "SAT" else -hi * k
    pos, neg = ws, (ws if k else lo)
    if it > i:
        upper = t.quantize(0, it, -i, "WRAP", "TRN")  # the bits of weight 2**i .. 2**(it-1)
        pos = _mux(upper.unary_bit_op("any"), hi, ws)
        if k:
            neg = _mux(upper.unary_bit_op("all"), ws, lo)
    return _mux(t, neg, pos) if kt else pos


def _round_from_half_up(t_plus: Any, k: int, i: int, f: int, overflow: str) -> Any | None:
    """Round half to even and saturate ``v``, a constant addition (``x + c``), without an increment.

    The half is folded into the constant (da4ml merges ``(x + c) + 2**-(f+1)`` into one constant addition, so
    it costs nothing): t = floor(v + half) is v rounded half up. It differs from half to even only at a tie
    (v + half exactly on the output grid: its bits below 2**-f all zero) with t odd, which half to even rounds
    down to the even neighbour: t with its last bit cleared. Clearing it leaves t's sign and upper bits as they
    are, so the saturation reads them from t, beside the last-bit logic, and multiplexes the result. None where
    t or the tie test is a constant (da4ml folds those; :func:`round_half_even`'s general route is used instead).
    """
    f_t = -int(np.log2(float(t_plus.step)))
    kt, it, _ = t_plus.kif
    t = t_plus.quantize(kt, it, f, "WRAP", "TRN")  # floor(v + half): rounded half up
    below = t_plus.quantize(0, -f, f_t, "WRAP", "TRN").unary_bit_op("any")  # bits below 2**-f: not a tie if set
    if t.low == t.high or below.low == below.high:  # a constant floor or tie test: the general route handles it
        return None
    odd_tie = _mux(below, 0.0, _bit(t, f))
    ko = int(bool(k))
    low = _mux(odd_tie, t.quantize(ko, i, f - 1, "WRAP", "TRN"), t.quantize(ko, i, f, "WRAP", "TRN"))
    hi = 2.0**i - 2.0**-f
    if not k:  # unsigned output: 0 when t is negative, the maximum when a bit of weight >= 2**i is set
        if it > i:
            sel = t.quantize(0, it + kt, -i, "WRAP", "TRN").unary_bit_op("any")
            return _mux(sel, _mux(t, 0.0, hi) if kt else hi, low)
        return _mux(t, 0.0, low) if kt else low
    low = low.quantize(k, i, f, overflow, "TRN")  # in range; SAT_SYM maps -2**i to -hi
    return low if it <= i else _clamp_by_upper_bits(t, low, k, i, f, overflow)


def round_half_even(v: Any, k: int, i: int, f: int, overflow: str, placed: constants.Placements) -> Any:
    """One da4ml variable quantized to (k, i, f) with QKeras' rounding (half to even) and saturation; ``placed``:
    the graph's rebuilt adders, where the rounding half can join a bias's constant addition."""
    lsb = 2.0**-f

    def const(val: float) -> float:  # the quantizer on one value, exact in float64
        lo = -(2.0**i) * k if overflow == "SAT" else -(2.0**i - lsb) * k
        return min(max(float(np.round(val / lsb)) * lsb, lo), 2.0**i - lsb)

    q_low = const(float(v.low))
    if q_low == const(float(v.high)):  # a constant, or a range the (monotone) quantizer maps to one value, as a
        return v.from_const(q_low, hwconf=v.hwconf)  # channel that is always negative before a relu
    if float(v.step) >= lsb:  # already on the output grid: only saturation
        return v.quantize(k, i, f, overflow, "TRN")
    kv, iv, _ = v.kif
    if kv + iv + f <= 0:  # |v| < lsb: da4ml's quantize makes floor(v) a constant 0, so round by adding instead
        step = float(v.step)  # half to even == floor(v + lsb/2 - step + b * step), b the parity bit of floor(v)
        return (v + (lsb / 2 - step) + _bit(v, f) * step).quantize(k, i, f, overflow, "TRN")
    t_plus = constants.merge(v, 2.0 ** -(f + 1), placed)  # a layer's bias takes the half for free: no increment
    r = None if t_plus is None else _round_from_half_up(t_plus, k, i, f, overflow)
    if r is not None:
        return r
    t = v.quantize(kv, iv, f, "WRAP", "TRN")  # floor(v / lsb) * lsb: the bits below lsb dropped
    if not k:
        return _round_unsigned(v, t, i, f)
    return _add_saturate(t, _round_up(v, f, _bit(v, f + 1)), k, i, f, overflow)


def apply(q: Any, x: Any, where: str, placed: constants.Placements) -> Any:
    """Apply a QKeras quantizer or Keras activation name to a da4ml array; SpecError naming ``where`` otherwise.
    ``placed``: the adders of ``x``'s graph rebuilt around a bias (:mod:`codesign.rtl.constants`)."""
    from da4ml.trace import FixedVariableArray

    name, c = quantizer_config(q)
    if q is None or name in ("linear", ""):
        return x
    if name == "relu":
        return x.relu()
    if name == "quantized_bits":
        if c.get("alpha") not in (None, 1, 1.0) or c.get("use_stochastic_rounding"):
            raise SpecError(f"{where}: quantized_bits needs alpha=1 and no stochastic rounding for the RTL route")
        bits, integer = int(c["bits"]), int(c.get("integer", 0))
        k = int(bool(c.get("keep_negative", True)))
        f = bits - k - integer
        overflow = "SAT_SYM" if c.get("symmetric") and k else "SAT"
    elif name == "quantized_relu":
        if c.get("use_sigmoid") or c.get("negative_slope") or c.get("use_stochastic_rounding"):
            raise SpecError(f"{where}: quantized_relu with sigmoid/negative_slope/stochastic rounding is not supported")
        bits, integer = int(c["bits"]), int(c.get("integer", 0))
        k, f, overflow = 0, bits - integer, "SAT"
    else:
        raise SpecError(f"{where}: activation/quantizer '{name or q}' is not supported by the RTL route "
                        f"(accepted: {ACTIVATIONS})")  # fmt: skip
    flat = [round_half_even(v, k, integer, f, overflow, placed) for v in x._vars.ravel()]
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return FixedVariableArray(arr.reshape(x._vars.shape), x.solver_options, hwconf=x.hwconf)
