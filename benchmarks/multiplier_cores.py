"""The multiplier cores HLS bound in the calibration reports, with their pipeline depths, against the estimator.

Vivado HLS and Vitis HLS name every multiplier core they instantiate after its operation, operand widths, output
width and number of stages: ``myproject_mul_mul_16s_16s_26_3_1`` is a signed 16 x 16 -> 26-bit DSP multiplier of
3 stages (NUM_STAGE = latency + 1: input registers, then the product register; Vitis HLS's Bind Op table lists the
same core with ``Latency 2``). This script reads every record's C-synthesis reports under ``raw/`` (the design's and
the per-module ``*_csynth.rpt``), lists each distinct core with its tool version, device family, speed grade,
clock and mapping (DSP when the report's Instance row or Bind Op row gives it a DSP, or it sits in the DSP48
section), and compares the depths with the estimator's (``hardware.multiplier_latency``).

Usage::

    .venv/bin/python benchmarks/multiplier_cores.py [--calibration DIR] [--rows] [--variant NAME ...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import estimator_accuracy as EA  # noqa: E402
import latency_rules  # noqa: E402

from codesign.estimate.hardware import Clock, make_clock, multiplier_latency, speed_grade  # noqa: E402

#: a core name: operation (mul, mul_mul, mac_muladd, am_addmul, ...), operand ports, output width, stages, ce
CORE = re.compile(
    r"(?P<op>(?:[a-z]+_)?(?:mul|muladd|mulsub|addmul|submul|addmuladd|submuladd))_"
    r"(?P<ports>(?:\d+n?s_)+)(?P<out>\d+)_(?P<stages>\d+)_(?P<ce>[01])(?:_U\d+)?$"
)


BIND_OPS = ("mul", "add", "sub", "muladd", "mulsub", "addmul", "submul", "mac")
BIND_IMPLS = ("dsp", "dsp_slice", "dsp48", "fabric", "auto")


def core_of(cell: str) -> re.Match | None:
    """The core-name match of one report cell (a module or instance name), or None."""
    name = cell.strip().split(" ")[0]
    for prefix in ("myproject_axi_", "myproject_"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return CORE.search(name)


def _int(cell: str) -> int | None:
    cell = cell.strip()
    return int(cell) if cell.isdigit() else None


def cores_in_report(text: str) -> dict[str, dict]:
    """Every distinct multiplier core of one report: its widths, stages and how it is mapped (``dsp``/``fabric``/None)."""
    found: dict[str, dict] = {}
    in_dsp_section = False
    for line in text.splitlines():
        if re.match(r"\s*\*\s*DSP(48E?)?:?", line):
            in_dsp_section = True
        elif re.match(r"\s*\*\s*\w", line):
            in_dsp_section = False
        cells = line.split("|")
        if len(cells) < 3:
            continue
        for i, cell in enumerate(cells):
            m = core_of(cell)
            if not m:
                continue
            key = re.sub(r"_U\d+$", "", m.group(0))
            row = found.setdefault(key, {
                "core": key, "op": "mul" if m.group("op") == "mul_mul" else m.group("op"),
                "ports": [int(p.rstrip("ns")) for p in m.group("ports").strip("_").split("_")],
                "out": int(m.group("out")), "stages": int(m.group("stages")), "impl": None,
            })  # fmt: skip
            rest = [c.strip() for c in cells[i + 1:]]
            if in_dsp_section or m.group("op").startswith("mul_mul"):
                row["impl"] = "dsp"
            elif len(rest) >= 6 and rest[3] in BIND_OPS and rest[4] in BIND_IMPLS:
                # Vitis HLS Bind Op row: Name | DSP | Pragma | Variable | Op | Impl | Latency
                dsp = _int(rest[0])
                if dsp:
                    row["impl"] = "dsp"
                elif rest[4] == "fabric" or dsp == 0:
                    row["impl"] = row["impl"] or "fabric"
                elif rest[4].startswith("dsp"):
                    row["impl"] = "dsp"
                if _int(rest[5]) is not None:
                    row["bind_latency"] = _int(rest[5])
            elif len(rest) >= 4 and core_of(rest[0]) and _int(rest[2]) is not None:
                # Instance row: Instance | Module | BRAM | DSP | FF | LUT
                row["impl"] = "dsp" if _int(rest[2]) else (row["impl"] or "fabric")
            break
    return found


def mine(calib: Path) -> list[dict]:
    """One row per distinct (repository, tool version, part, clock, core) over every stock record's reports."""
    rows: dict[tuple, dict] = {}
    for rec in EA.load_records(calib):
        report = calib / "raw" / rec["repo"].replace("/", "_") / rec["commit"][:10] / rec["report_path"]
        folder = report.parent
        if not folder.is_dir():
            continue
        s = EA.settings_from_record(rec)
        try:
            part = EA.resolve_part(s["part"])
        except Exception:  # noqa: BLE001 - a record whose part the estimator cannot resolve is left out
            continue
        clock = make_clock(float(s["target_clock_ns"]), s.get("clock_uncertainty"), s.get("hls_tool"))
        for path in sorted(folder.glob("*.rpt")):
            for core in cores_in_report(path.read_text(errors="replace")).values():
                key = (rec["repo"], rec.get("hls_tool_version"), part.full_name, clock.period_ns, core["core"])
                row = rows.setdefault(key, {
                    **core, "repo": rec["repo"], "stock": EA.is_stock(rec), "tool": rec.get("hls_tool"),
                    "version": str(rec.get("hls_tool_version")), "part": part.full_name, "family": part.family,
                    "grade": speed_grade(part.full_name), "dsp_family": part.dsp_family, "clock_ns": clock.period_ns,
                    "effective_ns": round(clock.effective_ns, 3),
                })  # fmt: skip
                row["impl"] = row["impl"] or core["impl"]
    return list(rows.values())


