"""The values of a plain hls4ml YAML config, checked at the edge before any model is loaded.

:mod:`codesign.spec` recognises an hls4ml config by its keys; this module checks what those keys hold
(types, ranges, precision strings, the part), so a non-numeric ``ReuseFactor`` or ``ClockPeriod``, a
``Precision`` such as ``ap_fixed<0,0>`` or an unknown part is refused with the file, the key path and what is
accepted, instead of failing (or passing) deep inside hls4ml. Which layer names exist and how paths resolve
is :mod:`codesign.hls`'s business.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codesign import safe_names
from codesign.errors import SpecError
from codesign.precision import ACCEPTED as PRECISIONS_ACCEPTED
from codesign.precision import FixedPrecision
from codesign.safe_names import UNSIGNED_MAX

BACKENDS = ("Vivado", "Vitis")
IO_TYPES = ("io_parallel", "io_stream")
STRATEGIES = ("Latency", "Resource")
# a softmax's implementation, which older hls4ml configs (and hls4ml's own tests) select with a layer's Strategy;
# codesign.hls4ml_config reads it as the softmax's implementation and refuses it on any other layer
SOFTMAX_STRATEGIES = ("Stable", "Argmax", "Legacy")
MAX_WIDTH = 1024  # AP_INT_MAX_W, the widest ap_fixed the HLS headers take by default
_FILE_KEYS = ("KerasJson", "KerasH5", "KerasModel", "OutputDir", "InputData", "OutputPredictions")


def check_precision(value: Any, where: str) -> None:
    """Refuse a precision that is not a type name, is malformed, or has nonsense widths (``ap_fixed<0,0>``)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            check_precision(sub, f"{where}.{key}")
        return
    if not isinstance(value, str):
        raise SpecError(f"{where}: {value!r} is not a type name (accepted: 'auto' or {PRECISIONS_ACCEPTED})")
    if value.strip().lower() == "auto":
        return check_hls4ml_spelling(value, where)
    try:
        p = FixedPrecision.parse(value)
    except SpecError as exc:
        tail = "" if "accepted" in str(exc) else f" (accepted: {PRECISIONS_ACCEPTED})"
        raise SpecError(f"{where}: {exc}{tail}") from None
    if p.width > MAX_WIDTH or p.integer > p.width:
        raise SpecError(
            f"{where}: '{value}' has width {p.width} and {p.integer} integer bits (accepted: 1 <= W <= {MAX_WIDTH} "
            "and I <= W, e.g. ap_fixed<16,6>)"
        )
    check_hls4ml_spelling(value, where)


# how hls4ml 1.3 reads a precision's text (FPGABackend.convert_precision_string): by these case-sensitive prefixes,
# and each rounding/overflow mode with 'AP_' removed case-sensitively before upper-casing it
_HLS4ML_PREFIXES = ("ap_", "ac_", "fixed", "ufixed", "int", "uint")
_LOWER_MODE_PREFIX = re.compile(r"(?i)a[pc]_")


def check_hls4ml_spelling(text: str, where: str) -> None:
    """Refuse a precision codesign's parser reads but hls4ml 1.3 does not: a leading space, an upper-case type
    name (both stop the conversion, 'Unsupported precision type') or a lower-case mode such as ap_rnd (a KeyError
    inside hls4ml); the message gives the spelling hls4ml reads. ``text`` has parsed as a precision already."""
    if text.strip().lower() == "auto":
        problem = "a leading space" if text[:1].isspace() else None
        fix = "auto"
    else:
        modes = [m.strip() for m in text.partition("<")[2].rpartition(">")[0].split(",")[2:]]
        if text[:1].isspace():
            problem = "a leading space"
        elif not text.startswith(_HLS4ML_PREFIXES):
            problem = f"the type name '{text.partition('<')[0]}' (hls4ml reads it in lower case only)"
        else:
            bad = [m for m in modes if _LOWER_MODE_PREFIX.match(m) and not m.startswith(("AP_", "AC_"))]
            problem = f"the mode(s) {', '.join(bad)} (hls4ml reads AP_ in upper case only)" if bad else None
        fix = FixedPrecision.parse(text).to_hls()
    if problem:
        raise SpecError(f"{where}: '{text}' cannot be read by hls4ml 1.3 because of {problem} (accepted: '{fix}')")


def _choice(value: Any, accepted: tuple[str, ...], where: str) -> None:
    if not isinstance(value, str) or value.lower() not in {a.lower() for a in accepted}:
        raise SpecError(f"{where}: {value!r} is not supported (accepted: {', '.join(accepted)})")


def check_strategy_spelling(value: Any, accepted: tuple[str, ...], where: str) -> None:
    """A strategy as hls4ml 1.3 reads it: it snake-cases the text before comparing, so 'RESOURCE' becomes
    'r_e_s_o_u_r_c_e' and the layer is silently built with Latency; only 'Resource' or 'resource' (and the same
    forms of the other names) select the strategy."""
    _choice(value, accepted, where)
    if value not in accepted and value not in {a.lower() for a in accepted}:
        fix = next(a for a in accepted if a.lower() == value.lower())
        raise SpecError(f"{where}: {value!r}: hls4ml 1.3 reads this spelling as another strategy and would build the "
                        f"layer with Latency (accepted: {fix!r} or {fix.lower()!r})")  # fmt: skip


