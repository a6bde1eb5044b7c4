"""Leave-one-repository-out cross-validation of the estimator on the calibration records.

Records: ``../shared/calibration`` (or ``$CODESIGN_CALIBRATION``) when present, since it may have grown; else the
copy carried in ``codesign/estimate/calibration`` (no raw reports: the per-layer section is then left out).
New records are picked up as they are; nothing here names a record count.

For every repository R: refit the scale constants listed in FITTED on the per-layer ``*_csynth.rpt`` figures
of the *other* repositories (io_parallel dense layers, repository-balanced medians of actual / predicted),
predict R's records from their settings only, and compare with their reports. Every statistic weights the
records so that no repository counts for more than ``uncertainty.CAP_RECORDS`` records (the dominant sweep is
capped), and is given as median and 90th percentile of |relative error| (resources) or |error| in cycles
(latency), per group of records and, for the target population (stock io_parallel), per repository, next to a
naive baseline (DSP = non-zero multiplies, LUT = FF = non-zero multiplies x accumulator width, latency =
layers + 2, II = largest reuse factor). Then, with raw reports, per layer the latency and II of every layer
function against its own ``<module>_csynth.rpt`` (stock records; by io_type, kind, strategy and RF = 1 / > 1).
``--bands`` prints the error-bar table of ``codesign/estimate/uncertainty.py`` from the held-out residuals.
The statistics (figures, summaries, baseline, bands) are ``accuracy_figures.py``'s; this script selects the
records and layer rows, refits, runs the folds and prints.
Usage::

    .venv/bin/python benchmarks/estimator_accuracy.py [--calibration DIR] [--shipped] [--bands] [--json OUT]

Caveat: only the scale constants are refitted per fold. The structural constants (adder and multiplier
delays, device factors, the DSP-mapping curve, ...) were read off per-layer reports of all repositories,
so for the repositories they came from (ArgyKokk above all) the figures are partly in-sample. Constants
without training data in a fold keep their shipped value (``-impl dsp`` exists only in ArgyKokk).
``--shipped`` skips the refit and uses the shipped constants in every fold.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from accuracy_figures import TARGET, bands, figures, naive, per_repository, rel_err, summarize, summarize_layers  # noqa: E402, F401

from codesign.estimate import constants as K  # noqa: E402
from codesign.estimate import estimate_record  # noqa: E402
from codesign.estimate.calibration_set import load_records, records_dir  # noqa: E402
from codesign.estimate.design import build_calls  # noqa: E402
from codesign.estimate.hardware import (  # noqa: E402
    delay_factor,
    dsp_delay_factor,
    dsp_full_reg,
    hls_family,
    make_clock,
    mul_impl,
)
from codesign.estimate.layers import Context, predict_layer  # noqa: E402
from codesign.estimate.network import port_shifter_area  # noqa: E402
from codesign.estimate.settings import settings_from_record  # noqa: E402
from codesign.estimate.uncertainty import CAP_RECORDS as CAP  # noqa: E402
from codesign.parts import resolve_part  # noqa: E402
from codesign.synth_reports import module_for_config, parse_csynth  # noqa: E402

RESOURCES = (("LUT", "lut"), ("FF", "ff"), ("DSP", "dsp"), ("BRAM_18K", "bram_18k"))
#: The constants refitted inside each fold (scale-type constants: a median ratio fixes them).
FITTED = ("LUT_PER_SUM_BIT", "FF_PER_SUM_BIT", "DSP_FORCED_FRACTION", "FF_RESOURCE_PER_BIT")


def is_stock(rec: dict) -> bool:
    """Records of unmodified hls4ml (the population the targets are about)."""
    return "custom_or_modified_hls4ml" not in (rec.get("flags") or [])


def group(rec: dict) -> str:
    """io_type/strategy label of a record."""
    io = "+".join(rec.get("io_type") or []) or "io?"
    st = "+".join(rec.get("strategy") or []) or "strategy?"
    return f"{'stock' if is_stock(rec) else 'custom'} {io}/{st}"


@contextmanager
def constants(values: dict[str, float]):
    """Temporarily override model constants (restored afterwards)."""
    old = {k: getattr(K, k) for k in values}
    try:
        for k, v in values.items():
            setattr(K, k, v)
        yield
    finally:
        for k, v in old.items():
            setattr(K, k, v)


def layer_rows(recs: list[dict], calib: Path) -> list[dict]:
    """Per-layer (model call, report module) pairs of the stock records that have per-module figures."""
    rows = []
    for rec in recs:
        if not is_stock(rec):
            continue
        path = calib / "raw" / rec["repo"].replace("/", "_") / rec["commit"][:10] / rec["report_path"]
        rpt = path.with_suffix(".rpt") if path.suffix == ".xml" else path
        if not rpt.exists():
            continue
        rep = parse_csynth(rpt)
        s = settings_from_record(rec)
        try:
            part = resolve_part(s["part"])
        except Exception:  # noqa: BLE001
            continue
        clock = make_clock(s["target_clock_ns"], s["clock_uncertainty"], s["hls_tool"])
        ctx = Context(
            clock,
            part.dsp_family,
            mul_impl(s["tcl_config_lines"]),
            s["hls_tool"],
            s["hls_tool_version"],
            delay_factor(part.family, part.full_name),
            dsp_delay_factor(part.family, part.full_name),
            dsp_full_reg(s["tcl_config_lines"]),
            family=hls_family(part.family),
        )
        for i, call in enumerate(build_calls(s)):
            cfg = call.config.get("config")
            if not cfg:
                continue
            mod = module_for_config(rep.modules, cfg)
            if mod is not None:
                rows.append(
                    {"repo": rec["repo"], "id": rec["id"], "call": call, "ctx": ctx, "module": mod, "first": i == 0}
                )
    return rows


def _balanced_median(pairs: list[tuple[str, float]]) -> float | None:
    by_repo: dict[str, list[float]] = defaultdict(list)
    for repo, v in pairs:
        by_repo[repo].append(v)
    meds = [statistics.median(v) for v in by_repo.values() if v]
    return statistics.median(meds) if meds else None


def refit(rows: list[dict]) -> dict[str, float]:
    """Refit the scale constants on per-layer rows: repository-balanced median of actual / predicted."""
    out: dict[str, float] = {}
    dense = [
        r
        for r in rows
        if r["call"].function.startswith("dense")
        and r["call"].io_type == "io_parallel"
        and str(r["call"].config.get("strategy", "latency")).lower() == "latency"
    ]
    for const, attr, sel in (
        ("LUT_PER_SUM_BIT", "LUT", lambda r: True),
        ("FF_PER_SUM_BIT", "FF", lambda r: True),
        ("DSP_FORCED_FRACTION", "DSP", lambda r: r["ctx"].mul_impl == "dsp"),
    ):
        pairs = []
        for r in dense:
            if not sel(r):
                continue
            est = predict_layer(r["call"], r["ctx"])
            pred = getattr(est, attr.lower())
            act = getattr(r["module"], attr)
            if pred and act and pred > 0 and act > 0:
                pairs.append((r["repo"], act / pred))
        ratio = _balanced_median(pairs)
        if ratio is not None:
            out[const] = getattr(K, const) * ratio
    # Resource strategy at RF > 1 (any io type): the registers of the ReuseLoop
    pairs = []
    for r in rows:
        c = r["call"]
        if not (c.function.startswith("dense") and str(c.config.get("strategy", "")).lower().startswith("resource")):
            continue
        if (c.num("reuse_factor", 1) or 1) <= 1:
            continue
        est = predict_layer(c, r["ctx"])
        # the first layer's module also holds the shifters that read the top's input port (network.py)
        shift_ff = port_shifter_area(c, r["ctx"])[1] if r.get("first") else 0
        if est.ff and r["module"].FF and r["module"].FF > shift_ff:
            pairs.append((r["repo"], (r["module"].FF - shift_ff) / est.ff))
    ratio = _balanced_median(pairs)
    if ratio is not None:
        out["FF_RESOURCE_PER_BIT"] = K.FF_RESOURCE_PER_BIT * ratio
    return out


def layer_kind(row: dict, est) -> str:
    """Per-layer group label: io_type and the estimator's kind without its strategy/io suffix."""
    kind = (est.kind or row["call"].function).split("/")[0]
    if kind in ("dense", "conv"):
        strategy = str(row["call"].config.get("strategy", "latency")).lower()
        kind += f"/{strategy} " + ("RF=1" if (row["call"].num("reuse_factor") or 1) <= 1 else "RF>1")
    return f"{row['call'].io_type} {kind}"


