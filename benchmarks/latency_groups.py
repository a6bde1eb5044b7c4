"""Held-out latency of the stock io_parallel records, grouped by tool, device family, layer kinds, strategy and RF.

Runs the leave-one-repository-out of ``estimator_accuracy.py`` (scale constants refitted per fold, repositories
capped) and splits the target population's latency-within-2-cycles figure by each attribute of a record: the tool
and its version, the part's family, the layer kinds it contains, its strategy, its largest reuse factor, and, for the
records that miss (> ``--cycles``), the sign of the miss. Each group gives its records, repositories, capped weight,
the share within the threshold and the capped weight of its short (predicted < reported) and long misses, so a
candidate rule can be aimed at the groups that miss and checked on the groups it must leave alone.

Then, per layer, every io_parallel layer with its own ``<module>_csynth.rpt`` (stock records), predicted against
reported latency, by kernel kind x tool x family (exact, within one cycle, mean signed error), and the top function's
own cycles (top latency minus the sum of its instance table, against the model's boundary count) per tool and family.
``--kernel PREFIX`` lists instead every layer whose function starts with PREFIX and has its own module report, in
every record, custom-flagged ones included (kernel evidence only: those records are not in the figure), predicted
(shipped constants) against reported. Unlike ``estimator_residuals.py`` (every stock record, each group capped on
its own), the groups here carry the benchmark's own weights, so every single-valued split adds up to its figure.
Nothing here changes the estimator: it is the evidence of docs/estimator.md's tenth latency round.
Usage::

    .venv/bin/python benchmarks/latency_groups.py [--calibration DIR] [--cycles N] [--shipped] [--json OUT]
    .venv/bin/python benchmarks/latency_groups.py --kernel softmax [--variant "softmax-floor-vitis 0.5"]

``--variant NAME`` runs either under one of ``latency_rules.py``'s candidate rules.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import estimator_accuracy as EA  # noqa: E402
import latency_misses as LM  # noqa: E402
import latency_rules as LR  # noqa: E402

from codesign.estimate.calibration_set import load_records  # noqa: E402
from codesign.estimate.layers import predict_layer  # noqa: E402
from codesign.estimate.uncertainty import capped_weights  # noqa: E402
from codesign.parts import resolve_part  # noqa: E402

#: The attributes a record is grouped by, in the order the table prints them.
DIMENSIONS = ("tool", "tool version", "tool era", "family", "layer kind", "strategy", "reuse factor", "miss sign")

#: Layer function name prefixes -> the kind named in the tables (first match wins; the rest are "other").
KINDS = (
    (("dense", "compute_layer"), "Dense"),
    (("conv_1d", "conv1d", "pointwise_conv_1d"), "Conv1D"),
    (("conv_2d", "conv2d", "pointwise_conv_2d", "depthwise_conv"), "Conv2D"),
    (("pooling", "global_pooling"), "pooling"),
    (("gru", "lstm", "simple_rnn"), "GRU/LSTM"),
    (("softmax",), "softmax"),
    (("relu", "leaky_relu", "sigmoid", "tanh", "linear", "elu", "selu", "hard", "prelu", "thresholded"), "activation"),
    (("normalize", "batchnorm"), "batchnorm"),
    (("h_quantize", "h_dense"), "HGQ quantizer"),
    (("zeropad", "transpose", "flatten", "concatenate", "merge", "add", "multiply", "resize"), "data movement"),
)


def kind_of(function: str) -> str:
    """The table's kind of a layer function (``dense_latency`` -> Dense, ``relu`` -> activation ...)."""
    f = function.lower()
    for prefixes, name in KINDS:
        if f.startswith(prefixes):
            return name
    return "other"


def rf_band(rfs) -> str:
    """The largest reuse factor of a record as a band: RF 1, RF 2-8, RF 9-64, RF > 64."""
    rf = max([int(x) for x in rfs or [1]] or [1])
    if rf <= 1:
        return "RF 1"
    if rf <= 8:
        return "RF 2-8"
    return "RF 9-64" if rf <= 64 else "RF > 64"


def tool_of(rec: dict) -> tuple[str, str]:
    """(tool, tool and major version) of a record: ('Vitis HLS', 'Vitis HLS 2021.1')."""
    tool = rec.get("hls_tool") or "tool?"
    return tool, f"{tool} {rec.get('hls_tool_version') or '?'}"


def tool_era(rec: dict) -> str:
    """The tool's version range: the ones an outside set of stock designs was synthesised with (Vivado HLS
    2019.1-2020.1, Vitis HLS 2022.2 and later) apart from the older and in-between ones."""
    tool = rec.get("hls_tool") or "tool?"
    m = re.match(r"(\d{4})\.(\d)", str(rec.get("hls_tool_version") or ""))
    if m is None:
        return f"{tool} version?"
    v = (int(m.group(1)), int(m.group(2)))
    if tool.startswith("Vitis"):
        return "Vitis HLS 2022.2 and later" if v >= (2022, 2) else "Vitis HLS before 2022.2"
    return "Vivado HLS 2019.1-2020.1" if v >= (2019, 1) else "Vivado HLS before 2019.1"


