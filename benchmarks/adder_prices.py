"""The LUT price HLS puts on an adder, a compare and a select, by tool release and device family.

Reads the ``Expression`` table of every C-synthesis report (``*_csynth.rpt``) under a calibration ``raw/`` folder
(default ``../shared/calibration/raw``): per row the operation, its LUT and the operand widths P0 / P1. A row's width
W is max(P0, P1); its price is LUT - W. Rows narrower than ``--min-width`` (9: HLS merges or trims the narrow
ones) are left out. Per (release, product family, part) and per repository: the rows and the share of each price,
W - 3, W, W + 7 and the rest. Reports are counted once per content (the raw folder keeps copies per commit).
Network-free, a few seconds::

    .venv/bin/python benchmarks/adder_prices.py [--raw DIR] [--op add|icmp|select] [--by repo] [--json OUT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "calibration" / "raw"
#: the Operation column's spellings per kind
OPS = {"add": ("+", "-"), "icmp": ("icmp",), "select": ("select",)}
#: the prices tabulated by name (LUT - W); the rest are counted as "other"
PRICES = (-3, 0, 1, 7)

_VERSION = re.compile(r"^\* Version:\s+(\d{4}\.\d+)", re.MULTILINE)
_FAMILY = re.compile(r"^\* Product family:\s+(\S+)", re.MULTILINE)
_DEVICE = re.compile(r"^\* Target device:\s+(\S+)", re.MULTILINE)
_TOOL = re.compile(r"^== (Vivado|Vitis) HLS Report", re.MULTILINE)


def expression_rows(text: str) -> list[tuple[str, int, int, int]]:
    """(operation, LUT, P0, P1) of every row of the report's Expression table (the Total row left out)."""
    start = text.find("* Expression:")
    if start < 0:
        return []
    rows = []
    for line in text[start:].splitlines()[1:]:
        s = line.strip()
        if s.startswith("* ") or (not s.startswith("|") and not s.startswith("+") and s):
            break
        cells = [c.strip() for c in s.strip("|").split("|")]
        if len(cells) < 7 or cells[0] in ("Total", "Variable Name"):
            continue
        try:
            lut, p0, p1 = int(cells[4]), int(cells[5]), int(cells[6])
        except ValueError:
            continue
        rows.append((cells[1], lut, p0, p1))
    return rows


def header(text: str) -> dict[str, str] | None:
    """Tool, release, product family and part of a report; None where one is missing."""
    found = [_TOOL.search(text), _VERSION.search(text), _FAMILY.search(text), _DEVICE.search(text)]
    if not all(found):
        return None
    tool, version, family, device = (m.group(1) for m in found)
    return {"tool": tool, "release": version, "family": family, "part": device.lower()}


def repository(path: Path, raw: Path) -> str:
    """The ``<owner>_<repo>`` folder a report sits in."""
    return path.relative_to(raw).parts[0]


def tabulate(raw: Path, op: str, min_width: int) -> list[dict]:
    """One row per report-group cell: release, family, part, repository and the price of each matching row."""
    seen: set[str] = set()
    out = []
    for path in sorted(raw.rglob("*_csynth.rpt")):
        text = path.read_text(errors="replace")
        digest = hashlib.sha1(text.encode()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        head = header(text)
        if head is None:
            continue
        prices = [lut - max(p0, p1) for o, lut, p0, p1 in expression_rows(text)
                  if o in OPS[op] and max(p0, p1) >= min_width]  # fmt: skip
        if prices:
            out.append({**head, "repo": repository(path, raw), "report": str(path.relative_to(raw)),
                        "prices": prices})  # fmt: skip
    return out


def share_table(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """Per distinct value of ``keys``: rows, repositories and the share of each price of PRICES (and 'other')."""
    groups: dict[tuple, Counter] = defaultdict(Counter)
    repos: dict[tuple, set] = defaultdict(set)
    for r in rows:
        key = tuple(r[k] for k in keys)
        groups[key].update(r["prices"])
        repos[key].add(r["repo"])
    table = []
    for key in sorted(groups):
        c = groups[key]
        n = sum(c.values())
        shares = {f"W{p:+d}" if p else "W": c[p] / n for p in PRICES}
        shares["other"] = 1 - sum(shares.values())
        table.append({**dict(zip(keys, key, strict=True)), "rows": n, "repositories": len(repos[key]), "shares": shares,
                      "commonest": f"W{c.most_common(1)[0][0]:+d}"})  # fmt: skip
    return table


def main(argv: list[str] | None = None) -> int:
    """Print the price shares per (tool, release, family[, part | repository])."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=RAW, help="calibration raw/ folder of *_csynth.rpt reports")
    ap.add_argument("--op", choices=tuple(OPS), default="add")
    ap.add_argument("--by", choices=("family", "part", "repo"), default="family",
                    help="finest grouping past (tool, release, family)")  # fmt: skip
    ap.add_argument("--min-width", type=int, default=9)
    ap.add_argument("--json", type=Path, help="write the table here")
    args = ap.parse_args(argv)
    if not args.raw.is_dir():
        print(f"{args.raw}: no such folder (the calibration's raw/ reports)", file=sys.stderr)
        return 2
    rows = tabulate(args.raw, args.op, args.min_width)
    keys = ("tool", "release", "family") + (() if args.by == "family" else (args.by,))
    table = share_table(rows, keys)
    names = [f"W{p:+d}" if p else "W" for p in PRICES] + ["other"]
    print(" | ".join(keys + ("rows", "repos")) + " | " + " | ".join(names) + " | commonest")
    for t in table:
        shares = " | ".join(f"{100 * t['shares'][k]:.0f} %" for k in names)
        print(" | ".join(str(t[k]) for k in keys) + f" | {t['rows']} | {t['repositories']} | {shares} | {t['commonest']}")
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
