"""QKeras quantizers without an exact reference, found before any training instead of after C-simulation.

The reference (:mod:`.quantizers`) refuses binary / ternary / stochastic_binary / stochastic_ternary weight
quantizers, ``quantized_bits`` with ``alpha`` other than 1, None or ``'auto_po2'`` (a per-channel scale hls4ml
applies in an extra layer), and binary/ternary ``QActivation`` quantizers and functions. Those refusals depend on
the quantizer's configuration alone, so a model holding one used to be trained, converted and C-simulated only to
end "NOT PROVEN" (exit 6). :func:`require_exact_quantizers` raises the same error, with the reference's own
message naming the layer and the quantizer, when the model is loaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.reference.layers import WEIGHT_QUANTIZER_ATTRS
from codesign.reference.quantizers import apply_quantizer, quantize_weights, quantizer_config

BINARY_TERNARY = ("binary", "stochastic_binary", "ternary", "stochastic_ternary", "binary_tanh", "ternary_tanh")
_ALPHAS = (None, 1, 1.0, "auto_po2")


def _config_refused(q: Any) -> bool:
    name, c = quantizer_config(q)
    return name in BINARY_TERNARY or (name == "quantized_bits" and c.get("alpha") not in _ALPHAS)


def require_exact_quantizers(model: Any) -> None:
    """ReferenceUnavailableError (exit 6) for the first layer whose quantizer is one of the module's cases, with the
    message the reference gives after C-simulation (the quantizer run on a zero, which raises before computing)."""
    for layer in model.layers:
        cls = type(layer).__name__
        where = f"layer '{layer.name}' ({cls})"
        attrs = WEIGHT_QUANTIZER_ATTRS.get(cls, ("kernel_quantizer_internal",)) + ("bias_quantizer_internal",)
        for attr in attrs:
            q = getattr(layer, attr, None)
            if q is not None and _config_refused(q):
                quantize_weights(q, np.zeros(1), f"{where} {attr.removesuffix('_internal')}")
        if cls == "QActivation" and _config_refused(getattr(layer, "quantizer", None)):
            apply_quantizer(layer.quantizer, np.zeros(1), where)
