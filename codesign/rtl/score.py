"""The AnomalyScore layer on da4ml arrays, as :mod:`codesign.reference.score` (the spec) computes it, bit for bit.

The inputs are cast to ``input_precision`` (the log-variance to ``table_input``) by :func:`cast`, which builds every
``ap_fixed`` rounding and overflow mode from da4ml's truncating/saturating ``quantize``, sign and parity bits.
The rz/kl table is the twin's :func:`~codesign.reference.score.table_values`, indexed by the cast log-variance
(a da4ml lookup); squares and table products are da4ml's variable multipliers, cut by :func:`dsp_product` into
products that each fit one DSP48E2 slice (so :mod:`codesign.rtl.timing` can time each as one clock stage, where
da4ml would charge a 27 x 26-bit product 27 adder delays), sums are exact, and the terms are accumulated into
``accum_precision`` as the firmware's loop does (:func:`_accumulate`: a tree where that is provably the same), the
sum cast to ``result_precision``. :func:`check` refuses what da4ml cannot hold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.precision import FixedPrecision, Overflow, Rounding
from codesign.reference.score import table_values
from codesign.rtl import timing

TABLE_CODE_BITS = 31  # da4ml 0.6 stores a lookup table's entries as int32 codes
OUTPUT_BITS = 32  # the Verilator harness reads at most 32 bits per output


def _refuse(layer: Any, kind: str, why: str) -> SpecError:
    return SpecError(f"layer '{layer.name}' (AnomalyScore, kind '{kind}') is not supported by the RTL route (--rtl): "
                     f"{why}")  # fmt: skip


def check(layer: Any) -> None:
    """Refuse (SpecError naming the layer and kind) score settings that da4ml or the harness cannot hold."""
    spec = layer.score
    kind = spec.kind.value
    if kind in ("rz", "kl"):
        codes = np.abs(np.round(table_values(spec) * 2.0**spec.table_precision.fractional))
        if codes.size and float(np.max(codes)) >= 2.0**TABLE_CODE_BITS:
            raise _refuse(layer, kind, f"table_precision {spec.table_precision.to_hls()} gives table entries over "
                          f"{TABLE_CODE_BITS} bits; da4ml 0.6's lookup tables hold int32 codes (accepted: at most "
                          f"{TABLE_CODE_BITS} bits of table code)")  # fmt: skip
    if spec.result_precision.width > OUTPUT_BITS:
        raise _refuse(layer, kind, f"result_precision {spec.result_precision.to_hls()} is wider than the Verilator "
                      f"harness's {OUTPUT_BITS}-bit outputs (accepted: width <= {OUTPUT_BITS})")  # fmt: skip


def _const(v: Any, value: float) -> Any:
    return v.from_const(float(value), hwconf=v.hwconf)


def cast(v: Any, p: FixedPrecision) -> Any:
    """One da4ml variable cast to ``p`` exactly as ``ap_fixed`` (and :meth:`FixedPrecision.quantize`) would."""
    if v.low == v.high:  # a constant: exact in float64
        return _const(v, float(p.quantize(np.array([float(v.low)]))[0]))
    k, i, f = int(p.signed), p.integer - int(p.signed), p.fractional
    lsb, step = 2.0**-f, float(v.step)
    r = p.rounding
    w = v
    if step < lsb and r != Rounding.TRN:  # every mode is floor(v + c + bit * step) for a constant c and a 0/1 bit
        if r == Rounding.TRN_ZERO:  # negatives off the grid go up by one lsb
            w = v + v.is_negative() * (lsb - step)
        elif r == Rounding.RND:
            w = v + lsb / 2
        elif r == Rounding.RND_MIN_INF:
            w = v + (lsb / 2 - step)
        elif r == Rounding.RND_ZERO:  # ties: up when negative
            w = v + (lsb / 2 - step) + v.is_negative() * step
        elif r == Rounding.RND_INF:  # ties: up when positive
            w = v + (lsb / 2 - step) + (1 - v.is_negative()) * step
        else:  # RND_CONV: ties to even; b is the bit of weight lsb of floor(v)
            b = v.quantize(0, 1 - f, f, "WRAP", "TRN")
            w = v + (lsb / 2 - step) + b * (step / lsb)
    if p.overflow == Overflow.WRAP:
        return w.quantize(k, i, f, "WRAP", "TRN")
    if p.overflow == Overflow.SAT_ZERO:  # out of range -> 0: keep = (lo <= q <= hi)
        q = w.quantize(*w.kif[:2], f, "WRAP", "TRN") if w.kif[2] > f else w
        keep = ~((q < p.min_value) | (q > p.max_value))
        return q.quantize(k, i, f, "SAT", "TRN") * keep
    return w.quantize(k, i, f, "SAT_SYM" if p.overflow == Overflow.SAT_SYM else "SAT", "TRN")


def _cast_all(x: Any, p: FixedPrecision) -> list[Any]:
    return [cast(v, p) for v in x._vars.ravel()]


def dsp_product(x: Any, y: Any) -> Any:
    """``x * y`` exactly, as products whose operands each fit one DSP48E2 multiplier (27 x 18 bits signed).

    When the pair does not fit one slice and one operand fits the 27-bit port, the other is cut into 17-bit
    unsigned low pieces and a top piece (its upper bits, signed if it is) of at most 18 bits; the piece
    products are summed in a balanced tree. :mod:`codesign.rtl.timing` times each piece product as one slice.
    """
    bx, by = timing.dsp_bits(x.qint), timing.dsp_bits(y.qint)
    if timing.fits_one_dsp(x.qint, y.qint) or min(bx, by) > timing.DSP_A_BITS:
        return x * y
    if bx < by:
        x, y = y, x
    if timing.dsp_bits(y.qint) > timing.DSP_A_BITS:  # x fits the 27-bit port: the cut one is y
        x, y = y, x
    k, i, f = x.kif
    pieces, lo, rest = [], -f, x
    while timing.dsp_bits(rest.qint) > timing.DSP_B_BITS:
        cut = lo + timing.DSP_B_BITS - 1
        pieces.append(rest.quantize(0, cut, -lo, "WRAP", "TRN"))  # bits of weight 2**lo .. 2**(cut-1)
        rest = rest.quantize(k, i, -cut, "WRAP", "TRN")  # floor to the 2**cut grid: the bits above
        lo = cut
    return _tree_sum([y * p for p in [*pieces, rest]])


def _tree_sum(vs: list[Any]) -> Any:
    while len(vs) > 1:
        vs = [vs[j] + vs[j + 1] if j + 1 < len(vs) else vs[j] for j in range(0, len(vs), 2)]
    return vs[0]


def _accumulate(terms: list[Any], p: FixedPrecision) -> Any:
    """``acc = cast(acc + term)`` over ``terms`` in order, as the firmware's loop, the sum cast to ``p``.

    With non-negative terms, truncation and saturation (``p`` AP_TRN, AP_SAT) the loop equals one saturation of
    the sum of the truncated terms (acc stays on p's grid, so cast(acc + term) = sat(acc + floor(term)), and
    sat(sat(s) + u) = sat(s + u) for u >= 0): that sum is a balanced tree instead of a chain of saturations.
    """
    if p.rounding == Rounding.TRN and p.overflow == Overflow.SAT and all(float(v.low) >= 0 for v in terms):
        f = p.fractional
        floors = [v.quantize(0, max(v.kif[1], -f + 1), f, "WRAP", "TRN") if v.kif[2] > f else v for v in terms]
        return cast(_tree_sum(floors), p)
    acc = None
    for v in terms:
        acc = cast(v if acc is None else acc + v, p)
    return acc


def forward(layer: Any, xs: list[Any]) -> Any:
    """The score (a [1] da4ml array) of the two inputs ``xs``, as :func:`codesign.reference.score.score`."""
    from da4ml.trace import FixedVariableArray

    check(layer)
    spec, kind = layer.score, layer.score.kind.value
    if len(xs) != 2 or xs[0].size != xs[1].size:
        raise _refuse(layer, kind, f"inputs of sizes {[x.size for x in xs]} (the score takes two of one size)")
    a = _cast_all(xs[0], spec.input_precision)
    if kind == "sse":
        b = _cast_all(xs[1], spec.input_precision)
    elif kind in ("rz", "kl"):
        ti = spec.table_input
        n = 1 << (ti.width - 1)
        qint = (-n * ti.lsb, (n - 1) * ti.lsb, ti.lsb)  # offset binary: index 0 is the most negative code
        table = table_values(spec)
        b = [cast(v, ti) for v in xs[1]._vars.ravel()]
        t = [_const(v, table[round(float(v.low) / ti.lsb) + n]) if v.low == v.high else v.lookup(table, qint)
             for v in b]  # fmt: skip
    terms = []
    for j, aj in enumerate(a):
        if kind == "sse":
            d = aj - b[j]
            terms.append(dsp_product(d, d))
        elif kind == "mu2":
            terms.append(dsp_product(aj, aj))
        elif kind == "rz":
            terms.append(dsp_product(dsp_product(aj, aj), t[j]))
        else:  # kl: half * mu^2 + T, exact before the cast
            terms.append(dsp_product(aj, aj) * 0.5 + t[j])
    acc = _accumulate(terms, spec.accum_precision)
    out = cast(acc, spec.result_precision)
    arr = np.empty(1, dtype=object)
    arr[0] = out
    return FixedVariableArray(arr, xs[0].solver_options, hwconf=xs[0].hwconf)
