"""Read the reports Vivado HLS / Vitis HLS and Vivado write: ``*_csynth.rpt``, ``*_csynth.xml``, utilisation.

Three formats are understood, each into a frozen result:

- the per-module text report (``myproject_csynth.rpt`` and every ``<module>_csynth.rpt``), written by
  Vivado HLS 2016.4-2020.1 ("Vivado HLS Report for") and Vitis HLS 2020.2+ ("Vitis HLS Report for");
- Vitis HLS's "Synthesis Summary Report" (``csynth.rpt``), one table of every module;
- the XML twin (``*_csynth.xml``), and Vivado's ``report_utilization`` text (``vivado_synth.rpt``).

A report that is not one of these raises :class:`DataError` naming the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codesign.errors import DataError

#: Vivado HLS / Vitis HLS releases whose reports are under ../shared/calibration/raw (the test parses them all).
CHECKED_VERSIONS = (2016.4, 2024.2)

_RES_KEYS = {
    "BRAM_18K": "BRAM_18K",
    "BRAM": "BRAM_18K",
    "DSP": "DSP",
    "DSP48E": "DSP",
    "DSP48": "DSP",
    "FF": "FF",
    "LUT": "LUT",
    "URAM": "URAM",
}


@dataclass(frozen=True)
class ModuleFigures:
    """Latency, interval and resources of one sub-module (an hls4ml layer function) inside a report."""

    instance: str
    module: str
    latency_min: int | None = None
    latency_max: int | None = None
    interval_min: int | None = None
    interval_max: int | None = None
    pipeline_type: str | None = None
    BRAM_18K: int | None = None
    DSP: int | None = None
    FF: int | None = None
    LUT: int | None = None
    URAM: int | None = None


@dataclass(frozen=True)
class CsynthReport:
    """The figures of one C-synthesis report (top or one module)."""

    path: str
    format: str
    tool: str | None
    tool_version: str | None
    top: str | None
    part: str | None
    target_clock_ns: float | None
    estimated_clock_ns: float | None
    clock_uncertainty_ns: float | None
    latency_min: int | None
    latency_max: int | None
    interval_min: int | None
    interval_max: int | None
    pipeline_type: str | None
    BRAM_18K: int | None
    DSP: int | None
    FF: int | None
    LUT: int | None
    URAM: int | None
    available: dict[str, int] = field(default_factory=dict)
    modules: tuple[ModuleFigures, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """Warnings about the report: a tool version the parser was not checked on, figures it lacks."""
        out = []
        year = _float(self.tool_version) if self.tool_version else None
        if year is None or not CHECKED_VERSIONS[0] <= year <= CHECKED_VERSIONS[1]:
            out.append(
                f"{self.tool or 'HLS tool'} version {self.tool_version or 'unknown'} is outside the versions this "
                f"parser was checked on ({CHECKED_VERSIONS[0]:g}-{CHECKED_VERSIONS[1]:g}); check the figures"
            )
        missing = [k for k in ("latency_max", "interval_max", "LUT", "FF", "DSP") if getattr(self, k) is None]
        if missing:
            out.append(f"not reported: {', '.join(missing)}")
        return tuple(out)

    def to_dict(self) -> dict:
        """Plain-JSON form (modules included)."""
        out = {
            k: getattr(self, k)
            for k in (
                "path",
                "format",
                "tool",
                "tool_version",
                "top",
                "part",
                "target_clock_ns",
                "estimated_clock_ns",
                "clock_uncertainty_ns",
                "latency_min",
                "latency_max",
                "interval_min",
                "interval_max",
                "pipeline_type",
                "BRAM_18K",
                "DSP",
                "FF",
                "LUT",
                "URAM",
            )
        }
        out["available"] = dict(self.available)
        out["modules"] = [m.__dict__.copy() for m in self.modules]
        out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True)
class VivadoUtilization:
    """Post-synthesis utilisation from Vivado ``report_utilization``."""

    path: str
    tool_version: str | None
    device: str | None
    LUT: int | None
    FF: int | None
    DSP: int | None
    BRAM_tile: float | None
    URAM: int | None
    available: dict[str, float] = field(default_factory=dict)

    @property
    def BRAM_18K(self) -> int | None:
        """Block RAM in 18 Kb units (one 36 Kb tile = two)."""
        return None if self.BRAM_tile is None else int(round(self.BRAM_tile * 2))

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "path": self.path,
            "tool_version": self.tool_version,
            "device": self.device,
            "LUT": self.LUT,
            "FF": self.FF,
            "DSP": self.DSP,
            "BRAM_tile": self.BRAM_tile,
            "BRAM_18K": self.BRAM_18K,
            "URAM": self.URAM,
            "available": dict(self.available),
        }


# ----------------------------------------------------------------------------------------------- helpers
def _read(path: Path | str) -> str:
    p = Path(path)
    try:
        return p.read_text(errors="replace")
    except OSError as exc:
        raise DataError(f"cannot read report {p}: {exc}") from None


def _int(cell: str) -> int | None:
    cell = cell.strip()
    m = re.match(r"^~?(-?\d+)(?:\s*\(.*\))?$", cell)
    return int(m.group(1)) if m else None


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    m = re.search(r"-?\d+(?:\.\d+)?", text)
    return float(m.group(0)) if m else None


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _section(text: str, title: str) -> str:
    """Text of the ``== title`` section up to the next ``==`` banner."""
    m = re.search(r"^==\s*" + re.escape(title) + r".*?$", text, re.M)
    if not m:
        return ""
    rest = text[m.end() :]
    end = re.search(r"^={10,}\s*$\n^==\s", rest, re.M)
    return rest[: end.start()] if end else rest


def _tables(text: str) -> list[list[list[str]]]:
    """Every ``+---+`` bordered table as rows of cells (separator lines dropped)."""
    tables, cur = [], None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("+-"):
            if cur is None:
                cur = []
            continue
        if s.startswith("|") and cur is not None:
            cur.append(_cells(s))
            continue
        if cur is not None:
            tables.append(cur)
            cur = None
    if cur is not None:
        tables.append(cur)
    return [t for t in tables if t]


def _tool(text: str) -> tuple[str | None, str | None, str | None]:
    m = re.search(r"==\s*(Vivado HLS|Vitis HLS) Report for '([^']+)'", text)
    tool, top = (m.group(1), m.group(2)) if m else (None, None)
    if m is None:
        m2 = re.search(r"==\s*Synthesis Summary Report of '([^']+)'", text)
        if m2:
            tool, top = "Vitis HLS", m2.group(1)
    v = re.search(r"\*\s*Version:\s*(\S+)", text)
    return tool, (v.group(1) if v else None), top


# ----------------------------------------------------------------------------------------------- text csynth
def parse_csynth_rpt(path: Path | str, text: str | None = None) -> CsynthReport:
    """Parse a Vivado/Vitis HLS ``*_csynth.rpt`` (per-module report or Vitis "Synthesis Summary")."""
    text = _read(path) if text is None else text
    tool, version, top = _tool(text)
    if tool is None:
        raise DataError(f"{path}: not a Vivado HLS / Vitis HLS C-synthesis report (no report banner found)")
    part_m = re.search(r"\*\s*Target device:\s*(\S+)", text)
    part = part_m.group(1) if part_m else None
    if "Synthesis Summary Report" in text.split("\n== HW Interfaces")[0][:400]:
        return _parse_summary(str(path), text, tool, version, top, part)

    perf = _section(text, "Performance Estimates")
    target = est = unc = None
    for row in (r for t in _tables(perf) for r in t):
        if row and row[0] == "ap_clk" and len(row) >= 4:
            target, est, unc = _float(row[1]), _float(row[2]), _float(row[3])
            break
    lat = _latency_summary(perf)
    modules = _latency_instances(perf)
    util = _section(text, "Utilization Estimates")
    totals, available, inst_res = _utilization(util)
    modules = _merge_instances(modules, inst_res)
    return CsynthReport(
        path=str(path),
        format="rpt",
        tool=tool,
        tool_version=version,
        top=top,
        part=part,
        target_clock_ns=target,
        estimated_clock_ns=est,
        clock_uncertainty_ns=unc,
        latency_min=lat[0],
        latency_max=lat[1],
        interval_min=lat[2],
        interval_max=lat[3],
        pipeline_type=lat[4],
        BRAM_18K=totals.get("BRAM_18K"),
        DSP=totals.get("DSP"),
        FF=totals.get("FF"),
        LUT=totals.get("LUT"),
        URAM=totals.get("URAM"),
        available=available,
        modules=tuple(modules),
    )


def _latency_summary(perf: str) -> tuple:
    m = re.search(r"\+\s*Latency.*?\*\s*Summary:(.*?)(?:\+\s*Detail|\Z)", perf, re.S)
    if not m:
        return (None,) * 5
    for table in _tables(m.group(1)):
        for row in table:
            ints = [_int(c) for c in row]
            if sum(i is not None for i in ints) >= 2 and not any("min" == c for c in row):
                return _latency_row(row)
    return (None,) * 5


def _latency_row(row: list[str]) -> tuple:
    # Cells: min, max, [abs min, abs max,] ii min, ii max, type; absolute cells carry a unit.
    vals = [c for c in row if not re.search(r"[numµ]s\b|\bsec\b", c)]
    ptype = vals[-1] if vals and _int(vals[-1]) is None and vals[-1] not in ("?",) else None
    nums = [c for c in (vals[:-1] if ptype is not None else vals)]
    parsed = [_int(c) for c in nums] + [None] * 4
    return parsed[0], parsed[1], parsed[2], parsed[3], ptype


def _latency_instances(perf: str) -> list[ModuleFigures]:
    m = re.search(r"\+\s*Detail:\s*\n\s*\*\s*Instance:(.*?)(?:\*\s*Loop:|\Z)", perf, re.S)
    if not m:
        return []
    out = []
    for table in _tables(m.group(1)):
        for row in table:
            if len(row) < 4 or row[0] in ("", "Instance"):
                continue
            lat = _latency_row(row[2:])
            out.append(ModuleFigures(row[0], row[1], *lat))
    return out


def _utilization(util: str) -> tuple[dict, dict, dict]:
    totals: dict[str, int] = {}
    available: dict[str, int] = {}
    inst: dict[str, dict[str, int | None]] = {}
    tables = _tables(util)
    if not tables:
        return totals, available, inst
    summary = tables[0]
    header = [(_RES_KEYS.get(c.strip()) if c.strip() in _RES_KEYS else None) for c in summary[0]]
    for row in summary[1:]:
        if row[0] in ("Total", "Available"):
            target = totals if row[0] == "Total" else available
            for key, cell in zip(header, row, strict=False):
                if key is not None:
                    v = _int(cell)
                    if v is not None:
                        target[key] = v
    # per-instance resources: the table whose header starts with 'Instance' and has a 'Module' column
    for table in tables[1:]:
        head = table[0]
        if len(head) >= 3 and head[0] == "Instance" and head[1] == "Module":
            keys = [_RES_KEYS.get(c) for c in head]
            for row in table[1:]:
                if row[0] in ("Total", ""):
                    continue
                inst[row[0]] = {k: _int(c) for k, c in zip(keys, row, strict=False) if k is not None}
            break
    for key in header:
        if key is not None and key not in totals and key != "URAM":
            totals[key] = 0
    return totals, available, inst


def _merge_instances(mods: list[ModuleFigures], res: dict) -> list[ModuleFigures]:
    out = []
    seen = set()
    for m in mods:
        r = res.get(m.instance, {})
        seen.add(m.instance)
        out.append(
            ModuleFigures(
                m.instance,
                m.module,
                m.latency_min,
                m.latency_max,
                m.interval_min,
                m.interval_max,
                m.pipeline_type,
                r.get("BRAM_18K"),
                r.get("DSP"),
                r.get("FF"),
                r.get("LUT"),
                r.get("URAM"),
            )
        )
    return out


def _parse_summary(path: str, text: str, tool, version, top, part) -> CsynthReport:
    tables = _tables(text.split("== HW Interfaces")[0])
    rows = [r for t in tables for r in t]
    head = None
    mods: list[ModuleFigures] = []
    top_fig = None
    for row in rows:
        if row and row[0] in ("Modules", "& Loops"):
            head = head or row
            continue
        if not row or not row[0].startswith(("+", " +", "o", "*")) and not re.match(r"^\s*[+o*]", row[0]):
            continue
        name = row[0].lstrip(" +o*").strip()
        if len(row) < 14:
            continue
        # columns: name, issue, slack, latency cycles, latency ns, iteration latency, interval, trip count,
        #          pipelined, BRAM, DSP, FF, LUT, URAM
        fig = ModuleFigures(
            name,
            name,
            _int(row[3]),
            _int(row[3]),
            _int(row[6]),
            _int(row[6]),
            row[8] or None,
            _dash(row[9]),
            _dash(row[10]),
            _dash(row[11]),
            _dash(row[12]),
            _dash(row[13]),
        )
        if top_fig is None:
            top_fig = fig
        elif row[0].startswith("+ ") or row[0].startswith(" + "):
            mods.append(fig)
    if top_fig is None:
        raise DataError(f"{path}: Synthesis Summary report without a module table")
    return CsynthReport(
        path=path,
        format="summary-rpt",
        tool=tool,
        tool_version=version,
        top=top,
        part=part,
        target_clock_ns=None,
        estimated_clock_ns=None,
        clock_uncertainty_ns=None,
        latency_min=top_fig.latency_min,
        latency_max=top_fig.latency_max,
        interval_min=top_fig.interval_min,
        interval_max=top_fig.interval_max,
        pipeline_type=top_fig.pipeline_type,
        BRAM_18K=top_fig.BRAM_18K,
        DSP=top_fig.DSP,
        FF=top_fig.FF,
        LUT=top_fig.LUT,
        URAM=top_fig.URAM,
        available={},
        modules=tuple(mods),
    )


def _dash(cell: str) -> int:
    v = _int(cell)
    return 0 if v is None else v


# ----------------------------------------------------------------------------------------------- xml csynth
def parse_csynth_xml(path: Path | str, text: str | None = None) -> CsynthReport:
    """Parse a Vivado/Vitis HLS ``*_csynth.xml``."""
    text = _read(path) if text is None else text
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise DataError(f"{path}: not valid XML ({exc})") from None
    if root.tag != "profile":
        raise DataError(f"{path}: not a C-synthesis XML report (root <{root.tag}>, expected <profile>)")

    def find(p: str) -> str | None:
        el = root.find(p)
        return el.text.strip() if el is not None and el.text is not None else None

    def res(block: str) -> dict[str, int]:
        out = {}
        el = root.find(f"AreaEstimates/{block}")
        if el is not None:
            for child in el:
                key = _RES_KEYS.get(child.tag)
                if key and child.text is not None and re.fullmatch(r"\d+", child.text.strip()):
                    out[key] = int(child.text.strip())
        return out

    def num(p: str) -> int | None:
        v = find(p)
        return int(v) if v is not None and re.fullmatch(r"-?\d+", v) else None

    lat = "PerformanceEstimates/SummaryOfOverallLatency/"
    used = res("Resources")
    version = find("ReportVersion/Version")
    # Vitis HLS (2020.1 onwards) writes the flow target into the XML; Vivado HLS never does.
    tool = "Vitis HLS" if root.find("UserAssignments/FlowTarget") is not None else "Vivado HLS"
    return CsynthReport(
        path=str(path),
        format="xml",
        tool=tool,
        tool_version=version,
        top=find("UserAssignments/TopModelName"),
        part=find("UserAssignments/Part"),
        target_clock_ns=_float(find("UserAssignments/TargetClockPeriod")),
        estimated_clock_ns=_float(find("PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod")),
        clock_uncertainty_ns=_float(find("UserAssignments/ClockUncertainty")),
        latency_min=num(lat + "Best-caseLatency"),
        latency_max=num(lat + "Worst-caseLatency"),
        interval_min=num(lat + "Interval-min"),
        interval_max=num(lat + "Interval-max"),
        pipeline_type=find("PerformanceEstimates/PipelineType"),
        BRAM_18K=used.get("BRAM_18K"),
        DSP=used.get("DSP"),
        FF=used.get("FF"),
        LUT=used.get("LUT"),
        URAM=used.get("URAM"),
        available=res("AvailableResources"),
    )


def parse_csynth(path: Path | str) -> CsynthReport:
    """Parse a C-synthesis report, text or XML, chosen by its suffix."""
    p = Path(path)
    if p.suffix.lower() == ".xml":
        return parse_csynth_xml(p)
    if p.suffix.lower() == ".rpt":
        return parse_csynth_rpt(p)
    raise DataError(f"{p}: unknown report type (accepted: *_csynth.rpt, *_csynth.xml)")


# ----------------------------------------------------------------------------------------------- vivado utilisation
_VIV_ROWS = {
    "LUT": ("CLB LUTs", "Slice LUTs"),
    "FF": ("CLB Registers", "Slice Registers"),
    "BRAM_tile": ("Block RAM Tile",),
    "DSP": ("DSPs",),
    "URAM": ("URAM",),
}


def parse_vivado_utilization(path: Path | str, text: str | None = None) -> VivadoUtilization:
    """Parse Vivado ``report_utilization`` text (e.g. ``vivado_synth.rpt``): LUT, FF, DSP, BRAM tiles, URAM."""
    text = _read(path) if text is None else text
    if "report_utilization" not in text and "Utilization Design Information" not in text:
        raise DataError(f"{path}: not a Vivado utilisation report (no 'Utilization Design Information')")
    ver = re.search(r"Tool Version\s*:\s*(.+)", text)
    dev = re.search(r"\|\s*Device\s*:\s*(\S+)", text)
    found: dict[str, float] = {}
    avail: dict[str, float] = {}
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("|"):
            continue
        cells = _cells(s)
        if len(cells) < 4:
            continue
        label = cells[0].rstrip("*").strip()
        for key, labels in _VIV_ROWS.items():
            if key in found:
                continue
            if label in labels:
                used = _float(cells[1])
                if used is None:
                    continue
                found[key] = used
                # columns: Site Type | Used | Fixed | [Prohibited |] Available | Util%
                a = _float(cells[-2])
                if a is not None:
                    avail[key] = a
    if not found:
        raise DataError(f"{path}: no LUT/FF/DSP/BRAM rows found in the utilisation report")

    def as_int(k: str) -> int | None:
        return int(found[k]) if k in found else None

    return VivadoUtilization(
        path=str(path),
        tool_version=ver.group(1).strip() if ver else None,
        device=dev.group(1) if dev else None,
        LUT=as_int("LUT"),
        FF=as_int("FF"),
        DSP=as_int("DSP"),
        BRAM_tile=found.get("BRAM_tile"),
        URAM=as_int("URAM"),
        available=avail,
    )


def module_for_config(modules: Sequence[ModuleFigures], config: str) -> ModuleFigures | None:
    """The report module of the hls4ml layer whose config struct is ``config`` (``config2`` names the module
    ``dense_latency_<types>_config2_s``, never ``..._config20_s``), or None when HLS inlined the layer."""
    pattern = re.compile(r"(^|_)" + re.escape(config) + r"(_|$)")
    return next((m for m in modules if pattern.search(m.module)), None)


# ----------------------------------------------------------------------------------------------- discovery
@dataclass(frozen=True)
class ProjectReports:
    """The reports found in an hls4ml project directory."""

    csynth: CsynthReport | None
    layers: tuple[CsynthReport, ...]
    vivado_synth: VivadoUtilization | None


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
