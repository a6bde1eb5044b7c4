"""Exact hls4ml types for QKeras weight quantizers that hls4ml 1.3 types off their grid.

hls4ml's Keras handlers attach a ``QKerasQuantizer`` to a QDense/QConv/QRNN's weights, whose ``hls_type``
becomes the weight type and feeds the accumulator's type inference. For ``quantized_bits(bits, integer)`` with
``integer == bits`` that type wraps QKeras' grid
(:func:`codesign.exact_types.exact_weight_type`). :func:`register` wraps those handlers so that the parsed
quantizer carries the exact type before any type is inferred; the weight values (QKeras' own) are unchanged.
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


def _wrap(handler: Any) -> Any:
    def handle(keras_layer, input_names, input_shapes, data_reader):
        layer, output_shape = handler(keras_layer, input_names, input_shapes, data_reader)
        _retype(keras_layer, layer)
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
