"""An L1 file's background mixture by weight and how often inputs saturate ap_fixed<16,6>, old vs new scaling.

    python benchmarks/l1_inputs_check.py models/data/l1.h5 [--n-train 30000] [--n-test 20000]

Mixture: each background component's share of the events and of the summed weights, and its effective
number of events (sum w)^2 / sum w^2; in the test split, that effective number, the weighted FPR of the
heaviest single event and the number of QCD events. Saturation: the share of events (test background and each signal)
with at least one input at the type's rail, for plain z-scores of (pT, eta, phi) (the scaling before
data.pt_scale) and for the build's scaling now (log pT, spreads floored by the physical bounds).
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def main() -> None:
    """Compute and print one JSON object."""
    from codesign.data import read_l1
    from codesign.datasets import load_dataset
    from codesign.precision import FixedPrecision, Overflow, Rounding
    from codesign.spec import DataSpec, Family

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--n-train", type=int, default=30000)
    parser.add_argument("--n-test", type=int, default=20000)
    parser.add_argument("--input", default="ap_fixed<16,6>")
    args = parser.parse_args()
    sample = read_l1(args.path)
    bkg = sample.background()
    w = bkg.event_weights
    mixture = {}
    for code in np.unique(bkg.subprocess).tolist() if bkg.subprocess is not None else []:
        sel = bkg.subprocess == code
        mixture[bkg.subprocess_names[code]] = {
            "events": int(sel.sum()),
            "event_share": float(sel.mean()),
            "weight_share": float(w[sel].sum() / w.sum()),
            "effective_events": float(w[sel].sum() ** 2 / np.sum(w[sel] ** 2)),
        }
    p = FixedPrecision.parse(args.input)
    rail = float(p.max_value)
    snap = FixedPrecision(p.width, p.integer, p.signed, Rounding.RND_CONV, Overflow.SAT)
    order = np.random.default_rng(0).permutation(len(bkg))
    tr, te = order[: args.n_train], order[args.n_train : args.n_train + args.n_test]
    flat = bkg.flat()
    mean, std = flat[tr].mean(axis=0, dtype=np.float64), flat[tr].std(axis=0, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)

    def saturated(x: np.ndarray) -> float:
        return float(np.mean(np.any(np.abs(snap.quantize(x)) >= rail, axis=1)))

    old = {"background": saturated((flat[te] - mean) / std)}
    old.update({s: saturated((sample.select(s).flat() - mean) / std) for s in sample.signal_names})
    data = load_dataset(DataSpec(path=args.path, n_train=args.n_train, n_test=args.n_test), Family.VAE, p)
    new = {"background": saturated(data.x_test)}
    new.update({s: saturated(x) for s, x in data.signals.items()})
    test_weights = data.summary().get("weights")
    if test_weights is not None:  # the weighted FPR of the heaviest single test event, and the test QCD events
        wt = bkg.event_weights[te]
        test_weights["max_event_fpr"] = float(wt.max() / wt.sum())
        if bkg.subprocess is not None and "qcd_bb" in bkg.subprocess_names:
            test_weights["qcd_test_events"] = int(np.sum(bkg.subprocess[te] == bkg.subprocess_names.index("qcd_bb")))
    print(json.dumps({"file": args.path, "background_events": len(bkg), "mixture": mixture,
                      "saturated_zscore_linear_pt": old, "saturated_log_pt_floored": new,
                      "test_weights": test_weights}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
