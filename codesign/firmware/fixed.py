"""``ap_fixed`` arithmetic on integer codes: a value is ``code * 2**-frac``, the code an exact integer.

Codes of types up to 52 bits are held in float64 arrays (every integer below 2**53 is exact there, and
floor/rint/clip are single vectorised passes); wider types in int64 (:func:`native`).

The casts follow Xilinx's ``ap_fixed_base`` conversion: quantize to the target grid with the target's
rounding mode, then apply its overflow mode to the rounded value. Every function checks that its
intermediate values fit in int64 and raises :class:`EmulationError` otherwise, so a result is exact or
refused, never silently wrong.
"""

from __future__ import annotations

import numpy as np

from codesign.errors import ReferenceUnavailableError
from codesign.precision import FixedPrecision, Overflow, Rounding

INT64_BITS = 62  # headroom kept below int64's 63 magnitude bits for one addition
FLOAT_BITS = 52  # codes of up to 52 bits (sign included) are exact in float64, with room for +-0.5


class EmulationError(ReferenceUnavailableError):
    """The emulator cannot reproduce this firmware exactly (a layer or type it does not know)."""


def frac(p: FixedPrecision) -> int:
    """Fractional bits of ``p``."""
    return p.width - p.integer


def sbits(p: FixedPrecision) -> int:
    """Bits a two's-complement integer needs to hold every code of ``p`` (an unsigned type needs one more)."""
    return p.width + (0 if p.signed else 1)


def code_range(p: FixedPrecision) -> tuple[int, int]:
    """Smallest and largest integer code of ``p`` (after its overflow mode)."""
    if p.signed:
        lo, hi = -(1 << (p.width - 1)), (1 << (p.width - 1)) - 1
        if p.overflow == Overflow.SAT_SYM:
            lo = -hi
        return lo, hi
    return 0, (1 << p.width) - 1


def check_width(bits: int, what: str) -> None:
    """Refuse a computation whose values need more than int64 holds."""
    if bits > INT64_BITS:
        raise EmulationError(f"{what} needs {bits} bits, more than the emulator's int64 holds ({INT64_BITS})")


def _round_shift(c: np.ndarray, shift: int, mode: Rounding) -> np.ndarray:
    """``c * 2**-shift`` rounded to an integer with ``mode`` (shift > 0)."""
    q = c >> shift  # floor
    if mode == Rounding.TRN:
        return q
    r = c - (q << shift)  # 0 <= r < 2**shift
    neg = c < 0
    if mode == Rounding.TRN_ZERO:
        return q + (neg & (r != 0))
    half = 1 << (shift - 1)
    up = r > half
    tie = r == half
    if mode == Rounding.RND:
        up |= tie
    elif mode == Rounding.RND_ZERO:
        up |= tie & neg
    elif mode == Rounding.RND_INF:
        up |= tie & ~neg
    elif mode == Rounding.RND_CONV:
        up |= tie & ((q & 1) == 1)
    # RND_MIN_INF: ties go down
    return q + up


def overflow(q: np.ndarray, p: FixedPrecision) -> np.ndarray:
    """Apply ``p``'s overflow mode to integer codes already on its grid."""
    if p.saturation_bits and p.overflow in (Overflow.WRAP, Overflow.SAT_ZERO):
        raise EmulationError(f"{p.to_hls()}: overflow with saturation bits N > 0 is not emulated")
    if q.dtype.kind == "f":
        return _overflow_float(q, p)
    lo, hi = code_range(p)
    if p.overflow == Overflow.WRAP:
        span = 1 << p.width
        base = -(1 << (p.width - 1)) if p.signed else 0
        if q.size and q.min() >= base and q.max() <= base + span - 1:
            return q
        return ((q - base) & (span - 1)) + base
    if p.overflow == Overflow.SAT_ZERO:
        return np.where((q < lo) | (q > hi), 0, q)
    return np.clip(q, lo, hi)


def native(p: FixedPrecision) -> type:
    """The array dtype that holds ``p``'s codes: float64 up to 52 bits, int64 above."""
    return np.float64 if p.width <= FLOAT_BITS else np.int64


def _round_shift_float(c: np.ndarray, shift: int, mode: Rounding) -> np.ndarray:
    """Float64 integer codes times ``2**-shift`` rounded with ``mode`` (exact: |c| < 2**52)."""
    s = c * (2.0**-shift)
    if mode == Rounding.TRN:
        return np.floor(s, out=s)
    if mode == Rounding.TRN_ZERO:
        return np.trunc(s, out=s)
    if mode == Rounding.RND_CONV:
        return np.rint(s, out=s)
    if mode == Rounding.RND:
        return np.floor(s + 0.5)
    if mode == Rounding.RND_MIN_INF:
        return np.ceil(s - 0.5)
    if mode == Rounding.RND_ZERO:
        return np.where(s >= 0, np.ceil(s - 0.5), np.floor(s + 0.5))
    return np.where(s >= 0, np.floor(s + 0.5), np.ceil(s - 0.5))  # RND_INF


