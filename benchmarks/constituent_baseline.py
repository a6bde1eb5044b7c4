"""What the stored leading constituents can give a tagger, measured outside codesign's training pipeline.

    python benchmarks/constituent_baseline.py hlf models/data/jets.h5 --sizes 8 16 32 --flat
    python benchmarks/constituent_baseline.py hlf /tmp/towers.h5 --sizes 32 --folds 5
    python benchmarks/constituent_baseline.py deepsets models/data/jets.h5 --variant paper --variant wide-sum
    python benchmarks/constituent_baseline.py deepsets models/data/jets.h5 --variant paper --augment eta,phi

``hlf``: the 16 HLF recomputed (codesign.data.jets.jet_columns, the generator's own code) from only the N stored
leading constituents, rebuilt in GeV from their ratios (benchmarks/constituent_consistency.py), and a
scikit-learn HistGradientBoostingClassifier (defaults) on: the 16 stored HLF (all constituents), the 16 from
the N leading, each without j_multiplicity, and a few plain constituent-level features (mass, pT sum,
tau21 / tau32 stand-ins, real-constituent count, all from the N leading). Also the same GBT on the flattened
N x (pT GeV, eta_rel, phi_rel). If the HLF from the N leading reach the stored HLF's accuracy, the information
is in the N constituents and a constituent tagger's shortfall is in what it learns.
``deepsets``: DeepSets written here in plain tf-keras (not codesign.zoo / codesign.train): per-constituent
inputs (pT in GeV, eta_rel, phi_rel; optional extras), standardised on the training jets' real constituents,
padded slots masked out of the pooling, Adam, early stopping on a 10 % validation split (the last 10 % of the
training jets, as Keras' validation_split takes them). ``--augment eta,phi`` appends to the other 90 % their
copies with eta_rel and / or phi_rel negated (both: also the copy with both negated, so 4 copies of each jet);
the validation and test jets are not augmented, and the standardisation stays that of the unaugmented jets.
Both use the build's split of the file (``data.seed`` 0: permutation, first 40,000 training, next 10,000 test).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import constituent_consistency as cc  # noqa: E402

CLASSES = cc.CLASSES


def split(n: int, n_train: int, n_test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The build's split (codesign.datasets._split): one permutation, training first, test next."""
    order = np.random.default_rng(seed).permutation(n)
    return order[:n_train], order[n_train : n_train + n_test]


