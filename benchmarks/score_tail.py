"""Does the firmware keep the anomaly tail? models/l1_vae.yaml built with fixed vs data-set activation ranges.

Builds the spec once per quantization variant (the float and pruned steps are shared through one step cache, so
the float model is the same), and prints per signal the AUC and TPR at FPR 1e-3 of the float model and of the
firmware's own score (C-simulated), with the relative loss. Target: A->4l firmware TPR within 10 % of float.

Then, per variant, every stage (float, pruned, quantized, firmware) at FPR 1e-3 and 1e-4: the TPR with its bootstrap
interval, the FPR its threshold reached (``@`` when short of half the asked FPR), and the paired change from float.

Usage: ``python benchmarks/score_tail.py [--spec models/l1_vae.yaml] [--out DIR] [--n-train N] [--epochs E]
[--qat-epochs Q] [--prune-epochs P] [--sparsity S]`` (the size options shrink the spec for time, the pruning ones
change the pruned stage, which is then trained anew; say so when quoting the figures).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
_DATA = {"activation_range": "data", "activation_integer": None, "headroom": 2.0}
VARIANTS = {
    "fixed (quantized_relu(8,3))": {"activation_range": "fixed", "activation_integer": 3, "activation_bits": 8,
                                    "headroom": None, "activation_fractional": None},
    "data, width 12": {**_DATA, "activation_bits": 12, "activation_fractional": None},
    "data, 5 fractional bits": {**_DATA, "activation_fractional": 5},
    "data, 6 fractional bits, headroom 4": {**_DATA, "activation_fractional": 6, "headroom": 4.0},
}


def _spec(path: Path, args, name: str, quant: dict) -> dict:
    spec = yaml.safe_load(path.read_text())
    spec["name"] = name
    if args.n_train:
        spec["data"]["n_train"] = args.n_train
    if args.epochs is not None:
        spec["train"]["epochs"] = args.epochs
    q = dict(spec["quantize"])
    if args.qat_epochs is not None:
        q["epochs"] = args.qat_epochs
    for k, v in quant.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = v
    spec["quantize"] = q
    if args.prune_epochs is not None:
        spec["prune"]["epochs"] = args.prune_epochs
    if args.sparsity is not None:
        spec["prune"]["sparsity"] = args.sparsity
    spec["check"] = {"n_samples": 200, "workers": 2}
    return spec


def main() -> None:
    """Run the variants and print the table."""
    from codesign.api import run_build

    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=str(REPO / "models" / "l1_vae.yaml"))
    ap.add_argument("--out", default="/tmp/score_tail")
    ap.add_argument("--n-train", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--qat-epochs", type=int, default=None)
    ap.add_argument("--prune-epochs", type=int, default=None)
    ap.add_argument("--sparsity", type=float, default=None)
    ap.add_argument("--signal", default="ato4l", help="signal of the per-stage table")
    ap.add_argument("--variants", default=",".join(str(i) for i in range(len(VARIANTS))))
    args = ap.parse_args()
    out = Path(args.out)
    rows, stage_rows = [], []
    names = list(VARIANTS)
    for i in (int(v) for v in args.variants.split(",")):
        label = names[i]
        t0 = time.perf_counter()
        spec = _spec(Path(args.spec), args, f"score_tail_{i}", VARIANTS[label])
        _, state = run_build(spec, part="xcvu9p", out=out / f"v{i}", cache_dir=out / "cache", progress=None)
        seconds = time.perf_counter() - t0
        report = json.loads((out / f"v{i}" / "report.json").read_text())
        for c in report["score_check"]["signals"]:
            fl = report["metrics"]["float"]["signals"][c["signal"]]["auc"]
            fw = report["metrics"]["firmware"]["signals"][c["signal"]]["auc"]
            loss = c["relative_loss"]
            rows.append([label, c["signal"], f"{fl:.3f}", f"{fw:.3f}", c["float_tpr"], c["firmware_tpr"],
                         "-" if loss is None else f"{-100 * loss:+.0f} %", report["verdict"]["bit_exact"]])  # fmt: skip
        est = report.get("estimate") or {}
        print(f"{label}: {seconds:.0f} s, bit-exact {report['verdict']['bit_exact']}, LUT {est.get('lut')}, "
              f"DSP {est.get('dsp')}, latency {est.get('latency_cycles')} cycles", flush=True)  # fmt: skip
        for n in report["notes"]:
            if n.startswith("quantize: activation range"):
                print("   ", n)
        stage_rows += _stage_rows(label, report, args.signal)
    head = ["variant", "signal", "AUC float", "AUC firmware", "TPR@1e-3 float", "TPR@1e-3 firmware", "change", "exact"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(str(v) for v in r) + " |")
    head = ["variant", "stage", "AUC", "TPR@1e-3 [68 %]", "reached FPR", "paired change", "TPR@1e-4 [68 %]", "reached FPR"]
    print(f"\n{args.signal}, every stage:\n| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in stage_rows:
        print("| " + " | ".join(str(v) for v in r) + " |")


def _stage_rows(label: str, report: dict, signal: str) -> list[list]:
    """One row per stage: AUC, and at FPR 1e-3 / 1e-4 the TPR [interval] (~ rough), reached FPR, paired change."""
    rows = []
    for stage, m in report["metrics"].items():
        sig = m["signals"][signal]
        row = [label, stage, f"{sig['auc']:.3f}"]
        for key in ("0.001", "0.0001"):
            p = sig["points"][key]
            band = p.get("tpr_interval")
            cell = f"{p['tpr']:.3f}" + (f" [{band[0]:.3f}, {band[1]:.3f}]" if band else "") + (" ~" if p.get("tpr_interval_rough") else "")
            reached = p.get("fpr_reached")
            row += [cell, "-" if reached is None else f"{reached:.2g}" + (" @" if p.get("fpr_short") else "")]
            if key == "0.001":
                cmp = (sig.get("vs_float") or {}).get(f"TPR at FPR {key}") or {}
                pb = cmp.get("paired_interval")
                row.append("-" if not cmp else f"{cmp['value']:+.3f} [{pb[0]:+.3f}, {pb[1]:+.3f}]")
        rows.append(row)
    return rows


if __name__ == "__main__":
    main()
