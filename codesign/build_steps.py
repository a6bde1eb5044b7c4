"""The concrete steps of ``codesign build``; each is thin glue over the module that does the work.

Where-is-what: data (:mod:`codesign.datasets`), models (:mod:`codesign.zoo`), training
(:mod:`codesign.train`), pruning (:mod:`codesign.prune`), QKeras (:mod:`codesign.quantize`), hls4ml
(:mod:`codesign.hls`), g++ (:mod:`codesign.csim`), bit-accuracy (:mod:`codesign.compare`), physics
metrics (:mod:`codesign.metrics`), estimator (:mod:`codesign.estimate`), budget (:mod:`codesign.budget`),
reports (:mod:`codesign.report`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from codesign import model_safety, modelio
from codesign.durable import atomic_path, atomic_write_text
from codesign.errors import SpecError
from codesign.pipeline import BuildContext, BuildState, Step

# ------------------------------------------------------------------------------------------ helpers


def _write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1))


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _model_path(ctx: BuildContext, stage: str) -> Path:
    return ctx.path("models", f"{stage}.h5")


def _load_stage(ctx: BuildContext, stage: str):
    path = _model_path(ctx, stage)
    return modelio.load_model(path, trust=ctx.trusts_model_code) if path.is_file() else None


def _stage_files(stage: str, history: str) -> list[str]:
    """A model stage's files, relative to the build folder (what the shared step cache stores)."""
    return [f"models/{stage}.h5", f"models/{history}_history.json"]


def _history_path(ctx: BuildContext, stage: str) -> Path:
    return ctx.path("models", f"{stage}_history.json")


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _as_2d(out) -> np.ndarray:
    """Model outputs (one array or a list, e.g. a VAE encoder's mean and log-variance) as [n, k] float64."""
    parts = out if isinstance(out, (list, tuple)) else [out]
    n = len(parts[0])
    return np.concatenate([np.asarray(p, dtype=np.float64).reshape(n, -1) for p in parts], axis=1)


def _predict(model, x: np.ndarray) -> np.ndarray:
    """Keras predictions (softmax included) for the physics metrics of the float and quantized stages."""
    return _as_2d(model.predict(x, batch_size=4096, verbose=0))


def _user_model_is_source(ctx: BuildContext) -> bool:
    return ctx.spec is None or ctx.spec.model.file is not None


# ------------------------------------------------------------------------------------------ steps


class LoadData(Step):
    """Read the HDF5 data, split by seed, standardise, snap to the input grid."""

    name = "load_data"
    code = ("codesign.datasets", "codesign.data", "codesign.precision")

    def inputs(self, ctx):
        if ctx.spec is None:
            return None
        q = ctx.spec.quantize
        return {"data": ctx.spec.resolved()["data"], "input": q.input.to_hls() if q else None,
                "family": ctx.spec.model.family}  # fmt: skip

    def run(self, ctx, state):
        from codesign.datasets import load_dataset

        spec = ctx.spec
        if spec is None:
            return state.note("no data: the hls4ml config path checks bit-accuracy on random inputs on the input grid")
        if spec.model.file is not None and spec.data is None:
            return state.note("no data given: bit-accuracy is checked on random inputs on the input grid")
        precision = spec.quantize.input if spec.quantize is not None else None
        if precision is None:
            from codesign.precision import FixedPrecision

            precision = FixedPrecision.parse("ap_fixed<16,6>")
        data = load_dataset(spec.data, spec.model.family, precision)
        return replace(state, data=data)


class BuildModel(Step):
    """Build the float model from the spec's family, or load the user's model."""

    name = "build_model"
    code = ("codesign.zoo", "codesign.modelio", "codesign.build_steps:check_layer_names")

    def inputs(self, ctx):
        return ctx.spec.resolved()["model"] if ctx.spec is not None else "hls4ml-config"

    def run(self, ctx, state):
        if ctx.spec is None:
            return state  # the hls4ml config names its model; the convert step loads it
        if ctx.spec.model.file is not None:
            m = ctx.spec.model
            trust, notes = ctx.trusts_model_code, []
            if m.file.suffix.lower() == ".json":
                model = modelio.load_model(json_path=m.file, weights_path=m.weights, trust=trust, notes=notes)
            else:
                model = modelio.load_model(m.file, trust=trust, notes=notes)
            _check_data_fits_model(ctx, state, model)
            check_layer_names(model, ctx.spec)
            model_safety.require_firmware_safe(model, str(m.file))  # before any training, not at conversion
            for line in model_safety.trust_notes(trust, notes):
                state = state.note(line)
            return replace(state, float_model=model)
        from codesign import zoo

        data = state.data
        try:
            model = zoo.build_model(ctx.spec.model, data.input_shape, len(data.class_names), seed=ctx.spec.train.seed)
        except SpecError as exc:
            raise SpecError(f"{exc} from data {data.source}; accepted: data.source "
                            "jets_hlf or l1 for mlp/vae, jets_constituents for deepsets/interaction_net") from None  # fmt: skip
        check_layer_names(model, ctx.spec)  # before any training
        return replace(state, float_model=model)


