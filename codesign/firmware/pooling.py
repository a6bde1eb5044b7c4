"""The emulator's pooling and padding kernels (hls4ml 1.3 ``nnet_pooling.h``, ``nnet_padding.h``; io_stream's
pooling: ``nnet_pooling_stream.h``, :func:`pool_stream`).

io_parallel:
Max: the window's largest input (a padded cell holds ``pad_val``: the input type's code with only bit W-1 set, the
most negative code of a signed type and the mid-range code 2**(W-1) of an unsigned one), cast to ``accum_t``, then
to ``result_t``. Average: ``accum_t y = 0; y += x[i]`` over every cell of the window (padded cells are 0), each sum
cast to ``accum_t``; then ``y /= length`` (``length`` the cells inside the image, or the whole window with
``count_pad``), a division that truncates toward zero on ``accum_t``'s grid; then the cast to ``result_t``.
Global pooling is the same over the whole width (1-D) or image (2-D), with no padding. ZeroPadding writes each
input cast to ``result_t`` and zeros around it. Only ``channels_last`` is emulated. io_stream casts each cell to
``accum_t`` first and sums a window as a balanced tree (see :func:`pool_stream`).
"""

from __future__ import annotations

import numpy as np

from codesign.firmware.description import LayerDesc
from codesign.firmware.fixed import EmulationError, cast, check_width, frac, overflow, sbits
from codesign.firmware.tensor import Tensor
from codesign.precision import FixedPrecision

KINDS = ("Pooling1D", "Pooling2D", "GlobalPooling1D", "GlobalPooling2D")


def _channels_last(layer: LayerDesc) -> None:
    if layer.attrs.get("data_format", "channels_last") != "channels_last":
        raise EmulationError(f"layer '{layer.name}' ({layer.kind}): only channels_last is emulated")


def _op(layer: LayerDesc) -> str:
    op = str(layer.attrs.get("pool_op", "")).lower()
    if op not in ("max", "average"):
        raise EmulationError(f"layer '{layer.name}': pool_op '{op}' is not emulated (accepted: Max, Average)")
    return op


def pad_code(p: FixedPrecision) -> int:
    """``nnet::pad_val<T, Max>()``: a ``T`` that is 0 but for bit W-1 (the sign bit of a signed type)."""
    return -(1 << (p.width - 1)) if p.signed else 1 << (p.width - 1)


def pool_windows(codes: np.ndarray, xp: FixedPrecision, op: str, sizes, strides, pads, outs) -> tuple:
    """Every pooling window's cells, shape (n, *outs, channels, cells), and how many lie inside the image
    (one count per output position), for ``channels_last`` codes of shape (n, *image, channels).

    ``sizes``, ``strides``, ``outs`` per spatial axis, ``pads`` as (before, after) per axis; a padded cell
    holds :func:`pad_code` for max pooling and 0 for average pooling.
    """
    n, ch = codes.shape[0], codes.shape[-1]
    fill = pad_code(xp) if op == "max" else 0
    a = np.pad(codes, [(0, 0), *pads, (0, 0)], constant_values=fill) if any(sum(p) for p in pads) else codes
    inside = np.pad(np.ones(codes.shape[1:-1], dtype=np.int64), list(pads))
    idx = [(np.arange(o) * s)[:, None] + np.arange(k)[None, :] for o, s, k in zip(outs, strides, sizes, strict=True)]
    if len(idx) == 1:
        (i0,) = idx
        win = a[:, i0, :]  # (n, o, k, ch)
        count = inside[i0].sum(axis=-1)
        return np.moveaxis(win, 2, -1), count
    i0, i1 = idx
    win = a[:, i0[:, None, :, None], i1[None, :, None, :], :]  # (n, oh, ow, kh, kw, ch)
    count = inside[i0[:, None, :, None], i1[None, :, None, :]].sum(axis=(-2, -1))
    return np.moveaxis(win, (3, 4), (-2, -1)).reshape(n, *outs, ch, sizes[0] * sizes[1]), count


