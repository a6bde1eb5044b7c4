"""MLP, DeepSets and interaction network on 8, 16 and 32 jet constituents, next to the 2402.01876 table.

Each model is a full ``codesign build`` (train, prune, QAT, hls4ml, bit-exact C-simulation, estimate) of
``models/jet_deepsets_{N}.yaml`` / ``models/jet_in_{N}.yaml``; the MLP is the DeepSets spec with
``model: {family: mlp, hidden: [64, 32, 32]}`` (the constituents flattened). Printed per model: parameters,
FLOPs (a multiply-add = 2 FLOPs, dense: pruned zeros counted; see codesign/flops.py), float and firmware
accuracy, the firmware's per-class one-vs-rest AUC, whether the firmware is bit-exact, and codesign's *estimate*
(not synthesis) of latency, II, LUT and DSP; each row under the paper's. The data file's generation command
(models/data/jets.h5 attribute ``codesign_command``) heads the table.

    python benchmarks/zoo_table.py --quick                      # 6k jets, a few epochs: minutes, a smoke run
    nice -n 10 python benchmarks/zoo_table.py --out /tmp/zoo     # the full specs, trained to convergence (hours)
    python benchmarks/zoo_table.py --quick --families deepsets --sizes 8    # one row
    nice -n 10 python benchmarks/zoo_table.py --families interaction_net --sizes 32 --float-only --out /tmp/zoo
    python benchmarks/zoo_table.py --families deepsets --sizes 32 --data /tmp/jets100k.h5 --n-train 90000 --out /tmp/zoo_big
        # a larger jets file (e.g. `benchmarks/fresh_seeds.py merge` of files made with other seeds) and its sizes

``--reestimate`` builds nothing and recomputes every row's estimate (in ``--out``) from its hls4ml project with
the estimator as it is now. ``--float-only`` runs only the build's first steps (load data, build, float training; the same step cache, so a
later full build into the same folder reuses the trained model): the row then has parameters, FLOPs and the
float model's accuracy and AUC, and no firmware figures (for a model whose firmware is too large to C-simulate here).

Writes ``zoo_table.md`` and ``zoo_table.json`` into ``--out`` (each build's folder beside them) after every
row; rows of an earlier run into the same folder (same data file and mode) are kept unless rebuilt, so the
table can be filled in several runs (builds are cached per folder: an unchanged spec is not retrained).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import h5py
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLASSES = ("g", "q", "w", "z", "t")
FAMILIES = {"mlp": "MLP", "deepsets": "DS", "interaction_net": "IN"}
MLP_MODEL = {"family": "mlp", "hidden": [64, 32, 32]}
# 2402.01876 (Odagiu et al.), its table as quoted in ../shared/calibration/published.md: published figures, not ours.
PAPER = {
    ("MLP", 8): (26826, 53162, 64.6, (0.84, 0.88, 0.90, 0.88, 0.92)),
    ("DS", 8): (3461, 36805, 64.0, (0.84, 0.88, 0.90, 0.88, 0.92)),
    ("IN", 8): (3347, 37232, 64.9, (0.84, 0.88, 0.91, 0.89, 0.92)),
    ("MLP", 16): (20245, 40485, 68.4, (0.87, 0.89, 0.91, 0.90, 0.94)),
    ("DS", 16): (3461, 71109, 69.4, (0.87, 0.89, 0.93, 0.92, 0.94)),
    ("IN", 16): (3347, 140432, 70.8, (0.88, 0.90, 0.94, 0.92, 0.94)),
    ("MLP", 32): (24101, 48197, 66.2, (0.90, 0.89, 0.89, 0.88, 0.94)),
    ("DS", 32): (3461, 139717, 75.9, (0.91, 0.91, 0.96, 0.95, 0.95)),
    ("IN", 32): (7400, 109556, 75.8, (0.91, 0.91, 0.96, 0.95, 0.95)),
}
QUICK = {
    "data": {"n_train": 6000, "n_test": 3000},
    "train": {"epochs": 4, "patience": 2, "lr_patience": 0},
    "prune": {"epochs": 1},
    "quantize": {"epochs": 2},
    "check": {"n_samples": 200, "workers": 1},
}


def spec_for(family: str, n: int, quick: bool, data: dict | None = None) -> dict:
    """The spec dict of one table entry (the shipped spec, the MLP derived from DeepSets', quick and data overrides)."""
    path = ROOT / "models" / (f"jet_in_{n}.yaml" if family == "interaction_net" else f"jet_deepsets_{n}.yaml")
    spec = yaml.safe_load(path.read_text())
    if family == "mlp":
        spec["model"] = dict(MLP_MODEL)
        spec["name"] = f"jet_mlp_const_{n}"
    if quick:
        for key, over in QUICK.items():
            spec[key] = {**spec.get(key, {}), **over}
        spec["name"] += "_quick"
    if data:  # --data / --n-train / --n-test: a user's file replaces the shipped source
        spec["data"] = {k: v for k, v in {**spec["data"], **data}.items() if not ("path" in data and k == "source")}
    return spec


def data_label(data: dict | None = None) -> str:
    """The jets file's generation command(s) and SHA-256, with any --n-train / --n-test (which data gave the figures).

    The shipped file unless ``--data`` names another; a file merged from several seeds
    (``benchmarks/fresh_seeds.py merge``) lists each input's command.
    """
    from codesign.datasets import file_digest
    from codesign.resources import shipped_path

    data = data or {}
    path = Path(data["path"]) if "path" in data else shipped_path("models", "data", "jets.h5")
    with h5py.File(path, "r") as f:
        if "codesign_command" in f.attrs:
            command = str(f.attrs["codesign_command"])
        elif "merged_from" in f.attrs:
            command = "merged from: " + " + ".join(json.loads(f.attrs["merged_from"]))
        else:
            command = f"{path} (no codesign_command attribute)"
    sizes = "".join(f", {k} {data[k]}" for k in ("n_train", "n_test") if k in data)
    return f"{command} (sha256 {file_digest(path)}){sizes}"


def run_float_only(family: str, n: int, quick: bool, out: Path, part: str, data_over: dict | None = None) -> dict:
    """Only the float steps of one entry's build (data, model, training): a row without firmware figures."""
    import numpy as np

    from codesign import flops, metrics, parts
    from codesign.build_steps import BuildModel, LoadData, TrainFloat
    from codesign.pipeline import BuildContext, run_steps
    from codesign.spec import load_spec

    spec = spec_for(family, n, quick, data_over)
    folder = out / spec["name"]
    folder.mkdir(parents=True, exist_ok=True)
    spec_path = folder / "float_only_spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    ctx = BuildContext(spec=load_spec(spec_path), hls4ml_config=None, part=parts.resolve_part(part),
                       out_dir=folder.resolve())  # fmt: skip
    t0 = time.perf_counter()
    state = run_steps(ctx, [LoadData(), BuildModel(), TrainFloat()])
    seconds = time.perf_counter() - t0
    data, model = state.data, state.float_model
    scores = np.asarray(model.predict(data.x_test, batch_size=1024, verbose=0))
    m = metrics.classification_metrics(data.y_test, scores, data.class_names)
    auc = {c.name: c.auc for c in m.per_class}
    return {
        "model": FAMILIES[family], "n": n, "name": spec["name"], **flops.count(model),
        "accuracy_float": m.accuracy, "accuracy_firmware": None, "auc_firmware": [None] * len(CLASSES),
        "auc_float": [auc.get(c) for c in data.class_names], "bit_exact": None, "estimate": None,
        "epochs_run": _epochs(folder), "max_epochs": _max_epochs(spec), "data": data_label(data_over),
        "seconds": round(seconds, 1), "spec": spec, "float_only": True,
    }  # fmt: skip


