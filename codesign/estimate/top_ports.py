"""Registers the io_parallel top function holds at its own ports (the top report's ``_preg`` rows).

hls4ml's io_parallel top reshapes each input array into one word (``#pragma HLS ARRAY_RESHAPE ... complete``) and
gives it an ``ap_vld`` interface (``#pragma HLS INTERFACE ap_vld port=<inputs>,<outputs>``). Under a PIPELINE
top, HLS holds that word in a port register: ``<input>_preg`` of n_in x width bits and ``<input>_ap_vld_preg`` of
one, per input array, whatever the design's latency (a combinational top too: hls4ml's ReLU and pooling
baselines report FF = 16 + 1 + 1 and 121 x 3 x 16 + 1 + 1, the last one the state register). The output ports get
none (their values are the last layer's output registers, counted at the call boundaries). A DATAFLOW top has no
such register (its input is a ping-pong channel: Gabriele-bot, nicologhielmetti, ummarikar, GuillaumeDerville,
mgrailoo report none), nor does Vitis HLS 2021.1-2022.1, which makes the same pragma an ``ap_none`` port
(constants.VITIS_INPUT_PORT_REGISTER_FROM_YEAR). Three Vivado HLS tops whose outputs became ``ap_return_N`` ports
hold none either; nothing in the settings separates them (tests/test_estimate_ports.py lists them).

Off in the shipped estimate (constants.TOP_INPUT_PORT_REGISTER): right on the reports' register tables, it makes
the held-out extra_reports' FF worse (docs/estimator.md, "The top's port registers").
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from codesign.estimate import constants as K
from codesign.estimate.hardware import vivado_or_vitis_from

if TYPE_CHECKING:  # design imports settings, which parses the top's signature here
    from codesign.estimate.design import LayerCall

_INPUT_DIM = re.compile(r"N_INPUT_(\d+)_(\d+)$")
_SIGNATURE = re.compile(r"\bvoid\s+\w+\s*\(([^)]*)\)\s*\{", re.S)
_ARRAY_ARG = re.compile(r"(\w+)\s+(\w+)\s*\[([^\]]+)\]")


def parse_top_inputs(top_text: str, defines: dict[str, int]) -> list[int] | None:
    """Elements of each input array in the top function's signature (``input_t input_1[18*15*3]``, as hls4ml 1.x
    writes it; a size may name a define); the arrays named ``layer<N>_out`` are its outputs. None where the
    signature has no input array or a size that is not a product of integers and defines."""
    m = _SIGNATURE.search(top_text)
    if not m:
        return None
    sizes = []
    for _type, name, size in _ARRAY_ARG.findall(m.group(1)):
        if re.fullmatch(r"layer\d+_out", name):
            continue
        n = 1
        for factor in size.split("*"):
            factor = factor.strip()
            value = int(factor) if factor.isdigit() else defines.get(factor)
            if value is None:
                return None
            n *= int(value)
        sizes.append(n)
    return sizes or None


def parse_top_input_types(top_text: str) -> list[str] | None:
    """The element type name of each input array in the top function's signature (``input_t``, ``input2_t`` ...),
    in the order of :func:`parse_top_inputs`; None where the signature has no input array."""
    m = _SIGNATURE.search(top_text)
    if not m:
        return None
    names = [typ for typ, name, _size in _ARRAY_ARG.findall(m.group(1)) if not re.fullmatch(r"layer\d+_out", name)]
    return names or None


def parse_top_input_names(top_text: str) -> list[str] | None:
    """The name of each input array in the top function's signature (``input_1``, ``input_2`` ...), in the order of
    :func:`parse_top_inputs`; None where the signature has no input array."""
    m = _SIGNATURE.search(top_text)
    if not m:
        return None
    names = [name for _typ, name, _size in _ARRAY_ARG.findall(m.group(1)) if not re.fullmatch(r"layer\d+_out", name)]
    return names or None


def reads_top_input(settings: dict, index: int, call: LayerCall) -> bool:
    """Whether the layer call ``index`` reads one of the top's input ports: its input type is an input array's
    type of the signature (``top_input_types``, a project read from its files: every layer that reads one of
    several inputs); else the first call (a record, which carries no signature)."""
    names = settings.get("top_input_types")
    if names:
        return bool(call.input_type) and call.input_type in names
    return index == 0


def _input_widths(settings: dict, calls: list[LayerCall], n: int) -> list[int]:
    """Bits of each input array's element: its own type where the settings resolve them (``top_input_types``
    through ``typedefs``), else the first layer's input width (16 where unknown)."""
    from codesign.estimate.design import element_precision
    from codesign.firmware.files import resolve_type

    names = settings.get("top_input_types") or []
    typedefs = settings.get("typedefs") or {}
    precs = [element_precision(resolve_type(t, typedefs)) for t in names]
    if len(precs) == n and all(p is not None for p in precs):
        return [p.width for p in precs]  # type: ignore[union-attr]
    width = calls[0].input.width if calls and calls[0].input is not None else 16
    return [width] * n


