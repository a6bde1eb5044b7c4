"""Per-repository before/after of two ``estimator_accuracy.py --json`` runs (held out, repository-capped).

A change to the estimator is kept only where it improves repositories it was not read from: run the benchmark
before and after it and compare here. Prints, for the target population and every stock repository (io_parallel,
then io_stream), latency within 2 cycles, median / p90 latency error (cycles) and median / p90 DSP, LUT and FF
|relative error|, before -> after, and marks the repositories whose latency or DSP figures changed. Usage::

    .venv/bin/python benchmarks/estimator_accuracy.py --json /tmp/before.json   # on the old tree
    .venv/bin/python benchmarks/estimator_accuracy.py --json /tmp/after.json    # on the new tree
    .venv/bin/python benchmarks/estimator_compare.py /tmp/before.json /tmp/after.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

KEYS = (
    ("lat<=2", "lat_within2", True),
    ("lat med", "latency_max_cycles_med", False),
    ("lat p90", "latency_max_cycles_p90", False),
    ("DSP med", "DSP_med", True),
    ("DSP p90", "DSP_p90", True),
    ("LUT med", "LUT_med", True),
    ("FF med", "FF_med", True),
)


def _v(x, pct: bool) -> str:
    if x is None:
        return "-"
    return f"{100 * x:.0f}%" if pct else f"{x:.0f}"


def line(label: str, before: dict | None, after: dict | None) -> str:
    """One row: each figure as before->after (only the after value where unchanged)."""
    cells = []
    changed = False
    for _, key, pct in KEYS:
        b = _v((before or {}).get(key), pct)
        a = _v((after or {}).get(key), pct)
        if b != a and key.startswith(("lat", "DSP")):
            changed = True
        cells.append(a if a == b else f"{b}->{a}")
    mark = "*" if changed else " "
    return f"{mark} {label:48.48s} " + "  ".join(f"{c:>13s}" for c in cells)


def compare(before: dict, after: dict) -> list[str]:
    """The comparison table's lines."""
    head = "  " + f"{'':48s} " + "  ".join(f"{k:>13s}" for k, _, _ in KEYS)
    out = [head]
    for g in sorted(set(before["summary"]) | set(after["summary"])):
        if g.startswith(("STOCK", "stock")):
            out.append(line(g, before["summary"].get(g, {}).get("est"), after["summary"].get(g, {}).get("est")))
    for section, key in (("stock io_parallel", "per_repository"), ("stock io_stream", "per_repository_stream")):
        out.append(f"\nper repository, {section} (held out):")
        for repo in sorted(set(before.get(key, {})) | set(after.get(key, {}))):
            out.append(line("  " + repo, before.get(key, {}).get(repo), after.get(key, {}).get(repo)))
    out.append("\n* latency or DSP figures changed")
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    for p in (args.before, args.after):
        if not p.exists():
            print(f"no such file: {p} (write it with estimator_accuracy.py --json)", file=sys.stderr)
            return 2
    before, after = (json.loads(p.read_text()) for p in (args.before, args.after))
    print("\n".join(compare(before, after)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
