"""User text that ends up inside generated code or scripts: accepted only in forms that cannot become code.

hls4ml writes the project name into C++ function names, ``build_lib.sh`` (``PROJECT=<name>``, run by bash
when the firmware is compiled) and ``project.tcl``; the part and clock uncertainty into ``project.tcl``
(``set part "<part>"``: Tcl substitutes ``[...]`` inside quotes); layer names into C++ variable names and
comments; HLSConfig values (precisions, strategies) into C++ headers. A quote, ``$(...)``, ``[...]``, ``;`` or a
newline in any of them would run as code when codesign compiles and C-simulates the project (or when
``--synth`` runs the HLS tool), so they are refused here with the key named and what is accepted.
"""

from __future__ import annotations

import re
from typing import Any

from codesign.errors import SpecError

C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: hls4ml writes sizes, reuse factors and table sizes into ``static const unsigned`` fields of the config structs
UNSIGNED_MAX = 2**32 - 1
#: C++20 keywords and alternative tokens: a C identifier g++ cannot take as a function, type or variable name
CPP_KEYWORDS = frozenset(
    "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class "
    "compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield decltype "
    "default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline "
    "int long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public register "
    "reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch template "
    "this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t "
    "while xor xor_eq".split()
)  # fmt: skip


#: names hls4ml 1.3 gives the top function's own variables and types (weights w2, b2, s2, wr2, ...; outputs layer4_out;
#: typedefs input_t, result_t, layer3_t, <layer>_weight_t, ...; config structs config2, relu_config3): an input
#: argument of that name shadows it (an input named 'w2' crashed the C-simulation with SIGBUS, 'input_t' failed g++)
HLS4ML_TOP_NAMES = re.compile(
    r"(?:[abdepstwz]|br|wr|tl|th|output_transform_w)\d+|layer\d+(?:_out|_h|_c|_cpy)?|(?:input\d*|result|layer\d+|"
    r"model_default)_t|\w+_(?:weight|bias|accum|result|table|scale|param|recurrent_weight|recurrent_bias)_t|"
    r"\w*config\d+|loaded_weights|nnet|std"
)


def is_cpp_name(text: str) -> bool:
    """A C identifier that is no C++ keyword (``class``, ``int``, ``new`` made g++ fail on hls4ml's project)."""
    return C_IDENTIFIER.fullmatch(text) is not None and text not in CPP_KEYWORDS
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_CLOCK_UNCERTAINTY = re.compile(r"\d+(\.\d+)?%?")
# precisions (ap_fixed<16,6,AP_RND,AP_SAT>), strategies, flags: no quote, ;, (, ), [, ], {, }, $, `, \, # or newline
_CONFIG_TEXT = re.compile(r"[A-Za-z0-9_<>,. %+-]*")


def project_name(value: Any, where: str) -> str:
    """A project name (hls4ml ``ProjectName``, spec ``hls.project_name``): a C identifier."""
    text = str(value)
    if not is_cpp_name(text):
        raise SpecError(
            f"{where}: {text!r} is not accepted: hls4ml writes it into C++ function names and the build_lib.sh shell "
            "script (accepted: a C identifier, letters, digits and _, not starting with a digit, and no C++ keyword)"
        )
    return text


def part_text(value: Any) -> str:
    """A full FPGA part string as written into project.tcl: letters, digits, '-' and '_' only."""
    text = str(value).strip()
    if not _PART.fullmatch(text):
        raise SpecError(
            f"FPGA part {text!r}: hls4ml writes the part into project.tcl, which the HLS tool runs (accepted: "
            "letters, digits, '-' and '_', e.g. xcvu9p-flga2104-2L-e)"
        )
    return text


def clock_uncertainty(value: Any, where: str) -> str | float | None:
    """ClockUncertainty as written into project.tcl: a number of ns or a percentage."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0):
        return value
    if isinstance(value, str) and _CLOCK_UNCERTAINTY.fullmatch(value.strip()):
        return value.strip()
    raise SpecError(f"{where}: ClockUncertainty {value!r} is not accepted (accepted: a number of ns such as 0.5, "
                    "or a percentage of the clock such as 12.5%)")  # fmt: skip


def config_strings(node: Any, where: str, key: str = "HLSConfig") -> None:
    """Every key and string value of a user's HLSConfig must be plain text hls4ml can write into C++."""
    if isinstance(node, dict):
        for k, v in node.items():
            if not isinstance(k, str) or not _CONFIG_TEXT.fullmatch(k):
                raise SpecError(f"{where}: {key} has the key {k!r}, which cannot go into C++ (accepted: letters, "
                                "digits, '_', '.', '-')")  # fmt: skip
            config_strings(v, where, f"{key}.{k}")
    elif isinstance(node, (list, tuple)):
        for v in node:
            config_strings(v, where, key)
    elif isinstance(node, str) and not _CONFIG_TEXT.fullmatch(node):
        raise SpecError(
            f"{where}: {key} = {node!r} cannot go into the generated C++ (accepted: a type such as "
            "ap_fixed<16,6,AP_RND,AP_SAT>, a number or a word; no quotes, ;, (, ), [, ], {, }, $, \\ or newlines)"
        )


def layer_names(model: Any, where: str = "the model", project: str | None = None) -> None:
    """Layer names become C++ identifiers (an input's array, every layer's ``<name>_result_t`` typedef): C identifiers
    only (a '.' or '-' in a name, or a leading digit, made g++ fail on hls4ml's project)."""
    names_as_c(list(getattr(layer, "name", "") for layer in getattr(model, "layers", ())), where)
    # an input's name is the top function's argument as it is (another layer's is a prefix: class_result_t compiles)
    inputs = [layer.name for layer in getattr(model, "layers", ()) if type(layer).__name__ == "InputLayer"]
    taken = [n for n in inputs if n in CPP_KEYWORDS or HLS4ML_TOP_NAMES.fullmatch(n) or n == project]
    if taken:
        raise SpecError(
            f"{where}: input layer name(s) {', '.join(map(repr, taken))}: hls4ml names the top function's input "
            "argument after the input layer, and this name is a C++ keyword, the project's (its top function) or "
            "one hls4ml gives its own weights, outputs, types or config structs (w2, layer2_out, input_t, config2: g++ "
            "failed, or the "
            "C-simulation crashed) (accepted: another C identifier, e.g. inputs, x, features); rename the input "
            "layer and re-save the model"
        )


def names_as_c(names: list[str], where: str) -> None:
    """:func:`layer_names` on the names alone (read from a model file's architecture when Keras cannot build it:
    tf-keras refuses a space or a non-ASCII letter with its own scope-name error)."""
    bad = [n for n in names if not C_IDENTIFIER.fullmatch(str(n))]
    if bad:
        raise SpecError(
            f"{where}: layer name(s) {', '.join(repr(b) for b in bad)} cannot go into the generated C++: hls4ml writes "
            "them into C++ type and variable names (accepted: C identifiers, letters, digits and '_', not starting "
            "with a digit); rename the layers and re-save the model"
        )
