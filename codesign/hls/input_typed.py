"""Result types hls4ml 1.3 does not read: its ZeroPadding, Cropping, Resize and Transpose layers take their input's type.

``Layer.initialize`` of these classes calls ``add_output_variable(..., precision=inp.type.precision)``, so a
``Precision.result`` set for them in the spec (``hls.layers``) or an hls4ml config was dropped without a word (a float
model's Cropping2D after a Conv2D kept ``ap_fixed<16,6>`` where ``ap_fixed<8,2,AP_RND,AP_SAT>`` was asked). A type
asked for such a layer must be the one the converted firmware has; otherwise the conversion is refused, naming the
layer, the type asked and the type it has.
"""

from __future__ import annotations

from typing import Any

from codesign.errors import SpecError
from codesign.precision import FixedPrecision

INPUT_TYPED = ("ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "Resize", "Transpose")


def _asked_result(cfg: dict, node: Any) -> str | None:
    asked = None
    for entry in ((cfg.get("LayerType") or {}).get(node.class_name), (cfg.get("LayerName") or {}).get(node.name)):
        prec = entry.get("Precision") if isinstance(entry, dict) else None
        value = prec.get("result") if isinstance(prec, dict) else prec
        if value is not None and str(value).lower() != "auto":
            asked = str(value)
    return asked


def _text(precision: Any) -> str:
    try:
        return FixedPrecision.parse(str(precision)).to_hls()
    except SpecError:
        return str(precision)


def require_result_types_read(graph: Any, cfg: dict) -> None:
    """SpecError for a ZeroPadding/Cropping/Resize/Transpose layer whose asked result type is not the firmware's."""
    for node in graph.get_layers():
        if node.class_name not in INPUT_TYPED:
            continue
        asked = _asked_result(cfg, node)
        if asked is None:
            continue
        got = _text(node.get_output_variable().type.precision)
        if _text(graph.config.backend.convert_precision_string(asked)) != got:
            raise SpecError(
                f"layer '{node.name}' ({node.class_name}): Precision result {asked} asked, but hls4ml 1.3 gives this "
                f"layer its input's type (its firmware keeps {got}); accepted: no result type for a ZeroPadding, "
                f"Cropping, Resize or Transpose layer (set the result type of the layer before it), or {got}"
            )
