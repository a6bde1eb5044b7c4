"""Result types of hls4ml 1.3's layers that only move values: ZeroPadding, Cropping, Resize and Transpose.

``Layer.initialize`` of these classes calls ``add_output_variable(..., precision=inp.type.precision)``, so a
``Precision.result`` set for a ZeroPadding, Resize or Transpose in the spec (``hls.layers``) or an hls4ml config was
dropped without a word. A type asked for such a layer must be the one the converted firmware has; otherwise the
conversion is refused, naming the layer, the type asked and the type it has. A Cropping's asked type is applied
(:mod:`codesign.hls_ext.cropping_types`; the same check guards it), with a warning when it does not hold every value
of its input's type.
"""

from __future__ import annotations

from typing import Any

from codesign.errors import SpecError
from codesign.precision import FixedPrecision

INPUT_TYPED = ("ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "Resize", "Transpose")
USER_TYPED = ("Cropping1D", "Cropping2D")  # their asked result type is applied (codesign.hls_ext.cropping_types)


def asked_type(cfg: dict, node: Any, key: str = "result") -> str | None:
    """The ``key`` type (result, table ...) an hls4ml config (``cfg``) asks for ``node`` by LayerType or LayerName
    (LayerName wins), as written there; None when not asked or 'auto'. A plain string Precision is the result type."""
    asked = None
    for entry in ((cfg.get("LayerType") or {}).get(node.class_name), (cfg.get("LayerName") or {}).get(node.name)):
        prec = entry.get("Precision") if isinstance(entry, dict) else None
        value = prec.get(key) if isinstance(prec, dict) else prec if key == "result" else None
        if value is not None and str(value).lower() != "auto":
            asked = str(value)
    return asked


def type_text(precision: Any) -> str:
    """A precision as hls4ml writes it (codesign's canonical spelling when it parses, else as given)."""
    try:
        return FixedPrecision.parse(str(precision)).to_hls()
    except SpecError:
        return str(precision)


def holds(a: FixedPrecision, b: FixedPrecision) -> bool:
    """True if every value of ``b`` is a value of ``a`` (as many fractional bits, as wide a range)."""
    if b.signed and not a.signed:
        return False
    a_top = a.integer - (1 if a.signed else 0)  # magnitude bits above the point
    b_top = b.integer - (1 if b.signed else 0)
    return a.fractional >= b.fractional and a_top >= b_top


def require_result_types_read(graph: Any, cfg: dict) -> None:
    """SpecError for a ZeroPadding/Cropping/Resize/Transpose layer whose asked result type is not the firmware's."""
    for node in graph.get_layers():
        if node.class_name not in INPUT_TYPED:
            continue
        asked = asked_type(cfg, node)
        if asked is None:
            continue
        got = type_text(node.get_output_variable().type.precision)
        if type_text(graph.config.backend.convert_precision_string(asked)) != got:
            raise SpecError(
                f"layer '{node.name}' ({node.class_name}): Precision result {asked} asked, but hls4ml 1.3 gives this "
                f"layer its input's type (its firmware keeps {got}); accepted: no result type for a ZeroPadding, "
                f"Resize or Transpose layer (set the result type of the layer before it), or {got}"
            )


def note_narrow_user_types(graph: Any, cfg: dict, notes: list[str]) -> None:
    """A warning note per Cropping whose asked (applied) result type does not hold every value of its input's type."""
    for node in graph.get_layers():
        if node.class_name not in USER_TYPED or asked_type(cfg, node) is None:
            continue
        try:
            got = FixedPrecision.parse(str(node.get_output_variable().type.precision))
            inp = FixedPrecision.parse(str(node.get_input_variable().type.precision))
        except (SpecError, AttributeError):
            continue
        if not holds(got, inp):
            notes.append(
                f"WARNING: layer '{node.name}' ({node.class_name}): your result type {got.to_hls()} is applied, but "
                f"it does not hold every value of its input's type {inp.to_hls()} (values beyond its range wrap or "
                "saturate, finer bits are lost); without a result type it would be the input's type"
            )
