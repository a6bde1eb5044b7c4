"""Can the L1 autoencoder fit its budget and keep the tail? models/l1_ae.yaml built with spec changes, one per row.

The same with ``--spec models/l1_vae.yaml`` for the VAE (the ``prune.layers`` and ``score.*`` variants are
the VAE's: its decoder and latent layers are named dec_*, reconstruction, z_mean, z_log_var).

Each variant is the shipped spec with a few keys changed (dotted names, ``model.encoder=[16,8]``); the builds
share one step cache, so variants that differ only after a step reuse it (the reuse factor reuses the QAT model,
the weight bits the pruned model). Per variant: the estimate's LUT / DSP / latency and the budget verdict, the
bit-exact verdict, and for one signal (default A->4l) AUC and TPR at FPR 1e-3 of every stage with its 68 %
interval, the FPR the threshold reached, and the firmware's change from float (target: within 10 %).

Usage: ``python benchmarks/ae_budget.py [--spec models/l1_ae.yaml] [--out DIR] [--data PATH] [--variants 'a;b']``
(``--list`` prints the variants; any of them may end in
``, train seed N`` to change the training seed). Builds are full specs (40 float epochs): minutes each on a shared machine.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
VARIANTS: dict[str, dict] = {
    "shipped": {},
    "reuse 2": {"hls.reuse_factor": 2},
    "reuse 4": {"hls.reuse_factor": 4},
    "weights 6 bits": {"quantize.bits": 6},
    "sparsity 0.75": {"prune.sparsity": 0.75},
    "16-8 / 8-16": {"model.encoder": [16, 8], "model.decoder": [8, 16]},
    "32 / 32": {"model.encoder": [32], "model.decoder": [32]},
    "24 / 24": {"model.encoder": [24], "model.decoder": [24]},
    "16 / 16": {"model.encoder": [16], "model.decoder": [16]},
    "32 / 32, sparsity 0.25": {"model.encoder": [32], "model.decoder": [32], "prune.sparsity": 0.25},
    "24 / 24, sparsity 0.25": {"model.encoder": [24], "model.decoder": [24], "prune.sparsity": 0.25},
    "16 / 16, sparsity 0.25": {"model.encoder": [16], "model.decoder": [16], "prune.sparsity": 0.25},
    "32 / 32, weights 6 bits": {"model.encoder": [32], "model.decoder": [32], "quantize.bits": 6},
    "32 / 32, reuse 2": {"model.encoder": [32], "model.decoder": [32], "hls.reuse_factor": 2},
    "32 / 32, sparsity 0.75": {"model.encoder": [32], "model.decoder": [32], "prune.sparsity": 0.75},
    "32 / 32, Resource, reuse 4": {
        "model.encoder": [32],
        "model.decoder": [32],
        "hls.strategy": "Resource",
        "hls.reuse_factor": 4,
    },
    "train seed 1": {"train.seed": 1},
    "train seed 2": {"train.seed": 2},
    "sparsity 0.25": {"prune.sparsity": 0.25},
    "no pruning": {"prune.sparsity": 0.0},
    "prune epochs 15": {"prune.epochs": 15},
    "decoder dense": {"prune.layers": {"dec_1": 0.0, "dec_2": 0.0, "reconstruction": 0.0}},
    "decoder dense, train seed 1": {
        "prune.layers": {"dec_1": 0.0, "dec_2": 0.0, "reconstruction": 0.0},
        "train.seed": 1,
    },
    "distill": {"prune.distill": True},
    "distill, train seed 1": {"prune.distill": True, "train.seed": 1},
    "distill, train seed 2": {"prune.distill": True, "train.seed": 2},
    "train seed 3": {"train.seed": 3},
    "train seed 4": {"train.seed": 4},
    "distill, train seed 3": {"prune.distill": True, "train.seed": 3},
    "distill, train seed 4": {"prune.distill": True, "train.seed": 4},
    "prune epochs 15, train seed 1": {"prune.epochs": 15, "train.seed": 1},
    "prune epochs 15, train seed 2": {"prune.epochs": 15, "train.seed": 2},
    "prune epochs 15, train seed 3": {"prune.epochs": 15, "train.seed": 3},
    "prune epochs 15, train seed 4": {"prune.epochs": 15, "train.seed": 4},
    "distill, prune epochs 15": {"prune.distill": True, "prune.epochs": 15},
    "latent dense": {"prune.layers": {"z_mean": 0.0, "z_log_var": 0.0}},
    "score table wide": {
        "score.table_input": "ap_fixed<11,6,AP_RND_CONV,AP_SAT>",
        "score.table_precision": "ap_ufixed<30,24,AP_RND_CONV,AP_SAT>",
        "score.accum_precision": "ap_ufixed<48,32,AP_TRN,AP_SAT>",
        "score.result_precision": "ap_ufixed<40,32,AP_TRN,AP_SAT>",
    },
    "16 / 16, train seed 1": {"model.encoder": [16], "model.decoder": [16], "train.seed": 1},
    "prune epochs 5": {"prune.epochs": 5},
    "prune epochs 15, end 0.4": {"prune.epochs": 15, "prune.end_fraction": 0.4},
    "prune epochs 20, end 0.3": {"prune.epochs": 20, "prune.end_fraction": 0.3},
    "prune epochs 30": {"prune.epochs": 30},
    "prune epochs 15, frequency 10": {"prune.epochs": 15, "prune.frequency": 10},
    "distill, prune epochs 30": {"prune.distill": True, "prune.epochs": 30},
    "weights 6 bits, sparsity 0.4": {"quantize.bits": 6, "prune.sparsity": 0.4},
    "weights 6 bits, sparsity 0.3": {"quantize.bits": 6, "prune.sparsity": 0.3},
    "distill scale, prune epochs 15": {"prune.distill": True, "prune.distill_widen": "scale", "prune.epochs": 15},
    "distill noise, prune epochs 15": {"prune.distill": True, "prune.distill_widen": "noise", "prune.epochs": 15},
    "distill mix, prune epochs 15": {"prune.distill": True, "prune.distill_widen": "mix", "prune.epochs": 15},
    "distill scale own, prune epochs 15": {
        "prune.distill": True,
        "prune.distill_widen": "scale",
        "prune.distill_background": "own",
        "prune.epochs": 15,
    },
    "qat distill, prune epochs 15": {"quantize.distill": True, "prune.epochs": 15},
    "qat distill scale, prune epochs 15": {
        "quantize.distill": True,
        "quantize.distill_widen": "scale",
        "prune.epochs": 15,
    },
    "distill scale, qat distill scale, prune epochs 15": {
        "prune.distill": True,
        "prune.distill_widen": "scale",
        "quantize.distill": True,
        "quantize.distill_widen": "scale",
        "prune.epochs": 15,
    },
    "distill mix, qat distill mix, prune epochs 15": {
        "prune.distill": True,
        "prune.distill_widen": "mix",
        "quantize.distill": True,
        "quantize.distill_widen": "mix",
        "prune.epochs": 15,
    },
}
SEED_SUFFIX = ", train seed "
# the variants are recipes without distillation unless they name it (docs/physics.md's tables were made on a
# VAE spec without it); "shipped" is the spec as it is (the VAE's ships with widened-scale distillation since 7 Dec)
UNDISTILLED = {"prune.distill": False, "prune.distill_widen": "none"}


def _changes(label: str) -> dict:
    """The spec changes of a variant: a listed name, or a listed name followed by ', train seed N'."""
    if label in VARIANTS:
        return VARIANTS[label] if label == "shipped" else {**UNDISTILLED, **VARIANTS[label]}
    base, _, seed = label.rpartition(SEED_SUFFIX)
    if base in VARIANTS and seed.isdigit():
        return {**_changes(base), "train.seed": int(seed)}
    raise SystemExit(f"unknown variant {label!r}; known: {', '.join(VARIANTS)} (each may end in '{SEED_SUFFIX}N')")


def _apply(spec: dict, changes: dict) -> dict:
    """The spec with each dotted key set."""
    spec = copy.deepcopy(spec)
    for key, value in changes.items():
        node = spec
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return spec


def _cell(point: dict) -> str:
    """TPR [interval] (~ rough) @ reached FPR when short."""
    band = point.get("tpr_interval")
    text = f"{point['tpr']:.3f}" + (f" [{band[0]:.3f}, {band[1]:.3f}]" if band else "")
    text += " ~" if point.get("tpr_interval_rough") else ""
    if point.get("fpr_short"):
        text += f" @ {point['fpr_reached']:.1e}"
    return text


def _row(label: str, report: dict, signal: str, seconds: float) -> list[str]:
    """One table row of a finished build's report."""
    est = report.get("estimate") or {}
    budget = report.get("budget") or {}
    failed = [c["name"] for c in budget.get("checks", []) if not c.get("pass")]
    stages = report["metrics"]
    cells = []
    for stage in ("float", "pruned", "quantized", "firmware"):
        if stage in stages:
            cells.append(_cell(stages[stage]["signals"][signal]["points"]["0.001"]))
        else:
            cells.append("-")
    fl = stages["float"]["signals"][signal]["points"]["0.001"]["tpr"]
    fw = stages["firmware"]["signals"][signal]["points"]["0.001"]["tpr"]
    change = f"{100 * (fw - fl) / fl:+.0f} %" if fl else "n/a"
    cmp = (stages["firmware"]["signals"][signal].get("vs_float") or {}).get("TPR at FPR 0.001") or {}
    band = cmp.get("paired_interval")
    if band:
        change += f" (paired {cmp['value']:+.4f} [{band[0]:+.4f}, {band[1]:+.4f}])"
    auc = f"{stages['float']['signals'][signal]['auc']:.3f} / {stages['firmware']['signals'][signal]['auc']:.3f}"
    verdict = "PASS" if budget.get("pass") else "FAIL (" + ", ".join(failed) + ")"
    return [label, str(est.get("lut")), str(est.get("dsp")), str(est.get("latency_ns")), str(est.get("ii_cycles")),
            verdict, str(report["verdict"]["bit_exact"]), auc, *cells, change, f"{seconds:.0f}"]  # fmt: skip


