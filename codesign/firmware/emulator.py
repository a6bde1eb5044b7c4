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

from dataclasses import dataclass

import numpy as np

from codesign.firmware import tables
from codesign.firmware.description import FirmwareDescription, LayerDesc
from codesign.firmware.fixed import EmulationError, cast, check_width, code_range, frac, from_float, overflow, to_float
from codesign.precision import FixedPrecision, Overflow

FLOAT_EXACT = 1 << 53
CHUNK_ELEMENTS = 1 << 22  # int64 elements per block of the general (product-by-product) path


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
def _matmul(x: np.ndarray, w: np.ndarray, bound: int) -> np.ndarray:
    """Exact ``x @ w`` of int64 codes, by BLAS when every partial sum is below 2**53."""
    if bound < FLOAT_EXACT:
        return (x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
    check_width(_bits(bound), "a dot product")
    return x @ w


def dense_codes(x: Tensor, w: np.ndarray, b: np.ndarray | None, layer: LayerDesc) -> Tensor:
    """``res = (result_t)(bias + sum_i (accum_t)(x_i * w_ij))`` accumulated in ``accum_t`` (x: (n, n_in))."""
    wp, ap, rp = layer.type("weight"), layer.type("accum"), layer.type("result")
    fprod = frac(x.prec) + frac(wp)
    fa = frac(ap)
    n_in, n_out = w.shape
    if b is None:
        b_acc = np.zeros(n_out, dtype=np.int64)
    else:
        b_acc = cast(b, frac(layer.type("bias")), ap, bits_from=layer.type("bias").width)
    alo, ahi = code_range(ap)
    xmax = _max_abs(x.prec)
    shift = fa - fprod
    absw = np.abs(w)
    # bound on each product and on each sum, in accum codes (when products are cast exactly)
    if shift >= 0:
        check_width(x.prec.width + wp.width + shift, f"layer '{layer.name}': products in {ap.to_hls()}")
        prod_bound = int(absw.max(initial=0)) * xmax << shift
        col_bound = (absw.sum(axis=0).astype(object) * xmax * (1 << shift)).max(initial=0)
        sum_bound = int(col_bound) + int(np.abs(b_acc).max(initial=0))
        exact_products = -alo >= prod_bound and ahi >= prod_bound
        no_sum_overflow = -alo >= sum_bound and ahi >= sum_bound
    else:
        exact_products = no_sum_overflow = False
        sum_bound = None
    if exact_products and (no_sum_overflow or ap.overflow == Overflow.WRAP):
        # products exact; the sum needs no per-step overflow (none happens, or wrapping is modular)
        check_width(_bits(sum_bound), f"layer '{layer.name}': sums in {ap.to_hls()}")
        acc = _matmul(x.codes, w, int(col_bound) >> shift) << shift
        acc = overflow(acc + b_acc, ap)
    else:
        acc = _general_accumulate(x, w, b_acc, fprod, ap, layer)
    return Tensor(cast(acc, fa, rp, bits_from=ap.width), rp)


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
        xc = x.codes[s : s + step]
        mult = cast(xc[:, :, None] * w[None, :, :], fprod, ap, bits_from=x.prec.width + layer.type("weight").width)
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


def _conv1d(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    _plain_strategy(layer)
    a = layer.attrs
    if a.get("data_format", "channels_last") != "channels_last" or int(a.get("dilation", 1)) != 1:
        raise EmulationError(f"layer '{layer.name}': only channels_last, dilation 1 convolutions are emulated")
    x = ins[0]
    n = x.codes.shape[0]
    width, chan = int(a["in_width"]), int(a["n_chan"])
    k, n_filt, stride = int(a["filt_width"]), int(a["n_filt"]), int(a["stride_width"])
    pl, pr, out_w = int(a.get("pad_left", 0)), int(a.get("pad_right", 0)), int(a["out_width"])
    xc = x.codes.reshape(n, width, chan)
    if pl or pr:
        xc = np.pad(xc, ((0, 0), (pl, pr), (0, 0)))
    # window rows ordered (filter position, channel), as fill_buffer lays them out
    idx = (np.arange(out_w) * stride)[:, None] + np.arange(k)[None, :]
    cols = xc[:, idx, :].reshape(n * out_w, k * chan)
    w = layer.weights["weight"].reshape(k * chan, n_filt)
    res = dense_codes(Tensor(cols, x.prec), w, layer.weights.get("bias"), layer)
    return Tensor(res.codes.reshape(n, out_w, n_filt), res.prec)


def _activation(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x, rp = ins[0], layer.type("result")
    act = str(layer.attrs.get("activation", "")).lower()
    if act == "linear":
        return Tensor(cast(x.codes, frac(x.prec), rp, bits_from=x.prec.width), rp)
    if act == "relu":
        return Tensor(cast(np.maximum(x.codes, 0), frac(x.prec), rp, bits_from=x.prec.width), rp)
    if act in ("sigmoid", "tanh"):
        size = int(layer.attrs.get("table_size", 1024))
        table_t = layer.type("table")
        table = tables.sigmoid_table(size, table_t) if act == "sigmoid" else tables.tanh_table(size, table_t)
        span = 16 if act == "sigmoid" else 8
        index = tables.table_index(x.codes, frac(x.prec), size, span)
        return Tensor(cast(table[index], frac(table_t), rp, bits_from=table_t.width), rp)
    raise EmulationError(
        f"layer '{layer.name}': activation '{act}' is not emulated (accepted: linear, relu, sigmoid, tanh)"
    )


def _global_pool1d(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x = ins[0]
    ap, rp = layer.type("accum"), layer.type("result")
    n = x.codes.shape[0]
    n_in, n_filt = int(layer.attrs["n_in"]), int(layer.attrs["n_filt"])
    xc = x.codes.reshape(n, n_in, n_filt)
    op = str(layer.attrs.get("pool_op", "")).lower()
    if op == "max":
        y = cast(xc.max(axis=1), frac(x.prec), ap, bits_from=x.prec.width)
    elif op == "average":
        # accum_t y = 0; y += x[i] (each sum cast to accum_t); y /= n (division truncates toward zero)
        f = max(frac(ap), frac(x.prec))
        check_width(max(ap.width + f - frac(ap), x.prec.width + f - frac(x.prec)) + 1, f"layer '{layer.name}'")
        y = np.zeros((n, n_filt), dtype=np.int64)
        for i in range(n_in):
            y = cast((y << (f - frac(ap))) + (xc[:, i, :] << (f - frac(x.prec))), f, ap)
        q = np.abs(y) // n_in
        y = overflow(np.where(y < 0, -q, q), ap)
    else:
        raise EmulationError(f"layer '{layer.name}': pool_op '{op}' is not emulated (accepted: Max, Average)")
    return Tensor(cast(y, frac(ap), rp, bits_from=ap.width), rp)


def _batchnorm(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x, rp = ins[0], layer.type("result")
    sp, bp = layer.type("scale"), layer.type("bias")
    n = x.codes.shape[0]
    xc = x.codes.reshape(n, -1)
    scale, bias = layer.weights["scale"].ravel(), layer.weights["bias"].ravel()
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
    return [t.codes << (f - frac(t.prec)) for t in ts], f


def _merge(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    rp = layer.type("result")
    op = str(layer.attrs.get("op", "")).lower()
    if op == "multiply":
        a, b = ins
        check_width(a.prec.width + b.prec.width, f"layer '{layer.name}'")
        return Tensor(cast(a.codes * b.codes, frac(a.prec) + frac(b.prec), rp), rp)
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
    parts = [cast(t.codes, frac(t.prec), rp, bits_from=t.prec.width) for t in ins]
    return Tensor(np.concatenate(parts, axis=axis if axis < 0 else axis).reshape(n, *layer.shape), rp)


def _reshape(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x = ins[0]
    return Tensor(x.codes.reshape(x.codes.shape[0], *layer.shape), x.prec)


def _transpose(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x, rp = ins[0], layer.type("result")
    perm = [int(p) + 1 for p in layer.attrs["perm"]]
    return Tensor(cast(np.transpose(x.codes, [0, *perm]), frac(x.prec), rp, bits_from=x.prec.width), rp)


KERNELS = {
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
}


# ---------------------------------------------------------------------------------------------- running
def _inputs(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> dict[str, Tensor]:
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(xs) != len(desc.inputs):
        raise EmulationError(f"the firmware has {len(desc.inputs)} input(s), got {len(xs)} array(s)")
    out = {}
    for name, a in zip(desc.inputs, xs, strict=True):
        layer = desc.layer(name)
        a = np.asarray(a, dtype=np.float64)
        n = a.shape[0]
        if a.reshape(n, -1).shape[1] != int(np.prod(layer.shape)):
            raise EmulationError(f"input '{name}' takes {int(np.prod(layer.shape))} values per sample, got {a.shape[1:]}")
        p = layer.type("result")
        out[layer.output] = Tensor(from_float(a.reshape(n, *layer.shape), p), p)
    return out


def run(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> dict[str, Tensor]:
    """Every layer's output tensor (codes and type), keyed by layer name, inputs included."""
    if desc.io_type != "io_parallel":
        raise EmulationError(f"io_type '{desc.io_type}' is not emulated (accepted: io_parallel)")
    values = _inputs(desc, x)
    by_layer: dict[str, Tensor] = {}
    for layer in desc.layers:
        if layer.kind == "Input":
            by_layer[layer.name] = values[layer.output]
            continue
        if "unsupported" in layer.attrs:
            raise EmulationError(f"layer '{layer.name}' ({layer.kind}): {layer.attrs['unsupported']}")
        kernel = KERNELS.get(layer.kind)
        if kernel is None:
            raise EmulationError(
                f"layer '{layer.name}' is an hls4ml {layer.kind}, which the emulator does not know "
                f"(accepted: {', '.join(sorted(KERNELS))})"
            )
        try:
            ins = [values[i] for i in layer.inputs]
        except KeyError as exc:
            raise EmulationError(f"layer '{layer.name}' reads {exc}, which no earlier layer produced") from None
        out = kernel(layer, ins)
        values[layer.output] = out
        by_layer[layer.name] = out
    return by_layer


def emulate_layers(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> dict[str, np.ndarray]:
    """Every layer's output as float64 values of shape (n, *layer shape), keyed by layer name."""
    return {name: t.values() for name, t in run(desc, x).items()}


def emulate(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """The firmware's outputs on float64 inputs ``x``: one (n, size) array, or a list for several outputs."""
    values = run(desc, x)
    by_output = {desc.layer(name).output: t for name, t in values.items()}
    outs = []
    for name in desc.outputs:
        t = by_output[name]
        outs.append(t.values().reshape(t.codes.shape[0], -1))
    return outs if len(outs) > 1 else outs[0]
