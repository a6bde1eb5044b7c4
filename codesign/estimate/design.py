"""From settings (a record's or a project's) to the ordered list of layer calls the estimator walks.

Each entry of ``top_calls`` (``nnet::dense<input_t, layer2_t, config2>``) is matched to the config struct of
``parameters.h`` it names; the input and output element types are resolved through the typedefs.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass, field
from typing import Any

from codesign.errors import SpecError
from codesign.estimate.settings import split_template_args
from codesign.firmware.files import resolve_type
from codesign.precision import FixedPrecision

_AP_RE = re.compile(r"ap_u?(?:fixed|int)\s*<[^<>]*>|(?<![\w])u?fixed\s*<[^<>]*>")

#: nnet:: functions that are no hardware of their own (weight loading in C simulation, I/O helpers).
IGNORED_CALLS = (
    "print_full_result",
    "load_weights_from_txt",
    "load_compressed_weights_from_txt",
    "load_exponent_weights_from_txt",
    "print_result",
    "hls_stream_debug",
    "save_layer_output",
    "array",
    "copy_data",
    "fill_zero",
)


@dataclass(frozen=True)
class LayerCall:
    """One layer as the top function calls it: kernel name, config constants, element precisions."""

    name: str
    function: str
    config: dict[str, Any]
    input: FixedPrecision | None
    output: FixedPrecision | None
    io_type: str
    extra_inputs: tuple[FixedPrecision | None, ...] = field(default=())
    pack: int = 1
    #: io_stream: elements per word of the output stream (``res_T::size``)
    out_pack: int = 1
    #: config structs the layer's own struct names (a recurrent layer's two dense products and two
    #: activations: ``mult1``, ``mult2``, ``act_recr``, ``act``; see :func:`recurrent_parts`)
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the input's type name as the top writes it (``input_t``, ``layer2_t``): which calls read a top input port
    input_type: str = ""
    #: the data the call reads and the one it writes, for the call graph (estimate.call_graph): its argument
    #: variables where the settings carry them (``top_call_vars``, a project), else its data type names (a record)
    reads: tuple[str, ...] = ()
    writes: str = ""

    def num(self, key: str, default: float | None = None) -> float | None:
        """A numeric constant of the config struct, evaluating expressions such as ``n_in * n_out``."""
        return eval_constant(self.config, key, default)

    def prec(self, key: str) -> FixedPrecision | None:
        """A precision of the config struct (``weight_t``, ``accum_t``, ``table_t`` ...), or None."""
        return element_precision(self.config.get(key))


def element_precision(type_text: Any) -> FixedPrecision | None:
    """The ``ap_fixed`` element type inside a type text (``nnet::array<ap_fixed<8,1>,16*1>`` -> ap_fixed<8,1>)."""
    if not isinstance(type_text, str):
        return None
    m = _AP_RE.search(type_text)
    if not m:
        return None
    text = m.group(0)
    if not text.startswith("ap_"):
        text = "ap_" + text
    try:
        return FixedPrecision.parse(text)
    except SpecError:
        return None


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}


def eval_constant(config: dict, key: str, default: float | None = None, _depth: int = 0) -> float | None:
    """Evaluate a config constant that may be an arithmetic expression of other constants."""
    val = config.get(key)
    if val is None:
        return default
    if isinstance(val, bool):
        return float(val)
    if isinstance(val, (int, float)):
        return val
    if _depth > 8:
        return default
    text = str(val).replace("DIV_ROUNDUP", "_divup")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return default

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            v = eval_constant(config, node.id, None, _depth + 1)
            if v is None:
                raise ValueError(node.id)
            return v
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and isinstance(a, int) and isinstance(b, int):
                return a // b
            return _OPS[type(node.op)](a, b)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_divup" and len(node.args) == 2:
            return math.ceil(ev(node.args[0]) / ev(node.args[1]))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError(ast.dump(node))

    try:
        return ev(tree)
    except (ValueError, ZeroDivisionError, TypeError):
        return default


def _pack_size(type_text: str) -> int:
    """Elements per stream word of ``nnet::array<T, N>`` (1 for a scalar type)."""
    m = re.search(r"nnet::array<.*,\s*([\d\s*]+)>\s*$", type_text)
    if not m:
        return 1
    try:
        return max(1, math.prod(int(x) for x in m.group(1).split("*") if x.strip()))
    except ValueError:
        return 1


_ELEMENTWISE = re.compile(
    r"^(relu|leaky_relu|hard_|sigmoid|tanh|elu|selu|softplus|softsign|softmax|linear|"
    r"binary_tanh|ternary_tanh|prelu|normalize)"
)


def output_size(cfg: dict) -> int | None:
    """Number of output elements of a layer from its config constants, when they say."""
    n_filt = eval_constant(cfg, "n_filt")
    for keys in (("out_height", "out_width"), ("out_width",)):
        vals = [eval_constant(cfg, k) for k in keys]
        if all(v is not None for v in vals) and n_filt is not None and n_filt > 0:
            return int(math.prod(vals) * n_filt)
    n_out = eval_constant(cfg, "n_out")
    return int(n_out) if n_out is not None else None


_IO_TYPES = ("io_parallel", "io_stream")
_RECURRENT = re.compile(r"^(lstm|gru|bidirectional)")
_RECURRENT_BASES = ("lstm_config", "gru_config", "bidirectional_config")


def is_recurrent(function: str, config: dict) -> bool:
    """An LSTM / GRU layer call (``nnet::lstm_stack``, ``gru_stack``, ``bidirectional_stack`` ...)."""
    base = str(config.get("base", ""))
    return bool(_RECURRENT.match(function.lower())) or base in _RECURRENT_BASES


def _cell_parts(
    cfg: dict, by_config: dict[str, dict], defines: dict, mults: tuple[str, str], index: str
) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for key, typedef, default in (("mult1", "mult_config1", mults[0]), ("mult2", "mult_config2", mults[1])):
        name = str(cfg.get(typedef) or default)
        if name in by_config:
            out[key] = {**defines, **by_config[name]}
    for key, typedefs, suffix in (
        ("act_recr", ("ACT_CONFIG_LSTM", "ACT_CONFIG_GRU"), f"_{index}_recr"),
        ("act", ("ACT_CONFIG_T",), f"_{index}"),
    ):
        named = [str(cfg[t]) for t in typedefs if cfg.get(t) in by_config]
        found = named or [n for n in by_config if n.endswith(suffix) and n != index]
        if found:
            fn = found[0][: -len(suffix)] if found[0].endswith(suffix) else None
            out[key] = {**by_config[found[0]], "function": fn}
    return out


def recurrent_parts(
    cfg_name: str | None, cfg: dict, by_config: dict[str, dict], defines: dict | None = None
) -> dict[str, dict]:
    """The config structs a recurrent layer's struct names: its two dense products and two activations.

    hls4ml (0.7 to 1.3, ``recurrent_templates.py``) writes ``configN_1`` (input x kernel), ``configN_2`` (state x
    recurrent kernel), ``<recurrent_activation>_configN_recr`` and ``<activation>_configN`` next to ``configN``
    and names them in it (``typedef configN_1 mult_config1`` ...); the typedef is used where the settings kept
    it, the naming rule otherwise. Each activation's function is the prefix of its struct name. A
    bidirectional layer (hls4ml 1.3) has one such set per direction, under ``forward`` and ``backward``:
    ``configN_forward`` (with ``n_state``, ``n_mult`` 4 for LSTM, 3 for GRU), ``configN_1_f``, ``configN_2_f``,
    ``<act>_configN_f_recr``, ``<act>_configN_f`` (``_b`` for backward).
    """
    if not cfg_name:
        return {}
    defines = defines or {}
    bidirectional = str(cfg.get("base", "")) == "bidirectional_config" or "FORWARD_CONFIG" in cfg
    if not bidirectional:
        return _cell_parts(cfg, by_config, defines, (f"{cfg_name}_1", f"{cfg_name}_2"), cfg_name)
    out: dict[str, dict] = {}
    for d in ("forward", "backward"):
        name = str(cfg.get(f"{d.upper()}_CONFIG") or f"{cfg_name}_{d}")
        if name not in by_config:
            continue
        sub = {**defines, **by_config[name]}
        mults = (f"{cfg_name}_1_{d[0]}", f"{cfg_name}_2_{d[0]}")
        out[d] = {"layer": sub, **_cell_parts(sub, by_config, defines, mults, f"{cfg_name}_{d[0]}")}
    return out


_KERNEL_STRATEGY = {"dense_latency": "latency", "dense_resource": "resource"}


def build_calls(settings: dict) -> list[LayerCall]:
    """Match the top function's calls to their config structs; unknown calls keep an empty config."""
    layers = settings.get("layers") or []
    by_config = {str(x.get("config")): x for x in layers if x.get("config")}
    typedefs = settings.get("typedefs") or {}
    defines = {k: v for k, v in (settings.get("defines") or {}).items() if isinstance(v, (int, float))}
    # hls4ml's recurrent config writes its strategy into ``io_type`` (``io_type = nnet::latency``): only the two
    # io types count
    io_types = [t for t in settings.get("io_type") or [] if t in _IO_TYPES]
    default_io = io_types[0] if io_types else "io_parallel"
    calls: list[LayerCall] = []
    prev_out: int | None = None
    call_vars = settings.get("top_call_vars")
    for j, call in enumerate(settings.get("top_calls") or []):
        m = re.match(r"nnet::(\w+)\s*<(.*)>\s*$", call)
        if not m:
            continue
        func = m.group(1)
        if func in IGNORED_CALLS:
            continue
        args = split_template_args(m.group(2))
        cfg_name = next((a for a in reversed(args) if a in by_config), None)
        cfg = dict(by_config.get(cfg_name, {})) if cfg_name else {}
        if cfg:
            # sizes written as defines.h names (hls4ml <= 0.8: ``n_out = N_OUT_2 * 4``) evaluate through them
            for k, v in defines.items():
                cfg.setdefault(k, v)
        types = [a for a in args if a != cfg_name]
        precs = [element_precision(resolve_type(t, typedefs)) for t in types]
        inp = precs[0] if precs else None
        out = precs[-1] if len(precs) >= 2 else None
        extra = tuple(precs[1:-1]) if len(precs) > 2 else ()
        if func.startswith("softmax"):
            # the table types are aliases inside the struct (``typedef softmax_exp_table_t exp_table_t;``), which
            # harvested settings keep among the file's typedefs rather than in the layer's config
            for key in ("exp_table_t", "inv_table_t"):
                if key not in cfg and key in typedefs:
                    cfg[key] = resolve_type(typedefs[key], typedefs)
        name = str(cfg.get("name") or cfg_name or func)
        io = str(cfg.get("io_type") or default_io)
        io = io if io in _IO_TYPES else default_io
        pack = _pack_size(resolve_type(types[0], typedefs)) if types else 1
        out_pack = _pack_size(resolve_type(types[-1], typedefs)) if len(types) >= 2 else 1
        parts = recurrent_parts(cfg_name, cfg, by_config, defines) if is_recurrent(func, cfg) else {}
        mult1 = parts.get("mult1") or parts.get("forward", {}).get("mult1")
        if cfg and func in _KERNEL_STRATEGY:
            # the top calls the kernel itself instead of nnet::dense, which dispatches on CONFIG_T::strategy: the
            # kernel named is what runs, whatever the struct's strategy says
            cfg["strategy"] = _KERNEL_STRATEGY[func]
        if mult1 and "strategy" not in cfg:
            # the layer's strategy is that of its dense products (hls4ml's SetPipelineStyle reads the layer's)
            cfg["strategy"] = mult1.get("strategy", "latency")
        if "n_in" not in cfg and prev_out is not None and _ELEMENTWISE.search(func):
            # element-wise layer whose config struct the settings lack: its size is the previous output's
            cfg["n_in"] = prev_out
        prev_out = output_size(cfg) or (cfg.get("n_in") if _ELEMENTWISE.search(func) else None)
        calls.append(
            LayerCall(
                name=name, function=func, config=cfg, input=inp, output=out, io_type=io, extra_inputs=extra, pack=pack,
                out_pack=out_pack, parts=parts, input_type=types[0] if types else "",
                **_data_flow(args, by_config, call_vars[j] if call_vars and j < len(call_vars) else None),
            )
        )
    return calls


def _data_flow(args: list[str], by_config: dict, variables: list[str] | None) -> dict[str, Any]:
    """``reads`` / ``writes`` of a call: the data arrays it passes, the one it writes last (hls4ml's ``(data...,
    [param,] res, weights...)``; settings.parse_top_call_vars). Without argument variables (a record), the data
    types stand for them, in the same order (``nnet::concatenate1d<layer3_t, layer4_t, layer5_t, config5>``)."""
    names = variables
    if names is None:
        names = [a for a in args if a not in by_config and re.fullmatch(r"[A-Za-z_]\w*", a)]
    if len(names) < 2:
        return {}
    return {"reads": tuple(names[:-1]), "writes": names[-1]}
