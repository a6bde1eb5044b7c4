"""Bad inputs of the commands besides ``build``'s spec: output paths, scan files and folders, estimate records,
data labels and model archives. Rows in the format of ``bad_input_cases.py``, run by ``test_bad_inputs.py``.

Every row fails before any training, event generation or g++ build. The output-path rows refuse the path before
the work whose result it would hold (an estimate, a check verdict, generated events), not after it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml
from bad_input_cases import _DROP, ACC, BASE, DATA_SPEC, Case, Writer, X, Y, _with, build, data_case, h5, spec

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


def jets_file(classes: np.ndarray) -> Writer:
    """A writer of a jet-layout file (codesign's own writer) whose jets have the class indices ``classes``."""

    def write(path: Path) -> None:
        from codesign.data import layouts as L
        from codesign.data.hdf5io import write_jets

        table = np.random.default_rng(0).normal(size=(len(classes), len(L.JET_COLUMNS))).astype(np.float32)
        for k, column in enumerate(L.LABEL_COLUMNS):
            table[:, L.JET_COLUMNS.index(column)] = classes == k
        table[:, L.JET_COLUMNS.index(L.UNDEF_COLUMN)] = 0
        write_jets(path, table, L.JET_COLUMNS, None, ())

    return write


def l1_file(process: str) -> Writer:
    """A writer of an L1 file (codesign's own writer) of 400 events, every one of ``process``."""

    def write(path: Path) -> None:
        from codesign.data import layouts as L
        from codesign.data.hdf5io import write_l1

        particles = np.zeros((400, L.N_L1_OBJECTS, 4), np.float32)
        particles[:, 0] = [50.0, 0.0, 1.0, 1.0]  # MET
        particles[:, 1] = [30.0, 0.5, 0.2, 2.0]  # an electron
        write_l1(path, particles, np.full(400, L.L1_PROCESSES.index(process)), L.L1_PROCESSES)

    return write


class _Interrupt(dict):
    """Attributes whose writing is interrupted (KeyboardInterrupt), as a Ctrl-C during ``codesign data``'s write."""

    def items(self):
        raise KeyboardInterrupt


def interrupted_jets(path: Path) -> None:
    """What a Ctrl-C while ``codesign data jets`` writes ``path`` leaves: its arrays in ``<path>.tmp``, the
    attributes not, the rename not done; renamed here to ``path``, as a user copying the file would."""
    from codesign.data import layouts as L
    from codesign.data.hdf5io import write_jets

    table = np.zeros((300, len(L.JET_COLUMNS)), np.float32)
    table[np.arange(300), [L.JET_COLUMNS.index(L.LABEL_COLUMNS[i % 5]) for i in range(300)]] = 1
    try:
        write_jets(path, table, L.JET_COLUMNS, None, (), attrs=_Interrupt(codesign_command="codesign data jets"))
    except KeyboardInterrupt:
        path.with_name(path.name + ".tmp").rename(path)
    else:
        raise AssertionError("the write was not interrupted")


def generation_leftovers(path: Path) -> None:
    """``data.h5`` never written: an interrupted ``codesign data`` run left ``data.h5.parts/`` instead."""
    (path.parent / "data.h5.parts").mkdir()
    (path.parent / "data.h5.parts" / "manifest.json").write_text("{}")


JETS_SPEC = {"inputs": _DROP, "labels": _DROP}


def before_training(case: Case) -> Case:
    """The case, with the test stopping a float training that starts (the input must be refused before it)."""
    return replace(case, extra={"before_training": True})


def edited_project(old: str, new: str) -> Writer:
    """A writer of a copy of the fixture hls4ml project whose parameters.h has its first ``old`` replaced by ``new``
    (a hand-edited project)."""

    def write(path: Path) -> None:
        import shutil

        shutil.copytree(PROJECT, path)
        params = path / "firmware" / "parameters.h"
        text = params.read_text()
        assert old in text, old
        params.write_text(text.replace(old, new, 1))

    return write


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
    # --- estimate on a hand-edited project: a setting the estimator would read as 1 or as Latency
    Case(
        "estimate-project-reuse-factor-0",
        {"p": edited_project("reuse_factor = 1;", "reuse_factor = 0;")},
        ("estimate", "{tmp}/p"),
        ("p/firmware/parameters.h", "struct config2 (fc1)", "reuse_factor = 0", ACC),
    ),
    Case(
        "estimate-project-reuse-factor-undefined-name",
        {"p": edited_project("reuse_factor = 1;", "reuse_factor = RF;")},
        ("estimate", "{tmp}/p"),
        ("p/firmware/parameters.h", "struct config2 (fc1)", "reuse_factor = 'RF'", "defines.h", ACC),
    ),
    Case(
        "estimate-project-strategy-unknown",
        {"p": edited_project("strategy = nnet::latency;", "strategy = nnet::fastest;")},
        ("estimate", "{tmp}/p"),
        ("p/firmware/parameters.h", "struct config2 (fc1)", "strategy = nnet::fastest", "nnet::resource", ACC),
    ),
    Case(
        "estimate-project-n-out-0",
        {"p": edited_project("n_out = 64;", "n_out = 0;")},
        ("estimate", "{tmp}/p"),
        ("p/firmware/parameters.h", "struct config2 (fc1)", "n_out = 0", ACC),
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
    # --- a user's HDF5 arrays: every value the build would read another way than the file means
    before_training(
        labels_case(
            "data-one-hot-rows-two-ones",
            np.eye(2)[Y] + np.eye(2)[1 - Y],
            ("data.h5", "400 label rows of 400 are not one-hot", "row 0, [1, 1]", "a single 1", ACC),
        )
    ),
    before_training(
        labels_case("data-one-hot-rows-fractional", np.eye(2)[Y] * 0.5, ("data.h5", "are not one-hot", "0.5", ACC))
    ),
    before_training(
        labels_case(
            "data-labels-one-class",
            np.zeros(400, np.int64),
            ("data.h5", "needs >= 2 classes, got 1", "labels of at least 2 classes", ACC),
        )
    ),
    before_training(
        Case(
            "mlp-on-l1-data",
            {"spec.yaml": spec(data={"source": "l1"})},
            build(),
            ("needs >= 2 classes, got 1 from data shipped sample", "l1 for vae/ae", ACC),
        )
    ),
    before_training(
        Case(
            "data-l1-file-without-background",
            {
                "spec.yaml": spec(data={"source": _DROP, "path": "data.h5"}, model={"family": "ae", "hidden": _DROP}),
                "data.h5": l1_file("ato4l"),
            },
            build(),
            ("data.h5", "no background events", "processes present: ato4l", ACC),
        )
    ),
    before_training(labels_case("data-labels-one-value", np.int64(3), ("data.h5", "key 'y' is a single value", ACC))),
    before_training(
        data_case(
            "data-inputs-no-feature",
            h5(x=np.zeros((400, 0), np.float32), y=Y),
            ("data.h5", "key 'x' has shape (400, 0)", "one feature", ACC),
        )
    ),
    before_training(
        data_case(
            "data-inputs-complex",
            h5(x=X.astype(np.complex64), y=Y),
            ("data.h5", "key 'x' holds complex64 values", "real numbers", ACC),
        )
    ),
    before_training(
        data_case(
            "data-inputs-beyond-float32",
            h5(x=_with(X.astype(np.float64), (3, 2), 1e40), y=Y),
            ("data.h5", "key 'x'", "magnitude >= 1e+15", "[3, 2]: 1e+40", ACC),
        )
    ),
    before_training(
        data_case(
            "data-jets-file-one-class",
            jets_file(np.zeros(300, int)),
            ("data.h5", "4 of 5 classes have no events", "class q, w, z, t", "present: g", ACC),
            data=JETS_SPEC,
        )
    ),
    before_training(
        data_case(
            "data-jets-file-interrupted-write",
            interrupted_jets,
            ("data.h5", "incomplete: writing this file was interrupted", "--resume", ACC),
            data=JETS_SPEC,
        )
    ),
    before_training(
        data_case(
            "data-path-left-by-interrupted-generation",
            generation_leftovers,
            ("data.h5", "not found", "data.h5.parts", "--resume", ACC),
        )
    ),
    # --- data generation: refused before any event is generated or any parts folder made
    Case(
        "data-jets-parts-path-is-a-file",
        {"j.h5.parts": "not a folder"},
        ("data", "jets", "--n", "10", "--out", "{tmp}/j.h5", "--force"),
        ("j.h5.parts: is a file where the run keeps its finished chunks", "move it away", ACC),
    ),
    Case(
        "data-jets-n-below-the-classes",
        {},
        ("data", "jets", "--n", "3", "--out", "{tmp}/j.h5"),
        ("--n 3 split over the 5 classes leaves z, t without jets", "accepted: --n >= 5, or fewer --classes"),
    ),
    Case(
        "data-jets-classes-twice",
        {},
        ("data", "jets", "--n", "10", "--classes", "g,q,g", "--out", "{tmp}/j.h5"),
        ("--classes names g more than once", ACC),
    ),
    Case(
        "data-jets-n-beyond-memory",
        {},
        ("data", "jets", "--n", str(10**12), "--out", "{tmp}/j.h5"),
        ("--n: 1,000,000,000,000 jets", "more than this machine's", "accepted: at most", "fewer --constituents"),
    ),
    Case(
        "data-l1-n-beyond-memory",
        {},
        ("data", "l1", "--n", str(10**12), "--out", "{tmp}/l1.h5"),
        ("--n: 1,000,000,000,000 events", "more than this machine's", "accepted: at most"),
    ),
    # --- options the command would not use: refused, not dropped
    Case(
        "estimate-records-with-part",
        {"r.jsonl": "{}\n"},
        ("estimate", "--records", RECORDS, "--out", "{tmp}/p.jsonl", "--part", "xcvu9p"),
        ("--part applies to a PROJECT_DIR estimate, not to --records", ACC),
    ),
    Case(
        "estimate-records-with-json",
        {"r.jsonl": "{}\n"},
        ("estimate", "--records", RECORDS, "--out", "{tmp}/p.jsonl", "--json"),
        ("--json applies to a PROJECT_DIR estimate", ACC),
    ),
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
