"""Where the interaction network at 32 constituents loses its accuracy in pruning: pruning settings on one float model.

Reads a finished build folder of ``models/jet_in_32.yaml`` (its ``models/float.h5`` and ``report.json``), prunes the
float model with each variant through ``codesign.prune.prune`` (the build's prune step: same data, schedule and
fine-tune; no QAT, no firmware) and prints the pruned model's accuracy on the build's test jets. Each variant is
``NAME:KEY=VALUE,...`` with keys ``sparsity``, ``epochs`` (``prune.*``), a prunable layer's name (its
``prune.layers`` target; the spec's own ``prune.layers`` are kept unless the variant names a layer or gives
``layers=none``, which empties them) and ``lr`` (the fine-tune's learning rate in place of ``train.learning_rate``: a screening
knob, not a spec key). ``--one-shot`` instead zeroes each layer's smallest half alone, without fine-tuning.

LUT (rough): the build's per-layer estimate with each prunable layer scaled by its kept fraction (its products
grow about linearly with the non-zero weights); the other layers as built. Build the chosen variant for the real
figure.

    python benchmarks/in32_prune.py BUILD_DIR shipped: before:layers=none,sparsity=0.5,epochs=6
    python benchmarks/in32_prune.py BUILD_DIR --one-shot
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SPEC = Path(__file__).resolve().parent.parent / "models" / "jet_in_32.yaml"
PRUNE_KEYS = {"sparsity": float, "epochs": int}


def parse_variant(text: str) -> tuple[str, dict, dict[str, float], float | None]:
    """``NAME:KEY=VALUE,...`` -> (name, prune-spec updates, per-layer targets, learning rate or None)."""
    name, sep, body = text.partition(":")
    if not name or not sep:
        raise SystemExit(f"variant {text!r}: expected NAME:KEY=VALUE,... (an empty body keeps the spec's prune)")
    updates, layers, lr = {}, {}, None
    for item in filter(None, body.split(",")):
        key, eq, value = item.partition("=")
        try:
            if not eq:
                raise ValueError
            if key == "layers" and value == "none":
                updates["layers"] = {}
            elif key == "lr":
                lr = float(value)
            elif key in PRUNE_KEYS:
                updates[key] = PRUNE_KEYS[key](value)
            else:
                layers[key] = float(value)
        except ValueError:
            raise SystemExit(f"variant {text!r}: {item!r} is not KEY=NUMBER (keys: sparsity, epochs, lr, "
                             "layers=none or a prunable layer's name)") from None  # fmt: skip
    if layers:
        updates["layers"] = layers
    return name, updates, layers, lr


def scaled_lut(report: dict, targets: dict[str, float]) -> int:
    """The build's LUT estimate with each prunable layer scaled from its built sparsity to its target."""
    built = report["sparsity"]["quantized"]["layers"]
    total = 0.0
    for layer in report["estimate"]["per_layer"]:
        name, lut = layer["name"], float(layer["lut"])
        if name in targets:
            lut *= (1.0 - targets[name]) / max(1e-9, 1.0 - built[name])
        total += lut
    return round(total)


def main() -> None:
    """Prune the build's float model with each variant and print its test accuracy and rough LUT."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", type=Path, help="a finished build folder of the spec (models/float.h5, report.json)")
    ap.add_argument("variants", nargs="*", help="NAME:KEY=VALUE,... (see the module docstring)")
    ap.add_argument("--spec", type=Path, default=SPEC)
    ap.add_argument("--one-shot", action="store_true", help="each layer's smallest half zeroed alone, no fine-tune")
    args = ap.parse_args()
    parsed = [parse_variant(v) for v in args.variants]  # refused before TensorFlow loads

    from codesign import modelio
    from codesign import prune as pr
    from codesign.datasets import load_dataset
    from codesign.parts import resolve_part
    from codesign.spec import load_spec

    spec = load_spec(args.spec)
    report = json.loads((args.build / "report.json").read_text())
    data = load_dataset(spec.data, spec.model.family, spec.quantize.input)
    truth = np.argmax(data.y_test, axis=1)
    model = modelio.load_model(args.build / "models" / "float.h5")
    lut_part = resolve_part("xcvu9p").lut

    def accuracy(m) -> float:
        return float(np.mean(np.argmax(m.predict(data.x_test, batch_size=2048, verbose=0), axis=1) == truth))

    print(f"float model of {args.build}: test accuracy {100 * accuracy(model):.2f} % ({len(truth)} jets)")
    names = pr.prunable_layers(model)
    if args.one_shot:
        original = {n: model.get_layer(n).get_weights() for n in names}
        for which in [*names, "all"]:
            for n in names:
                weights = [w.copy() for w in original[n]]
                if which in (n, "all"):
                    kernel = weights[0]
                    kernel[np.abs(kernel) <= np.quantile(np.abs(kernel), 0.5)] = 0
                model.get_layer(n).set_weights(weights)
            print(f"one-shot 50 % of {which}: {100 * accuracy(model):.2f} %", flush=True)
        return
    print(
        "| variant | prune | fine-tune rate | pruned accuracy | sparsity (total) | LUT (rough, % of xcvu9p) | seconds |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, updates, _layers, lr in parsed:
        prune_spec = spec.prune.model_copy(update=updates)
        train = spec.train if lr is None else spec.train.model_copy(update={"learning_rate": lr})
        t0 = time.perf_counter()
        pruned = pr.prune(model, data, prune_spec, train).model
        targets = pr.layer_targets(model, prune_spec)
        lut = scaled_lut(report, targets)
        shown = {"sparsity": prune_spec.sparsity, "epochs": prune_spec.epochs, "layers": dict(prune_spec.layers)}
        print(f"| {name} | {shown} | {train.learning_rate:g} | {100 * accuracy(pruned):.2f} % | "
              f"{pr.sparsity(pruned)['total']:.3f} | {lut:,} ({100 * lut / lut_part:.0f} %) | "
              f"{time.perf_counter() - t0:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
