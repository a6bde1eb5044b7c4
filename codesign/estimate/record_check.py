"""The settings of a calibration-schema record, checked before the estimator reads them.

A record is a hand-written or scraped JSON line: a value the estimator would read as something else (a negative
reuse factor taken as 1, a negative clock period giving a shorter latency, an unknown tool version taken as "no
version", a strategy it does not know taken as Latency) must decline that record with the field named, not turn
into a figure. Results (LUT, latency, ...) are never read, so they are not checked here.
"""

from __future__ import annotations

import math
import re
from typing import Any

from codesign.errors import DataError
from codesign.safe_names import UNSIGNED_MAX
from codesign.spec.fields import CLOCK_NS_RANGE

TOOLS = ("Vivado HLS", "Vitis HLS")
STRATEGIES = ("latency", "resource", "resource_unrolled", "distributed_arithmetic")
IO_TYPES = ("io_parallel", "io_stream")
TOOL_VERSION = re.compile(r"[0-9]{4}\.[0-9]+(\.[0-9]+)?")  # an HLS release: 2024.1, 2019.2.1 (ASCII digits: \d also takes full-width ones)
_POSITIVE = ("n_in", "n_out", "reuse_factor")  # an int where given; a str is a C expression hls4ml wrote
#: hls4ml writes these as ``static const unsigned`` in the config struct (safe_names.UNSIGNED_MAX): a value past 32
#: bits is not a C++ value (10**30 was priced as II 54 from a wrapped figure, DSP 1)
_POSITIVE_ACCEPTED = f"an integer from 1 to {UNSIGNED_MAX} (a C++ unsigned), or a C expression string of constants"
#: the geometry of a conv / pool / recurrent struct, >= 1 where given: 10**30 in_height was priced at 8.4e31 cycles,
#: n_chan 10**30 at 5.5e33 LUT, in_height 0 at 607 cycles (the 222 shipped records hold none outside the range)
_GEOMETRY = ("in_height", "in_width", "n_chan", "filt_height", "filt_width", "out_height", "out_width",
             "stride_height", "stride_width", "pool_height", "pool_width", "n_elem", "n_sequence", "n_state")  # fmt: skip
_NON_NEGATIVE = ("pad_top", "pad_bottom", "pad_left", "pad_right", "n_nonzeros")
_AP_TYPE = re.compile(r"\bap_u?(?:fixed|int)\b|\bu?fixed\s*<")  # a fixed-point type's spelling, parsed or not
#: settings read as mappings or lists (a list for typedefs was read as no typedefs, a string of tcl lines one
#: character per line: the LUT / DSP figures moved without a word)
_CONTAINERS = {"typedefs": dict, "defines": dict, "available": dict, "precisions": dict, "weight_sparsity": dict,
               "top_calls": list, "top_pragmas": list, "tcl_config_lines": list, "reuse_factors": list,
               "strategy": list, "model_shape": list}  # fmt: skip


