"""A final softmax or sigmoid: the reference's name when it is left out of the firmware, and its numpy twin when the
firmware keeps it (:mod:`codesign.softmax_twin`, :mod:`codesign.sigmoid_twin`), applied to the exact logits.

What the twins share is here: the head's config struct as emitted, the io_stream refusal, the float64 ``ap_fixed``
cast; each twin module has ``read_config``, ``apply``, ``describe`` and its config class ``CONFIG``.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from codesign.firmware.files import parse_typedefs, resolve_type
from codesign.precision import FixedPrecision, Overflow

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


TWIN_REFERENCE_NAMES = {"softmax": SOFTMAX_REFERENCE_NAME, "sigmoid": SIGMOID_REFERENCE_NAME}


class UnsupportedHead(Exception):
    """The emitted final softmax or sigmoid is not one its twin reproduces (the message says why)."""


def twin(head: str) -> ModuleType:
    """The numpy twin module of a final ``head`` ('softmax' or 'sigmoid')."""
    return importlib.import_module(f"codesign.{head}_twin")


def apply_twin(ref: Any, softmax: dict | None, sigmoid: dict | None) -> tuple[Any, str | None]:
    """The reference's logits through the firmware's kept final softmax or sigmoid (its numpy twin), and the
    reference's name then; ``(ref, None)`` when the firmware ends in neither."""
    for head, kept in (("softmax", softmax), ("sigmoid", sigmoid)):
        if kept is not None:
            module = twin(head)
            cfg = module.CONFIG.from_dict(kept)
            return module.apply(cfg, ref), TWIN_REFERENCE_NAMES[head].format(layer=cfg.layer)
    return ref, None


def cast(p: FixedPrecision, x: np.ndarray) -> np.ndarray:
    """``ap_fixed`` cast of float64 values, infinities included (the C++ reads inf as 2**1024)."""
    x = np.asarray(x, dtype=np.float64)
    inf = ~np.isfinite(x)
    out = p.quantize(np.where(inf, 0.0, x))
    if inf.any():
        sat = p.overflow != Overflow.WRAP
        big = np.where(x > 0, p.max_value if sat else 0.0, p.min_value if sat else 0.0)
        out = np.where(inf, big, out)
    return out


def emitted_activation(project_path: Path, layer: str, unsupported: type[UnsupportedHead], what: str) -> tuple:
    """``layer``'s ``nnet::activ_config`` in the emitted firmware: ``(struct name, its typedefs, a function reading
    one of its constants, defines.h's typedefs, the .cpp sources)``; ``unsupported`` naming ``what`` when missing."""
    fw = Path(project_path) / "firmware"
    params = (fw / "parameters.h").read_text()
    m = re.search(
        rf"//\s*{re.escape(layer)}\s*\n\s*struct\s+(\w+)\s*:\s*nnet::activ_config\s*\{{(.*?)\n\}};", params, re.S
    )
    if m is None:
        raise unsupported(f"no {what} config for layer '{layer}' in {fw / 'parameters.h'}")
    struct, body = m.group(1), m.group(2)

    def const(key: str) -> str:
        k = re.search(rf"\b{key}\s*=\s*([^;]+);", body)
        if k is None:
            raise unsupported(f"'{key}' missing from {struct} in parameters.h")
        return k.group(1).strip()

    top = "\n".join(p.read_text() for p in sorted(fw.glob("*.cpp")))
    return struct, parse_typedefs(body), const, parse_typedefs((fw / "defines.h").read_text()), top


def refuse_stream(head: str, types: tuple[str, ...], defines: dict, unsupported: type[UnsupportedHead]) -> None:
    """io_stream's final activations (nnet_activation_stream.h) are other kernels, not twinned: refused."""
    for t in types:
        if "nnet::array" in resolve_type(t, defines):
            raise unsupported(f"io_stream {head} ({resolve_type(t, defines)} packets); the twin covers io_parallel")


def logits_reference_name(removed: bool | tuple[str, ...]) -> str:
    """The reference's name when the final activations ``removed`` (``HlsProject.removed_heads``) were left out."""
    if not removed:
        return REFERENCE_NAME
    only_sigmoid = not isinstance(removed, bool) and tuple(removed) == ("sigmoid",)
    return SIGMOID_LOGITS_REFERENCE_NAME if only_sigmoid else LOGITS_REFERENCE_NAME


def emulate_through_head(desc: Any, x: Any, softmax: dict | None, sigmoid: dict | None) -> tuple[Any, str | None]:
    """The fixed-point emulator's outputs of ``desc`` on ``x``; where the firmware keeps its final table softmax or
    sigmoid (which the emulator does not run), the emulator's exact logits through that head's numpy twin, as the
    quantized model's reference goes. ``(outputs, what the twin adds to the reference's name, or None)``."""
    from dataclasses import replace

    from codesign.firmware import emulator

    kept = softmax if softmax is not None else sigmoid
    if kept is None:
        return emulator.emulate(desc, x), None
    head = "softmax" if softmax is not None else "sigmoid"
    layer = desc.layer(kept["layer"])
    if len(desc.outputs) != 1 or desc.layer(desc.outputs[0]) is not layer or len(layer.inputs) != 1:
        raise emulator.EmulationError(f"the kept final {head} '{layer.name}' is not the firmware's one output")
    cut = replace(desc, layers=tuple(lyr for lyr in desc.layers if lyr is not layer), outputs=(layer.inputs[0],))
    out, _ = apply_twin(emulator.emulate(cut, x), softmax, sigmoid)
    return out, through_head_name(softmax, sigmoid)


def through_head_name(softmax: dict | None, sigmoid: dict | None) -> str:
    """What a kept final softmax/sigmoid adds to the emulator reference's name ('' when the firmware keeps none)."""
    for head, kept in (("softmax", softmax), ("sigmoid", sigmoid)):
        if kept is not None:
            return (f", its logits then through the firmware's table {head} '{kept['layer']}' redone in numpy "
                    f"(codesign/{head}_twin.py)")  # fmt: skip
    return ""
