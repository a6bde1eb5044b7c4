"""The estimator on stock hls4ml GRU / LSTM designs: predicted vs reported C-synthesis figures, per record and grouped.

Records: ``benchmarks/data/recurrent_reports.jsonl`` (calibration schema; where each number was read is in
``benchmarks/data/recurrent_reports_PROVENANCE.md``). None of them was used to set a constant of the estimator,
so the first run of this script on a change is a held-out figure. Each record also carries its recurrent layer's
own module figures (``recurrent_module``, the instance table of the top report), compared here with the layer's
estimate.

Per record: LUT, FF, DSP, BRAM, latency (max) and II (max), predicted / reported. Then, per group (GRU / LSTM,
strategy, tool version, model), the median and 90th percentile of |relative error| (resources) and of |error| in
cycles (latency; also its median relative error), and the share of records within 2 cycles. Every record counts once (no repository cap: they
are few). Network-free, about a second::

    .venv/bin/python benchmarks/recurrent_reports.py [--records FILE] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesign.estimate.network import estimate_settings  # noqa: E402
from codesign.estimate.settings import settings_from_record  # noqa: E402

RECORDS = ROOT / "benchmarks" / "data" / "recurrent_reports.jsonl"
#: (report key, estimate attribute, label); the first four are resources (relative error), the last two cycles
FIGURES = (
    ("LUT", "lut", "LUT"),
    ("FF", "ff", "FF"),
    ("DSP", "dsp", "DSP"),
    ("BRAM_18K", "bram_18k", "BRAM"),
    ("latency_max_cycles", "latency_cycles", "latency"),
    ("interval_max", "ii_cycles", "II"),
)
RESOURCES = ("LUT", "FF", "DSP", "BRAM")


def load(path: Path) -> list[dict]:
    """The records of ``path`` (one JSON object per line)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _model(project_dir: str) -> str:
    """The project folder's name, or its parent's where hls4ml's default name (``hls4ml_prj``) says nothing."""
    path = Path(project_dir)
    return path.parent.name if path.name == "hls4ml_prj" else path.name


def groups_of(rec: dict) -> dict[str, str]:
    """The groups a record belongs to: recurrent kind, strategy, tool and version, model (project folder)."""
    kinds = sorted({x["base"].split("_")[0].upper() for x in rec["layers"] if x.get("base") in ("gru_config",
                    "lstm_config")})  # fmt: skip
    return {
        "kind": "+".join(kinds) or "?",
        "strategy": "+".join(rec.get("strategy") or []) or "?",
        "tool": f"{rec.get('hls_tool')} {rec.get('hls_tool_version')}",
        "model": _model(rec["project_dir"]),
    }


def evaluate(rec: dict, groups: Callable[[dict], dict[str, str]] = groups_of) -> dict:
    """Predicted and reported figures of one record, for the design and for its recurrent layer (where it has one);
    ``groups`` names the groups the record belongs to."""
    est = estimate_settings(settings_from_record(rec))
    row = {"id": rec["id"], "groups": groups(rec), "design": {}, "layer": {}}
    for key, attr, label in FIGURES:
        row["design"][label] = (getattr(est, attr), rec.get(key))
    layer = next((x for x in est.per_layer if x.kind.startswith(("gru", "lstm", "bidirectional"))), None)
    mod = rec.get("recurrent_module") or {}
    if layer is not None and mod:
        for key, attr, label in FIGURES:
            row["layer"][label] = (getattr(layer, attr), mod.get(key))
    return row


def error(label: str, pair: tuple) -> float | None:
    """|relative error| for a resource, |error| in cycles for latency / II; None without both numbers."""
    pred, act = pair
    if pred is None or act is None:
        return None
    if label in RESOURCES:
        return abs(pred - act) / act if act else None
    return float(abs(pred - act))


def p90(values: list[float]) -> float:
    """90th percentile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, int(0.9 * len(s) + 0.5) - 1 if len(s) > 1 else 0)]


def summary(rows: list[dict], part: str = "design") -> dict:
    """Median / p90 of each figure's error, latency within 2 cycles, over ``rows``."""
    out: dict = {"n": len(rows)}
    for _, _, label in FIGURES:
        errs = [e for r in rows if label in r[part] for e in [error(label, r[part][label])] if e is not None]
        if errs:
            out[label] = {"median": statistics.median(errs), "p90": p90(errs)}
    lat = [error("latency", r[part]["latency"]) for r in rows if "latency" in r[part]]
    lat = [e for e in lat if e is not None]
    out["latency_within_2"] = sum(e <= 2 for e in lat) / len(lat) if lat else None
    rel = [abs(p - a) / a for r in rows if "latency" in r[part] for p, a in [r[part]["latency"]] if p and a]
    out["latency_relative_median"] = statistics.median(rel) if rel else None
    return out


def fmt_pair(label: str, pair: tuple) -> str:
    pred, act = pair
    if pred is None or act is None:
        return f"{pred}/{act}"
    if label in RESOURCES:
        return f"{pred}/{act} ({pred / act:.2f}x)" if act else f"{pred}/{act}"
    return f"{pred}/{act} ({pred - act:+d})"


def by_group(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """The rows of each group ('<dimension> <value>', from each row's ``groups``), sorted by group name."""
    by: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        for dim, value in r["groups"].items():
            by[f"{dim} {value}"].append(r)
    return sorted(by.items())


def fmt_summary(s: dict) -> str:
    parts = [f"n={s['n']}"]
    for _, _, label in FIGURES:
        if label in s:
            m, p = s[label]["median"], s[label]["p90"]
            parts.append(f"{label} {m:.0%}/{p:.0%}" if label in RESOURCES else f"{label} {m:.0f}/{p:.0f} cyc")
    if s.get("latency_within_2") is not None:
        parts.append(f"lat<=2 {s['latency_within_2']:.0%}  lat rel {s['latency_relative_median']:.1%}")
    return "  ".join(parts)


def main(argv: list[str] | None = None) -> dict:
    """Print the per-record table and the grouped figures; return them (``--json`` writes them)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=Path, default=RECORDS)
    ap.add_argument("--json", type=Path, default=None, help="write the figures here (for a before/after compare)")
    args = ap.parse_args(argv)
    rows = [evaluate(r) for r in load(args.records)]
    for part, title in (("design", "design (top report)"), ("layer", "recurrent layer (its module in the report)")):
        print(f"== {title}: predicted/reported")
        for r in rows:
            if r[part]:
                cells = "  ".join(f"{label} {fmt_pair(label, r[part][label])}" for _, _, label in FIGURES)
                print(f"{r['id']}\n    {cells}")
    figures: dict = {"records": [{k: r[k] for k in ("id", "design", "layer")} for r in rows], "groups": {}}
    print("\n== median/p90 of |error| (resources: relative; latency, II: cycles); latency within 2 cycles")
    for part in ("design", "layer"):
        figures["groups"][part] = {"all": summary(rows, part)}
        print(f"[{part}] all: {fmt_summary(figures['groups'][part]['all'])}")
        for name, rs in by_group(rows):
            s = summary(rs, part)
            figures["groups"][part][name] = s
            print(f"[{part}] {name}: {fmt_summary(s)}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
