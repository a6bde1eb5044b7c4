"""Tiny QKeras/Keras models for the hls4ml conversion tests (kept small: the g++ compile is the cost)."""

from __future__ import annotations

import numpy as np

from codesign import keras_env
from codesign.precision import FixedPrecision

keras_env.setup()

INPUT_PRECISION = FixedPrecision.parse("ap_fixed<16,6>")
PART = "xcvu9p-flga2104-2L-e"


def convert(model, out, *, backend: str = "Vitis", io_type: str = "io_parallel", input_precision=INPUT_PRECISION, **kw):
    """hls4ml conversion as the tests make it: Latency, reuse factor 1, 5 ns, PART; ``kw`` goes to hls.convert."""
    from codesign import hls

    return hls.convert(model, backend=backend, io_type=io_type, strategy="Latency", reuse_factor=1, clock_ns=5.0,
                       part=PART, input_precision=input_precision, output_dir=out, **kw)  # fmt: skip


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


def randomize_trainable(model, seed: int) -> None:
    """Random weights for the trainable layers only (fixed layers, e.g. a user's 0/1 matrices, stay)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.trainable and layer.get_weights():
            layer.set_weights([rng.normal(0.0, 0.6, w.shape) for w in layer.get_weights()])


def interaction_net(bits: int = 8, n_const: int = 4, n_feat: int = 2, seed: int = 5, phi: tuple[int, ...] = (4,)):
    """The zoo's interaction network, tiny, quantized by codesign's own to_qkeras (as a build does)."""
    from codesign import quantize, zoo
    from codesign.spec import ModelSpec, QuantizeSpec

    spec = ModelSpec(family="interaction_net", phi=phi, rho=(), aggregation="mean")
    model = quantize.to_qkeras(zoo.build_model(spec, (n_const, n_feat), 3, seed=seed), QuantizeSpec(bits=bits))
    randomize_trainable(model, seed)
    return model


def po2_mlp(seed: int = 7, n_in: int = 8):
    """QDense with power-of-two kernels (quantized_po2) -> quantized_relu -> QDense logits with po2 kernels."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_po2

    keras = keras_env.keras()
    inp = keras.Input((n_in,), name="inputs")
    x = QDense(6, kernel_quantizer=quantized_po2(4), bias_quantizer=quantized_bits(8, 2, alpha=1), name="po2_dense")(inp)
    x = QActivation("quantized_relu(6,2)", name="relu1")(x)
    x = QDense(3, kernel_quantizer=quantized_po2(5, 1), bias_quantizer=quantized_bits(8, 2, alpha=1), name="logits")(x)
    model = keras.Model(inp, x, name="po2_mlp")
    _randomize(model, seed)
    return model


def reshaping(seed: int = 31, rank: int = 2):
    """Foreign-style moves around a QConv: ZeroPadding -> QConv 3 -> quantized_relu -> UpSampling (nearest) ->
    Cropping -> Flatten -> QDense; 1-D (rank 1, input (5, 2)) or 2-D (rank 2, input (4, 3, 2))."""
    from qkeras import QActivation, QConv1D, QConv2D, QDense

    keras = keras_env.keras()
    L = keras.layers
    q = "quantized_bits(6,0,alpha=1)"
    if rank == 1:
        pad, conv, up, crop = L.ZeroPadding1D((1, 2)), QConv1D, L.UpSampling1D(3), L.Cropping1D((2, 1))
        inp = keras.Input((5, 2), name="seq")
    else:
        pad, conv, up = L.ZeroPadding2D(((1, 0), (1, 1))), QConv2D, L.UpSampling2D((2, 3))
        crop = L.Cropping2D(((1, 2), (0, 1)))
        inp = keras.Input((4, 3, 2), name="image")
    for layer, name in ((pad, "pad"), (up, "up"), (crop, "crop")):
        layer._name = name
    x = pad(inp)
    x = conv(3, 3, kernel_quantizer=q, bias_quantizer=q, name="conv")(x)
    x = QActivation("quantized_relu(6,2)", name="relu")(x)
    x = crop(up(x))
    x = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="logits")(L.Flatten(name="flat")(x))
    model = keras.Model(inp, x, name=f"reshaping{rank}d")
    _randomize(model, seed)
    return model


