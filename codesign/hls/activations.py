"""Float Keras activations and activation layers hls4ml 1.3 does not write as the model computes them, refused by name.

Checked before any training (:func:`require_activation_kernels`, called by ``require_convertible``):

- an activation the Vivado/Vitis ``nnet_activation.h`` has no function for (``swish``/``silu``, ``gelu``, ``mish``,
  ``exponential``, ...), as an ``Activation`` layer or a layer's own ``activation``: hls4ml 1.3 writes a call to
  ``nnet::<name>`` all the same and g++ stopped the build after conversion ("'swish' is not a member of 'nnet'");
- a ``ReLU`` layer with ``max_value``, ``negative_slope`` or ``threshold``: hls4ml 1.3's converter reads none of
  them and writes a plain ``nnet::relu``, so the firmware clipped nothing and the build said "bit-exact: yes" (the
  emulator runs the firmware as written) while the float agreement showed the model's clipped values differ;
- a ``PReLU`` with ``shared_axes``, on which its converter raises (an internal error);
- a ``QActivation`` whose quantizer hls4ml 1.3's QKeras converter does not read (``quantized_relu_po2``,
  ``quantized_hswish`` ...: an internal error), or that holds a QKeras function other than binary/ternary tanh
  (``hard_sigmoid`` was converted as Keras' function of another slope, ``hard_tanh`` failed).

QKeras layers are left to the reference (their ``activation`` may be a quantizer) and recurrent layers to
:mod:`codesign.hls.recurrent` (their activations go to other kernels).
"""

from __future__ import annotations

from typing import Any

from codesign.errors import SpecError

# Keras activation names whose hls4ml 1.3 conversion has a Vivado/Vitis kernel (hard_sigmoid as HardActivation,
# elu as ELU, leaky_relu as LeakyReLU, softmax as Softmax)
KERNEL_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu", "selu",
                      "hard_sigmoid", "leaky_relu")  # fmt: skip
# the QActivation quantizers and QKeras functions hls4ml 1.3's converter reads (converters/keras/qkeras.py)
QACTIVATION_QUANTIZERS = ("quantized_relu", "quantized_tanh", "quantized_sigmoid", "quantized_bits", "binary",
                          "ternary")  # fmt: skip
QACTIVATION_FUNCTIONS = ("binary_tanh", "ternary_tanh")
_SKIPPED_CLASSES = ("LSTM", "GRU", "SimpleRNN", "Bidirectional", "InputLayer")


def _activation_name(act: Any) -> str | None:
    """A Keras activation's name as the layer config holds it (a string, or a serialized {class_name, config})."""
    if isinstance(act, str):
        return act
    if isinstance(act, dict):  # Keras 3 style serialization of a function
        inner = act.get("config")
        return inner if isinstance(inner, str) else act.get("class_name")
    return getattr(act, "__name__", None)


def _no_kernel(layer: Any) -> str | None:
    """``activation='<name>'`` when ``layer`` (a float Keras layer) uses an activation without a kernel."""
    kind = type(layer).__name__
    if kind == "QActivation":  # a Keras activation in a QActivation is converted as that Activation
        q = getattr(layer, "quantizer", None)
        if q is None or hasattr(q, "get_config") or str(getattr(q, "__module__", "")).startswith("qkeras"):
            return None  # a QKeras quantizer or function: _qactivation_unread
        name = getattr(q, "__name__", None)
    elif kind in _SKIPPED_CLASSES or kind.startswith("Q") or type(layer).__module__.startswith(("qkeras", "codesign")):
        return None  # QKeras layers: the reference; codesign's own layers: their fixed C++ templates, not nnet_activation.h
    else:
        name = _activation_name(layer.get_config().get("activation"))
    if name is None or "(" in name or name.lower() in KERNEL_ACTIVATIONS:
        return None
    return f"activation='{name}'"


