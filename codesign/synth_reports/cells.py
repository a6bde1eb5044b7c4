"""Reading a report's text: numbers in table cells, ``==`` sections, ``+---+`` bordered tables, resource names."""

from __future__ import annotations

import re
from pathlib import Path

from codesign.errors import DataError

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
