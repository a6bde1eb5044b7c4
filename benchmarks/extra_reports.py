"""The estimator on more stock hls4ml io_parallel designs from public repositories: predicted vs reported, held out.

Records: ``benchmarks/data/extra_reports.jsonl`` (calibration schema; where each number was read is in
``benchmarks/data/extra_reports_PROVENANCE.md``). None of their repositories is in ``../shared/calibration``, and
none of the records was used to set a constant of the estimator, so the first run on a change is a held-out
figure. The table and statistics are ``recurrent_reports.py``'s; this script only names the groups: repository,
tool and version, device family, network kind (dense / Conv1D / with BatchNorm) and strategy. Every record counts
once. Network-free, about a second::

    .venv/bin/python benchmarks/extra_reports.py [--records FILE] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from recurrent_reports import FIGURES, by_group, evaluate, fmt_pair, fmt_summary, load, summary  # noqa: E402

from codesign.errors import SpecError  # noqa: E402
from codesign.parts import part_from_totals, resolve_part  # noqa: E402

RECORDS = ROOT / "benchmarks" / "data" / "extra_reports.jsonl"


def family_of(rec: dict) -> str:
    """The device family of the record's part (from its device totals where the part table does not know it)."""
    try:
        return resolve_part(rec["part"]).family
    except SpecError:
        return part_from_totals(rec["part"], rec.get("available") or {}).family


def kind_of(rec: dict) -> str:
    """The network kind, from the kernels of the top calls: Conv1D / Conv2D, plus '+BN' where a BatchNorm runs."""
    calls = " ".join(rec.get("top_calls") or [])
    kind = "Conv2D" if "conv_2d" in calls else "Conv1D" if "conv_1d" in calls else "dense"
    return kind + ("+BN" if "nnet::normalize<" in calls else "")


def groups_of(rec: dict) -> dict[str, str]:
    """The groups a record belongs to: repository, tool and version, device family, network kind, strategy."""
    return {
        "repo": rec["repo"],
        "tool": f"{rec.get('hls_tool')} {rec.get('hls_tool_version')}",
        "family": family_of(rec),
        "kind": kind_of(rec),
        "strategy": "+".join(rec.get("strategy") or []) or "?",
    }


def main(argv: list[str] | None = None) -> dict:
    """Print the per-record table and the grouped figures; return them (``--json`` writes them)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=Path, default=RECORDS)
    ap.add_argument("--json", type=Path, default=None, help="write the figures here (for a before/after compare)")
    args = ap.parse_args(argv)
    rows = [evaluate(r, groups_of) for r in load(args.records)]
    print("== design (top report): predicted/reported")
    for r in rows:
        cells = "  ".join(f"{label} {fmt_pair(label, r['design'][label])}" for _, _, label in FIGURES)
        print(f"{r['id']}\n    {cells}")
    figures: dict = {"records": [{k: r[k] for k in ("id", "design")} for r in rows], "groups": {"all": summary(rows)}}
    print("\n== median/p90 of |error| (resources: relative; latency, II: cycles); latency within 2 cycles")
    print(f"all: {fmt_summary(figures['groups']['all'])}")
    for name, rs in by_group(rows):
        figures["groups"][name] = summary(rs)
        print(f"{name}: {fmt_summary(figures['groups'][name])}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