def predicted(row: dict) -> int:
    """The estimator's stage count (latency + 1) of one mined core."""
    clock = Clock(row["clock_ns"], row["clock_ns"] - row["effective_ns"])
    return 1 + multiplier_latency(row["ports"][0], row["ports"][1], row["impl"] == "dsp", clock, row["family"], row["part"],
                                row["tool"])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None)
    ap.add_argument("--rows", action="store_true", help="print every mined core")
    ap.add_argument("--json", type=Path, help="write the mined rows here")
    ap.add_argument("--variant", action="append", default=[], help="also score a latency_rules.py variant (repeatable)")
    args = ap.parse_args(argv)
    calib = EA.calibration_folder(args.calibration)
    if calib is None or not (calib / "raw").is_dir():
        print("needs the calibration folder with raw/ reports (../shared/calibration)", file=sys.stderr)
        return 2
    rows = [r for r in mine(calib) if r["op"] in ("mul",) and len(r["ports"]) == 2]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    groups: dict[tuple, Counter] = defaultdict(Counter)
    hits: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        g = (r["tool"], r["version"], r["family"], r["grade"], r["clock_ns"], r["effective_ns"], r["impl"] or "?")
        groups[g][r["stages"]] += 1
        p = predicted(r)
        hits[g][0] += p == r["stages"]
        hits[g][1] += 1
        if args.rows:
            print(f"{r['repo'][:28]:28s} {g} {r['core']:28s} stages {r['stages']} predicted {p}")
    print(f"{'tool':10s} {'ver':7s} {'family':12s} gr  clock  eff   impl   stages seen (count)          predicted exact")
    for g in sorted(groups, key=str):
        seen = " ".join(f"{k}:{v}" for k, v in sorted(groups[g].items()))
        print(f"{g[0][:10]:10s} {g[1]:7s} {g[2]:12s} {g[3]!s:2s} {g[4]:5.2f} {g[5]:5.2f} {g[6]:6s} {seen:28s} "
              f"{hits[g][0]}/{hits[g][1]}")  # fmt: skip
    print("stage counts predicted exactly: all cores / stock records' / stock single-slice DSP (both operands <= 18 bits)")
    for name in ("shipped", *args.variant):
        with latency_rules.variant(name):
            print(f"{name:55s} " + " / ".join(_score(sub) for sub in _subsets(rows)))
    return 0


def _subsets(rows: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    stock = [r for r in rows if r["stock"]]
    return rows, stock, [r for r in stock if r["impl"] == "dsp" and max(r["ports"]) <= 18]


def _score(rows: list[dict]) -> str:
    return f"{sum(predicted(r) == r['stages'] for r in rows)}/{len(rows)}"


if __name__ == "__main__":
    raise SystemExit(main())