def _check_data_fits_model(ctx: BuildContext, state: BuildState, model) -> None:
    """The user's data must have the user's model's input shape: checked before any training or g++ build."""
    data = state.data
    if data is None:
        return
    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    shapes = [tuple(int(d) for d in t.shape[1:]) for t in inputs]
    if len(shapes) != 1 or shapes[0] != tuple(data.input_shape):
        raise SpecError(
            f"model.file {ctx.spec.model.file}: the model takes inputs of shape {' + '.join(map(str, shapes))} but "
            f"the data ({data.source}) have samples of shape {tuple(data.input_shape)} (accepted: data whose samples "
            "match the model's input)"
        )
    n_out = int(np.prod([int(d) for d in model.outputs[0].shape[1:]]))
    if data.task == "classification" and len(model.outputs) == 1 and n_out != len(data.class_names):
        raise SpecError(
            f"model.file {ctx.spec.model.file}: the model has {n_out} outputs but the data ({data.source}) have "
            f"{len(data.class_names)} classes (accepted: one output per class)"
        )


class TrainFloat(Step):
    """Train the float model (skipped for a user's model, which comes trained)."""

    name = "train_float"
    code = ("codesign.train", "codesign.modelio", "codesign.build_steps:_user_model_is_source")

    def inputs(self, ctx):
        return ctx.spec.resolved()["train"] if ctx.spec is not None else None

    def run(self, ctx, state):
        if _user_model_is_source(ctx):
            return state
        from codesign import train

        result = train.train_float(state.float_model, state.data, ctx.spec.train)
        return replace(state, float_model=result.model, histories={**state.histories, "float": result.history})

    def save(self, ctx, state):
        if _user_model_is_source(ctx):
            return
        modelio.save_model(state.float_model, _model_path(ctx, "float"))
        _write_json(_history_path(ctx, "float"), state.histories.get("float", {}))

    def artefacts(self, ctx, state):
        return [] if _user_model_is_source(ctx) else _stage_files("float", "float")

    def load(self, ctx, state):
        if _user_model_is_source(ctx):
            return state
        model = _load_stage(ctx, "float")
        hist = _read_json(_history_path(ctx, "float"))
        if model is None or hist is None:
            return None
        return replace(state, float_model=model, histories={**state.histories, "float": hist})


class Prune(Step):
    """Magnitude pruning to the spec's sparsity, fine-tuned, stripped."""

    name = "prune"
    code = ("codesign.prune", "codesign.train", "codesign.modelio")

    def inputs(self, ctx):
        return ctx.spec.resolved()["prune"] if ctx.spec is not None else None

    def _active(self, ctx, state) -> bool:
        return ctx.spec is not None and ctx.spec.prune.enabled

    def run(self, ctx, state):
        if not self._active(ctx, state):
            return state
        if state.data is None:
            raise SpecError("prune.sparsity > 0 needs training data: add a 'data:' section to the spec")
        from codesign import prune

        result = prune.prune(state.float_model, state.data, ctx.spec.prune, ctx.spec.train)
        return replace(state, pruned_model=result.model, histories={**state.histories, "prune": result.history})

    def save(self, ctx, state):
        if self._active(ctx, state):
            modelio.save_model(state.pruned_model, _model_path(ctx, "pruned"))
            _write_json(_history_path(ctx, "prune"), state.histories.get("prune", {}))

    def artefacts(self, ctx, state):
        return _stage_files("pruned", "prune") if self._active(ctx, state) else []

    def load(self, ctx, state):
        if not self._active(ctx, state):
            return state
        model = _load_stage(ctx, "pruned")
        hist = _read_json(_history_path(ctx, "prune"))
        if model is None or hist is None:
            return None
        return replace(state, pruned_model=model, histories={**state.histories, "prune": hist})


