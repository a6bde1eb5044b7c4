"""``ap_fixed`` arithmetic on integer codes: a value is ``code * 2**-frac`` held in an int64 numpy array.

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


class EmulationError(ReferenceUnavailableError):
    """The emulator cannot reproduce this firmware exactly (a layer or type it does not know)."""


def frac(p: FixedPrecision) -> int:
    """Fractional bits of ``p``."""
    return p.width - p.integer


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


def cast(codes: np.ndarray, frac_from: int, to: FixedPrecision, *, bits_from: int | None = None) -> np.ndarray:
    """Codes with ``frac_from`` fractional bits (values needing ``bits_from`` bits, else measured) cast to ``to``."""
    c = np.asarray(codes, dtype=np.int64)
    shift = frac_from - frac(to)
    if shift > 0:
        q = _round_shift(c, shift, to.rounding)
    elif shift < 0:
        if bits_from is None:
            bits_from = int(np.abs(c).max(initial=0)).bit_length() + 1
        check_width(bits_from - shift, f"casting to {to.to_hls()}")
        q = c << (-shift)
    else:
        q = c
    return overflow(q, to)


def from_float(x: np.ndarray, to: FixedPrecision) -> np.ndarray:
    """Float64 values cast to ``to`` as ``ap_fixed``'s constructor from ``double`` does; returns codes."""
    x = np.asarray(x, dtype=np.float64)
    if np.isnan(x).any():
        raise EmulationError(f"NaN cannot be cast to {to.to_hls()} (the firmware's result is undefined)")
    check_width(to.width + 1, f"casting floats to {to.to_hls()}")
    f = frac(to)
    scaled = np.ldexp(x, f)
    r = to.rounding
    if r == Rounding.TRN:
        q = np.floor(scaled)
    elif r == Rounding.TRN_ZERO:
        q = np.trunc(scaled)
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
        elif r == Rounding.RND_CONV:
            up |= tie & (np.mod(fl, 2) == 1)
        q = fl + up
    lo, hi = code_range(to)
    if to.overflow == Overflow.WRAP:
        # reduce in float first (fmod is exact), so huge values do not overflow int64
        span = float(1 << to.width)
        base = float(-(1 << (to.width - 1)) if to.signed else 0)
        q = np.mod(q - base, span) + base
    else:
        q = np.clip(q, lo - 1, hi + 1)
    return overflow(q.astype(np.int64), to)


def to_float(codes: np.ndarray, p: FixedPrecision) -> np.ndarray:
    """Codes of ``p`` as float64 values (exact up to 53 bits)."""
    return np.ldexp(np.asarray(codes, dtype=np.float64), -frac(p))
