"""The emulator's dense arithmetic (hls4ml 1.3 ``nnet_dense_latency.h``), shared by Dense and Conv1D layers.

Each product ``data * weight`` is exact and cast to ``accum_t``; the accumulator starts at the bias cast to
``accum_t`` and adds the products in input order, each sum cast to ``accum_t`` (so a saturating accumulator
saturates step by step); the result is cast to ``result_t``. Sums whose bound fits a float64 mantissa go
through BLAS in float64 (exact integers); otherwise int64, product by product where overflow can occur.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from codesign.firmware.description import LayerDesc
from codesign.firmware.fixed import cast, check_width, code_range, frac, native, overflow, sbits
from codesign.firmware.tensor import Tensor
from codesign.precision import FixedPrecision, Overflow

FLOAT_EXACT = 1 << 52
FLOAT32_EXACT = 1 << 23
CHUNK_ELEMENTS = 1 << 22  # int64 elements per block of the general (product-by-product) path


def _max_abs(p: FixedPrecision) -> int:
    lo, hi = code_range(p)
    return max(abs(lo), abs(hi))


def _bits(v: int) -> int:
    return int(v).bit_length() + 1


# ---------------------------------------------------------------------------------------------- dense core
@dataclass(frozen=True)
class _DensePlan:
    """What a dense layer's arithmetic needs, computed once per layer and input type."""

    w: np.ndarray  # int64 weight codes (n_in, n_out)
    w_blas: np.ndarray | None  # the same as float32/float64 when the sums are exact there, else None
    b_acc: np.ndarray  # bias cast to accum_t
    shift: int  # accum fractional bits minus product fractional bits
    fast: bool  # products exact in accum_t and no per-step overflow: one matrix product
    in_range: bool  # no sum can leave accum_t's range: its overflow mode has nothing to do


_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _plan(layer: LayerDesc, w: np.ndarray, b: np.ndarray | None, xp: FixedPrecision) -> _DensePlan:
    cached = _PLANS.get(layer, {}).get(xp)
    if cached is not None and cached.w.shape == w.shape:
        return cached
    wp, ap = layer.type("weight"), layer.type("accum")
    w = np.asarray(w).astype(np.int64)
    shift = frac(ap) - (frac(xp) + frac(wp))
    if b is None:
        b_acc = np.zeros(w.shape[1], dtype=native(ap))
    else:
        b_acc = cast(b, frac(layer.type("bias")), ap, bits_from=sbits(layer.type("bias")))
    alo, ahi = code_range(ap)
    fast, w_blas, no_sum_overflow = False, None, False
    if shift >= 0:
        # the weights are constants: their largest code bounds the products, not their type's width (hls4ml's
        # tests give weights a 32-bit default type; a 32-bit input times 18 live weight bits fits int64)
        check_width(sbits(xp) + _bits(int(np.abs(w).max(initial=0))) + shift,
                    f"layer '{layer.name}': products in {ap.to_hls()}")  # fmt: skip
        xmax = _max_abs(xp)
        absw = np.abs(w)
        prod_bound = int(absw.max(initial=0)) * xmax << shift
        col_bound = max((int(v) for v in absw.sum(axis=0)), default=0) * xmax
        sum_bound = (col_bound << shift) + int(np.abs(b_acc).max(initial=0))
        exact_products = -alo >= prod_bound and ahi >= prod_bound
        no_sum_overflow = -alo >= sum_bound and ahi >= sum_bound
        fast = exact_products and (no_sum_overflow or ap.overflow == Overflow.WRAP)
        if fast:
            check_width(_bits(sum_bound), f"layer '{layer.name}': sums in {ap.to_hls()}")
            if sum_bound < FLOAT32_EXACT:
                w_blas = w.astype(np.float32)
            elif sum_bound < FLOAT_EXACT:
                w_blas = w.astype(np.float64)
    plan = _DensePlan(w, w_blas, b_acc, shift, fast, no_sum_overflow)
    _PLANS.setdefault(layer, {})[xp] = plan
    return plan


def dense_codes(x: Tensor, w: np.ndarray, b: np.ndarray | None, layer: LayerDesc) -> Tensor:
    """``res = (result_t)(bias + sum_i (accum_t)(x_i * w_ij))`` accumulated in ``accum_t`` (x: (n, n_in))."""
    ap, rp = layer.type("accum"), layer.type("result")
    plan = _plan(layer, w, b, x.prec)
    if plan.fast and plan.w_blas is not None:
        # every partial sum is an exact integer in the BLAS type: one matrix product
        acc = np.asarray(x.codes, dtype=plan.w_blas.dtype) @ plan.w_blas
        acc = acc.astype(np.float64, copy=False)  # later casts rely on float64's 52 exact bits
        if plan.shift:
            acc *= float(1 << plan.shift)
        acc += plan.b_acc
        if not plan.in_range:
            acc = overflow(acc, ap)
    elif plan.fast:
        acc = (x.codes.astype(np.int64) @ plan.w << plan.shift) + plan.b_acc.astype(np.int64)
        acc = overflow(acc, ap)
    else:
        acc = _general_accumulate(
            x, plan.w, plan.b_acc.astype(np.int64), frac(x.prec) + frac(layer.type("weight")), ap, layer
        )
    return Tensor(cast(acc, frac(ap), rp, bits_from=sbits(ap)), rp)


def _general_accumulate(
    x: Tensor, w: np.ndarray, b_acc: np.ndarray, fprod: int, ap: FixedPrecision, layer: LayerDesc
) -> np.ndarray:
    """Product by product: cast each product to accum_t, add them in input order with accum_t's overflow."""
    check_width(sbits(x.prec) + _bits(int(np.abs(w).max(initial=0))), f"layer '{layer.name}': products")
    check_width(ap.width + 1, f"layer '{layer.name}': accumulator {ap.to_hls()}")
    n = x.codes.shape[0]
    n_in, n_out = w.shape
    out = np.empty((n, n_out), dtype=np.int64)
    step = max(1, CHUNK_ELEMENTS // max(1, n_in * n_out))
    for s in range(0, n, step):
        xc = x.codes[s : s + step].astype(np.int64)
        prods = xc[:, :, None] * w[None, :, :]
        mult = cast(prods, fprod, ap, bits_from=sbits(x.prec) + sbits(layer.type("weight"))).astype(np.int64)
        if ap.overflow == Overflow.WRAP:
            acc = overflow(b_acc[None, :] + mult.sum(axis=1), ap)
        else:
            acc = np.broadcast_to(b_acc, (xc.shape[0], n_out)).copy()
            for i in range(n_in):
                acc = overflow(acc + mult[:, i, :], ap)
        out[s : s + step] = acc
    return out