def scores(prob: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """Accuracy and one-vs-rest AUC per class."""
    from sklearn.metrics import roc_auc_score

    return {
        "accuracy": float(np.mean(prob.argmax(1) == y)),
        "auc": [float(roc_auc_score(y == i, prob[:, i])) for i in range(len(CLASSES))],
    }


def row(name: str, r: dict, extra: str = "") -> str:
    auc = " / ".join(f"{a:.3f}" for a in r["auc"])
    return f"| {name} | {100 * r['accuracy']:.1f} % | {auc} | {extra} |"


def hlf_from_leading(d: dict, n: int, cache: Path) -> np.ndarray:
    """[N, 16] HLF from each jet's n leading stored constituents (cached in ``cache``)."""
    from codesign.data.jets import JetConfig, jet_columns
    from codesign.data.layouts import HLF_NAMES

    if cache.is_file():
        return np.load(cache)
    p = cc.four_vectors(d, n)
    real = d["c"]["j1_ptrel"][:, :n] > 0
    cfg = JetConfig()
    out = np.zeros((len(p), len(HLF_NAMES)))
    for i in range(len(p)):
        v = jet_columns(p[i, real[i]], cfg)
        out[i] = [v[k] for k in HLF_NAMES]
    np.save(cache, out)
    return out


def plain_features(d: dict, n: int) -> np.ndarray:
    """Constituent-level jet features from the n leading: mass, pT sum / j_pt, tau21, tau32, real count."""
    p = cc.four_vectors(d, n)
    k = cc.kinematics(p.sum(axis=1))
    t21, t32 = cc.tau_ratios(p)
    count = (d["c"]["j1_ptrel"][:, :n] > 0).sum(axis=1)
    return np.stack([k["mass"], k["pt"] / d["jet"]["j_pt"], t21, t32, count], axis=1)


def constituent_inputs(d: dict, n: int, extras: str = "") -> np.ndarray:
    """[N, n, F]: pT (GeV), eta_rel, phi_rel; ``extras`` 'p4' appends px, py, pz, E in GeV (jet phi = 0)."""
    c = d["c"]
    cols = [c["j1_ptrel"][:, :n] * d["jet"]["j_pt"][:, None], c["j1_etarel"][:, :n], c["j1_phirel"][:, :n]]
    x = np.stack(cols, axis=2)
    if "p4" in extras:
        x = np.concatenate([x, cc.four_vectors(d, n)], axis=2)
    return x.astype(np.float32)


def gbt_proba(x_tr, y_tr, x_te, seed: int = 0) -> np.ndarray:
    """Class probabilities of a default HistGradientBoostingClassifier."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=seed).fit(x_tr, y_tr).predict_proba(x_te)


def cmd_hlf(args) -> None:
    from codesign.data.layouts import HLF_NAMES

    d = cc.read(args.file)
    tag = Path(args.file).stem
    if args.first:
        d = cc.subset(d, cc.generation_order(d, args.first))
        tag += f"@{args.first}"
    y = d["label"]
    stored = np.stack([d["jet"][k] for k in HLF_NAMES], axis=1)
    no_mult = [i for i, k in enumerate(HLF_NAMES) if k != "j_multiplicity"]
    sets = {"16 stored HLF (all constituents)": stored, "15 stored HLF, no multiplicity": stored[:, no_mult]}
    for n in args.sizes:
        t = time.time()
        lead = hlf_from_leading(d, n, Path(args.cache_dir) / f"hlf_{tag}_lead{n}.npy")
        print(f"HLF from the {n} leading: {time.time() - t:.0f} s", flush=True)
        plain = plain_features(d, n)
        sets[f"16 HLF from the {n} leading"] = lead
        sets[f"15 HLF from the {n} leading, no multiplicity"] = lead[:, no_mult]
        sets[f"plain features from the {n} leading (mass, pT sum, tau21, tau32, count)"] = plain
        sets[f"plain features from the {n} leading + j_pt"] = np.concatenate([plain, d["jet"]["j_pt"][:, None]], 1)
        if args.flat:
            sets[f"flattened {n} x (pT GeV, eta_rel, phi_rel)"] = constituent_inputs(d, n).reshape(len(y), -1)
    if args.folds:
        from sklearn.model_selection import StratifiedKFold

        folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(y, y))
        print(f"\n{len(y)} jets ({tag}), {args.folds}-fold out-of-fold scores, HistGradientBoosting defaults\n")
    else:
        folds = [split(len(y), args.n_train, args.n_test)]
        print(
            f"\n{args.n_train} training / {args.n_test} test jets (the build's split), HistGradientBoosting defaults\n"
        )
    print("| inputs | accuracy | AUC g / q / W / Z / t | fit s |\n|---|---|---|---|")
    for name, x in sets.items():
        t = time.time()
        prob, test = np.zeros((len(y), len(CLASSES))), np.concatenate([te for _, te in folds])
        for tr, te in folds:
            prob[te] = gbt_proba(x[tr], y[tr], x[te])
        r = scores(prob[test], y[test])
        print(row(name, r, f"{time.time() - t:.0f}"), flush=True)


# DeepSets variants: phi widths, pooling over the real constituents, rho widths ('paper': 2402.01876's 3,461 parameters)
VARIANTS: dict[str, tuple[tuple[int, ...], str, tuple[int, ...]]] = {
    "paper": ((32, 32, 32), "mean", (32,)),
    "paper-sum": ((32, 32, 32), "sum", (32,)),
    "wide-mean": ((64, 64, 64), "mean", (64, 32)),
    "wide-sum": ((64, 64, 64), "sum", (64, 32)),
    "wider-sum": ((128, 128, 128), "sum", (128, 64)),
}


def deepsets(n_const: int, n_feat: int, variant: str, seed: int):
    """A DeepSets in plain tf-keras (``VARIANTS``), padded slots masked out of the pooling."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tf_keras as keras

    keras.utils.set_random_seed(seed)
    widths, pool, rho = VARIANTS[variant]
    x_in = keras.Input((n_const, n_feat))
    m_in = keras.Input((n_const, 1))
    h = x_in
    for w in widths:
        h = keras.layers.Dense(w, activation="relu")(h)
    h = keras.layers.Multiply()([h, m_in])  # padded slots contribute nothing
    s = keras.layers.Lambda(lambda t: keras.backend.sum(t, axis=1))(h)
    if pool == "mean":
        cnt = keras.layers.Lambda(lambda t: keras.backend.maximum(keras.backend.sum(t, axis=1), 1.0))(m_in)
        s = keras.layers.Lambda(lambda t: t[0] / t[1])([s, cnt])
    for w in rho:
        s = keras.layers.Dense(w, activation="relu")(s)
    out = keras.layers.Dense(len(CLASSES), activation="softmax")(s)
    return keras.Model([x_in, m_in], out), keras


def reflect(x: np.ndarray, axes: tuple[str, ...]) -> np.ndarray:
    """``x`` [N, n, F] (F: pT, eta_rel, phi_rel, ...) and its copies with eta_rel / phi_rel negated: every
    non-empty subset of ``axes`` ('eta', 'phi') once, so 2 or 4 x N jets; the extras 'p4' are not mapped."""
    cols = {"eta": 1, "phi": 2}
    out = [x]
    for k in range(1, len(axes) + 1):
        for combo in itertools.combinations(axes, k):
            sign = np.ones(x.shape[2], dtype=x.dtype)
            sign[[cols[a] for a in combo]] = -1
            out.append(x * sign)
    return np.concatenate(out)


def cmd_deepsets(args) -> None:
    d = cc.read(args.file)
    y = d["label"]
    tr, te = split(len(y), args.n_train, args.n_test)
    x = constituent_inputs(d, args.n_constituents, args.extras)
    mask = (d["c"]["j1_ptrel"][:, : args.n_constituents] > 0).astype(np.float32)[:, :, None]
    real = mask[tr, :, 0] > 0
    mean, std = x[tr][real].mean(axis=0), x[tr][real].std(axis=0)
    n_fit = int(len(tr) * 0.9)
    fit, val = tr[:n_fit], tr[n_fit:]
    x_fit, m_fit, y_fit = x[fit], mask[fit], y[fit]
    if args.augment:
        if args.extras:
            raise SystemExit("--augment maps pT, eta_rel and phi_rel only, not --extras")
        bad = [a for a in args.augment if a not in ("eta", "phi")]
        if bad or len(set(args.augment)) != len(args.augment):
            raise SystemExit(f"--augment {','.join(args.augment)}: accepted 'eta', 'phi' or 'eta,phi'")
        x_fit = reflect(x_fit, args.augment)
        copies = len(x_fit) // n_fit
        m_fit, y_fit = np.tile(m_fit, (copies, 1, 1)), np.tile(y_fit, copies)

    def standard(v, m):
        return np.where(m > 0, (v - mean) / np.where(std > 0, std, 1.0), 0.0).astype(np.float32)

    xs_fit, xs_val, xs_te = standard(x_fit, m_fit), standard(x[val], mask[val]), standard(x[te], mask[te])
    print(
        f"\n{args.n_train} training / {args.n_test} test jets, {args.n_constituents} constituents, "
        f"inputs pT, eta_rel, phi_rel{' + ' + args.extras if args.extras else ''}, "
        f"augment {','.join(args.augment) or 'none'} ({len(y_fit)} fitted jets, {len(val)} validation), seed {args.seed}\n"
    )
    print("| model | accuracy | AUC g / q / W / Z / t | params, epochs, s |\n|---|---|---|---|")
    for variant in args.variant:
        model, keras = deepsets(args.n_constituents, x.shape[2], variant, args.seed)
        model.compile(keras.optimizers.Adam(args.lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
        cbs = [
            keras.callbacks.EarlyStopping(patience=args.patience, restore_best_weights=True),
            keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=max(2, args.patience // 3)),
        ]
        t = time.time()
        hist = model.fit(
            [xs_fit, m_fit],
            y_fit,
            validation_data=([xs_val, mask[val]], y[val]),
            shuffle=True,
            epochs=args.epochs,
            batch_size=args.batch,
            callbacks=cbs,
            verbose=0,
        )
        r = scores(model.predict([xs_te, mask[te]], batch_size=4096, verbose=0), y[te])
        print(
            row(
                f"DeepSets {variant}", r, f"{model.count_params()}, {len(hist.history['loss'])}, {time.time() - t:.0f}"
            ),
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("hlf", "deepsets"):
        p = sub.add_parser(name)
        p.add_argument("file")
        p.add_argument("--n-train", type=int, default=40000)
        p.add_argument("--n-test", type=int, default=10000)
    p = sub.choices["hlf"]
    p.add_argument("--cache-dir", default="/tmp")
    p.add_argument("--sizes", type=int, nargs="+", default=[32], help="leading constituents to recompute the HLF from")
    p.add_argument("--first", type=int, help="the file's first N jets in generation order (its shuffle undone)")
    p.add_argument("--folds", type=int, help="K-fold out-of-fold scores over the jets instead of the build's split")
    p.add_argument("--flat", action="store_true", help="also the GBT on the flattened constituents (slow)")
    p = sub.choices["deepsets"]
    p.add_argument("--n-constituents", type=int, default=32)
    p.add_argument("--variant", action="append", choices=tuple(VARIANTS))
    p.add_argument("--extras", default="", help="'p4': add px, py, pz, E in GeV per constituent")
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--augment",
        type=lambda v: tuple(a for a in v.split(",") if a),
        default=(),
        help="'eta', 'phi' or 'eta,phi': add the training jets reflected in eta_rel / phi_rel (test untouched)",
    )
    args = ap.parse_args()
    if args.cmd == "deepsets" and not args.variant:
        args.variant = ["paper"]
    {"hlf": cmd_hlf, "deepsets": cmd_deepsets}[args.cmd](args)


if __name__ == "__main__":
    main()
