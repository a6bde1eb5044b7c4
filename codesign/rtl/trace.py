"""A QKeras model as a da4ml combinational graph, built from its quantized weights and quantizer definitions.

da4ml 0.6.0 traces models through plugins (it ships one for its own example; HGQ2/Keras 3 has another) and has
no QKeras/tf-keras tracer, so the graph is built here with da4ml's numpy-style tracing API: the input on the
input grid, each dense layer a constant matrix-vector product (da4ml's shift-add solver), each quantizer by its
QKeras definition (round half to even, then saturate), which :mod:`codesign.reference` also implements.
Supported layers are listed in ``SUPPORTED``; any other layer is refused with a :class:`SpecError` naming it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.precision import FixedPrecision
from codesign.reference.graph import _inbound, _is_softmax_layer, is_softmax
from codesign.reference.layers import activation_of, weights
from codesign.reference.quantizers import quantizer_config

SUPPORTED = "InputLayer, QDense, QActivation/Activation (linear, relu, quantized_relu, quantized_bits), Dropout, Flatten"


def _is_quantized(layer: Any) -> bool:
    return getattr(layer, "kernel_quantizer_internal", None) is not None


def _refuse(layer: Any, why: str) -> SpecError:
    return SpecError(
        f"layer '{layer.name}' ({type(layer).__name__}) is not supported by the RTL route (--rtl): {why} "
        f"(supported: {SUPPORTED}; a final softmax is left out as in the HLS firmware)"
    )


def _round_half_even(v: Any, k: int, i: int, f: int, overflow: str) -> Any:
    """One da4ml variable quantized to (k, i, f) with QKeras' rounding (half to even) and saturation."""
    lsb = 2.0**-f
    step = float(v.step)
    if v.low == v.high:  # a constant: exact in float64
        val = float(v.low)
        q = float(np.round(val / lsb)) * lsb
        lo = -(2.0**i) * k if overflow == "SAT" else -(2.0**i - lsb) * k
        return v.from_const(min(max(q, lo), 2.0**i - lsb), hwconf=v.hwconf)
    if step >= lsb:  # already on the output grid: only saturation
        return v.quantize(k, i, f, overflow, "TRN")
    # floor(v / lsb) has parity b; half to even == floor(v + lsb/2 - step + b * step), b in {0, 1}
    b = v.quantize(0, 1 - f, f, "WRAP", "TRN")  # the bit of weight lsb: 0 or lsb
    w = v + (lsb / 2 - step) + b * (step / lsb)
    return w.quantize(k, i, f, overflow, "TRN")


def _quantizer(q: Any, x: Any, where: str) -> Any:
    """Apply a QKeras quantizer or Keras activation name to a da4ml array, as :func:`reference.apply_quantizer`."""
    from da4ml.trace import FixedVariableArray

    name, c = quantizer_config(q)
    if q is None or name in ("linear", ""):
        return x
    if name == "relu":
        return x.relu()
    if name == "quantized_bits":
        if c.get("alpha") not in (None, 1, 1.0) or c.get("use_stochastic_rounding"):
            raise SpecError(f"{where}: quantized_bits needs alpha=1 and no stochastic rounding for the RTL route")
        bits, integer = int(c["bits"]), int(c.get("integer", 0))
        k = int(bool(c.get("keep_negative", True)))
        f = bits - k - integer
        overflow = "SAT_SYM" if c.get("symmetric") and k else "SAT"
    elif name == "quantized_relu":
        if c.get("use_sigmoid") or c.get("negative_slope") or c.get("use_stochastic_rounding"):
            raise SpecError(f"{where}: quantized_relu with sigmoid/negative_slope/stochastic rounding is not supported")
        bits, integer = int(c["bits"]), int(c.get("integer", 0))
        k, f, overflow = 0, bits - integer, "SAT"
    else:
        raise SpecError(f"{where}: activation/quantizer '{name or q}' is not supported by the RTL route ({SUPPORTED})")
    flat = [_round_half_even(v, k, integer, f, overflow) for v in x._vars.ravel()]
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return FixedVariableArray(arr.reshape(x._vars.shape), x.solver_options, hwconf=x.hwconf)


def _layer(layer: Any, x: Any, linear: bool) -> Any:
    cls = type(layer).__name__
    if cls in ("Dense", "QDense"):
        if not _is_quantized(layer):
            raise _refuse(layer, "float weights (no QKeras kernel quantizer) have no fixed-point RTL")
        kernel, bias = weights(layer)
        y = x @ kernel
        if bias is not None:
            y = y + bias
        return y if linear else _quantizer(activation_of(layer), y, f"{layer.name}.activation")
    if cls in ("Activation", "QActivation"):
        q = getattr(layer, "quantizer", None) if cls == "QActivation" else None
        return _quantizer(q if q is not None else activation_of(layer), x, layer.name)
    if cls == "ReLU":
        return x.relu()
    if cls == "Dropout":
        return x
    if cls == "Flatten":
        return x.ravel()
    raise _refuse(layer, "no RTL mapping for this layer type yet")


def check_supported(model: Any) -> None:
    """Refuse (SpecError naming the layer) a model the RTL route cannot build, before any work is done."""
    if len(model.inputs) != 1:
        raise SpecError(f"model '{model.name}' has {len(model.inputs)} inputs; the RTL route supports one")
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "InputLayer" or (layer.name in model.output_names and is_softmax(layer)):
            continue
        if cls not in ("Dense", "QDense", "Activation", "QActivation", "ReLU", "Dropout", "Flatten"):
            raise _refuse(layer, "no RTL mapping for this layer type yet")
        if cls in ("Dense", "QDense") and not _is_quantized(layer):
            raise _refuse(layer, "float weights (no QKeras kernel quantizer) have no fixed-point RTL")
        if len(getattr(layer, "input_shape", (None, 1))) != 2 and cls in ("Dense", "QDense"):
            raise _refuse(layer, f"dense layer on a {len(layer.input_shape) - 1}-D input (only flat inputs)")


def trace(model: Any, input_precision: FixedPrecision) -> tuple[Any, Any]:
    """(inputs, outputs) da4ml arrays of the model's pre-softmax outputs (concatenated, flat) for its one input."""
    from da4ml.trace import FixedVariableArrayInput, HWConfig

    check_supported(model)
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    p = input_precision
    inp = FixedVariableArrayInput(shape, HWConfig(1, -1, -1))
    x0 = inp.quantize(int(p.signed), p.integer - int(p.signed), p.fractional)
    values: dict[str, Any] = {}
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            values[layer.name] = x0
            continue
        ins = _inbound(layer)
        x = values[ins[0].name] if ins else x0
        if len(ins) > 1:
            raise _refuse(layer, f"{len(ins)} inputs (only single-input layers)")
        if layer.name in model.output_names and is_softmax(layer):
            values[layer.name] = x if _is_softmax_layer(layer) else _layer(layer, x, linear=True)
            continue
        values[layer.name] = _layer(layer, x, linear=False)
    outs = [values[n].ravel() for n in model.output_names]
    out = outs[0] if len(outs) == 1 else np.concatenate(outs)
    return inp, out
