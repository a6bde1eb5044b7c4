"""One Keras/QKeras layer on da4ml arrays (one sample, no batch axis), as :mod:`codesign.reference.layers` computes it.

Dense and convolution layers are constant matrix products (da4ml's shift-add solver); pooling, merges and
reshapes are da4ml's sums, maxima, products and index moves. :func:`check` refuses, naming the layer and why,
what this module cannot map; :func:`forward` then computes the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.reference.layers import _padding, activation_of, weights
from codesign.reference.quantizers import quantizer_config
from codesign.rtl import constants, graph, quantizers, score

DENSE = ("Dense", "QDense")
CONV = ("Conv1D", "QConv1D", "Conv2D", "QConv2D")
ACTIVATION = ("Activation", "QActivation", "ReLU")
MOVE = ("InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianDropout", "ActivityRegularization",
        "Flatten", "Reshape", "Permute")  # fmt: skip
MERGE = ("Add", "Subtract", "Multiply", "Maximum", "Minimum", "Concatenate")
POOL = ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")
GLOBAL_POOL = ("GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling2D")
SUPPORTED = DENSE + CONV + ACTIVATION + MOVE + MERGE + POOL + GLOBAL_POOL + ("AnomalyScore",) + graph.KINDS
SUPPORTED_TEXT = ("QDense/QConv1D/QConv2D (quantized weights; valid/same padding, any stride), "
                  "QActivation/Activation/ReLU (" + quantizers.ACTIVATIONS + "), Add/Subtract/Multiply/Maximum/"
                  "Minimum/Concatenate, Max/AveragePooling (valid) and their global forms (averages over a power of "
                  "two), Flatten/Reshape/Permute/Dropout, AnomalyScore (rz, mu2, kl, sse), "
                  "EdgePairSum (linear, relu, quantized_relu), ReceiverSum")  # fmt: skip


def refuse(layer: Any, why: str) -> SpecError:
    """The error for a layer the RTL route cannot build: names the layer, its class, why, and what is accepted."""
    return SpecError(
        f"layer '{layer.name}' ({type(layer).__name__}) is not supported by the RTL route (--rtl): {why} "
        f"(supported: {SUPPORTED_TEXT}; a final softmax is left out as in the HLS firmware)"
    )


def require_fixed_weights(layer: Any) -> None:
    """Raise :func:`refuse` for a Dense/Conv layer with float weights (no QKeras kernel quantizer)."""
    if type(layer).__name__ in DENSE + CONV and getattr(layer, "kernel_quantizer_internal", None) is None:
        raise refuse(layer, "float weights (no QKeras kernel quantizer) have no fixed-point RTL")


def check(layer: Any) -> None:
    """Raise :func:`refuse` for a layer (or a layer setting) the RTL route cannot map."""
    cls = type(layer).__name__
    if cls in ("BatchNormalization", "QBatchNormalization"):
        raise refuse(layer, "the firmware rounds its scale and bias to hls4ml's types; fold it into the Dense/Conv "
                            "before it (codesign's quantize step does)")  # fmt: skip
    if cls not in SUPPORTED:
        raise refuse(layer, "no RTL mapping for this layer type")
    if cls == "AnomalyScore":
        score.check(layer)
        return
    cfg = layer.get_config()
    require_fixed_weights(layer)
    if cls in CONV + POOL + GLOBAL_POOL and cfg.get("data_format", "channels_last") != "channels_last":
        raise refuse(layer, "data_format channels_first (accepted: channels_last)")
    if cls in CONV:
        if any(int(d) != 1 for d in np.atleast_1d(cfg.get("dilation_rate", 1))) or int(cfg.get("groups", 1)) != 1:
            raise refuse(layer, "dilated or grouped convolution")
        if cfg.get("padding") not in ("valid", "same"):
            raise refuse(layer, f"padding '{cfg.get('padding')}' (accepted: valid, same)")
    if cls in POOL and cfg.get("padding") != "valid":
        raise refuse(layer, f"pooling with padding '{cfg.get('padding')}' (accepted: valid)")
    act = getattr(layer, "quantizer", None) if cls == "QActivation" else activation_of(layer)
    if cls in DENSE + CONV + ("Activation", "QActivation", "EdgePairSum") and act is not None:
        name, _ = quantizer_config(act)
        if name not in quantizers.NAMES and not (name == "softmax" and cls in DENSE + ("Activation",)):
            raise refuse(layer, f"activation/quantizer '{name}' (accepted: {quantizers.ACTIVATIONS})")
    if cls == "ReLU" and (cfg.get("max_value") is not None or cfg.get("negative_slope") or cfg.get("threshold")):
        raise refuse(layer, "ReLU with max_value/negative_slope/threshold (accepted: a plain ReLU)")


def _gather(x: Any, ksize: tuple[int, ...], strides: tuple[int, ...], pad: str) -> Any:
    """(*out_spatial, *ksize, channels) windows of ``x`` (spatial..., channels), zeros where padded."""
    from da4ml.trace import FixedVariableArray

    spatial, ch = x.shape[:-1], x.shape[-1]
    idx = np.arange(int(np.prod(spatial))).reshape(spatial)
    pads = [_padding(pad, size, s, k) for size, s, k in zip(spatial, strides, ksize, strict=True)]
    idx = np.pad(idx, pads, constant_values=-1)
    win = np.lib.stride_tricks.sliding_window_view(idx, ksize)
    win = win[tuple(slice(None, None, s) for s in strides)]
    rows = np.empty((int(np.prod(spatial)) + 1, ch), dtype=object)  # the last row: the zeros of the padding
    rows[:-1] = x._vars.reshape(-1, ch)
    rows[-1] = [0.0] * ch
    return FixedVariableArray(rows[np.where(win < 0, len(rows) - 1, win)], x.solver_options, hwconf=x.hwconf)


def _linear(layer: Any, x: Any, placed: constants.Placements) -> Any:
    kernel, bias = weights(layer)
    if type(layer).__name__ in DENSE:
        y = x @ kernel
    else:
        rank = kernel.ndim - 2
        ksize, strides = kernel.shape[:rank], tuple(int(s) for s in layer.strides)
        if all(k == 1 for k in ksize) and all(s == 1 for s in strides):  # pointwise: one product per position
            y = x @ kernel.reshape(kernel.shape[-2:])
        else:
            win = _gather(x, ksize, strides, layer.padding)
            out_shape = win.shape[:rank]
            y = win.reshape(*out_shape, -1) @ kernel.reshape(-1, kernel.shape[-1])
    return y if bias is None else _add_bias(y, bias, placed)


def _add_bias(y: Any, bias: np.ndarray, placed: constants.Placements) -> Any:
    """y + bias (on the last axis), each constant placed in its output's adder tree where it is cheapest."""
    from da4ml.trace import FixedVariableArray

    fo = constants.fanout(list(y._vars.ravel()))
    flat = y._vars.reshape(-1, y.shape[-1])
    out = np.empty(flat.shape, dtype=object)
    for r, j in np.ndindex(*flat.shape):
        out[r, j] = constants.add(flat[r, j], float(bias[j]), fo, placed)
    return FixedVariableArray(out.reshape(y._vars.shape), y.solver_options, hwconf=y.hwconf)