def main() -> None:
    """Build the variants and print the table."""
    from codesign.api import run_build

    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=str(REPO / "models" / "l1_ae.yaml"))
    ap.add_argument("--out", default="/tmp/ae_budget")
    ap.add_argument("--data", default=None, help="data.path: an L1 file instead of the shipped one")
    ap.add_argument("--signal", default="ato4l")
    ap.add_argument("--variants", default="shipped", help="variant names separated by ';' (see --list)")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        for name, changes in VARIANTS.items():
            print(f"{name}: {changes}")
        return
    base = yaml.safe_load(Path(args.spec).read_text())
    if args.data:
        base["data"].pop("source", None)
        base["data"]["path"] = str(Path(args.data).resolve())
    out = Path(args.out)
    head = ["variant", "LUT", "DSP", "latency ns", "II", "budget", "bit-exact", f"{args.signal} AUC float / fw",
            "TPR@1e-3 float", "pruned", "quantized", "firmware", "fw vs float", "s"]  # fmt: skip
    rows = []
    for label in args.variants.split(";"):
        label = label.strip()
        spec = _apply(base, _changes(label))
        spec["name"] = "ae_budget_" + "".join(c if c.isalnum() else "_" for c in label)
        folder = out / spec["name"]
        t0 = time.perf_counter()
        run_build(spec, part="xcvu9p", out=folder, cache_dir=out / "cache", progress=None, plots=False)
        report = json.loads((folder / "report.json").read_text())
        rows.append(_row(label, report, args.signal, time.perf_counter() - t0))
        print("| " + " | ".join(rows[-1]) + " |", flush=True)
    print("\n| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
