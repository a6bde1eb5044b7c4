"""How hard a jets file is: a gradient-boosted tree on the 16 HLF (accuracy, per-class AUC, confusion).

    python benchmarks/jets_gbt.py models/data/jets.h5 [--n-train 40000] [--n-test 10000] [--seed 0]

scikit-learn's HistGradientBoostingClassifier with its defaults, on the same seeded split as the build
(``data.seed``), so the figure is the ceiling the demo MLP (models/jet_mlp.yaml) is measured against.
Also prints per class the median jet pT and the fraction of jets whose groomed mass is below 20 GeV (one
prong left after mMDT). Reference per-class AUCs: ../shared/calibration/published.md.
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def main() -> None:
    """Fit, score and print one JSON object."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    from codesign.data.hdf5io import read_jet_table, read_jets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--n-train", type=int, default=40000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sample = read_jets(args.path)
    table, names = read_jet_table(args.path)
    order = np.random.default_rng(args.seed).permutation(len(sample))
    tr, te = order[: args.n_train], order[args.n_train : args.n_train + args.n_test]
    y = sample.class_index
    model = HistGradientBoostingClassifier(random_state=0).fit(sample.hlf[tr], y[tr])
    prob = model.predict_proba(sample.hlf[te])
    pred = prob.argmax(axis=1)
    confusion = np.zeros((5, 5), dtype=int)
    np.add.at(confusion, (y[te], pred), 1)
    pt = table[:, names.index("j_pt")] if "j_pt" in names else np.full(len(table), np.nan)
    mass = sample.feature("j_mass_mmdt")
    out = {
        "file": args.path,
        "n_train": len(tr),
        "n_test": len(te),
        "accuracy": float(np.mean(pred == y[te])),
        "auc": {c: float(roc_auc_score(y[te] == i, prob[:, i])) for i, c in enumerate(sample.class_names)},
        "confusion_rows_true": confusion.tolist(),
        "median_pt": {c: float(np.median(pt[y == i])) for i, c in enumerate(sample.class_names)},
        "groomed_mass_below_20": {c: float(np.mean(mass[y == i] < 20.0)) for i, c in enumerate(sample.class_names)},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