def input_arrays(settings: dict, calls: list[LayerCall]) -> list[int]:
    """Elements of each input array of the top: from its signature where the project was read from its files
    (``top_inputs``), else from ``defines.h``'s ``N_INPUT_<dim>_<input>`` (hls4ml 0.x names every dimension of
    every input so), else the first layer's ``n_in``."""
    if settings.get("top_inputs"):
        return [int(n) for n in settings["top_inputs"]]
    dims: dict[int, int] = defaultdict(lambda: 1)
    for key, value in (settings.get("defines") or {}).items():
        m = _INPUT_DIM.match(str(key))
        if m and isinstance(value, int | float) and value > 0:
            dims[int(m.group(2))] *= int(value)
    if dims:
        return [dims[k] for k in sorted(dims)]
    n_in = int(calls[0].num("n_in", 0) or 0) if calls else 0
    return [n_in] if n_in > 0 else []


def registers_input_port(style: str, io_parallel: bool, tool: str | None, version: str | None) -> bool:
    """Whether the top registers its ``ap_vld`` input word: an io_parallel PIPELINE top, under Vivado HLS or
    Vitis HLS from VITIS_INPUT_PORT_REGISTER_FROM_YEAR on (an unknown Vitis release counts as a current one)."""
    if style != "pipeline" or not io_parallel:
        return False
    return vivado_or_vitis_from(tool, version, K.VITIS_INPUT_PORT_REGISTER_FROM_YEAR)


def _port_pragmas(settings: dict) -> list[str] | None:
    """The top's INTERFACE and DATAFLOW pragma lines: a record's ``top_port_pragmas``, a project's ``top_pragmas``."""
    lines = settings.get("top_port_pragmas")
    if lines is None and settings.get("top_pragmas") is not None:
        lines = [p for p in settings["top_pragmas"] if re.search(r"\b(INTERFACE|DATAFLOW)\b", str(p), re.I)]
    return None if lines is None else [str(p) for p in lines]


def has_ap_vld_input(settings: dict) -> bool:
    """Whether the top is written with ``#pragma HLS INTERFACE ap_vld`` and without DATAFLOW, where the settings
    carry its pragmas; hls4ml's io_parallel template (0.2 on) writes ap_vld, so a design without its top's pragmas
    is taken to have it. hls4ml 0.x's first template has no INTERFACE line (fastmachinelearning/hls4ml keras-to-hls,
    Vivado HLS 2016.4): ``ap_none`` ports, no register. A record's DATAFLOW line counts here although its top style
    is hls4ml's rule (settings): the port register is the written top's (mgrailoo/HLS4ML_CPP_HDL_MNIST_: none)."""
    lines = _port_pragmas(settings)
    if lines is None:
        return True
    if any(re.search(r"#pragma\s+HLS\s+DATAFLOW\b", p, re.I) for p in lines):
        return False
    return any(re.search(r"\bINTERFACE\s+ap_vld\b", p, re.I) for p in lines)


def input_port_ff(settings: dict, calls: list[LayerCall], style: str) -> int:
    """FF of the top's input port registers: per input array, n_in x its element width (:func:`_input_widths`),
    plus its ap_vld flag; 0 where the top has no ap_vld input or :func:`registers_input_port` says it
    holds none (constants.TOP_INPUT_PORT_REGISTER off: 0)."""
    io_parallel = bool(calls) and all(c.io_type == "io_parallel" for c in calls)
    if not K.TOP_INPUT_PORT_REGISTER or not has_ap_vld_input(settings):
        return 0
    if not registers_input_port(style, io_parallel, settings.get("hls_tool"), settings.get("hls_tool_version")):
        return 0
    arrays = input_arrays(settings, calls)
    return sum(n * width + 1 for n, width in zip(arrays, _input_widths(settings, calls, len(arrays)), strict=True))


__all__ = [
    "input_arrays",
    "input_port_ff",
    "parse_top_input_names",
    "parse_top_input_types",
    "reads_top_input",
    "registers_input_port",
]
