"""The estimator against hls4ml's own C-synthesis baselines: a held-out check on designs it never saw.

hls4ml keeps the C-synthesis reports of its own test models in ``test/pytest/baselines/<tool>/<version>/*.json``
(fastmachinelearning/hls4ml). ``benchmarks/data/hls4ml_baselines.json`` carries the figures of 52 of them
(Vivado HLS 2020.1, Vitis HLS 2023.1 and 2024.1), each with its path, the commit it was read at and the test
model it belongs to. This script rebuilds each test's model as ``test/pytest/test_keras_api.py``
builds it (hls4ml's default configuration, written by :func:`codesign.hls.write_stock_project`: no compile, no
synthesis), estimates the project with the baseline's part (xcvu13p-flga2577-2-e), clock (5 ns) and tool version (with
``--cli-equivalent`` the version is left unknown, as ``codesign estimate PROJECT_DIR --part P`` leaves it),
and prints predicted against reported per baseline, then medians / p90 of the relative error, the share of latency
within 2 cycles, per tool x io_type and per model kind. No constant is fitted here: every figure is held out.

The tests' weights are random and not seeded (``lecun_uniform``, ``normal``, ``RandomUniform(1, 10)``); here they
are seeded (``--seed``), so products that hls4ml's run turned into shifts or zeros may differ. The test file's
models are read from hls4ml's ``test_keras_api.py`` of 2025 (pooling on (18, 15, 3) / (121, 3) inputs, the
depthwise tests at ``fixed<32,12>`` / the default precision); the baselines' register counts (pooling: the input
bits + 2) agree with these shapes.
Usage::

    .venv/bin/python benchmarks/hls4ml_baselines.py [--work /tmp/hls4ml_baselines] [--seed 0] [--json OUT]
        [--cli-equivalent]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesign import hls  # noqa: E402  (sets up Keras before it is imported below)
from codesign.estimate.network import estimate_settings  # noqa: E402
from codesign.estimate.settings import read_project  # noqa: E402
from codesign.parts import resolve_part  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "hls4ml_baselines.json"
PART = "xcvu13p-flga2577-2-e"
FIGURES = (
    ("latency", "WorstLatency", "latency_cycles"),
    ("ii", "IntervalMax", "ii_cycles"),
    ("LUT", "LUT", "lut"),
    ("FF", "FF", "ff"),
    ("DSP", "DSP", "dsp"),
    ("BRAM", "BRAM_18K", "bram_18k"),
)


def _keras():
    import keras

    return keras


KINDS = ("activations", "dense", "conv2d", "depthwise1d", "depthwise2d", "pooling")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "prelu", "sigmoid")
POOLING = ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")


def test_case(base: dict[str, Any]) -> dict[str, Any]:
    """The test a baseline belongs to (its ``test`` entry), checked: model kind, io_type, strategy, layer, padding."""
    case = dict(base.get("test") or {})
    where = f"{DATA}: baseline {base.get('name')!r}, key test"
    if case.get("kind") not in KINDS:
        raise ValueError(f"{where}.kind {case.get('kind')!r}: accepted are {', '.join(KINDS)}")
    if case.get("io_type") not in ("io_parallel", "io_stream"):
        raise ValueError(f"{where}.io_type {case.get('io_type')!r}: accepted are io_parallel, io_stream")
    allowed = {"activations": ACTIVATIONS, "pooling": POOLING}.get(case["kind"])
    if allowed and case.get("layer") not in allowed:
        raise ValueError(f"{where}.layer {case.get('layer')!r}: accepted are {', '.join(allowed)}")
    if case["kind"] in ("conv2d", "pooling") and case.get("padding") not in ("same", "valid"):
        raise ValueError(f"{where}.padding {case.get('padding')!r}: accepted are same, valid")
    return case


def build_model(case: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The test's Keras model and the extra hls4ml config arguments it used."""
    keras = _keras()
    L = keras.layers
    kind, extra = case["kind"], {}
    if kind == "dense":
        inp = keras.Input((1,))
        init = keras.initializers.RandomUniform(minval=1, maxval=10)
        x = L.Dense(2, name="Dense", kernel_initializer=init, bias_initializer="zeros")(inp)
        out = L.Activation("elu", name="Activation")(x)
    elif kind == "activations":
        inp = keras.Input((1,))
        x = L.Dense(64, name="Dense", kernel_initializer="lecun_uniform")(inp)
        act = {
            "relu": lambda: L.Activation("relu", name="relu"),
            "leaky_relu": lambda: L.LeakyReLU(alpha=1.0),
            "elu": lambda: L.ELU(alpha=1.0),
            "prelu": lambda: L.PReLU(alpha_initializer="zeros"),
            "sigmoid": lambda: L.Activation("sigmoid", name="sigmoid"),
        }[case["layer"]]
        out = act()(x)
    elif kind == "conv2d":
        inp = keras.Input((28, 28, 3))
        out = L.Conv2D(
            32, (4, 4), strides=(4, 4), padding=case["padding"], kernel_initializer="normal", use_bias=False
        )(inp)
    elif kind == "depthwise2d":
        inp = keras.Input((32, 32, 3))
        out = L.DepthwiseConv2D(kernel_size=(3, 3))(inp)
        extra = {"granularity": "name", "default_precision": "fixed<32,12>"}
    elif kind == "depthwise1d":
        inp = keras.Input((32, 3))
        out = L.DepthwiseConv1D(kernel_size=3)(inp)
        extra = {"granularity": "name"}
    else:  # pooling
        two_d = "2D" in case["layer"]
        inp = keras.Input((18, 15, 3) if two_d else (121, 3))
        out = getattr(L, case["layer"])(padding=case["padding"])(inp)
    return keras.Model(inp, out), extra


