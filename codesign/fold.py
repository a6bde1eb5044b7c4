"""Graph rewrites before quantization: fold BatchNormalization into the Dense/Conv1D before it.

QKeras would quantize a BatchNormalization with its own float arithmetic that hls4ml does not reproduce bit
for bit; folded into the preceding layer's kernel and bias it costs nothing and quantizes like any weight.
"""

from __future__ import annotations

import numpy as np

from codesign import keras_env
from codesign.errors import SpecError

keras = keras_env.keras()

WEIGHT_LAYERS = ("Dense", "Conv1D")


def producers(model) -> dict[str, str]:
    """Name of the single layer feeding each layer (layers with several inputs are left out)."""
    out = {}
    for layer in model.layers:
        for node in layer._inbound_nodes:
            inbound = node.inbound_layers
            if not isinstance(inbound, (list, tuple)):
                out[layer.name] = inbound.name
    return out


def _fold_target(bn, layers: dict, feeds: dict):
    """The Dense/Conv1D that BatchNormalization ``bn`` can be folded into, or a SpecError saying why not."""
    prod = layers.get(feeds.get(bn.name, ""))
    axis = bn.get_config()["axis"]
    axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
    ok = (
        prod is not None
        and type(prod).__name__ in WEIGHT_LAYERS
        and prod.get_config()["activation"] == "linear"
        and len(prod._outbound_nodes) == 1
        and axis in (-1, len(bn.input_shape) - 1)
    )
    if not ok:
        raise SpecError(
            f"layer {bn.name!r}: BatchNormalization can only be quantized folded into the Dense/Conv1D right "
            f"before it (no activation in between, no other consumer, last axis); set model.batchnorm: false, "
            f"or quantize: null for a float build"
        )
    return prod


def fold_batchnorm(model):
    """A copy of ``model`` with each BatchNormalization folded into the Dense/Conv1D before it.

    The folded layer gets ``W * g / sqrt(var + eps)`` and ``(b - mean) * g / sqrt(var + eps) + beta``; a
    linear ``Activation`` keeps the BatchNormalization's name (hls4ml removes it). Returns ``model`` itself
    when it has no BatchNormalization.
    """
    layers = {layer.name: layer for layer in model.layers}
    feeds = producers(model)
    folds = {}
    for bn in (layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"):
        prod = _fold_target(bn, layers, feeds)
        scale = 1.0 / np.sqrt(bn.moving_variance.numpy().astype(np.float64) + bn.epsilon)
        if bn.gamma is not None:
            scale = scale * bn.gamma.numpy()
        shift = bn.beta.numpy() if bn.beta is not None else 0.0
        kernel = prod.kernel.numpy().astype(np.float64)
        bias = prod.bias.numpy().astype(np.float64) if prod.use_bias else np.zeros(kernel.shape[-1])
        folds[prod.name] = [
            (kernel * scale).astype(np.float32),
            ((bias - bn.moving_mean.numpy()) * scale + shift).astype(np.float32),
        ]
    if not folds:
        return model
    bn_names = {bn.name for bn in model.layers if type(bn).__name__ == "BatchNormalization"}

    def clone_fn(layer):
        if layer.name in bn_names:
            return keras.layers.Activation("linear", name=layer.name)
        cfg = layer.get_config()
        if layer.name in folds:
            cfg["use_bias"] = True
        return layer.__class__.from_config(cfg)

    folded = keras.models.clone_model(model, clone_function=clone_fn)
    for layer in folded.layers:
        if layer.name in folds:
            layer.set_weights(folds[layer.name])
        elif layer.name not in bn_names:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return folded
