"""Exact float64 reference outputs of a QKeras model, computed independently of hls4ml.

QKeras evaluates in float32: its quantizers cast their input to float32 and a dense layer's sum is
rounded to 24 bits, so for accumulators wider than 24 bits (8-bit weights x 16-bit inputs already give 24)
``model.predict`` can differ from the exact fixed-point result the firmware computes. This package is a
numpy forward pass in float64 over the model's weights, applying each QKeras quantizer by its definition
(``quantized_bits``: clip(round_half_even(x * 2**(bits-1-integer))) / 2**(bits-1-integer);
``quantized_relu``: clip(round_half_even(x * 2**(bits-integer)), 0, 2**bits - 1) / 2**(bits-integer)).
Every sum of fixed-point products is exact in float64 while it fits 53 bits, which is checked.

- :mod:`.quantizers`: QKeras quantizers and Keras activations by definition (or refused);
- :mod:`.layers`: one layer (:func:`forward`), the supported classes and why others are refused;
- :mod:`.graph`: the model walked in order (:func:`forward_layers`, :func:`reference_outputs`).

Anything the reference cannot evaluate exactly raises :class:`ReferenceUnavailableError` naming the
layer, its class and why, rather than returning a guess. Float layers (no quantizer) are evaluated in
float64 too, which gives a float model's outputs for an agreement check; :func:`exact_reference_reason`
says when the result is not a bit-exact reference.
"""

from codesign.errors import ReferenceUnavailableError
from codesign.reference.graph import (
    exact_reference_reason,
    float32_is_exact,
    float_weight_layers,
    forward_layers,
    input_names,
    is_quantized_model,
    is_softmax,
    reference_outputs,
)
from codesign.reference.layers import SUPPORTED, forward, is_quantized_layer
from codesign.reference.quantizers import apply_quantizer, quantize_weights

__all__ = [
    "SUPPORTED",
    "ReferenceUnavailableError",
    "apply_quantizer",
    "exact_reference_reason",
    "float32_is_exact",
    "float_weight_layers",
    "forward",
    "forward_layers",
    "input_names",
    "is_quantized_layer",
    "is_quantized_model",
    "is_softmax",
    "quantize_weights",
    "reference_outputs",
]