def qconv2d(seed: int = 8, side: int = 6):
    """QConv2D 3x3 'same' -> quantized_relu -> MaxPooling2D -> QConv2D 2x2 stride 2 'valid' -> AvgPool -> QDense."""
    from qkeras import QActivation, QConv2D, QDense

    keras = keras_env.keras()
    L = keras.layers
    q = "quantized_bits(6,0,alpha=1)"
    inp = keras.Input((side, side, 2), name="image")
    x = QConv2D(3, (3, 3), padding="same", kernel_quantizer=q, bias_quantizer=q, name="conv_a")(inp)
    x = QActivation("quantized_relu(6,2)", name="relu_a")(x)
    x = L.MaxPooling2D((2, 2), name="maxpool")(x)  # (3, 3, 3)
    x = QConv2D(4, (2, 2), strides=(1, 2), kernel_quantizer=q, bias_quantizer=q, activation="quantized_relu(5,2)",
                name="conv_b")(x)  # (2, 1, 4) fmt: skip
    x = L.AveragePooling2D((2, 1), name="avgpool")(x)  # (1, 1, 4)
    x = L.Flatten(name="flat")(x)
    x = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="logits")(x)
    model = keras.Model(inp, x, name="qconv2d")
    _randomize(model, seed)
    return model


def merges(seed: int = 9, n: int = 4, f: int = 3):
    """Two inputs; Add/Subtract/Multiply/Maximum/Minimum, Concatenate, Permute, standalone BatchNormalization."""
    from qkeras import QActivation, QConv1D, QDense

    keras = keras_env.keras()
    L = keras.layers
    q = "quantized_bits(6,0,alpha=1)"
    x1 = keras.Input((n, f), name="tracks")
    x2 = keras.Input((n, f), name="towers")
    a = QConv1D(4, 1, kernel_quantizer=q, bias_quantizer=q, name="embed_a")(x1)
    a = QActivation("quantized_relu(6,2)", name="relu_a")(a)
    b = QConv1D(4, 1, kernel_quantizer=q, bias_quantizer=q, name="embed_b")(x2)
    b = QActivation("quantized_bits(6,2,alpha=1)", name="q_b")(b)
    s = L.Add(name="add")([a, b])
    d = L.Subtract(name="sub")([a, b])
    m = L.Multiply(name="mul")([a, b])
    mx = L.Maximum(name="max")([s, d])
    mn = L.Minimum(name="min")([s, m])
    c = L.Concatenate(axis=-1, name="cat")([mx, mn])  # (n, 8)
    p = L.Permute((2, 1), name="swap")(c)  # (8, n); a layer named "perm" breaks hls4ml (attribute clash)
    bn = L.BatchNormalization(name="bn")(p)
    y = L.Flatten(name="flat")(bn)
    y = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="logits")(y)
    model = keras.Model([x1, x2], y, name="merges")
    _randomize(model, seed)
    bn_layer = model.get_layer("bn")
    rng = np.random.default_rng(seed)
    gamma, beta = rng.normal(1.0, 0.3, n), rng.normal(0.0, 0.5, n)
    mean, var = rng.normal(0.0, 0.5, n), rng.uniform(0.5, 2.0, n)
    bn_layer.set_weights([gamma, beta, mean, var])
    return model


def auto_po2_mlp(seed: int = 10, n_in: int = 8):
    """QDense with quantized_bits(alpha='auto_po2') kernels (per-channel power-of-two scales) -> relu -> QDense."""
    from qkeras import QActivation, QDense, quantized_bits

    keras = keras_env.keras()
    inp = keras.Input((n_in,), name="inputs")
    k = quantized_bits(6, 0, alpha="auto_po2")
    x = QDense(5, kernel_quantizer=k, bias_quantizer=quantized_bits(8, 3, alpha=1), name="scaled")(inp)
    x = QActivation("quantized_relu(6,2)", name="relu1")(x)
    x = QDense(3, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="logits")(x)  # fmt: skip
    model = keras.Model(inp, x, name="auto_po2_mlp")
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.get_weights():
            # per-channel magnitudes from 1/8 to 4: the scales differ between channels
            ws = layer.get_weights()
            ws[0] = rng.normal(0.0, 1.0, ws[0].shape) * (2.0 ** rng.integers(-3, 3, ws[0].shape[-1]))
            ws[1] = rng.normal(0.0, 0.5, ws[1].shape)
            layer.set_weights(ws)
    return model