def run_one(family: str, n: int, quick: bool, out: Path, part: str, data_over: dict | None = None) -> dict:
    """Build one entry and collect its row."""
    import codesign
    from codesign import flops, modelio

    spec = spec_for(family, n, quick, data_over)
    t0 = time.perf_counter()
    r = codesign.build(copy.deepcopy(spec), part=part, out=out / spec["name"])
    seconds = time.perf_counter() - t0
    cost = flops.count(modelio.load_model(out / spec["name"] / "models" / "float.h5"))
    fw = r.metrics.get("firmware") or {}
    fl = r.metrics.get("float") or {}
    est = r.estimate
    return {
        "model": FAMILIES[family], "n": n, "name": spec["name"], **cost,
        "accuracy_float": fl.get("accuracy"), "accuracy_firmware": fw.get("accuracy"),
        "auc_firmware": [((fw.get("per_class") or {}).get(c) or {}).get("auc") for c in CLASSES],
        "bit_exact": r.bit_exact,
        "estimate": None if est is None else {
            "latency_cycles": est.latency_cycles, "latency_ns": est.latency_ns, "ii_cycles": est.ii_cycles,
            "lut": est.lut, "dsp": est.dsp,
        },
        "epochs_run": _epochs(out / spec["name"]), "max_epochs": _max_epochs(spec), "data": data_label(data_over),
        "seconds": round(seconds, 1), "spec": spec,
    }  # fmt: skip