def _mean(layer: Any, s: Any, n: int) -> Any:
    if n & (n - 1):
        raise refuse(layer, f"average over {n} values, not a power of two: the firmware rounds the mean")
    return s * (1.0 / n)


def _pool(layer: Any, x: Any) -> Any:
    cls = type(layer).__name__
    ksize = tuple(int(k) for k in np.atleast_1d(layer.pool_size))
    strides = tuple(int(s) for s in np.atleast_1d(layer.strides))
    win = _gather(x, ksize, strides, "valid")
    axes = tuple(range(len(ksize), 2 * len(ksize)))
    if cls.startswith("Max"):
        return np.max(win, axis=axes)
    return _mean(layer, np.sum(win, axis=axes), int(np.prod(ksize)))


def _merge(layer: Any, xs: list[Any]) -> Any:
    cls = type(layer).__name__
    if cls == "Concatenate":
        axis = int(layer.axis)
        return np.concatenate(xs, axis=axis - 1 if axis > 0 else axis)  # no batch axis here
    if len(xs) != 2:
        raise refuse(layer, f"{len(xs)} inputs (hls4ml 1.3 merges two)")
    a, b = xs
    return {"Add": lambda: a + b, "Subtract": lambda: a - b, "Multiply": lambda: a * b,
            "Maximum": lambda: np.maximum(a, b), "Minimum": lambda: np.minimum(a, b)}[cls]()  # fmt: skip


def forward(layer: Any, xs: list[Any], placed: constants.Placements, *, linear: bool = False) -> Any:
    """The layer's output for its inputs ``xs`` (da4ml arrays); ``linear``: without its own activation; ``placed``:
    the graph's rebuilt adders (:mod:`codesign.rtl.constants`)."""
    check(layer)
    cls = type(layer).__name__
    if cls in MERGE:
        return _merge(layer, xs)
    if cls == "AnomalyScore":
        return score.forward(layer, xs)
    if cls in graph.KINDS:
        return graph.forward(layer, xs, placed, linear=linear)
    if len(xs) != 1:
        raise refuse(layer, f"{len(xs)} inputs where one is expected")
    x = xs[0]
    if cls in DENSE + CONV:
        y = _linear(layer, x, placed)
        return y if linear else quantizers.apply(activation_of(layer), y, f"layer '{layer.name}' activation", placed)
    if cls in ("Activation", "QActivation"):
        q = getattr(layer, "quantizer", None) if cls == "QActivation" else None
        return quantizers.apply(
            q if q is not None else activation_of(layer), x, f"layer '{layer.name}' ({cls})", placed
        )
    if cls == "ReLU":
        return x.relu()
    if cls == "Flatten":
        return x.ravel()
    if cls == "Reshape":
        return x.reshape(tuple(int(d) for d in layer.target_shape))
    if cls == "Permute":
        return x.transpose(tuple(int(d) - 1 for d in layer.dims))
    if cls in POOL:
        return _pool(layer, x)
    if cls in GLOBAL_POOL:
        axes = tuple(range(x.ndim - 1))
        if "Max" in cls:
            return np.max(x, axis=axes)
        return _mean(layer, np.sum(x, axis=axes), int(np.prod(x.shape[:-1])))
    return x  # InputLayer, dropout-like layers