def _is_qkeras(model) -> bool:
    return any(type(layer).__name__.startswith("Q") for layer in model.layers)


class Quantize(Step):
    """QKeras model with the spec's bits, trained with QAT, keeping the pruning mask."""

    name = "quantize"
    code = ("codesign.quantize", "codesign.fold", "codesign.prune", "codesign.train", "codesign.modelio", "codesign.build_steps:_with_sparsity",
            "codesign.act_range")  # fmt: skip

    def inputs(self, ctx):
        return ctx.spec.resolved()["quantize"] if ctx.spec is not None else None

    def _active(self, ctx, state) -> bool:
        return (ctx.spec is not None and ctx.spec.quantize is not None and state.float_model is not None
                and not _is_qkeras(state.float_model))  # fmt: skip

    def run(self, ctx, state):
        source = state.pruned_model or state.float_model
        if source is None:
            return state  # an hls4ml config: the convert step loads its model
        if not self._active(ctx, state):
            if _is_qkeras(source):
                state = replace(state, qmodel=source)
            return _with_sparsity(state)
        if state.data is None:
            raise SpecError(
                "quantize: QAT needs training data; add a 'data:' section, or give an already-quantized "
                "QKeras model, or set 'quantize: null' to convert the float model"
            )
        from codesign import quantize

        q = ctx.spec.quantize
        if q.activation_range == "data":
            from codesign import act_range

            q, lines = act_range.from_data(source, state.data.x_train, q)
            for line in lines:
                state = state.note(f"quantize: {line}")
        qmodel = quantize.to_qkeras(source, q)
        result = quantize.qat(qmodel, state.data, q, ctx.spec.train, mask_from=state.pruned_model)
        state = _with_sparsity(replace(state, qmodel=result.model, histories={**state.histories, "qat": result.history}))
        _refuse_all_zero_layers(ctx, state)
        return state

    def save(self, ctx, state):
        if self._active(ctx, state):
            modelio.save_model(state.qmodel, _model_path(ctx, "quantized"))
            _write_json(_history_path(ctx, "qat"), state.histories.get("qat", {}))

    def artefacts(self, ctx, state):
        return _stage_files("quantized", "qat") if self._active(ctx, state) else []

    def load(self, ctx, state):
        if not self._active(ctx, state):
            return self.run(ctx, state)
        model = _load_stage(ctx, "quantized")
        hist = _read_json(_history_path(ctx, "qat"))
        if model is None or hist is None:
            return None
        return _with_sparsity(replace(state, qmodel=model, histories={**state.histories, "qat": hist}))


def _refuse_all_zero_layers(ctx: BuildContext, state: BuildState) -> None:
    """A layer whose every quantized weight is 0 outputs a constant: the quantization chosen cannot hold it."""
    per_layer = ((state.sparsity or {}).get("quantized") or {}).get("layers") or {}
    dead = [name for name, frac in per_layer.items() if frac >= 1.0]
    if dead:
        q = ctx.spec.quantize
        raise SpecError(
            f"{ctx.spec.name}: quantize: every weight of layer(s) {', '.join(dead)} rounds to 0 with quantized_bits("
            f"{q.bits},{q.integer}) (after QAT): the firmware would output a constant; accepted: fewer integer or more "
            "bits (quantize.bits / quantize.integer, or quantize.layers.<name>)"
        )


def _with_sparsity(state: BuildState) -> BuildState:
    """Fraction of exact-zero weights after pruning and after quantization (what the firmware sees)."""
    from codesign import prune, quantize

    out = {"float": prune.sparsity(state.float_model)}
    if state.pruned_model is not None:
        out["pruned"] = prune.sparsity(state.pruned_model)
    if state.qmodel is not None:
        out["quantized"] = quantize.quantized_sparsity(state.qmodel)
    return replace(state, sparsity=out)


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


def _check_inputs(ctx: BuildContext, state: BuildState, precision) -> tuple[np.ndarray, int, str]:
    """The inputs the firmware is checked on: representative rows first (the data's test set and signals, or
    without data N(0,1) inputs on the input grid, said so), then random grid inputs with the type's edges; how many
    leading rows are representative, and what they are."""
    from codesign import compare

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