def run_one(base: dict[str, Any], work: Path, seed: int, tool_version: bool = True) -> dict[str, Any]:
    """Build one baseline's project and estimate it: the row of the table (or the reason it has none)."""
    case = test_case(base)
    row: dict[str, Any] = {"name": base["name"], "tool": base["tool"], "version": base["tool_version"], **case}
    _keras().utils.set_random_seed(seed)
    model, extra = build_model(case)
    out = work / base["tool"] / base["tool_version"] / base["name"]
    hls.write_stock_project(
        model,
        out,
        backend=base["tool"],
        io_type=case["io_type"],
        part=PART,
        clock_ns=base["target_clock_ns"],
        strategy=case["strategy"],
        **extra,
    )
    settings = read_project(out)
    if tool_version:
        # a project does not say which tool version synthesises it; the baseline does (the CLI leaves it unknown)
        settings["hls_tool_version"] = base["tool_version"]
    try:
        est = estimate_settings(settings, resolve_part(PART))
    except Exception as exc:  # noqa: BLE001 - a refusal is a result of this check: reported, not hidden
        row["error"] = f"{type(exc).__name__}: {exc}"
        return row
    row["declined"] = list(est.declined)
    for label, key, attr in FIGURES:
        row[label] = (getattr(est, attr), base[key])
    row["latency_best"] = base["BestLatency"]
    return row


def _rel(pred: int | None, rep: int) -> float | None:
    if pred is None:
        return None
    if rep == 0:
        return 0.0 if pred == 0 else None
    return abs(pred - rep) / rep


def _p90(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Median / p90 relative error per figure, latency within 2 cycles, DSP/BRAM exact (rows with figures only)."""
    ok = [r for r in rows if "error" not in r and r["latency"][0] is not None]
    out: dict[str, Any] = {"n": len(rows), "estimated": len(ok)}
    for label, _, _ in FIGURES:
        rel = [x for x in (_rel(*r[label]) for r in ok) if x is not None]
        out[label] = {
            "median": statistics.median(rel) if rel else None,
            "p90": _p90(rel) if rel else None,
            "n": len(rel),
            "zero_reported": sum(1 for r in ok if r[label][1] == 0),
        }
    lat = [abs(r["latency"][0] - r["latency"][1]) for r in ok]
    out["latency_within_2"] = sum(d <= 2 for d in lat) / len(lat) if lat else None
    out["ii_exact"] = sum(r["ii"][0] == r["ii"][1] for r in ok) / len(ok) if ok else None
    return out


def _fmt(v: Any) -> str:
    return "-" if v is None else str(v)


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per baseline, predicted/reported per figure."""
    head = f"{'tool':6} {'io':11} {'strategy':8} {'model':24}" + "".join(f" {lab:>15}" for lab, _, _ in FIGURES)
    print(head)
    for r in rows:
        model = r["kind"] + ("/" + r["layer"] if "layer" in r else "") + ("/" + r["padding"] if "padding" in r else "")
        lead = f"{r['tool']:6} {r['io_type']:11} {_fmt(r['strategy']):8} {model:24}"
        if "error" in r:
            print(lead + "  refused: " + r["error"])
            continue
        print(lead + "".join(f" {_fmt(r[lab][0]) + '/' + _fmt(r[lab][1]):>15}" for lab, _, _ in FIGURES))
        if r["declined"]:
            print(" " * 52 + "declined: " + "; ".join(r["declined"]))


def print_summary(title: str, s: dict[str, Any]) -> None:
    """The summary figures of one group."""
    parts = [f"{title}: {s['estimated']}/{s['n']} estimated"]
    if s["latency_within_2"] is not None:
        parts.append(f"latency within 2 cycles {s['latency_within_2']:.0%}, II exact {s['ii_exact']:.0%}")
    for label, _, _ in FIGURES:
        f = s[label]
        if f["median"] is not None:
            parts.append(f"{label} median {f['median']:.0%} p90 {f['p90']:.0%} (n={f['n']})")
    print("  " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    """Build, estimate and tabulate every baseline in the data file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/hls4ml_baselines"), help="where the projects are written")
    ap.add_argument("--seed", type=int, default=0, help="weight seed (hls4ml's tests do not seed theirs)")
    ap.add_argument("--json", type=Path, help="write the rows and summaries as JSON here")
    ap.add_argument(
        "--cli-equivalent",
        action="store_true",
        help="leave the tool version unknown, as `codesign estimate PROJECT_DIR --part P` does",
    )
    args = ap.parse_args(argv)
    data = json.loads(DATA.read_text())
    rows = [run_one(b, args.work, args.seed, not args.cli_equivalent) for b in data["baselines"]]
    print("predicted/reported (latency = WorstLatency, ii = IntervalMax, cycles at 5 ns; part " + PART + ")")
    print_table(rows)
    print("\nrelative error |pred - rep| / rep (a figure reported as 0 counts only when predicted 0 too)")
    summaries = {"all": summary(rows)}
    print_summary("all", summaries["all"])
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(f"{r['tool']} {r['version']} {r['io_type']}", []).append(r)
        groups.setdefault(f"model {r['kind']}", []).append(r)
    for key in sorted(groups):
        summaries[key] = summary(groups[key])
        print_summary(key, summaries[key])
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "summaries": summaries}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