def _positive_int(value: Any, where: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= UNSIGNED_MAX:
        raise SpecError(f"{where}: {value!r} is not an integer >= {minimum} (accepted: e.g. 1, 2, 4, at most "
                        f"{UNSIGNED_MAX}: hls4ml writes it as a C++ unsigned)")  # fmt: skip


def _mapping(value: Any, where: str, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{where}: must be a mapping ({what}), got {type(value).__name__} {value!r}")
    return value


def _check_layer_entry(entry: Any, where: str, per_layer: bool = True) -> None:
    """Value types of the settings codesign applies from a Model / LayerType / LayerName entry (``per_layer``
    False for Model, where a softmax implementation is no strategy)."""
    entry = _mapping(entry, where, "Precision:, ReuseFactor:, Strategy:, ...")
    for key, value in entry.items():
        if not isinstance(key, str):
            raise SpecError(f"{where}: key {key!r} is not a name (accepted: Precision, ReuseFactor, Strategy, ...)")
        at = f"{where}.{key}"
        if key == "Precision":
            check_precision(value, at)
            default = value.get("default") if isinstance(value, dict) else value
            if not per_layer and str(default).strip().lower() == "auto":  # was 'cannot parse', no file or key named
                raise SpecError(f"{at}: 'auto' is the model's default type, which hls4ml writes as model_default_t "
                                "and cannot infer (accepted: a type such as ap_fixed<16,6>; 'auto' goes on a layer)")  # fmt: skip
        elif key in ("ReuseFactor", "ParallelizationFactor", "TableSize", "table_size", "reuse_factor",
                     "parallelization_factor"):  # fmt: skip
            _positive_int(value, at)
        elif key == "BramFactor":
            _positive_int(value, at, minimum=0)
        elif key == "Strategy":
            if per_layer and isinstance(value, str) and value.lower() in {s.lower() for s in SOFTMAX_STRATEGIES}:
                continue  # which layer it names is checked where layers are known (codesign.hls4ml_config)
            check_strategy_spelling(value, STRATEGIES, at)
        elif key in ("TraceOutput", "Trace") and not isinstance(value, bool):
            raise SpecError(f"{at}: {value!r} is not true/false")


def _uncertainty_below_the_period(value: Any, clock: Any, where: str) -> None:
    """A clock uncertainty of the whole period or more (150%, or 10 ns of a 5 ns clock) leaves the HLS tool no time
    to schedule in: it was written into project.tcl as it was."""
    if value is None or isinstance(clock, bool) or not isinstance(clock, (int, float)):
        return
    text = str(value)
    ns = float(text[:-1]) / 100 * clock if text.endswith("%") else float(text)
    if ns >= clock:
        raise SpecError(f"{where}: ClockUncertainty {value!r} is {ns:g} ns of the {clock:g} ns ClockPeriod, which "
                        "leaves no time to schedule in (accepted: less than the period, e.g. 12.5% or 0.5)")  # fmt: skip


def check_hls4ml_values(raw: dict, path: Path) -> None:
    """Check the values of an hls4ml config read from ``path``; SpecError naming file, key and what is accepted."""
    from codesign import parts
    from codesign.spec import CLOCK_NS_RANGE

    where = str(path)
    for key in _FILE_KEYS:
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise SpecError(f"{where}: {key}: {raw[key]!r} is not a file path (accepted: a path string)")
    if "KerasJson" in raw and "KerasH5" not in raw:
        raise SpecError(
            f"{where}: KerasJson without KerasH5: the model would be built with random weights (accepted: "
            "KerasJson + KerasH5, KerasH5 alone, or KerasModel)"
        )
    if "ProjectName" in raw and (not isinstance(raw["ProjectName"], str) or not safe_names.is_cpp_name(raw["ProjectName"])):
        raise SpecError(f"{where}: ProjectName: {raw['ProjectName']!r} is not a C identifier (accepted: letters, "
                        "digits and '_', not starting with a digit, and no C++ keyword such as class)")  # fmt: skip
    for key in ("Part", "XilinxPart"):
        if key in raw:
            if not isinstance(raw[key], str):
                raise SpecError(f"{where}: {key}: {raw[key]!r} is not a part name (accepted: e.g. xcvu9p-flga2104-2L-e)")
            try:
                parts.resolve_part(raw[key])
            except SpecError as exc:
                raise SpecError(f"{where}: {key}: {exc}") from None
    if "ClockPeriod" in raw:
        clock = raw["ClockPeriod"]
        lo, hi = CLOCK_NS_RANGE
        if isinstance(clock, bool) or not isinstance(clock, (int, float)) or not lo <= clock <= hi:
            raise SpecError(f"{where}: ClockPeriod: {clock!r} is not a clock period in ns (accepted: a number from "
                            f"{lo:g} to {hi:g})")  # fmt: skip
    if "ClockUncertainty" in raw:  # the one check of what may go into project.tcl (the build applies the same)
        _uncertainty_below_the_period(safe_names.clock_uncertainty(raw["ClockUncertainty"], where),
                                      raw.get("ClockPeriod", 5), where)  # fmt: skip
    if "IOType" in raw:
        _choice(raw["IOType"], IO_TYPES, f"{where}: IOType")
    if "Backend" in raw:
        _choice(raw["Backend"], BACKENDS, f"{where}: Backend")
    hls_cfg = _mapping(raw.get("HLSConfig"), f"{where}: HLSConfig", "Model:, LayerType:, LayerName:")
    if "Model" in hls_cfg:
        _check_layer_entry(hls_cfg["Model"], f"{where}: HLSConfig.Model", per_layer=False)
    for section in ("LayerType", "LayerName"):
        entries = _mapping(hls_cfg.get(section), f"{where}: HLSConfig.{section}", "a layer name or class per key")
        for name, entry in entries.items():
            _check_layer_entry(entry, f"{where}: HLSConfig.{section}.{name}")
