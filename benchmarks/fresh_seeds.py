"""Do the shipped samples' figures hold on data generated with other seeds? Data checks and build figures side by side.

    python benchmarks/fresh_seeds.py data models/data/jets.h5 /tmp/fresh/data/jets_s2.h5
    python benchmarks/fresh_seeds.py data models/data/l1.h5 /tmp/fresh/data/l1_s2.h5
    python benchmarks/fresh_seeds.py builds shipped=/tmp/fresh/b/mlp_shipped fresh=/tmp/fresh/b/mlp_fresh_s2
    python benchmarks/fresh_seeds.py merge /tmp/fresh/data/jets_s23.h5 /tmp/fresh/data/jets_s2.h5 /tmp/fresh/data/jets_s3.h5
    python benchmarks/fresh_seeds.py tail --builds A=DIR_A B=DIR_B --data shipped=SPEC_A fresh=SPEC_B

``data``: per file, the generator's own figures that models/data/README.md quotes. Jets: count, fraction and
acceptance (kept / Pythia events tried) per class, the mMDT groomed-mass peak and half-width (``codesign data
info``'s definition), the share of groomed masses below 20 GeV, the mean multiplicity and D2. L1: per process the
trigger efficiency (kept / generated), the background's share of events and of the summed weights per component,
the QCD weights' range, median and effective number (sum w)^2 / sum w^2, the mean objects per event, the weighted
share of background events with a jet and the weighted median jet HT.

``builds``: per build folder (report.json), the figures the README and models/data/README.md quote, with the
report's 68 % bootstrap intervals. Classifiers: accuracy per stage and per-class AUC (float, firmware). Anomaly
models: per signal AUC (float / firmware), the A->4l TPR at FPR 1e-3 and 1e-4 (float / firmware, rate reached),
the firmware's change from float at 1e-3 with its paired band, and the test background's effective size. Both:
bit-exactness, estimated LUT and latency, budget verdict. Prints markdown tables.

``merge``: the union of jets files made with the same arguments but different seeds, shuffled (``--seed``), so
that a build's full split (40,000 / 10,000) can run on fresh jets made as several smaller runs. The output records
each input's command in its ``merged_from`` attribute.

``tail``: anomaly builds' float models scored on the test sets of other specs' data (each build on each data): the
weighted A->4l TPR at FPR 1e-3 and 1e-2, and at 1e-3 the selected share of A->4l events with a 4th electron, a 4th
muon (no 4th electron) and neither; first, per data spec, how many training-background events fill the 3rd and
4th lepton slots. Tells a training sample's effect from a test sample's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _band(iv: list[float] | None, scale: float = 1.0, digits: int = 3) -> str:
    return "" if not iv else f" [{iv[0] * scale:.{digits}f}, {iv[1] * scale:.{digits}f}]"


def jets_data(path: str) -> None:
    """Print a jets file's per-class figures."""
    from codesign.data.hdf5io import read_attrs, read_jets
    from codesign.data.summary import mass_peak

    sample = read_jets(path)
    attrs = read_attrs(path)
    tried = attrs.get("events_tried") or {}
    tried = json.loads(tried) if isinstance(tried, str) else tried
    mass = sample.feature("j_mass_mmdt")
    mult = sample.feature("j_multiplicity")
    d2 = sample.feature("j_d2_b1_mmdt")
    y = sample.class_index
    print(f"\n{path}: {len(sample)} jets; {attrs.get('codesign_command', '')}\n")
    print(
        "| class | n | fraction | kept / tried | mMDT peak / half-width (GeV) | m_mMDT < 20 GeV | mean multiplicity | mean D2 (b1) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for c, name in enumerate(sample.class_names):
        sel = y == c
        peak, width = mass_peak(mass[sel]) if name in ("w", "z", "t") else (float("nan"), float("nan"))
        acc = f"{sel.sum() / tried[name]:.3f}" if name in tried else "n/a"
        print(f"| {name} | {int(sel.sum())} | {sel.mean():.3f} | {acc} | {peak:.1f} / {width:.1f} | "
              f"{_pct(float(np.mean(mass[sel] < 20.0)))} | {np.mean(mult[sel]):.1f} | {np.mean(d2[sel]):.3f} |")  # fmt: skip


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, 0.5 * cum[-1])])