def layer_results(rows: list[dict]) -> list[dict]:
    """Predicted vs reported latency and II of each per-layer report (under the constants in force)."""
    out = []
    for r in rows:
        est = predict_layer(r["call"], r["ctx"])
        m = r["module"]
        if est.latency_cycles is None or m.latency_max is None:
            continue
        out.append(
            {
                "repo": r["repo"],
                "id": r.get("id"),
                "group": layer_kind(r, est),
                "pred_latency": est.latency_cycles,
                "act_latency": m.latency_max,
                "pred_ii": est.ii_cycles,
                "act_ii": m.interval_max,
            }
        )
    return out


def run(calib: Path, do_refit: bool = False, with_layers: bool = True) -> dict:
    """Cross-validate: per-record results, summaries per group and per repository, per-layer results."""
    recs = load_records(calib)
    rows = layer_rows(recs, calib) if with_layers else []
    results: list[dict] = []
    per_layer: list[dict] = []
    fitted_per_fold = {}
    for repo in sorted({r["repo"] for r in recs}):
        values = refit([r for r in rows if r["repo"] != repo]) if do_refit else {}
        fitted_per_fold[repo] = values
        with constants(values):
            per_layer += layer_results([r for r in rows if r["repo"] == repo])
            for rec in (r for r in recs if r["repo"] == repo):
                act = {k: rec.get(k) for k in ("LUT", "FF", "DSP", "BRAM_18K", "latency_max_cycles", "interval_max")}
                results.append({"id": rec["id"], "repo": repo, "group": group(rec), "stock": is_stock(rec),
                                "io_types": rec.get("io_type") or [], "strategies": rec.get("strategy") or [], "pred": estimate_record(rec),
                                "naive": naive(rec), "act": act})  # fmt: skip
    return {
        "n_records": len(recs),
        "results": results,
        "summary": summarize(results),
        "per_repository": per_repository(results),
        "per_repository_stream": per_repository(results, "io_stream"),
        "bands": {f"{k[0]} {k[1]}": v for k, v in bands(results).items()},
        "layers": per_layer,
        "layer_summary": summarize_layers(per_layer),
        "fitted_per_fold": fitted_per_fold,
    }


