"""The io_parallel PIPELINE top's own cycles against the top rule, with the layers' reported latencies fed in.

For every stock io_parallel record with a PIPELINE top whose every layer call has a module report: the top's own
cycles (reported design latency minus the sum of its modules' latencies) against ``network._top_overhead`` evaluated
on the model's layer list with each layer's latency replaced by its module's. That isolates the top rule (call
boundaries, chained 0-cycle calls, the Vitis 7-series II = 1 cycles) from the layer kernels. Run it under
``with_constants.py`` to judge a top-rule hook (docs/estimator.md, eleventh round)::

    .venv/bin/python benchmarks/top_own_cycles.py [--rows]
    .venv/bin/python benchmarks/with_constants.py TOP_CHAIN_COMBINATIONAL=True benchmarks/top_own_cycles.py
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from estimator_accuracy import calibration_folder, layer_rows  # noqa: E402

from codesign.estimate.calibration_set import load_records  # noqa: E402
from codesign.estimate.design import build_calls  # noqa: E402
from codesign.estimate.layers import predict_layer  # noqa: E402
from codesign.estimate.network import _top_overhead, top_style  # noqa: E402
from codesign.estimate.settings import settings_from_record  # noqa: E402


def own_cycles(calib: Path) -> list[dict]:
    """One row per qualifying record: id, the top's own cycles reported, the rule's, the layer sequence."""
    recs = {r["id"]: r for r in load_records(calib)}
    by_record: dict[str, list[dict]] = defaultdict(list)
    for row in layer_rows(list(recs.values()), calib):
        by_record[row["id"]].append(row)
    out = []
    for rid, rows in by_record.items():
        rec = recs[rid]
        settings = settings_from_record(rec)
        calls = build_calls(settings)
        if rec.get("io_type") != ["io_parallel"] or top_style(settings, calls)[0] != "pipeline":
            continue
        if len(rows) != len([c for c in calls if c.config.get("config")]):
            continue  # a layer without its own module report: the top's own cycles are not separable
        ctx = rows[0]["ctx"]
        model = [predict_layer(r["call"], ctx) for r in rows]
        fed = [replace(m, latency_cycles=r["module"].latency_max) for m, r in zip(model, rows, strict=True)]
        ii = max(int(x.ii_cycles or 1) for x in model)
        own = int(rec["latency_max_cycles"]) - sum(int(r["module"].latency_max or 0) for r in rows)
        pairs = zip(model, fed, strict=True)
        seq = " ".join(f"{m.kind.split('/')[0]}{m.latency_cycles}/{x.latency_cycles}" for m, x in pairs)
        out.append({"id": rid, "reported": own, "rule": _top_overhead(fed, ii, ctx), "layers": seq})
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the counts (and with ``--rows`` every record: own reported, rule, layers model / reported)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl and raw/")
    ap.add_argument("--rows", action="store_true", help="one line per record")
    args = ap.parse_args(argv)
    calib = calibration_folder(args.calibration)
    if calib is None:
        print("no calibration records found (../shared/calibration)", file=sys.stderr)
        return 1
    rows = own_cycles(calib)
    if args.rows:
        for r in rows:
            print(f"{r['id'][:70]:70s} own {r['reported']:3d} rule {r['rule']:3d} | {r['layers']}")
    exact = sum(r["reported"] == r["rule"] for r in rows)
    near = sum(abs(r["reported"] - r["rule"]) <= 1 for r in rows)
    print(f"{len(rows)} records: the top's own cycles exact {exact}, within one cycle {near}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
