"""hls4ml 1.3 without folding a QKeras power-of-two scale (ApplyAlpha) into the BatchNormalization after it.

A QDense/QConv whose kernel quantizer is ``quantized_bits`` with ``alpha='auto_po2'`` (QKeras sets it so whenever
``alpha`` is left out) is converted as the layer on the integer kernel followed by hls4ml's ApplyAlpha, a
BatchNormalization-like layer of the per-channel power-of-two scale. hls4ml's
``fuse_consecutive_batch_normalization`` then merges that ApplyAlpha into a BatchNormalization right after it
(``scale = alpha * gamma / sqrt(var + eps)``) and rounds the product to the BatchNormalization's scale type: a
scale of ``2**-4`` drops four of its fractional bits. The firmware then normalises with other numbers than the
model and than the reference (which rounds the BatchNormalization's own scale and bias, as the firmware stores
them): a QConv1D -> BatchNormalization tau tagger differed on 199 of 200 inputs (``bit-exact: NO``).

:func:`register` keeps the two layers apart: the ApplyAlpha gets an exact result type
(:func:`codesign.exact_types.fix_alpha`) and the BatchNormalization rounds its own scale and bias, as the reference
does. Two BatchNormalization layers of the model itself are merged as before.

hls4ml 1.3 also types the ApplyAlpha from its scale, an exponent type its inference cannot read, so it gets the
default ``ap_fixed<16,6>`` and every layer after it is inferred from that: a QDense (alpha left out) -> QDense had
its second accumulator typed for ``ap_fixed<16,6>`` inputs, narrower than the scaled sums (``bit-exact: NO``, 199 of
200). The type inference registered here gives the ApplyAlpha its exact type
(:func:`codesign.exact_types.alpha_result`) before the layers after it are inferred.
"""

from __future__ import annotations

from typing import Any

PASS = "fuse_consecutive_batch_normalization"
_REGISTERED: dict[str, bool] = {}


def register() -> None:
    """Replace hls4ml's consecutive-BatchNormalization fusion by one that leaves an ApplyAlpha alone (idempotent)."""
    if _REGISTERED.get("done"):
        return
    from hls4ml.model.optimizer import optimizer
    from hls4ml.model.optimizer.passes.batchnorm_opt import FuseConsecutiveBatchNormalization

    class KeepAlphaApart(FuseConsecutiveBatchNormalization):
        def match(self, node: Any) -> bool:
            prev = node.get_input_node() if node.inputs else None
            if prev is not None and prev.class_name == "ApplyAlpha":
                return False
            return super().match(node)

    old = optimizer.optimizer_map[PASS]
    new = KeepAlphaApart()
    new.__dict__.update(old.__dict__)
    optimizer.optimizer_map[PASS] = new
    _register_inference(optimizer)
    _REGISTERED["done"] = True


def _register_inference(optimizer: Any) -> None:
    """Wrap the registered ``infer_precision_types`` pass (codesign's Cropping rule included) with the ApplyAlpha's."""
    from hls4ml.model.types import FixedPrecisionType

    from codesign.exact_types import alpha_result

    old = optimizer.optimizer_map["infer_precision_types"]

    class InferWithAlpha(type(old)):
        def _infer_precision(self, node: Any, types_to_infer: list[str]) -> list[str]:
            inferred = super()._infer_precision(node, types_to_infer)
            if node.class_name == "ApplyAlpha" and "result_t" in inferred:
                exact = alpha_result(node)
                if exact is not None:
                    node.types["result_t"].precision = FixedPrecisionType(exact.width, exact.integer, exact.signed)
            return inferred

    new = InferWithAlpha()
    new.__dict__.update(old.__dict__)
    optimizer.optimizer_map["infer_precision_types"] = new
