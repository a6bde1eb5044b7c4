"""Why constituent taggers sit below 2402.01876: float DeepSets@32 and the 16-HLF MLP, side by side.

    python benchmarks/constituent_gap.py compare particles=models/data/jets.h5@12500 towers=/tmp/towers.h5
    python benchmarks/constituent_gap.py curve models/data/jets.h5 --sizes 5000 10000 20000 40000
    python benchmarks/constituent_gap.py variants models/data/jets.h5 hlf zoo5:std pt3:std:rho32 pte5:robust --n-train 20000

``compare`` trains, on every sample, the float stage of the shipped specs ``models/jet_deepsets_32.yaml``
(phi 32-32-32, mean, rho 16; its epochs, early stopping and learning-rate schedule) and
``models/jet_mlp.yaml`` (16 HLF, 64-32-32), on the same split of jet positions (``--n-test`` test jets,
the rest training; ``--folds K`` rotates the test block so that K x n-test jets are scored), and prints
accuracy and one-vs-rest AUC per class, with a description of the constituents (multiplicity, jet-pT
fraction in the 8 / 16 / 32 leading ones). ``FILE@N`` takes the file's first N jets in generation order
(its shuffle undone): the same jets as a file generated with ``--n N`` and the same seed and settings,
since chunks are seeded by their index (N a multiple of 250 x the number of classes).
``curve`` trains both on the first 5k / 10k / ... jets of a file's training split against one fixed
test set (the build's split: ``data.seed`` 0), to say how much of the gap is the training-set size.
Inputs are standardised on the training jets as in the build, not snapped to the input type (float only).
``compare`` and ``curve`` take the current spec's model and training (since 6 December 2026 rho [32] and a 300-epoch
limit; their tables in models/data/README.md were measured with rho [16] and 150 epochs, on the stored features).
``variants`` trains float DeepSets@32 (phi [32, 32, 32], rho [16], the spec's optimiser and schedule, 150 epochs
unless told) on one fixed split for each input /
model variant (features stored or derived by the build's ``codesign.data.constituents.select_features``, the
scaling, a constituent pT cut, rho / phi sizes; see ``variants --help``), with ``hlf`` the 16-HLF MLP on the same
jets, and prints them side by side with the largest |input| after scaling (the firmware's ap_fixed<16,6> holds +-32).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("g", "q", "w", "z", "t")
CHUNK = 250


def load(spec: str) -> tuple[str, object]:
    """``NAME=FILE[@N]`` -> (name, JetSample with 32 constituents), in generation order when @N is given."""
    from codesign.data.hdf5io import read_attrs, read_jets
    from codesign.data.layouts import ATTR_CONFIG
    from codesign.data.production import shuffle_order

    name, _, rest = spec.partition("=")
    path, _, first = rest.partition("@")
    sample = read_jets(path, n_constituents=32)
    if first:
        n_first = int(first)
        cfg = read_attrs(path)[ATTR_CONFIG]
        n_classes = len(cfg.get("classes", CLASSES))
        if n_first % (CHUNK * n_classes) or cfg["n"] % (CHUNK * n_classes):
            raise SystemExit(f"{spec}: @N and the file's n must be multiples of {CHUNK} x {n_classes} classes")
        # the file is the concatenation of its chunks (round-robin over the classes) shuffled by shuffle_order
        order = shuffle_order(len(sample), int(cfg["seed"]))
        sample = sample.subset(np.argsort(order)[:n_first])
    return name, sample


def describe(sample) -> dict[str, float]:
    """Median multiplicity and median jet-pT fraction carried by the 8 / 16 / 32 leading constituents."""
    ptrel = sample.constituents[:, :, sample.constituent_names.index("j1_ptrel")].astype(np.float64)
    out = {"multiplicity": float(np.median(sample.feature("j_multiplicity")))}
    for k in (8, 16, 32):
        out[f"pt_frac_{k}"] = float(np.median(ptrel[:, :k].sum(axis=1)))
    return out


def train_eval(kind: str, x_tr, y_tr, x_te, y_te, patience: int | None = None) -> dict[str, object]:
    """Float training of one shipped spec's model (its train settings; ``patience`` overrides its early-stopping
    patience) and its test accuracy / AUCs."""
    from codesign.spec import load_spec
    from codesign.train import train_float
    from codesign.zoo import build_model

    spec = load_spec(ROOT / "models" / ("jet_deepsets_32.yaml" if kind == "ds32" else "jet_mlp.yaml"))
    axes = tuple(range(x_tr.ndim - 1))
    mean, std = x_tr.mean(axis=axes, dtype=np.float64), x_tr.std(axis=axes, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)
    data = SimpleNamespace(x_train=((x_tr - mean) / std).astype(np.float32), y_train=y_tr, task="classification")
    train = spec.train if patience is None else spec.train.model_copy(update={"patience": patience})
    model = build_model(spec.model, x_tr.shape[1:], len(CLASSES), seed=train.seed)
    result = train_float(model, data, train)
    return _scores(model, ((x_te - mean) / std).astype(np.float32), y_te, result)


def _scores(model, x_te: np.ndarray, y_te: np.ndarray, result) -> dict:
    """Accuracy and per-class AUC of a trained model on the test jets, with its training's epochs and seconds."""
    from sklearn.metrics import roc_auc_score

    prob = model.predict(x_te, verbose=0, batch_size=4096)
    truth = y_te.argmax(axis=1)
    return {
        "accuracy": float(np.mean(prob.argmax(axis=1) == truth)),
        "auc": [float(roc_auc_score(truth == i, prob[:, i])) for i in range(len(CLASSES))],
        "epochs": result.epochs_run,
        "seconds": round(result.seconds, 1),
    }