def family_of(rec: dict) -> str:
    """The part's family (the part's name where the table does not know it)."""
    try:
        return resolve_part(rec["part"]).family
    except Exception:  # noqa: BLE001 - a part outside the table: name it
        return f"? ({rec.get('part')})"


def attributes(rec: dict, functions: list[str], err: int, cycles: int) -> dict[str, list[str]]:
    """The groups one record belongs to, per dimension (a record is in every layer kind it contains)."""
    tool, version = tool_of(rec)
    sign = "within" if abs(err) <= cycles else ("short (pred < rep)" if err < 0 else "long (pred > rep)")
    return {
        "tool": [tool],
        "tool version": [version],
        "tool era": [tool_era(rec)],
        "family": [family_of(rec)],
        "layer kind": sorted({kind_of(f) for f in functions}) or ["none"],
        "strategy": ["+".join(sorted(s.lower() for s in rec.get("strategy") or [])) or "latency (default)"],
        "reuse factor": [rf_band(rec.get("reuse_factors"))],
        "miss sign": [sign],
    }


def group_table(rows: list[dict]) -> dict[str, dict[str, dict]]:
    """Per dimension and value: records, repositories, capped weight, share within, short and long miss weight."""
    out: dict[str, dict[str, dict]] = {d: {} for d in DIMENSIONS}
    for dim in DIMENSIONS:
        acc: dict[str, dict] = defaultdict(
            lambda: {"records": 0, "repos": set(), "weight": 0.0, "short": 0.0, "long": 0.0}
        )
        for r in rows:
            for value in r["attrs"][dim]:
                g = acc[value]
                g["records"] += 1
                g["repos"].add(r["repo"])
                g["weight"] += r["weight"]
                if r["miss"]:
                    g["short" if r["err"] < 0 else "long"] += r["weight"]
        for value, g in acc.items():
            w = g["weight"]
            out[dim][value] = {
                "records": g["records"],
                "repos": sorted(g["repos"]),
                "weight": w,
                "within": (w - g["short"] - g["long"]) / w if w else None,
                "short": g["short"],
                "long": g["long"],
            }
    return out


def layer_table(rows: list[dict]) -> dict[str, dict]:
    """Per (kind, tool version, family): layers, repositories, exact, within 1, mean signed error (pred - rep)."""
    acc: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        for x in r["layers"]:
            if x["rep"] is None or x["pred"] is None:
                continue
            kind = kind_of(x["function"])
            if kind in ("Dense", "Conv1D", "Conv2D"):
                kind += f" {x['strategy']} " + ("RF=1" if int(x["reuse_factor"] or 1) <= 1 else "RF>1")
            acc[f"{kind} | {r['version']} | {r['family']}"].append((r["repo"], x["pred"] - x["rep"]))
    return {k: _err_stats(v) for k, v in sorted(acc.items())}


def top_table(rows: list[dict]) -> dict[str, dict]:
    """The top function's own cycles, predicted - reported, per tool version and family."""
    acc: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        if r["parts"] is not None:
            acc[f"{r['version']} | {r['family']}"].append((r["repo"], r["parts"][LM.PARTS[2]]))
    return {k: _err_stats(v) for k, v in sorted(acc.items())}


def _err_stats(pairs: list[tuple[str, int]]) -> dict:
    errs = [e for _, e in pairs]
    return {
        "n": len(errs),
        "repos": len({r for r, _ in pairs}),
        "exact": sum(e == 0 for e in errs) / len(errs),
        "within1": sum(abs(e) <= 1 for e in errs) / len(errs),
        "mean": statistics.fmean(errs),
        "min": min(errs),
        "max": max(errs),
    }


def collect(calib: Path, cycles: int = 2, refit: bool = True) -> dict:
    """Run the folds; every target record with its groups, its error and its per-layer split against its reports."""
    out = EA.run(calib, refit, (calib / "raw").is_dir())
    recs = {r["id"]: r for r in load_records(calib)}
    target = [
        r
        for r in out["results"]
        if r["stock"]
        and r["group"].startswith("stock io_parallel")
        and r["pred"]["latency_max_cycles"] is not None
        and isinstance(r["act"]["latency_max_cycles"], int)
    ]
    weights = capped_weights([r["repo"] for r in target])
    rows = []
    for r, w in zip(target, weights, strict=True):
        rec = recs[r["id"]]
        err = r["pred"]["latency_max_cycles"] - r["act"]["latency_max_cycles"]
        with EA.constants(out["fitted_per_fold"].get(r["repo"], {})):
            detail = LM.split(rec, calib)
        functions = [x["function"] for x in detail["layers"]]
        rows.append(
            {
                "id": r["id"],
                "repo": r["repo"],
                "weight": w,
                "err": err,
                "miss": abs(err) > cycles,
                "version": tool_of(rec)[1],
                "family": family_of(rec),
                "attrs": attributes(rec, functions, err, cycles),
                "layers": detail["layers"],
                "parts": detail["parts"],
            }
        )
    total = sum(r["weight"] for r in rows)
    within = out["summary"][EA.TARGET]["est"]["lat_within2"]
    return {
        "rows": rows,
        "total_weight": total,
        "lat_within2": within,
        "groups": group_table(rows),
        "layers": layer_table(rows),
        "top": top_table(rows),
    }


