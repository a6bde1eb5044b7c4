"""Where does an anomaly build lose its tail? Stage by stage and layer by layer, on a finished build folder.

1. Stages: each stage's TPR at the FPR with its own threshold (as report.json), the FPR that threshold reached, and
   per signal event which step (float -> pruned -> quantized -> firmware) first dropped it below its stage's
   threshold (and which step first lifted an event above it): the loss is attributed to a step, not guessed.
2. Layers: the firmware's fixed-point values on each process's events alone (codesign's emulator of the build's
   types, held bit for bit to the C-simulation by the build; ``--trace`` uses hls4ml's per-layer trace of the
   firmware itself, as ``codesign check --trace`` does): per layer and quantity (a Dense's accumulator and result,
   a ReLU's input against its quantized_relu cap, the score's input/accumulator/result) the largest magnitude seen
   on the background and on the signal, against the type's limit, and how many values the type clips.
3. The float model's ReLU maxima on the signal against the quantized caps (would the float activations be clipped).

Usage: ``python benchmarks/tail_stages.py BUILD_DIR [--signal ato4l] [--fpr 1e-3] [--trace]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

STAGES = ("float", "pruned", "quantized", "firmware")


def _stage_scores(build: Path, spec, data) -> dict[str, dict[str, np.ndarray]]:
    """{stage: {process: score}}: the float formula on the Keras stages, the C-simulated score for the firmware."""
    from codesign import modelio, zoo

    names = ["background", *data.signals]
    xs = [data.x_test, *data.signals.values()]
    out: dict[str, dict[str, np.ndarray]] = {}
    for stage in STAGES[:3]:
        path = build / "models" / f"{stage}.h5"
        if not path.is_file():
            continue
        scored = zoo.score_model(modelio.load_model(path), spec.anomaly_score)
        out[stage] = {n: np.asarray(scored.predict(x, batch_size=4096, verbose=0)).reshape(-1) for n, x in zip(names, xs, strict=True)}
    z = np.load(build / "csim" / "csim_results.npz")
    fw, start = z["testbench"].reshape(len(z["testbench"]), -1)[:, 0], 0
    if not np.array_equal(z["inputs"][: len(data.x_test)], data.x_test):
        raise SystemExit("the build's C-simulated inputs are not this spec's test set: rebuild the folder")
    out["firmware"] = {}
    for n, x in zip(names, xs, strict=True):
        out["firmware"][n] = fw[start : start + len(x)]
        start += len(x)
    return out


def stage_table(scores: dict, weights, signal: str, fprs: list[float]) -> None:
    """Per stage and FPR: TPR, threshold, reached FPR; then the per-event attribution at the first FPR."""
    from codesign import metrics

    print(f"\n## Stages ({signal}; weighted background, effective size {metrics.effective_count(weights, len(scores['float']['background'])):.0f})")
    print("| stage | FPR | TPR | events passing | threshold | reached FPR |\n|---|---|---|---|---|---|")
    passing = {}
    for stage, s in scores.items():
        for f in fprs:
            thr, resolved = metrics.threshold_at_fpr(s["background"], f, weights)
            sel = s[signal] > thr
            reached = metrics.fraction_above(s["background"], thr, weights)
            print(f"| {stage} | {f:g} | {sel.mean():.4f} | {int(sel.sum())} / {len(sel)} | {thr:.6g} | {reached:.3g}"
                  f"{'' if resolved else ' (not resolved)'} |")  # fmt: skip
            if f == fprs[0]:
                passing[stage] = sel
    stages = list(passing)
    print(f"\nPer event at FPR {fprs[0]:g} (each stage at its own threshold): events lost / gained at each step")
    for a, b in zip(stages, stages[1:], strict=False):
        lost, gained = passing[a] & ~passing[b], ~passing[a] & passing[b]
        print(f"- {a} -> {b}: lost {int(lost.sum())}, gained {int(gained.sum())}, net {int(gained.sum() - lost.sum())}")
    if len(stages) > 1:
        a, b = stages[0], stages[-1]
        print(f"- {a} -> {b} overall: lost {int((passing[a] & ~passing[b]).sum())}, "
              f"gained {int((~passing[a] & passing[b]).sum())}")  # fmt: skip


def _rows_from_trace(build: Path, x: np.ndarray, types: dict) -> dict[tuple[str, str], tuple[float, float, int]]:
    """{(layer, 'result'): (max |value|, type limit, values at the limit)} from hls4ml's trace of the firmware."""
    from codesign import hls, modelio
    from codesign.precision import FixedPrecision

    traced = hls.build_trace(build / "hls", modelio.load_model(build / "models" / "converted.h5"),
                             Path("/tmp") / f"tail_trace_{build.name}").trace(x)  # fmt: skip
    out = {}
    for name in traced.order:
        t = (types.get(name) or {}).get("result")
        if t is None:
            continue
        p = FixedPrecision.parse(t)
        v = traced.outputs[name]
        lim = max(abs(p.min_value), p.max_value)
        out[(name, "result")] = (float(np.abs(v).max()), lim, int(np.sum((v >= p.max_value) | (v <= p.min_value if p.signed else False))))
    return out


