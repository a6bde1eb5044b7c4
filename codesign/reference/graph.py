"""The model's graph walked in order: every layer's float64 output, the model's outputs, and whether they are a proof."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from codesign.errors import ReferenceUnavailableError
from codesign.reference.layers import (
    WEIGHT_LAYERS,
    activation_of,
    forward,
    has_float_kernel,
    is_quantized_layer,
    refuse,
)
from codesign.reference.quantizers import quantizer_config


def _inbound(layer: Any) -> list[Any]:
    nodes = layer.inbound_nodes
    if not nodes:
        return []
    if len(nodes) > 1:
        raise refuse(layer, "used more than once in the model; the reference supports single-use layers")
    ib = nodes[0].inbound_layers
    return list(ib) if isinstance(ib, (list, tuple)) else [ib]


#: activations that may end a model: the firmware outputs their input (the logits) unless a twin redoes them
FINAL_HEADS = ("softmax", "sigmoid")


def head_of(layer: Any) -> str | None:
    """'softmax' or 'sigmoid' for a separate layer that applies only that (Softmax, Activation, QActivation), else None."""
    cls = type(layer).__name__
    if cls == "Softmax":
        return "softmax"
    if cls in ("Activation", "QActivation"):
        act = str(layer.get_config().get("activation"))
        return act if act in FINAL_HEADS else None
    return None


def fused_head_of(layer: Any) -> str | None:
    """'softmax' or 'sigmoid' when a layer's own (fused) activation is one of them, e.g. Dense(1, 'sigmoid')."""
    if head_of(layer) is not None:
        return None
    act = activation_of(layer)
    return act if isinstance(act, str) and act in FINAL_HEADS else None


def _is_softmax_layer(layer: Any) -> bool:
    return head_of(layer) == "softmax"


def is_softmax(layer: Any) -> bool:
    """A softmax layer, or a layer whose activation is softmax."""
    return _is_softmax_layer(layer) or fused_head_of(layer) == "softmax"


def _is_head_layer(layer: Any) -> bool:
    """A separate softmax or sigmoid layer (Softmax, Activation, QActivation)."""
    return head_of(layer) is not None


def is_final_head(layer: Any) -> bool:
    """A softmax or sigmoid layer, or a layer whose own activation is softmax or sigmoid."""
    return head_of(layer) is not None or fused_head_of(layer) is not None


def output_head(model: Any) -> str | None:
    """'softmax' or 'sigmoid' when the model's (first) output ends in one (its own layer or a fused activation)."""
    layer = model.get_layer(model.output_names[0])
    return head_of(layer) or fused_head_of(layer)


def is_quantized_model(model: Any) -> bool:
    """True when any layer carries a QKeras quantizer: then only a bit-exact proof is a verdict."""
    return any(is_quantized_layer(lyr) for lyr in model.layers)


def _float_bias(layer: Any) -> bool:
    """A non-zero bias without a QKeras bias quantizer (QDense(kernel_quantizer=...) alone): hls4ml rounds it to
    its default precision (``ap_fixed<16,6>``) where the model adds the float32 value."""
    if not getattr(layer, "use_bias", False) or getattr(layer, "bias_quantizer_internal", None) is not None:
        return False
    ws = layer.get_weights()
    return len(ws) > 1 and bool(np.any(np.asarray(ws[1]) != 0))


def float_weight_layers(model: Any) -> list[str]:
    """Names of Dense/Conv layers without a QKeras kernel quantizer, or with a float non-zero bias (the firmware
    rounds those weights)."""
    return [
        lyr.name
        for lyr in model.layers
        if type(lyr).__name__ in WEIGHT_LAYERS and (has_float_kernel(lyr) or _float_bias(lyr))
    ]


def exact_reference_reason(model: Any) -> str | None:
    """Why the model's float64 outputs are not a bit-exact reference for its firmware, or None if they are.

    Layers with float weights (no QKeras kernel quantizer) are the usual reason: the firmware rounds them
    to its default precision, which the float model does not do. Layers the reference cannot evaluate
    exactly are found when it runs (:class:`ReferenceUnavailableError`).
    """
    floats = float_weight_layers(model)
    if floats:
        return (
            f"layer(s) {', '.join(floats)} have float weights (no QKeras kernel or bias quantizer): the firmware rounds them "
            "to its default precision, so the float model is not a bit-exact reference"
        )
    return None


def input_names(model: Any) -> list[str]:
    """Names of the model's input layers, in the order of ``model.inputs``."""
    names = [t.node.layer.name if hasattr(t, "node") else None for t in model.inputs]
    if any(n is None for n in names):
        names = [lyr.name for lyr in model.layers if type(lyr).__name__ == "InputLayer"]
    return names


def _activation_name(layer: Any) -> str:
    name, _ = quantizer_config(activation_of(layer))
    return name


