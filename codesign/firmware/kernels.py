"""The emulator's layer kernels: one function per hls4ml layer kind, each mapping input tensors to the output tensor.

They reproduce hls4ml 1.3's ``nnet_conv1d_latency.h``, the Resource Dense and Conv1D/Conv2D (:mod:`.resource`), ``nnet_conv2d_latency.h``, ``nnet_activation.h``,
``nnet_batchnorm.h`` and ``nnet_merge.h`` (dense arithmetic: :mod:`.dense`; pooling and zero padding:
:mod:`.pooling`; LSTM and GRU: :mod:`.recurrent`; table, hard and parametrized activations: :mod:`.activations`; the interaction-network and score layers: :mod:`.graph_kernels`, :mod:`.score_kernel`). :data:`KERNELS` maps each layer kind to its kernel.
"""

from __future__ import annotations

import numpy as np

from codesign.firmware import activations, graph_kernels, pooling, recurrent, resize, resource, tables
from codesign.firmware.dense import dense_codes
from codesign.firmware.description import LayerDesc
from codesign.firmware.fixed import EmulationError, cast, check_width, frac, sbits
from codesign.firmware.tensor import Tensor
from codesign.precision import Overflow


def _in_kernel_order(layer: LayerDesc, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(input columns, (n_in, n_out) weights) in the order the layer's strategy adds the products: the Resource
    kernels' order (:mod:`.resource`), or input order."""
    if resource.strategy(layer) == "resource":
        w, order = resource.resource_dense(layer, cols.shape[1])
        return cols[:, order], w
    return cols, resource.dense_weights(layer)


def _dense(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    x = ins[0]
    n = x.codes.shape[0]
    cols, w = _in_kernel_order(layer, x.codes.reshape(n, -1))
    flat = Tensor(cols, x.prec)
    if flat.codes.shape[1] != w.shape[0]:
        raise EmulationError(f"layer '{layer.name}': input has {flat.codes.shape[1]} values, weights {w.shape}")
    return dense_codes(flat, w, layer.weights.get("bias"), layer)


def _plain_strategy(layer: LayerDesc) -> None:
    resource.strategy(layer, resource_kinds=())


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
    resource.strategy(layer)
    a = layer.attrs
    if a.get("data_format", "channels_last") != "channels_last" or int(a.get("dilation", 1)) != 1:
        raise EmulationError(f"layer '{layer.name}': only channels_last, dilation 1 convolutions are emulated")
    x = ins[0]
    n = x.codes.shape[0]
    chan, k, n_filt, out_w = int(a["n_chan"]), int(a["filt_width"]), int(a["n_filt"]), int(a["out_width"])
    cols, w = _in_kernel_order(layer, conv1d_windows(layer, x.codes))
    if w.shape != (k * chan, n_filt):
        raise EmulationError(f"layer '{layer.name}': weights {layer.weights['weight'].shape}, not {k}x{chan}x{n_filt}")
    res = dense_codes(Tensor(cols, x.prec), w, layer.weights.get("bias"), layer)
    return Tensor(res.codes.reshape(n, out_w, n_filt), res.prec)


def conv2d_windows(layer: LayerDesc, a: np.ndarray) -> np.ndarray:
    """A Conv2D's input windows, one row per (sample, output row, output column), ordered (filter row, filter
    column, channel) as hls4ml's generated ``fill_buffer`` lays them out; zero padding included."""
    at = layer.attrs
    n = a.shape[0]
    h, w, chan = int(at["in_height"]), int(at["in_width"]), int(at["n_chan"])
    fh, fw, sh, sw = (int(at[k]) for k in ("filt_height", "filt_width", "stride_height", "stride_width"))
    oh, ow = int(at["out_height"]), int(at["out_width"])
    pads = ((int(at.get("pad_top", 0)), int(at.get("pad_bottom", 0))),
            (int(at.get("pad_left", 0)), int(at.get("pad_right", 0))))  # fmt: skip
    xc = a.reshape(n, h, w, chan)
    if any(sum(p) for p in pads):
        xc = np.pad(xc, ((0, 0), *pads, (0, 0)))
    rows = (np.arange(oh) * sh)[:, None] + np.arange(fh)[None, :]
    cols = (np.arange(ow) * sw)[:, None] + np.arange(fw)[None, :]
    if rows.max() >= xc.shape[1] or cols.max() >= xc.shape[2]:
        raise EmulationError(f"layer '{layer.name}': its windows reach past the padded input {xc.shape[1:3]}")
    return xc[:, rows[:, None, :, None], cols[None, :, None, :], :].reshape(n * oh * ow, fh * fw * chan)


def _conv2d(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    resource.strategy(layer)
    a = layer.attrs
    dilation = (int(a.get("dilation_height", 1)), int(a.get("dilation_width", 1)), int(a.get("dilation", 1)))
    if a.get("data_format", "channels_last") != "channels_last" or dilation != (1, 1, 1):
        raise EmulationError(f"layer '{layer.name}': only channels_last, dilation 1 convolutions are emulated")
    x = ins[0]
    n = x.codes.shape[0]
    k = int(a["filt_height"]) * int(a["filt_width"]) * int(a["n_chan"])
    n_filt, oh, ow = int(a["n_filt"]), int(a["out_height"]), int(a["out_width"])
    cols, w = _in_kernel_order(layer, conv2d_windows(layer, x.codes))
    if w.shape != (k, n_filt):
        raise EmulationError(f"layer '{layer.name}': weights {layer.weights['weight'].shape}, not {k} x {n_filt}")
    res = dense_codes(Tensor(cols, x.prec), w, layer.weights.get("bias"), layer)
    return Tensor(res.codes.reshape(n, oh, ow, n_filt), res.prec)


def _depthwise(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's ``depthwise_conv_1d/2d_latency_cl``: per output pixel, each window product cast to ``accum_t``, and
    channel c accumulated from its bias over the window positions in order. That is a Dense of the conv windows with a
    block-diagonal kernel (window element (p, c') feeds output c' only): the zero products add nothing to a sum."""
    _plain_strategy(layer)
    a = layer.attrs
    two_d = layer.kind == "DepthwiseConv2D"
    if a.get("data_format", "channels_last") != "channels_last" or any(
        int(a.get(k, 1)) != 1 for k in ("dilation", "dilation_width", "dilation_height", "depth_multiplier")
    ):
        raise EmulationError(f"layer '{layer.name}': only channels_last, dilation 1, depth multiplier 1 depthwise "
                             "convolutions are emulated")  # fmt: skip
    x, chan = ins[0], int(a["n_chan"])
    n = x.codes.shape[0]
    cols = (conv2d_windows if two_d else conv1d_windows)(layer, x.codes)
    k = cols.shape[1] // chan
    w = layer.weights["weight"].reshape(k * chan)
    full = np.zeros((k * chan, chan), dtype=w.dtype)
    full[np.arange(k * chan), np.tile(np.arange(chan), k)] = w
    res = dense_codes(Tensor(cols, x.prec), full, layer.weights.get("bias"), layer)
    out = (int(a["out_height"]), int(a["out_width"])) if two_d else (int(a["out_width"]),)
    return Tensor(res.codes.reshape(n, *out, chan), res.prec)


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
    if act in activations.TABLE_ACTIVATIONS:
        return activations.table_activation(layer, x, act)
    raise EmulationError(f"layer '{layer.name}': activation '{act}' is not emulated (accepted: linear, relu, sigmoid, "
                         f"tanh, {', '.join(activations.TABLE_ACTIVATIONS)})")  # fmt: skip


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


def _dot(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml 1.3's ``dot1d``: each product cast to ``accum_t``, summed in input order in ``accum_t`` (each sum cast
    to it), the sum cast to ``result_t``."""
    a, b = ins
    ap, rp = layer.type("accum"), layer.type("result")
    check_width(a.prec.width + b.prec.width, f"layer '{layer.name}'")
    n = a.codes.shape[0]
    prod = a.codes.reshape(n, -1).astype(np.int64) * b.codes.reshape(n, -1).astype(np.int64)
    terms = cast(prod, frac(a.prec) + frac(b.prec), ap, bits_from=sbits(a.prec) + sbits(b.prec)).astype(np.int64)
    acc = np.zeros(n, dtype=np.int64)
    for i in range(terms.shape[1]):
        acc = cast(acc + terms[:, i], frac(ap), ap, bits_from=sbits(ap) + 1).astype(np.int64)
    return Tensor(cast(acc, frac(ap), rp, bits_from=sbits(ap)).reshape(n, *layer.shape), rp)


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
    "ParametrizedActivation": activations.parametrized,
    "PReLU": activations.prelu,
    "HardActivation": activations.hard_activation,
    "Conv2D": _conv2d,
    "PointwiseConv2D": _conv2d,
    **dict.fromkeys(pooling.KINDS, pooling.pool),
    "ZeroPadding1D": pooling.zero_padding,
    "ZeroPadding2D": pooling.zero_padding,
    "Cropping1D": pooling.cropping,
    "Cropping2D": pooling.cropping,
    "BatchNormalization": _batchnorm,
    "Merge": _merge,
    "Concatenate": _concatenate,
    "Dot": _dot,
    "DepthwiseConv1D": _depthwise,
    "DepthwiseConv2D": _depthwise,
    "Resize": resize.resize,
    "Reshape": _reshape,
    "Transpose": _transpose,
    **dict.fromkeys(graph_kernels.KINDS, graph_kernels.run),
    **recurrent.KERNELS,
    "Bidirectional": recurrent.bidirectional,  # io_parallel only: hls4ml 1.3 has no streaming bidirectional_stack
}


def _clone(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's ``clone_stream``: the input copied to each output (cast to the result type)."""
    x, rp = ins[0], layer.type("result")
    return Tensor(cast(x.codes, frac(x.prec), rp, bits_from=sbits(x.prec)), rp)


def _repack(layer: LayerDesc, ins: list[Tensor]) -> Tensor:
    """hls4ml's ``repack_stream`` (the io_stream Reshape): the elements in order, each cast to the result type, in
    packets of the output's last dimension."""
    x, rp = ins[0], layer.type("result")
    n = x.codes.shape[0]
    return Tensor(cast(x.codes, frac(x.prec), rp, bits_from=sbits(x.prec)).reshape(n, *layer.shape), rp)


# io_stream: the layers whose streaming kernels the emulator reproduces (the dense arithmetic of a streamed Dense
# or convolution is nnet_dense_latency's; hls4ml inserts a ZeroPadding layer before a padded convolution), with
# pooling's own streaming kernels
STREAM_KERNELS = {
    **{k: KERNELS[k] for k in ("Dense", "Conv1D", "PointwiseConv1D", "Conv2D", "PointwiseConv2D", "ReLU",
                               "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "Reshape")},
    "Activation": KERNELS["Activation"],  # STREAM_ACTIVATIONS only
    # nnet_activation_stream.h: each packet element as nnet_activation.h computes it (the same tables and indices)
    **{k: KERNELS[k] for k in ("ParametrizedActivation", "PReLU", "HardActivation")},
    # nnet_batchnorm_stream.h's normalize: each packet element x * scale + bias as nnet_batchnorm.h computes it, the
    # scale and bias of element j % n_filt (n_filt = -1: of the element's flat index), as io_parallel indexes them
    "BatchNormalization": _batchnorm,
    "Clone": _clone,
    "Repack": _repack,
    # nnet_merge_stream.h: the same element arithmetic and casts as nnet_merge.h, element by element of each packet
    "Merge": _merge,
    "Concatenate": _concatenate,
    "Resize": resize.resize_stream,
    # nnet_sepconv*_stream.h: each window through depthwise_product_latency, nnet_depthwise_product.h's
    # arithmetic of the io_parallel kernel (hls4ml puts a ZeroPadding before a padded one)
    "DepthwiseConv1D": _depthwise,
    "DepthwiseConv2D": _depthwise,
    **dict.fromkeys(pooling.KINDS, pooling.pool_stream),
    # nnet_recurrent.h's streaming lstm_stack/gru_stack: one packet per time step, each step as in io_parallel
    **recurrent.KERNELS,
}  # fmt: skip
# selu is left out: its streamed positive side casts lambda to the input's type, not to ap_ufixed<16,1>
STREAM_ACTIVATIONS = ("relu", "linear", "sigmoid", "tanh", "softplus", "softsign")