def kernel_layers(calib: Path, prefix: str) -> list[dict]:
    """Every layer of every record (custom-flagged included) whose function starts with ``prefix`` and has its own
    module report: tool, part, clock, io type, size, implementation, predicted (shipped constants) and reported."""
    recs = load_records(calib)
    by_id = {r["id"]: r for r in recs}
    with mock.patch.object(EA, "is_stock", lambda rec: True):
        rows = EA.layer_rows(recs, calib)
    out = []
    for r in rows:
        call, ctx = r["call"], r["ctx"]
        if not call.function.startswith(prefix):
            continue
        est = predict_layer(call, ctx)
        rec = by_id[r["id"]]
        out.append(
            {
                "id": r["id"],
                "repo": r["repo"],
                "stock": EA.is_stock(rec),
                "tool": tool_of(rec)[1],
                "part": rec.get("part"),
                "effective_ns": ctx.clock.effective_ns,
                "io_type": call.io_type,
                "n_in": call.config.get("n_in"),
                "implementation": str(call.config.get("implementation", "")).split("::")[-1],
                "pred": est.latency_cycles,
                "rep": r["module"].latency_max,
            }
        )
    return out


def _print_errs(title: str, table: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"  {'group':64s} {'n':>4s} {'rep':>3s} {'exact':>6s} {'<=1':>5s} {'mean':>6s} {'range':>11s}")
    for k, s in table.items():
        rng = f"{s['min']:+d}..{s['max']:+d}"
        print(f"  {k:64.64s} {s['n']:4d} {s['repos']:3d} {100 * s['exact']:5.0f}% {100 * s['within1']:4.0f}% "
              f"{s['mean']:+6.1f} {rng:>11s}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl [and raw/]")
    ap.add_argument("--cycles", type=int, default=2, help="a miss is an error of more than this many cycles")
    ap.add_argument("--shipped", action="store_true", help="shipped constants in every fold (no refit)")
    ap.add_argument("--json", type=Path, help="write the rows and the tables here")
    ap.add_argument("--kernel", metavar="PREFIX", help="list the layers of this function prefix in every record")
    ap.add_argument("--variant", choices=LR.VARIANTS, default="shipped", help="a latency_rules.py candidate rule")
    args = ap.parse_args(argv)
    with LR.variant(args.variant):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """The tables (or the --kernel list) under the variant in force."""
    calib = EA.calibration_folder(args.calibration)
    if calib is None:
        return 2
    if args.kernel:
        if not (calib / "raw").is_dir():
            print(f"{calib} has no raw/ reports: --kernel needs the per-module reports", file=sys.stderr)
            return 2
        for x in sorted(kernel_layers(calib, args.kernel), key=lambda x: (x["tool"], x["part"] or "", x["repo"])):
            print(f"{'stock ' if x['stock'] else 'custom'} {x['tool']:18s} {str(x['part'])[:16]:16s} "
                  f"{x['effective_ns']:5.2f} ns {x['io_type']:11s} n={x['n_in']} {x['implementation']:8s} "
                  f"pred {x['pred']} rep {x['rep']}  {x['repo']}")  # fmt: skip
        return 0
    res = collect(calib, args.cycles, not args.shipped)
    total = res["total_weight"]
    print(
        f"stock io_parallel, held out: {len(res['rows'])} records, repository-capped weight {total:.2f}; latency "
        f"within {args.cycles} cycles {100 * res['lat_within2']:.0f} %\n"
    )
    print(
        f"  {'dimension / group':52s} {'rec':>4s} {'rep':>3s} {'weight':>6s} {'within':>6s} {'short':>6s} {'long':>6s}"
    )
    for dim in DIMENSIONS:
        print(f"  {dim}")
        for value, g in sorted(res["groups"][dim].items(), key=lambda kv: -kv[1]["weight"]):
            print(f"    {value:50.50s} {g['records']:4d} {len(g['repos']):3d} {g['weight']:6.2f} "
                  f"{100 * g['within']:5.0f}% {g['short']:6.2f} {g['long']:6.2f}")  # fmt: skip
    _print_errs("per layer (io_parallel, own module report): kind | tool | family, predicted - reported", res["layers"])
    _print_errs("top function's own cycles, predicted - reported: tool | family", res["top"])
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
