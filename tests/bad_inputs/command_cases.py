"""Bad inputs of the commands besides ``build``'s spec: output paths, scan files and folders, estimate records,
data labels and model archives. Rows in the format of ``bad_input_cases.py``, run by ``test_bad_inputs.py``.

Every row fails before any training, event generation or g++ build. The output-path rows refuse the path before
the work whose result it would hold (an estimate, a check verdict, generated events), not after it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from bad_input_cases import _DROP, ACC, BASE, DATA_SPEC, Case, X, Y, build, h5, spec

REPO = Path(__file__).resolve().parents[2]
PROJECT = str(REPO / "tests" / "fixtures" / "hls4ml13_vivado_jet_tutorial")  # an hls4ml project on disk
RECORDS = "{tmp}/r.jsonl"


def scan_file(**patch) -> str:
    """A two-point grid scan of the base spec (inline), with ``patch`` merged in, as YAML."""
    scan = {"spec": BASE, "part": "xcvu9p", "mode": "grid", "axes": {"quantize.bits": [4, 6]},
            "objectives": {"accuracy": "max", "lut": "min"}}  # fmt: skip
    return yaml.safe_dump({**scan, **patch}, sort_keys=False)


def scan(*extra: str, out: str = "{tmp}/sc") -> tuple[str, ...]:
    """``codesign scan {tmp}/s.yaml --out OUT`` plus extra arguments."""
    return ("scan", "{tmp}/s.yaml", "--out", out, *extra)


def labels_case(id_: str, labels: np.ndarray, fragments: tuple[str, ...]) -> Case:
    """A spec reading ``data.h5`` whose features are fine and whose labels are ``labels``."""
    return Case(id_, {"spec.yaml": spec(**DATA_SPEC), "data.h5": h5(x=X, y=labels)}, build(), fragments)


def qkeras_keras_archive(path: Path) -> None:
    """A QKeras model saved by tf-keras as a '.keras' archive, its QActivation holding a quantizer object (as
    hls4ml's own keras_model.keras does): tf-keras cannot deserialize that activation back."""
    from codesign import keras_env

    keras_env.setup()  # before QKeras: it must bind to tf-keras
    from qkeras import QActivation, QDense, quantized_relu

    keras = keras_env.keras()
    inp = keras.Input((16,), name="inputs")
    x = QActivation(quantized_relu(6, 2), name="relu1")(QDense(4, name="d1")(inp))
    keras.Model(inp, QDense(5, name="out")(x)).save(path)


EMPTY_CLASS = np.where(Y == 1, 2, Y)  # classes 0 and 2: class 1 has no event
ONE_HOT_EMPTY = np.eye(3)[EMPTY_CLASS]
FILE = {"afile": "not a folder"}

COMMAND_CASES: list[Case] = [
    # --- output paths: refused before the work, never an internal error
    Case(
        "scan-out-is-a-file",
        {"s.yaml": scan_file(), **FILE},
        scan(out="{tmp}/afile"),
        ("--out", "afile", "is a file, not a folder", ACC),
    ),
    Case(
        "scan-out-under-a-file",
        {"s.yaml": scan_file(), **FILE},
        scan(out="{tmp}/afile/sc"),
        ("--out", "afile/sc", "a parent of this path is a file", ACC),
    ),
    Case(
        "estimate-out-under-a-file",
        FILE,
        ("estimate", PROJECT, "--out", "{tmp}/afile/e.json"),
        ("--out", "afile/e.json", "a parent of this path is a file", ACC),
    ),
    Case(
        "estimate-records-out-under-a-file",
        {"r.jsonl": "{}\n", **FILE},
        ("estimate", "--records", RECORDS, "--out", "{tmp}/afile/p.jsonl"),
        ("--out", "afile/p.jsonl", "a parent of this path is a file", ACC),
    ),
    Case(
        "data-jets-out-under-a-file",
        FILE,
        ("data", "jets", "--n", "10", "--out", "{tmp}/afile/j.h5"),
        ("--out", "afile/j.h5", "a parent of this path is a file", ACC),
    ),
    Case(
        "data-l1-out-under-a-file",
        FILE,
        ("data", "l1", "--n", "10", "--out", "{tmp}/afile/l1.h5"),
        ("--out", "afile/l1.h5", "a parent of this path is a file", ACC),
    ),
    Case(
        "check-junit-under-a-file",
        FILE,
        ("check", "{tmp}/nothing", "--junit", "{tmp}/afile/c.xml"),
        ("--junit", "afile/c.xml", "a parent of this path is a file", ACC),
    ),
    # --- scan files and scan folders
    Case(
        "scan-seed-negative",
        {"s.yaml": scan_file(mode="optuna", trials=2, seed=-1)},
        scan(),
        ("s.yaml", "'seed'", "-1", "0 to 2**32 - 1", ACC),
    ),
    Case(
        "scan-marker-not-a-mapping",
        {"s.yaml": scan_file(), "sc/scan.json": "[]\n"},
        scan("--resume"),
        ("sc/scan.json", "not a scan marker", "choose another --out"),
    ),
    Case(
        "scan-key-typo-suggested",
        {"s.yaml": scan_file(objectivs={"lut": "min"})},
        scan(),
        ("s.yaml", "objectivs", "did you mean 'objectives'?", ACC),
    ),
    # --- spec keys: a misspelt key names its closest accepted key
    Case(
        "spec-top-key-typo-suggested",
        {"spec.yaml": spec(trian={"epochs": 1})},
        build(),
        ("spec.yaml", "key 'trian'", "did you mean 'train'?", ACC),
    ),
    Case(
        "spec-nested-key-typo-suggested",
        {"spec.yaml": spec(quantize={"bitz": 6})},
        build(),
        ("spec.yaml", "key 'quantize.bitz'", "did you mean 'bits'?", ACC),
    ),
    # --- estimate records
    Case(
        "estimate-records-line-a-list",
        {"r.jsonl": "{}\n[1, 2]\n"},
        ("estimate", "--records", RECORDS, "--out", "{tmp}/p.jsonl"),
        ("r.jsonl:2", "a JSON list", ACC),
    ),
    # --- data labels: a class without events would be a model output nothing trains or scores
    labels_case(
        "data-labels-class-without-events",
        EMPTY_CLASS,
        ("data.h5", "1 of 3 classes have no events", "class 1", "present: 0, 2", ACC),
    ),
    labels_case("data-labels-sparse-indices", Y * 7, ("data.h5", "6 of 8 classes", "present: 0, 7", ACC)),
    labels_case(
        "data-one-hot-column-unused", ONE_HOT_EMPTY, ("data.h5", "class 1", "one-hot rows with every column", ACC)
    ),
    labels_case("data-labels-negative-value", Y - 1, ("data.h5", ">= 0, got -1", ACC)),
    # --- model archives
    Case(
        "model-tf-keras-archive-qactivation",
        {
            "spec.yaml": spec(model={"family": _DROP, "hidden": _DROP, "file": "m.keras"}),
            "m.keras": qkeras_keras_archive,
        },
        build(),
        ("m.keras", "cannot load the Keras model", "QActivation", "saved as .h5", ACC),
    ),
]