def check_layer_names(model, spec) -> None:
    """Refuse ``hls.layers`` / ``quantize.layers`` entries naming a layer the model does not have."""
    names = [layer.name for layer in model.layers]
    sections = [("hls.layers", spec.hls.layers)]
    if spec.quantize is not None:
        sections.append(("quantize.layers", spec.quantize.layers))
    for key, entries in sections:
        for lname in entries:
            if lname not in names:
                raise SpecError(f"{key}.{lname}: no layer named {lname!r} in the model (layers: {', '.join(names)})")


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
    """Compile the firmware twice (hls4ml's ctypes library and the g++ testbench) and run both."""

    name = "csim"
    code = ("codesign.csim", "codesign.hls", "codesign.compare", "codesign.build_steps:_check_inputs", "templates")

    def inputs(self, ctx):
        return ctx.spec.resolved()["check"] if ctx.spec is not None else None

    def run(self, ctx, state):
        from concurrent.futures import ThreadPoolExecutor

        from codesign import csim

        project = state.project
        x, n_data, rep_label = _check_inputs(ctx, state, project.input_precision)
        # The two g++ builds are independent processes: run them side by side on the two cores.
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(project.compile), pool.submit(csim.build_testbench, project)]
            for job in jobs:
                job.result()
        # several outputs (a VAE encoder's mean and log-variance) come as a list: one row per sample
        lib_out = _as_2d(project.predict(x))
        workers = ctx.spec.check.workers if ctx.spec is not None else 2
        tb_out = _as_2d(csim.run_csim(project, x, workers=workers))
        csim_out = {"inputs": x, "library": lib_out, "testbench": tb_out, "n_data": np.array(n_data),
                    "rep_label": np.array(rep_label)}  # fmt: skip
        return replace(state, csim=csim_out)

    def save(self, ctx, state):
        with atomic_path(ctx.path("csim", "csim_results.npz")) as tmp:
            np.savez_compressed(tmp, **state.csim)

    def artefacts(self, ctx, state):
        return ["csim/csim_results.npz"]

    def load(self, ctx, state):
        path = ctx.path("csim", "csim_results.npz")
        if not path.is_file():
            return None
        with np.load(path) as z:
            return replace(state, csim={k: z[k] for k in z.files})


class Compare(Step):
    """Firmware vs QKeras bit for bit (pre-softmax), and physics metrics float vs quantized vs firmware."""

    name = "compare"
    code = ("codesign.metrics", "codesign.metrics_bootstrap", "codesign.metrics_stages")

    def inputs(self, ctx):
        return ctx.spec.resolved().get("metrics") if ctx.spec is not None else None

    def run(self, ctx, state):
        from codesign import compare

        x = state.csim["inputs"]
        model = state.project.keras_model  # as converted: pruning wrappers and the final softmax stripped
        desc = compare.firmware_description(state.project)
        verification = compare.judge(
            model, x, fw=state.csim["testbench"], ct=state.csim["library"], types=state.project.layer_precisions,
            desc=desc,
            softmax=getattr(state.project, "final_softmax", None),
            logits=bool(getattr(state.project, "softmax_removed", False)),
        )
        acc = verification.to_dict()
        n_data = int(state.csim.get("n_data", 0))
        rep_label = str(state.csim.get("rep_label", "data inputs"))
        if verification.agreement is not None and n_data > 0:
            # a float model: the random grid inputs reach the range edges, where its sums may overflow the
            # firmware's types; the data rows say how close the firmware follows it where it is used
            ref, fw = _as_2d(verification.reference_out), _as_2d(verification.csim_out)
            acc["on_data"] = compare.agreement(ref[:n_data], fw[:n_data])
            acc["on_data"]["n_samples"] = n_data
            acc["on_data"]["inputs"] = rep_label
            if "float_agreement" in acc:
                acc["float_agreement"]["on_data"] = acc["on_data"]
        if verification.bit_accuracy is not None and not verification.bit_accuracy.exact:
            from codesign.firmware.check import first_differing_layer

            # which layer first differs, from the check's per-layer trace (a second g++ build, on failure only)
            acc["first_mismatch"]["layer"] = first_differing_layer(
                state.project, model, x, verification.csim_out, ctx.path(".codesign", "trace"))
        acc["overflow"] = _overflow_profile(desc, x, n_data, rep_label)
        for layer in acc["overflow"].get("overflowing", []):
            state = state.note(f"WARNING: overflow on the {acc['overflow']['inputs']}: {layer}")
        state = replace(state, bit_accuracy=acc)
        if ctx.hls4ml_config is None or "InputData" not in ctx.hls4ml_config.config:  # the user's own tb data stays
            state = _write_tb_data(state, x, verification)
        if state.data is None:
            return state
        scores = stage_scores(ctx, state)
        state = replace(state, scores=scores, metrics=stage_metrics(state.data, scores, bootstrap_settings(ctx)))
        from codesign.score_check import tail_check, warning_lines

        for line in warning_lines(tail_check(state.metrics)):
            state = state.note(line)
        return state


