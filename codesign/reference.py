"""Exact float64 reference outputs of a QKeras model, computed independently of hls4ml.

QKeras evaluates in float32: its quantizers cast their input to float32 and a dense layer's sum is
rounded to 24 bits, so for accumulators wider than 24 bits (8-bit weights x 16-bit inputs already give 24)
``model.predict`` can differ from the exact fixed-point result the firmware computes. This module is a
numpy forward pass in float64 over the model's weights, applying each QKeras quantizer by its definition
(``quantized_bits``: clip(round_half_even(x * 2**(bits-1-integer))) / 2**(bits-1-integer);
``quantized_relu``: clip(round_half_even(x * 2**(bits-integer)), 0, 2**bits - 1) / 2**(bits-integer)).
Every sum of fixed-point products is exact in float64 while it fits 53 bits, which is checked.

Supported layers: InputLayer, (Q)Dense, (Q)Conv1D with kernel_size 1, (Q)Activation (linear, relu,
softmax is refused: compare logits), GlobalAveragePooling1D, GlobalMaxPooling1D, Flatten, Dropout,
Reshape. Anything else raises :class:`SpecError` naming the layer, rather than returning a guess.
Float layers (no quantizer) are evaluated in float64 too, which gives a float model's outputs for an
agreement check; :func:`exact_reference_reason` says when the result is not a bit-exact reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError


def _cfg(q: Any) -> tuple[str, dict]:
    if q is None:
        return "", {}
    if isinstance(q, str):
        return q, {}
    name = type(q).__name__
    get = getattr(q, "get_config", None)
    return name, (get() if get else {})


def apply_quantizer(q: Any, x: np.ndarray, where: str) -> np.ndarray:
    """Apply a QKeras quantizer (object) or Keras activation (name) to float64 values by its definition."""
    name, c = _cfg(q)
    if q is None or name in ("linear", ""):
        return x
    if callable(q) and not hasattr(q, "get_config") and getattr(q, "__name__", "") in ("linear", "relu"):
        name = q.__name__
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "quantized_bits":
        alpha = c.get("alpha")
        if alpha not in (None, 1, 1.0):
            raise SpecError(f"{where}: quantized_bits with alpha={alpha!r} has no exact reference (use alpha=1)")
        if c.get("use_stochastic_rounding"):
            raise SpecError(f"{where}: stochastic rounding has no exact reference")
        bits, integer = int(c["bits"]), int(c.get("integer", 0))
        keep_negative = bool(c.get("keep_negative", True))
        symmetric = int(bool(c.get("symmetric", False)))
        unsigned_bits = bits - int(keep_negative)
        if unsigned_bits <= 0:
            raise SpecError(f"{where}: 1-bit quantized_bits (binary) has no exact reference here")
        m = 2.0**unsigned_bits
        m_i = 2.0**integer
        p = np.round(x * (m / m_i))  # numpy rounds half to even, as tf.round
        lo = (-m + symmetric) if keep_negative else 0.0
        return np.clip(p, lo, m - 1) * (m_i / m)
    if name == "quantized_relu":
        if c.get("use_sigmoid") or c.get("negative_slope") or c.get("use_stochastic_rounding"):
            raise SpecError(
                f"{where}: quantized_relu with sigmoid/negative_slope/stochastic rounding has no exact reference"
            )
        if c.get("relu_upper_bound") is not None and not c.get("is_quantized_clip", True):
            raise SpecError(f"{where}: quantized_relu with relu_upper_bound has no exact reference")
        bits, integer = int(c["bits"]), int(c.get("integer", 0))
        m = 2.0**bits
        m_i = 2.0**integer
        p = np.round(x * (m / m_i))
        return np.clip(p, 0.0, m - 1) * (m_i / m)
    if name == "softmax":
        raise SpecError(f"{where}: softmax has no exact fixed-point reference; compare the logits before it")
    raise SpecError(
        f"{where}: activation/quantizer '{name or q}' has no exact float64 reference "
        "(supported: linear, relu, quantized_bits(alpha=1), quantized_relu)"
    )


def _act_of(layer: Any) -> Any:
    a = getattr(layer, "activation", None)
    if a is None:
        return None
    if hasattr(a, "get_config"):
        return a
    return getattr(a, "__name__", str(a))


def _weights(layer: Any) -> tuple[np.ndarray, np.ndarray | None]:
    w = [np.asarray(v, dtype=np.float64) for v in layer.get_weights()]
    kernel = w[0]
    bias = w[1] if len(w) > 1 and getattr(layer, "use_bias", True) else None
    kq = getattr(layer, "kernel_quantizer_internal", None)
    bq = getattr(layer, "bias_quantizer_internal", None)
    if kq is not None:
        kernel = apply_quantizer(kq, kernel, f"{layer.name}.kernel_quantizer")
    if bias is not None and bq is not None:
        bias = apply_quantizer(bq, bias, f"{layer.name}.bias_quantizer")
    return kernel, bias


def _is_quantized(layer: Any) -> bool:
    return getattr(layer, "kernel_quantizer_internal", None) is not None


def exact_reference_reason(model: Any) -> str | None:
    """Why the model's float64 outputs are not a bit-exact reference for its firmware, or None if they are.

    Layers with float weights (no QKeras kernel quantizer) are the usual reason: the firmware rounds
    them to its default precision, which the float model does not do.
    """
    floats = [
        lyr.name
        for lyr in model.layers
        if type(lyr).__name__ in ("Dense", "QDense", "Conv1D", "QConv1D") and not _is_quantized(lyr)
    ]
    if floats:
        return (
            f"layer(s) {', '.join(floats)} have float weights (no QKeras quantizer): the firmware rounds them "
            "to its default precision, so the float model is not a bit-exact reference"
        )
    return None


def _exact_sum_bits_ok(x: np.ndarray, layer: Any) -> None:
    # float64 has 53 mantissa bits; a result needing more would be rounded and "exact" would be a lie
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return
    scale = 0
    # smallest power of two that makes every value an integer
    for _ in range(80):
        if np.all(finite * 2.0**scale == np.round(finite * 2.0**scale)):
            break
        scale += 1
    mag = np.max(np.abs(finite)) * 2.0**scale
    if mag >= 2.0**53:
        raise SpecError(f"layer '{layer.name}': intermediate values need more than 53 bits; no exact float64 reference")


def _inbound(layer: Any) -> list[Any]:
    nodes = layer.inbound_nodes
    if not nodes:
        return []
    if len(nodes) > 1:
        raise SpecError(f"layer '{layer.name}' is used more than once; the reference supports single-use layers")
    ib = nodes[0].inbound_layers
    return list(ib) if isinstance(ib, (list, tuple)) else [ib]


def _is_softmax_layer(layer: Any) -> bool:
    cls = type(layer).__name__
    if cls == "Softmax":
        return True
    return cls in ("Activation", "QActivation") and str(layer.get_config().get("activation")) == "softmax"


def _is_softmax(layer: Any) -> bool:
    """A softmax layer, or a layer whose activation is softmax."""
    if _is_softmax_layer(layer):
        return True
    return _act_of(layer) == "softmax"


def forward(layer: Any, x: np.ndarray, *, linear: bool = False) -> np.ndarray:
    """One layer of the float64 forward pass (``linear``: without the layer's own activation)."""
    cls = type(layer).__name__
    if cls == "InputLayer":
        return x
    if cls in ("Dense", "QDense"):
        kernel, bias = _weights(layer)
        y = np.matmul(x, kernel)
        if bias is not None:
            y = y + bias
        if _is_quantized(layer):
            _exact_sum_bits_ok(y, layer)
        return y if linear else apply_quantizer(_act_of(layer), y, f"{layer.name}.activation")
    if cls in ("Conv1D", "QConv1D"):
        if tuple(layer.kernel_size) != (1,) or tuple(layer.strides) != (1,) or layer.data_format != "channels_last":
            raise SpecError(
                f"layer '{layer.name}': only Conv1D with kernel_size 1, stride 1, channels_last is supported"
            )
        kernel, bias = _weights(layer)
        y = np.matmul(x, kernel[0])
        if bias is not None:
            y = y + bias
        if _is_quantized(layer):
            _exact_sum_bits_ok(y, layer)
        return y if linear else apply_quantizer(_act_of(layer), y, f"{layer.name}.activation")
    if cls in ("Activation", "QActivation"):
        q = getattr(layer, "quantizer", None) if cls == "QActivation" else None
        return apply_quantizer(q if q is not None else _act_of(layer), x, layer.name)
    if cls == "ReLU":
        return np.maximum(x, 0.0)
    if cls in ("Dropout", "InputSpec"):
        return x
    if cls == "Flatten":
        return x.reshape(x.shape[0], -1)
    if cls == "Reshape":
        return x.reshape((x.shape[0],) + tuple(layer.target_shape))
    if cls == "GlobalAveragePooling1D":
        return np.mean(x, axis=1)
    if cls == "GlobalMaxPooling1D":
        return np.max(x, axis=1)
    raise SpecError(f"layer '{layer.name}' ({cls}) has no exact float64 reference")


def reference_outputs(model: Any, x: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """The model's pre-softmax outputs for ``x`` computed exactly in float64 (one array per output, flattened).

    A softmax at an output (a softmax layer, or a layer with a softmax activation) is left out, as
    :func:`codesign.hls.convert` leaves it out of the firmware: the result is the logits.
    """
    xs = x if isinstance(x, (list, tuple)) else [x]
    inputs = [t.node.layer.name if hasattr(t, "node") else None for t in model.inputs]
    input_layers = [lyr for lyr in model.layers if type(lyr).__name__ == "InputLayer"]
    if any(n is None for n in inputs):
        inputs = [lyr.name for lyr in input_layers]
    if len(xs) != len(inputs):
        raise SpecError(f"the model has {len(inputs)} input(s), got {len(xs)} array(s)")
    values: dict[str, np.ndarray] = {}
    for name, a, t in zip(inputs, xs, model.inputs, strict=True):
        shape = tuple(int(d) for d in t.shape[1:])
        values[name] = np.asarray(a, dtype=np.float64).reshape((len(a),) + shape)
    for layer in model.layers:
        if layer.name in values:
            continue
        ins = _inbound(layer)
        if not ins:
            # Sequential models built without an explicit Input: the first layer reads the model input
            ins_vals = [values[inputs[0]]]
        else:
            ins_vals = [values[i.name] for i in ins]
        if len(ins_vals) != 1:
            raise SpecError(f"layer '{layer.name}' has {len(ins_vals)} inputs; the reference supports one")
        if layer.name in model.output_names and _is_softmax(layer):
            # a final softmax: the reference is its input, the logits the firmware outputs
            values[layer.name] = ins_vals[0] if _is_softmax_layer(layer) else forward(layer, ins_vals[0], linear=True)
            continue
        values[layer.name] = forward(layer, ins_vals[0])
    outs = [values[n].reshape(values[n].shape[0], -1) for n in model.output_names]
    return outs if len(outs) > 1 else outs[0]


def float32_is_exact(model: Any, x: np.ndarray) -> bool:
    """Whether QKeras' own float32 ``predict`` equals the float64 reference on ``x``."""
    ref = reference_outputs(model, x)
    got = model.predict(x, verbose=0)
    refs = ref if isinstance(ref, list) else [ref]
    gots = got if isinstance(got, list) else [got]
    return all(np.array_equal(np.asarray(g, np.float64).reshape(r.shape), r) for r, g in zip(refs, gots, strict=True))
