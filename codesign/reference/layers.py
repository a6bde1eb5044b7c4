"""One Keras/QKeras layer evaluated exactly in float64, as hls4ml 1.3's firmware computes it, or refused.

Every supported layer either moves values (InputLayer, Dropout, Flatten, Reshape, Permute, Concatenate,
max pooling, UpSampling (nearest), ZeroPadding, Cropping) or computes sums and products of fixed-point values (Dense on any rank, Conv1D/Conv2D of any
kernel, stride and ``valid``/``same`` padding, average pooling over a power of two, Add/Subtract/Multiply/
Maximum/Minimum, Dot of two vectors). Those are exact in float64 while the operands and sums fit 53 bits, which is checked;
hls4ml's inferred types hold them exactly, so the firmware computes the same numbers (its C-simulation
proves it per build). A layer whose firmware rounds where the model does not raises
:class:`ReferenceUnavailableError` naming the layer, its class and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from codesign.errors import ReferenceUnavailableError
from codesign.precision import halving_shift
from codesign.reference.quantizers import apply_quantizer, frac_bits, quantize_weights, sig_bits

DENSE = ("Dense", "QDense")
CONV = ("Conv1D", "QConv1D", "Conv2D", "QConv2D")
DEPTHWISE = ("DepthwiseConv1D", "DepthwiseConv2D", "QDepthwiseConv2D")
SEPARABLE = ("SeparableConv1D", "SeparableConv2D", "QSeparableConv1D", "QSeparableConv2D")
WEIGHT_LAYERS = DENSE + CONV + DEPTHWISE + SEPARABLE
# the QKeras attribute of each weight's quantizer, by layer kind (a layer missing one has float weights)
WEIGHT_QUANTIZER_ATTRS = {
    **dict.fromkeys(DENSE + CONV, ("kernel_quantizer_internal",)),
    **dict.fromkeys(DEPTHWISE, ("depthwise_quantizer_internal",)),
    **dict.fromkeys(SEPARABLE, ("depthwise_quantizer_internal", "pointwise_quantizer_internal")),
}
PASS_THROUGH = ("InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianDropout", "ActivityRegularization")
MERGE = ("Add", "Subtract", "Multiply", "Maximum", "Minimum")
POOL = ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")
GLOBAL_POOL = ("GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling2D")
RESHAPING = ("UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D")
BATCHNORM = ("BatchNormalization", "QBatchNormalization")
ACTIVATION = ("Activation", "QActivation", "ReLU", "LeakyReLU")  # LeakyReLU: a slope of 2**-k only
GRAPH = ("EdgePairSum", "ReceiverSum")  # codesign/hls_ext/interaction.py
SUPPORTED = WEIGHT_LAYERS + PASS_THROUGH + MERGE + POOL + GLOBAL_POOL + BATCHNORM + ACTIVATION + GRAPH + RESHAPING + (
    "Flatten", "Reshape", "Permute", "Concatenate", "Dot", "AnomalyScore",
)  # fmt: skip
MAX_EXACT = 2.0**53


def refuse(layer: Any, why: str) -> ReferenceUnavailableError:
    """The error for a layer the reference cannot evaluate exactly: names the layer, its class and why."""
    return ReferenceUnavailableError(f"layer '{layer.name}' ({type(layer).__name__}): {why}")


def activation_of(layer: Any) -> Any:
    """The layer's fused activation: a QKeras quantizer object, or a Keras activation's name (None if none)."""
    a = getattr(layer, "activation", None)
    if a is None:
        return None
    if hasattr(a, "get_config") and not isinstance(a, type):
        return a
    return getattr(a, "__name__", str(a))


# HGQ proxy-model quantizers: the layer holds fixed-point types, so a model with one is a quantized model
HGQ_PROXY_LAYERS = ("FixedPointQuantizer", "UnaryLUT")


def is_quantized_layer(layer: Any) -> bool:
    """True when the layer carries any QKeras quantizer (kernel, bias, activation or a QActivation's) or is an HGQ
    proxy quantizer."""
    if type(layer).__name__.startswith("Q") or type(layer).__name__ in HGQ_PROXY_LAYERS:
        return True
    return any(getattr(layer, a, None) is not None for a in ("kernel_quantizer_internal", "quantizer"))


def has_float_kernel(layer: Any) -> bool:
    """True when a weight layer lacks a QKeras quantizer for one of its kernels (depthwise/pointwise included)."""
    attrs = WEIGHT_QUANTIZER_ATTRS.get(type(layer).__name__, ("kernel_quantizer_internal",))
    return any(getattr(layer, a, None) is None for a in attrs)


def weights(layer: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """(kernel, bias) after the layer's QKeras quantizers, float64 (bias None without one)."""
    w = [np.asarray(v, dtype=np.float64) for v in layer.get_weights()]
    kernel = w[0]
    bias = w[1] if len(w) > 1 and getattr(layer, "use_bias", True) else None
    kq = getattr(layer, "kernel_quantizer_internal", None)
    bq = getattr(layer, "bias_quantizer_internal", None)
    where = f"layer '{layer.name}' ({type(layer).__name__})"
    kernel = quantize_weights(kq, kernel, f"{where} kernel_quantizer")
    if bias is not None:
        bias = quantize_weights(bq, bias, f"{where} bias_quantizer")
    return kernel, bias


def check_exact(layer: Any, bound: np.ndarray, lsb_bits: int) -> None:
    """Raise unless every partial sum (bounded by ``bound``) on a grid of 2**-lsb_bits fits float64's 53 bits."""
    if bound.size and float(np.max(bound)) * 2.0**lsb_bits >= MAX_EXACT:
        raise refuse(layer, "its sums need more than 53 bits; float64 cannot hold them exactly")


def _padding(pad: str, size: int, stride: int, k: int) -> tuple[int, int]:
    # hls4ml's compute_padding_1d/2d (the same as TensorFlow's): the odd extra column goes right/bottom
    if pad == "valid":
        return 0, 0
    if size % stride == 0:
        total = max(k - stride, 0)
    else:
        total = max(k - size % stride, 0)
    return total // 2, total - total // 2


def _windows(layer: Any, x: np.ndarray, ksize: tuple[int, ...], strides: tuple[int, ...], pad: str) -> np.ndarray:
    """(n, *out_spatial, channels, *ksize) sliding windows over zero-padded ``x`` (channels last)."""
    if pad not in ("valid", "same"):
        raise refuse(layer, f"padding '{pad}' (accepted: valid, same)")
    pads = [(0, 0)]
    for size, s, k in zip(x.shape[1:-1], strides, ksize, strict=True):
        pads.append(_padding(pad, size, s, k))
    pads.append((0, 0))
    xp = np.pad(x, pads)
    axes = tuple(range(1, 1 + len(ksize)))
    win = np.lib.stride_tricks.sliding_window_view(xp, ksize, axis=axes)
    sl = (slice(None),) + tuple(slice(None, None, s) for s in strides)
    return win[sl]


def _check_conv_config(layer: Any) -> None:
    cfg = layer.get_config()
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise refuse(layer, "data_format channels_first (accepted: channels_last)")
    if any(int(d) != 1 for d in np.atleast_1d(cfg.get("dilation_rate", 1))):
        raise refuse(layer, f"dilation_rate {cfg.get('dilation_rate')} (hls4ml 1.3 supports 1 only)")
    if int(cfg.get("groups", 1)) != 1:
        raise refuse(layer, "grouped convolution (hls4ml 1.3 supports groups=1 only)")


def _linear(layer: Any, x: np.ndarray, strict: bool) -> np.ndarray:
    """Dense on the last axis (any rank) or Conv1D/Conv2D, before the activation; exactness checked."""
    kernel, bias = weights(layer)
    cls = type(layer).__name__
    if cls in DENSE:
        y = np.matmul(x, kernel)
        bound = np.matmul(np.abs(x), np.abs(kernel))
    else:
        _check_conv_config(layer)
        rank = kernel.ndim - 2
        win = _windows(layer, x, kernel.shape[:rank], tuple(layer.strides), layer.padding)
        spec = "nlck,kcf->nlf" if rank == 1 else "nhwcij,ijcf->nhwf"
        y = np.einsum(spec, win, kernel)
        bound = np.einsum(spec, np.abs(win), np.abs(kernel))
    lsb = frac_bits(x) + frac_bits(kernel)
    if bias is not None:
        y = y + bias
        bound = bound + np.abs(bias)
        lsb = max(lsb, frac_bits(bias))
    if strict and getattr(layer, "kernel_quantizer_internal", None) is not None:
        # float weights: a float model's outputs for an agreement check, no exactness claimed
        check_exact(layer, bound, lsb)
    return y


def _pool(layer: Any, x: np.ndarray, strict: bool) -> np.ndarray:
    cls = type(layer).__name__
    ksize = tuple(int(k) for k in np.atleast_1d(layer.pool_size))
    strides = tuple(int(s) for s in np.atleast_1d(layer.strides))
    if layer.get_config().get("data_format", "channels_last") != "channels_last":
        raise refuse(layer, "data_format channels_first (accepted: channels_last)")
    if layer.padding != "valid":
        raise refuse(layer, f"pooling with padding '{layer.padding}': hls4ml pads differently from Keras (accepted: valid)")
    win = _windows(layer, x, ksize, strides, "valid")
    axes = tuple(range(-len(ksize), 0))
    if cls.startswith("Max"):
        return np.max(win, axis=axes)
    return _mean(layer, win, axes, strict)


def _mean(layer: Any, x: np.ndarray, axes: tuple[int, ...], strict: bool) -> np.ndarray:
    n = int(np.prod([x.shape[a] for a in axes]))
    if strict and n & (n - 1):
        raise refuse(layer, f"average over {n} values, not a power of two: the firmware rounds the mean")
    if strict:
        check_exact(layer, np.sum(np.abs(x), axis=axes), frac_bits(x))
    return np.sum(x, axis=axes) / n


def _reshaping(layer: Any, x: np.ndarray) -> np.ndarray:
    """UpSampling (nearest: each value repeated), ZeroPadding (zeros around), Cropping (rows/columns dropped): values
    moved, never computed, as hls4ml 1.3's resize_nearest / zeropad / cropping kernels move them (channels last)."""
    cls = type(layer).__name__
    cfg = layer.get_config()
    if cfg.get("data_format", "channels_last") not in (None, "channels_last"):
        raise refuse(layer, "data_format channels_first (accepted: channels_last)")
    if cls.startswith("UpSampling"):
        if cfg.get("interpolation", "nearest") != "nearest":
            raise refuse(layer, f"interpolation '{cfg.get('interpolation')}' (accepted: nearest)")
        for axis, f in enumerate(np.atleast_1d(layer.size), start=1):
            x = np.repeat(x, int(f), axis=axis)
        return x
    if cls.startswith("ZeroPadding"):
        pads = [tuple(int(v) for v in p) for p in (layer.padding if cls.endswith("2D") else [layer.padding])]
        return np.pad(x, [(0, 0), *pads, (0, 0)])
    crops = [tuple(int(v) for v in c) for c in (layer.cropping if cls.endswith("2D") else [layer.cropping])]
    sl = tuple(slice(a, x.shape[i + 1] - b) for i, (a, b) in enumerate(crops))
    return x[(slice(None), *sl)]


def _batchnorm(layer: Any, x: np.ndarray, types: Mapping[str, Any] | None, strict: bool,
               as_model: bool = False) -> np.ndarray:  # fmt: skip
    """x * scale + bias with hls4ml's scale and bias, rounded as the firmware stores them (its scale/bias types);
    ``as_model``: unrounded, as the model itself normalises (a diagnostic, not a proof: no exactness check)."""
    cfg = layer.get_config()
    if cfg.get("axis") not in (-1, [-1], len(x.shape) - 1, [len(x.shape) - 1]):
        raise refuse(layer, f"axis {cfg.get('axis')} (hls4ml normalises the last axis only)")
    ws = {w.name.split("/")[-1].split(":")[0]: np.asarray(w.numpy()) for w in layer.weights}
    for qname, wname in (("gamma", "gamma"), ("beta", "beta"), ("mean", "moving_mean"), ("variance", "moving_variance")):
        q = getattr(layer, f"{qname}_quantizer_internal", None)
        if q is None or wname not in ws:
            continue
        import tensorflow as tf

        if not np.array_equal(np.asarray(q(tf.constant(ws[wname]))), ws[wname]):
            raise refuse(
                layer,
                f"{qname}_quantizer changes the stored {wname}, and hls4ml 1.3 ignores QBatchNormalization's "
                "quantizers: the firmware normalises with other numbers than the model",
            )
    var, mean = ws["moving_variance"], ws["moving_mean"]
    gamma = ws.get("gamma", np.float32(1.0))
    beta = ws.get("beta", np.float32(0.0))
    # hls4ml's BatchNormalization.initialize, on the float32 weights it reads
    scale = gamma / np.sqrt(var + np.float32(cfg["epsilon"]))
    bias = beta - scale * mean
    if as_model:
        return x * scale.astype(np.float64) + bias.astype(np.float64)
    if types is None or "scale" not in types or "bias" not in types:
        raise refuse(
            layer,
            "the firmware rounds scale = gamma/sqrt(var+eps) and bias to its scale/bias types, which the model does "
            "not have; pass the firmware's layer types (hls project) or fold it into the Dense/Conv before it",
        )
    # hls4ml writes each weight as a decimal with as many digits as the type has fractional bits; the
    # C++ literal is then cast to the type with its rounding and overflow modes
    qs = []
    for vals, prec in ((scale, types["scale"]), (bias, types["bias"])):
        digits = max(0, prec.fractional)
        dec = np.array([float(f"{float(v):.{digits}f}") for v in np.ravel(vals)]).reshape(np.shape(vals))
        qs.append(prec.quantize(dec))
    s, b = qs
    y = x * s + b
    if strict:
        check_exact(layer, np.abs(x) * np.abs(s) + np.abs(b), frac_bits(x) + max(frac_bits(s), frac_bits(b)))
    return y


def _merge(layer: Any, xs: list[np.ndarray], strict: bool) -> np.ndarray:
    cls = type(layer).__name__
    if len(xs) != 2:
        raise refuse(layer, f"{len(xs)} inputs (hls4ml 1.3 merges two)")
    a, b = xs
    if cls in ("Add", "Subtract"):
        if strict:
            check_exact(layer, np.abs(a) + np.abs(b), max(frac_bits(a), frac_bits(b)))
        return a + b if cls == "Add" else a - b
    if cls == "Multiply":
        if strict and np.any(sig_bits(a) + sig_bits(b) > 53):
            raise refuse(layer, "its products need more than 53 bits; float64 cannot hold them exactly")
        return a * b
    if cls == "Maximum":
        return np.maximum(a, b)
    return np.minimum(a, b)


def _dot(layer: Any, xs: list[np.ndarray], strict: bool) -> np.ndarray:
    """The dot product of two vectors per sample (hls4ml 1.3's ``dot1d``: rank 1, no normalization)."""
    cfg = layer.get_config()
    axes = cfg.get("axes")
    axes = list(axes) if isinstance(axes, (list, tuple)) else [axes, axes]
    vectors = len(xs) == 2 and xs[0].ndim == 2 and xs[0].shape == xs[1].shape
    if not vectors or cfg.get("normalize") or any(a not in (1, -1) for a in axes):
        raise refuse(layer, "hls4ml 1.3 takes the Dot of two vectors of the same length (axes=1, normalize=False)")
    a, b = xs
    if strict:
        if np.any(sig_bits(a) + sig_bits(b) > 53):
            raise refuse(layer, "its products need more than 53 bits; float64 cannot hold them exactly")
        check_exact(layer, np.sum(np.abs(a * b), axis=1), frac_bits(a) + frac_bits(b))
    return np.sum(a * b, axis=1, keepdims=True)


def _edges(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Receiver and sender of every edge of the complete directed graph on n nodes, receiver-major (as the
    firmware numbers them: e = r * (n - 1) + k, sender k if k < r else k + 1)."""
    recv = np.array([r for r in range(n) for k in range(n - 1)], dtype=np.int64)
    send = np.array([k if k < r else k + 1 for r in range(n) for k in range(n - 1)], dtype=np.int64)
    return recv, send


def _graph(layer: Any, xs: list[np.ndarray], linear: bool, strict: bool) -> np.ndarray:
    """EdgePairSum: act(recv[r] + send[s]) per edge; ReceiverSum: each receiver's incoming edges summed."""
    if type(layer).__name__ == "EdgePairSum":
        if len(xs) != 2 or xs[0].shape != xs[1].shape:
            raise refuse(layer, "needs two inputs of the same shape (receiver and sender terms, (N, D) each)")
        recv, send = _edges(xs[0].shape[1])
        y = xs[0][:, recv, :] + xs[1][:, send, :]
        if strict:
            check_exact(layer, np.abs(y), max(frac_bits(xs[0]), frac_bits(xs[1])))
        return y if linear else apply_quantizer(activation_of(layer), y, f"layer '{layer.name}' (EdgePairSum)")
    if len(xs) != 1:
        raise refuse(layer, f"{len(xs)} inputs where one is expected")
    n = int(layer.get_config()["n_nodes"])
    x = xs[0]
    if x.shape[1] != n * (n - 1):
        raise refuse(layer, f"{x.shape[1]} edges is not n_nodes * (n_nodes - 1) for n_nodes = {n}")
    y = x.reshape(x.shape[0], n, n - 1, x.shape[2]).sum(axis=2)
    if strict:
        check_exact(layer, np.abs(x).reshape(y.shape[0], n, n - 1, -1).sum(axis=2), frac_bits(x))
    return y


def forward(
    layer: Any, x: np.ndarray | list[np.ndarray], *, linear: bool = False, types: Mapping | None = None, strict: bool = True,
    batchnorm_as_model: bool = False,
) -> Any:
    """One layer of the float64 forward pass; ``x`` is a list for merge layers.

    ``linear``: without the layer's own activation. ``types``: the firmware's types of this layer
    (``HlsProject.layer_precisions[name]``), needed by a standalone BatchNormalization only. ``strict``:
    refuse results float64 cannot hold exactly (off for float models, whose outputs serve agreement only).
    ``batchnorm_as_model``: a standalone BatchNormalization with the model's own (unrounded) scale and bias.
    """
    cls = type(layer).__name__
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    if cls == "Average":
        raise refuse(layer, "hls4ml computes (a + b) * 0.5 in a type without the extra fractional bit: it truncates")
    if cls == "AnomalyScore":
        from codesign.reference.score import score

        if len(xs) != 2:
            raise refuse(layer, f"{len(xs)} inputs (the score takes two)")
        return score(layer.score, xs[0], xs[1], f"layer '{layer.name}' (AnomalyScore)")
    if cls == "Dot":
        return _dot(layer, xs, strict)
    if cls in ("Concatenate",) + MERGE:
        if cls == "Concatenate":
            return np.concatenate(xs, axis=layer.axis)
        return _merge(layer, xs, strict)
    if cls in GRAPH:
        return _graph(layer, xs, linear, strict)
    if len(xs) != 1:
        raise refuse(layer, f"{len(xs)} inputs where one is expected")
    x = xs[0]
    if cls in WEIGHT_LAYERS:
        if cls in DEPTHWISE + SEPARABLE:
            from codesign.reference.depthwise import depthwise

            y = depthwise(layer, x, strict)
        else:
            y = _linear(layer, x, strict)
        return y if linear else apply_quantizer(activation_of(layer), y, f"layer '{layer.name}' ({cls}) activation")
    if cls in ("Activation", "QActivation"):
        q = getattr(layer, "quantizer", None) if cls == "QActivation" else None
        return apply_quantizer(q if q is not None else activation_of(layer), x, f"layer '{layer.name}' ({cls})")
    if cls == "ReLU":
        c = layer.get_config()
        if c.get("max_value") is not None or c.get("negative_slope") or c.get("threshold"):
            raise refuse(
                layer,
                "ReLU with max_value/negative_slope/threshold (accepted: a plain ReLU); for a bounded relu use "
                "QActivation('quantized_relu(bits, integer)'), which clips at 2**integer - 2**(integer - bits)",
            )
        return np.maximum(x, 0.0)
    if cls in PASS_THROUGH:
        return x
    if cls == "Flatten":
        return x.reshape(x.shape[0], -1)
    if cls == "Reshape":
        return x.reshape((x.shape[0],) + tuple(layer.target_shape))
    if cls == "Permute":
        return np.transpose(x, (0,) + tuple(int(d) for d in layer.dims))
    if cls in POOL:
        return _pool(layer, x, strict)
    if cls in GLOBAL_POOL:
        axes = tuple(range(1, x.ndim - 1))
        if "Max" in cls:
            return np.max(x, axis=axes)
        return _mean(layer, x, axes, strict)
    if cls in BATCHNORM:
        return _batchnorm(layer, x, types, strict, as_model=batchnorm_as_model)
    if cls in RESHAPING:
        return _reshaping(layer, x)
    if cls == "Softmax":
        return apply_quantizer("softmax", x, f"layer '{layer.name}' ({cls})")
    if cls == "LeakyReLU":
        c = layer.get_config()
        slope = c.get("negative_slope", c.get("alpha", 0.3))
        if halving_shift(slope) is not None:  # x * 2**-k is exact in float64, as in the firmware's type
            return np.where(x > 0, x, x * float(slope))
    if cls in ("LeakyReLU", "PReLU", "ELU", "ThresholdedReLU"):
        raise refuse(
            layer,
            "a float activation hls4ml 1.3 computes with its slope or table in fixed-point types the model does not "
            "define; replace it with a LeakyReLU of a power-of-two slope (negative_slope=0.125, ...) "
            "or QActivation('quantized_relu(bits, integer)') in its place",
        )
    if cls == "Sampling":
        raise refuse(layer, "random sampling has no firmware; only the VAE encoder goes to firmware")
    raise refuse(layer, f"no exact float64 reference for this layer class (accepted: {', '.join(SUPPORTED)})")