def l1_data(path: str) -> None:
    """Print an L1 file's trigger efficiencies, background mixture, QCD weights and object counts."""
    from codesign.data import layouts as L
    from codesign.data import read_l1
    from codesign.data.hdf5io import read_attrs

    sample = read_l1(path)
    attrs = read_attrs(path)
    counts, tried = (json.loads(a) if isinstance(a, str) else a for a in (attrs["counts"], attrs["events_tried"]))
    print(f"\n{path}: {len(sample)} events; {attrs.get('codesign_command', '')}\n")
    eff = ", ".join(f"{k} {100 * counts[k] / tried[k]:.2f} %" for k in counts if tried.get(k))
    print(f"trigger efficiency (kept / generated): {eff}\n")
    bkg = sample.background()
    w = bkg.event_weights
    print(
        "| background component | events | event share | weight share | weight per event min / median / max | effective events |"
    )
    print("|---|---|---|---|---|---|")
    for code in np.unique(bkg.subprocess).tolist():
        sel = bkg.subprocess == code
        ws = w[sel]
        print(f"| {bkg.subprocess_names[code]} | {int(sel.sum())} | {sel.mean():.3f} | {ws.sum() / w.sum():.3f} | "
              f"{ws.min():.4g} / {np.median(ws):.4g} / {ws.max():.4g} | {ws.sum() ** 2 / np.sum(ws**2):.0f} |")  # fmt: skip
    print(f"\nbackground: mean weight {w.mean():.4f}, effective events {w.sum() ** 2 / np.sum(w**2):.0f} of {len(w)}")
    types = bkg.particles[:, :, 3]
    jet_pt = np.where(types == L.TYPE_JET, bkg.particles[:, :, 0], 0.0).sum(axis=1)
    has_jet = np.any(types == L.TYPE_JET, axis=1)
    print(f"background with a jet: weighted {_pct(float(w[has_jet].sum() / w.sum()))}, unweighted "
          f"{_pct(float(has_jet.mean()))}; weighted median jet HT {_weighted_median(jet_pt, w):.1f} GeV\n")  # fmt: skip
    print("| events (unweighted) | e | mu | jets | MET (GeV) |")
    print("|---|---|---|---|---|")
    qcd = [i for i, n in enumerate(bkg.subprocess_names) if n.startswith("qcd")]
    groups = {"background": np.ones(len(bkg), bool), "QCD alone": np.isin(bkg.subprocess, qcd)}
    for name in sample.process_names[1:]:
        groups[name] = None
    for name, sel in groups.items():
        part = sample.select(name).particles if sel is None else bkg.particles[sel]
        if len(part) == 0:
            continue
        t = part[:, :, 3]
        print(f"| {name} | {np.mean(np.sum(t == L.TYPE_ELECTRON, axis=1)):.2f} | {np.mean(np.sum(t == L.TYPE_MUON, axis=1)):.2f} | "
              f"{np.mean(np.sum(t == L.TYPE_JET, axis=1)):.2f} | {np.mean(part[:, L.MET_SLOT, 0]):.1f} |")  # fmt: skip


def _classifier_rows(label: str, r: dict) -> list[str]:
    m = r["metrics"]
    stages = " / ".join(_pct(m[s]["accuracy"]) for s in ("float", "pruned", "quantized", "firmware") if s in m)
    fl, fw = m["float"], m["firmware"]
    aucs = " / ".join(f"{fl['per_class'][c]['auc']:.3f}" for c in fl["class_names"])
    aucs_fw = " / ".join(f"{fw['per_class'][c]['auc']:.3f}" for c in fw["class_names"])
    acc = f"{_pct(fl['accuracy'])}{_band(fl.get('accuracy_interval'), 100, 1)}"
    return [f"| {label} | {r['data']['n_train']} / {r['data']['n_test']} | {acc} | {stages} | {aucs} | {aucs_fw} | "
            f"{_common(r)} |"]  # fmt: skip


def _common(r: dict) -> str:
    exact = r["bit_accuracy"]
    est = r["estimate"]
    return (f"{'yes' if exact['exact'] else 'NO'} ({exact['n_samples']}) | {est['lut']:,} | {est['latency_cycles']} cyc | "
            f"{'PASS' if r['budget']['pass'] else 'FAIL'}")  # fmt: skip