def average_codes(cells: np.ndarray, xp: FixedPrecision, ap: FixedPrecision, length, where: str) -> np.ndarray:
    """``accum_t y = 0; for c in cells: y += c; y /= length`` on the last axis of ``cells`` (codes of ``xp``);
    codes of ``ap``. ``length`` broadcasts against the result (one divisor per window)."""
    f = max(frac(ap), frac(xp))
    check_width(max(ap.width + f - frac(ap), xp.width + f - frac(xp)) + 1, where)
    xc = cells.astype(np.int64) << (f - frac(xp))
    y = np.zeros(cells.shape[:-1], dtype=np.int64)
    for i in range(cells.shape[-1]):
        y = cast((y << (f - frac(ap))) + xc[..., i], f, ap).astype(np.int64)
    q = np.abs(y) // np.asarray(length, dtype=np.int64)
    return overflow(np.where(y < 0, -q, q), ap)


def _check_out(layer: LayerDesc, full: int, k: int, s: int, out: int) -> None:
    if (full - k) // s + 1 != out:
        raise EmulationError(f"layer '{layer.name}': {out} outputs, but a padded size {full}, pool {k} and "
                             f"stride {s} give {(full - k) // s + 1}")  # fmt: skip


def windows(layer: LayerDesc, x: Tensor) -> tuple[np.ndarray, np.ndarray | int]:
    """A pooling layer's windows: codes of shape (n, *output positions, channels, cells) in the order hls4ml
    reads them, and the divisor of an average (one per output position, broadcasting against the result)."""
    _channels_last(layer)
    at, n = layer.attrs, x.codes.shape[0]
    if layer.kind in ("GlobalPooling1D", "GlobalPooling2D"):
        n_pos = int(at["n_in"]) if "n_in" in at else int(at["in_height"]) * int(at["in_width"])
        return np.swapaxes(x.codes.reshape(n, n_pos, int(at["n_filt"])), 1, 2), n_pos
    if layer.kind == "Pooling1D":
        image = (int(at["n_in"]),)
        sizes, strides, outs = (int(at["pool_width"]),), (int(at["stride_width"]),), (int(at["n_out"]),)
        pads = ((int(at.get("pad_left", 0)), int(at.get("pad_right", 0))),)
    else:
        image = (int(at["in_height"]), int(at["in_width"]))
        sizes = (int(at["pool_height"]), int(at["pool_width"]))
        strides = (int(at["stride_height"]), int(at["stride_width"]))
        outs = (int(at["out_height"]), int(at["out_width"]))
        pads = ((int(at.get("pad_top", 0)), int(at.get("pad_bottom", 0))),
                (int(at.get("pad_left", 0)), int(at.get("pad_right", 0))))  # fmt: skip
    for size, p, k, s, o in zip(image, pads, sizes, strides, outs, strict=True):
        _check_out(layer, size + sum(p), k, s, o)
    xc = x.codes.reshape(n, *image, int(at["n_filt"]))
    cells, inside = pool_windows(xc, x.prec, _op(layer), sizes, strides, pads, outs)
    length = int(np.prod(sizes)) if at.get("count_pad") else inside[..., None]
    return cells, length


