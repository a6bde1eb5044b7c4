"""A QKeras model as a da4ml combinational graph, built from its quantized weights and quantizer definitions.

da4ml 0.6.0 traces models through plugins (it ships one for its own example; HGQ2/Keras 3 has another) and has
no QKeras/tf-keras tracer, so the graph is built here with da4ml's numpy-style tracing API: the input on the
input grid, each layer by :mod:`codesign.rtl.layers` (dense and convolution layers as constant matrix products
solved into shift-add trees, pooling and merges as da4ml sums, maxima and products), each quantizer by its QKeras
definition (:mod:`codesign.rtl.quantizers`), as :mod:`codesign.reference` also implements them. A layer the
route cannot build is refused with a :class:`SpecError` naming it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.precision import FixedPrecision
from codesign.reference.graph import _inbound, _is_head_layer, is_final_head
from codesign.rtl import constants, layers


def check_supported(model: Any) -> None:
    """Refuse (SpecError naming the layer) a model the RTL route cannot build, before any work is done."""
    if len(model.inputs) != 1:
        names = ", ".join(t.name.split(":")[0] for t in model.inputs)
        raise SpecError(f"model '{model.name}' has {len(model.inputs)} inputs ({names}); the RTL route (--rtl) takes a "
                        "model with one input (accepted: one input, e.g. the inputs concatenated into one tensor "
                        "before the model; or the build without --rtl, which checks the hls4ml firmware with several "
                        "inputs bit for bit)")  # fmt: skip
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer" or (layer.name in model.output_names and _is_head_layer(layer)):
            continue
        layers.check(layer)
        if len(layer.inbound_nodes) > 1:
            raise layers.refuse(layer, "used more than once in the model (single-use layers only)")


def check_weights_quantized(model: Any, where: str) -> None:
    """Before any training, when the model goes to firmware as it is (``quantize: null``): a Dense/Conv layer with
    float weights stays float through the build, and :func:`check_supported` would refuse it after the HLS steps."""
    for layer in model.layers:
        try:
            layers.require_fixed_weights(layer)
        except SpecError as exc:
            raise SpecError(
                f"{where}: {exc}; with quantize: null the model goes to firmware as it is: give "
                "quantize settings (QAT makes the weights fixed-point) or build without --rtl"
            ) from None


def _trace_layers(model: Any, input_precision: FixedPrecision) -> tuple[Any, dict[str, Any]]:
    """(inputs, {layer name: its da4ml array}) in layer order; the outputs' softmax left out."""
    from da4ml.trace import FixedVariableArrayInput, HWConfig

    check_supported(model)
    placed = constants.Placements()  # this graph's own: another trace in the process keeps its own
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    p = input_precision
    inp = FixedVariableArrayInput((int(np.prod(shape)),), HWConfig(1, -1, -1))
    x0 = inp.quantize(int(p.signed), p.integer - int(p.signed), p.fractional).reshape(shape)
    values: dict[str, Any] = {}
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            values[layer.name] = x0
            continue
        ins = _inbound(layer)
        xs = [values[i.name] for i in ins] if ins else [x0]
        if layer.name in model.output_names and is_final_head(layer):  # the firmware outputs the logits
            values[layer.name] = xs[0] if _is_head_layer(layer) else layers.forward(layer, xs, placed, linear=True)
            continue
        values[layer.name] = layers.forward(layer, xs, placed)
    return inp, values


def trace(model: Any, input_precision: FixedPrecision) -> tuple[Any, Any]:
    """(inputs, outputs): flat da4ml arrays of the model's one input and its pre-softmax outputs, concatenated."""
    inp, values = _trace_layers(model, input_precision)
    outs = [values[n].ravel() for n in model.output_names]
    out = outs[0] if len(outs) == 1 else np.concatenate(outs)
    return inp, out


def layer_costs(model: Any, input_precision: FixedPrecision) -> list[tuple[str, str, float]]:
    """[(layer name, class, da4ml LUT estimate added by the layer)]: the cost of the graph that computes the
    layer's output and every earlier output still used later, less the cost before it (shared logic is counted
    where it is first needed; a layer that rebuilds earlier adders, as a bias's rounding half does
    (:mod:`codesign.rtl.constants`), is charged the difference). The rows sum to the design's cost."""
    from da4ml.trace import comb_trace

    inp, values = _trace_layers(model, input_precision)
    order = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    last_use = {}
    for n, layer in enumerate(order):
        for i in _inbound(layer):
            last_use[i.name] = n
    rows, before = [], 0.0
    for n, layer in enumerate(order):
        live = [values[m.name].ravel() for m in order[: n + 1]
                if m is layer or last_use.get(m.name, -1) > n or m.name in model.output_names]  # fmt: skip
        cost = float(comb_trace(inp, np.concatenate(live)).cost)
        rows.append((layer.name, type(layer).__name__, cost - before))
        before = cost
    return rows
