"""hls4ml 1.3's Cropping1D/2D typed as its ZeroPadding: the input's resolved type, or the result type the user set.

``Cropping.initialize`` hands the layer its input's precision object, which for a layer whose result is ``auto`` (a
float Conv2D's, a QConv2D's without an activation quantizer) is still unresolved; hls4ml's ``infer_precision_types``
then resolves the input but has no rule for Cropping (it has one for ZeroPadding, Resize, Transpose and Reshape) and
gives the Cropping the model's default type. A Conv2D -> Cropping2D of a float model cast every ``ap_fixed<36,16>``
sum to ``ap_fixed<16,6>`` and wrapped each one of magnitude 32 or more (and a QKeras model was not bit-exact).
A Cropping only moves values: its input's type holds each of them. :func:`register` gives it that type, the rule
hls4ml applies to ZeroPadding, and applies a result type the user set for it (which hls4ml 1.3 reads nowhere).
"""

from __future__ import annotations

from typing import Any

CLASSES = ("Cropping1D", "Cropping2D")
_REGISTERED: dict[str, bool] = {}


def asked_result(node: Any) -> Any | None:
    """The result precision the hls4ml config sets for ``node`` by name (not ``auto``), as written there, else None."""
    asked = node.model.config.layer_name_precision.get(f"{node.name.lower()}_result")
    return None if asked is None or str(asked).lower() == "auto" else asked


def _typed(base: type) -> type:
    class Typed(base):
        def initialize(self) -> None:
            super().initialize()
            asked = asked_result(self)
            if asked is not None:
                self.get_output_variable().type.precision = self.model.config.backend.convert_precision_string(asked)

    Typed.__name__ = Typed.__qualname__ = base.__name__
    return Typed


def register() -> None:
    """Register the typed Cropping layers and hls4ml's type inference with a Cropping rule (idempotent)."""
    if _REGISTERED.get("done"):
        return
    from hls4ml.model import layers
    from hls4ml.model.optimizer import optimizer
    from hls4ml.model.optimizer.passes.infer_precision import InferPrecisionTypes

    for name in CLASSES:
        layers.register_layer(name, _typed(getattr(layers, name)))

    class InferWithCropping(InferPrecisionTypes):
        def _infer_precision(self, node: Any, types_to_infer: list[str]) -> list[str]:
            if node.class_name in CLASSES:
                return self._infer_output_matching_precision(node, types_to_infer)
            return super()._infer_precision(node, types_to_infer)

    old = optimizer.optimizer_map["infer_precision_types"]
    new = InferWithCropping()
    new.__dict__.update(old.__dict__)  # keep a configured pass's settings (infer_no_bias)
    optimizer.optimizer_map["infer_precision_types"] = new
    _REGISTERED["done"] = True
