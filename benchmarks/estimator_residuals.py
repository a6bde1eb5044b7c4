"""Held-out latency and DSP residuals of the estimator, broken down by what the structural rules depend on.

Runs the leave-one-repository-out of ``estimator_accuracy.py`` (scale constants refitted per fold) and prints,
for the stock records it covers, the latency residual (estimated - reported cycles) and the DSP ratio
(estimated / reported) grouped by HLS tool and version, device family, strategy, io type and reuse
(RF = 1 / > 1); then, with raw reports, the per-layer latency residual grouped by layer kind x tool version x
family. Every statistic weights the records so that no repository counts for more than
``uncertainty.CAP_RECORDS`` records. A group whose residuals all come from one repository says so
(``1 repo``): a rule read off such a group is a rule about that repository. Usage::

    .venv/bin/python benchmarks/estimator_residuals.py [--calibration DIR] [--min-repos N]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import estimator_accuracy as EA  # noqa: E402

from codesign.estimate.calibration_set import load_records  # noqa: E402
from codesign.estimate.uncertainty import capped_weights, weighted_quantile  # noqa: E402
from codesign.parts import resolve_part  # noqa: E402


def record_keys(rec: dict) -> dict[str, str]:
    """The grouping labels of a record: tool+version, device family, strategy, io type, reuse."""
    try:
        family = resolve_part(rec.get("part") or "").family
    except Exception:  # noqa: BLE001
        family = "unknown part"
    tool = f"{rec.get('hls_tool') or '?'} {str(rec.get('hls_tool_version') or '?')[:6]}"
    rf = max(rec.get("reuse_factors") or [1])
    return {
        "tool": tool,
        "family": family,
        "strategy": "+".join(rec.get("strategy") or []) or "?",
        "io": "+".join(rec.get("io_type") or []) or "?",
        "reuse": "RF=1" if rf <= 1 else "RF>1",
    }


def summarize(rows: list[tuple[str, float]], within: float | None = None) -> dict:
    """Repository-capped median, p10 and p90 of (repository, residual) rows; share within ``within``."""
    repos = [r for r, _ in rows]
    vals = [v for _, v in rows]
    w = capped_weights(repos)
    out = {
        "n": len(rows),
        "repos": len(set(repos)),
        "p10": weighted_quantile(vals, w, 0.1),
        "med": weighted_quantile(vals, w, 0.5),
        "p90": weighted_quantile(vals, w, 0.9),
    }
    if within is not None:
        out["within"] = sum(wi for v, wi in zip(vals, w, strict=True) if abs(v) <= within) / sum(w)
    return out


def grouped(results: list[dict], recs: dict[str, dict]) -> dict[str, dict[str, dict]]:
    """Per grouping key and label: the latency residuals and DSP ratios of the covered stock records."""
    lat: dict[tuple[str, str], list] = defaultdict(list)
    dsp: dict[tuple[str, str], list] = defaultdict(list)
    for r in results:
        if not r["stock"] or r["pred"]["LUT"] is None:
            continue
        keys = record_keys(recs[r["id"]])
        p, a = r["pred"]["latency_max_cycles"], r["act"]["latency_max_cycles"]
        for k, label in keys.items():
            if p is not None and isinstance(a, int):
                lat[(k, label)].append((r["repo"], float(p - a)))
            pd, ad = r["pred"]["DSP"], r["act"]["DSP"]
            if pd is not None and isinstance(ad, (int, float)) and ad > 0:
                dsp[(k, label)].append((r["repo"], pd / ad))
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for (k, label), rows in sorted(lat.items()):
        out[k][label] = {"latency": summarize(rows, within=2), "dsp": summarize(dsp[(k, label)]) if dsp[(k, label)] else None}
    return out


def layer_grouped(layers: list[dict], recs: dict[str, dict]) -> dict[str, dict]:
    """Per-layer latency residual (estimated - reported) by layer kind x tool version x family of its record."""
    by: dict[str, list] = defaultdict(list)
    for r in layers:
        meta = record_keys(recs[r["id"]]) if r.get("id") in recs else {}
        by[f"{r['group']:32s} | {meta.get('tool', '?'):16s} | {meta.get('family', '?')}"].append(
            (r["repo"], float(r["pred_latency"] - r["act_latency"]))
        )
    return {g: summarize(rows, within=1) for g, rows in sorted(by.items())}


def _f(x, pct: bool = False) -> str:
    if x is None:
        return "     -"
    return f"{100 * x:5.0f}%" if pct else f"{x:6.2f}" if abs(x) < 10 else f"{x:6.0f}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl [and raw/]")
    ap.add_argument("--min-repos", type=int, default=1, help="print only groups with at least this many repositories")
    args = ap.parse_args(argv)
    calib = EA.calibration_folder(args.calibration)
    if calib is None:
        return 2
    with_layers = (calib / "raw").is_dir()
    out = EA.run(calib, True, with_layers)
    recs = {r["id"]: r for r in load_records(calib)}
    print(f"{out['n_records']} records from {calib}; held out by repository, at most {EA.CAP} records per repository.")
    print("latency residual = estimated - reported cycles (p10 / median / p90, share within 2 cycles);")
    print("DSP ratio = estimated / reported (p10 / median / p90; records reporting at least one DSP).\n")
    for key, labels in grouped(out["results"], recs).items():
        print(f"== by {key}")
        for label, s in labels.items():
            lt, ds = s["latency"], s["dsp"]
            if lt["repos"] < args.min_repos:
                continue
            d = f"{_f(ds['p10'])} {_f(ds['med'])} {_f(ds['p90'])}" if ds else "     -      -      -"
            print(f"  {label:24.24s} n={lt['n']:3d} {lt['repos']:2d} repo  latency {_f(lt['p10'])} {_f(lt['med'])} "
                  f"{_f(lt['p90'])} {_f(lt['within'], True)}   DSP {d}")  # fmt: skip
    if not with_layers:
        print("\n(no raw/ reports next to the records: the per-layer section needs ../shared/calibration/raw)")
        return 0
    print("\nper layer, estimated - reported cycles (layer kind | tool and version | device family):")
    for g, s in layer_grouped(out["layers"], recs).items():
        if s["repos"] < args.min_repos:
            continue
        print(f"  {g:70.70s} n={s['n']:3d} {s['repos']:2d} repo  {_f(s['p10'])} {_f(s['med'])} {_f(s['p90'])} "
              f"within 1: {_f(s['within'], True)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