def forward_layers(
    model: Any,
    x: np.ndarray | list[np.ndarray],
    *,
    types: Mapping[str, Mapping[str, Any]] | None = None,
    split_activations: bool = False,
    batchnorm_as_model: bool = False,
    strict: bool | None = None,
) -> dict[str, np.ndarray]:
    """Float64 output of every layer for inputs ``x`` (batch first, unflattened), by layer name, in model order.

    A softmax or sigmoid at an output is evaluated as its input (the firmware outputs the logits). ``types`` are
    the firmware's per-layer types (``HlsProject.layer_precisions``), needed by standalone BatchNormalization.
    ``split_activations``: name the outputs as hls4ml does, which splits a fused activation into its own
    layer: ``name`` is then the pre-activation sum and ``name_<activation>`` (e.g. ``dense1_quantized_relu``,
    ``dense1_relu``) its activated output. ``batchnorm_as_model``: standalone BatchNormalization layers with the
    model's own unrounded scale and bias instead of the firmware's (what the model computes, not a proof).
    ``strict``: check that every product and sum is exact in float64 (default: for a quantized model only, the
    outputs of a float model with weights being a diagnostic).
    Raises :class:`ReferenceUnavailableError` naming the first layer with no exact reference.
    """
    xs = x if isinstance(x, (list, tuple)) else [x]
    inputs = input_names(model)
    if len(xs) != len(inputs):
        raise ReferenceUnavailableError(f"the model has {len(inputs)} input(s), got {len(xs)} array(s)")
    values: dict[str, np.ndarray] = {}
    for name, a, t in zip(inputs, xs, model.inputs, strict=True):
        shape = tuple(int(d) for d in t.shape[1:])
        values[name] = np.asarray(a, dtype=np.float64).reshape((len(a),) + shape)
    out: dict[str, np.ndarray] = dict(values)
    outputs = set(model.output_names)
    strict = is_quantized_model(model) if strict is None else strict
    kw = {"batchnorm_as_model": True} if batchnorm_as_model else {}
    for layer in model.layers:
        if layer.name in values:
            continue
        ins = _inbound(layer)
        # Sequential models built without an explicit Input: the first layer reads the model input
        ins_vals = [values[i.name] for i in ins] if ins else [values[inputs[0]]]
        arg = ins_vals if len(ins_vals) > 1 else ins_vals[0]
        ltypes = (types or {}).get(layer.name)
        if layer.name in outputs and is_final_head(layer):
            # a final softmax or sigmoid: the reference is its input, the logits the firmware outputs
            y = arg if _is_head_layer(layer) else forward(layer, arg, linear=True, types=ltypes, strict=strict, **kw)
            values[layer.name] = out[layer.name] = y
            continue
        act = _activation_name(layer) if type(layer).__name__ in WEIGHT_LAYERS else ""
        if split_activations and act not in ("", "linear"):
            pre = forward(layer, arg, linear=True, types=ltypes, strict=strict, **kw)
            y = forward(layer, arg, types=ltypes, strict=strict, **kw)
            out[layer.name] = pre
            out[f"{layer.name}_{act}"] = y
        else:
            y = forward(layer, arg, types=ltypes, strict=strict, **kw)
            out[layer.name] = y
        values[layer.name] = y
    return out


def reference_outputs(
    model: Any, x: np.ndarray | list[np.ndarray], *, types: Mapping[str, Mapping[str, Any]] | None = None,
    batchnorm_as_model: bool = False,
) -> np.ndarray | list[np.ndarray]:
    """The model's pre-softmax/sigmoid outputs for ``x`` computed exactly in float64 (one array per output, flattened).

    A softmax or sigmoid at an output (its own layer, or a layer's activation) is left out, as
    :func:`codesign.hls.convert` leaves it out of the firmware: the result is the logits.
    """
    # a proof needs exact float64 arithmetic, for a float model without weights too (a standalone BatchNormalization
    # of 32-bit types, an average over 18 values: its wide outputs came out of float64 rounded, and differed); a
    # float model with weights has no such proof (its outputs are a diagnostic)
    proof = is_quantized_model(model) or not float_weight_layers(model)
    values = forward_layers(model, x, types=types, batchnorm_as_model=batchnorm_as_model,
                            strict=None if batchnorm_as_model else proof)  # fmt: skip
    outs = [values[n].reshape(values[n].shape[0], -1) for n in model.output_names]
    return outs if len(outs) > 1 else outs[0]


def float32_is_exact(model: Any, x: np.ndarray) -> bool:
    """Whether QKeras' own float32 ``predict`` equals the float64 reference on ``x``."""
    ref = reference_outputs(model, x)
    got = model.predict(x, verbose=0)
    refs = ref if isinstance(ref, list) else [ref]
    gots = got if isinstance(got, list) else [got]
    return all(np.array_equal(np.asarray(g, np.float64).reshape(r.shape), r) for r, g in zip(refs, gots, strict=True))
