"""The model side of the build: load the data, build, train, prune and quantize the model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from codesign import model_safety, modelio, safe_names
from codesign.errors import SpecError
from codesign.pipeline import BuildContext, BuildState, Step
from codesign.steps.common import (
    _history_path,
    _load_stage,
    _model_path,
    _read_json,
    _remove_stage,
    _stage_files,
    _user_model_is_source,
    _write_json,
)


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
    code = ("codesign.zoo", "codesign.modelio", "codesign.build_steps:check_layer_names")  # refusals alone: not keyed

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
            modelio.fixed_input_shape(model, str(m.file))
            _check_data_fits_model(ctx, state, model)
            check_before_training(model, ctx.spec, state.data.task if state.data is not None else None, ctx.rtl)
            model_safety.require_firmware_safe(model, str(m.file))  # before any training, not at conversion
            from codesign import hls, zoo

            # a VAE's sampling stays out; a spec leaves the final softmax/sigmoid out of the firmware
            hls.require_convertible(model, str(m.file), ignore=zoo.CUSTOM_OBJECTS, strips_heads=True)
            from codesign.reference.early import require_exact_quantizers

            require_exact_quantizers(model)  # exit 6 before training, not after C-simulation
            safe_names.layer_names(model, str(m.file), ctx.spec.hls.project_name)
            for line in model_safety.trust_notes(trust, notes):
                state = state.note(line)
            return replace(state, float_model=model)
        from codesign import zoo

        data = state.data
        try:
            model = zoo.build_model(ctx.spec.model, data.input_shape, len(data.class_names), seed=ctx.spec.train.seed)
        except SpecError as exc:
            accepted = ("labels of at least 2 classes in that file (data.labels)" if ctx.spec.data.path is not None
                        and ctx.spec.data.inputs is not None else  # a user's arrays: their labels are the classes
                        "data.source jets_hlf or jets_constituents for mlp, jets_constituents for deepsets/"
                        "interaction_net, l1 for vae/ae")  # fmt: skip
            raise SpecError(f"{exc} from data {data.source}; accepted: {accepted}") from None
        check_before_training(model, ctx.spec, data.task, ctx.rtl)
        return replace(state, float_model=model)


def _check_data_fits_model(ctx: BuildContext, state: BuildState, model) -> None:
    """The user's data must have the user's model's input shape: checked before any training or g++ build."""
    data = state.data
    if data is None:
        return
    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    shapes = [tuple(int(d) for d in t.shape[1:]) for t in inputs]
    if len(shapes) != 1:
        from codesign.firmware.several_inputs import data_refused

        raise data_refused(f"model.file {ctx.spec.model.file}", [t.name.split(":")[0] for t in inputs], data.source)
    if shapes[0] != tuple(data.input_shape):
        raise SpecError(
            f"model.file {ctx.spec.model.file}: the model takes inputs of shape {' + '.join(map(str, shapes))} but "
            f"the data ({data.source}) have samples of shape {tuple(data.input_shape)} (accepted: data whose samples "
            "match the model's input)"
        )
    if data.task == "classification" and len(model.outputs) != 1:
        names = ", ".join(t.name.split(":")[0].split("/")[0] for t in model.outputs)
        raise SpecError(
            f"model.file {ctx.spec.model.file}: the model has {len(model.outputs)} outputs ({names}) but a "
            f"classifier is trained and scored on one ({data.source} has {len(data.class_names)} classes; accepted: "
            "one output with one unit per class, or one output (a sigmoid or a logit) for two classes; without "
            "data: any number of outputs, checked bit for bit)"
        )
    n_out = int(np.prod([int(d) for d in model.outputs[0].shape[1:]]))
    binary = n_out == 1 and len(data.class_names) == 2  # one sigmoid (or logit) output: the probability of class 1
    if data.task == "classification" and len(model.outputs) == 1 and n_out != len(data.class_names) and not binary:
        raise SpecError(
            f"model.file {ctx.spec.model.file}: the model has {n_out} outputs but the data ({data.source}) have "
            f"{len(data.class_names)} classes (accepted: one output per class, or one output (a sigmoid or a logit) "
            "for two classes)"
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
    code = ("codesign.prune", "codesign.distill", "codesign.train", "codesign.modelio")

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
        else:
            _remove_stage(ctx, "pruned", "prune")

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
            "codesign.act_range", "codesign.distill")  # fmt: skip

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

        q, state = _data_ranges(ctx, state, source)
        qmodel = quantize.to_qkeras(source, q)
        teacher = state.float_model  # quantize.distill fits its outputs
        result = quantize.qat(qmodel, state.data, q, ctx.spec.train, mask_from=state.pruned_model, teacher=teacher)
        state = _with_sparsity(replace(state, qmodel=result.model, histories={**state.histories, "qat": result.history}))
        _refuse_all_zero_layers(ctx, state)
        return state

    def save(self, ctx, state):
        if self._active(ctx, state):
            modelio.save_model(state.qmodel, _model_path(ctx, "quantized"))
            _write_json(_history_path(ctx, "qat"), state.histories.get("qat", {}))
        else:
            _remove_stage(ctx, "quantized", "qat")

    def artefacts(self, ctx, state):
        return _stage_files("quantized", "qat") if self._active(ctx, state) else []

    def load(self, ctx, state):
        if not self._active(ctx, state):
            return self.run(ctx, state)
        model = _load_stage(ctx, "quantized")
        hist = _read_json(_history_path(ctx, "qat"))
        if model is None or hist is None:
            return None
        if state.data is not None:  # a reused step reports the ranges it was built with, as a fresh one does
            _, state = _data_ranges(ctx, state, state.pruned_model or state.float_model)
        return _with_sparsity(replace(state, qmodel=model, histories={**state.histories, "qat": hist}))


