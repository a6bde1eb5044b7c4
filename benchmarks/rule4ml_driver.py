"""Run rule4ml on layer descriptions; runs in rule4ml's own environment, never in codesign's.

Reads ``{"specs": [...]}`` (the output of ``rule4ml_spec.record_spec``) from the file named as the first argument
(or stdin), builds each Keras model with the Keras of this environment, asks rule4ml's pre-trained estimators for
its figures and prints one JSON list: per spec ``{id, board, pct: {...}, LUT, FF, DSP, BRAM_18K,
latency_max_cycles, interval_max}`` (resources converted from rule4ml's percent of the board with rule4ml's own
board totals), or ``{id, error}`` when rule4ml refused that model. Imports nothing from codesign.
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

#: rule4ml output column -> (our key, board total key in rule4ml's supported_boards.json or None for cycles)
COLUMNS = {
    "LUT": ("LUT", "max_lut"),
    "FF": ("FF", "max_ff"),
    "DSP": ("DSP", "max_dsp"),
    "BRAM": ("BRAM_18K", "max_bram"),
    "CYCLES": ("latency_max_cycles", None),
    "INTERVAL": ("interval_max", None),
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


def _column(name: str) -> str | None:
    head = name.split(" ")[0].upper()
    return head if head in COLUMNS else None


def predict(specs: list[dict]) -> list[dict]:
    """rule4ml's figures for each spec (absolute counts and its percentages), or the error it raised."""
    import keras
    from rule4ml.models.wrappers import MultiModelWrapper
    from rule4ml.parsers.data_parser import boards_data

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
                df = wrapper.predict([model], [json.loads(json.dumps(spec["hls_config"]))], verbose=0)
            rec = df.to_dict(orient="records")[0]
        except Exception as exc:  # noqa: BLE001 - rule4ml's refusal is a result: reported per model
            row["error"] = f"{type(exc).__name__}: {exc}"[:300]
            out.append(row)
            continue
        board = boards_data[spec["hls_config"]["board"]]
        row["pct"] = {}
        for name, value in rec.items():
            col = _column(str(name))
            if col is None or value is None:
                continue
            key, total = COLUMNS[col]
            if total is None:
                row[key] = float(value)
            else:
                row["pct"][key] = float(value)
                row[key] = float(value) / 100.0 * board[total]
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
