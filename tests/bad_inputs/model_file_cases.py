"""Bad inputs from elsewhere: model files saved by other tools, hls4ml-config spellings hls4ml misreads, an empty
--part. Rows in the format of ``bad_input_cases.py``, run by ``test_bad_inputs.py``; each is refused before any
training.
"""

from __future__ import annotations

from pathlib import Path

from bad_input_cases import _DROP, ACC, DATA_SPEC, Case, X, Y, _merge, build, cfg_case, h5, hls4ml_config, spec

BEFORE_TRAINING = {"before_training": True}
MODEL_FILE = {"model": {"family": _DROP, "hidden": _DROP, "file": "m.h5"}}


def _keras():
    from codesign import keras_env

    keras_env.setup()
    return keras_env.keras()


def open_length_model(path: Path) -> None:
    """A Conv1D model over a sequence of any length: input shape (None, None, 3)."""
    from codesign import modelio

    keras = _keras()
    inp = keras.Input((None, 3), name="inputs")
    x = keras.layers.GlobalAveragePooling1D(name="gap")(keras.layers.Conv1D(4, 3, name="c1")(inp))
    modelio.save_model(keras.Model(inp, keras.layers.Dense(2, name="out")(x)), path)


def two_head_model(path: Path) -> None:
    """Two Dense heads of one hidden layer, each sized as the data's 2 classes."""
    from codesign import modelio

    keras = _keras()
    inp = keras.Input((8,), name="inputs")
    h = keras.layers.Dense(4, activation="relu", name="d1")(inp)
    heads = [keras.layers.Dense(2, name="o1")(h), keras.layers.Dense(2, name="o2")(h)]
    modelio.save_model(keras.Model(inp, heads), path)


KERAS3_SAVE = """
import sys, keras
inp = keras.Input((8,), name="inputs")
keras.Model(inp, keras.layers.Dense(2, name="out")(keras.layers.Dense(4, name="d1")(inp))).save(sys.argv[1])
"""


def keras3_h5(path: Path) -> None:
    """A float MLP saved as .h5 by Keras 3 (not tf-keras), in a process of its own where ``import keras`` is Keras 3:
    its layer configs use Keras 3's keys (batch_shape)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    subprocess.run([sys.executable, "-c", KERAS3_SAVE, str(path)], env=env, check=True, capture_output=True)


def renamed_json(new_name: str):
    """A writer of a tiny MLP's architecture JSON whose hidden layer is named ``new_name`` (a name tf-keras itself
    cannot build: a space or a non-ASCII letter; such files come from other tools or hand edits)."""

    def write(path: Path) -> None:
        import json

        keras = _keras()
        inp = keras.Input((8,), name="inputs")
        text = keras.Model(inp, keras.layers.Dense(2, name="out")(keras.layers.Dense(4, name="d1")(inp))).to_json()
        path.write_text(text.replace('"d1"', json.dumps(new_name)))

    return write


def _json_model(new_name: str) -> dict:
    patch = {"model": {"family": _DROP, "hidden": _DROP, "file": "m.json", "random_weights": True}, "data": _DROP,
             "quantize": None}  # fmt: skip
    return {"spec.yaml": spec(**patch), "m.json": renamed_json(new_name)}


def _with_model(writer, data: bool = True, **patch) -> dict:
    body = _merge(DATA_SPEC, MODEL_FILE) if data else {**MODEL_FILE, "data": _DROP, "quantize": None}
    files = {"spec.yaml": spec(**_merge(body, patch)), "m.h5": writer}
    if data:
        files["data.h5"] = h5(x=X, y=Y)
    return files


MODEL_FILE_CASES: list[Case] = [
    Case("model-input-length-open", _with_model(open_length_model), build(),
         ("m.h5", "input 'inputs' has shape (None, None, 3)", "dimension 1 is not fixed", "keras.Input((N, 3))", ACC),
         extra=BEFORE_TRAINING),
    Case("model-input-length-open-no-data", _with_model(open_length_model, data=False), build(),
         ("m.h5", "dimension 1 is not fixed", ACC), extra=BEFORE_TRAINING),
    Case("cfg-model-input-length-open", {"config.yml": hls4ml_config(), "model.h5": open_length_model},
         build(spec_file="config.yml"), ("config.yml", "the model of KerasH5", "dimension 1 is not fixed", ACC)),
    Case("model-two-outputs-classifier", _with_model(two_head_model), build(),
         ("m.h5", "the model has 2 outputs (o1, o2)", "a classifier is trained and scored on one", ACC),
         extra=BEFORE_TRAINING),
    Case("model-keras3-h5", _with_model(keras3_h5), build(),
         ("m.h5", "cannot load the Keras model", "written by Keras 3.", "re-saved with tf-keras", ACC)),
    Case("model-layer-name-with-a-space", _json_model("my dense"), build(),
         ("m.json", "layer name(s) 'my dense'", "C identifiers", ACC), extra=BEFORE_TRAINING),
    Case("model-layer-name-non-ascii", _json_model("dénse"), build(),
         ("m.json", "layer name(s) 'dénse'", "C identifiers", ACC), extra=BEFORE_TRAINING),
    Case("part-empty-flag", {"spec.yaml": spec(part="xcku115")},
         ("build", "{tmp}/spec.yaml", "--part", "", "--out", "{tmp}/out"),
         ("--part ''", "not a part name", "leave it out to use the spec's part", ACC)),
    cfg_case("cfg-strategy-upper-case", ("config.yml", "HLSConfig.Model.Strategy", "'RESOURCE'",
                                         "would build the layer with Latency", "accepted: 'Resource' or 'resource'"),
             HLSConfig={"Model": {"Strategy": "RESOURCE"}}),
    cfg_case("cfg-layer-strategy-upper-case", ("config.yml", "HLSConfig.LayerName.d1.Strategy", "'LATENCY'", ACC),
             HLSConfig={"LayerName": {"d1": {"Strategy": "LATENCY"}}}),
    cfg_case("cfg-precision-upper-case", ("config.yml", "HLSConfig.Model.Precision", "'AP_FIXED<16,6>'",
                                          "cannot be read by hls4ml 1.3", "accepted: 'ap_fixed<16,6>'"),
             HLSConfig={"Model": {"Precision": "AP_FIXED<16,6>"}}),
    cfg_case("cfg-precision-lower-case-modes", ("config.yml", "HLSConfig.LayerName.d1.Precision.result",
                                                "ap_rnd, ap_sat", "accepted: 'ap_fixed<16,6,AP_RND,AP_SAT>'"),
             HLSConfig={"LayerName": {"d1": {"Precision": {"result": "ap_fixed<16,6,ap_rnd,ap_sat>"}}}}),
]  # fmt: skip