def _inputs(sample, kind: str, derived: bool = False) -> np.ndarray:
    """The model's inputs; ``derived`` appends to each constituent its momentum in the jet frame,
    ptrel x (cos phirel, sin phirel, sinh etarel), so that the jet mass is a function of mean-pooled sums."""
    if kind != "ds32":
        return sample.hlf
    x = sample.constituents.astype(np.float32)
    if not derived:
        return x
    names = sample.constituent_names
    pt, eta, phi = (x[:, :, names.index(f"j1_{k}")] for k in ("ptrel", "etarel", "phirel"))
    return np.concatenate([x, np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], axis=2)], axis=2)


def _row(name: str, kind: str, n_train: int, n_test: int, r: dict) -> str:
    model = "DeepSets@32" if kind == "ds32" else "16-HLF MLP"
    auc = " | ".join(f"{a:.3f}" for a in r["auc"])
    return (f"| {name} | {model} | {n_train} | {n_test} | {100 * r['accuracy']:.1f} % | {auc} | {r['epochs']} | "
            f"{r['seconds']:.0f} s |")


HEADER = ("| sample | model | train jets | test jets | accuracy | AUC g | q | W | Z | t | epochs | train time |\n"
          + "|---" * 12 + "|")


def compare(args) -> None:
    """Both models on every sample, the same jet positions in train and test."""
    loaded = [load(s) for s in args.samples]
    n = min(len(s) for _, s in loaded)
    print("| sample | jets | median multiplicity | median pT fraction in 8 / 16 / 32 leading |\n|---|---|---|---|")
    for name, s in loaded:
        d = describe(s.subset(np.arange(n)))
        print(f"| {name} | {n} | {d['multiplicity']:.0f} | {d['pt_frac_8']:.2f} / {d['pt_frac_16']:.2f} / {d['pt_frac_32']:.2f} |")
    perm = np.random.default_rng(args.seed).permutation(n)
    print("\n" + HEADER)
    rows = []
    for kind in args.models:
        for name, s in loaded:
            pooled = {"correct": 0, "n": 0}
            for fold in range(args.folds):
                te = perm[fold * args.n_test:(fold + 1) * args.n_test]
                tr = np.setdiff1d(perm, te)
                x = _inputs(s, kind, args.derived).astype(np.float32)
                r = train_eval(kind, x[tr], s.labels[tr], x[te], s.labels[te], args.patience)
                print(_row(f"{name} (fold {fold})" if args.folds > 1 else name, kind, len(tr), len(te), r), flush=True)
                pooled["correct"] += round(r["accuracy"] * len(te))
                pooled["n"] += len(te)
                rows.append({"sample": name, "model": kind, "fold": fold, "n_train": len(tr), **r})
            if args.folds > 1:
                print(f"| {name} | {kind} pooled | | {pooled['n']} | {100 * pooled['correct'] / pooled['n']:.1f} % | | | | | | | |")
    for row in rows:
        print(json.dumps(row))


def curve(args) -> None:
    """Both models on growing prefixes of the build's training split, one fixed test set."""
    _, s = load(f"file={args.file}")
    perm = np.random.default_rng(0).permutation(len(s))  # the build's split: data.seed 0
    te, tr_all = perm[: args.n_test], perm[args.n_test:]
    print(HEADER)
    rows = []
    for kind in args.models:
        x = _inputs(s, kind, args.derived).astype(np.float32)
        for size in args.sizes:
            tr = tr_all[:size]
            r = train_eval(kind, x[tr], s.labels[tr], x[te], s.labels[te], args.patience)
            print(_row(Path(args.file).name, kind, len(tr), len(te), r), flush=True)
            rows.append({"file": args.file, "model": kind, "n_train": len(tr), **r})
    for row in rows:
        print(json.dumps(row))


