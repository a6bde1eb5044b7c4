"""Vivado HLS / Vitis HLS text C-synthesis reports: per-module ``*_csynth.rpt`` and Vitis's "Synthesis Summary"."""

from __future__ import annotations

import re
from pathlib import Path

from codesign.errors import DataError
from codesign.synth_reports.cells import _RES_KEYS, _float, _int, _read, _section, _tables
from codesign.synth_reports.results import CsynthReport, ModuleFigures


def _tool(text: str) -> tuple[str | None, str | None, str | None]:
    m = re.search(r"==\s*(Vivado HLS|Vitis HLS) Report for '([^']+)'", text)
    tool, top = (m.group(1), m.group(2)) if m else (None, None)
    if m is None:
        m2 = re.search(r"==\s*Synthesis Summary Report of '([^']+)'", text)
        if m2:
            tool, top = "Vitis HLS", m2.group(1)
    v = re.search(r"\*\s*Version:\s*(\S+)", text)
    return tool, (v.group(1) if v else None), top


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

    _require_complete(path, text)
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


def _require_complete(path: Path | str, text: str) -> None:
    """A per-module report holds both sections and the utilization Total row (1484 of 1484 calibration reports do);
    one cut short would read as figures the tool "did not report"."""
    lines = len(text.splitlines())  # its last line
    for title in ("Performance Estimates", "Utilization Estimates"):
        if not re.search(r"^==\s*" + re.escape(title), text, re.M):
            raise DataError(f"{path}:{lines}: the report ends at line {lines} without its '== {title}' section "
                            "(truncated?); accepted: a complete *_csynth.rpt as Vivado/Vitis HLS writes it, or its "
                            "*_csynth.xml")  # fmt: skip
    util = _section(text, "Utilization Estimates")
    if not re.search(r"^\|\s*Total\s*\|", util, re.M):
        raise DataError(f"{path}:{lines}: the '== Utilization Estimates' section has no Total row (the report ends at "
                        f"line {lines}: truncated?); accepted: a complete *_csynth.rpt, or its *_csynth.xml")  # fmt: skip


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