def _point(stage: dict, signal: str, fpr: str) -> dict:
    return stage["signals"][signal]["points"][fpr]


def _anomaly_rows(label: str, r: dict) -> list[str]:
    m = r["metrics"]
    fl, fw = m["float"], m["firmware"]
    sig = "ato4l"
    p3f, p3w = _point(fl, sig, "0.001"), _point(fw, sig, "0.001")
    p4f, p4w = _point(fl, sig, "0.0001"), _point(fw, sig, "0.0001")
    check = next(s for s in r["score_check"]["signals"] if s["signal"] == sig)
    change = f"{-100 * check['relative_loss']:+.0f} %{_band(check['paired_interval'])}"
    aucs = " / ".join(f"{fl['signals'][s]['auc']:.3f} / {fw['signals'][s]['auc']:.3f}" for s in fl["signals"])
    return [f"| {label} | {r['data']['n_train']} / {r['data']['n_test']} | {fl['n_background_effective']:.0f} | {aucs} | "
            f"{p3f['tpr']:.3f}{_band(p3f['tpr_interval'])} / {p3w['tpr']:.3f}{_band(p3w['tpr_interval'])} "
            f"({p3f['rate_khz']:.1f} / {p3w['rate_khz']:.1f} kHz) | {change} | {p4f['tpr']:.3f} / {p4w['tpr']:.3f} | "
            f"{_common(r)} |"]  # fmt: skip


