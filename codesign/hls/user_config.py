"""A user's plain hls4ml YAML config (KerasJson/KerasH5/KerasModel) checked and converted through :func:`convert`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from codesign import model_safety, modelio, safe_names
from codesign.errors import SpecError
from codesign.hls.conversion import (  # noqa: E402
    convert,
)
from codesign.hls.prepare import (  # noqa: E402
    _is_softmax_layer,
    _layer_class,
    final_head_name,
    final_softmax_name,
    split_activation_names,
)
from codesign.hls.project import (  # noqa: E402
    IO_SIDECAR,
    HlsProject,
)
from codesign.precision import FixedPrecision
from codesign.spec import HLS4ML_CONFIG_KEYS as CONFIG_KEYS
from codesign.spec import HLS4ML_LEGACY_KEYS as LEGACY_KEYS

# Keys of a plain hls4ml YAML config that codesign understands (hls4ml's own names).
HLS_CONFIG_KEYS = ("Model", "LayerType", "LayerName")


MODEL_KEYS_IN_ORDER = ("KerasModel", "KerasJson", "KerasH5")  # the key the model was read from, as loaded below
MODEL_KEYS = ("Precision", "ReuseFactor", "Strategy", "BramFactor", "TraceOutput")



def _section(value: Any, label: str, keys: tuple[str, ...], where: str) -> dict:
    """A config section that must be a mapping with only the accepted keys, or a SpecError naming them."""
    if not isinstance(value, dict):
        raise SpecError(f"{where}: {label} must be a mapping (keys: {', '.join(keys)})")
    bad = [k for k in value if k not in keys]
    if bad:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(repr(k) for k in bad)} in {label} (accepted: {', '.join(keys)})"
        )
    return value

def convert_from_hls4ml_config(
    config: dict,
    config_path: Path,
    output_dir_override: Path | None = None,
    part: str | None = None,
    trust: bool = False,
) -> HlsProject:
    """Convert a user's plain hls4ml YAML config (KerasJson+KerasH5 / KerasH5 / KerasModel) through :func:`convert`.

    ``part`` (the full part name codesign resolved, ``--part`` winning over the config's ``Part``) is the
    part written to the project; without it the config's ``Part`` is resolved (short names accepted).
    ``trust`` (``--trust-model-code``) loads model files that would run code; see :mod:`codesign.model_safety`.
    """
    from codesign import parts
    config_path = Path(config_path)
    where = str(config_path)
    if not isinstance(config, dict):
        raise SpecError(f"{where}: an hls4ml config must be a mapping of keys (accepted: {', '.join(CONFIG_KEYS)})")
    cfg = dict(config)
    notes: list[str] = []
    for legacy, new in LEGACY_KEYS.items():
        if legacy in cfg:
            if new in cfg and cfg[new] != cfg[legacy]:
                raise SpecError(f"{where}: both '{legacy}' (legacy) and '{new}' are set and differ; keep '{new}'")
            cfg[new] = cfg.pop(legacy)
            notes.append(f"legacy key '{legacy}' read as '{new}' (hls4ml 1.3 ignores it and writes part None)")
    unknown = [k for k in cfg if k not in CONFIG_KEYS]
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(repr(k) for k in unknown)} "
            f"(accepted: {', '.join(CONFIG_KEYS + tuple(LEGACY_KEYS))})"
        )
    from codesign import hls4ml_config as hc

    def rel(v: Any, key: str) -> Path:
        return hc.resolve_path(v, key, config_path)

    hls_cfg = _section(cfg.get("HLSConfig", {}) or {}, "HLSConfig", HLS_CONFIG_KEYS, where)
    mcfg = _section(hls_cfg.get("Model", {}) or {}, "HLSConfig.Model", MODEL_KEYS, where)
    reuse = hc.positive_int(mcfg.get("ReuseFactor", 1), f"{where}: HLSConfig.Model.ReuseFactor")
    if "Precision" in mcfg:
        at = f"{where}: HLSConfig.Model"
        _layer_keys(hc.check_layer_entry({"Precision": mcfg["Precision"]}, at, False, notes), [None], None, at, notes)
    try:
        clock_ns = float(cfg.get("ClockPeriod", 5.0))
    except (TypeError, ValueError):
        raise SpecError(f"{where}: ClockPeriod must be a number of ns, got {cfg.get('ClockPeriod')!r}") from None
    if not 0.1 <= clock_ns <= 1000:
        raise SpecError(f"{where}: ClockPeriod {clock_ns:g} ns is outside 0.1..1000 ns")
    if part is None:
        if "Part" not in cfg:
            raise SpecError(f"{where}: no 'Part' (e.g. xcvu9p-flga2104-2L-e); hls4ml would write part None")
        part = parts.resolve_part(str(cfg["Part"])).full_name
    elif "Part" in cfg and parts.resolve_part(str(cfg["Part"])).full_name != part:
        notes.append(f"part {part} (from --part) used instead of the config's Part {cfg['Part']}")
    project_name = safe_names.project_name(cfg.get("ProjectName", "myproject"), f"{where}: ProjectName")
    clock_uncertainty = safe_names.clock_uncertainty(cfg.get("ClockUncertainty"), where)
    safe_names.config_strings(hls_cfg, where)
    loaded: list[str] = []
    if "KerasModel" in cfg and not isinstance(cfg["KerasModel"], (str, Path)):
        model = cfg["KerasModel"]
    elif "KerasModel" in cfg:
        model = modelio.load_model(rel(cfg["KerasModel"], "KerasModel"), trust=trust, notes=loaded)
    elif "KerasJson" in cfg:
        weights = rel(cfg["KerasH5"], "KerasH5") if "KerasH5" in cfg else None
        model = modelio.load_model(json_path=rel(cfg["KerasJson"], "KerasJson"), weights_path=weights,
                                   trust=trust, notes=loaded)  # fmt: skip
    elif "KerasH5" in cfg:
        model = modelio.load_model(rel(cfg["KerasH5"], "KerasH5"), trust=trust, notes=loaded)
    else:
        raise SpecError(f"{where}: no model: set KerasJson + KerasH5, KerasH5 or KerasModel")
    model_safety.require_firmware_safe(model, where)
    of_key = f"{where}: the model of {next(k for k in MODEL_KEYS_IN_ORDER if k in cfg)}"
    safe_names.layer_names(model, of_key, project_name)  # here, with the file named (the conversion checks again, as 'the model')
    modelio.fixed_input_shape(model, of_key)
    notes += model_safety.trust_notes(trust, loaded)

    softmax_name = final_softmax_name(model)
    hls_cfg = _checked_layer_settings(hls_cfg, model, softmax_name, where, notes)
    input_precision = None
    # the user's default precision is the input grid unless the input layer says otherwise
    if "Precision" in mcfg:
        p = mcfg["Precision"]
        text = p.get("default") if isinstance(p, dict) else p
        input_precision = FixedPrecision.parse(text) if text else None
        if input_precision is not None:
            notes.append(
                f"Model.Precision {input_precision.to_hls()} used for the input and float layers only; "
                "quantized layers keep the types of their QKeras quantizers (granularity 'name')"
            )
    own_inputs: dict[str, FixedPrecision] = {}  # an input layer's own type: each input of several keeps its own
    for lname, entry in (hls_cfg.get("LayerName", {}) or {}).items():
        if lname in _input_layer_names(model):
            pr = (entry or {}).get("Precision")
            text = pr.get("result") if isinstance(pr, dict) else pr
            # 'auto' (hls4ml's config_from_keras_model writes it for the input): hls4ml gives the Model default
            if text is not None and str(text).strip().lower() != "auto":
                try:
                    own_inputs[lname] = FixedPrecision.parse(text)
                except SpecError as exc:
                    raise SpecError(f"{where}: HLSConfig.LayerName.{lname}.Precision: {exc}") from None
    if len(model.inputs) == 1 and own_inputs:
        input_precision = next(iter(own_inputs.values()))
    # hls4ml writes OutputDir relative to the working directory
    out_dir = output_dir_override or Path(str(cfg.get("OutputDir", "my-hls-test")))
    tb = {}
    for key, arg in (("InputData", "tb_inputs"), ("OutputPredictions", "tb_outputs")):
        if key in cfg:
            tb[arg] = _read_tb_data(rel(cfg[key], key), where, key, _flat_width(model, key == "InputData"))
            notes.append(f"{key} {cfg[key]} written as the emitted project's own testbench data (Vivado/Vitis csim)")
    keep_softmax = softmax_name is not None and softmax_name in (hls_cfg.get("LayerName") or {})
    if keep_softmax and hc.skips_softmax(hls_cfg["LayerName"][softmax_name]):
        # hls4ml's SkipSoftmax removes it; codesign leaves it out the same way (its logits are checked)
        hls_cfg = {**hls_cfg, "LayerName": {k: v for k, v in hls_cfg["LayerName"].items() if k != softmax_name}}
        keep_softmax = False
        notes.append(f"{where}: HLSConfig.LayerName.{softmax_name}.Skip is true: the softmax is left out of the firmware")
    sigmoid_name = final_head_name(model, "sigmoid")
    keep_sigmoid = sigmoid_name is not None and sigmoid_name in (hls_cfg.get("LayerName") or {})
    project = convert(
        model,
        backend=cfg.get("Backend", "Vivado"),
        io_type=cfg.get("IOType", "io_parallel"),
        strategy=mcfg.get("Strategy", "Latency"),
        reuse_factor=reuse,
        clock_ns=clock_ns,
        part=part,
        input_precision=input_precision,
        input_precisions=own_inputs,
        output_dir=Path(out_dir),
        project_name=project_name,
        clock_uncertainty=clock_uncertainty,
        hls_config=hls_cfg,
        keep_final_softmax=keep_softmax,
        keep_final_sigmoid=keep_sigmoid,
        **tb,
    )
    sm = project.final_softmax
    asked = ((hls_cfg.get("LayerName") or {}).get(sm["layer"]) or {}) if sm else {}
    want = next((v for k, v in asked.items() if hc.snake(k) == "table_size"), None)
    if sm and want is not None and (sm["exp_table_size"], sm["inv_table_size"]) != (int(want), int(want)):
        notes.append(
            f"softmax '{sm['layer']}': table_size {want} asked, hls4ml emitted exp table {sm['exp_table_size']} and "
            f"inverse table {sm['inv_table_size']} entries (it caps a table at 2**bits of its address type)"
        )
    project = replace(project, notes=tuple(notes) + project.notes)
    (project.path / IO_SIDECAR).write_text(json.dumps(project.summary(), indent=1))
    return project


def _input_layer_names(model: Any) -> set[str]:
    names = {lyr.name for lyr in model.layers if _layer_class(lyr) == "InputLayer"}
    for t in model.inputs:
        node = getattr(t, "node", None)
        if node is not None and getattr(node, "layer", None) is not None:
            names.add(node.layer.name)
    return names


def _model_default(hls_cfg: dict) -> FixedPrecision | None:
    """The Model's default precision (what config_from_keras_model writes for a quantizer it cannot map)."""
    p = (hls_cfg.get("Model") or {}).get("Precision")
    text = p.get("default") if isinstance(p, dict) else p
    return None if text is None or str(text).strip().lower() == "auto" else FixedPrecision.parse(str(text))


def _layer_keys(entry: dict, layers: list, default: FixedPrecision | None, at: str, notes: list[str]) -> dict:
    """A checked entry's keys that belong to one kind of layer (Algorithm, a QBatchNormalization's
    beta/gamma/mean/variance types) checked against each layer it selects (codesign.hls4ml_layer_keys)."""
    from codesign import hls4ml_config as hc
    from codesign import hls4ml_layer_keys as lk

    out = dict(entry)
    for key, value in entry.items():
        if hc.snake(key) == "algorithm":
            for lyr in layers:
                lk.check_algorithm(value, lyr, at)
        elif hc.snake(key) == "static":
            for lyr in layers:
                lk.check_static(value, lyr, at)
        elif hc.snake(key) == "precision" and isinstance(value, dict):
            for lyr in layers:
                lk.check_param(value, lyr, at)
                out[key] = lk.batchnorm_precisions(value, lyr, default, at, notes)
    return out


def _checked_layer_settings(hls_cfg: dict, model: Any, softmax_name: str | None, where: str, notes: list[str]) -> dict:
    """HLSConfig with every LayerName/LayerType entry validated: unknown layers, types or keys are refused."""
    from codesign import hls4ml_config as hc

    out = dict(hls_cfg)
    names = {lyr.name: lyr for lyr in model.layers} | {n: None for n in _input_layer_names(model)}
    split = split_activation_names(model)  # a fused activation: hls4ml's own layer '<layer>_<activation>'
    by_name = hls_cfg.get("LayerName") or {}
    if not isinstance(by_name, dict):
        raise SpecError(f"{where}: HLSConfig.LayerName must be a mapping of layer names")
    default = _model_default(hls_cfg)
    checked = {}
    for lname, entry in by_name.items():
        linear = str(lname).endswith("_linear") and str(lname)[:-7] in names
        if lname not in names and lname not in split and not linear:
            raise SpecError(
                f"{where}: HLSConfig.LayerName '{lname}' is not a layer of the model (layers: {', '.join(sorted(names))}"
                f"{'; fused activations as hls4ml names them: ' + ', '.join(sorted(split)) if split else ''})"
            )
        lyr = names.get(lname)
        softmax = (lyr is not None and _is_softmax_layer(lyr)) or (lname in split and str(lname).endswith("_softmax"))
        at = f"{where}: HLSConfig.LayerName.{lname}"
        checked[lname] = _layer_keys(hc.check_layer_entry(entry, at, softmax, notes), [lyr], default, at, notes)
    if by_name:
        out["LayerName"] = checked
    by_type = hls_cfg.get("LayerType") or {}
    if not isinstance(by_type, dict):
        raise SpecError(f"{where}: HLSConfig.LayerType must be a mapping of layer classes")
    known: dict[str, bool] = {}
    for lyr in model.layers:
        for t in hc.layer_type_names(lyr, _is_softmax_layer(lyr)):
            known[t] = known.get(t, False) or _is_softmax_layer(lyr)
    checked = {}
    for tname, entry in by_type.items():
        if tname not in known:
            raise SpecError(
                f"{where}: HLSConfig.LayerType '{tname}' matches no layer of the model "
                f"(layer types here: {', '.join(sorted(known))})"
            )
        at = f"{where}: HLSConfig.LayerType.{tname}"
        layers = [lyr for lyr in model.layers if tname in hc.layer_type_names(lyr, _is_softmax_layer(lyr))]
        checked[tname] = _layer_keys(hc.check_layer_entry(entry, at, known[tname], notes), layers, default, at, notes)
    if by_type:
        out["LayerType"] = checked
    return out


def _flat_width(model: Any, inputs: bool) -> int:
    """Numbers per sample over all the model's inputs (or outputs)."""
    tensors = model.inputs if inputs else model.outputs
    return int(sum(np.prod([d for d in t.shape[1:]]) for t in tensors))


def _read_tb_data(path: Path, where: str, key: str, width: int | None = None) -> np.ndarray:
    """A testbench data file of an hls4ml config: ``.npy`` or whitespace-separated text (``.dat``/``.txt``), finite,
    with ``width`` numbers per sample (the model's inputs or outputs; a final softmax counts as output)."""
    if not path.is_file():
        raise SpecError(f"{where}: {key} file {path} does not exist (accepted: a .npy file or a .dat/.txt text file)")
    try:
        data = np.load(path, allow_pickle=False) if path.suffix == ".npy" else np.loadtxt(path, ndmin=2)
        data = np.asarray(data, dtype=np.float64)
    except (OSError, ValueError, TypeError) as exc:
        raise SpecError(f"{where}: {key} file {path} could not be read as .npy or text numbers: {exc}") from None
    if data.ndim == 0 or data.size == 0:
        raise SpecError(f"{where}: {key} file {path} holds no samples (accepted: one sample per row)")
    if not np.isfinite(data).all():
        bad = np.argwhere(~np.isfinite(data))[0].tolist()
        raise SpecError(f"{where}: {key} file {path} holds NaN/Inf (first at index {bad}; accepted: finite numbers)")
    rows = data.reshape(len(data), -1) if data.ndim > 1 else data.reshape(1, -1)
    if width is not None and rows.shape[1] != width:
        raise SpecError(f"{where}: {key} file {path} has {rows.shape[1]} numbers per sample but the model has {width} "
                        f"(accepted: one row of {width} numbers per sample)")  # fmt: skip
    return data
