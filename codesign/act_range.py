"""Activation ranges from data: quantized_relu integer bits set from the training inputs' activation maxima.

A fixed ``quantized_relu(8, 3)`` caps every ReLU at 7.97; an anomalous event drives first-layer units far above
anything the background does, and the cap takes away exactly the excess the score should see. With
``quantize.activation_range: data`` each ReLU (standalone or fused into its Dense/Conv1D) gets the integer bits
its largest activation on the training inputs needs times ``quantize.headroom``:
I = max(0, ceil(log2(max * headroom))). The width stays ``activation_bits`` unless ``activation_fractional`` is
given (then width = I + activation_fractional, the resolution kept). Explicit per-layer settings in
``quantize.layers`` win.
"""

from __future__ import annotations

import math

import numpy as np

from codesign import keras_env
from codesign.errors import SpecError
from codesign.fold import WEIGHT_LAYERS, producers

keras = keras_env.keras()
DEFAULT_HEADROOM = 2.0


def relu_layers(model) -> list[str]:
    """Names of the layers whose output is a ReLU: Activation('relu') / ReLU layers and Dense/Conv1D with a fused relu."""
    out = []
    for layer in model.layers:
        cls, cfg = type(layer).__name__, layer.get_config()
        if cls == "ReLU" or (cls == "Activation" and cfg.get("activation") == "relu"):
            out.append(layer.name)
        elif cls in WEIGHT_LAYERS and cfg.get("activation") == "relu":
            out.append(layer.name)
    return out


def activation_maxima(model, x: np.ndarray) -> dict[str, float]:
    """The largest output of every ReLU layer of ``model`` over the inputs ``x``."""
    names = relu_layers(model)
    if not names:
        return {}
    probe = keras.Model(model.input, [model.get_layer(n).output for n in names])
    outs = probe.predict(np.asarray(x, dtype=np.float32), batch_size=4096, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    return {n: float(np.max(o)) for n, o in zip(names, outs, strict=True)}


def integer_bits(maximum: float, headroom: float) -> int:
    """quantized_relu integer bits (range [0, 2**I)) that hold ``maximum * headroom``."""
    top = maximum * headroom
    return 0 if top <= 1.0 else int(math.ceil(math.log2(top)))


def from_data(model, x: np.ndarray, q):
    """The QuantizeSpec ``q`` with per-ReLU activation bits set from the data, and one note per layer."""
    headroom = q.headroom if q.headroom is not None else DEFAULT_HEADROOM
    feeds = producers(model)
    maxima = activation_maxima(model, x)
    layers = dict(q.layers)
    notes = []
    for name, top in maxima.items():
        own = q.layers.get(name)
        feed = q.layers.get(feeds.get(name, ""))
        if any(e is not None and e.activation_integer is not None for e in (own, feed)):
            notes.append(f"activation range of '{name}': set in quantize.layers, kept (data max {top:.4g})")
            continue
        integer = integer_bits(top, headroom)
        if q.activation_fractional is not None:
            bits = integer + q.activation_fractional
        else:
            bits = q.act_bits
            if integer >= bits:
                raise SpecError(
                    f"quantize.activation_range data: ReLU '{name}' reaches {top:.4g} on the training inputs and needs "
                    f"{integer} integer bits with headroom {headroom:g}, not fewer than activation_bits {bits}; "
                    "accepted: a larger activation_bits, or activation_fractional (the width then follows the range)"
                )
        if bits > 32:
            raise SpecError(f"quantize.activation_range data: ReLU '{name}' would need {bits} bits (accepted: <= 32); "
                            "lower activation_fractional or headroom")  # fmt: skip
        entry = own.model_copy(update={"activation_bits": bits, "activation_integer": integer}) if own else None
        if entry is None:
            from codesign.spec import LayerQuant

            entry = LayerQuant(activation_bits=bits, activation_integer=integer)
        layers[name] = entry
        notes.append(f"activation range of '{name}' from data: max {top:.4g} on {len(x)} training inputs x headroom "
                     f"{headroom:g} -> quantized_relu({bits},{integer}) (cap {2.0**integer - 2.0**(integer - bits):.4g})")  # fmt: skip
    return q.model_copy(update={"layers": layers}), notes
