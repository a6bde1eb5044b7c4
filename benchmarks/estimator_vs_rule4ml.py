"""codesign's estimator (held out) against rule4ml 0.2.0 on the calibration records rule4ml can represent.

For every record of ``../shared/calibration`` (or the carried copy, or ``--calibration``), ``rule4ml_spec``
rebuilds the Keras model and the one hls4ml configuration rule4ml takes (board, strategy, reuse factor,
precision), or says why it cannot (io_stream, a part of no rule4ml board, per-layer settings no model-level one
gives, layer types rule4ml has no category for, modified hls4ml). ``rule4ml_driver.py`` runs rule4ml on those
models in rule4ml's own virtual environment (a subprocess: rule4ml pins its own TensorFlow/Keras 3 and torch);
codesign's figures for the same records come from ``estimator_accuracy.run``: each repository held out in turn,
the scale constants refitted on the others (``--shipped``: the shipped constants). Both are compared with the
records' C-synthesis reports, per record and in summary: coverage, median / 90th percentile of |relative error|
(LUT, FF, DSP, BRAM_18K) and latency within 2 cycles, every statistic weighting each repository as at most
``uncertainty.CAP_RECORDS`` records (as in estimator_accuracy.py). Two populations: records on one of rule4ml's
boards' devices, and (``+family``) also those on another device of a board's family (xc7z007s -> pynq-z2, ...),
where rule4ml is asked about its board of that family; resources are absolute counts, so that is a fair
question, but the board is one of rule4ml's inputs. Usage::

    .venv/bin/python benchmarks/estimator_vs_rule4ml.py [--rule4ml-python PATH] [--calibration DIR] [--json OUT]

rule4ml's environment (never codesign's; rule4ml is not a dependency of codesign)::

    python3 -m venv /tmp/est-rule4ml/venv
    /tmp/est-rule4ml/venv/bin/pip install rule4ml==0.2.0    # ~3 GB; install a CPU torch wheel first to skip CUDA
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import estimator_accuracy as ea  # noqa: E402
from rule4ml_spec import Unrepresentable, record_spec  # noqa: E402

from codesign.estimate.calibration_set import load_records  # noqa: E402

DEFAULT_PYTHON = Path(os.environ.get("RULE4ML_PYTHON", "/tmp/est-rule4ml/venv/bin/python"))
VENV_HINT = "python3 -m venv /tmp/est-rule4ml/venv && /tmp/est-rule4ml/venv/bin/pip install rule4ml==0.2.0"
KEYS = ("LUT", "FF", "DSP", "BRAM_18K", "latency_max_cycles", "interval_max")
WHO = ("codesign", "rule4ml", "rule4ml_result_prec")
POPULATIONS = (("rule4ml board device", ("exact",)), ("+ same family", ("exact", "family")))


def specs_for(recs: list[dict]) -> tuple[dict[str, dict], dict[str, str]]:
    """Spec per representable record id (``match``: exact or family) and the reason for every other record."""
    specs, why = {}, {}
    for rec in recs:
        try:
            spec = record_spec(rec)
            spec["match"] = "exact"
        except Unrepresentable as exc:
            try:
                spec = record_spec(rec, same_family=True)
                spec["match"] = "family"
            except Unrepresentable as exc2:
                # the reason that stops it once the part is accepted by family (else the part itself)
                why[rec["id"]] = str(exc if str(exc2).startswith("part ") else exc2)
                continue
        specs[rec["id"]] = spec
    return specs, why


def driver_env() -> dict[str, str]:
    """This environment less what codesign's own Keras set-up puts in it (tf-keras, our PYTHONPATH)."""
    return {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS", "PYTHONPATH", "KERAS_BACKEND")}


def run_rule4ml(python: Path, specs: list[dict], timeout: float = 1800) -> dict:
    """rule4ml_driver.py in rule4ml's interpreter (a clean environment); RuntimeError with its stderr if it fails."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"specs": specs}, fh)
        path = fh.name
    try:
        proc = subprocess.run([str(python), str(HERE / "rule4ml_driver.py"), path], capture_output=True, text=True,
                              timeout=timeout, check=False, env=driver_env())  # fmt: skip
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise RuntimeError(f"{python} rule4ml_driver.py exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _rounded(pred: dict) -> dict:
    """rule4ml's cycle predictions are real numbers: round them as an estimate of cycles would be."""
    out = {k: pred.get(k) for k in KEYS}
    for k in ("latency_max_cycles", "interval_max"):
        if out[k] is not None:
            out[k] = round(out[k])
    return out


def compare(recs: list[dict], specs: dict[str, dict], r4: dict[str, dict], held_out: dict[str, dict]) -> list[dict]:
    """Per represented record: actual, codesign (held out) and rule4ml figures."""
    rows = []
    for rec in recs:
        spec = specs.get(rec["id"])
        if spec is None:
            continue
        r, alt = r4.get(rec["id"], {}), r4.get(rec["id"] + "#result", {})
        rows.append({
            "id": rec["id"], "repo": rec["repo"], "match": spec["match"], "board": spec["hls_config"]["board"],
            "part": rec.get("part"), "hls_config": spec["hls_config"], "other_types": spec["other_types"],
            "versions": spec["versions"], "notes": spec["notes"],
            "act": {k: rec.get(k) for k in KEYS},
            "codesign": {k: held_out[rec["id"]].get(k) for k in KEYS},
            "rule4ml": _rounded(r) if "error" not in r else {k: None for k in KEYS},
            "rule4ml_result_prec": _rounded(alt) if "error" not in alt else {k: None for k in KEYS},
            "rule4ml_error": r.get("error") or alt.get("error"), "rule4ml_pct": r.get("pct"),
        })  # fmt: skip
    return rows


def summary(rows: list[dict]) -> dict:
    """Per population and estimator: estimator_accuracy.figures (repository-capped median / p90, coverage)."""
    out = {}
    for label, matches in POPULATIONS:
        sel = [r for r in rows if r["match"] in matches]
        if not sel:
            continue
        out[label] = {
            who: ea.figures([{"repo": r["repo"], "pred": r[who], "act": r["act"]} for r in sel])
            for who in WHO
        }
    return out


def _f(x, cyc: bool = False) -> str:
    if x is None:
        return "     -"
    return f"{x:6.0f}" if cyc else f"{100 * x:5.0f}%"


def print_report(rows: list[dict], why: dict[str, str], summ: dict, n_records: int, meta: str) -> None:
    """Per-record table and the side-by-side summary."""
    print(f"{n_records} records; rule4ml can represent {len(rows)} ({meta}).\n")
    print("per record: actual / codesign (held out) / rule4ml (weight precision) / rule4ml (result precision)")
    head = f"{'record':50s} {'board':10s} {'LUT':>31s} {'FF':>31s} {'DSP':>23s} {'BRAM':>19s} {'latency':>23s}"
    print(head)
    for r in rows:
        cells = []
        for k, w in (("LUT", 7), ("FF", 7), ("DSP", 5), ("BRAM_18K", 4), ("latency_max_cycles", 5)):
            vals = [r["act"][k], r["codesign"][k], r["rule4ml"][k], r["rule4ml_result_prec"][k]]
            cells.append("/".join("-".rjust(w) if v is None else f"{v:{w}.0f}" for v in vals))
        tag = r["board"] + ("*" if r["match"] == "family" else "")
        print(f"{r['id'][:50]:50s} {tag:10s} " + " ".join(cells))
        for note in r["notes"]:
            print(f"    {note}")
        if r["rule4ml_error"]:
            print(f"    rule4ml refused: {r['rule4ml_error']}")
    print("  (* a device of the board's family, not the board's own)\n")
    print(f"summary, repository-capped (each repository as at most {ea.CAP} records): median/p90 |relative error|,")
    print("latency within 2 cycles and median/p90 |error| in cycles, coverage = records the estimator gave figures for\n")
    print(f"{'population':24s} {'estimator':19s} {'n':>3s} {'rep':>3s} {'cov':>6s}  {'LUT':13s} {'FF':13s} {'DSP':13s} "
          f"{'BRAM':13s} {'lat<=2':>6s} {'lat med/p90':>13s}")  # fmt: skip
    for label, by in summ.items():
        for who, f in by.items():
            res = " ".join(f"{_f(f[f'{k}_med'])}/{_f(f[f'{k}_p90'])}" for k in ("LUT", "FF", "DSP", "BRAM_18K"))
            lat = f"{_f(f['latency_max_cycles_med'], True)}/{_f(f['latency_max_cycles_p90'], True)}"
            print(f"{label:24s} {who:19s} {f['n']:3d} {f['repos']:3d} {_f(f['coverage'])}  {res} "
                  f"{_f(f['lat_within2'])} {lat}")  # fmt: skip
    reasons: dict[str, int] = {}
    for r in why.values():
        key = r.split(":")[0] if r.startswith(("part ", "io_type", "reuse factors")) else r
        key = "part of no rule4ml board family" if key.startswith("part ") else key
        reasons[key] = reasons.get(key, 0) + 1
    print("\nnot representable for rule4ml (records):")
    for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  {v:4d}  {k[:110]}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rule4ml-python", type=Path, default=DEFAULT_PYTHON, help="python of rule4ml's venv")
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl [and raw/]")
    ap.add_argument("--shipped", action="store_true", help="codesign with its shipped constants (no refit)")
    ap.add_argument("--json", type=Path, help="write the per-record rows and the summary here")
    args = ap.parse_args(argv)
    if not args.rule4ml_python.exists():
        print(f"rule4ml's python not found: {args.rule4ml_python}\ncreate that environment (not codesign's) with:\n"
              f"    {VENV_HINT}\nor name another with --rule4ml-python PATH", file=sys.stderr)  # fmt: skip
        return 2
    calib = ea.calibration_folder(args.calibration)
    if calib is None:
        return 2
    recs = load_records(calib)
    specs, why = specs_for(recs)
    # rule4ml's one precision: the weight type, and (id suffix #result) the first kernel's result type
    alt = [{**s, "id": s["id"] + "#result", "hls_config": {**s["hls_config"], "model": {
        **s["hls_config"]["model"], "precision": s["result_precision"]}}} for s in specs.values()]  # fmt: skip
    try:
        out = run_rule4ml(args.rule4ml_python, list(specs.values()) + alt)
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as exc:
        print(f"rule4ml failed: {exc}", file=sys.stderr)
        return 5
    r4 = {p["id"]: p for p in out["predictions"]}
    cv = ea.run(calib, do_refit=not args.shipped, with_layers=(calib / "raw").is_dir())
    held_out = {r["id"]: r["pred"] for r in cv["results"]}
    rows = compare(recs, specs, r4, held_out)
    summ = summary(rows)
    mode = "codesign: shipped constants" if args.shipped else "codesign: scale constants refitted without the record's repository"
    print_report(rows, why, summ, len(recs), f"rule4ml {out['rule4ml_version']}; {mode}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "summary": summ, "not_representable": why}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
