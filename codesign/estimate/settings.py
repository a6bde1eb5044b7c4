"""Turn an hls4ml project directory, or a calibration record, into one settings structure.

The structure is the one ``../shared/calibration/hls_reports.jsonl`` uses for a record's *settings* (never its
results): ``part``, ``target_clock_ns``, ``clock_uncertainty``, ``hls_tool``, ``hls_tool_version``, ``io_type``,
``strategy``, ``reuse_factors``, ``layers`` (every config struct of ``parameters.h`` with its constants and
resolved types), ``typedefs``, ``defines``, ``top_calls``, ``tcl_config_lines``, ``model_shape``,
``weight_sparsity``, ``available``; a project read from its files also gives ``top_pragmas`` (the ``#pragma HLS``
lines of the top function: PIPELINE or DATAFLOW), ``top_call_vars`` (each call's argument variables,
:func:`parse_top_call_vars`, from which estimate.call_graph reads the call graph) and ``top_inputs`` (the elements
of each input array of its signature, top_ports.parse_top_inputs) and ``top_input_types`` (their element type names, which say the calls that read an
input port and each port's width) and ``top_input_names`` (their names); a record gives ``top_port_pragmas`` (its top's ``#pragma HLS INTERFACE`` and ``DATAFLOW`` lines). A record's own ``top_pragmas`` is read only where its configs say
io_stream (``SETTING_KEYS`` is the list the records mode may use): an io_parallel record's top style comes from the
rule hls4ml's ``SetPipelineStyle`` pass applies to the layers (the figures of the io_parallel records were measured
so; their pragmas would move the LUT / FF of filipemlins/nas-hls4ml's hls4ml 0.x record and of a custom one,
mgrailoo/HLS4ML_CPP_HDL_MNIST_), and an io_stream top is DATAFLOW by that
rule too, so its pragmas change an estimate only where they contradict the configs (a PIPELINE top: refused,
``network.stream_top_mismatch``). The project is read from its files (``firmware/parameters.h``,
``defines.h``, ``myproject.cpp``, ``project.tcl`` / ``build_prj.tcl``, ``hls4ml_config.yml``) as hls4ml 1.3 writes
them for the Vivado and Vitis backends; hls4ml itself is not imported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from codesign.durable import SCAN_FILE
from codesign.errors import DataError, SpecError
from codesign.estimate.record_check import check_project_layers, check_record
from codesign.estimate.top_ports import parse_top_input_names, parse_top_input_types, parse_top_inputs
from codesign.estimate.weights import layer_weight_counts
from codesign.firmware.files import parse_typedefs, resolve_type

#: The keys of a record that the estimator may read: settings only, never results.
SETTING_KEYS = (
    "id",
    "part",
    "target_clock_ns",
    "clock_uncertainty",
    "hls_tool",
    "hls_tool_version",
    "io_type",
    "strategy",
    "reuse_factors",
    "precisions",
    "layers",
    "typedefs",
    "defines",
    "top_calls",
    "tcl_config_lines",
    "model_shape",
    "weight_sparsity",
    "available",
)


def settings_from_record(record: dict) -> dict:
    """The settings of a calibration record (results and provenance dropped); DataError for a setting the estimator
    cannot read (record_check)."""
    check_record(record)
    out = {k: record.get(k) for k in SETTING_KEYS}
    if "io_stream" in (record.get("io_type") or []):
        out["top_pragmas"] = record.get("top_pragmas")
    if record.get("top_pragmas") is not None:  # the port protocols and DATAFLOW (top_ports), whatever the io_type
        out["top_port_pragmas"] = [p for p in record["top_pragmas"] if re.search(r"\b(INTERFACE|DATAFLOW)\b", p, re.I)]
    # The tcl clock uncertainty line is a setting ('set clock_uncertainty 12.5%'); the report's value is not.
    out["clock_uncertainty"] = _uncertainty_from_tcl(record.get("tcl_config_lines") or [])
    return out


def _uncertainty_from_tcl(lines: list[str]) -> str | None:
    """The clock uncertainty the build script applies, or None for the tool's default.

    ``set clock_uncertainty 12.5%`` only sets a tcl variable; the uncertainty is applied by
    ``set_clock_uncertainty $clock_uncertainty default`` (or a literal value there). A script without that command
    synthesises with the tool's default (alex-yang-upenn: ``set clock_uncertainty 12.5%`` alone, report 0.9 ns = 27 %
    of 3.33 ns, the Vitis HLS default).
    """
    value = applied = None
    for line in lines:
        m = re.match(r"\s*set\s+clock_uncertainty\s+(\S+)", line)
        if m and value is None:
            value = m.group(1)
        m = re.match(r"\s*set_clock_uncertainty\s+(\S+)", line)
        if m and applied is None:
            applied = m.group(1)
    if applied is None:
        return None
    return value if applied.startswith("$") else applied


class _TolerantLoader(yaml.SafeLoader):
    """Safe YAML loader that reads hls4ml's ``!keras_model 'path'`` style tags as plain strings."""


_TolerantLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
)


# ------------------------------------------------------------------------------------------------ C++ parsing
_STRUCT_RE = re.compile(
    # hls4ml 1.3 writes a hard activation's struct (hard_tanh_config2) without a base class
    r"(?://\s*(?P<name>[^\n]*)\n)?\s*struct\s+(?P<config>\w+)\s*(?::\s*nnet::(?P<base>\w+)\s*)?\{(?P<body>.*?)\n\};",
    re.S,
)
_CONST_RE = re.compile(r"static\s+(?:const|constexpr)\s+[\w:]+(?:\s+[\w:]+)?\s+(\w+)\s*=\s*([^;]+);")
#: hls4ml >= 1.0 names the dot-product kernel in the config struct (``using kernel = nnet::DenseLatency<...>``); its
#: stream ``dense`` then calls ``CONFIG_T::kernel`` (hls4ml 0.x structs have no such alias)
_KERNEL_RE = re.compile(r"using\s+kernel\s*=\s*nnet::(\w+)\s*<")


def parse_defines(text: str) -> dict[str, int]:
    """``#define NAME <int>`` lines as {name: value}."""
    return {k: int(v) for k, v in re.findall(r"^\s*#define\s+(\w+)\s+(\d+)\s*$", text, re.M)}


def _value(text: str) -> Any:
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*(?:[eE]-?\d+)?", text):
        return float(text)
    if text.startswith("nnet::"):
        return text[len("nnet::") :]
    return text


def parse_layer_configs(text: str, typedefs: dict[str, str]) -> list[dict]:
    """Every ``struct configN : nnet::<base>`` of parameters.h with its constants and resolved types."""
    layers = []
    for m in _STRUCT_RE.finditer(text):
        body = m.group("body")
        layer: dict[str, Any] = {"base": m.group("base") or "", "name": (m.group("name") or "").strip() or None}
        for key, val in _CONST_RE.findall(body):
            layer[key] = _value(val)
        for alias, typ in parse_typedefs(body).items():
            layer[alias] = resolve_type(typ, typedefs)
        kernel = _KERNEL_RE.search(body)
        if kernel:
            layer["kernel"] = kernel.group(1)
        layer["config"] = m.group("config")
        if layer.get("name") and (layer["name"].startswith("hls-fpga") or " " in layer["name"]):
            layer["name"] = None
        layers.append(layer)
    return layers