def _wrap_float(q: np.ndarray, p: FixedPrecision) -> np.ndarray:
    """Integer-valued floats wrapped into ``p``'s range; exact for any magnitude (fmod is exact)."""
    span = float(1 << p.width)
    base = -float(1 << (p.width - 1)) if p.signed else 0.0
    return np.mod(np.mod(q, span) - base, span) + base


def _overflow_float(q: np.ndarray, p: FixedPrecision, owned: bool = False) -> np.ndarray:
    lo, hi = code_range(p)
    if p.overflow == Overflow.WRAP:
        base = -float(1 << (p.width - 1)) if p.signed else 0.0
        if q.size == 0 or (q.min() >= base and q.max() <= base + (1 << p.width) - 1):
            return q
        return _wrap_float(q, p)
    if p.overflow == Overflow.SAT_ZERO:
        return np.where((q < lo) | (q > hi), 0.0, q)
    return np.clip(q, lo, hi, out=q if owned else None)


def _fits(bits_from: int, shift: int, to: FixedPrecision, source_unsigned: bool) -> bool:
    """True when every code of ``bits_from`` bits (sign included), scaled by ``2**-shift`` (shift <= 0),
    already lies in ``to``'s range, so the overflow mode has nothing to do."""
    if shift > 0:
        return False
    if to.signed:
        return bits_from - shift <= to.width and to.overflow != Overflow.SAT_SYM
    return source_unsigned and bits_from - 1 - shift <= to.width


def cast(
    codes: np.ndarray,
    frac_from: int,
    to: FixedPrecision,
    *,
    bits_from: int | None = None,
    source_unsigned: bool = False,
) -> np.ndarray:
    """Codes with ``frac_from`` fractional bits cast to ``to``.

    ``bits_from`` bounds the codes as two's-complement integers (:func:`sbits` of their type; measured
    when not given).

    Float64 codes stay in float64 while every value is below 2**52; otherwise the cast runs in int64.
    The result has ``to``'s :func:`native` dtype.
    """
    c = np.asarray(codes)
    shift = frac_from - frac(to)
    if bits_from is None:
        bits_from = int(np.abs(c).max(initial=0)).bit_length() + 1
    if c.dtype.kind == "f" and to.width <= FLOAT_BITS and bits_from - min(shift, 0) <= FLOAT_BITS:
        if shift > 0:
            q = _round_shift_float(c, shift, to.rounding)
        elif shift < 0:
            q = c * float(1 << -shift)
        else:
            q = c
        if _fits(bits_from, shift, to, source_unsigned):
            return q
        if to.overflow in (Overflow.SAT, Overflow.SAT_SYM) and not to.saturation_bits:
            return _overflow_float(q, to, owned=q is not c)
        return overflow(q, to)
    c = c.astype(np.int64)
    if shift > 0:
        q = _round_shift(c, shift, to.rounding)
    elif shift < 0:
        check_width(bits_from - shift, f"casting to {to.to_hls()}")
        q = c << (-shift)
    else:
        q = c
    return overflow(q, to).astype(native(to))


def from_float(x: np.ndarray, to: FixedPrecision) -> np.ndarray:
    """Float64 values cast to ``to`` as ``ap_fixed``'s constructor from ``double`` does; returns codes."""
    x = np.asarray(x, dtype=np.float64)
    if not np.isfinite(x).all():
        raise EmulationError(f"NaN or infinity cannot be cast to {to.to_hls()} (the firmware's result is undefined)")
    check_width(to.width + 1, f"casting floats to {to.to_hls()}")
    f = frac(to)
    scaled = x * (2.0**f)  # exact scaling by a power of two
    huge = 2.0 ** (to.width + 53)  # beyond it a double's code is a multiple of 2**width
    if scaled.size and (scaled.max() >= huge or scaled.min() <= -huge):
        if to.overflow == Overflow.WRAP:  # the low `width` bits of such a code are zero
            scaled = np.where(np.abs(scaled) >= huge, 0.0, scaled)
        else:
            scaled = np.clip(scaled, -huge, huge)
    r = to.rounding
    if r == Rounding.TRN:
        q = np.floor(scaled)
    elif r == Rounding.TRN_ZERO:
        q = np.trunc(scaled)
    elif r == Rounding.RND_CONV:
        q = np.rint(scaled)
    else:
        fl = np.floor(scaled)
        rem = scaled - fl  # exact for |scaled| < 2**52
        up = rem > 0.5
        tie = rem == 0.5
        neg = scaled < 0
        if r == Rounding.RND:
            up |= tie
        elif r == Rounding.RND_ZERO:
            up |= tie & neg
        elif r == Rounding.RND_INF:
            up |= tie & ~neg
        q = fl + up
    lo, hi = code_range(to)
    if to.overflow != Overflow.WRAP:
        q = np.clip(q, lo - 1, hi + 1)
    elif to.width > FLOAT_BITS:
        q = _wrap_float(q, to)  # before int64: huge doubles would not fit
    return overflow(q, to) if to.width <= FLOAT_BITS else overflow(q.astype(np.int64), to)


def to_float(codes: np.ndarray, p: FixedPrecision) -> np.ndarray:
    """Codes of ``p`` as float64 values (exact up to 53 bits)."""
    return np.asarray(codes, dtype=np.float64) * (2.0 ** -frac(p))