def reestimate(rows: list[dict], out: Path, part: str) -> list[dict]:
    """Each built row's estimate recomputed from its hls4ml project with the estimator as it is now."""
    from codesign import parts
    from codesign.estimate import estimate_project

    target = parts.resolve_part(part)
    fresh = []
    for r in rows:
        project = out / r["name"] / "hls"
        if r.get("float_only") or not project.is_dir():
            fresh.append(r)
            continue
        est = estimate_project(project, target)
        fresh.append({**r, "estimate": {
            "latency_cycles": est.latency_cycles, "latency_ns": est.latency_ns, "ii_cycles": est.ii_cycles,
            "lut": est.lut, "dsp": est.dsp,
        }})  # fmt: skip
    return fresh


def _previous_rows(path: Path, label: str, quick: bool) -> list[dict]:
    """Rows of an earlier run into the same folder on the same data and mode (kept unless rebuilt now)."""
    if not path.exists():
        return []
    old = json.loads(path.read_text())
    return list(old["rows"]) if old.get("data") == label and old.get("quick") == quick else []


def _epochs(build: Path) -> dict[str, int]:
    """Epochs each training stage ran (float, prune, qat), from the build's histories."""
    runs = {}
    for stage in ("float", "prune", "qat"):
        path = build / "models" / f"{stage}_history.json"
        if path.exists():
            hist = json.loads(path.read_text())
            runs[stage] = len(hist.get("loss", []))
    return runs


def _max_epochs(spec: dict) -> dict[str, int]:
    """Each training stage's epoch limit in the spec (float, prune, qat)."""
    return {"float": spec["train"]["epochs"], "prune": spec["prune"]["epochs"], "qat": spec["quantize"]["epochs"]}


def _epochs_text(r: dict) -> str:
    """'float/prune/qat' epochs run, a stage that ran its whole limit marked with '*'."""
    run, limit = r.get("epochs_run") or {}, r.get("max_epochs") or {}
    if not isinstance(limit, dict):  # rows written before the per-stage limits were recorded
        limit = {"float": limit}
    parts = []
    for stage in ("float", "prune", "qat"):
        n = run.get(stage)
        parts.append("-" if n is None else f"{n}{'*' if limit.get(stage) == n else ''}")
    return " / ".join(parts)


def _int(v) -> str:
    return "-" if v is None else f"{int(v):,}"


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f} %"


def _aucs(vals) -> str:
    return " / ".join("-" if v is None else f"{v:.2f}" for v in vals)


def _row_aucs(r: dict) -> str:
    """The firmware's AUCs, or the float model's marked '(float)' for a float-only row."""
    if r.get("float_only"):
        return _aucs(r.get("auc_float") or [None] * len(CLASSES)) + " (float)"
    return _aucs(r["auc_firmware"])


