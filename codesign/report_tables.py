"""Cells and tables of report.md: how a value is printed, and the budget checks as a table."""

from __future__ import annotations

from typing import Any


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e12:
            return str(int(v))  # resource counts and their limits: every digit is meaningful
        if abs(v) >= 1e4:
            return f"{v:.0f}"
        if v != 0 and abs(v) < 1e-3:
            return f"{v:.3g}"
        return f"{v:.{digits}g}"
    return str(v)


def _percent(x: float | None) -> str | None:
    return None if x is None else f"{100 * x:+.1f} %"


def _budget_table(checks: list[dict]) -> list[str]:
    """The budget checks as a table: value, limit, status and margin (absolute and as % of the limit)."""
    rows = [[c.get("name"), c.get("value"), c.get("limit"), c.get("unit", ""), c.get("status", c.get("pass")),
             c.get("margin"), _percent(c.get("relative_margin"))] for c in checks]  # fmt: skip
    header = ["check", "value", "limit", "unit", "status", "margin", "margin % of limit"]
    if any(c.get("interval") for c in checks):
        # the estimate's 16-84 % interval; "straddles" where it reaches both sides of the limit
        header.append("estimate interval (16-84 %)")
        for row, c in zip(rows, checks, strict=True):
            iv = c.get("interval")
            row.append("" if not iv else f"{_fmt(iv[0])} - {_fmt(iv[1])}" + (" (straddles)" if c.get("straddles") else ""))
    return _table(header, rows)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return out
