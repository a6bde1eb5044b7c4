"""What a reuse factor moves in a Latency-strategy layer: per-layer reports at RF 1 and RF > 1, against the estimate.

Every dense layer function with the Latency strategy and its own ``*_csynth.rpt`` in the calibration records
(``../shared/calibration/raw``) is grouped with the same layer of the same network in the same repository on the
same part and multiplier mapping (``config_op mul -impl``) at other reuse factors. Each group with a layer at
RF > 1 is printed, one line per reuse factor: reported / estimated LUT, FF, DSP, latency and II, the estimate
held out (its repository left out of the scale refit, as in ``estimator_accuracy.py``). Then, per mapping, the
median (range) over the groups of LUT at the larger RF / LUT at the smaller, reported and estimated: whether the
products HLS keeps as multiplications are shared (LUT falls) and whether the narrow constant products are (only
they exist in the default mapping of narrow weights). Usage::

    .venv/bin/python benchmarks/reuse_factor_pairs.py [--calibration DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import estimator_accuracy as ea  # noqa: E402

from codesign.estimate.calibration_set import load_records  # noqa: E402
from codesign.estimate.layers import predict_layer  # noqa: E402

FIGURES = (("LUT", "lut"), ("FF", "ff"), ("DSP", "dsp"), ("lat", "latency_cycles"), ("II", "ii_cycles"))


def latency_dense_rows(calib: Path) -> list[dict]:
    """Held-out per-layer rows of the Latency-strategy dense layers that have their own module report."""
    recs = load_records(calib)
    rec_by_id = {r["id"]: r for r in recs}
    rows = ea.layer_rows(recs, calib)
    out = []
    for repo in sorted({r["repo"] for r in rows}):
        with ea.constants(ea.refit([r for r in rows if r["repo"] != repo])):
            for r in (r for r in rows if r["repo"] == repo):
                c = r["call"]
                if c.function != "dense" or str(c.config.get("strategy", "latency")).lower() != "latency":
                    continue
                est = predict_layer(c, r["ctx"])
                m = r["module"]
                rec = rec_by_id[r["id"]]
                actual = (m.LUT, m.FF, m.DSP, m.latency_max, m.interval_max)
                out.append(
                    {
                        "repo": repo,
                        "key": (
                            repo,
                            str(c.config.get("config")),
                            c.num("n_in"),
                            c.num("n_out"),
                            c.num("n_zeros"),
                            str(c.config.get("weight_t")),
                            r["ctx"].mul_impl,
                            rec.get("part"),
                        ),
                        "network": rec["project_dir"],
                        "rf": int(c.num("reuse_factor", 1) or 1),
                        "io": c.io_type,
                        "act": dict(zip((f[0] for f in FIGURES), actual, strict=True)),
                        "est": {name: getattr(est, attr) for name, attr in FIGURES},
                    }
                )
    return out


def groups_with_reuse(rows: list[dict]) -> dict[tuple, dict[int, dict]]:
    """Rows grouped by layer (same repository, network layer, part, mapping), one row per RF, RF > 1 present."""
    by_key: dict[tuple, dict[int, dict]] = defaultdict(dict)
    for r in rows:
        by_key[r["key"]].setdefault(r["rf"], r)  # duplicate reports of one setting: the first
    return {k: v for k, v in by_key.items() if max(v) > 1}


def lut_ratios(groups: dict[tuple, dict[int, dict]]) -> dict[tuple[str, int, int], list[tuple[float, float]]]:
    """(mapping, RF lo, RF hi) -> [(reported LUT ratio hi/lo, estimated ratio hi/lo)] over the groups."""
    out: dict[tuple[str, int, int], list[tuple[float, float]]] = defaultdict(list)
    for key, by_rf in groups.items():
        rfs = sorted(by_rf)
        for lo, hi in zip(rfs, rfs[1:], strict=False):
            a, b = by_rf[lo], by_rf[hi]
            if a["act"]["LUT"] and b["act"]["LUT"] and a["est"]["LUT"] and b["est"]["LUT"]:
                out[(key[6], lo, hi)].append((b["act"]["LUT"] / a["act"]["LUT"], b["est"]["LUT"] / a["est"]["LUT"]))
    return out


def _spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})"


def main(argv: list[str] | None = None) -> int:
    """Print the per-layer groups and the LUT ratios per multiplier mapping."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl and raw/")
    args = ap.parse_args(argv)
    calib = ea.calibration_folder(args.calibration)
    if calib is None or not (calib / "raw").is_dir():
        print("needs the calibration records with their raw reports (../shared/calibration/raw)", file=sys.stderr)
        return 2
    groups = groups_with_reuse(latency_dense_rows(calib))
    print("reported / estimated (held out) per Latency-strategy dense layer; key: repository, config, n_in x n_out,")
    print("zeros, weight type, multiplier mapping, part")
    for key in sorted(groups, key=str):
        repo, cfg, n_in, n_out, zeros, wt, impl, part = key
        print(f"\n{repo} {cfg} {n_in}x{n_out} zeros {zeros} {wt} -impl {impl} {part}")
        for rf, r in sorted(groups[key].items()):
            cells = "  ".join(f"{name} {r['act'][name]}/{r['est'][name]}" for name, _ in FIGURES)
            print(f"  RF {rf:<4} {r['io']:<11} {cells}   [{r['network']}]")
    print("\nLUT at the larger RF / LUT at the smaller, median (range) over the layers: reported | estimated")
    for (impl, lo, hi), pairs in sorted(lut_ratios(groups).items()):
        act, est = [p[0] for p in pairs], [p[1] for p in pairs]
        print(f"  -impl {impl:<6} RF {lo} -> {hi}: {len(pairs):>2} layers  {_spread(act)} | {_spread(est)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
