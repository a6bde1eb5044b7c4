"""Bit-exact fixed-point emulator of hls4ml io_parallel firmware, vectorised over samples in integer arithmetic.

It runs a :class:`~codesign.firmware.description.FirmwareDescription` (the firmware as configured) and
reproduces what the C++ kernels of hls4ml 1.3 compute (``nnet_dense_latency.h``, ``nnet_conv1d_latency.h``,
``nnet_pooling.h``, ``nnet_activation.h``, ``nnet_batchnorm.h``, ``nnet_merge.h``):

- dense/conv: each product ``data * weight`` is exact and cast to ``accum_t``; the accumulator starts at
  the bias cast to ``accum_t`` and adds the products in input order, each sum cast to ``accum_t`` (so a
  saturating accumulator saturates step by step); the result is cast to ``result_t``;
- casts quantize with the target's rounding mode, then apply its overflow mode (:mod:`.fixed`).

Sums whose bound fits a float64 mantissa go through BLAS in float64 (exact integers); otherwise int64.
A layer kind or setting the emulator does not reproduce raises :class:`EmulationError` naming the layer.

Public API: :func:`emulate` (outputs) and :func:`emulate_layers` (every layer's output, for a trace).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from codesign.firmware import graph_kernels, tables
from codesign.firmware.description import FirmwareDescription, LayerDesc
from codesign.firmware.fixed import (
    EmulationError,
    cast,
    check_width,
    code_range,
    frac,
    from_float,
    native,
    overflow,
    sbits,
    to_float,
)
from codesign.precision import FixedPrecision, Overflow

FLOAT_EXACT = 1 << 52
FLOAT32_EXACT = 1 << 23
CHUNK_ELEMENTS = 1 << 22  # int64 elements per block of the general (product-by-product) path
CHUNK_ROWS = 8192  # samples per block through the whole network


@dataclass(frozen=True)
class Tensor:
    """Integer codes (one row per sample) and their type."""

    codes: np.ndarray
    prec: FixedPrecision

    def values(self) -> np.ndarray:
        """Float64 values."""
        return to_float(self.codes, self.prec)


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
        check_width(xp.width + wp.width + shift, f"layer '{layer.name}': products in {ap.to_hls()}")
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
        acc = _general_accumulate(x, plan.w, plan.b_acc.astype(np.int64), frac(x.prec) + frac(layer.type("weight")), ap, layer)
    return Tensor(cast(acc, frac(ap), rp, bits_from=sbits(ap)), rp)


def _general_accumulate(
    x: Tensor, w: np.ndarray, b_acc: np.ndarray, fprod: int, ap: FixedPrecision, layer: LayerDesc
) -> np.ndarray:
    """Product by product: cast each product to accum_t, add them in input order with accum_t's overflow."""
    check_width(x.prec.width + layer.type("weight").width, f"layer '{layer.name}': products")
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