VARIANT_HELP = ("tokens joined by ':': features zoo5 (the stored ptrel, etarel, phirel, erel, deltaR) | pt3 (pT in GeV, "
                "etarel, phirel: 2402.01876) | ptrel3 (ptrel, etarel, phirel) | pte5 (pT and E in GeV, etarel, phirel, "
                "deltaR) | all7 (the stored five, pT and E); norm std (mean / std, the build's) | "
                "robust (x / (95th - 5th percentile), no shift: padding stays 0, 2402.01876); cutX (drop constituents "
                "below X GeV: zero rows); rhoN (rho [N], default 16); phiA-B-C (default 32-32-32); mlp (the flattened-constituent MLP 64-32-32, the zoo's) | "
                "mlpA-B-C (that MLP with hidden layers A-B-C) | in (the zoo's interaction network: phi [8] at 32 "
                "constituents, else [32, 16]; rho [16])")


def parse_variant(text: str) -> dict:
    """``pt3:robust:cut2:rho32`` -> the settings of one DeepSets variant."""
    out = {"features": "zoo5", "norm": "std", "cut": 0.0, "rho": None, "phi": None, "family": "deepsets", "hidden": None}
    for tok in filter(None, text.split(":")):
        if tok in FEATURE_SETS:
            out["features"] = tok
        elif tok in ("std", "robust"):
            out["norm"] = tok
        elif tok.startswith("cut"):
            out["cut"] = float(tok[3:])
        elif tok.startswith("rho"):
            out["rho"] = tuple(int(v) for v in tok[3:].split("-"))
        elif tok.startswith("phi"):
            out["phi"] = tuple(int(v) for v in tok[3:].split("-"))
        elif tok == "in":
            out["family"] = "interaction_net"
        elif tok == "mlp" or tok.startswith("mlp"):
            out["family"] = "mlp"
            out["hidden"] = tuple(int(v) for v in tok[3:].split("-")) if tok != "mlp" else None
        else:
            raise SystemExit(f"variant {text!r}: unknown token {tok!r}; {VARIANT_HELP}")
    return out


FEATURE_SETS: dict[str, tuple[str, ...] | None] = {
    "zoo5": None,  # the file's stored features (shipped: ptrel, etarel, phirel, erel, deltaR)
    "pt3": ("j1_pt", "j1_etarel", "j1_phirel"),  # 2402.01876
    "ptrel3": ("j1_ptrel", "j1_etarel", "j1_phirel"),
    "pte5": ("j1_pt", "j1_etarel", "j1_phirel", "j1_e", "j1_deltaR"),
    "all7": ("j1_ptrel", "j1_etarel", "j1_phirel", "j1_erel", "j1_deltaR", "j1_pt", "j1_e"),
}


def variant_inputs(sample, jet: dict, features: str, cut: float) -> np.ndarray:
    """Per-constituent inputs of one variant through the build's feature selection
    (:func:`codesign.data.constituents.select_features`), unscaled; constituents below ``cut`` GeV are zero rows."""
    from codesign.data.constituents import select_features

    names = tuple(sample.constituent_names)
    x = select_features(sample.constituents, names, FEATURE_SETS[features] or names, jet, "variant")
    pt = select_features(sample.constituents, names, ("j1_pt",), jet, "variant")[:, :, 0]
    return np.where((pt > cut)[:, :, None], x, 0.0)


def scale(x_tr: np.ndarray, x_te: np.ndarray, norm: str) -> tuple[np.ndarray, np.ndarray]:
    """Fit the scaling on the training jets (every slot, padding included) and apply it to both."""
    flat = x_tr.reshape(-1, x_tr.shape[-1])
    if norm == "std":
        shift, div = flat.mean(axis=0), flat.std(axis=0)
    else:
        shift = np.zeros(flat.shape[1])
        hi, lo = np.percentile(flat, [95, 5], axis=0)
        div = hi - lo
    div = np.where(div > 0, div, 1.0)
    return ((x_tr - shift) / div).astype(np.float32), ((x_te - shift) / div).astype(np.float32)