def builds(pairs: list[str]) -> None:
    """Print the quoted figures of each LABEL=BUILD as markdown rows, classifiers and anomaly models apart."""
    cls, ano = [], []
    for pair in pairs:
        label, _, folder = pair.partition("=")
        if not folder:
            raise SystemExit(f"{pair!r}: expected LABEL=BUILD_FOLDER")
        report = Path(folder) / "report.json"
        if not report.is_file():
            raise SystemExit(f"{report}: not found (accepted: a finished codesign build folder)")
        r = json.loads(report.read_text())
        (ano if r["data"]["task"] == "anomaly" else cls).extend(
            _anomaly_rows(label, r) if r["data"]["task"] == "anomaly" else _classifier_rows(label, r))  # fmt: skip
    if cls:
        print("| build | train / test | float accuracy [68 %] | float / pruned / quantized / firmware | AUC float (classes in order) "
              "| AUC firmware | bit-exact (inputs) | LUT (est.) | latency | budget |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(cls))
    if ano:
        r0 = json.loads((Path(pairs[0].partition("=")[2]) / "report.json").read_text())
        names = " / ".join(r0["metrics"]["float"]["signals"]) if r0["data"]["task"] == "anomaly" else "signals"
        print(f"\n| build | train / test | effective test bkg | AUC float / fw ({names}) | A->4l TPR at FPR 1e-3 "
              "float / fw (rate) | fw vs float at 1e-3, paired band | A->4l TPR at 1e-4 float / fw | bit-exact (inputs) "
              "| LUT (est.) | latency | budget |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(ano))


def merge(out: str, paths: list[str], seed: int) -> None:
    """Write the shuffled union of jets files (same arguments, different seeds) to out."""
    import h5py

    from codesign.data import layouts as L

    per_jet = (L.JETS_KEY, "jetConstituentList")
    arrays: dict[str, list[np.ndarray]] = {k: [] for k in per_jet}
    names: dict[str, np.ndarray] = {}
    commands = []
    for path in paths:
        with h5py.File(path, "r") as f:
            if L.ATTR_INCOMPLETE in f.attrs or L.JETS_KEY not in f:
                raise SystemExit(f"{path}: not a finished jets file (accepted: files written by `codesign data jets`)")
            for key in f:
                if key in per_jet:
                    arrays[key].append(f[key][()])
                elif key in names and not np.array_equal(names[key], f[key][()]):
                    raise SystemExit(f"{path}: {key!r} differs from {paths[0]}'s (accepted: files of the same layout)")
                else:
                    names[key] = f[key][()]
            commands.append(str(f.attrs.get("codesign_command", path)))
    joined = {k: np.concatenate(v) for k, v in arrays.items() if v}
    order = np.random.default_rng(seed).permutation(len(joined[L.JETS_KEY]))
    with h5py.File(out, "w") as f:
        for key, value in {**names, **{k: v[order] for k, v in joined.items()}}.items():
            f.create_dataset(key, data=value)
        f.attrs["merged_from"] = json.dumps(commands)
    print(f"{out}: {len(order)} jets from {len(paths)} files")


LEPTON_SLOTS = {"e3": 3, "e4": 4, "mu3": 7, "mu4": 8}  # Particles rows: 1-4 electrons, 5-8 muons


def _l1_test(spec_path: str):
    """(spec, dataset, A->4l slot masks) of an L1 spec; prints its training background's lepton-slot fills."""
    from codesign.data import read_l1
    from codesign.datasets import _split, load_dataset
    from codesign.precision import FixedPrecision
    from codesign.spec.load import load_spec

    spec = load_spec(spec_path)
    data = load_dataset(spec.data, spec.model.family, FixedPrecision.parse(spec.quantize.input))
    sample = read_l1(spec.data.path or Path(__file__).resolve().parents[1] / "models" / "data" / "l1.h5")
    bkg = sample.background()
    tr, _ = _split(len(bkg), spec.data.n_train, spec.data.n_test, spec.data.seed, spec_path)
    fills = {k: int(np.sum(bkg.particles[tr, row, 0] > 0)) for k, row in LEPTON_SLOTS.items()}
    sig = sample.select("ato4l").particles[:, :, 0] > 0
    print(f"{spec_path}: training background events filling a slot {fills}; A->4l with a 4th e "
          f"{sig[:, 4].mean():.3f}, a 4th mu {sig[:, 8].mean():.3f}")  # fmt: skip
    groups = {"4th e": sig[:, 4], "4th mu": sig[:, 8] & ~sig[:, 4], "neither": ~sig[:, 4] & ~sig[:, 8]}
    return spec, data, groups


def tail(builds_: list[str], datas: list[str]) -> None:
    """Each build's float model on each data spec's test set: A->4l TPR at FPR 1e-3 / 1e-2 and who is selected."""
    from codesign import metrics, modelio, zoo

    loaded = {label: _l1_test(path) for label, _, path in (d.partition("=") for d in datas)}
    print(
        "\n| build | scored on | TPR at 1e-3 | at 1e-2 | selected at 1e-3: 4th e / 4th mu / neither |\n|---|---|---|---|---|"
    )
    for label, _, folder in (b.partition("=") for b in builds_):
        model = modelio.load_model(Path(folder) / "models" / "float.h5")
        for name, (spec, data, groups) in loaded.items():
            scored = zoo.score_model(model, spec.anomaly_score)
            bkg = np.asarray(scored.predict(data.x_test, batch_size=4096, verbose=0)).ravel()
            sig = np.asarray(scored.predict(data.signals["ato4l"], batch_size=4096, verbose=0)).ravel()
            tpr = {}
            for f in (1e-3, 1e-2):
                tpr[f] = sig > metrics.threshold_at_fpr(bkg, f, data.weights_test)[0]
            shares = " / ".join(f"{tpr[1e-3][m].mean():.3f}" for m in groups.values())
            print(f"| {label} | {name} | {tpr[1e-3].mean():.4f} | {tpr[1e-2].mean():.4f} | {shares} |")


def main() -> None:
    """Dispatch to the data or builds comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("data", help="generator figures of jets / L1 files")
    d.add_argument("paths", nargs="+")
    b = sub.add_parser("builds", help="quoted figures of finished builds, LABEL=FOLDER each")
    b.add_argument("pairs", nargs="+")
    m = sub.add_parser("merge", help="shuffled union of jets files made with different seeds")
    m.add_argument("out")
    m.add_argument("paths", nargs="+")
    m.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("tail", help="anomaly builds' float models scored on several data specs' test sets")
    t.add_argument("--builds", nargs="+", required=True, help="LABEL=BUILD_FOLDER")
    t.add_argument("--data", nargs="+", required=True, help="LABEL=SPEC (its data section is used)")
    args = parser.parse_args()
    if args.what == "tail":
        tail(args.builds, args.data)
        return
    if args.what == "merge":
        merge(args.out, args.paths, args.seed)
        return
    if args.what == "builds":
        builds(args.pairs)
        return
    from codesign.data import layouts as L
    from codesign.data.hdf5io import file_keys

    for path in args.paths:
        (jets_data if L.JETS_KEY in file_keys(path) else l1_data)(path)


if __name__ == "__main__":
    main()
