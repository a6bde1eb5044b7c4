"""The scan file (``codesign scan SCAN.yaml``), parsed and checked at the edge, before any work.

```yaml
base: jet_mlp.yaml          # a spec, relative to this file (or the spec inline under `spec:`)
mode: grid                  # or optuna (NSGA-II) with `trials:` and `seed:`
axes: {quantize.bits: [4, 6, 8], prune.sparsity: [0.0, 0.5], hls.reuse_factor: [1, 4]}
objectives: {accuracy: max, lut: min, dsp: min}
constraints: [budget]
part: xcvu9p                # optional; --part wins
rtl: false                  # true: every point also takes the RTL route (codesign build --rtl), so the
                            # objectives may name rtl_lut, rtl_ff, rtl_latency_ns (yosys/da4ml figures)
plots: false                # true: every point's report also gets its PNG plots (slower; off by default)
csim: both                  # optional; testbench: C-simulate each point with codesign's g++ testbench alone, without
                            # hls4ml's ctypes library as a second path (sets check.library: false in every point)
```

Axes are dotted spec keys (per-layer keys such as ``hls.layers.dense_1.reuse_factor`` included); every value is
checked by building the spec it gives, so a wrong type or an unknown key is refused naming the file and key.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesign.errors import SpecError
from codesign.metrics.anomaly import DEFAULT_FPRS
from codesign.spec import BuildSpec, Family
from codesign.spec_errors import format_validation_error
from codesign.yamlio import read_yaml_file

SCAN_KEYS = ("base", "spec", "mode", "trials", "seed", "axes", "objectives", "constraints", "part", "rtl", "plots",
             "csim")  # fmt: skip
# csim: the C-simulation paths of every point (check.library true / false); absent: the spec's check.library
CSIM_MODES = ("both", "testbench")
CSIM_TEXT = {"both": "C-simulated twice (codesign's g++ testbench and hls4ml's ctypes library, compared)",
             "testbench": "C-simulated by codesign's g++ testbench alone (check.library: false)"}  # fmt: skip
MODES = ("grid", "optuna")
DIRECTIONS = ("min", "max")
ESTIMATE_FIGURES = ("lut", "ff", "dsp", "bram_18k", "uram", "latency_ns", "latency_cycles", "ii_cycles")
# the report's rtl section (codesign build --rtl): rtl_<key> is rtl.<key>; lut/ff are yosys's counts
RTL_FIGURES = ("rtl_lut", "rtl_ff", "rtl_latency_ns", "rtl_latency_cycles", "rtl_ii_cycles")
RTL_COUNTS = ("rtl_lut", "rtl_ff")  # null in the report without yosys
CLASSIFIER_FIGURES = ("accuracy", "auc", "mean_auc")


def tpr_figure(fpr: float) -> str:
    """The objective name of the signal efficiency at one evaluated FPR: ``tpr_at_fpr_1e-4`` for 1e-4."""
    mantissa, exponent = f"{float(fpr):.0e}".split("e")
    return f"tpr_at_fpr_{mantissa}e{int(exponent)}"


# tpr_at_fpr: at the smallest FPR the background test sample resolves; tpr_at_fpr_<fpr>: at that FPR
TPR_FIGURES = {tpr_figure(f): f for f in DEFAULT_FPRS}
ANOMALY_FIGURES = ("auc", "tpr_at_fpr", *TPR_FIGURES)
CONSTRAINTS = ("budget",)


@dataclass(frozen=True)
class ScanFile:
    """A validated scan: the base spec (as a raw mapping), the axes and the objectives."""

    path: Path
    base: dict
    base_dir: Path
    mode: str
    trials: int | None
    seed: int
    axes: dict[str, tuple]
    objectives: dict[str, str]
    constraints: tuple[str, ...]
    part: str | None
    rtl: bool = False  # every point also takes the RTL route (codesign build --rtl)
    plots: bool = False  # every point's report also gets its PNG plots (not part of the identity: results are equal)
    csim: str | None = None  # both / testbench: every point's check.library; None: the spec's (or an axis's)

    @property
    def definition(self) -> dict[str, Any]:
        """What defines the scan (base spec, mode, axes, objectives, ...), as JSON types: the scan folder keeps it, so
        that a resume of an edited scan file names what changed."""
        return json.loads(json.dumps(
            {"base": self.base, "mode": self.mode, "trials": self.trials, "seed": self.seed,
             "axes": {k: list(v) for k, v in self.axes.items()}, "objectives": self.objectives,
             "constraints": list(self.constraints), "part": self.part, **({"rtl": True} if self.rtl else {}),
             **({"csim": self.csim} if self.csim is not None else {})},
            default=str,
        ))  # fmt: skip

    @property
    def identity(self) -> str:
        """Digest of the scan's :attr:`definition`: a storage from another scan differs."""
        return hashlib.sha256(json.dumps(self.definition, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of the axis values, the first axis slowest (a stable order, for ids and resume)."""
        keys = list(self.axes)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*self.axes.values())]

    def point_spec(self, params: dict[str, Any], name: str) -> dict:
        """The raw spec of one point: the base with each axis value set at its dotted key."""
        raw = copy.deepcopy(self.base)
        if self.csim is not None:
            set_dotted(raw, "check.library", self.csim == "both")
        for key, value in params.items():
            set_dotted(raw, key, value)
        raw["name"] = name
        return raw


def set_dotted(raw: dict, key: str, value: Any) -> None:
    """Set ``a.b.c`` in a nested mapping, creating the intermediate mappings."""
    node = raw
    *head, last = key.split(".")
    for part in head:
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise SpecError(f"'{key}': '{part}' is a value, not a section")
        node = nxt
    node[last] = value


def _known_key(key: str) -> bool:
    """True when a dotted key names a spec field, a key under a mapping field (a layer name under ``hls.layers``,
    ``quantize.layers`` or ``prune.layers``; ``lut`` under ``budget.max_fraction``) or a field under that."""
    import typing

    from pydantic import BaseModel

    def models(ann: Any) -> list:
        return [a for a in (ann, *typing.get_args(ann)) if isinstance(a, type) and issubclass(a, BaseModel)]

    def mapping(ann: Any) -> tuple | None:
        """(key type, value type) of a dict annotation (or of the dict in an Optional), else None."""
        for a in (ann, *typing.get_args(ann)):
            if typing.get_origin(a) is dict:
                return typing.get_args(a)
        return None

    parts = key.split(".")
    ann: Any = BuildSpec
    i = 0
    while i < len(parts):
        node = models(ann)
        if node and parts[i] in node[0].model_fields:
            ann = node[0].model_fields[parts[i]].annotation
        elif (kv := mapping(ann)) is not None:
            if typing.get_origin(kv[0]) is typing.Literal and parts[i] not in typing.get_args(kv[0]):
                return False  # budget.max_fraction takes lut, ff, dsp, bram_18k, uram
            ann = kv[1]
        else:
            return False
        i += 1
    return True


def _err(path: Path, key: str, msg: str) -> SpecError:
    return SpecError(f"{path}: key '{key}': {msg}")


def load_scan(path: str | Path) -> ScanFile:
    """Read and check a scan file; every error names the file and the key."""
    path = Path(path)
    return parse_scan(read_yaml_file(path, "scan file"), path)


def parse_scan(raw: Any, path: Path) -> ScanFile:
    """Check a scan mapping read from ``path``."""
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: the top level must be a mapping (keys: {', '.join(SCAN_KEYS)})")
    unknown = sorted(set(raw) - set(SCAN_KEYS))
    if "model" in raw and "axes" not in raw:  # a build spec: 'did you mean mode' named the wrong mistake
        raise SpecError(f"{path}: a build spec (name:, model:), not a scan file (accepted: codesign build {path}; or a "
                        "scan file naming it as base: with axes: and objectives:)")  # fmt: skip
    if unknown:
        close = [m for k in unknown for m in difflib.get_close_matches(str(k), SCAN_KEYS, n=1)]
        hint = f"did you mean {', '.join(repr(m) for m in close)}? " if close else ""
        raise SpecError(f"{path}: unknown key(s) {', '.join(unknown)} ({hint}accepted: {', '.join(SCAN_KEYS)})")
    base, base_dir = _base(raw, path)
    mode = raw.get("mode", "grid")
    if mode not in MODES:
        raise _err(path, "mode", f"bad value {mode!r} (accepted: {', '.join(MODES)})")
    trials = raw.get("trials")
    if mode == "optuna" and (not isinstance(trials, int) or isinstance(trials, bool) or trials < 1):
        raise _err(path, "trials", f"optuna mode needs trials: a positive integer, got {trials!r}")
    if mode == "grid" and trials is not None:
        raise _err(path, "trials", "only for mode: optuna (a grid runs every combination)")
    if mode == "grid" and "seed" in raw:
        raise _err(path, "seed", "only for mode: optuna (the NSGA-II sampler's seed; a grid draws nothing): the "
                   "training's seeds are spec keys (train.seed, data.seed), which can be axes")  # fmt: skip
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise _err(
            path, "seed", f"bad value {seed!r} (accepted: an integer from 0 to 2**32 - 1, the NSGA-II sampler's)"
        )
    axes = _axes(raw.get("axes"), base, base_dir, path)
    if "part" in axes:  # every point is built for the scan's one part (--part, the scan file's, the spec's)
        raise _err(path, "axes.part", "a scan builds every point for one FPGA part (--part, else the scan file's "
                   "'part:', else the spec's), which would replace this axis's values in every point (accepted: "
                   "one scan per part, each with --part)")  # fmt: skip
    for key, why in _NOT_AXES.items():
        if key in axes:
            raise _err(path, f"axes.{key}", why)
    family = _family(base)
    rtl = raw.get("rtl", False)
    if not isinstance(rtl, bool):
        raise _err(path, "rtl", f"bad value {rtl!r} (accepted: true, false)")
    plots = raw.get("plots", False)
    if not isinstance(plots, bool):
        raise _err(
            path, "plots", f"bad value {plots!r} (accepted: true, false; the points' report plots, off by default)"
        )
    csim = raw.get("csim")
    if csim is not None and csim not in CSIM_MODES:
        raise _err(path, "csim", f"bad value {csim!r} (accepted: both (the testbench and hls4ml's ctypes library, "
                   "compared), testbench (the testbench alone))")  # fmt: skip
    if csim is not None and "check.library" in axes:
        raise _err(path, "csim", "axes.check.library sets the same thing per point: give one of the two")
    objectives = _objectives(raw.get("objectives"), family, path, rtl)
    space = space_size(axes)
    if mode == "optuna" and trials > space:
        raise _err(path, "trials", f"{trials} is more than the {space} points the axes hold (each trial is a point not "
                   f"built before, so the scan would stop at {space}); accepted: 1 to {space}, or mode: grid to build "
                   "every point")  # fmt: skip
    check_combinations(axes, base, mode, path)
    constraints = raw.get("constraints", [])
    if not isinstance(constraints, list) or any(c not in CONSTRAINTS for c in constraints):
        raise _err(path, "constraints", f"bad value {constraints!r} (accepted: a list of {', '.join(CONSTRAINTS)})")
    part = raw.get("part")
    if part is not None:
        from codesign.parts import resolve_part

        try:
            resolve_part(str(part))
        except SpecError as exc:
            raise _err(path, "part", str(exc)) from None
    return ScanFile(path, base, base_dir, mode, trials, seed, axes, objectives, tuple(constraints),
                    None if part is None else str(part), rtl, plots, csim)  # fmt: skip


def _base(raw: dict, path: Path) -> tuple[dict, Path]:
    if ("base" in raw) == ("spec" in raw):
        raise SpecError(f"{path}: give either 'base' (a spec file, relative to this file) or 'spec' (the spec inline)")
    if "spec" in raw:
        spec = raw["spec"]
        if not isinstance(spec, dict):
            raise _err(path, "spec", "the inline spec must be a mapping (name:, model:, ...)")
        spec = copy.deepcopy(spec)
        if "name" not in spec:  # every point is renamed <name>_<id>: the scan file's name serves
            spec["name"] = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)[:100] or "scan"
        return spec, path.parent.resolve()
    base_path = Path(str(raw["base"]))
    base_path = base_path if base_path.is_absolute() else (path.parent / base_path)
    if not base_path.exists():
        raise _err(path, "base", f"spec file {base_path} not found (accepted: a spec file, relative to this file)")
    try:
        spec = read_yaml_file(base_path, "spec file")
    except SpecError as exc:
        raise _err(path, "base", str(exc)) from None
    if not isinstance(spec, dict):
        raise _err(path, "base", f"{base_path} is not a codesign spec mapping")
    return spec, base_path.parent.resolve()


def _validate(raw: dict, where: Path) -> BuildSpec:
    try:
        return BuildSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(format_validation_error(where, exc, BuildSpec)) from None


def _family(base: dict) -> str | None:
    fam = (base.get("model") or {}).get("family")
    return str(fam) if fam is not None else None


#: keys that name or run a point rather than define its design: an axis over them was dropped or gave equal points
_NOT_AXES = {
    "name": "each point's name is the scan's (<base name>_<point id>), which replaced this axis's values in every "
            "point (accepted: an axis over a key that shapes the design; a point's folder is named by its id)",
    "check.workers": "the C-simulation processes change how fast a point is checked, not the point: every value "
                     "would give the same design and figures (accepted: one check.workers in the base spec)",
}  # fmt: skip


def _axes(axes: Any, base: dict, base_dir: Path, path: Path) -> dict[str, tuple]:
    if not isinstance(axes, dict) or not axes:
        raise _err(
            path, "axes", "a non-empty mapping of dotted spec keys to lists of values, e.g. {quantize.bits: [4, 6]}"
        )
    _validate(base, path)  # the base itself must be a valid spec
    out: dict[str, tuple] = {}
    for key, values in axes.items():
        where = f"axes.{key}"
        if not isinstance(key, str) or not _known_key(key):
            raise _err(path, where, "the spec has no such key (a dotted spec key, e.g. quantize.bits, "
                       "hls.reuse_factor, hls.layers.<layer>.reuse_factor, model.hidden)")  # fmt: skip
        if not isinstance(values, list):
            raise _err(path, where, f"bad value {values!r}: a list of values")
        if not values:
            raise _err(path, where, "empty axis: give at least one value")
        for v in values:
            raw = copy.deepcopy(base)
            set_dotted(raw, key, v)
            try:
                _validate(raw, path)
            except SpecError as exc:
                detail = str(exc).split("\n", 1)[-1].strip()
                raise _err(path, where, f"value {v!r} does not give a valid spec: {detail}") from None
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise _err(path, where, f"repeated values in {values!r}")
        _same_spec(values, key, base, path, where)
        out[key] = tuple(tuple(v) if isinstance(v, list) else v for v in values)
    _overlapping(list(out), path)
    return out


def _same_spec(values: list, key: str, base: dict, path: Path, where: str) -> None:
    """Refuse two values of one axis that give the same spec once validated (4 and 4.0, 4 and '4'): two points,
    one design, built twice."""
    seen: dict[str, Any] = {}
    for v in values:
        raw = copy.deepcopy(base)
        set_dotted(raw, key, v)
        digest = json.dumps(_validate(raw, path).model_dump(mode="json"), sort_keys=True, default=str)
        if digest in seen:
            raise _err(path, where, f"values {seen[digest]!r} and {v!r} give the same spec (the same point twice); "
                       "accepted: values that differ once read as the key's type")  # fmt: skip
        seen[digest] = v


def _overlapping(keys: list[str], path: Path) -> None:
    """Refuse an axis over a section and another over a key inside it (quantize and quantize.bits): each point's
    value would depend on which axis is applied last."""
    for a in keys:
        for b in keys:
            if b.startswith(a + "."):
                raise _err(path, f"axes.{b}", f"axis '{a}' sets the whole section that holds '{b}', so a point "
                           f"would take '{b}' from whichever is applied last; accepted: one axis per key (list "
                           f"'{b}' inside the values of '{a}', or drop '{a}')")  # fmt: skip


MAX_CHECKED_POINTS = 4096  # every grid point is validated before any work; an Optuna space above this is not


def space_size(scan_axes: dict[str, tuple]) -> int:
    """The number of points the axes hold (the product of their lengths), counted without listing them: an Optuna
    space may be far too large to enumerate."""
    return math.prod(len(values) for values in scan_axes.values())


def check_combinations(scan_axes: dict[str, tuple], base: dict, mode: str, path: Path) -> None:
    """Refuse axis values that are each valid with the base spec but not together (quantize.bits 4 with
    quantize.integer 5): the point would fail after the others were built. Every grid point is checked (a grid
    builds them all); an Optuna space only when it has at most :data:`MAX_CHECKED_POINTS` points."""
    keys = list(scan_axes)
    if mode != "grid" and space_size(scan_axes) > MAX_CHECKED_POINTS:
        return
    for combo in itertools.product(*scan_axes.values()):
        raw = copy.deepcopy(base)
        for key, value in zip(keys, combo, strict=True):
            set_dotted(raw, key, list(value) if isinstance(value, tuple) else value)
        try:
            _validate(raw, path)
        except SpecError as exc:
            detail = str(exc).split("\n", 1)[-1].strip()
            point = ", ".join(f"{k}: {v!r}" for k, v in zip(keys, combo, strict=True))
            raise _err(path, "axes", f"the point {{{point}}} is not a valid spec, though each value is valid alone: "
                       f"{detail} (accepted: axes whose every combination is a valid spec; a grid builds them "
                       "all)") from None  # fmt: skip


def allowed_objectives(family: str | None, rtl: bool = False) -> tuple[str, ...]:
    """Figures a point's report has for this model family (the rtl_* ones only when the scan takes the RTL route)."""
    physics = ANOMALY_FIGURES if family in (Family.VAE.value, Family.AE.value) else CLASSIFIER_FIGURES
    return physics + ESTIMATE_FIGURES + (RTL_FIGURES if rtl else ())


def is_physics(name: str) -> bool:
    """True for a physics figure (accuracy, auc, ...), False for a resource or latency figure."""
    return name not in ESTIMATE_FIGURES and name not in RTL_FIGURES


def _objectives(objs: Any, family: str | None, path: Path, rtl: bool = False) -> dict[str, str]:
    if not isinstance(objs, dict) or not objs:
        raise _err(
            path, "objectives", "a non-empty mapping of report figures to min or max, e.g. {accuracy: max, lut: min}"
        )
    allowed = allowed_objectives(family, rtl)
    for name, direction in objs.items():
        if name in RTL_FIGURES and not rtl:
            raise _err(path, f"objectives.{name}", f"{name!r} is a figure of the RTL route: set 'rtl: true' in the scan "
                       "file (every point then also runs codesign build --rtl: da4ml, Verilator, yosys)")  # fmt: skip
        if name not in allowed:
            raise _err(path, f"objectives.{name}", f"the report has no figure {name!r} for a {family or 'user'} model "
                       f"(accepted: {', '.join(allowed)})")  # fmt: skip
        if direction not in DIRECTIONS:
            raise _err(path, f"objectives.{name}", f"bad value {direction!r} (accepted: min, max)")
    return dict(objs)
