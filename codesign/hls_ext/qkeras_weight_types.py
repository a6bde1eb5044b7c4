"""Exact hls4ml types for QKeras weight quantizers that hls4ml 1.3 types off their grid.

hls4ml's Keras handlers attach a ``QKerasQuantizer`` to a QDense/QConv/QRNN's weights, whose ``hls_type``
becomes the weight type and feeds the accumulator's type inference. For ``quantized_bits(bits, integer)`` with
``integer == bits`` that type wraps QKeras' grid
(:func:`codesign.exact_types.exact_weight_type`). :func:`register` wraps those handlers so that the parsed
quantizer carries the exact type before any type is inferred; the weight values (QKeras' own) are unchanged.

A ``quantized_po2`` kernel is stored as a sign and an exponent ``ap_int<bits>``; hls4ml's product
(``nnet_mult.h``'s ``weight_exponential``) shifts the input in ``ap_fixed<2 * (E + W), E + W>`` (``E`` the
exponent's width, ``W`` the input's), so a product with more than ``E + W`` fractional bits lost its last ones: a
``quantized_relu(6, 2)`` input (4 fractional bits) times ``2**-7`` needs 11 and was cut to 10 (73 of 200 outputs
of a two-layer po2 MLP differed). The exponent gets at least ``-e_min`` bits (the smallest exponent of QKeras'
own kernel), which holds every product of an input with no more fractional than total bits exactly.
"""

from __future__ import annotations

from typing import Any

from codesign.exact_types import WEIGHT_QUANTIZER_KEYS, exact_weight_type

LAYERS = ("QDense", "QConv1D", "QConv2D", "QDepthwiseConv2D", "QSeparableConv1D", "QSeparableConv2D",
          "QSimpleRNN", "QLSTM", "QGRU")  # fmt: skip
_MARK = "_codesign_exact_weight_types"


def _retype(keras_layer: dict, layer: dict) -> None:
    from hls4ml.model.types import FixedPrecisionType

    cfg = keras_layer.get("config") or {}
    for attr, key in WEIGHT_QUANTIZER_KEYS.items():
        fixed = exact_weight_type(cfg.get(attr))
        q = layer.get(key)
        if fixed is not None and q is not None and hasattr(q, "hls_type"):
            p = fixed[0]
            q.hls_type = FixedPrecisionType(width=p.width, integer=p.integer, signed=p.signed)


def _widen_po2(layer: dict) -> None:
    from hls4ml.model.types import ExponentPrecisionType

    from codesign.exact_types import po2_exponents

    q = layer.get("weight_quantizer")
    data = layer.get("weight_data")
    if type(q).__name__ != "QKerasPO2Quantizer" or data is None:
        return
    emin, _ = po2_exponents(q(data))
    if -emin > q.hls_type.width:
        q.hls_type = ExponentPrecisionType(width=-emin, signed=True)


def _wrap(handler: Any) -> Any:
    def handle(keras_layer, input_names, input_shapes, data_reader):
        layer, output_shape = handler(keras_layer, input_names, input_shapes, data_reader)
        _retype(keras_layer, layer)
        _widen_po2(layer)
        return layer, output_shape

    setattr(handle, _MARK, True)
    handle.handles = getattr(handler, "handles", None)
    return handle


def register() -> None:
    """Wrap hls4ml's QKeras layer handlers (idempotent: a wrapped handler is left as it is)."""
    from hls4ml.converters.keras_v2_to_hls import get_layer_handlers

    handlers = get_layer_handlers()
    for name in LAYERS:
        h = handlers.get(name)
        if h is not None and not getattr(h, _MARK, False):
            handlers[name] = _wrap(h)
