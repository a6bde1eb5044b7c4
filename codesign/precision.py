"""Fixed-point precision as a value object: one parser, one printer, one QKeras mapping.

Conventions (the ones Vivado/Vitis HLS use for ``ap_fixed<W, I, Q, O, N>``):

- ``width`` W is the total number of bits, ``integer`` I the number of integer bits *including* the sign
  bit for signed types; the value grid is ``2**-(W-I)``.
- QKeras ``quantized_bits(bits, integer, keep_negative=True)`` counts integer bits *without* the sign
  bit, so it maps to ``ap_fixed<bits, integer + 1>``; ``quantized_relu(bits, integer)`` is unsigned and
  maps to ``ap_ufixed<bits, integer>``. This module is the only place that knows it.

After parsing, a precision is never handled as a string again: code passes :class:`FixedPrecision` around
and calls :meth:`FixedPrecision.to_hls` only when it writes C++ or an hls4ml config.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

import numpy as np

from codesign.errors import SpecError


class Rounding(str, Enum):
    """Quantization (rounding) modes of ``ap_fixed``."""

    TRN = "AP_TRN"
    TRN_ZERO = "AP_TRN_ZERO"
    RND = "AP_RND"
    RND_ZERO = "AP_RND_ZERO"
    RND_INF = "AP_RND_INF"
    RND_MIN_INF = "AP_RND_MIN_INF"
    RND_CONV = "AP_RND_CONV"


class Overflow(str, Enum):
    """Overflow (saturation) modes of ``ap_fixed``."""

    WRAP = "AP_WRAP"
    SAT = "AP_SAT"
    SAT_ZERO = "AP_SAT_ZERO"
    SAT_SYM = "AP_SAT_SYM"


_TYPE_RE = re.compile(r"^\s*(?:ap_)?(?P<kind>fixed|ufixed|int|uint)\s*<\s*(?P<args>[^<>]*)>\s*$", re.IGNORECASE)

# Algorithmic C spellings, which hls4ml 1.3 reads for every backend (its tests write them for Vivado too):
# ac_fixed<W,I[,S[,Q[,O]]]> (S signed: true/false/1/0, default true), ac_int<W[,S]>
_AC_RE = re.compile(r"^\s*ac_(?P<kind>fixed|int)\s*<\s*(?P<args>[^<>]*)>\s*$", re.IGNORECASE)
_AC_SIGN = {"true": True, "1": True, "false": False, "0": False}

ACCEPTED = (
    "ap_fixed<W,I>, ap_ufixed<W,I>, ap_fixed<W,I,ROUNDING,OVERFLOW>, ap_int<W>, ap_uint<W> "
    "(also without the 'ap_' prefix, as hls4ml writes them; modes like AP_RND_CONV or RND_CONV, AP_SAT or SAT), "
    "ac_fixed<W,I,SIGNED,ROUNDING,OVERFLOW>, ac_int<W,SIGNED>"
)


def _mode(enum: type[Enum], text: str, full: str):
    key = text.strip().upper()
    if key.startswith("AC_"):  # ac_fixed's modes are ap_fixed's: AC_RND_CONV = AP_RND_CONV
        key = "AP_" + key[3:]
    if not key.startswith("AP_"):
        key = "AP_" + key
    for member in enum:
        if member.value == key:
            return member
    names = ", ".join(m.value for m in enum)
    raise SpecError(f"precision '{full}': unknown mode '{text.strip()}' (accepted: {names})")


@dataclass(frozen=True)
class FixedPrecision:
    """An ``ap_fixed``/``ap_ufixed`` (or ``ap_int``) type: width, integer bits, sign, rounding, overflow."""

    width: int
    integer: int
    signed: bool = True
    rounding: Rounding = Rounding.TRN
    overflow: Overflow = Overflow.WRAP
    saturation_bits: int = 0

    def __post_init__(self) -> None:
        if self.width < 1:
            raise SpecError(f"precision width must be >= 1, got {self.width}")

    # ------------------------------------------------------------------ parsing and printing
    @classmethod
    def parse(cls, text: str) -> FixedPrecision:
        """Parse ``ap_fixed<16,6>``, ``fixed<8,1,RND_CONV,SAT>``, ``ap_uint<4>`` and friends."""
        if isinstance(text, FixedPrecision):
            return text
        if _AC_RE.match(str(text)):
            return cls._parse_ac(str(text))
        m = _TYPE_RE.match(str(text))
        if not m:
            raise SpecError(f"cannot parse precision '{text}' (accepted: {ACCEPTED})")
        kind = m.group("kind").lower()
        args = [a.strip() for a in m.group("args").split(",") if a.strip()]
        try:
            width = int(args[0])
        except (IndexError, ValueError):
            raise SpecError(f"precision '{text}': width must be an integer (accepted: {ACCEPTED})") from None
        signed = kind in ("fixed", "int")
        if kind in ("int", "uint"):
            if len(args) != 1:
                raise SpecError(f"precision '{text}': ap_int takes one argument (accepted: {ACCEPTED})")
            return cls(width, width, signed)
        if len(args) < 2:
            raise SpecError(f"precision '{text}': missing integer bits (accepted: {ACCEPTED})")
        try:
            integer = int(args[1])
        except ValueError:
            raise SpecError(f"precision '{text}': integer bits must be an integer (accepted: {ACCEPTED})") from None
        rounding = _mode(Rounding, args[2], text) if len(args) > 2 else Rounding.TRN
        overflow = _mode(Overflow, args[3], text) if len(args) > 3 else Overflow.WRAP
        sat_bits = int(args[4]) if len(args) > 4 else 0
        return cls(width, integer, signed, rounding, overflow, sat_bits)

    @classmethod
    def _parse_ac(cls, text: str) -> FixedPrecision:
        """``ac_fixed<W,I,S,Q,O>`` / ``ac_int<W,S>`` as hls4ml 1.3 reads them (signed unless S is false or 0)."""
        m = _AC_RE.match(text)
        kind = m.group("kind").lower()
        args = [a.strip() for a in m.group("args").split(",") if a.strip()]
        n_int = 1 if kind == "int" else 2
        if len(args) < n_int or len(args) > (2 if kind == "int" else 5):
            raise SpecError(f"precision '{text}': ac_{kind} takes {'W[,S]' if kind == 'int' else 'W,I[,S[,Q[,O]]]'} "
                            f"(accepted: {ACCEPTED})")  # fmt: skip
        try:
            width, integer = int(args[0]), int(args[n_int - 1])
        except ValueError:
            raise SpecError(
                f"precision '{text}': width and integer bits must be integers (accepted: {ACCEPTED})"
            ) from None
        sign = args[n_int].lower() if len(args) > n_int else "true"
        if sign not in _AC_SIGN:
            raise SpecError(f"precision '{text}': signedness '{args[n_int]}' (accepted: true, false, 1, 0)")
        rounding = _mode(Rounding, args[3], text) if len(args) > 3 else Rounding.TRN
        overflow = _mode(Overflow, args[4], text) if len(args) > 4 else Overflow.WRAP
        return cls(width, integer, _AC_SIGN[sign], rounding, overflow)

    def to_hls(self) -> str:
        """Print as the C++ type name, e.g. ``ap_fixed<16,6,AP_RND_CONV,AP_SAT>``."""
        base = "ap_fixed" if self.signed else "ap_ufixed"
        args = [str(self.width), str(self.integer)]
        if self.rounding != Rounding.TRN or self.overflow != Overflow.WRAP or self.saturation_bits:
            args += [self.rounding.value, self.overflow.value]
            if self.saturation_bits:
                args.append(str(self.saturation_bits))
        return f"{base}<{','.join(args)}>"

    def __str__(self) -> str:
        return self.to_hls()

    # ------------------------------------------------------------------ grid
    @property
    def fractional(self) -> int:
        """Number of fractional bits (may be negative)."""
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        """Value of the least significant bit."""
        return float(2.0 ** (-self.fractional))

    @property
    def min_value(self) -> float:
        """Smallest representable value."""
        if not self.signed:
            return 0.0
        if self.overflow == Overflow.SAT_SYM:
            return -(2.0 ** (self.integer - 1)) + self.lsb
        return -(2.0 ** (self.integer - 1))

    @property
    def max_value(self) -> float:
        """Largest representable value."""
        top = self.integer - 1 if self.signed else self.integer
        return 2.0**top - self.lsb

    def grid_edges(self) -> np.ndarray:
        """Representative values on the grid including both range edges, zero and +-1 lsb."""
        vals = {self.min_value, self.max_value, 0.0, self.lsb, self.min_value + self.lsb, self.max_value - self.lsb}
        if self.signed:
            vals.add(-self.lsb)
        return np.array(sorted(v for v in vals if self.min_value <= v <= self.max_value), dtype=np.float64)

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Cast values to this type exactly as ``ap_fixed`` would (float64 in, float64 out)."""
        if self.width > 52:
            raise SpecError(f"{self.to_hls()}: widths above 52 bits cannot be emulated exactly in float64")
        x = np.asarray(x, dtype=np.float64)
        scaled = x * 2.0**self.fractional
        r = self.rounding
        if r == Rounding.TRN:
            q = np.floor(scaled)
        elif r == Rounding.TRN_ZERO:
            q = np.trunc(scaled)
        elif r == Rounding.RND:
            q = np.floor(scaled + 0.5)
        elif r == Rounding.RND_ZERO:
            q = np.where(scaled >= 0, np.ceil(scaled - 0.5), np.floor(scaled + 0.5))
        elif r == Rounding.RND_INF:
            q = np.where(scaled >= 0, np.floor(scaled + 0.5), np.ceil(scaled - 0.5))
        elif r == Rounding.RND_MIN_INF:
            q = np.ceil(scaled - 0.5)
        else:  # RND_CONV: round half to even
            q = np.round(scaled)
        lo = round(self.min_value * 2.0**self.fractional)
        hi = round(self.max_value * 2.0**self.fractional)
        if self.overflow == Overflow.WRAP:
            span = 2**self.width
            base = -(2 ** (self.width - 1)) if self.signed else 0
            q = np.mod(q - base, span) + base
        elif self.overflow == Overflow.SAT_ZERO:
            q = np.where((q < lo) | (q > hi), 0.0, q)
        else:
            q = np.clip(q, lo, hi)
        return q * 2.0 ** (-self.fractional)

    def cast_codes(self, codes: np.ndarray, frac: int) -> np.ndarray:
        """Cast integer codes at scale 2**-frac to this type exactly as ``ap_fixed`` would; int64 codes at
        2**-self.fractional out (the caller keeps every code within 62 bits)."""
        c = np.asarray(codes, dtype=np.int64)
        shift = int(frac) - self.fractional
        if shift <= 0:
            q = c << (-shift)
        else:
            fl = c >> shift  # arithmetic shift: floor
            rem = c - (fl << shift)  # in [0, 2**shift)
            half = np.int64(1) << (shift - 1)
            up, tie = rem > half, rem == half
            r = self.rounding
            if r == Rounding.TRN:
                q = fl
            elif r == Rounding.TRN_ZERO:
                q = fl + ((c < 0) & (rem != 0))
            elif r == Rounding.RND:
                q = fl + (up | tie)
            elif r == Rounding.RND_ZERO:
                q = fl + (up | (tie & (c < 0)))
            elif r == Rounding.RND_INF:
                q = fl + (up | (tie & (c >= 0)))
            elif r == Rounding.RND_MIN_INF:
                q = fl + up
            else:  # RND_CONV: ties to even
                q = fl + (up | (tie & ((fl & 1) == 1)))
            q = q.astype(np.int64)
        lo = round(self.min_value * 2.0**self.fractional)
        hi = round(self.max_value * 2.0**self.fractional)
        if self.overflow == Overflow.WRAP:
            span = np.int64(1) << self.width
            base = -(1 << (self.width - 1)) if self.signed else 0
            return np.mod(q - base, span) + base
        if self.overflow == Overflow.SAT_ZERO:
            return np.where((q < lo) | (q > hi), 0, q).astype(np.int64)
        return np.clip(q, lo, hi).astype(np.int64)

    def on_grid(self, x: np.ndarray) -> bool:
        """True when every value is exactly representable."""
        x = np.asarray(x, dtype=np.float64)
        return bool(np.array_equal(self.quantize(x), x))

    # ------------------------------------------------------------------ QKeras mapping
    @classmethod
    def from_qkeras(cls, quantizer: dict | object) -> FixedPrecision:
        """Map a QKeras ``quantized_bits``/``quantized_relu`` (object or its config dict) to ``ap_fixed``.

        QKeras rounds half to even (``tf.round``) and saturates, so the mapped type uses
        ``AP_RND_CONV``/``AP_SAT`` (``AP_SAT_SYM`` for ``symmetric=True``); ``quantized_bits`` excludes the sign bit
        from ``integer``.
        """
        if isinstance(quantizer, dict):
            cfg = quantizer.get("config", quantizer)
            name = quantizer.get("class_name", cfg.get("class_name", ""))
        else:
            cfg = quantizer.get_config()
            name = type(quantizer).__name__
        bits, integer = int(cfg["bits"]), int(cfg.get("integer", 0))
        if name == "quantized_relu":
            return cls(bits, integer, False, Rounding.RND_CONV, Overflow.SAT)
        if name == "quantized_bits":
            keep_negative = bool(cfg.get("keep_negative", True))
            if keep_negative:
                # symmetric=True clips at -max, never -2**integer: AP_SAT_SYM
                sat = Overflow.SAT_SYM if cfg.get("symmetric") else Overflow.SAT
                return cls(bits, integer + 1, True, Rounding.RND_CONV, sat)
            return cls(bits, integer, False, Rounding.RND_CONV, Overflow.SAT)
        raise SpecError(
            f"QKeras quantizer '{name}' has no ap_fixed mapping here (accepted: quantized_bits, quantized_relu)"
        )

    def qkeras_args(self) -> tuple[int, int]:
        """The ``(bits, integer)`` pair QKeras takes for this signed/unsigned fixed type."""
        return (self.width, self.integer - 1) if self.signed else (self.width, self.integer)


def parse_field(value: object, example: str = "ap_fixed<16,6>") -> FixedPrecision:
    """A config field's precision (a :class:`FixedPrecision` or its text), ``ValueError`` for pydantic otherwise.

    The callers add their own bounds (the spec: I <= W; the score twin: W <= 52).
    """
    if isinstance(value, FixedPrecision):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a type name such as {example}")
    try:
        return FixedPrecision.parse(value)
    except SpecError as exc:
        raise ValueError(str(exc)) from None


def is_power_of_two(value: float) -> bool:
    """True for +-2**k (any integer k): a product with it is a shift, not a multiplication; False for 0, inf, nan."""
    v = abs(float(value))
    return math.isfinite(v) and v != 0 and math.frexp(v)[0] == 0.5


def halving_shift(value: float) -> int | None:
    """k when ``value`` is ``2**-k`` with k >= 1 (a leaky relu slope ``x * value`` is then exact), else None."""
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        return None
    mantissa, exp = math.frexp(v)
    return 1 - exp if mantissa == 0.5 and exp <= 0 else None
