"""The firmware side of the build: hls4ml conversion (with the spec's per-layer settings) and C-simulation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from codesign import modelio
from codesign.durable import atomic_path
from codesign.errors import SpecError
from codesign.pipeline import BuildContext, BuildState, Step
from codesign.steps.common import (
    _as_2d,
)


def _firmware_keras_model(ctx: BuildContext, state: BuildState):
    """The model converted to firmware: an anomaly model (vae, ae) with its score layer, so the firmware outputs one
    score (:func:`codesign.zoo.score_model`); otherwise the quantized/float model."""
    model = state.firmware_model
    score = ctx.spec.anomaly_score if ctx.spec is not None else None
    if score is not None:
        from codesign import zoo

        return zoo.score_model(model, score)
    return model


NO_DATA_INPUTS = "N(0,1) inputs on the input grid (no data given: a stand-in for standardized data)"


def _check_inputs(ctx: BuildContext, state: BuildState, precision) -> tuple[np.ndarray | list[np.ndarray], int, str]:
    """The inputs the firmware is checked on: representative rows first (the data's test set and signals, or
    without data N(0,1) inputs on the input grid, said so), then random grid inputs with the type's edges; how many
    leading rows are representative, and what they are. Firmware with several inputs: one array per input, each
    on its own input type (:mod:`codesign.firmware.several_inputs`)."""
    from codesign import compare

    names = [t.name.split(":")[0] for t in state.project.keras_model.inputs]
    if len(names) != 1:
        return _several_check_inputs(ctx, state, names)
    from codesign.firmware.several_inputs import require_drawable

    require_drawable(names[0], precision)
    n_random = ctx.spec.check.n_samples if ctx.spec is not None else 2000
    parts = []
    shape = tuple(state.data.input_shape) if state.data is not None else None
    if state.data is not None:
        parts.append(state.data.x_test.astype(np.float64))
        for sig in state.data.signals.values():
            parts.append(sig.astype(np.float64))
        label = "data inputs"
    else:
        # agreement and overflow figures over the whole input range say little about a sound conversion: judge
        # them where standardized inputs live, and keep the range edges apart
        shape = tuple(int(d) for d in state.project.keras_model.input_shape[1:])
        normal = np.random.default_rng(1).normal(0.0, 1.0, size=(n_random,) + shape)
        parts.append(precision.quantize(np.clip(normal, precision.min_value, precision.max_value)))
        label = NO_DATA_INPUTS
    n_rep = sum(len(p) for p in parts)
    parts.append(compare.grid_inputs(precision, shape, n_random, seed=0))
    return np.concatenate(parts, axis=0), n_rep, label


NO_DATA_SEVERAL = "N(0,1) inputs on each input's grid (no data given: a stand-in for standardized data)"


def _several_check_inputs(ctx: BuildContext, state: BuildState, names: list[str]) -> tuple[list[np.ndarray], int, str]:
    """:func:`_check_inputs` of a model with several inputs: built without data (the datasets hold one input array),
    each input drawn on its own firmware input type."""
    from codesign.firmware import several_inputs as several

    where = str(ctx.spec.model.file) if ctx.spec is not None and ctx.spec.model.file else "the model"
    if state.data is not None:
        raise several.data_refused(where, names, state.data.source)
    model = state.project.keras_model
    types = several.input_types(state.project.inputs, model, where)
    n_random = ctx.spec.check.n_samples if ctx.spec is not None else 2000
    x, n_rep = several.build_inputs(types, several.input_shapes(model), n_random)
    return x, n_rep, NO_DATA_SEVERAL


class Convert(Step):
    """hls4ml conversion with precisions derived from the QKeras quantizers; writes the HLS project."""

    name = "convert"
    code = ("codesign.hls", "codesign.zoo", "codesign.build_steps:_layer_overrides", "codesign.build_steps:_conv_overrides",
            "codesign.build_steps:_firmware_keras_model", "codesign.hls_ext", "codesign.score_layer",
            "codesign.score_spec", "codesign.exact_types")  # fmt: skip

    def inputs(self, ctx):
        if ctx.spec is None:
            return {"hls4ml": ctx.hls4ml_config.config, "part": ctx.part.full_name}
        return {"hls": ctx.spec.resolved()["hls"], "check": ctx.spec.resolved()["check"], "part": ctx.part.full_name,
                "score": ctx.spec.resolved()["score"]}  # fmt: skip

    def run(self, ctx, state):
        from codesign import hls

        out = ctx.path("hls")
        if ctx.spec is None:
            project = hls.convert_from_hls4ml_config(
                ctx.hls4ml_config.config, Path(ctx.hls4ml_config.path), output_dir_override=out,
                part=ctx.part.full_name, trust=ctx.trusts_model_code,
            )
            state = replace(state, float_model=project.keras_model)
        else:
            h = ctx.spec.hls
            precision = ctx.spec.quantize.input if ctx.spec.quantize is not None else None
            project = hls.convert(
                _firmware_keras_model(ctx, state),
                backend=h.backend.value,
                io_type=h.io_type,
                strategy=h.strategy,
                reuse_factor=h.reuse_factor,
                clock_ns=h.clock_ns,
                part=ctx.part.full_name,
                input_precision=precision,
                output_dir=out,
                project_name=h.project_name,
                layer_overrides=_layer_overrides(_firmware_keras_model(ctx, state), h),
            )
        for line in getattr(project, "notes", ()):
            state = state.note(f"conversion: {line}")
        _record_converted(ctx, project)
        # Not cached: conversion takes seconds and the hls4ml model object it returns cannot be pickled;
        # the expensive part after it, compiling and C-simulating, is cached by the csim step.
        return replace(state, project=project)


def _record_converted(ctx: BuildContext, project) -> None:
    """What ``codesign check`` compares against later: the model as converted (pruning wrappers and the final
    softmax removed; hls4ml's own keras_model.keras does not reload QKeras activations) and the hashes of
    the firmware as emitted."""
    from codesign.firmware import files

    modelio.save_model(project.keras_model, ctx.path("models", "converted.h5"))
    files.record_firmware(ctx.out_dir, Path(project.path) / "firmware")


def _layer_overrides(model, h) -> dict | None:
    """hls4ml ``LayerName`` entries: Conv1D parallelization, then the spec's per-layer settings (which win)."""
    out = _conv_overrides(model, h) or {}
    names = {layer.name for layer in model.layers}
    for lname, layer_spec in h.layers.items():
        if lname not in names:
            raise SpecError(
                f"hls.layers.{lname}: no layer named {lname!r} in the converted model "
                f"(layers: {', '.join(layer.name for layer in model.layers)})"
            )
        entry = layer_spec.overrides()
        if entry:
            out[lname] = {**out.get(lname, {}), **entry}
    return out or None


def _conv_overrides(model, h) -> dict | None:
    """ParallelizationFactor of each io_parallel Conv1D: hls4ml's default (1) computes one constituent per
    cycle, so a DeepSets over 8 constituents would start a new event only every 8 cycles."""
    if h.io_type != "io_parallel":
        return None
    out = {}
    for layer in model.layers:
        if type(layer).__name__ not in ("Conv1D", "QConv1D"):
            continue
        width = int(layer.output_shape[1])
        pf = width if h.parallelization_factor == "full" else int(h.parallelization_factor)
        if width % pf:
            raise SpecError(
                f"hls.parallelization_factor {pf} does not divide the {width} outputs of layer '{layer.name}' "
                f"(accepted: a divisor of {width}, or 'full')"
            )
        out[layer.name] = {"ParallelizationFactor": pf}
    return out or None


class CSim(Step):
    """Compile the firmware once and link it into hls4ml's ctypes library and codesign's g++ testbench; run both."""

    name = "csim"
    code = ("codesign.csim", "codesign.hls", "codesign.compare", "codesign.build_steps:_check_inputs",
            "codesign.firmware.several_inputs", "templates")

    def inputs(self, ctx):
        return ctx.spec.resolved()["check"] if ctx.spec is not None else None

    def run(self, ctx, state):
        from codesign import csim

        project = state.project
        x, n_data, rep_label = _check_inputs(ctx, state, project.input_precision)
        workers = ctx.spec.check.workers if ctx.spec is not None else 2
        library = ctx.spec.check.library if ctx.spec is not None else True
        pch, state = _shared_pch(ctx, state, project)
        # two drivers of one firmware object (library: bridge + predict; testbench: its own main), each a chain in its
        # own thread; check.library false: the testbench alone
        lib_out, tb_out = csim.library_and_testbench(project, x, workers=workers, library=library, pch=pch)
        csim_out = {"inputs": x, "testbench": _as_2d(tb_out), "n_data": np.array(n_data),  # one row per sample
                    "rep_label": np.array(rep_label)}  # fmt: skip
        if lib_out is not None:
            csim_out["library"] = _as_2d(lib_out)
        return replace(state, csim=csim_out)

    def save(self, ctx, state):
        from codesign.firmware.several_inputs import INPUTS_KEY, inputs_entries

        entries = {k: v for k, v in state.csim.items() if k != INPUTS_KEY}
        with atomic_path(ctx.path("csim", "csim_results.npz")) as tmp:
            np.savez_compressed(tmp, **entries, **inputs_entries(state.csim[INPUTS_KEY]))

    def artefacts(self, ctx, state):
        return ["csim/csim_results.npz"]

    def load(self, ctx, state):
        path = ctx.path("csim", "csim_results.npz")
        if not path.is_file():
            return None
        from codesign.firmware.several_inputs import INPUTS_KEY, stored_inputs

        with np.load(path) as z:
            csim = {k: z[k] for k in z.files if not k.startswith(INPUTS_KEY)}
            csim[INPUTS_KEY] = stored_inputs(z, str(path))
        return replace(state, csim=csim)


def _shared_pch(ctx: BuildContext, state: BuildState, project) -> tuple[Path | None, BuildState]:
    """The precompiled header in the shared step cache (``<cache>/pch``, :mod:`codesign.hls.pch`) when the build
    has one (a scan's points share it); None otherwise, or with a warning note when it cannot be built (the units
    then compile without it: the same objects, slower)."""
    if ctx.cache_dir is None:
        return None, state
    from codesign.errors import ToolError
    from codesign.hls import pch

    try:
        return pch.header(Path(ctx.cache_dir) / "pch", project.path), state
    except ToolError as exc:
        return None, state.note(f"WARNING: no precompiled header for the C-simulation ({exc}); compiled without it")