def pool(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's ``pooling1d_cl``, ``pooling2d_cl``, ``global_pooling1d_cl`` and ``global_pooling2d_cl``."""
    x = ins[0]
    ap, rp = layer.type("accum"), layer.type("result")
    cells, length = windows(layer, x)
    if _op(layer) == "max":
        y = cast(cells.max(axis=-1), frac(x.prec), ap, bits_from=sbits(x.prec))
    else:
        y = average_codes(cells, x.prec, ap, length, f"layer '{layer.name}'")
    out = cast(y, frac(ap), rp, bits_from=sbits(ap))
    return Tensor(out.reshape(x.codes.shape[0], *layer.shape), rp)


def zero_padding(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's ``zeropad1d_cl`` / ``zeropad2d_cl``: zeros around the input cast to ``result_t``."""
    _channels_last(layer)
    at, x, rp = layer.attrs, ins[0], layer.type("result")
    n = x.codes.shape[0]
    if "in_height" in at:
        shape = (int(at["in_height"]), int(at["in_width"]), int(at["n_chan"]))
        pads = [(int(at["pad_top"]), int(at["pad_bottom"])), (int(at["pad_left"]), int(at["pad_right"]))]
    else:
        shape = (int(at["in_width"]), int(at["n_chan"]))
        pads = [(int(at["pad_left"]), int(at["pad_right"]))]
    codes = cast(x.codes.reshape(n, *shape), frac(x.prec), rp, bits_from=sbits(x.prec))
    return Tensor(np.pad(codes, [(0, 0), *pads, (0, 0)]).reshape(n, *layer.shape), rp)


def cropping(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's ``cropping1d_cl`` / ``cropping2d_cl`` (``nnet_cropping.h``; ``nnet_cropping_stream.h`` reads and drops
    the cropped pixels): the kept window of the input, each value cast to ``result_t``."""
    _channels_last(layer)
    at, x, rp = layer.attrs, ins[0], layer.type("result")
    n = x.codes.shape[0]
    if "in_height" in at:
        shape = (int(at["in_height"]), int(at["in_width"]), int(at["n_chan"]))
        top, left = int(at["crop_top"]), int(at["crop_left"])
        window = (slice(top, top + int(at["out_height"])), slice(left, left + int(at["out_width"])))
    else:
        shape = (int(at["in_width"]), int(at["n_chan"]))
        window = (slice(int(at["crop_left"]), int(at["crop_left"]) + int(at["out_width"])),)
    kept = x.codes.reshape(n, *shape)[(slice(None), *window)]
    return Tensor(cast(kept, frac(x.prec), rp, bits_from=sbits(x.prec)).reshape(n, *layer.shape), rp)


# ---------------------------------------------------------------------------------------------- io_stream
def _stream_shape(layer: LayerDesc) -> None:
    """hls4ml 1.3's streaming pooling asserts no padding and a stride equal to the pool size."""
    at = layer.attrs
    pads = [int(at.get(k, 0)) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")]
    strided = [(int(at[f"pool_{d}"]), int(at[f"stride_{d}"])) for d in ("height", "width") if f"pool_{d}" in at]
    if any(pads) or any(k != s for k, s in strided):
        raise EmulationError(
            f"layer '{layer.name}' ({layer.kind}): io_stream pooling with padding or a stride other than the pool "
            "size is not emulated (hls4ml 1.3's pooling1d_cl/pooling2d_cl for streams assert neither; use 'valid' "
            "padding and strides equal to pool_size, or io_parallel)"
        )


def _tree_sum(c: np.ndarray, ap: FixedPrecision) -> np.ndarray:
    """``nnet::reduce<accum_t, N, Op_add>`` on the last axis: halves split at the largest power of two below N,
    each sum assigned to ``accum_t`` (same grid, so only its overflow mode acts)."""
    size = c.shape[-1]
    if size == 1:
        return c[..., 0]
    left = 1 << ((size - 1).bit_length() - 1)  # pow2(floorlog2(N - 1))
    return overflow(_tree_sum(c[..., :left], ap) + _tree_sum(c[..., left:], ap), ap)


def _divide(y: np.ndarray, n: int, ap: FixedPrecision) -> np.ndarray:
    """``accum_t / n``: the quotient on ``accum_t``'s grid, truncated toward zero."""
    q = np.abs(y) // n
    return overflow(np.where(y < 0, -q, q), ap)


def pool_stream(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's io_stream pooling (``nnet_pooling_stream.h``): each cell cast to ``accum_t``; Max: the largest;
    Average: a balanced tree of sums in ``accum_t``, divided by the pool size (``reduce_pool``); global pooling:
    a running max or sum over the pixels in ``accum_t``, divided by their count; then the cast to ``result_t``."""
    x, ap, rp = ins[0], layer.type("accum"), layer.type("result")
    glob = layer.kind.startswith("Global")
    if not glob:
        _stream_shape(layer)
    cells, length = windows(layer, x)
    c = cast(cells, frac(x.prec), ap, bits_from=sbits(x.prec)).astype(np.int64)
    check_width(ap.width + 1, f"layer '{layer.name}'")
    if _op(layer) == "max":
        y = c.max(axis=-1)
    elif glob:
        y = np.zeros(c.shape[:-1], dtype=np.int64)
        for i in range(c.shape[-1]):
            y = overflow(y + c[..., i], ap)
        y = _divide(y, c.shape[-1], ap)
    else:
        y = _divide(_tree_sum(c, ap), c.shape[-1], ap)
    out = cast(y, frac(ap), rp, bits_from=sbits(ap))
    return Tensor(out.reshape(x.codes.shape[0], *layer.shape), rp)