def _p(x) -> str:
    return "    -" if x is None else f"{100 * x:4.0f}%"


def _c(x) -> str:
    return "   -" if x is None else f"{x:4.0f}"


def _line(label: str, f: dict) -> str:
    res = "  ".join(f"{_p(f[f'{k}_med'])}/{_p(f[f'{k}_p90'])}" for k in ("LUT", "FF", "DSP", "BRAM_18K"))
    return (f"{label:58.58s} {f['n']:4d} {f['repos']:3d} {_p(f['coverage'])}  {res}  {_p(f['lat_within2'])} "
            f"{_c(f['latency_max_cycles_med'])}/{_c(f['latency_max_cycles_p90'])}  {_p(f['ii_exact'])}")  # fmt: skip


def calibration_folder(given: Path | None) -> Path | None:
    """The records folder to read (``given``, else ../shared/calibration or the copy carried in the package); None,
    said on stderr, when it holds no hls_reports.jsonl."""
    calib = given or records_dir()
    if not (calib / "hls_reports.jsonl").exists():
        print(f"calibration records not found: {calib / 'hls_reports.jsonl'}", file=sys.stderr)
        return None
    return calib


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl [and raw/]")
    ap.add_argument("--shipped", action="store_true", help="shipped constants in every fold (no refit)")
    ap.add_argument("--bands", action="store_true", help="print the error-bar table for uncertainty.BANDS")
    ap.add_argument("--json", type=Path, help="write per-record results and the summaries here")
    args = ap.parse_args(argv)
    calib = calibration_folder(args.calibration)
    if calib is None:
        return 2
    with_layers = (calib / "raw").is_dir()
    out = run(calib, not args.shipped, with_layers)
    mode = "shipped constants" if args.shipped else "scale constants refitted without the held-out repository"
    print(f"{out['n_records']} records from {calib}; each repository held out in turn ({mode});")
    print(f"statistics weight each repository as at most {CAP} records; median/p90 of |relative error| for")
    print("LUT, FF, DSP, BRAM_18K; latency within 2 cycles and median/p90 |error| in cycles; II exact.\n")
    head = f"{'group':58s} {'n':>4s} {'rep':>3s} {'cov':>5s}  {'LUT med/p90':11s}  {'FF med/p90':11s}  "
    print(head + f"{'DSP med/p90':11s}  {'BRAM med/p90':11s}  {'lat<=2':6s} {'lat med/p90':9s} {'II ok':5s}")
    for g, row in out["summary"].items():
        print(_line(g, row["est"]))
        if g.startswith(("STOCK", "stock io_parallel")):
            print(_line("   naive baseline", row["naive"]))
    print("\nper repository, STOCK io_parallel (held out):")
    for repo, f in out["per_repository"].items():
        print(_line("  " + repo, f))
    print("\nper repository, stock io_stream (held out):")
    for repo, f in out["per_repository_stream"].items():
        print(_line("  " + repo, f))
    if args.bands:
        print("\nerror bands (uncertainty.BANDS): (io_type, figure): (p16, p84, records, repositories)")
        for k, v in out["bands"].items():
            kind, fig = k.rsplit(" ", 1)
            print(f"    ({kind!r}, {fig!r}): {v},")
    if with_layers:
        print("\nper-layer latency and II against the per-module *_csynth.rpt reports (stock records)")
        for g, row in out["layer_summary"].items():
            print(
                f"== {g}: n={row['n']} ({row['repos']} repos)  latency exact {_p(row['lat_exact'])}, "
                f"within 1 cycle {_p(row['lat_within1'])}, median |err| {row['lat_med_cycles']:.1f} cyc; "
                f"II exact {_p(row['ii_exact'])}"
            )
    else:
        print("\n(no raw/ reports next to the records: the per-layer section needs ../shared/calibration/raw)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