# ---------------------------------------------------------------------------------------------- layers
def _dense(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    _plain_strategy(layer)
    x = ins[0]
    n = x.codes.shape[0]
    w = layer.weights["weight"]
    flat = Tensor(x.codes.reshape(n, -1), x.prec)
    if flat.codes.shape[1] != w.shape[0]:
        raise EmulationError(f"layer '{layer.name}': input has {flat.codes.shape[1]} values, weights {w.shape}")
    return dense_codes(flat, w, layer.weights.get("bias"), layer)


def _plain_strategy(layer: LayerDesc) -> None:
    strategy = str(layer.attrs.get("strategy", "latency")).lower()
    if strategy != "latency":
        raise EmulationError(
            f"layer '{layer.name}' ({layer.kind}): strategy '{strategy}' is not emulated (accepted: Latency)"
        )


def conv1d_windows(layer: LayerDesc, a: np.ndarray) -> np.ndarray:
    """A Conv1D's input windows, one row per (sample, output position), ordered (filter position, channel)
    as hls4ml's ``fill_buffer`` lays them out; zero padding included."""
    at = layer.attrs
    n = a.shape[0]
    width, chan, k = int(at["in_width"]), int(at["n_chan"]), int(at["filt_width"])
    stride, out_w = int(at["stride_width"]), int(at["out_width"])
    pl, pr = int(at.get("pad_left", 0)), int(at.get("pad_right", 0))
    xc = a.reshape(n, width, chan)
    if pl or pr:
        xc = np.pad(xc, ((0, 0), (pl, pr), (0, 0)))
    idx = (np.arange(out_w) * stride)[:, None] + np.arange(k)[None, :]
    return xc[:, idx, :].reshape(n * out_w, k * chan)


def _conv1d(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    _plain_strategy(layer)
    a = layer.attrs
    if a.get("data_format", "channels_last") != "channels_last" or int(a.get("dilation", 1)) != 1:
        raise EmulationError(f"layer '{layer.name}': only channels_last, dilation 1 convolutions are emulated")
    x = ins[0]
    n = x.codes.shape[0]
    chan, k, n_filt, out_w = int(a["n_chan"]), int(a["filt_width"]), int(a["n_filt"]), int(a["out_width"])
    cols = conv1d_windows(layer, x.codes)
    w = layer.weights["weight"].reshape(k * chan, n_filt)
    res = dense_codes(Tensor(cols, x.prec), w, layer.weights.get("bias"), layer)
    return Tensor(res.codes.reshape(n, out_w, n_filt), res.prec)


def _activation(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x, rp = ins[0], layer.type("result")
    act = str(layer.attrs.get("activation", "")).lower()
    if act == "linear":
        return Tensor(cast(x.codes, frac(x.prec), rp, bits_from=sbits(x.prec)), rp)
    if act == "relu":
        if rp.signed or rp.overflow == Overflow.WRAP:
            codes = np.maximum(x.codes, 0)
        else:  # an unsigned saturating cast sends every negative code to 0 itself
            codes = x.codes
        return Tensor(cast(codes, frac(x.prec), rp, bits_from=sbits(x.prec)), rp)
    if act in ("sigmoid", "tanh"):
        size = int(layer.attrs.get("table_size", 1024))
        table_t = layer.type("table")
        table = tables.sigmoid_table(size, table_t) if act == "sigmoid" else tables.tanh_table(size, table_t)
        span = 16 if act == "sigmoid" else 8
        index = tables.table_index(x.codes.astype(np.int64), frac(x.prec), size, span)
        return Tensor(cast(table[index], frac(table_t), rp, bits_from=sbits(table_t)), rp)
    raise EmulationError(
        f"layer '{layer.name}': activation '{act}' is not emulated (accepted: linear, relu, sigmoid, tanh)"
    )


def _global_pool1d(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x = ins[0]
    ap, rp = layer.type("accum"), layer.type("result")
    n = x.codes.shape[0]
    n_in, n_filt = int(layer.attrs["n_in"]), int(layer.attrs["n_filt"])
    xc = x.codes.reshape(n, n_in, n_filt).astype(np.int64)
    op = str(layer.attrs.get("pool_op", "")).lower()
    if op == "max":
        y = cast(xc.max(axis=1), frac(x.prec), ap, bits_from=sbits(x.prec))
    elif op == "average":
        # accum_t y = 0; y += x[i] (each sum cast to accum_t); y /= n (division truncates toward zero)
        f = max(frac(ap), frac(x.prec))
        check_width(max(ap.width + f - frac(ap), x.prec.width + f - frac(x.prec)) + 1, f"layer '{layer.name}'")
        y = np.zeros((n, n_filt), dtype=np.int64)
        for i in range(n_in):
            y = cast((y << (f - frac(ap))) + (xc[:, i, :] << (f - frac(x.prec))), f, ap).astype(np.int64)
        q = np.abs(y) // n_in
        y = overflow(np.where(y < 0, -q, q), ap)
    else:
        raise EmulationError(f"layer '{layer.name}': pool_op '{op}' is not emulated (accepted: Max, Average)")
    return Tensor(cast(y, frac(ap), rp, bits_from=sbits(ap)), rp)


def _batchnorm(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x, rp = ins[0], layer.type("result")
    sp, bp = layer.type("scale"), layer.type("bias")
    n = x.codes.shape[0]
    xc = x.codes.reshape(n, -1).astype(np.int64)
    scale = layer.weights["scale"].ravel().astype(np.int64)
    bias = layer.weights["bias"].ravel().astype(np.int64)
    reps = xc.shape[1] // scale.size
    scale, bias = np.tile(scale, reps), np.tile(bias, reps)
    fp = frac(x.prec) + frac(sp)
    f = max(fp, frac(bp))
    check_width(max(x.prec.width + sp.width + f - fp, bp.width + f - frac(bp)) + 1, f"layer '{layer.name}'")
    total = (xc * scale << (f - fp)) + (bias << (f - frac(bp)))
    return Tensor(cast(total, f, rp).reshape(x.codes.shape), rp)


def _align(ts: list[Tensor]) -> tuple[list[np.ndarray], int]:
    f = max(frac(t.prec) for t in ts)
    check_width(max(t.prec.width + f - frac(t.prec) for t in ts) + 1, "merging inputs")
    return [t.codes.astype(np.int64) << (f - frac(t.prec)) for t in ts], f


def _merge(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    rp = layer.type("result")
    op = str(layer.attrs.get("op", "")).lower()
    if op == "multiply":
        a, b = ins
        check_width(a.prec.width + b.prec.width, f"layer '{layer.name}'")
        prod = a.codes.astype(np.int64) * b.codes.astype(np.int64)
        return Tensor(cast(prod, frac(a.prec) + frac(b.prec), rp), rp)
    (a, b), f = _align(ins)
    if op == "add":
        v = a + b
    elif op == "subtract":
        v = a - b
    elif op == "average":
        v, f = a + b, f + 1
    elif op == "maximum":
        v = np.maximum(a, b)
    elif op == "minimum":
        v = np.minimum(a, b)
    else:
        raise EmulationError(f"layer '{layer.name}': merge op '{op}' is not emulated")
    return Tensor(cast(v, f, rp), rp)


def _concatenate(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    rp = layer.type("result")
    n = ins[0].codes.shape[0]
    axis = int(layer.attrs.get("axis", -1))
    parts = [cast(t.codes, frac(t.prec), rp, bits_from=sbits(t.prec)) for t in ins]
    return Tensor(np.concatenate(parts, axis=axis if axis < 0 else axis).reshape(n, *layer.shape), rp)


def _reshape(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x = ins[0]
    return Tensor(x.codes.reshape(x.codes.shape[0], *layer.shape), x.prec)


def _transpose(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x, rp = ins[0], layer.type("result")
    perm = [int(p) + 1 for p in layer.attrs["perm"]]
    return Tensor(cast(np.transpose(x.codes, [0, *perm]), frac(x.prec), rp, bits_from=sbits(x.prec)), rp)


def _score(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    from codesign.firmware.score_kernel import anomaly_score

    codes, rp = anomaly_score(layer, ins)
    return Tensor(codes, rp)


KERNELS = {
    "HAnomalyScore": _score,
    "Dense": _dense,
    "Conv1D": _conv1d,
    "PointwiseConv1D": _conv1d,
    "Activation": _activation,
    "ReLU": _activation,
    "GlobalPooling1D": _global_pool1d,
    "BatchNormalization": _batchnorm,
    "Merge": _merge,
    "Concatenate": _concatenate,
    "Reshape": _reshape,
    "Transpose": _transpose,
    **dict.fromkeys(graph_kernels.KINDS, graph_kernels.run),
}


# ---------------------------------------------------------------------------------------------- running
def _inputs(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> list[np.ndarray]:
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(xs) != len(desc.inputs):
        raise EmulationError(f"the firmware has {len(desc.inputs)} input(s), got {len(xs)} array(s)")
    out = []
    for name, a in zip(desc.inputs, xs, strict=True):
        layer = desc.layer(name)
        a = np.asarray(a, dtype=np.float64)
        n = a.shape[0]
        if a.reshape(n, -1).shape[1] != int(np.prod(layer.shape)):
            raise EmulationError(f"input '{name}' takes {int(np.prod(layer.shape))} values per sample, got {a.shape[1:]}")
        if n != xs[0].shape[0]:
            raise EmulationError(f"input '{name}' has {n} samples, the first input {xs[0].shape[0]}")
        out.append(a.reshape(n, *layer.shape))
    return out


def _check(desc: FirmwareDescription) -> None:
    if desc.io_type != "io_parallel":
        raise EmulationError(f"io_type '{desc.io_type}' is not emulated (accepted: io_parallel)")
    for layer in desc.layers:
        if layer.kind == "Input":
            continue
        if "unsupported" in layer.attrs:
            raise EmulationError(f"layer '{layer.name}' ({layer.kind}): {layer.attrs['unsupported']}")
        if layer.kind not in KERNELS:
            raise EmulationError(
                f"layer '{layer.name}' is an hls4ml {layer.kind}, which the emulator does not know "
                f"(accepted: {', '.join(sorted(KERNELS))})"
            )


def _run_rows(desc: FirmwareDescription, xs: list[np.ndarray]) -> dict[str, Tensor]:
    values: dict[str, Tensor] = {}
    by_layer: dict[str, Tensor] = {}
    for name, a in zip(desc.inputs, xs, strict=True):
        layer = desc.layer(name)
        p = layer.type("result")
        values[layer.output] = by_layer[layer.name] = Tensor(from_float(a, p), p)
    for layer in desc.layers:
        if layer.kind == "Input":
            continue
        try:
            ins = [values[i] for i in layer.inputs]
        except KeyError as exc:
            raise EmulationError(f"layer '{layer.name}' reads {exc}, which no earlier layer produced") from None
        values[layer.output] = by_layer[layer.name] = KERNELS[layer.kind](layer, ins)
    return by_layer


def run(
    desc: FirmwareDescription, x: np.ndarray | list[np.ndarray], *, keep: set[str] | None = None
) -> dict[str, Tensor]:
    """Every layer's output tensor (codes and type), keyed by layer name, inputs included (or only ``keep``).

    Samples go through in blocks of :data:`CHUNK_ROWS`, so each pass over an intermediate array stays in cache.
    """
    _check(desc)
    xs = _inputs(desc, x)
    n = xs[0].shape[0]
    parts: dict[str, list[Tensor]] = {}
    for s in range(0, max(n, 1), CHUNK_ROWS):
        for name, t in _run_rows(desc, [a[s : s + CHUNK_ROWS] for a in xs]).items():
            if keep is None or name in keep:
                parts.setdefault(name, []).append(t)
    return {
        name: ts[0] if len(ts) == 1 else Tensor(np.concatenate([t.codes for t in ts]), ts[0].prec)
        for name, ts in parts.items()
    }


def emulate_layers(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> dict[str, np.ndarray]:
    """Every layer's output as float64 values of shape (n, *layer shape), keyed by layer name."""
    return {name: t.values() for name, t in run(desc, x).items()}


def emulate(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """The firmware's outputs on float64 inputs ``x``: one (n, size) array, or a list for several outputs."""
    out_layers = [desc.layer(name) for name in desc.outputs]
    values = run(desc, x, keep={lyr.name for lyr in out_layers})
    outs = [values[lyr.name].values().reshape(values[lyr.name].codes.shape[0], -1) for lyr in out_layers]
    return outs if len(outs) > 1 else outs[0]
