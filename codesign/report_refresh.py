"""Refresh report.json / report.md from the estimate and any synthesis reports (``codesign report`` and
``codesign build --synth``).

The folder is a codesign output folder (report.json + the hls4ml project in ``hls/``) or a bare hls4ml
project. The estimate is recomputed; the C-synthesis (``*_csynth.rpt``/``.xml``) and Vivado
(``vivado_synth.rpt``) figures found are added under ``synthesis``, each with its ``source`` file, together
with the estimate-vs-report differences; the budget is re-judged when the report carries a budget spec.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesign.durable import report_as_written
from codesign.errors import DataError, SpecError
from codesign.estimate import Estimate, check_tool_version, estimate_project, report_tool_version
from codesign.estimate.design import build_calls
from codesign.estimate.settings import read_project
from codesign.parts import resolve_part
from codesign.spec.build import BudgetSpec
from codesign.spec.fields import CLOCK_NS_RANGE
from codesign.spec_errors import format_validation_error
from codesign.synth_reports import CsynthReport, VivadoUtilization, find_reports, module_for_config

_COMPARE = (
    ("latency_cycles", "latency_max"),
    ("ii_cycles", "interval_max"),
    ("lut", "LUT"),
    ("ff", "FF"),
    ("dsp", "DSP"),
    ("bram_18k", "BRAM_18K"),
)


def csynth_figures(rep: CsynthReport) -> dict[str, Any]:
    """Top-level C-synthesis figures with their source."""
    return {
        "source": rep.path,
        "tool": rep.tool,
        "tool_version": rep.tool_version,
        "part": rep.part,
        "target_clock_ns": rep.target_clock_ns,
        "estimated_clock_ns": rep.estimated_clock_ns,
        "latency_cycles": rep.latency_max,
        "latency_min_cycles": rep.latency_min,
        "ii_cycles": rep.interval_max,
        "lut": rep.LUT,
        "ff": rep.FF,
        "dsp": rep.DSP,
        "bram_18k": rep.BRAM_18K,
        "uram": rep.URAM,
        "notes": list(rep.notes),
        "modules": [m.__dict__.copy() for m in rep.modules],
    }


def vivado_figures(u: VivadoUtilization) -> dict[str, Any]:
    """Post-synthesis utilisation with its source."""
    return {
        "source": u.path,
        "tool_version": u.tool_version,
        "device": u.device,
        "lut": u.LUT,
        "ff": u.FF,
        "dsp": u.DSP,
        "bram_18k": u.BRAM_18K,
        "uram": u.URAM,
    }


def differences(est: Estimate, figures: dict[str, Any]) -> dict[str, Any]:
    """Estimate minus report, absolute and relative to the report, per figure."""
    out = {}
    for key, _ in _COMPARE:
        e, r = getattr(est, key), figures.get(key)
        if r is None:
            continue
        diff = None if e is None else e - r
        rel = None if diff is None or not r else round(diff / r, 4)
        out[key] = {"estimate": e, "report": r, "difference": diff, "relative": rel}
    return out


def layer_differences(est: Estimate, modules: list, calls: list[tuple[str, str | None]] = ()) -> list[dict[str, Any]]:
    """Per layer: the estimate next to the C-synthesis module of the same config struct (``config2`` is in
    the module name ``dense_latency_<types>_config2_s``, or a module named after the function alone that
    ``calls``, the top function's ``(function, config)`` pairs, make unambiguous: :func:`module_for_config`);
    layers without a module in the report are left out (HLS inlines small ones such as ReLU into the top
    function)."""
    rows = []
    for layer in est.per_layer:
        if not layer.config:
            continue
        mod = module_for_config(modules, layer.config, calls)
        if mod is None:
            continue
        row: dict[str, Any] = {"name": layer.name, "config": layer.config, "module": mod.module}
        for key, attr in _COMPARE:  # estimate field, ModuleFigures field
            e, r = getattr(layer, key), getattr(mod, attr)
            row[key] = {"estimate": e, "report": r, "difference": None if e is None or r is None else e - r}
        rows.append(row)
    return rows


@dataclass(frozen=True)
class SavedSettings:
    """What a refresh reads back from a build's report.json, each value checked once here."""

    part: str | None  # its full name (or short name)
    project: str | None  # the hls4ml project's folder, relative to the build folder or absolute
    budget: BudgetSpec | None  # spec.budget: the budget to judge the new estimate against
    clock_ns: float | None  # spec.hls.clock_ns
    tool_version: str | None  # spec.hls.tool_version


def _saved_settings(report: dict, path: Path) -> SavedSettings:
    """The part, project folder, budget and clock of a report.json (sections already checked to be objects by
    report.load_report): a value of another type or out of range is a DataError naming the file and the key."""

    def bad(key: str, value: Any, accepted: str) -> DataError:
        return DataError(f"{path}: key '{key}' is {value!r} (accepted: {accepted}, as codesign writes it; rerun "
                         "`codesign build` to write the report again)")  # fmt: skip

    part_info, project = report.get("part") or {}, report.get("project") or {}
    part = part_info.get("full_name") or part_info.get("name")
    if part is not None and not isinstance(part, str):
        raise bad("part.full_name", part, "a part name such as xcvu9p-flga2104-2L-e")
    if part is not None:
        try:
            full = resolve_part(part).full_name
            name = part_info.get("name")  # the short name report.md shows: the same part, or an edit
            if isinstance(name, str) and name != part and resolve_part(name).full_name != full:
                raise bad("part.name", name, f"the short name of part.full_name {full}, whose figures the report has")
        except SpecError as exc:
            raise DataError(f"{path}: key 'part': {exc}") from None
    folder = project.get("path")
    if folder is not None and not isinstance(folder, str):
        raise bad("project.path", folder, "the hls4ml project's folder, e.g. hls")
    spec = report.get("spec") or {}
    budget, hls = spec.get("budget"), spec.get("hls")
    for key, value in (("spec.budget", budget), ("spec.hls", hls)):
        if value is not None and not isinstance(value, dict):
            raise bad(key, value, "an object")
    if budget is not None:
        try:
            budget = BudgetSpec.model_validate(budget)
        except ValidationError as exc:
            raise DataError(format_validation_error(path, exc, BudgetSpec).replace("invalid spec", "invalid spec.budget")
                            .replace("key '", "key 'spec.budget.")) from None  # fmt: skip
    clock = (hls or {}).get("clock_ns")
    low, high = CLOCK_NS_RANGE
    number = isinstance(clock, (int, float)) and not isinstance(clock, bool)
    if clock is not None and not (number and low <= clock <= high):
        raise bad("spec.hls.clock_ns", clock, f"the clock period in ns, {low:g} to {high:g}")
    version = (hls or {}).get("tool_version")
    try:
        version = check_tool_version(version, "spec.hls.tool_version")
    except SpecError:
        raise bad("spec.hls.tool_version", version, "an HLS release such as 2024.1, or null") from None
    return SavedSettings(part, folder, budget, None if clock is None else float(clock), version)


def refresh(out_dir: Path) -> dict:
    """Recompute the estimate, collect synthesis figures, and rewrite the report; returns the report dict."""
    from codesign import report as report_mod

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise DataError(f"{out_dir}: not a directory (expected a codesign output folder or an hls4ml project)")
    report = report_mod.load_report(out_dir)
    if not report and report_mod.load_report(out_dir.parent) and (out_dir / "firmware").is_dir():
        # `codesign report <build>/hls`: the build's report lives one folder up; refresh that one (its verdict
        # and checks), rather than writing a report here that knows nothing of them
        parent = report_mod.load_report(out_dir.parent)
        proj = (parent.get("project") or {}).get("path")
        if proj and (out_dir.parent / proj).resolve() == out_dir.resolve():
            out_dir = out_dir.parent
            report = parent
    trusted = report_as_written(out_dir)  # a hand-edited verdict refreshed here stays untrusted by the next build
    saved = _saved_settings(report, out_dir / report_mod.REPORT_JSON)
    proj_path = saved.project
    if proj_path and not Path(proj_path).is_absolute():
        proj_path = out_dir / proj_path  # report.json keeps paths relative to the build folder
    project = Path(proj_path) if proj_path and Path(proj_path).is_dir() else None
    if project is None:
        project = out_dir / "hls" if (out_dir / "hls" / "firmware").is_dir() else out_dir
    part = resolve_part(saved.part or read_project(project)["part"])
    found = find_reports(project)
    est = estimate_project(project, part, saved.tool_version or report_tool_version(found.csynth))
    report["estimate"] = est.to_dict()
    report.setdefault("part", part.to_dict())

    synthesis: dict[str, Any] = {"project": report_mod.relative_to(project, out_dir)}
    if found.csynth is not None:
        figs = csynth_figures(found.csynth)
        synthesis["csynth"] = figs
        synthesis["estimate_vs_csynth"] = differences(est, figs)
        calls = [(c.function, c.config.get("config")) for c in build_calls(read_project(project))]
        synthesis["layers_vs_csynth"] = layer_differences(est, list(found.csynth.modules), calls)
    if found.vivado_synth is not None:
        figs = vivado_figures(found.vivado_synth)
        synthesis["vivado_synth"] = figs
        synthesis["estimate_vs_vivado_synth"] = differences(est, figs)
    if found.csynth is None and found.vivado_synth is None:
        synthesis["note"] = (
            f"no C-synthesis or Vivado report under {project}; run the HLS tool "
            f'(cd {shlex.quote(str(project))} && vitis_hls -f build_prj.tcl "csim=1 synth=1 cosim=0 export=0", or vivado_hls for the '
            "Vivado backend) or `codesign build --synth`"
        )
    report["synthesis"] = synthesis

    if saved.budget is not None:
        from codesign.budget import judge

        clock = saved.clock_ns or float(read_project(project)["target_clock_ns"])
        kwargs = {
            "clock_ns": clock,
            "tm_period": saved.budget.tm_period,
            "latency_limit_ns": saved.budget.latency_ns,
            "max_fraction": dict(saved.budget.max_fraction),
        }
        report["budget"] = judge(est, part, **kwargs).to_dict()
        if "csynth" in synthesis:
            # the same checks on the C-synthesis figures; its estimated clock gives the achievable clock
            figs = dict(synthesis["csynth"])
            if figs.get("latency_cycles") is not None:
                figs["latency_ns"] = figs["latency_cycles"] * clock
            synthesis["budget_from_csynth"] = judge(figs, part, **kwargs).to_dict()
        verdict = report.get("verdict")
        if isinstance(verdict, dict):
            verdict["budget_pass"] = report["budget"]["pass"]
    report_mod.write_report(report, out_dir, trusted=trusted)
    report["_out_dir"] = str(out_dir)
    return report
