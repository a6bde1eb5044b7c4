"""Is recipe B's firmware tail better than recipe A's? Two finished anomaly builds of the same data, paired.

Both builds must have scored the same test events (same ``data`` section, checked on the C-simulated inputs). For
each build, the float and firmware scores (float formula on models/float.h5, C-simulated firmware) enter one paired
bootstrap (codesign's, stratified, the background's weights): per FPR, each build's firmware TPR at its own threshold,
its change from its own float, and B's firmware minus A's firmware with the band of the paired difference. Rows
whose float models are the same (same training seed) isolate the recipe; different seeds show the spread.

Usage: ``python benchmarks/tail_pair.py BUILD_A BUILD_B [--signal ato4l] [--fpr 1e-3,1e-2] [--n 1000]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tail_stages import _stage_scores


def main() -> None:
    """Print the paired comparison of two builds' firmware (and float) tails."""
    from codesign.api import load_any_spec
    from codesign.datasets import load_dataset
    from codesign.metrics_bootstrap import BootstrapSettings, anomaly_resamples, interval
    from codesign.metrics_stages import event_weights

    ap = argparse.ArgumentParser()
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--signal", default="ato4l")
    ap.add_argument("--fpr", default="1e-3,1e-2")
    ap.add_argument("--n", type=int, default=1000, help="bootstrap resamples")
    args = ap.parse_args()
    spec = load_any_spec(json.loads((args.a / "report.json").read_text())["spec"])
    spec_b = load_any_spec(json.loads((args.b / "report.json").read_text())["spec"])
    if spec.data != spec_b.data:
        raise SystemExit("the two builds used different data sections: not the same test events")
    data = load_dataset(spec.data, spec.model.family, spec.quantize.input)
    weights, _ = event_weights(data)
    stages = {}
    for tag, build, s in (("A", args.a, spec), ("B", args.b, spec_b)):
        scores = _stage_scores(build, s, data)
        for stage in ("float", "firmware"):
            stages[f"{tag} {stage}"] = {k: v for k, v in scores[stage].items() if k in ("background", args.signal)}
    fprs = [float(f) for f in args.fpr.split(",")]
    settings = BootstrapSettings(n=args.n)
    res = anomaly_resamples(stages, settings, fprs, weights)
    from codesign import metrics

    def tpr(stage: str, f: float) -> float:
        s = stages[stage]
        thr, _ = metrics.threshold_at_fpr(s["background"], f, weights)
        return float(np.mean(s[args.signal] > thr))

    print(f"A = {args.a}\nB = {args.b}\n{args.signal}, {settings.n} paired resamples, {settings.confidence:.0%} bands")
    print("| FPR | A float | A firmware | B float | B firmware | B fw - A fw, paired band | B fw - B float | A fw - A float |")
    print("|---|---|---|---|---|---|---|---|")
    for f in fprs:
        key = ("tpr", args.signal, f)
        v = {st: tpr(st, f) for st in stages}
        diff = interval(res["B firmware"][key] - res["A firmware"][key], settings)
        own_b = interval(res["B firmware"][key] - res["B float"][key], settings)
        own_a = interval(res["A firmware"][key] - res["A float"][key], settings)
        print(f"| {f:g} | {v['A float']:.4f} | {v['A firmware']:.4f} | {v['B float']:.4f} | {v['B firmware']:.4f} | "
              f"{v['B firmware'] - v['A firmware']:+.4f} [{diff[0]:+.4f}, {diff[1]:+.4f}] | "
              f"{v['B firmware'] - v['B float']:+.4f} [{own_b[0]:+.4f}, {own_b[1]:+.4f}] | "
              f"{v['A firmware'] - v['A float']:+.4f} [{own_a[0]:+.4f}, {own_a[1]:+.4f}] |")  # fmt: skip


if __name__ == "__main__":
    main()