def train_variant(v: dict, x_tr, y_tr, x_te, y_te, patience: int | None, epochs: int | None = None) -> dict:
    """Float training of the DeepSets@32 spec (or its flattened MLP) with a variant's model sizes."""
    from codesign.spec import load_spec
    from codesign.train import train_float
    from codesign.zoo import build_model

    spec = load_spec(ROOT / "models" / "jet_deepsets_32.yaml")
    update = {"phi": v["phi"] or (32, 32, 32), "rho": v["rho"] or (16,)}  # the zoo's DeepSets before 6 Dec 2026
    if v["family"] == "mlp":
        update = {"family": "mlp", "hidden": v.get("hidden") or (64, 32, 32)}
    elif v["family"] == "interaction_net":  # models/jet_in_{N}.yaml's network: phi [8] at 32, [32, 16] below
        default_phi = (8,) if x_tr.shape[1] == 32 else (32, 16)
        update = {"family": "interaction_net", "phi": v["phi"] or default_phi, "rho": v["rho"] or (16,)}
    model_spec = spec.model.model_copy(update=update)
    train = spec.train.model_copy(update={k: v for k, v in (("patience", patience), ("epochs", epochs)) if v})
    model = build_model(model_spec, x_tr.shape[1:], len(CLASSES), seed=train.seed)
    result = train_float(model, SimpleNamespace(x_train=x_tr, y_train=y_tr, task="classification"), train)
    return {
        **_scores(model, x_te, y_te, result),
        "params": int(model.count_params()),
        "max_abs_input": float(max(np.abs(x_tr).max(), np.abs(x_te).max())),
    }


def variants(args) -> None:
    """DeepSets@32 input / model variants on one fixed split of one file, the 16-HLF MLP as reference."""
    from codesign.data.hdf5io import read_jet_table, read_jets

    sample = read_jets(args.file, n_constituents=args.n_constituents)
    table, names = read_jet_table(args.file)
    jet = {k: table[:, names.index(k)].astype(np.float64) for k in ("j_pt", "j_eta", "j_mass")}
    perm = np.random.default_rng(0).permutation(len(sample))  # the build's split: data.seed 0
    te, tr = perm[: args.n_test], perm[args.n_test:][: args.n_train]
    print("| variant | params | train jets | test jets | max abs input | accuracy | AUC g | q | W | Z | t | epochs | train time |\n"
          + "|---" * 13 + "|")
    rows = []
    for text in args.variants:
        if text == "hlf":
            r = train_eval("mlp", sample.hlf[tr], sample.labels[tr], sample.hlf[te], sample.labels[te], args.patience)
            r |= {"params": 0, "max_abs_input": float("nan")}
        else:
            v = parse_variant(text)
            x = variant_inputs(sample, jet, v["features"], v["cut"])
            x_tr, x_te = scale(x[tr], x[te], v["norm"])
            r = train_variant(v, x_tr, sample.labels[tr], x_te, sample.labels[te], args.patience, args.epochs)
        auc = " | ".join(f"{a:.3f}" for a in r["auc"])
        print(f"| {text} | {r['params']} | {len(tr)} | {len(te)} | {r['max_abs_input']:.1f} | {100 * r['accuracy']:.1f} % | "
              f"{auc} | {r['epochs']} | {r['seconds']:.0f} s |", flush=True)
        rows.append({"variant": text, "n_train": len(tr), "n_test": len(te), **r})
    for row in rows:
        print(json.dumps(row))


def main() -> None:
    """Parse the command line and run one study."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="study", required=True)
    patience = argparse.ArgumentParser(add_help=False)
    patience.add_argument("--patience", type=int, default=None, help="early-stopping patience (default: the spec's)")
    models = argparse.ArgumentParser(add_help=False, parents=[patience])
    models.add_argument("--models", nargs="+", default=["ds32", "mlp"], choices=["ds32", "mlp"])
    models.add_argument("--derived", action="store_true", help="DeepSets also gets each constituent's jet-frame momentum")
    p = sub.add_parser("compare", parents=[models], help="both models on several samples, same split")
    p.add_argument("samples", nargs="+", help="NAME=FILE[@N]")
    p.add_argument("--n-test", type=int, default=2500)
    p.add_argument("--folds", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=compare)
    c = sub.add_parser("curve", parents=[models], help="learning curve in the training-set size")
    c.add_argument("file")
    c.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000, 20000, 40000])
    c.add_argument("--n-test", type=int, default=10000)
    c.set_defaults(run=curve)
    v = sub.add_parser("variants", parents=[patience], help="DeepSets input / model variants on one split; 'hlf' = the 16-HLF MLP")
    v.add_argument("file")
    v.add_argument("variants", nargs="+", help=VARIANT_HELP)
    v.add_argument("--n-train", type=int, default=20000)
    v.add_argument("--n-test", type=int, default=10000)
    v.add_argument("--n-constituents", type=int, default=32)
    v.add_argument("--epochs", type=int, default=150, help="float epoch limit (150: the spec's before 6 Dec 2026)")
    v.set_defaults(run=variants)
    args = parser.parse_args()
    t0 = time.perf_counter()
    args.run(args)
    print(f"# wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