def check_record(record: dict) -> None:
    """Raise DataError naming the record, the field and what is accepted for a setting the estimator cannot read."""
    from codesign.estimate.design import element_precision, eval_constant  # design reads settings, which imports this

    where = record.get("id") or "record without an id"

    def bad(field: str, value: Any, accepted: str) -> DataError:
        return DataError(f"{where}: {field} {value!r} (accepted: {accepted})")

    for key, kind in _CONTAINERS.items():  # read as iterables: a string was read a character at a time
        value = record.get(key)
        if value is not None and not isinstance(value, kind):
            raise bad(key, value if isinstance(value, (str, int, float)) else type(value).__name__,
                      f"a JSON {'object' if kind is dict else 'list'}, or null")  # fmt: skip
    clock = record.get("target_clock_ns")
    lo, hi = CLOCK_NS_RANGE
    if clock is not None and (isinstance(clock, bool) or not isinstance(clock, (int, float)) or not math.isfinite(clock)
                              or not lo <= clock <= hi):  # fmt: skip
        raise bad("target_clock_ns", clock, f"a period in ns from {lo:g} to {hi:g}, as a spec's hls.clock_ns")
    tool = record.get("hls_tool")
    if tool is not None and tool not in TOOLS:
        raise bad("hls_tool", tool, f"{', '.join(TOOLS)} or null")
    version = record.get("hls_tool_version")
    if version is not None and not (isinstance(version, str) and TOOL_VERSION.fullmatch(version)):
        raise bad("hls_tool_version", version, "a release such as 2020.1 or 2019.2.1, or null")
    io_type = record.get("io_type")
    if io_type is not None and (not isinstance(io_type, list) or any(v not in IO_TYPES for v in io_type)):
        raise bad("io_type", io_type, f"a list of {', '.join(IO_TYPES)}")
    layers = record.get("layers")
    if layers is None:
        return
    if not isinstance(layers, list):
        raise bad("layers", type(layers).__name__, "a list of config structs, JSON objects")
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise bad(f"layers[{i}]", type(layer).__name__, "a config struct, a JSON object")
        name = f"layers[{i}] ({layer.get('name') or layer.get('config') or layer.get('base')})"
        env = {**{k: v for k, v in (record.get("defines") or {}).items() if isinstance(v, (int, float))}, **layer}
        for key in _POSITIVE:
            value = layer.get(key)
            if value is None:
                continue
            if isinstance(value, str):  # an expression: a reuse factor that does not evaluate was read as 1
                value = eval_constant(env, key)
                if value is None and key != "reuse_factor":
                    continue  # a size it cannot evaluate is left to the layer's own decline
                value = int(value) if value is not None and value == int(value) else None
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= UNSIGNED_MAX:
                raise bad(f"{name}.{key}", layer[key], _POSITIVE_ACCEPTED + " defined in the record's defines")
        _check_geometry(layer, name, bad)
        strategy = layer.get("strategy")
        if strategy is not None and str(strategy).lower() not in STRATEGIES:
            raise bad(f"{name}.strategy", strategy, ", ".join(STRATEGIES))
        for key, value in layer.items():  # a type the estimator cannot read was priced at a default width
            if not key.endswith("_t") or value is None:
                continue
            # a bare name is a typedef the record left unresolved (exponent_scale13_t), as hls4ml wrote it
            spelled = isinstance(value, str) and _AP_TYPE.search(value) is not None
            if not isinstance(value, str) or (spelled and element_precision(value) is None):
                raise bad(f"{name}.{key}", value, "an ap_fixed / ap_ufixed / ap_int / ap_uint type (also inside "
                          "nnet::array<...>), float, double or a typedef name")  # fmt: skip
        zeros, n_in, n_out = layer.get("n_zeros"), layer.get("n_in"), layer.get("n_out")
        if isinstance(zeros, int) and not isinstance(zeros, bool):
            size = n_in * n_out if isinstance(n_in, int) and isinstance(n_out, int) else None
            if zeros < 0 or (size is not None and zeros > size):
                raise bad(f"{name}.n_zeros", zeros, f"0 to n_in x n_out{f' = {size}' if size else ''}")


def _check_geometry(layer: dict, name: str, bad) -> None:
    """The integer constants of a config struct (``static const unsigned`` in hls4ml's parameters.h, a signed table
    bound or axis at most): a value no C++ int holds, a size below 1 or a padding below 0 raises ``bad``."""
    for key, value in layer.items():
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        if key in _GEOMETRY and not 1 <= value <= UNSIGNED_MAX:
            raise bad(f"{name}.{key}", value, f"an integer from 1 to {UNSIGNED_MAX} (a C++ unsigned)")
        if key in _NON_NEGATIVE and not 0 <= value <= UNSIGNED_MAX:
            raise bad(f"{name}.{key}", value, f"an integer from 0 to {UNSIGNED_MAX} (a C++ unsigned)")
        if key == "n_filt" and value != -1 and not 1 <= value <= UNSIGNED_MAX:  # -1: an activation's, no filters
            raise bad(f"{name}.{key}", value, f"an integer from 1 to {UNSIGNED_MAX}, or -1 (no filters)")
        if not -(2**31) <= value <= UNSIGNED_MAX:
            raise bad(f"{name}.{key}", value, f"an integer from {-(2**31)} to {UNSIGNED_MAX} (a C++ int or unsigned)")


def check_project_layers(layers: list[dict], defines: dict, where: str) -> None:
    """The config structs of a project's ``parameters.h`` (``where``): a reuse factor that does not evaluate to an
    integer >= 1 (``reuse_factor = 0``, a name the file does not define), a size that evaluates below 1, or a strategy
    the estimator does not know raises DataError naming the file, the struct and the key: the estimator would have
    read them as 1 or Latency. A size it cannot evaluate is left to the layer's own decline (named in the estimate)."""
    from codesign.estimate.design import eval_constant  # design reads the settings module, which imports this one

    for layer in layers:
        struct = f"struct {layer.get('config')}" + (f" ({layer['name']})" if layer.get("name") else "")
        env = {**{k: v for k, v in defines.items() if isinstance(v, (int, float))}, **layer}
        for key in _POSITIVE:
            if key not in layer:
                continue
            value = eval_constant(env, key)
            if value is None and key != "reuse_factor":
                continue
            if value is None or isinstance(value, bool) or value != int(value) or not 1 <= value <= UNSIGNED_MAX:
                raise DataError(f"{where}: {struct}: {key} = {layer[key]!r} (accepted: an integer from 1 to "
                                f"{UNSIGNED_MAX}, or an expression of constants defined in this struct or defines.h)")  # fmt: skip
        strategy = layer.get("strategy")
        if strategy is not None and str(strategy).lower() not in STRATEGIES:
            raise DataError(f"{where}: {struct}: strategy = nnet::{strategy} (accepted: "
                            f"{', '.join(f'nnet::{s}' for s in STRATEGIES)})")  # fmt: skip
