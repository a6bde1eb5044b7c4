"""Vivado ``report_utilization`` text (``vivado_synth.rpt``): post-synthesis LUT, FF, DSP, BRAM tiles, URAM."""

from __future__ import annotations

import re
from pathlib import Path

from codesign.errors import DataError
from codesign.synth_reports.cells import _cells, _float, _read
from codesign.synth_reports.results import VivadoUtilization

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