def _data_ranges(ctx: BuildContext, state: BuildState, source):
    """The spec's QuantizeSpec with ``activation_range: data`` applied (act_range), and the state with one note per
    ReLU saying the range chosen; the spec's own QuantizeSpec and the state unchanged otherwise."""
    q = ctx.spec.quantize
    if q.activation_range != "data":
        return q, state
    from codesign import act_range

    q, lines = act_range.from_data(source, state.data.x_train, q)
    for line in lines:
        state = state.note(f"quantize: {line}")
    return q, state


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


def check_before_training(model, spec, task: str | None = None, rtl: bool = False) -> None:
    """Refuse before any training what a later step would refuse: layer names (:func:`check_layer_names`),
    ``prune.layers`` naming a layer that is not prunable, ``prune.distill`` on a model that is not an anomaly model
    (``task`` from the data), reuse factors the conversion would refuse (Dense layers on flat inputs), and with
    ``rtl`` float weights that go to firmware as they are (``quantize: null``), which the RTL route refuses."""
    check_layer_names(model, spec)
    if rtl and len(model.inputs) != 1:
        from codesign.rtl.trace import check_supported

        check_supported(model)  # several inputs: refused before any training
    if rtl and spec.quantize is None:
        from codesign.rtl.trace import check_weights_quantized

        score = spec.anomaly_score  # an anomaly model's firmware is its encoder (vae) or whole (ae) and the score
        if score is not None:
            from codesign import zoo

            model = zoo.score_model(model, score)
        check_weights_quantized(model, "--rtl")
    if spec.prune.enabled:
        from codesign import prune

        prune.layer_targets(model, spec.prune)
    for key, on in (("prune.distill", spec.prune.distill),
                    ("quantize.distill", spec.quantize is not None and spec.quantize.distill)):  # fmt: skip
        if on and task is not None and task != "anomaly":
            raise SpecError(f"{key} applies to anomaly models (vae, ae); model {model.name!r} is trained for "
                            f"{task} (remove {key})")  # fmt: skip
    from codesign.hls.recurrent import require_bidirectional_io
    from codesign.hls.reuse import check_spec_reuse_factors

    check_spec_reuse_factors(model, spec.hls)
    _check_parallelization_factor(model, spec.hls)
    require_bidirectional_io(model, spec.hls.io_type, "the model")
    from codesign.firmware.check_inputs import check_memory

    # the C-simulation step draws check.n_samples grid inputs (and as many stand-ins without data): 10**10 was a
    # MemoryError (exit 7) after the whole training
    if not isinstance(model.input_shape, list):  # a model of several inputs is refused by name at the C-simulation
        check_memory(2 * spec.check.n_samples, tuple(int(d) for d in model.input_shape[1:]), "check.n_samples",
                     spec.check.n_samples)  # fmt: skip


def _check_parallelization_factor(model, hls) -> None:
    """``hls.parallelization_factor`` is applied to io_parallel Conv1D layers only: given for a model without one (or
    in io_stream) it was dropped without a word; one that does not divide a layer's outputs failed after training."""
    from codesign.steps.firmware import _conv_overrides

    if hls.parallelization_factor == "full":
        return
    convs = [layer.name for layer in model.layers if type(layer).__name__ in ("Conv1D", "QConv1D")]
    if not convs or hls.io_type != "io_parallel":
        why = "the model has no Conv1D layer" if not convs else f"hls.io_type is {hls.io_type!r}"
        raise SpecError(f"hls.parallelization_factor {hls.parallelization_factor}: applies to io_parallel Conv1D "
                        f"layers, and {why}, so it would be dropped (accepted: leave it out, or 'full')")  # fmt: skip
    _conv_overrides(model, hls)  # a factor that does not divide a layer's outputs, before the training


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