def split_template_args(text: str) -> list[str]:
    """Split ``a, b<c, d>, e`` at top-level commas."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur).strip())
    return out


def _scan_top_calls(text: str, where: str) -> list[tuple[str, str]]:
    """Every ``nnet::func<T...>(args)`` call of the top function, in order: (``nnet::func<args>``, the text between
    its parentheses). Refuses a template argument list that is never closed (see :func:`parse_top_calls`)."""
    calls = []
    for m in re.finditer(r"nnet::(\w+)\s*<", text):
        start = m.end()
        depth, i = 1, start
        while i < len(text) and depth and text[i] not in ";{}":
            if text[i] == "<":
                depth += 1
            elif text[i] == ">":
                depth -= 1
            i += 1
        if depth:
            line = text.count("\n", 0, m.start()) + 1
            shown = text[m.start() :].splitlines()[0].strip()[:120]
            raise DataError(f"{where}:{line}: cannot read the template arguments of '{shown}' (its '<' is not closed "
                            "before the statement ends); accepted: calls as hls4ml writes them, "
                            "nnet::<function><types..., config>(...);")  # fmt: skip
        args = ", ".join(split_template_args(text[start : i - 1]))
        if not re.match(r"\s*\(", text[i : i + 5]):
            continue  # a type such as nnet::array<...>, not a call
        paren = re.match(r"\s*\(([^;]*?)\)\s*;", text[i:])
        calls.append((f"nnet::{m.group(1)}<{args}>", paren.group(1) if paren else ""))
    return calls


def parse_top_calls(text: str, where: str = "top function") -> list[str]:
    """The ``nnet::func<T...>`` calls of the top function, in order, as ``nnet::func<args>`` strings. A template
    argument list that is never closed, or that runs past its statement (a ``;``), is refused naming ``where`` and
    the line: read on, it would swallow the next call and the layer would drop out of the estimate unseen."""
    return [call for call, _ in _scan_top_calls(text, where)]


#: hls4ml's in-place variables (a Reshape or Flatten in io_parallel): ``auto& layer4_out = layer3_out;``
_ALIAS_RE = re.compile(r"\bauto\s*&\s*(\w+)\s*=\s*(\w+)\s*;")
#: an array the top function declares, in its signature or its body: ``layer2_t layer2_out[N_LAYER_2]``
_ARRAY_RE = re.compile(r"\b\w+\s+(\w+)\s*\[")


def parse_top_call_vars(text: str, where: str = "top function") -> list[list[str]]:
    """The data arrays each call of :func:`parse_top_calls` passes (same order): its arguments that are arrays of
    the top function (its ports and the layer arrays it declares; an ``auto&`` in-place variable stands for the
    array it names), in argument order, so the array the call writes last (hls4ml passes ``(data..., [param,]
    res, weights...)``, weights being global): ``nnet::dense<...>(input_1, layer2_out, w2, b2)`` -> ``[input_1,
    layer2_out]``, ``nnet::elu<...>(layer2_out, 1.0, layer4_out)`` -> ``[layer2_out, layer4_out]``."""
    aliases = dict(_ALIAS_RE.findall(text))
    arrays = set(_ARRAY_RE.findall(text))

    def resolve(name: str) -> str:
        seen = set()
        while name in aliases and name not in seen:
            seen.add(name)
            name = aliases[name]
        return name

    out = []
    for _, arg_text in _scan_top_calls(text, where):
        names = [resolve(a.strip()) for a in split_template_args(arg_text)] if arg_text.strip() else []
        out.append([a for a in names if a in arrays])
    return out


def _tcl_settings(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, pat in (
        ("part", r"set\s+part\s+\"?([\w\-]+)\"?"),
        ("clock", r"set\s+clock_period\s+([\d.]+)"),
        ("uncertainty", r"set\s+clock_uncertainty\s+([\d.]+%?)"),
        ("backend", r"set\s+backend\s+\"?(\w+)"),
    ):
        m = re.search(pat, text)
        if m:
            out[key] = m.group(1)
    m = re.search(r"create_clock\s+-period\s+([\d.]+)", text)
    if m and "clock" not in out:
        out["clock"] = m.group(1)
    m = re.search(r"set_part\s+\{?([\w\-]+)", text)
    if m and "part" not in out and not m.group(1).startswith("$"):
        out["part"] = m.group(1)
    out["config_lines"] = [
        ln.strip()
        for ln in text.splitlines()
        if re.match(r"\s*(config_\w+|set\s+clock_uncertainty|set_clock_uncertainty|catch\s*\{config_)", ln)
    ]
    return out


def read_project(project_dir: Path | str) -> dict:
    """Read an hls4ml project directory into the settings structure the calibration records use."""
    root = Path(project_dir)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory (expected an hls4ml project directory)")
    fw = root / "firmware"
    params, defines = fw / "parameters.h", fw / "defines.h"
    if not fw.is_dir() and (root / SCAN_FILE).is_file():  # a scan's --out: each point has its own project
        points = sorted(p.name for p in (root / "points").glob("*") if (p / "hls" / "firmware").is_dir())[:3]
        raise DataError(f"{root}: a scan folder ({SCAN_FILE}), not an hls4ml project or a build: each point has "
                        f"its own (accepted: {root / 'points' / (points[0] if points else '<id>')}; points with a "
                        f"project: {', '.join(points) if points else 'none yet'})")  # fmt: skip
    if not params.exists() or not defines.exists():
        raise DataError(
            f"{root}: not an hls4ml project (missing firmware/parameters.h or firmware/defines.h); "
            "pass the directory hls4ml wrote (the one holding firmware/ and build_prj.tcl)"
        )
    cfg_yml = root / "hls4ml_config.yml"
    config: dict = {}
    if cfg_yml.exists():
        try:
            config = yaml.load(cfg_yml.read_text(encoding="utf-8"), Loader=_TolerantLoader) or {}
        except yaml.YAMLError as exc:
            raise DataError(f"{cfg_yml}: invalid YAML ({exc})") from None
        except UnicodeDecodeError as exc:  # was an internal error (exit 7)
            raise DataError(f"{cfg_yml}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                            "accepted: the hls4ml_config.yml hls4ml writes, or no such file") from None  # fmt: skip
        if not isinstance(config, dict):  # config.get below: an AttributeError (exit 7)
            raise DataError(f"{cfg_yml}: the top level is a {type(config).__name__}, not a mapping (accepted: the "
                            "hls4ml_config.yml hls4ml writes: ProjectName, Part, ClockPeriod, IOType, HLSConfig, "
                            "...)")  # fmt: skip
    project_name = str(config.get("ProjectName") or "myproject")
    top_cpp = fw / f"{project_name}.cpp"
    if not top_cpp.exists():
        cands = [p for p in fw.glob("*.cpp") if not p.name.endswith(("_test.cpp", "_bridge.cpp"))]
        if not cands:
            raise DataError(f"{root}: no top-level firmware/<project>.cpp found")
        top_cpp = cands[0]
    defines_text = defines.read_text(errors="replace")
    typedefs = parse_typedefs(defines_text)
    params_text = params.read_text(errors="replace")
    typedefs.update({k: v for k, v in parse_typedefs(params_text.split("struct ")[0]).items() if k not in typedefs})
    layers = parse_layer_configs(params_text, typedefs)
    top_text = top_cpp.read_text(errors="replace")
    top_calls = parse_top_calls(top_text, str(top_cpp))
    top_call_vars = parse_top_call_vars(top_text, str(top_cpp))
    # hls4ml writes the layer name as a trailing comment of each call: prefer it to parameters.h comments
    for cfg, name in re.findall(r"nnet::\w+\s*<[^;]*?,\s*(\w+)\s*>\s*\([^;]*\);\s*//\s*(\S+)", top_text):
        for layer in layers:
            if layer.get("config") == cfg:
                layer["name"] = name

    check_project_layers(layers, parse_defines(defines_text), str(params))
    tcl: dict[str, Any] = {"config_lines": []}
    for name in ("project.tcl", "build_prj.tcl"):
        f = root / name
        if f.exists():
            t = _tcl_settings(f.read_text(errors="replace"))
            for k, v in t.items():
                if k == "config_lines":
                    tcl["config_lines"] += v
                else:
                    tcl.setdefault(k, v)
    part = tcl.get("part") or config.get("Part")
    clock = tcl.get("clock") or config.get("ClockPeriod")
    if part is None or clock is None:
        raise DataError(
            f"{root}: cannot find the part and clock (looked in project.tcl, build_prj.tcl, hls4ml_config.yml)"
        )
    backend = str(config.get("Backend") or tcl.get("backend") or "Vivado").lower()
    tool = "Vitis HLS" if backend.startswith("vitis") else "Vivado HLS"
    if backend not in ("vivado", "vitis"):
        raise SpecError(f"{root}: backend '{backend}' is not estimated (accepted: Vivado, Vitis)")
    uncertainty = tcl.get("uncertainty") or config.get("ClockUncertainty")
    if (root / "build_prj.tcl").exists():
        # the script that runs the synthesis: what it applies (the tool's default where it applies none)
        uncertainty = _uncertainty_from_tcl(tcl["config_lines"])
    io_types = sorted({str(x["io_type"]) for x in layers if "io_type" in x}) or [
        str(config.get("IOType", "io_parallel"))
    ]
    strategies = sorted({str(x["strategy"]).lower() for x in layers if "strategy" in x})
    rfs = sorted({int(x["reuse_factor"]) for x in layers if isinstance(x.get("reuse_factor"), int)})
    for x in layers:
        # the weight values, where hls4ml wrote them: +-2^k products are shifts (codesign.estimate.weights)
        counts = layer_weight_counts(fw, str(x.get("config") or ""))
        if counts is not None:
            x["n_shift"] = counts["n_shift"]
    n_w = n_z = 0
    for x in layers:
        if x.get("base") == "dense_config" and isinstance(x.get("n_in"), int) and isinstance(x.get("n_out"), int):
            n_w += x["n_in"] * x["n_out"]
            n_z += int(x.get("n_zeros", 0) or 0)
    return {
        "id": str(root),
        "part": str(part),
        "target_clock_ns": float(clock),
        "clock_uncertainty": str(uncertainty) if uncertainty is not None else None,
        "hls_tool": tool,
        "hls_tool_version": None,
        "io_type": io_types,
        "strategy": strategies,
        "reuse_factors": rfs,
        "precisions": {},
        "layers": layers,
        "typedefs": typedefs,
        "defines": parse_defines(defines_text),
        "top_calls": top_calls,
        "top_call_vars": top_call_vars,
        "top_inputs": parse_top_inputs(top_text, parse_defines(defines_text)),
        "top_input_types": parse_top_input_types(top_text),
        "top_input_names": parse_top_input_names(top_text),
        "top_pragmas": [" ".join(p.split()) for p in re.findall(r"#pragma\s+HLS\b[^\n]*", top_text)],
        "tcl_config_lines": tcl["config_lines"],
        "model_shape": [],
        "weight_sparsity": {"n_weights": n_w, "n_zeros": n_z} if n_w else None,
        "available": None,
    }
