"""Coverage of codesign's bootstrap intervals: how often the 68 % band of one test sample holds the true figure.

Background N(0, 1) and signal N(mu, 1) scores, whose true AUC is Phi(mu / sqrt 2) and true TPR at FPR f is
1 - Phi(Phi^-1(1 - f) - mu). Each trial draws a fresh sample, computes the intervals exactly as a build does
(:func:`codesign.metrics_stages.stage_metrics`) and records whether the band holds the truth. A calibrated 68 %
interval covers in about 68 % of the trials (the binomial error of the fraction is given). With ``--weighted`` the
background is drawn from a biased sampler and carries the compensating weights (the QCD-like case).

    python benchmarks/bootstrap_coverage.py --trials 100 --n-background 20000 --n-signal 400
"""

from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace

import numpy as np
from scipy.stats import norm

from codesign.metrics_bootstrap import BootstrapSettings
from codesign.metrics_stages import stage_metrics


def main() -> None:
    """Print the coverage of the AUC and TPR-at-FPR intervals over independent samples."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--n-background", type=int, default=20_000)
    ap.add_argument("--n-signal", type=int, default=400)
    ap.add_argument("--mu", type=float, default=1.5)
    ap.add_argument("--resamples", type=int, default=200)
    ap.add_argument("--weighted", action="store_true", help="biased background sampling with weights")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    fprs = (1e-4, 1e-3)  # the build's operating points (1e-5 needs more than 1e5 background events)
    truth = {"AUC": norm.cdf(args.mu / np.sqrt(2))}
    truth.update({f"TPR at FPR {f:g}": 1 - norm.cdf(norm.ppf(1 - f) - args.mu) for f in fprs})
    hits = {k: 0 for k in truth}
    rough = {}
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    for trial in range(args.trials):
        if args.weighted:  # draw from N(0.5, 1.2), weight back to N(0, 1): more events in the tail
            bkg = rng.normal(0.5, 1.2, args.n_background)
            w = norm.pdf(bkg) / norm.pdf(bkg, 0.5, 1.2)
        else:
            bkg, w = rng.normal(0, 1, args.n_background), None
        sig = rng.normal(args.mu, 1, args.n_signal)
        data = SimpleNamespace(task="anomaly", x_test=bkg, signals={"s": sig}, weights=w)
        m = stage_metrics(data, {"float": {"background": bkg, "s": sig}},
                          BootstrapSettings(args.resamples, seed=trial))["float"]  # fmt: skip
        s = m["signals"]["s"]
        bands = {"AUC": s["auc_interval"]}
        for f in fprs:
            point = s["points"][f"{f:g}"]
            bands[f"TPR at FPR {f:g}"] = point["tpr_interval"]
            rough[f"TPR at FPR {f:g}"] = point.get("tpr_interval_rough")
        for k, band in bands.items():
            hits[k] += bool(band is not None and band[0] <= truth[k] <= band[1])
    seconds = time.perf_counter() - start
    out = {}
    for k, n in hits.items():
        p = n / args.trials
        out[k] = {"truth": round(float(truth[k]), 5), "coverage": round(p, 3),
                  "error": round(float(np.sqrt(p * (1 - p) / args.trials)), 3), "rough": rough.get(k, False)}  # fmt: skip
    print(json.dumps({"args": vars(args), "coverage_of_68_percent_band": out,
                      "seconds_per_trial": round(seconds / args.trials, 3)}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
