"""A project's reports: where they are, which parser reads a file, which report module is a given layer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from codesign.errors import DataError
from codesign.synth_reports.csynth_rpt import parse_csynth_rpt
from codesign.synth_reports.csynth_xml import parse_csynth_xml
from codesign.synth_reports.results import CsynthReport, ModuleFigures, ProjectReports
from codesign.synth_reports.vivado import parse_vivado_utilization


def parse_csynth(path: Path | str) -> CsynthReport:
    """Parse a C-synthesis report, text or XML, chosen by its suffix."""
    p = Path(path)
    if p.suffix.lower() == ".xml":
        return parse_csynth_xml(p)
    if p.suffix.lower() == ".rpt":
        return parse_csynth_rpt(p)
    raise DataError(f"{p}: unknown report type (accepted: *_csynth.rpt, *_csynth.xml)")


def module_for_config(
    modules: Sequence[ModuleFigures], config: str, calls: Sequence[tuple[str, str | None]] = ()
) -> ModuleFigures | None:
    """The report module of the hls4ml layer whose config struct is ``config`` (``config2`` names the module
    ``dense_latency_<types>_config2_s``, never ``..._config20_s``), or None when HLS inlined the layer.

    Vivado HLS names some modules after the function alone: ``softmax`` for a function instantiated once,
    ``relu``, ``relu_1``, ... for one instantiated several times. Given the top function's calls as
    ``(function, config)`` pairs, such a module is the layer's when the top calls its function once, for this
    config, and the report has exactly one module of that name; otherwise the name cannot say which layer it is.
    """
    pattern = re.compile(r"(^|_)" + re.escape(config) + r"(_|$)")
    found = next((m for m in modules if pattern.search(m.module)), None)
    if found is not None:
        return found
    functions = [f for f, c in calls if c == config]
    if len(functions) != 1 or sum(f == functions[0] for f, _ in calls) != 1:
        return None
    named = [m for m in modules if re.fullmatch(re.escape(functions[0]) + r"(_\d+)?", m.module)]
    return named[0] if len(named) == 1 else None


def find_reports(project_dir: Path | str, top: str | None = None) -> ProjectReports:
    """Locate and parse the top csynth report, the per-module reports and vivado_synth.rpt of a project.

    ``top`` is the project name (``ProjectName``); without it, the name is read off each ``<name>_prj``
    folder, so a project called ``Encoder`` has its ``Encoder_csynth.rpt`` found.
    """
    root = Path(project_dir)
    top_rpt = None
    layer_rpts = []
    first = sorted(root.glob(f"{top}_prj/solution*/syn/report")) if top else []
    report_dirs = first + sorted(root.glob("*_prj/solution*/syn/report"))
    seen = set()
    for d in report_dirs:
        if d in seen:
            continue
        seen.add(d)
        name = top or d.parents[2].name.removesuffix("_prj")
        xml = d / f"{name}_csynth.xml"
        rpt = d / f"{name}_csynth.rpt"
        if top_rpt is None:
            if rpt.exists():
                top_rpt = parse_csynth_rpt(rpt)
            elif xml.exists():
                top_rpt = parse_csynth_xml(xml)
        for f in sorted(d.glob("*_csynth.rpt")):
            if f.name != rpt.name:
                try:
                    layer_rpts.append(parse_csynth_rpt(f))
                except DataError:
                    continue
    viv = None
    for cand in (root / "vivado_synth.rpt", *sorted(root.glob("*_prj/**/vivado_synth.rpt"))):
        if cand.exists():
            viv = parse_vivado_utilization(cand)
            break
    return ProjectReports(top_rpt, tuple(layer_rpts), viv)
