"""Compare jet samples made with different generator settings: same-size GBT (and optional MLP) on the 16 HLF.

    python benchmarks/jets_variants.py base=models/data/jets.h5 narrow=/tmp/v.h5@800-1600 \
        noZbb=models/data/jets.h5+z:/tmp/z_light.h5 [--per-class 3000] [--mlp]

Each variant is ``NAME=FILE`` with optional ``+CLASS:FILE`` (that class taken from another file: one
change at a time) and ``@PTMIN-PTMAX`` (a jet pT cut in GeV applied to every class). Every variant is cut
to the same number of jets per class (``--per-class``, else the smallest class over all variants) and scored
out of fold (4 stratified folds, so every jet is a test jet once) with scikit-learn's
``HistGradientBoostingClassifier`` (defaults);
``--mlp`` adds a 64-32-32 ``MLPClassifier`` on standardised features (indicative of the demo MLP, not it).
Classes read from the same file get the same jets in every variant (paired comparison). Prints a markdown
table (accuracy, one-vs-rest AUC per class, W against Z AUC, W <-> Z confusion) and one JSON line per variant.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

CLASSES = ("g", "q", "w", "z", "t")


def load_variant(spec: str) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """Parse ``NAME=FILE[+CLASS:FILE...][@LO-HI]`` into (name, hlf, class index, jet pT)."""
    from codesign.data.hdf5io import read_jet_table, read_jets

    name, _, rest = spec.partition("=")
    rest, _, cut = rest.partition("@")
    base, *swaps = rest.split("+")
    sources = {c: base for c in CLASSES}
    for swap in swaps:
        cls, _, path = swap.partition(":")
        if cls not in CLASSES or not path:
            raise SystemExit(f"{spec!r}: a swap is CLASS:FILE with CLASS in {CLASSES} (got {swap!r})")
        sources[cls] = path
    hlf, y, pt = [], [], []
    for path in dict.fromkeys(sources.values()):
        sample = read_jets(path)
        table, names = read_jet_table(path)
        idx = sample.class_index
        keep = np.isin(idx, [CLASSES.index(c) for c, p in sources.items() if p == path])
        hlf.append(sample.hlf[keep])
        y.append(idx[keep])
        pt.append(table[keep, names.index("j_pt")])
    hlf, y, pt = np.concatenate(hlf), np.concatenate(y), np.concatenate(pt)
    if cut:
        lo, hi = (float(v) for v in cut.split("-"))
        keep = (pt >= lo) & (pt <= hi)
        hlf, y, pt = hlf[keep], y[keep], pt[keep]
    return name, hlf, y, pt


def balanced(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of per_class random jets of every class (one generator per class, so that a class's pick
    does not depend on the others)."""
    return np.concatenate(
        [np.random.default_rng([seed, i]).permutation(np.flatnonzero(y == i))[:per_class] for i in range(len(CLASSES))]
    )


def score(hlf: np.ndarray, y: np.ndarray, seed: int, mlp: bool, folds: int = 4) -> dict[str, object]:
    """Out-of-fold predictions of GBT (and MLP) over k stratified folds (every jet scored once, by a model
    trained on the others): accuracy, AUC per class, confusion fractions."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(hlf, y))
    models = {"gbt": HistGradientBoostingClassifier(random_state=0)}
    if mlp:
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        models["mlp"] = make_pipeline(
            StandardScaler(), MLPClassifier((64, 32, 32), early_stopping=True, max_iter=300, random_state=0)
        )
    out: dict[str, object] = {}
    wz = (y == 2) | (y == 3)
    for key, model in models.items():
        prob = np.zeros((len(y), len(CLASSES)))
        for tr, te in splits:
            prob[te] = model.fit(hlf[tr], y[tr]).predict_proba(hlf[te])
        pred = prob.argmax(axis=1)
        conf = np.zeros((5, 5))
        np.add.at(conf, (y, pred), 1)
        conf /= conf.sum(axis=1, keepdims=True)
        out[key] = {
            "accuracy": float(np.mean(pred == y)),
            "auc": {c: float(roc_auc_score(y == i, prob[:, i])) for i, c in enumerate(CLASSES)},
            # W against Z alone: p_W / (p_W + p_Z) on the W and Z jets
            "auc_w_vs_z": float(roc_auc_score(y[wz] == 2, prob[wz, 2] / np.maximum(prob[wz, 2] + prob[wz, 3], 1e-12))),
            "w_to_z": float(conf[2, 3]),
            "z_to_w": float(conf[3, 2]),
            "wz_to_qg": float((conf[2, :2].sum() + conf[3, :2].sum()) / 2),
        }
    return out


def main() -> None:
    """Load every variant, equalise the class sizes, score and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", help="NAME=FILE[+CLASS:FILE...][@PTMIN-PTMAX]")
    parser.add_argument("--per-class", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mlp", action="store_true")
    args = parser.parse_args()
    loaded = [load_variant(v) for v in args.variants]
    smallest = min(int(np.bincount(y, minlength=5).min()) for _, _, y, _ in loaded)
    per_class = min(args.per_class or smallest, smallest)
    header = "| variant | model | acc | AUC g | q | W | Z | t | AUC W vs Z | W->Z | Z->W | W,Z->q,g | median pT g/W |"
    print(header + "\n" + "|---" * 13 + "|")
    rows = []
    for name, hlf, y, pt in loaded:
        # the same seed for every variant: classes read from the same file get the same jets (paired)
        pick = balanced(y, per_class, args.seed)
        result = score(hlf[pick], y[pick], args.seed, args.mlp)
        med = [float(np.median(pt[pick][y[pick] == CLASSES.index(c)])) for c in ("g", "w")]
        for key, r in result.items():
            a = r["auc"]
            print(f"| {name} | {key} | {100 * r['accuracy']:.1f} % | " + " | ".join(f"{a[c]:.3f}" for c in CLASSES)
                  + f" | {r['auc_w_vs_z']:.3f} | {100 * r['w_to_z']:.1f} % | {100 * r['z_to_w']:.1f} % | {100 * r['wz_to_qg']:.1f} %"
                  + f" | {med[0]:.0f} / {med[1]:.0f} |")
        rows.append({"variant": name, "per_class": per_class, **result})
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
