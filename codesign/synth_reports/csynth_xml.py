"""Vivado HLS / Vitis HLS XML C-synthesis reports (``*_csynth.xml``)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from codesign.errors import DataError
from codesign.synth_reports.cells import _RES_KEYS, _float, _read
from codesign.synth_reports.results import CsynthReport


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
                if key and child.text is not None and child.text.strip():
                    if not re.fullmatch(r"\d+", child.text.strip()):  # was read as 'not reported', exit 0
                        raise DataError(f"{path}: <AreaEstimates/{block}/{child.tag}> is {child.text.strip()!r}, not a "
                                        "count (accepted: a whole number, as the HLS tool writes it)")  # fmt: skip
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
