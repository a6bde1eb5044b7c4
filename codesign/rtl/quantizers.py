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

NAMES = ("", "linear", "relu", "quantized_relu", "quantized_bits")
ACTIVATIONS = ", ".join(NAMES[1:])


def _bit(v: Any, f: int) -> Any:
    """The bit of weight 2**-f of ``v`` (two's complement) as a 0/1 variable: a wire, no logic."""
    return v.quantize(0, 1 - f, f, "WRAP", "TRN") * 2.0**f


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
        odd = sticky.msb_mux(1.0, odd)
    return half.msb_mux(odd, 0.0)


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
        half = tl.unary_bit_op("all").msb_mux(0.0, half)
    r = _round_up(v, f, half)
    if it > i:  # the sign or a bit of weight >= 2**i set: 0 or the maximum
        sel = t.quantize(0, it + kt, -i, "WRAP", "TRN").unary_bit_op("any")
        tl, r = sel.msb_mux(t.msb_mux(0.0, hi) if kt else hi, tl), sel.msb_mux(0.0, r)
    elif kt:  # only the sign: 0
        tl, r = t.msb_mux(0.0, tl), t.msb_mux(0.0, r)
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
    hi = 2.0**i - lsb
    lo = -(2.0**i) * k if overflow == "SAT" else -hi * k
    ws = (t.quantize(k, i, f, "WRAP", "TRN") + r * lsb).quantize(k, i, f, overflow, "TRN")
    pos, neg = ws, (ws if k else lo)
    if it > i:
        upper = t.quantize(0, it, -i, "WRAP", "TRN")  # the bits of weight 2**i .. 2**(it-1)
        pos = upper.unary_bit_op("any").msb_mux(hi, ws)
        if k:
            neg = upper.unary_bit_op("all").msb_mux(ws, lo)
    return t.msb_mux(neg, pos) if kt else pos


def round_half_even(v: Any, k: int, i: int, f: int, overflow: str) -> Any:
    """One da4ml variable quantized to (k, i, f) with QKeras' rounding (half to even) and saturation."""
    lsb = 2.0**-f
    if v.low == v.high:  # a constant: exact in float64
        val = float(v.low)
        q = float(np.round(val / lsb)) * lsb
        lo = -(2.0**i) * k if overflow == "SAT" else -(2.0**i - lsb) * k
        return v.from_const(min(max(q, lo), 2.0**i - lsb), hwconf=v.hwconf)
    if float(v.step) >= lsb:  # already on the output grid: only saturation
        return v.quantize(k, i, f, overflow, "TRN")
    kv, iv, _ = v.kif
    t = v.quantize(kv, iv, f, "WRAP", "TRN")  # floor(v / lsb) * lsb: the bits below lsb dropped
    if not k:
        return _round_unsigned(v, t, i, f)
    return _add_saturate(t, _round_up(v, f, _bit(v, f + 1)), k, i, f, overflow)


def apply(q: Any, x: Any, where: str) -> Any:
    """Apply a QKeras quantizer or Keras activation name to a da4ml array; SpecError naming ``where`` otherwise."""
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
    flat = [round_half_even(v, k, integer, f, overflow) for v in x._vars.ravel()]
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return FixedVariableArray(arr.reshape(x._vars.shape), x.solver_options, hwconf=x.hwconf)
