"""Depthwise and separable convolutions evaluated exactly in float64, as hls4ml 1.3's firmware computes them.

hls4ml splits a separable convolution into a depthwise and a pointwise (1x1) convolution whose types it infers from
the quantizers (exact sums); each channel of a depthwise convolution is convolved with its own kernel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.reference.layers import SEPARABLE, _check_conv_config, _windows, check_exact, has_float_kernel, refuse
from codesign.reference.quantizers import frac_bits, quantize_weights


def depthwise(layer: Any, x: np.ndarray, strict: bool) -> np.ndarray:
    """Depthwise (each channel by its own kernel) or separable (depthwise, then a 1x1 convolution) convolution,
    before the activation; hls4ml 1.3 splits a separable one into those two layers with exact inferred types."""
    cls = type(layer).__name__
    _check_conv_config(layer)
    if int(layer.get_config().get("depth_multiplier", 1)) != 1:
        raise refuse(layer, f"depth_multiplier {layer.get_config()['depth_multiplier']} (accepted: 1)")
    ws = [np.asarray(v, dtype=np.float64) for v in layer.get_weights()]
    where = f"layer '{layer.name}' ({cls})"
    dk = quantize_weights(getattr(layer, "depthwise_quantizer_internal", None), ws[0], f"{where} depthwise_quantizer")
    rank = dk.ndim - 2
    dk = dk[..., 0]
    win = _windows(layer, x, dk.shape[:rank], tuple(layer.strides), layer.padding)
    spec = "nlck,kc->nlc" if rank == 1 else "nhwcij,ijc->nhwc"
    y = np.einsum(spec, win, dk)
    bound = np.einsum(spec, np.abs(win), np.abs(dk))
    lsb = frac_bits(x) + frac_bits(dk)
    quantized = not has_float_kernel(layer)
    if strict and quantized:
        check_exact(layer, bound, lsb)
    rest = ws[1:]
    if cls in SEPARABLE:
        pq = getattr(layer, "pointwise_quantizer_internal", None)
        pk = quantize_weights(pq, rest.pop(0), f"{where} pointwise_quantizer").reshape(y.shape[-1], -1)
        bound = np.matmul(bound, np.abs(pk))
        y = np.matmul(y, pk)
        lsb += frac_bits(pk)
    if rest and getattr(layer, "use_bias", True):
        bias = quantize_weights(getattr(layer, "bias_quantizer_internal", None), rest[0], f"{where} bias_quantizer")
        y, bound, lsb = y + bias, bound + np.abs(bias), max(lsb, frac_bits(bias))
    if strict and quantized:
        check_exact(layer, bound, lsb)
    return y
