"""Run rule4ml on layer descriptions; runs in rule4ml's own environment, never in codesign's.

Reads ``{"specs": [...]}`` (the output of ``rule4ml_spec.record_spec``) from the file named as the first argument
(or stdin), builds each Keras model with the Keras of this environment, asks rule4ml's pre-trained estimators for
its figures and prints one JSON list: per spec ``{id, board, pct: {...}, LUT, FF, DSP, BRAM_18K,
latency_max_cycles, interval_max}`` (rule4ml 0.2.0's default estimators: its v2 graph networks, absolute counts),
or ``{id, error}`` when rule4ml refused that model. Imports nothing from codesign.
Usage::

    /tmp/est-rule4ml/venv/bin/python benchmarks/rule4ml_driver.py SPECS.json
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: rule4ml 0.2.0 output column (absolute counts; ``"LUT (%)"`` beside each is the percentage of the board) -> ours
COLUMNS = {
    "LUT": "LUT",
    "FF": "FF",
    "DSP": "DSP",
    "BRAM": "BRAM_18K",
    "CYCLES": "latency_max_cycles",
    "INTERVAL": "interval_max",
}


def build_keras(spec: dict, keras):
    """The Keras model a spec describes, built with the given ``keras`` module (Keras 2 or 3)."""
    L = keras.layers
    inp = keras.Input(shape=tuple(spec["input_shape"]), name="input_1")
    x = inp
    for i, layer in enumerate(spec["layers"]):
        cls, name = layer["class"], f"l{i}_{layer['class'].lower()}"
        if cls == "Dense":
            x = L.Dense(layer["units"], name=name)(x)
        elif cls == "Conv2D":
            x = L.Conv2D(layer["filters"], tuple(layer["kernel_size"]), strides=tuple(layer["strides"]),
                         padding=layer["padding"], name=name)(x)  # fmt: skip
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            x = getattr(L, cls)(pool_size=tuple(layer["pool_size"]), strides=tuple(layer["strides"]), name=name)(x)
        elif cls == "Activation":
            x = L.Activation(layer["activation"], name=name)(x)
        elif cls == "BatchNormalization":
            x = L.BatchNormalization(name=name)(x)
        elif cls == "Flatten":
            x = L.Flatten(name=name)(x)
        else:
            raise ValueError(f"layer class {cls} unknown to the driver")
    return keras.Model(inp, x, name="model")


def predict(specs: list[dict]) -> list[dict]:
    """rule4ml's figures for each spec (and its percentages of the board), or the error it raised."""
    import keras
    from rule4ml.models.wrappers import MultiModelWrapper

    wrapper = MultiModelWrapper()
    with contextlib.redirect_stdout(io.StringIO()):
        wrapper.load_default_models()
    out = []
    for spec in specs:
        row: dict = {"id": spec["id"], "board": spec["hls_config"]["board"]}
        try:
            model = build_keras(spec, keras)
            model.build((None, *spec["input_shape"]))
            with contextlib.redirect_stdout(io.StringIO()):
                df = wrapper.predict([model], hls_configs=[json.loads(json.dumps(spec["hls_config"]))],
                                     hls4ml_versions=[spec["versions"]["hls4ml"]],
                                     vivado_versions=[spec["versions"]["vivado"]], verbose=0)  # fmt: skip
            recs = df.to_dict(orient="records")
            if len(recs) != 1:
                raise RuntimeError(f"rule4ml returned {len(recs)} rows for one model and configuration")
        except Exception as exc:  # noqa: BLE001 - rule4ml's refusal is a result: reported per model
            row["error"] = f"{type(exc).__name__}: {exc}"[:300]
            out.append(row)
            continue
        row["pct"] = {}
        for name, value in recs[0].items():
            head, _, tail = str(name).partition(" ")
            key = COLUMNS.get(head.upper())
            if key is None or value is None:
                continue
            if tail == "(%)":
                row["pct"][key] = float(value)
            elif not tail:
                row[key] = float(value)
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: specs JSON in, predictions JSON out."""
    argv = sys.argv[1:] if argv is None else argv
    text = open(argv[0]).read() if argv else sys.stdin.read()
    specs = json.loads(text)["specs"]
    rows = predict(specs)
    import rule4ml

    print(json.dumps({"rule4ml_version": getattr(rule4ml, "__version__", "?"), "predictions": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
