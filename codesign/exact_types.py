"""Fixed-point types that hold a layer's result exactly where hls4ml 1.3's type inference falls back to its default.

hls4ml infers exact accumulator types for fixed-point weights, but a power-of-two (``quantized_po2``) kernel is
an exponent type it cannot reason about, so its accumulator and result get the default precision
(``ap_fixed<16,6>``) and overflow or truncate. A product ``x * 2**e`` of a value on an ``ap_fixed<W,I>``
grid needs ``I + e_max`` integer and ``W - I - e_min`` fractional bits; ``n`` of them summed need
``ceil(log2 n)`` more integer bits, and the bias one more.
"""

from __future__ import annotations

import math

import numpy as np

from codesign.precision import FixedPrecision


def po2_exponents(kernel: np.ndarray) -> tuple[int, int]:
    """(smallest, largest) exponent of a kernel of powers of two (zeros are not stored by quantized_po2)."""
    k = np.abs(np.asarray(kernel, dtype=np.float64))
    k = k[k != 0]
    if k.size == 0:
        return 0, 0
    _, e = np.frexp(k)
    return int(np.min(e)) - 1, int(np.max(e)) - 1


def po2_accum(
    in_prec: FixedPrecision, emin: int, emax: int, n_ops: int, bias: FixedPrecision | None
) -> FixedPrecision:
    """The type of sum_i x_i * (+-2**e_i) (+ bias) for n_ops products with e in [emin, emax], exactly."""
    integer = in_prec.integer + (0 if in_prec.signed else 1) + emax + math.ceil(math.log2(max(n_ops, 1)))
    frac = in_prec.fractional - emin
    if bias is not None:
        integer = max(integer, bias.integer + (0 if bias.signed else 1)) + 1
        frac = max(frac, bias.fractional)
    return FixedPrecision(integer + frac, integer, True)