def _rows_from_profile(build: Path, x: np.ndarray) -> dict[tuple[str, str], tuple[float, float, int]]:
    """{(layer, quantity): (max |value|, type limit, values outside the type)} from codesign's overflow profile."""
    from codesign.firmware import profile
    from codesign.firmware.description import FILE_NAME, FirmwareDescription

    desc = FirmwareDescription.load(build / "hls" / FILE_NAME)
    out = {}
    for r in profile.profile(desc, x):
        out[(r.layer, r.quantity)] = (max(abs(r.observed_min), abs(r.observed_max)), max(abs(r.type_min), r.type_max),
                                      r.n_overflow)  # fmt: skip
    return out


def layer_table(build: Path, data, signal: str, trace: bool, types: dict) -> None:
    """Per layer: the largest magnitude on the background and on the signal against the type's limit."""
    rows = {}
    for name, x in (("background", data.x_test), (signal, data.signals[signal])):
        rows[name] = _rows_from_trace(build, x, types) if trace else _rows_from_profile(build, x)
    how = "hls4ml trace of the firmware: values at the type's limit" if trace else "emulator: values outside the type"
    print(f"\n## Layers ({how})")
    print(f"| layer | quantity | type limit | max background | max {signal} | clipped background | clipped {signal} |")
    print("|---|---|---|---|---|---|---|")
    for key, (top_b, lim, n_b) in rows["background"].items():
        top_s, _, n_s = rows[signal].get(key, (float("nan"), lim, 0))
        print(f"| {key[0]} | {key[1]} | {lim:.6g} | {top_b:.4g} | {top_s:.4g} | {n_b} | {n_s} |")


def float_relu_table(build: Path, data, signal: str, types: dict) -> None:
    """The float model's ReLU maxima per process against the firmware's ReLU caps (their result types' maxima; a
    ReLU fused into a Dense is hls4ml's ``<dense>_relu``)."""
    from codesign import act_range, modelio
    from codesign.precision import FixedPrecision

    model = modelio.load_model(build / "models" / "float.h5")
    caps = {}
    for name in act_range.relu_layers(model):
        t = (types.get(name) or types.get(f"{name}_relu") or {}).get("result")
        caps[name] = FixedPrecision.parse(t).max_value if t else float("nan")
    top_b = act_range.activation_maxima(model, data.x_test)
    top_s = act_range.activation_maxima(model, data.signals[signal])
    print("\n## Float model's ReLUs against the quantized caps")
    print(f"| ReLU | cap | max background | max {signal} |\n|---|---|---|---|")
    for name in top_b:
        print(f"| {name} | {caps.get(name, float('nan')):.4g} | {top_b[name]:.4g} | {top_s[name]:.4g} |")


def main() -> None:
    """Print the three tables for one build folder."""
    from codesign.api import load_any_spec
    from codesign.datasets import load_dataset
    from codesign.metrics_stages import event_weights
    from codesign.precision import FixedPrecision

    ap = argparse.ArgumentParser()
    ap.add_argument("build", type=Path)
    ap.add_argument("--signal", default="ato4l")
    ap.add_argument("--fpr", default="1e-3,1e-4")
    ap.add_argument("--trace", action="store_true", help="per-layer values from hls4ml's trace of the firmware")
    args = ap.parse_args()
    report = json.loads((args.build / "report.json").read_text())
    spec = load_any_spec(report["spec"])
    precision = spec.quantize.input if spec.quantize is not None else FixedPrecision.parse("ap_fixed<16,6>")
    data = load_dataset(spec.data, spec.model.family, precision)
    weights, _ = event_weights(data)
    scores = _stage_scores(args.build, spec, data)
    stage_table(scores, weights, args.signal, [float(f) for f in args.fpr.split(",")])
    layer_table(args.build, data, args.signal, args.trace, report["project"]["layer_precisions"])
    float_relu_table(args.build, data, args.signal, report["project"]["layer_precisions"])


if __name__ == "__main__":
    main()
