"""The stock io_stream records process by process: parse check, DATAFLOW composition, and where the latency error is.

For every stock io_stream record with its top report under ``raw/`` (``../shared/calibration``):

1. parse check: the record's latency and II against its top ``*_csynth.rpt`` parsed again here;
2. composition with the *reported* per-process figures (each layer's ``<module>_csynth.rpt``, in call order): the
   region's II is the slowest process's interval, + 1 where that process is not pipelined (interval = latency),
   as ``network.dataflow_interval`` has it; the tail (latency - II) the report adds beyond it;
3. the estimate (shipped constants; latency and II have no refitted constant): its II error, split into the slowest
   process's per-pixel cycles times the pixels, and its tail error; the tail under a candidate that charges every
   sequential process its drain (latency - input words) instead of nothing.

Prints one line per record and the totals. Nothing here changes the estimator. Usage::

    .venv/bin/python benchmarks/stream_processes.py [--calibration DIR]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import estimator_accuracy as EA  # noqa: E402

from codesign.errors import CodesignError  # noqa: E402
from codesign.estimate.calibration_set import load_records  # noqa: E402
from codesign.estimate.design import build_calls  # noqa: E402
from codesign.estimate.network import estimate_settings  # noqa: E402
from codesign.estimate.settings import settings_from_record  # noqa: E402
from codesign.synth_reports import parse_csynth  # noqa: E402

#: Layer functions whose input is an image (one stream word per pixel); the rest read n_in / pack words.
_IMAGE = ("conv", "pointwise", "depthwise", "pooling", "global_pooling", "zeropad", "resize")


def input_words(call) -> int | None:
    """Stream words a process reads: its input pixels (image layers) or ceil(n_in / pack)."""
    if call.function.lower().startswith(_IMAGE):
        return int((call.num("in_height", 1) or 1) * (call.num("in_width", 1) or 1))
    n_in = call.num("n_in")
    return None if n_in is None else max(1, math.ceil(n_in / max(call.pack, 1)))


def tail(per_layer, calls, drain: bool) -> int:
    """Latency beyond the II as network.stream_latency composes it; ``drain``: a sequential process without a fill of
    its own adds its latency - input words (the cycles after its last input) instead of nothing."""
    paced = [int(x.ii_cycles or 0) + x.sequential for x in per_layer]
    slowest = paced.index(max(paced))
    total = len(per_layer)
    for i, (x, c) in enumerate(zip(per_layer, calls, strict=True)):
        lat, ii = int(x.latency_cycles or 0), int(x.ii_cycles or 0)
        if x.fill_cycles is not None:
            total += 0 if i == slowest else x.fill_cycles
        elif drain and x.sequential and i != slowest and input_words(c):
            total += max(0, lat - input_words(c))
        else:
            total += max(0, lat - ii)
    return total


def record_rows(calib: Path) -> list[dict]:
    """One row per stock io_stream record with a top report."""
    recs = [r for r in load_records(calib) if EA.is_stock(r) and "io_stream" in (r.get("io_type") or [])]
    layers = EA.layer_rows(recs, calib)
    out = []
    for rec in recs:
        path = calib / "raw" / rec["repo"].replace("/", "_") / rec["commit"][:10] / rec["report_path"]
        rpt = path.with_suffix(".rpt") if path.suffix == ".xml" else path
        if not rpt.exists():
            continue
        top = parse_csynth(rpt)
        row = {"id": rec["id"], "repo": rec["repo"], "lat": rec["latency_max_cycles"], "ii": rec["interval_max"],
               "parsed": (top.latency_max, top.interval_max), "pipeline": top.pipeline_type}  # fmt: skip
        procs = [(r["call"], r["module"]) for r in layers if r["id"] == rec["id"]]
        if procs and top.pipeline_type == "dataflow":
            paced = [int(m.interval_max or 0) + (m.interval_max == m.latency_max) for _, m in procs]
            k = paced.index(max(paced))
            row["composed_ii"] = max(paced)
            row["slowest_reported"] = (procs[k][0].function, procs[k][1].interval_max, input_words(procs[k][0]))
        try:
            settings = settings_from_record(rec)
            est, calls = estimate_settings(settings), build_calls(settings)
        except CodesignError as exc:
            row["declined"] = str(exc)[:90]
            out.append(row)
            continue
        if est.latency_cycles is None or len(est.per_layer) != len(calls):
            row["declined"] = ("; ".join(est.declined) or "no latency")[:90]
            out.append(row)
            continue
        paced = [int(x.ii_cycles or 0) + x.sequential for x in est.per_layer]
        k = paced.index(max(paced))
        row.update(pred_lat=est.latency_cycles, pred_ii=est.ii_cycles,
                   slowest_predicted=(calls[k].function, est.per_layer[k].ii_cycles, input_words(calls[k])),
                   tail_drain=tail(est.per_layer, calls, True), tail_model=tail(est.per_layer, calls, False))  # fmt: skip
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl and raw/")
    args = ap.parse_args(argv)
    calib = EA.calibration_folder(args.calibration)
    if calib is None or not (calib / "raw").is_dir():
        print("needs the calibration records with their raw/ reports (../shared/calibration)", file=sys.stderr)
        return 2
    rows = record_rows(calib)
    parsed_ok = sum(r["parsed"] == (r["lat"], r["ii"]) for r in rows)
    composed = [r for r in rows if "composed_ii" in r]
    print(f"{len(rows)} stock io_stream records with a top report; record figures = the report parsed again: "
          f"{parsed_ok} of {len(rows)}")  # fmt: skip
    print(f"DATAFLOW II = slowest reported process interval (+1 if not pipelined): "
          f"{sum(r['composed_ii'] == r['ii'] for r in composed)} of {len(composed)} exact\n")  # fmt: skip
    head = f"{'record':52s} {'lat rep/pred':>15s} {'II err':>7s} {'tail rep/pred/drain':>19s}  slowest: reported | predicted"
    print(head)
    ii_err = tail_err = drain_err = 0
    tails = []
    for r in rows:
        rep_tail = r["lat"] - r["ii"]
        if "declined" in r:
            print(f"{r['id'][:52]:52s} {r['lat']:>7d}/{'-':>7s}  declined: {r['declined']}")
            continue
        d_ii = r["pred_ii"] - r["ii"]
        d_tail = (r["pred_lat"] - r["pred_ii"]) - rep_tail
        ii_err, tail_err = ii_err + abs(d_ii), tail_err + abs(d_tail)
        drain_err += abs(r["tail_drain"] - r["tail_model"] + d_tail)
        tails.append((abs(d_tail), abs(r["tail_drain"] - r["tail_model"] + d_tail)))
        rep = r.get("slowest_reported")
        rep_s = f"{rep[0][:14]} {rep[1]}/{rep[2]} px" if rep else "-"
        p = r["slowest_predicted"]
        print(f"{r['id'][:52]:52s} {r['lat']:>7d}/{r['pred_lat']:<7d} {d_ii:>+7d} "
              f"{rep_tail:>6d}/{r['pred_lat'] - r['pred_ii']:<5d}/{r['tail_drain'] - r['tail_model'] + r['pred_lat'] - r['pred_ii']:<6d}"
              f" {rep_s} | {p[0][:14]} {p[1]}/{p[2]} px")  # fmt: skip
    if tails:
        print(f"\nsum |II error| {ii_err} cycles, sum |tail error| {tail_err} (median "
              f"{statistics.median(t for t, _ in tails):.0f}); with the drain candidate {drain_err} (median "
              f"{statistics.median(d for _, d in tails):.0f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
