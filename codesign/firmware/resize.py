"""The emulator's Resize kernel (hls4ml 1.3 ``nnet_image.h`` / ``nnet_image_stream.h`` ``resize_nearest``: what
Keras' UpSampling1D/2D with ``nearest`` interpolation converts to).

io_parallel reads source row ``(i * y_ratio) >> 16`` and column ``(j * x_ratio) >> 16`` with
``ratio = ((in << 16) / out) + 1`` in C ``int`` arithmetic; io_stream repeats each row ``out / in`` times and each
pixel ``out / in`` times (it asserts whole ratios). Both copy the input values unchanged: the output has the input's
type (a cast to the layer's result type, which hls4ml gives the input's, keeps that honest). Only ``channels_last``.
"""

from __future__ import annotations

import numpy as np

from codesign.firmware.description import LayerDesc
from codesign.firmware.fixed import EmulationError, cast, frac, sbits
from codesign.firmware.tensor import Tensor


def _sizes(layer: LayerDesc) -> tuple[int, int, int, int, int]:
    a = layer.attrs
    if str(a.get("algorithm", "nearest")) != "nearest":
        raise EmulationError(f"layer '{layer.name}' (Resize): algorithm '{a.get('algorithm')}' is not emulated "
                             "(accepted: nearest)")  # fmt: skip
    if a.get("data_format", "channels_last") != "channels_last":
        raise EmulationError(f"layer '{layer.name}' (Resize): only channels_last is emulated")
    return tuple(int(a[k]) for k in ("in_height", "in_width", "out_height", "out_width", "n_chan"))  # type: ignore[return-value]


def _gather(layer: LayerDesc, x: Tensor, rows: np.ndarray, cols: np.ndarray, h: int, w: int, c: int) -> Tensor:
    rp = layer.type("result")
    n = x.codes.shape[0]
    img = x.codes.reshape(n, h, w, c)[:, rows][:, :, cols]
    return Tensor(cast(img, frac(x.prec), rp, bits_from=sbits(x.prec)).reshape(n, *layer.shape), rp)


def resize(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """io_parallel ``resize_nearest``: the source index by its 16-bit fixed-point ratio."""
    h, w, nh, nw, c = _sizes(layer)
    y_ratio, x_ratio = ((h << 16) // nh) + 1, ((w << 16) // nw) + 1
    rows, cols = (np.arange(nh) * y_ratio) >> 16, (np.arange(nw) * x_ratio) >> 16
    return _gather(layer, ins[0], rows, cols, h, w, c)


def resize_stream(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """io_stream ``resize_nearest``: each row and each pixel repeated by the whole ratio."""
    h, w, nh, nw, c = _sizes(layer)
    if nh % h or nw % w:
        raise EmulationError(f"layer '{layer.name}' (Resize): {h}x{w} to {nh}x{nw} is not a whole ratio, which "
                             "hls4ml's streaming resize asserts")  # fmt: skip
    return _gather(layer, ins[0], np.arange(nh) // (nh // h), np.arange(nw) // (nw // w), h, w, c)