def table(rows: list[dict], label: str, quick: bool, part: str) -> str:
    """The markdown table: each codesign row under the paper's row of the same model and size."""
    lines = [
        f"Data: `{label}`" + (" -- QUICK MODE (few jets and epochs: not comparable to the paper)" if quick else ""),
        f"FLOPs: a multiply-add = 2 FLOPs, pruned zeros counted (codesign/flops.py). Firmware figures: codesign's "
        f"estimate for {part} at the spec's clock (not synthesis). AUC: one-vs-rest, firmware outputs, g / q / W / Z / t. "
        "Epochs: run by float training / pruning / QAT, '*' where a stage ran its spec's whole limit.",
        "",
        "| model | N | source | params | FLOPs | accuracy (float) | accuracy (firmware) | AUC g / q / W / Z / t "
        "| bit-exact | latency (est.) | II (est.) | LUT (est.) | DSP (est.) | epochs |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = PAPER.get((r["model"], r["n"]))
        if p:
            lines.append(
                f"| {r['model']} | {r['n']} | 2402.01876 | {p[0]:,} | {p[1]:,} | | {p[2]:.1f} % | {_aucs(p[3])} "
                "| | | | | | |"
            )
        e = r.get("estimate") or {}
        lat = "-" if e.get("latency_cycles") is None else f"{e['latency_cycles']} cyc ({e['latency_ns']:.0f} ns)"
        lines.append(
            f"| {r['model']} | {r['n']} | codesign | {r['params']:,} | {r['flops']:,} | {_pct(r['accuracy_float'])} "
            f"| {_pct(r['accuracy_firmware'])} | {_row_aucs(r)} | {'-' if r['bit_exact'] is None else r['bit_exact']} | {lat} "
            f"| {e.get('ii_cycles', '-')} | {_int(e.get('lut'))} | {_int(e.get('dsp'))} | {_epochs_text(r)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build every requested entry, print the table, write zoo_table.md/json."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6k jets and a few epochs (smoke run; not the paper's setup)")
    ap.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    ap.add_argument("--sizes", nargs="+", type=int, default=[8, 16, 32], choices=[8, 16, 32])
    ap.add_argument("--part", default="xcvu9p")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--reestimate", action="store_true",
                    help="build nothing: recompute the estimate of every row in --out from its hls4ml project")
    ap.add_argument("--float-only", action="store_true",
                    help="only the float training steps (no QAT, hls4ml, C-simulation or estimate): float accuracy/AUC")
    ap.add_argument("--data", type=Path, default=None,
                    help="a jets file with constituents (e.g. a larger one merged from several seeds) instead of the shipped one")
    ap.add_argument("--n-train", type=int, default=None, help="training jets (default: each spec's data.n_train)")
    ap.add_argument("--n-test", type=int, default=None, help="test jets (default: each spec's data.n_test)")
    args = ap.parse_args(argv)
    data_over = {k: v for k, v in (("n_train", args.n_train), ("n_test", args.n_test)) if v is not None}
    if args.data is not None:
        if not args.data.is_file():
            ap.error(f"--data {args.data}: no such file (accepted: a jets HDF5 file written by `codesign data jets`)")
        data_over["path"] = str(args.data.resolve())
    out = args.out or Path(tempfile.mkdtemp(prefix="zoo_table_"))
    out.mkdir(parents=True, exist_ok=True)
    label = data_label(data_over)
    rows = _previous_rows(out / "zoo_table.json", label, args.quick)
    if args.reestimate:
        rows = reestimate(rows, out, args.part)
        text = table(rows, label, args.quick, args.part)
        (out / "zoo_table.md").write_text(text)
        (out / "zoo_table.json").write_text(json.dumps({"data": label, "quick": args.quick, "rows": rows}, indent=1))
        print(text)
        return 0
    for n in args.sizes:
        for family in args.families:
            print(f"building {FAMILIES[family]} at {n} constituents ...", flush=True)
            rows = [r for r in rows if (r["model"], r["n"]) != (FAMILIES[family], n)]
            run = run_float_only if args.float_only else run_one
            row = run(family, n, args.quick, out, args.part, data_over)
            rows.append(row)
            rows.sort(key=lambda r: (r["n"], list(FAMILIES.values()).index(r["model"])))
            print(f"  done in {row['seconds']:.0f} s", flush=True)  # this row's, not the last one after sorting
            text = table(rows, label, args.quick, args.part)  # written after every row: a long run's partial table
            (out / "zoo_table.md").write_text(text)
            (out / "zoo_table.json").write_text(json.dumps({"data": label, "quick": args.quick, "rows": rows}, indent=1))
    print(text)
    print(f"wrote {out / 'zoo_table.md'} and zoo_table.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
