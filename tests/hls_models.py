"""Tiny QKeras/Keras models for the hls4ml conversion tests (kept small: the g++ compile is the cost)."""

from __future__ import annotations

import numpy as np

from codesign import keras_env
from codesign.precision import FixedPrecision

keras_env.setup()

INPUT_PRECISION = FixedPrecision.parse("ap_fixed<16,6>")
PART = "xcvu9p-flga2104-2L-e"


def _randomize(model, seed: int, zero_fraction: float = 0.0) -> None:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        new = []
        for w in ws:
            v = rng.normal(0.0, 0.6, w.shape)
            if zero_fraction and w.ndim > 1:
                v[rng.random(w.shape) < zero_fraction] = 0.0
            new.append(v)
        layer.set_weights(new)


def qmlp(bits: int, seed: int = 0, zero_fraction: float = 0.0, n_in: int = 16, hidden: int = 8, n_out: int = 5):
    """Input -> QDense -> QActivation(quantized_relu) -> QDense 'output_logits' -> softmax, as the model side builds."""
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    q = f"quantized_bits({bits},0,alpha=1)"
    inp = keras.Input((n_in,), name="inputs")
    x = QDense(hidden, kernel_quantizer=q, bias_quantizer=q, name="dense1")(inp)
    x = QActivation(f"quantized_relu({bits},2)", name="relu1")(x)
    x = QDense(n_out, kernel_quantizer=q, bias_quantizer=q, name="output_logits")(x)
    out = keras.layers.Activation("softmax", name="softmax")(x)
    model = keras.Model(inp, out, name=f"qmlp{bits}")
    _randomize(model, seed, zero_fraction)
    return model


def two_heads(seed: int = 1):
    """Two outputs: a wide linear head (27-bit sums) and a head behind QActivation(quantized_bits)."""
    from qkeras import QActivation, QDense, quantized_bits

    keras = keras_env.keras()
    q8 = quantized_bits(8, 0, alpha=1)
    inp = keras.Input((16,), name="inputs")
    wide = QDense(4, kernel_quantizer=q8, bias_quantizer=q8, name="wide_head")(inp)
    t = QDense(8, kernel_quantizer=q8, bias_quantizer=q8, name="trunk")(inp)
    t = QActivation(quantized_bits(6, 2, alpha=1), name="trunk_q")(t)
    b = QDense(3, kernel_quantizer=q8, bias_quantizer=q8, name="narrow_head")(t)
    model = keras.Model(inp, [wide, b], name="two_heads")
    _randomize(model, seed)
    return model


def float_mlp(seed: int = 2):
    """A float Keras classifier with a softmax output (no quantizers)."""
    keras = keras_env.keras()
    inp = keras.Input((16,), name="inputs")
    x = keras.layers.Dense(8, activation="relu", name="dense1")(inp)
    x = keras.layers.Dense(5, name="logits")(x)
    out = keras.layers.Activation("softmax", name="softmax")(x)
    model = keras.Model(inp, out, name="float_mlp")
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.normal(0.0, 0.4, w.shape) for w in layer.get_weights()])
    return model


def deepsets(bits: int = 6, seed: int = 3, n_const: int = 8, n_feat: int = 3, pooling: str = "avg", phi: str = "conv"):
    """QConv1D(kernel 1) (or QDense on 3-D input) per constituent -> quantized_relu -> pooling -> QDense logits."""
    from qkeras import QActivation, QConv1D, QDense

    keras = keras_env.keras()
    q = f"quantized_bits({bits},0,alpha=1)"
    inp = keras.Input((n_const, n_feat), name="constituents")
    if phi == "conv":
        x = QConv1D(8, 1, kernel_quantizer=q, bias_quantizer=q, name="phi")(inp)
    else:
        x = QDense(8, kernel_quantizer=q, bias_quantizer=q, name="phi")(inp)
    x = QActivation(f"quantized_relu({bits},2)", name="phi_relu")(x)
    pool = keras.layers.GlobalAveragePooling1D if pooling == "avg" else keras.layers.GlobalMaxPooling1D
    x = pool(name="pool")(x)
    x = QDense(4, kernel_quantizer=q, bias_quantizer=q, name="output_logits")(x)
    model = keras.Model(inp, x, name="deepsets")
    _randomize(model, seed)
    return model