def _write_tb_data(state: BuildState, x: np.ndarray, verification) -> BuildState:
    """The check's inputs and expected outputs into the project's tb_data/ for Vivado/Vitis csim and cosim."""
    from codesign import tb_data

    exact_ref = verification.bit_accuracy is not None
    expected = verification.reference_out if exact_ref else verification.csim_out
    n = tb_data.write_tb_data(state.project.path, x, expected)
    what = "the bit-exact reference's outputs" if exact_ref else "the C-simulated firmware's outputs (no exact reference)"
    return state.note(
        f"hls/tb_data/: the first {n} of the {len(x)} check inputs and, as expected outputs, {what}; the project's "
        "testbench reads them in csim/cosim"
    )


def _overflow_profile(desc, x: np.ndarray, n_data: int, rep_label: str = "data inputs") -> dict:
    """Per-layer ranges against the types on the data rows (else on all check inputs); the grid rows with the
    input type's edges are reported apart, by the layers they overflow."""
    from codesign.firmware import profile

    if n_data > 0:
        out = profile.overflow_report(desc, x[:n_data], f"{n_data} {rep_label}")
        if n_data < len(x) and out.get("rows") is not None:
            edges = profile.overflow_report(desc, x[n_data:], "grid inputs with the input type's edges")
            out["edge_inputs_overflowing"] = edges.get("overflowing", [])
        return out
    return profile.overflow_report(desc, x, f"{len(x)} check inputs on the input grid, edges included (no data)")


def stage_scores(ctx: BuildContext, state: BuildState) -> dict:
    """Test-set outputs per stage: class probabilities (classifiers) or {process: score} (anomaly models).

    The firmware stage uses the C-simulated outputs of the test inputs (the first rows of the C-sim
    inputs; see :func:`_check_inputs`), so its metrics are the firmware's own: for an anomaly model the score the
    firmware computed. The float/pruned/quantized stages compute the same score with its float formula.
    """
    data = state.data
    fw = state.csim["testbench"]
    n_test = len(data.x_test)
    stages = {"float": state.float_model}
    if state.pruned_model is not None:
        stages["pruned"] = state.pruned_model
    if state.qmodel is not None:
        stages["quantized"] = state.qmodel
    scores: dict = {}
    if data.task == "classification":
        for label, model in stages.items():
            scores[label] = _predict(model, data.x_test)
        kept = getattr(state.project, "final_softmax", None) is not None  # the firmware outputs probabilities
        scores["firmware"] = fw[:n_test] if kept else _softmax(fw[:n_test])
        return scores
    from codesign import zoo

    score = ctx.spec.anomaly_score
    for label, model in stages.items():
        scored = zoo.score_model(model, score)
        scores[label] = {"background": _predict(scored, data.x_test)[:, 0]}
        for name, arr in data.signals.items():
            scores[label][name] = _predict(scored, arr)[:, 0]
    # the firmware outputs the score itself (computed in fixed point by the score layer)
    scores["firmware"] = {"background": fw[:n_test, 0]}
    start = n_test
    for name, arr in data.signals.items():
        scores["firmware"][name] = fw[start : start + len(arr), 0]
        start += len(arr)
    return scores


def stage_metrics(data, scores: dict, bootstrap=None) -> dict:
    """Physics metrics of each stage's scores (weighted, with bootstrap intervals): :mod:`codesign.metrics_stages`."""
    from codesign.metrics_stages import stage_metrics as compute

    return compute(data, scores, bootstrap)


def bootstrap_settings(ctx: BuildContext):
    """The spec's ``metrics`` section as bootstrap settings (the defaults for an hls4ml-config build)."""
    from codesign.metrics_bootstrap import BootstrapSettings

    m = ctx.spec.metrics if ctx.spec is not None else None
    return BootstrapSettings() if m is None else BootstrapSettings(m.bootstrap, m.seed, m.confidence)


class Estimate(Step):
    """Latency, II and resources from the generated project (codesign's analytical estimator)."""

    name = "estimate"

    def inputs(self, ctx):
        return ctx.part.full_name

    def run(self, ctx, state):
        from codesign.estimate import estimate_project

        return replace(state, estimate=estimate_project(Path(state.project.path), ctx.part))


