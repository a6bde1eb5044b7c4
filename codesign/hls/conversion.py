"""Keras/QKeras model -> written hls4ml project whose firmware is bit-exact (:func:`convert`), with its checks."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from codesign import console, exact_types, final_heads, hgq, keras_env, model_safety, modelio, safe_names
from codesign.arrays import as_rows
from codesign.errors import ConversionError, SpecError, ToolError, first_line
from codesign.firmware import description as fw_description
from codesign.precision import FixedPrecision
from codesign.reference.graph import is_quantized_model

keras_env.setup()

import hls4ml  # noqa: E402  (keras_env.setup must run first)

from codesign.hls.config import (  # noqa: E402
    POOLING_LAYERS,
    _fix_dot,
    _fix_pooling,
    build_hls_config,
    note_unsigned_max_padding,
    user_set_types,
)
from codesign.hls.input_typed import note_narrow_user_types, require_result_types_read  # noqa: E402
from codesign.hls.layer_settings import require_weights_inside  # noqa: E402
from codesign.hls.prepare import (  # noqa: E402
    _layer_class,
    final_head_name,
    prepare_model,
    require_convertible,
)
from codesign.hls.project import (  # noqa: E402
    BACKENDS,
    DEFAULT_INPUT_PRECISION,
    IO_SIDECAR,
    IO_TYPES,
    STRATEGIES,
    HlsProject,
    TopPort,
    _read_written_config,
)
from codesign.hls.recurrent import fix_lstm_types, require_bidirectional_io, require_recurrent_types  # noqa: E402
from codesign.hls.reuse import HLS4ML_KEYS, SPEC_KEYS, check_reuse_factors  # noqa: E402


def _pcheck(value: str, accepted: tuple[str, ...], what: str) -> str:
    for a in accepted:
        if str(value).lower() == a.lower():
            return a
    raise SpecError(f"{what} '{value}' is not supported (accepted: {', '.join(accepted)})")


def _parse_type(t: Any) -> FixedPrecision | None:
    try:
        return FixedPrecision.parse(str(t.precision))
    except Exception:
        return None


def _ports(variables: list[Any]) -> tuple[TopPort, ...]:
    out = []
    for v in variables:
        out.append(
            TopPort(
                name=v.name,
                type_name=v.type.name,
                size=int(np.prod(v.shape)),
                definition=v.definition_cpp(),
                precision=_parse_type(v.type),
            )
        )
    return tuple(out)


def _common_type(ports: tuple[TopPort, ...]) -> FixedPrecision | None:
    """The input type of the firmware: the one type all its inputs share (each input's own is on its port), or None
    where they differ."""
    types = {p.precision for p in ports}
    return next(iter(types)) if len(types) == 1 else None


def _check_reference_types(inputs: tuple[TopPort, ...], outputs: tuple[TopPort, ...], notes: list[str]) -> None:
    for p in inputs + outputs:
        if p.precision is not None and p.precision.width > 53:
            notes.append(
                f"'{p.name}' is {p.precision.to_hls()}: wider than a float64 mantissa, so its values are "
                "not exactly representable in float64 and an exact comparison may fail"
            )


@console.library_prints_to_fd2()  # hls4ml's prints (model parsing, conversion) go to the build log
def convert(
    model: Any,
    *,
    backend: str,
    io_type: str,
    strategy: str,
    reuse_factor: int,
    clock_ns: float,
    part: str,
    input_precision: FixedPrecision | None,
    output_dir: Path,
    project_name: str = "myproject",
    clock_uncertainty: str | float | None = None,
    tb_inputs: np.ndarray | None = None,
    tb_outputs: np.ndarray | None = None,
    layer_overrides: dict | None = None,
    hls_config: dict | None = None,
    keep_final_softmax: bool = False,
    keep_final_sigmoid: bool = False,
    input_precisions: dict[str, FixedPrecision] | None = None,
) -> HlsProject:
    """Convert a Keras/QKeras model into a written hls4ml project whose firmware is bit-exact by construction.

    ``input_precisions``: the type of an input layer (by name) of a model with several inputs where it differs from
    ``input_precision`` (an hls4ml config's ``LayerName.<input>.Precision``).

    ``keep_final_softmax`` / ``keep_final_sigmoid``: a final softmax / sigmoid layer stays in the firmware (its
    outputs are then checked with :mod:`codesign.softmax_twin` / :mod:`codesign.sigmoid_twin`); if the twin cannot
    reproduce it, the model is converted again without it.
    """
    args = {k: v for k, v in locals().items() if k not in ("model", "keep_final_softmax", "keep_final_sigmoid")}
    original_model = model
    softmax_name = final_head_name(model, "softmax") if keep_final_softmax else None
    sigmoid_name = final_head_name(model, "sigmoid") if keep_final_sigmoid and softmax_name is None else None
    backend = _pcheck(backend, BACKENDS, "hls backend")
    io_type = _pcheck(io_type, IO_TYPES, "hls io_type")
    strategy = _pcheck(strategy, STRATEGIES, "hls strategy")
    if int(reuse_factor) < 1:
        raise SpecError(f"hls reuse_factor must be >= 1, got {reuse_factor}")
    if not part or str(part).lower() == "none":
        raise SpecError("no FPGA part given (the project's build_prj.tcl needs one, e.g. xcvu9p-flga2104-2L-e)")
    part = safe_names.part_text(part)
    project_name = safe_names.project_name(project_name, "project name")
    clock_uncertainty = safe_names.clock_uncertainty(clock_uncertainty, "clock uncertainty")
    model_safety.require_firmware_safe(model)
    require_convertible(model)
    for cls, why in (("AnomalyScore", "the score's firmware is io_parallel only"),
                     ("Dot", "hls4ml 1.3 has no io_stream Dot kernel (its C++ does not compile)")):  # fmt: skip
        named = [lyr.name for lyr in model.layers if _layer_class(lyr) == cls]
        if named and io_type != "io_parallel":
            raise SpecError(f"layer(s) {', '.join(named)} ({cls}): {why}; hls.io_type {io_type!r} "
                            "(accepted: io_parallel)")  # fmt: skip
    require_bidirectional_io(model, io_type, "the model")
    hgq.require_proxy(model)
    safe_names.layer_names(model, project=project_name)
    modelio.fixed_input_shape(model, "the model")
    _refuse_shadowing_names(model)
    if hls_config:
        safe_names.config_strings(hls_config, "hls4ml config")
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)

    model, notes = prepare_model(model, keep_final_softmax=softmax_name is not None or sigmoid_name is not None)
    if input_precision is None:
        input_precision = DEFAULT_INPUT_PRECISION
        if len(input_precisions or {}) < len(model.inputs):
            notes.append(
                f"no input precision given: inputs are {input_precision.to_hls()} (snap data to this grid for "
                "exactness)"
            )
    cfg = build_hls_config(
        model,
        backend=backend,
        strategy=strategy,
        reuse_factor=reuse_factor,
        input_precision=input_precision,
        layer_overrides=layer_overrides,
        hls_config=hls_config,
        notes=notes,
        input_precisions=input_precisions,
    )
    tb_in = tb_out = None
    if tb_inputs is not None:
        tb_in = str(output_dir / "tb_input_features.npy")
        np.save(tb_in, as_rows(tb_inputs))
    if tb_outputs is not None:
        tb_out = str(output_dir / "tb_output_predictions.npy")
        np.save(tb_out, as_rows(tb_outputs))

    extra = {} if clock_uncertainty is None else {"clock_uncertainty": clock_uncertainty}

    def _convert() -> Any:
        try:
            g = hls4ml.converters.convert_from_keras_model(
                model,
                hls_config=cfg,
                output_dir=str(output_dir),
                project_name=project_name,
                backend=backend,
                io_type=io_type,
                part=part,
                clock_period=clock_ns,
                input_data_tb=tb_in,
                output_data_tb=tb_out,
                **extra,
            )
        except Exception as exc:
            raise ConversionError(
                f"hls4ml could not convert the model: {type(exc).__name__}: {first_line(exc)}"
            ) from exc
        if g is None:
            raise ConversionError("hls4ml returned no model for this configuration")
        return g

    graph = _convert()
    # pooling, power-of-two and float relu layer types depend on their input's resolved type: read it from a pass,
    # then convert again (a fixed layer can change the input type of the next one: at most one pass per layer).
    # A float model keeps hls4ml's default activation types (it is judged against the emulator of those types).
    po2_owned: set[str] = set()
    relu_owned: set[str] = set()
    quantized = is_quantized_model(model)
    user_types = user_set_types(model, hls_config, layer_overrides)
    for _ in range(len(model.layers) + 1):
        changed = False
        if any(_layer_class(lyr) in POOLING_LAYERS for lyr in model.layers):
            changed = _fix_pooling(model, cfg, graph, notes, user_types)
        if any(_layer_class(lyr) == "Dot" for lyr in model.layers):
            changed = _fix_dot(model, cfg, graph, notes, user_types) or changed
        changed = exact_types.fix_po2(model, cfg, graph, notes, po2_owned) or changed
        changed = fix_lstm_types(cfg, graph, notes, user_types) or changed
        if quantized:
            changed = exact_types.fix_float_relu(cfg, graph, notes, relu_owned) or changed
        if not changed:
            break
        graph = _convert()
    require_recurrent_types(graph, cfg)
    require_result_types_read(graph, cfg)
    require_weights_inside(graph, hls_config)
    note_narrow_user_types(graph, cfg, notes)
    exact_types.fix_alpha(graph, notes, _ap_type(graph))
    note_unsigned_max_padding(graph, notes)
    own_rf = {n for n, e in {**(layer_overrides or {}), **((hls_config or {}).get("LayerName") or {})}.items()
              if "ReuseFactor" in (e or {})}  # fmt: skip
    keys = HLS4ML_KEYS if hls_config else SPEC_KEYS
    reuse_factors = check_reuse_factors(graph, int(reuse_factor), own_rf, keys, notes)
    graph.write()
    try:
        fw_description.from_graph(graph).save(output_dir / fw_description.FILE_NAME)
    except Exception as exc:  # the emulator is a second check: its absence is reported, never fatal
        (output_dir / fw_description.FILE_NAME).unlink(missing_ok=True)
        notes.append(f"firmware description not written, so the emulator cannot check this project: {first_line(exc)}")
    final: dict[str, dict] = {}
    for head, name in (("sigmoid", sigmoid_name), ("softmax", softmax_name)):
        if name is None:
            continue
        twin = final_heads.twin(head)
        try:
            kept = twin.read_config(output_dir, name)
        except final_heads.UnsupportedHead as exc:
            return _without_head(original_model, args, name, head, exc)
        final[head] = kept.to_dict()
        notes.append(
            f"final {head} '{name}' kept in the firmware as the user's config asks ({twin.describe(kept)}); its "
            f"outputs are checked against hls4ml's table {head} redone in numpy (codesign/{head}_twin.py) on the "
            "exact logits"
        )
    final_softmax, final_sigmoid = final.get("softmax"), final.get("sigmoid")
    inputs = _ports(graph.get_input_variables())
    outputs = _ports(graph.get_output_variables())
    _check_reference_types(inputs, outputs, notes)
    layer_precisions: dict[str, dict[str, FixedPrecision]] = {}
    for layer in graph.get_layers():
        types = {}
        for tname, t in layer.types.items():
            fp = _parse_type(t)
            if fp is not None:
                types[tname.removesuffix("_t")] = fp
        layer_precisions[layer.name] = types
    project = HlsProject(
        path=output_dir,
        project_name=project_name,
        backend=backend,
        io_type=io_type,
        part=str(part),
        clock_ns=float(clock_ns),
        input_precision=_common_type(inputs),
        output_precision=outputs[0].precision if len(outputs) == 1 else None,
        layer_precisions=layer_precisions,
        reuse_factors=reuse_factors,
        config=_read_written_config(output_dir),
        notes=tuple(notes),
        inputs=inputs,
        outputs=outputs,
        keras_model=model,
        final_softmax=final_softmax,
        final_sigmoid=final_sigmoid,
        _graph=graph,
    )
    (output_dir / IO_SIDECAR).write_text(json.dumps(project.summary(), indent=1))
    _check_tcl(project)
    return project


def _without_head(model: Any, args: dict, name: str, head: str, exc: Exception) -> HlsProject:
    """The model converted again with its final ``head`` left out (the twin cannot reproduce the emitted one)."""
    user = dict(args["hls_config"] or {})
    user["LayerName"] = {k: v for k, v in (user.get("LayerName") or {}).items() if k != name}
    stripped = convert(model, **{**args, "hls_config": user})
    why = (
        f"final {head} '{name}' of the user's config NOT kept: codesign cannot build an exact reference for it "
        f"({exc}), so its settings are not applied: the firmware outputs the logits and those are checked bit for bit"
    )
    return replace(stripped, notes=(why, *stripped.notes))


# keys of hls4ml's parsed layer that a layer of the same name does not disturb (Keras names Activation layers
# 'activation' by default, and hls4ml converts those correctly)
_HARMLESS_KEYS = {"name", "class_name", "inputs", "outputs", "activation", "data_format"}


def _refuse_shadowing_names(model: Any) -> None:
    """hls4ml 1.3 stores a layer's output variable as the layer's attribute named after the layer: a layer named
    like one of its own attributes loses that attribute (a Permute named 'perm' fails to convert; a Dense named
    'bias' converts with the wrong bias and no error). Such names are refused, with the layer and the attribute."""
    try:
        arch = json.loads(model.to_json())
        layers, *_ = hls4ml.converters.parse_keras_model(arch, hls4ml.converters.KerasModelReader(model))
    except Exception:
        return  # the conversion itself reports what hls4ml cannot parse
    from hls4ml.model.layers import layer_map

    for layer in layers:
        cls = layer_map.get(layer.get("class_name"))
        attrs = set(layer) | {a.name for a in getattr(cls, "expected_attributes", ())}
        if layer["name"] in attrs - _HARMLESS_KEYS:
            raise SpecError(
                f"layer '{layer['name']}' ({layer['class_name']}): hls4ml 1.3 keeps the layer's attribute "
                f"'{layer['name']}' under the same name as its output and loses one of them (wrong firmware or a "
                "failed conversion); rename the layer (e.g. '{0}_1') and re-save the model".replace("{0}", layer["name"])
            )


def _ap_type(graph: Any) -> Any:
    """A function from an ``ap_fixed`` string to the backend's precision type object, ready to be written."""
    from hls4ml.backends.fpga.fpga_types import APTypeConverter

    def convert(text: str) -> Any:
        return APTypeConverter().convert(graph.config.backend.convert_precision_string(text))

    return convert


def _check_tcl(project: HlsProject) -> None:
    """The written project must set the part and clock (hls4ml silently writes 'None' otherwise).

    hls4ml 1.3 sets them in ``project.tcl``, which ``build_prj.tcl`` sources; a header comment in
    ``build_prj.tcl`` repeats them for whoever opens that file to run the build.
    """
    tcl = project.path / "project.tcl"
    if not tcl.exists():
        raise ToolError(f"hls4ml did not write {tcl}")
    text = tcl.read_text()
    if f'set part "{project.part}"' not in text:
        raise ToolError(f'{tcl} does not set part "{project.part}"; hls4ml wrote:\n{text[:400]}')
    if not re.search(r"^set clock_period\s+\S+", text, re.MULTILINE):
        raise ToolError(f"{tcl} does not set clock_period; hls4ml wrote:\n{text[:400]}")
    build = project.path / "build_prj.tcl"
    if build.exists():
        body = build.read_text()
        header = (
            f"# codesign: part {project.part}, clock {project.clock_ns:g} ns ({project.backend} backend), "
            "set in project.tcl which this script sources.\n"
            f"# Run: {'vitis_hls' if project.backend == 'Vitis' else 'vivado_hls'} -f build_prj.tcl "
            '"csim=1 synth=1 cosim=0 export=0"\n'
        )
        if not body.startswith("# codesign:"):
            build.write_text(header + body)