def _qactivation_unread(layer: Any) -> str | None:
    """What hls4ml 1.3's QActivation converter does not read as QKeras computes it: a quantizer class outside its
    list (it raised "Unsupported QKeras activation", an internal error), or a QKeras function other than
    binary_tanh/ternary_tanh (``hard_sigmoid``, QKeras' clip(0.5 x + 0.5, 0, 1), was converted as Keras' hard_sigmoid,
    clip(0.2 x + 0.5, 0, 1); ``hard_tanh`` failed to convert)."""
    if type(layer).__name__ != "QActivation":
        return None
    q = getattr(layer, "quantizer", None)
    if q is None:
        return None
    if hasattr(q, "get_config"):
        name = type(q).__name__
        return None if name in QACTIVATION_QUANTIZERS else f"quantizer {name}"
    name = str(getattr(q, "__name__", q))
    if str(getattr(q, "__module__", "")).startswith("qkeras") and name not in QACTIVATION_FUNCTIONS:
        return f"QKeras function {name}"
    return None


def _relu_setting(layer: Any) -> str | None:
    """The ``ReLU`` layer settings hls4ml 1.3 does not read, as ``key=value`` (None when it reads the layer whole)."""
    if type(layer).__name__ != "ReLU":
        return None
    cfg = layer.get_config()
    unread = [f"{k}={float(cfg[k]):g}" for k in ("max_value", "negative_slope", "threshold")
              if cfg.get(k) is not None and float(cfg[k]) != 0.0]  # fmt: skip
    return ", ".join(unread) or None


def require_activation_kernels(model: Any, source: str) -> None:
    """SpecError naming every layer whose activation hls4ml 1.3 has no kernel for, or whose ReLU/PReLU settings its
    converter drops or fails on (see the module docstring)."""
    missing = [f"'{lyr.name}' ({type(lyr).__name__}, {why})" for lyr in model.layers if (why := _no_kernel(lyr))]
    if missing:
        raise SpecError(
            f"{source}: layer(s) {', '.join(missing)}: hls4ml 1.3's Vivado/Vitis backends have no kernel for this "
            "activation (its C++ calls a function nnet_activation.h does not define, and g++ fails); accepted "
            f"activations: {', '.join(KERNEL_ACTIVATIONS)} (or the ReLU, LeakyReLU, ELU, PReLU, ThresholdedReLU "
            "layers); retrain with one of them"
        )
    unread = [f"'{lyr.name}' (QActivation, {why})" for lyr in model.layers if (why := _qactivation_unread(lyr))]
    if unread:
        raise SpecError(
            f"{source}: layer(s) {', '.join(unread)}: hls4ml 1.3's QKeras converter does not convert it as QKeras "
            f"computes it (or at all); accepted in a QActivation: {', '.join(QACTIVATION_QUANTIZERS)} quantizers, "
            f"the functions {', '.join(QACTIVATION_FUNCTIONS)}, or a Keras activation ({', '.join(KERNEL_ACTIVATIONS)})"
        )
    relu = [f"'{lyr.name}' (ReLU, {why})" for lyr in model.layers if (why := _relu_setting(lyr))]
    if relu:
        raise SpecError(
            f"{source}: layer(s) {', '.join(relu)}: hls4ml 1.3 converts a ReLU layer as a plain relu and does not "
            "read this setting, so the firmware would compute another function than the model; accepted: ReLU() "
            "without max_value/negative_slope/threshold, LeakyReLU(alpha) for a negative slope; in a QKeras model "
            "QActivation('quantized_relu(bits, integer)') for a bounded relu"
        )
    shared = [f"'{lyr.name}' (PReLU, shared_axes={list(lyr.get_config()['shared_axes'])})" for lyr in model.layers
              if type(lyr).__name__ == "PReLU" and lyr.get_config().get("shared_axes") is not None]  # fmt: skip
    if shared:
        raise SpecError(
            f"{source}: layer(s) {', '.join(shared)}: hls4ml 1.3's converter refuses a PReLU with shared_axes; "
            "accepted: PReLU with shared_axes=None (one slope per value)"
        )