class Budget(Step):
    """The 40 MHz L1 verdict: II, latency and resource fractions of the part."""

    name = "budget"

    def inputs(self, ctx):
        return ctx.spec.resolved()["budget"] if ctx.spec is not None else None

    def run(self, ctx, state):
        from codesign import budget
        from codesign.spec import BudgetSpec

        b = ctx.spec.budget if ctx.spec is not None else BudgetSpec()
        clock = ctx.spec.hls.clock_ns if ctx.spec is not None else float(state.project.clock_ns)
        verdict = budget.judge(
            state.estimate, ctx.part, clock_ns=clock, tm_period=b.tm_period,
            latency_limit_ns=b.latency_ns, max_fraction=dict(b.max_fraction),
        )  # fmt: skip
        return replace(state, budget=verdict)


class Synthesize(Step):
    """Run the vendor HLS tool on the project (only with ``--synth``)."""

    name = "synth"

    def run(self, ctx, state):
        from codesign import synth
        from codesign.errors import ToolError

        backend = ctx.spec.hls.backend.value if ctx.spec is not None else state.project.backend
        try:
            run = synth.run_synthesis(Path(state.project.path), backend=backend, log_dir=ctx.path("logs"))
        except ToolError as exc:
            # The report is still written; the command exits non-zero afterwards because --synth was asked.
            return replace(state, synth_error=str(exc)).note(f"synthesis: {exc}")
        # the report step adds the parsed figures (codesign report's refresh) after writing the build report
        return replace(state, synthesis={"tool": run.tool, "seconds": run.seconds, "log": str(run.log)})


class Rtl(Step):
    """``--rtl``: Verilog through da4ml, checked bit for bit in Verilator on the C-sim inputs, yosys counts."""

    name = "rtl"

    def inputs(self, ctx):
        return ctx.spec.resolved()["hls"] if ctx.spec is not None else None

    def run(self, ctx, state):
        from codesign.errors import CodesignError
        from codesign.rtl import flow

        clock = ctx.spec.hls.clock_ns if ctx.spec is not None else float(state.project.clock_ns)
        try:
            rtl = flow.build(state.project.keras_model, state.project.input_precision, state.csim["inputs"],
                             ctx.out_dir, clock_ns=clock, part=ctx.part.full_name)  # fmt: skip
        except CodesignError as exc:
            # the report is still written, with the reason; the command exits with the error's code afterwards
            rtl = {"bit_exact": None, "error": str(exc), "exit_code": exc.exit_code, "notes": [f"not built: {exc}"]}
        for line in rtl["notes"]:
            state = state.note(f"rtl: {line}")
        if rtl.get("bit_exact") and state.budget is not None:
            # the 40 MHz verdict on the RTL's own figures; the HLS estimate's verdict stays in the rtl section
            from codesign.rtl import budget as rtl_budget
            from codesign.spec import BudgetSpec

            b = ctx.spec.budget if ctx.spec is not None else BudgetSpec()
            verdict = rtl_budget.judge(rtl, ctx.part, tm_period=b.tm_period, latency_limit_ns=b.latency_ns,
                                       max_fraction=dict(b.max_fraction))  # fmt: skip
            rtl = {**rtl, "budget_hls_estimate": state.budget.to_dict()}
            state = replace(state, budget=verdict).note(
                f"budget: judged on the RTL figures (HLS estimate's verdict: "
                f"{'pass' if rtl['budget_hls_estimate']['pass'] else 'fail'}, in rtl.budget_hls_estimate)")
        return replace(state, rtl=rtl)


class Report(Step):
    """Write report.json, report.md and the plots (atomically)."""

    name = "report"

    def run(self, ctx, state):
        from codesign import report

        report.write_build_report(ctx, state)
        if state.synthesis is not None:
            from codesign.report_refresh import refresh

            refresh(ctx.out_dir)  # csynth / Vivado figures with their sources, estimate vs report differences
        return state


def default_steps(synth: bool = False, rtl: bool = False) -> list[Step]:
    """The ordered build."""
    steps: list[Step] = [LoadData(), BuildModel(), TrainFloat(), Prune(), Quantize(), Convert(), CSim(),
                         Compare(), Estimate(), Budget()]  # fmt: skip
    if synth:
        steps.append(Synthesize())
    if rtl:
        steps.append(Rtl())
    steps.append(Report())
    return steps
