"""Where the estimator's LUT (or latency) misses come from: held-out per-layer residuals grouped by what HLS does differently.

Each repository is held out in turn (scale constants refitted on the others, as in ``estimator_accuracy.py``); every
layer function with its own ``*_csynth.rpt`` is predicted and compared with that report's LUT. The ratios
reported / predicted are grouped by layer kind (with strategy and RF = 1 / > 1), HLS tool and version, device
family, operand widths (the narrower operand: where a constant product goes, DSP or LUTs; and whether the product is
wider than ``accum_t``), reuse factor and layer size (non-zero products), and printed per group as the
repository-balanced median (the median over repositories of each repository's median) with the spread of the
repository medians, so that one repository's sweep cannot set a group. Then the design-level ratio per repository
(stock records, reported / predicted LUT). Needs ``../shared/calibration/raw`` (the per-module reports).
``--figure latency`` groups the per-layer latency instead: predicted - reported cycles, the repository-balanced
median with the spread of the repository medians, and the share of layers within one cycle (each repository
weighted equally). Usage::

    .venv/bin/python benchmarks/lut_residuals.py [--calibration DIR] [--io io_parallel|io_stream|all]
                                                 [--figure lut|latency]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import estimator_accuracy as ea  # noqa: E402

from codesign.estimate.calibration_set import load_records, records_dir  # noqa: E402
from codesign.estimate.hardware import _ULTRASCALE_PLUS as ULTRASCALE_PLUS  # noqa: E402
from codesign.estimate.layers import predict_layer  # noqa: E402
from codesign.parts import resolve_part  # noqa: E402


def _bucket(x: float, edges: tuple[int, ...], unit: str = "") -> str:
    """Label of the half-open bucket of ``x`` among ``edges``."""
    lo = 0
    for e in edges:
        if x < e:
            return f"{lo}-{e - 1}{unit}"
        lo = e
    return f">={lo}{unit}"


def family(part_name: str) -> str:
    """Coarse device family of a part string: 7-series, UltraScale or UltraScale+ (unknown parts: "other")."""
    try:
        fam = resolve_part(part_name).family
    except Exception:  # noqa: BLE001 - a part outside the table is grouped apart, not an error here
        return "other"
    if fam in ULTRASCALE_PLUS:
        return "UltraScale+"
    return "UltraScale" if fam == "kintexu" else "7-series"


def axes(row: dict, part_name: str) -> dict[str, str]:
    """The grouping labels of one per-layer row."""
    call, ctx = row["call"], row["ctx"]
    kind = row["kind"]
    rf = int(call.num("reuse_factor", 1) or 1)
    wd = call.input.width if call.input is not None else None
    w = call.prec("weight_t")
    acc = call.prec("accum_t")
    out = {
        "kind": f"{call.io_type} {kind}",
        "tool": f"{'Vitis' if ctx.vitis else 'Vivado'} HLS {str(ctx.tool_version or '?')[:4]}",
        "family": family(part_name),
        "reuse factor": "RF = 1" if rf <= 1 else ("RF 2-16" if rf <= 16 else "RF > 16"),
    }
    if kind.startswith(("dense", "conv")) and wd and w:
        out["narrower operand"] = _bucket(min(wd, w.width), (7, 10, 13, 19), " bits")
        if acc is not None:
            out["product vs accum_t"] = "product wider" if wd + w.width > acc.width else "product fits"
        n_in, n_out = call.num("n_in"), call.num("n_out")
        if n_in and n_out:
            nnz = int(call.num("n_nonzeros", n_in * n_out - (call.num("n_zeros", 0) or 0)))
            out["products"] = _bucket(nnz, (100, 1000, 10000))
    return out


def layer_ratios(calib: Path, io: str, figure: str = "lut") -> list[dict]:
    """Held-out reported / predicted LUT (``figure="latency"``: predicted - reported cycles, under ``ratio``) of
    every stock layer with a per-module report."""
    recs = load_records(calib)
    parts = {r["repo"]: r.get("part") or "" for r in recs}
    rows = ea.layer_rows(recs, calib)
    out = []
    for repo in sorted({r["repo"] for r in rows}):
        with ea.constants(ea.refit([r for r in rows if r["repo"] != repo])):
            for r in (r for r in rows if r["repo"] == repo):
                if io != "all" and r["call"].io_type != io:
                    continue
                est = predict_layer(r["call"], r["ctx"])
                if figure == "latency":
                    if est.latency_cycles is None or r["module"].latency_max is None:
                        continue
                    value = float(est.latency_cycles - r["module"].latency_max)
                elif not est.lut or not r["module"].LUT:
                    continue
                else:
                    value = r["module"].LUT / est.lut
                kind = ea.layer_kind(r, est).split(" ", 1)[1]
                row = {**r, "kind": kind, "ratio": value}
                out.append({"repo": repo, "ratio": row["ratio"], "axes": axes(row, parts[repo])})
    return out


def balanced_cycles(rows: list[dict]) -> tuple[float, float, float, float, int, int]:
    """Latency residuals (predicted - reported cycles): repository-balanced median, the 16th/84th percentile of the
    repository medians, the repository-balanced share within one cycle, layers, repositories."""
    by_repo: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        by_repo[r["repo"]].append(r["ratio"])
    meds = sorted(statistics.median(v) for v in by_repo.values())
    within = statistics.mean(sum(abs(x) <= 1 for x in v) / len(v) for v in by_repo.values())

    def q(p: float) -> float:
        return meds[min(len(meds) - 1, max(0, round(p * (len(meds) - 1))))]

    return statistics.median(meds), q(0.16), q(0.84), within, len(rows), len(meds)


def balanced(rows: list[dict]) -> tuple[float, float, float, int, int]:
    """Repository-balanced median ratio, the 16th/84th percentile of the repository medians, layers, repositories."""
    by_repo: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        by_repo[r["repo"]].append(math.log(r["ratio"]))
    meds = sorted(statistics.median(v) for v in by_repo.values())

    def q(p: float) -> float:
        return math.exp(meds[min(len(meds) - 1, max(0, round(p * (len(meds) - 1))))])

    return math.exp(statistics.median(meds)), q(0.16), q(0.84), len(rows), len(meds)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl and raw/")
    ap.add_argument("--io", default="io_parallel", choices=("io_parallel", "io_stream", "all"))
    ap.add_argument("--figure", default="lut", choices=("lut", "latency"))
    args = ap.parse_args(argv)
    calib = args.calibration or records_dir()
    if not (calib / "raw").is_dir():
        print(f"per-module reports not found: {calib / 'raw'} (needs ../shared/calibration)", file=sys.stderr)
        return 2
    rows = layer_ratios(calib, args.io, args.figure)
    if args.figure == "latency":
        print(f"{len(rows)} {args.io} layers, each repository held out; predicted - reported latency (cycles),")
        print("repository-balanced median [16th-84th percentile of the repository medians], share within one cycle")
        print("(repository-balanced) (layers, repositories)\n")
    else:
        print(f"{len(rows)} {args.io} layers, each repository held out; reported / predicted LUT, repository-balanced")
        print("median [16th-84th percentile of the repository medians] (layers, repositories)\n")
    names = sorted({k for r in rows for k in r["axes"]}, key=lambda k: list(rows[0]["axes"]).index(k)
                   if k in rows[0]["axes"] else 99)  # fmt: skip
    for axis in names:
        print(f"by {axis}:")
        groups: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            if axis in r["axes"]:
                groups[r["axes"][axis]].append(r)
        for label, rs in sorted(groups.items()):
            if args.figure == "latency":
                med, lo, hi, within, n, k = balanced_cycles(rs)
                print(f"  {label:42.42s} {med:+5.1f}  [{lo:+.1f} .. {hi:+.1f}]  {100 * within:3.0f} %  ({n} layers, {k} repos)")
                continue
            med, lo, hi, n, k = balanced(rs)
            print(f"  {label:42.42s} {med:5.2f}  [{lo:4.2f}-{hi:4.2f}]  ({n} layers, {k} repos)")
    print("\nper repository (its layers' median, all kinds):")
    if args.figure == "latency":
        print("  (predicted - reported cycles)")
    by_repo: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        by_repo[r["repo"]].append(r["ratio"])
    for repo, v in sorted(by_repo.items()):
        print(f"  {repo:50.50s} {statistics.median(v):5.2f}  ({len(v)} layers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
