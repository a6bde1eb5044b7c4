"""A final softmax or sigmoid: the reference's name when it is left out of the firmware, and its numpy twin when the
firmware keeps it (:mod:`codesign.softmax_twin`, :mod:`codesign.sigmoid_twin`), applied to the exact logits."""

from __future__ import annotations

from typing import Any

REFERENCE_NAME = "QKeras model (its outputs as converted, evaluated exactly in float64)"
LOGITS_REFERENCE_NAME = (
    "QKeras model (pre-softmax logits: the final softmax is left out of the firmware; evaluated exactly in float64)"
)
SIGMOID_LOGITS_REFERENCE_NAME = (
    "QKeras model (pre-sigmoid logits: the final sigmoid is left out of the firmware; evaluated exactly in float64)"
)
SOFTMAX_REFERENCE_NAME = (
    "QKeras model (logits evaluated exactly in float64), then the firmware's table softmax '{layer}' "
    "redone in numpy (codesign/softmax_twin.py)"
)
SIGMOID_REFERENCE_NAME = (
    "QKeras model (logits evaluated exactly in float64), then the firmware's table sigmoid '{layer}' "
    "redone in numpy (codesign/sigmoid_twin.py)"
)


def apply_twin(ref: Any, softmax: dict | None, sigmoid: dict | None) -> tuple[Any, str | None]:
    """The reference's logits through the firmware's kept final softmax or sigmoid (its numpy twin), and the
    reference's name then; ``(ref, None)`` when the firmware ends in neither."""
    if softmax is not None:
        from codesign import softmax_twin

        cfg = softmax_twin.SoftmaxConfig.from_dict(softmax)
        return softmax_twin.apply(cfg, ref), SOFTMAX_REFERENCE_NAME.format(layer=cfg.layer)
    if sigmoid is not None:
        from codesign import sigmoid_twin

        scfg = sigmoid_twin.SigmoidConfig.from_dict(sigmoid)
        return sigmoid_twin.apply(scfg, ref), SIGMOID_REFERENCE_NAME.format(layer=scfg.layer)
    return ref, None


def logits_reference_name(removed: bool | tuple[str, ...]) -> str:
    """The reference's name when the final activations ``removed`` (``HlsProject.removed_heads``) were left out."""
    if not removed:
        return REFERENCE_NAME
    only_sigmoid = not isinstance(removed, bool) and tuple(removed) == ("sigmoid",)
    return SIGMOID_LOGITS_REFERENCE_NAME if only_sigmoid else LOGITS_REFERENCE_NAME
