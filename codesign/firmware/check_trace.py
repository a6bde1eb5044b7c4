"""Where ``codesign check`` and the build's ``first_mismatch.layer`` take their expected values, and the layer trace.

:func:`reference_source` is the model's float64 reference (through the final softmax/sigmoid twin when the
firmware keeps one), or for a float model the emulator of the firmware's configured types; :func:`trace_layers`
compares hls4ml's trace of the firmware with the per-layer reference, and :func:`first_differing_layer` runs it
for a build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesign.arrays import as_rows, n_rows, take_rows
from codesign.compare import BN_NOTE, REFERENCE_NAME
from codesign.errors import ReferenceUnavailableError
from codesign.firmware import files as fwfiles
from codesign.firmware.layers import LayerVerdict

TRACE_SAMPLES = 100  # samples traced layer by layer: the mismatching ones first


@dataclass(frozen=True)
class ReferenceSource:
    """Where the expected values come from: the model outputs and the per-layer outputs (hls4ml's names)."""

    name: str
    outputs: Callable[[np.ndarray], Any]
    layers: Callable[[np.ndarray], dict[str, np.ndarray]]


def reference_source(build: Path, model: Any, project: Any) -> ReferenceSource:
    """The quantized model's float64 reference; for a float model, the emulator of the firmware as the build
    configured it (its types); else :class:`ReferenceUnavailableError` (exit 6) saying why."""
    from codesign import compare, reference
    from codesign.firmware import layers

    types = project.layer_precisions
    reason = reference.exact_reference_reason(model)
    if reason is None and not reference.is_quantized_model(model):
        reason = _inexact_reason(model, project)
    if reason is None:
        softmax, sigmoid = getattr(project, "final_softmax", None), getattr(project, "final_sigmoid", None)
        if softmax is not None or sigmoid is not None:
            # the firmware ends in the kept table softmax/sigmoid: the exact logits through its numpy twin
            twin = compare.SOFTMAX_REFERENCE_NAME if softmax is not None else compare.SIGMOID_REFERENCE_NAME
            return ReferenceSource(twin.format(layer=(softmax or sigmoid)["layer"]),
                                   lambda x: compare.apply_twin(reference.reference_outputs(model, x, types=types),
                                                                softmax, sigmoid)[0],
                                   lambda x: layers.reference_layers(model, x, types))  # fmt: skip
        return ReferenceSource(REFERENCE_NAME + (BN_NOTE if compare.has_batchnorm(model) else ""),
                               lambda x: reference.reference_outputs(model, x, types=types),
                               lambda x: layers.reference_layers(model, x, types))  # fmt: skip
    if reference.is_quantized_model(model):
        raise ReferenceUnavailableError(f"{build}: no bit-exact reference for this quantized model: {reason}")
    desc = compare.firmware_description(project)
    if desc is None:
        raise ReferenceUnavailableError(f"{build}: no bit-exact reference: {reason}; and no firmware description "
                                        f"({project.path}/codesign_firmware.npz) for the emulator: rebuild the "
                                        "project with this codesign version")  # fmt: skip
    from codesign.final_heads import emulate_through_head, through_head_name
    from codesign.firmware import emulator

    softmax, sigmoid = getattr(project, "final_softmax", None), getattr(project, "final_sigmoid", None)
    name = compare.FLOAT_REFERENCE_NAME + through_head_name(softmax, sigmoid)
    return ReferenceSource(name, lambda x: emulate_through_head(desc, x, softmax, sigmoid)[0],
                           lambda x: emulator.emulate_layers(desc, x))  # fmt: skip


def _inexact_reason(model: Any, project: Any) -> str | None:
    """Why a float model without weights has no exact float64 reference (products or sums past 53 bits), as the
    build finds it: its check inputs hold the input type's edges (every input at the largest magnitude, +-1 lsb),
    which set the bounds the reference checks. None when it has one."""
    from codesign import compare, reference

    ports = getattr(project, "inputs", ())
    types = [getattr(p, "precision", None) for p in ports]
    if len(types) != len(model.inputs) or any(t is None for t in types):
        return None  # an input without a fixed-point type: the check refuses it elsewhere
    shapes = [tuple(int(d) for d in t.shape[1:]) for t in model.inputs]
    probes = [compare.grid_inputs(t, s, 64, seed=(0, i)) for i, (t, s) in enumerate(zip(types, shapes, strict=True))]
    probe = probes if len(probes) > 1 else probes[0]
    try:
        reference.reference_outputs(model, probe, types=project.layer_precisions)
    except ReferenceUnavailableError as exc:
        return str(exc)
    return None


def trace_layers(traced_fw: Any, project: Any, ref_source: ReferenceSource, x_all: Any, ref: np.ndarray,
                 fw: np.ndarray) -> tuple[tuple[LayerVerdict, ...], tuple[str, ...]]:  # fmt: skip
    """hls4ml's trace of the firmware on the mismatching samples (or the first ones) vs the per-layer reference."""
    from codesign.firmware import layers

    bad = np.flatnonzero(~(ref == fw).all(axis=1))
    rest = np.setdiff1d(np.arange(n_rows(x_all)), bad)
    ids = np.concatenate([bad, rest])[:TRACE_SAMPLES]
    x = take_rows(x_all, ids)
    traced = traced_fw.trace(x)
    defs = fwfiles.typedefs(traced.path / "firmware")
    types = {name: {role: fwfiles.type_string(defs.get(t, t)) for role, t in roles.items()}
             for name, roles in traced.type_names.items()}  # fmt: skip
    built = {name: p.get("result") for name, p in project.layer_precisions.items()}
    verdicts = layers.compare_layers(traced.outputs, traced.order, ref_source.layers(x), types, built, ids,
                                     traced.classes)  # fmt: skip
    notes = []
    if not traced.top_matches:
        notes.append(f"{project.path / 'firmware'}/{project.project_name}.cpp differs from what hls4ml writes for "
                     "this config: the trace runs hls4ml's top function with the project's headers and weights")  # fmt: skip
    missing = [v.name for v in verdicts if v.status == "no counterpart"]
    if missing:
        notes.append(f"firmware layer(s) {', '.join(missing)} have no reference layer of that name (hls4ml renames "
                     "or inserts layers in its model surgery); they are listed, not compared")  # fmt: skip
    return verdicts, tuple(notes)


def first_differing_layer(project: Any, model: Any, x: np.ndarray, fw: Any, work_dir: Path) -> dict:
    """The build's ``first_mismatch.layer``: the check's layer trace (:func:`trace_layers`) of a freshly built
    project on the build's own inputs ``x`` and testbench outputs ``fw``, compiled in ``work_dir``.

    Returns :func:`codesign.firmware.layers.first_differing`'s entry, with ``notes``; or ``{"unavailable": why}``
    when the trace cannot run (no per-layer reference, hls4ml cannot trace it, no traced layer differs).
    """
    from codesign import hls
    from codesign.errors import CodesignError
    from codesign.firmware import layers

    try:
        src = reference_source(project.path.parent, model, project)
        traced = hls.build_trace(project.path, model, work_dir)
        verdicts, notes = trace_layers(traced, project, src, x, as_rows(src.outputs(x)), as_rows(fw))
    except (CodesignError, OSError) as exc:
        return {"unavailable": f"the layer trace could not run: {exc}"}
    first = layers.first_differing(verdicts)
    if first is None:
        return {"unavailable": "no traced layer differs from the per-layer reference on the first "
                               f"{TRACE_SAMPLES} mismatching samples", "notes": list(notes)}  # fmt: skip
    first["notes"] = list(notes)
    return first
