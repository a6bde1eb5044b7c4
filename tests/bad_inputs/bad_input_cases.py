"""The bad-input catalogue: one row per bad input, as data.

Each :class:`Case` says which files to write into a fresh folder (text, bytes, or a function that writes
them), the command-line arguments (``{tmp}`` is that folder), the exit code expected, and fragments the
error message must contain: the file, the key/layer/line, and what is accepted. ``test_bad_inputs.py``
runs every row through the real command line and also asserts that no traceback is printed.

Most rows fail during spec or data validation, before any training or g++ build, so the catalogue is fast.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

Writer = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One bad input and what codesign must say about it."""

    id: str
    files: dict[str, str | bytes | Writer]
    args: tuple[str, ...]
    fragments: tuple[str, ...]
    code: int = 2
    needs_mount: bool = False  # mounts a tmpfs (skipped where mount is not permitted)
    hold_lock: str | None = None  # a folder whose build lock the test holds while the command runs
    extra: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------- helpers

BASE = {
    "name": "bad",
    "data": {"source": "jets_hlf", "n_train": 200, "n_test": 100, "seed": 0},
    "model": {"family": "mlp", "hidden": [4]},
    "train": {"epochs": 1, "batch_size": 64},
    "quantize": {"bits": 6, "integer": 0, "epochs": 1},
    "check": {"n_samples": 20, "workers": 1},
}


def _merge(base: dict, patch: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif value is _DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


class _Drop:
    """Marks a key to remove from the base spec (kept identical through deepcopy)."""

    def __deepcopy__(self, memo) -> _Drop:
        return self


_DROP = _Drop()


def spec(**patch) -> str:
    """The base spec with ``patch`` merged in (a value of DROP removes the key), as YAML."""
    return yaml.safe_dump(_merge(BASE, patch), sort_keys=False)


def build(*extra: str, spec_file: str = "spec.yaml") -> tuple[str, ...]:
    """``codesign build {tmp}/spec.yaml --part xcvu9p --out {tmp}/out`` plus extra arguments."""
    return ("build", f"{{tmp}}/{spec_file}", "--part", "xcvu9p", "--out", "{tmp}/out", *extra)


def h5(**arrays) -> Writer:
    """A writer of an HDF5 file holding the given arrays."""

    def write(path: Path) -> None:
        import h5py

        with h5py.File(path, "w") as fh:
            for key, value in arrays.items():
                fh[key] = value

    return write


def truncated_h5(path: Path) -> None:
    """A valid HDF5 file cut to a third of its length."""
    h5(x=np.zeros((400, 8), np.float32), y=np.zeros(400, np.int64))(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def npy(array: np.ndarray) -> Writer:
    """A writer of a .npy file."""

    def write(path: Path) -> None:
        np.save(path, array)

    return write


def _xy(n: int = 400, width: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, width)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def _with(x: np.ndarray, index: tuple, value: float) -> np.ndarray:
    x = x.copy()
    x[index] = value
    return x


X, Y = _xy()
DATA_SPEC = {"data": {"source": _DROP, "path": "data.h5", "inputs": "x", "labels": "y", "n_train": 200, "n_test": 100}}


def data_case(id_: str, writer: Writer, fragments: tuple[str, ...], **patch) -> Case:
    """A spec reading ``data.h5`` written by ``writer``."""
    return Case(id_, {"spec.yaml": spec(**_merge(DATA_SPEC, patch)), "data.h5": writer}, build(), fragments)


def hls4ml_config(**patch) -> str:
    """A plain hls4ml config (KerasH5 + HLSConfig) with ``patch`` merged in, as YAML."""
    cfg = {
        "KerasH5": "model.h5",
        "OutputDir": "prj",
        "ProjectName": "myproject",
        "Part": "xcvu9p-flga2104-2L-e",
        "ClockPeriod": 5,
        "IOType": "io_parallel",
        "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"}},
    }
    return yaml.safe_dump(_merge(cfg, patch), sort_keys=False)


def cfg_case(id_: str, fragments: tuple[str, ...], **patch) -> Case:
    """An hls4ml config that must be refused while its values are checked (no model is read)."""
    return Case(id_, {"config.yml": hls4ml_config(**patch)}, build(spec_file="config.yml"), fragments)


def tiny_model(path: Path, width: int = 8, n_out: int = 2) -> None:
    """A tiny float Keras model saved as HDF5."""
    from codesign import keras_env, modelio

    keras_env.setup()
    keras = keras_env.keras()
    inp = keras.Input((width,), name="inputs")
    out = keras.layers.Dense(n_out, name="out")(keras.layers.Dense(4, activation="relu", name="d1")(inp))
    modelio.save_model(keras.Model(inp, out), path)


def odd_names_model(path: Path) -> None:
    """A tiny float model whose input and one layer have names that are not C identifiers ('-', '.')."""
    from codesign import keras_env, modelio

    keras_env.setup()
    keras = keras_env.keras()
    inp = keras.Input((8,), name="input-1")
    out = keras.layers.Dense(2, name="out")(keras.layers.Dense(4, activation="relu", name="dense.1")(inp))
    modelio.save_model(keras.Model(inp, out), path)


def fill_tmpfs(path: Path) -> None:
    """Fill the (tiny tmpfs) folder until the disk is full."""
    chunk = b"\0" * 4096
    fd = os.open(path / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, chunk) == len(chunk):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------- the catalogue

S = "spec.yaml"
ACC = "accepted"
BEFORE_TRAINING = {"before_training": True}

CASES: list[Case] = [
    # --- the spec file itself
    Case("spec-missing", {}, build(spec_file="nope.yaml"), ("nope.yaml", "not found", ACC)),
    Case("spec-is-a-folder", {"adir/x": "x"}, build(spec_file="adir"), ("adir", "is a folder", ACC)),
    Case("spec-empty", {S: ""}, build(), (S, "empty", ACC)),
    Case("spec-not-a-mapping-list", {S: "- name: x\n- model: y\n"}, build(), (S, "must be a mapping", "list")),
    Case("spec-not-a-mapping-scalar", {S: "just a sentence\n"}, build(), (S, "must be a mapping", "str")),
    Case("spec-invalid-yaml", {S: "name: [unclosed\nmodel: {family: mlp}\n"}, build(), (S, "not valid YAML", "line")),
    Case("spec-binary", {S: b"\xff\xfe\x00\x81garbage"}, build(), (S, "cannot be read as a text file", ACC)),
    Case("spec-duplicate-top-key", {S: "name: a\nname: b\nmodel: {family: mlp}\n"}, build(),
         (S, "key 'name' appears twice", "lines 1 and 2", ACC)),
    Case("spec-duplicate-nested-key", {S: "name: a\nmodel: {family: mlp}\nquantize:\n  bits: 4\n  bits: 8\n"}, build(),
         (S, "key 'bits' appears twice", "lines 4 and 5")),
    Case("spec-non-string-key", {S: "name: a\nmodel: {family: mlp}\n3: x\n"}, build(), (S, "3", "not a name", ACC)),
    Case("spec-unknown-top-key", {S: spec(extras={"a": 1})}, build(), (S, "'extras'", "unknown key", "accepted here")),
    Case("spec-unknown-nested-key", {S: spec(quantize={"bitz": 4})}, build(), (S, "quantize.bitz", "unknown key", "bits")),
    Case("spec-missing-name", {S: spec(name=_DROP)}, build(), (S, "'name'", "required")),
    Case("spec-missing-model", {S: spec(model=_DROP)}, build(), (S, "'model'", "required")),
    Case("spec-section-left-empty", {S: "name: bad\nmodel: {family: mlp, hidden: [4]}\nprune:\ntrain: {epochs: 1}\n"},
         build(), (S, "key 'prune': empty", "nothing under it as null", "sparsity", "leave the key out")),  # was:
    # "Input should be a valid dictionary or instance of PruneSpec", with no accepted keys
    Case("spec-model-not-mapping", {S: spec(model=["mlp"])}, build(), (S, "'model'", "dictionary")),
    # --- names and output folders
    Case("name-dotdot", {S: spec(name="..")}, build(), (S, "'name'", "outside vivado_projects", ACC)),
    Case("name-dot", {S: spec(name=".")}, build(), (S, "'name'", "outside vivado_projects", ACC)),
    Case("name-a-yaml-number", {S: "name: 001\nmodel: {family: mlp, hidden: [4]}\n"}, build(),  # was "a valid string"
         (S, "key 'name'", "bad value 1", "write it in quotes", ACC)),
    Case("name-slash", {S: spec(name="a/b")}, build(), (S, "'name'", "letters, digits")),
    Case("out-empty", {S: spec()}, ("build", "{tmp}/spec.yaml", "--part", "xcvu9p", "--out", ""),
         ("--out", "working directory", ACC)),
    Case("out-is-a-file", {S: spec(), "afile": "x"}, ("build", "{tmp}/spec.yaml", "--part", "xcvu9p", "--out", "{tmp}/afile"),
         ("afile", "is a file", ACC)),
    Case("out-under-a-file", {S: spec(), "afile": "x"},
         ("build", "{tmp}/spec.yaml", "--part", "xcvu9p", "--out", "{tmp}/afile/sub"), ("afile/sub", "is a file", ACC)),
    Case("out-read-only", {S: spec()}, ("build", "{tmp}/spec.yaml", "--part", "xcvu9p", "--out", "{tmp}/mnt/out"),
         ("mnt/out", "Read-only file system", ACC), needs_mount=True, extra={"mount": "ro"}),
    Case("out-disk-full", {S: spec()}, ("build", "{tmp}/spec.yaml", "--part", "xcvu9p", "--out", "{tmp}/mnt/out"),
         ("mnt", "No space left on device", "free some space", ACC), needs_mount=True, extra={"mount": "full"}),
    Case("out-locked-by-another-build", {S: spec()}, build(), ("out", "another codesign build", "pid", ACC),
         hold_lock="out"),
    # --- parts
    Case("part-unknown-flag", {S: spec()}, ("build", "{tmp}/spec.yaml", "--part", "xcvu9pfoo", "--out", "{tmp}/out"),
         ("--part", "xcvu9pfoo", "known device", "xcvu9p-flga2104-2L-e")),
    Case("part-unknown-in-spec", {S: spec(part="virtex-42")}, ("build", "{tmp}/spec.yaml", "--out", "{tmp}/out"),
         (S, "part", "virtex-42", ACC)),
    Case("part-missing", {S: spec()}, ("build", "{tmp}/spec.yaml", "--out", "{tmp}/out"), (S, "no FPGA part", "--part")),
    # --- quantize
    Case("quantize-integer-above-bits", {S: spec(quantize={"bits": 4, "integer": 6})}, build(),
         (S, "'quantize'", "integer 6 >= bits 4", "2**3", "rounds to 0", ACC)),
    Case("quantize-integer-equals-bits", {S: spec(quantize={"bits": 4, "integer": 4})}, build(),
         (S, "'quantize'", "integer 4 >= bits 4", ACC)),
    Case("quantize-layer-integer-above-bits", {S: spec(quantize={"layers": {"dense_1": {"bits": 3, "integer": 5}}})}, build(),
         (S, "layers.dense_1", "integer 5 >= bits 3", ACC)),
    Case("quantize-bits-1", {S: spec(quantize={"bits": 1})}, build(), (S, "quantize.bits", "2 to 32")),
    Case("quantize-bits-40", {S: spec(quantize={"bits": 40})}, build(), (S, "quantize.bits", "2 to 32")),
    Case("quantize-bits-text", {S: spec(quantize={"bits": "six"})}, build(), (S, "quantize.bits", "'six'", "integer")),
    Case("quantize-input-zero-width", {S: spec(quantize={"input": "ap_fixed<0,0>"})}, build(),
         (S, "quantize.input", "width must be >= 1", ACC)),
    Case("quantize-input-integer-above-width", {S: spec(quantize={"input": "ap_fixed<4,8>"})}, build(),
         (S, "quantize.input", "more integer bits", ACC)),
    Case("quantize-input-not-a-type", {S: spec(quantize={"input": "float"})}, build(),
         (S, "quantize.input", "cannot parse", "ap_fixed<W,I>")),
    Case("quantize-input-too-wide", {S: spec(quantize={"input": "ap_fixed<32,8>"})}, build(),
         (S, "quantize.input", "wider than 24 bits", ACC)),
    Case("quantize-activation-bits-0", {S: spec(quantize={"activation_bits": 0})}, build(),
         (S, "quantize.activation_bits", "greater than or equal to 1")),
    # --- hls
    Case("hls-clock-tiny", {S: spec(hls={"clock_ns": 1e-6})}, build(), (S, "hls.clock_ns", "1 to 100 ns")),
    Case("hls-clock-huge", {S: spec(hls={"clock_ns": 1000})}, build(), (S, "hls.clock_ns", "1 to 100 ns")),
    Case("hls-clock-text", {S: spec(hls={"clock_ns": "fast"})}, build(), (S, "hls.clock_ns", "'fast'", "1 to 100 ns")),
    Case("hls-reuse-0", {S: spec(hls={"reuse_factor": 0})}, build(), (S, "hls.reuse_factor", "integer >= 1")),
    Case("hls-reuse-text", {S: spec(hls={"reuse_factor": "two"})}, build(), (S, "hls.reuse_factor", "integer >= 1")),
    Case("hls-io-type", {S: spec(hls={"io_type": "io_serial"})}, build(), (S, "hls.io_type", "io_parallel", "io_stream")),
    Case("hls-strategy", {S: spec(hls={"strategy": "Fastest"})}, build(), (S, "hls.strategy", "Latency", "Resource")),
    Case("hls-backend", {S: spec(hls={"backend": "Quartus"})}, build(), (S, "hls.backend", "Vivado", "Vitis")),
    Case("hls-tool-version-a-number", {S: spec(hls={"tool_version": 2022.1})}, build(),  # said only "a valid string"
         (S, "hls.tool_version", "2022.10 as the number 2022.1", "in quotes", ACC), extra={"before_training": True}),
    Case("hls-project-name", {S: spec(hls={"project_name": "1 bad"})}, build(), (S, "hls.project_name", "C identifier")),
    Case("hls-parallelization-text", {S: spec(hls={"parallelization_factor": "half"})}, build(),
         (S, "hls.parallelization_factor", "'half'", "full")),
    # --- budget
    Case("budget-fraction-50", {S: spec(budget={"max_fraction": {"lut": 50}})}, build(),
         (S, "budget.max_fraction.lut", "(0, 1]")),
    Case("budget-fraction-0", {S: spec(budget={"max_fraction": {"dsp": 0}})}, build(),
         (S, "budget.max_fraction.dsp", "(0, 1]")),
    Case("budget-fraction-unknown-resource", {S: spec(budget={"max_fraction": {"luts": 0.1}})}, build(),
         (S, "budget.max_fraction.luts", "'lut'", "'uram'")),
    Case("budget-latency-negative", {S: spec(budget={"latency_ns": -5})}, build(), (S, "budget.latency_ns", "greater than 0")),
    Case("budget-tm-period-0", {S: spec(budget={"tm_period": 0})}, build(), (S, "budget.tm_period", "bunch crossings")),
    # --- data section and training
    Case("data-seed-negative", {S: spec(data={"seed": -1})}, build(), (S, "data.seed", "0 .. 2**32-1")),
    Case("train-seed-negative", {S: spec(train={"seed": -3})}, build(), (S, "train.seed", "0 .. 2**32-1")),
    Case("data-seed-huge", {S: spec(data={"seed": 2**40})}, build(), (S, "data.seed", "0 .. 2**32-1")),
    Case("data-n-train-0", {S: spec(data={"n_train": 0})}, build(), (S, "data.n_train", "positive integer")),
    Case("data-n-train-text", {S: spec(data={"n_train": "many"})}, build(), (S, "data.n_train", "positive integer")),
    Case("data-source-unknown", {S: spec(data={"source": "cms_jets"})}, build(), (S, "data.source", "jets_hlf", "l1")),
    Case("data-source-and-path", {S: spec(data={"path": "d.h5"})}, build(), (S, "'data'", "not both")),
    Case("data-inputs-without-labels", {S: spec(data={"source": _DROP, "path": "d.h5", "inputs": "x"})}, build(),
         (S, "'data'", "'inputs' was given without 'labels'", ACC)),
    Case("data-standardize-text", {S: spec(data={"standardize": "maybe"})}, build(), (S, "data.standardize", "bool")),
    Case("data-too-few-samples", {S: spec(data={"n_train": 10**7})}, build(), ("jets.h5", "data.n_train", "holds only", ACC)),
    Case("train-epochs-negative", {S: spec(train={"epochs": -1})}, build(), (S, "train.epochs", "integer from 0 to 10000")),
    Case("train-learning-rate-0", {S: spec(train={"learning_rate": 0})}, build(), (S, "train.learning_rate", "> 0")),
    Case("train-learning-rate-inf", {S: spec(train={"learning_rate": float("inf")})}, build(),
         (S, "train.learning_rate", "finite number", "> 0")),
    Case("hls-clock-nan", {S: spec(hls={"clock_ns": float("nan")})}, build(), (S, "hls.clock_ns", "finite number", "1 to 100 ns")),
    Case("train-validation-split", {S: spec(train={"validation_split": 1.5})}, build(), (S, "train.validation_split", "[0, 1)")),
    Case("train-validation-split-leaves-no-row", {S: spec(train={"validation_split": 0.999})}, build(),  # was exit 7
         (S, "train.validation_split 0.999 of data.n_train 200", "no training row", ACC)),
    Case("prune-sparsity-1", {S: spec(prune={"sparsity": 1.0})}, build(), (S, "prune.sparsity", "fraction of zero weights")),
    Case("prune-epochs-0", {S: spec(prune={"epochs": 0})}, build(), (S, "prune.epochs", "fine-tuning epochs")),
    Case("check-n-samples-0", {S: spec(check={"n_samples": 0})}, build(), (S, "check.n_samples", "test inputs")),
    Case("check-n-samples-beyond-memory", {S: spec(check={"n_samples": 10**10})}, build(),  # was exit 7 after training
         ("check.n_samples 10,000,000,000", "GB", "accepted: check.n_samples at most"), extra={"before_training": True}),
    Case("check-workers-0", {S: spec(check={"workers": 0})}, build(), (S, "check.workers", "C-simulation processes")),
    # --- model section
    Case("model-family-unknown", {S: spec(model={"family": "transformer"})}, build(), (S, "model.family", "mlp", "vae")),
    Case("model-hidden-zero", {S: spec(model={"hidden": [0]})}, build(), (S, "model.hidden.0", "positive integers")),
    Case("model-hidden-text", {S: spec(model={"hidden": "64"})}, build(), (S, "model.hidden", "positive integers")),
    Case("model-hidden-empty", {S: spec(model={"hidden": []})}, build(), (S, "model.hidden", "at least one", ACC),
         extra={"before_training": True}),  # was refused after loading the data, without the file's name
    Case("model-hidden-beyond-any-fpga", {S: spec(model={"hidden": [4, 10**9]})}, build(),
         (S, "model.hidden.1", "up to 4096", ACC), extra={"before_training": True}),  # was exit 7, TensorFlow OOM
    Case("model-latent-dim-beyond-any-fpga", {S: spec(data={"source": "l1"}, model={"family": "vae", "hidden": _DROP,
         "latent_dim": 10**9})}, build(), (S, "model.latent_dim", "up to 4096", ACC), extra={"before_training": True}),
    Case("model-file-number", {S: spec(model={"family": _DROP, "file": 5})}, build(), (S, "model.file", "path", ACC)),
    Case("quantize-layers-list", {S: spec(quantize={"layers": ["dense_1"]})}, build(),
         (S, "quantize.layers", "dictionary", "per-layer overrides")),
    Case("budget-max-fraction-list", {S: spec(budget={"max_fraction": [0.1]})}, build(),
         (S, "budget.max_fraction", "dictionary", "(0, 1]")),
    Case("model-family-and-file", {S: spec(model={"file": "m.h5"})}, build(), (S, "'model'", "not both")),
    # --- the anomaly score in firmware
    Case("score-on-a-classifier", {S: spec(score={"kind": "rz"})}, build(), (S, "'score' applies to model.family vae or ae")),
    Case("score-kind-for-ae", {S: spec(model={"family": "ae", "hidden": _DROP}, score={"kind": "kl"})}, build(),
         (S, "score.kind 'kl'", "(accepted: sse)")),
    Case("score-table-unsigned", {S: spec(model={"family": "vae", "hidden": _DROP}, score={"table_input": "ap_ufixed<8,4>"})},
         build(), (S, "score", "table_input ap_ufixed<8,4> must be signed")),
    Case("quantize-range-and-integer", {S: spec(quantize={"activation_range": "data", "activation_integer": 3})}, build(),
         (S, "quantize", "activation_integer and activation_range 'data'", "accepted")),
    Case("model-json-without-weights", {S: spec(model={"family": _DROP, "file": "m.json"})}, build(),
         (S, "'model'", "m.json", "without weights", "random_weights: true")),
    Case("model-weights-without-json", {S: spec(model={"family": _DROP, "file": "m.h5", "weights": "w.h5"})}, build(),
         (S, "'model'", "'weights' goes with a 'file' ending in .json")),
    Case("model-random-weights-with-h5", {S: spec(model={"family": _DROP, "file": "m.h5", "random_weights": True})}, build(),
         (S, "'model'", "random_weights", ACC)),
    # --- data files
    data_case("data-file-missing", lambda p: None, ("data.h5", "data.path", "not found", ACC)),
    data_case("data-path-is-a-folder", lambda p: (p / "x").parent.mkdir(),  # was 'file ... not found'
              ("data.h5", "data.path", "is a folder, not a file", ACC)),
    data_case("data-file-empty", lambda p: p.write_bytes(b""), ("data.h5", "cannot open as HDF5", ACC)),
    data_case("data-file-not-hdf5", lambda p: p.write_text("x,y\n1,2\n"), ("data.h5", "cannot open as HDF5", ACC)),
    data_case("data-file-truncated", truncated_h5, ("data.h5", "cannot open as HDF5", ACC)),
    data_case("data-key-missing", h5(inputs=X, y=Y), ("data.h5", "key 'x' not found", "inputs", ACC)),
    data_case("data-labels-shorter", h5(x=X, y=Y[:300]), ("data.h5", "key 'y' has 300 labels", "400 samples", ACC)),
    data_case("data-nan", h5(x=_with(X, (7, 3), np.nan), y=Y), ("data.h5", "NaN/Inf", "[7, 3]", ACC)),
    data_case("data-inf", h5(x=_with(X, (9, 1), np.inf), y=Y), ("data.h5", "NaN/Inf", "[9, 1]", ACC)),
    data_case("data-1e30", h5(x=_with(X, (5, 2), 1e30), y=Y), ("data.h5", "magnitude", "[5, 2]", ACC)),
    data_case("data-1e10-outlier", h5(x=_with(X, (slice(0, 10), 2), 1e10), y=Y),
              ("data.h5", "feature 'x2'", "outlier", "ap_fixed<16,6>", ACC)),
    data_case("data-coarse-input-type", h5(x=X * 1e-4, y=Y), ("data.h5", "feature", "too coarse", ACC),
              data={"standardize": False}),
    data_case("data-labels-fractional", h5(x=X, y=np.full(400, 0.5)), ("data.h5", "labels are not integers", ACC)),
    data_case("data-inputs-1d", h5(x=X[:, 0], y=Y), ("data.h5", "key 'x' has shape (400,)", ACC)),
    data_case("data-labels-text", h5(x=X, y=np.array([b"a"] * 400)), ("data.h5", "key 'y'", "numeric labels", "integer class indices")),
    data_case("data-unknown-layout", h5(foo=X), ("data.h5", "not a jet file", "inputs:", ACC),
              data={"inputs": _DROP, "labels": _DROP}),
    Case("data-wrong-width-for-model",
         {S: spec(**_merge(DATA_SPEC, {"model": {"family": _DROP, "hidden": _DROP, "file": "m.h5"}})),
          "data.h5": h5(x=_xy(width=6)[0], y=Y), "m.h5": tiny_model},
         build(), ("m.h5", "inputs of shape (8,)", "(6,)", ACC)),
    Case("data-classes-vs-model-outputs",
         {S: spec(**_merge(DATA_SPEC, {"model": {"family": _DROP, "hidden": _DROP, "file": "m.h5"}})),
          "data.h5": h5(x=X, y=np.arange(400) % 3), "m.h5": tiny_model},
         build(), ("m.h5", "2 outputs", "3 classes", ACC)),
    Case("model-layer-names-not-c", {S: spec(data=_DROP, model={"family": _DROP, "hidden": _DROP, "file": "m.h5"},
                                             quantize=None), "m.h5": odd_names_model},
         build(), ("m.h5", "'input-1'", "'dense.1'", "C identifiers", ACC)),
    # --- hls4ml configs
    cfg_case("cfg-reuse-text", ("config.yml", "HLSConfig.Model.ReuseFactor", "'fast'", ACC),
             HLSConfig={"Model": {"ReuseFactor": "fast"}}),
    cfg_case("cfg-reuse-0-layer", ("config.yml", "HLSConfig.LayerName.d1.ReuseFactor", "integer >= 1"),
             HLSConfig={"LayerName": {"d1": {"ReuseFactor": 0}}}),
    cfg_case("cfg-clock-text", ("config.yml", "ClockPeriod", "'five'", "1 to 100"), ClockPeriod="five"),
    cfg_case("cfg-clock-tiny", ("config.yml", "ClockPeriod", "1e-06", "1 to 100"), ClockPeriod=1e-6),
    cfg_case("cfg-precision-zero", ("config.yml", "HLSConfig.Model.Precision", "width must be >= 1", ACC),
             HLSConfig={"Model": {"Precision": "ap_fixed<0,0>"}}),
    cfg_case("cfg-precision-integer-above-width", ("config.yml", "HLSConfig.LayerName.d1.Precision.weight", "I <= W"),
             HLSConfig={"LayerName": {"d1": {"Precision": {"weight": "ap_fixed<4,9>"}}}}),
    cfg_case("cfg-precision-number", ("config.yml", "HLSConfig.Model.Precision", "not a type name", ACC),
             HLSConfig={"Model": {"Precision": 16}}),
    cfg_case("cfg-iotype", ("config.yml", "IOType", "io_parallel", "io_stream"), IOType="io_serial"),
    cfg_case("cfg-backend", ("config.yml", "Backend", "Vivado", "Vitis"), Backend="Quartus"),
    cfg_case("cfg-part-unknown", ("config.yml", "Part", "xcfoo", "known device"), Part="xcfoo-1"),
    cfg_case("cfg-json-without-weights", ("config.yml", "KerasJson without KerasH5", "random weights", ACC),
             KerasJson="model.json", KerasH5=_DROP),
    cfg_case("cfg-hlsconfig-list", ("config.yml", "HLSConfig", "must be a mapping"), HLSConfig=["Model"]),
    cfg_case("cfg-project-name", ("config.yml", "ProjectName", "C identifier"), ProjectName="my project"),
    cfg_case("cfg-strategy", ("config.yml", "HLSConfig.LayerType.Dense.Strategy", "Latency", "Resource"),
             HLSConfig={"LayerType": {"Dense": {"Strategy": "Fast"}}}),
    cfg_case("cfg-unknown-key", ("config.yml", "Kerasjson", ACC), Kerasjson="m.json"),
    cfg_case("cfg-keras-h5-number", ("config.yml", "KerasH5", "not a file path"), KerasH5=5),
    Case("cfg-inputdata-wrong-width", {"config.yml": hls4ml_config(InputData="tb.npy"), "model.h5": tiny_model,
                                       "tb.npy": npy(np.zeros((5, 6)))},
         build(spec_file="config.yml"), ("config.yml", "InputData", "tb.npy", "6 numbers per sample", "8", ACC)),
    Case("cfg-inputdata-nan", {"config.yml": hls4ml_config(InputData="tb.npy"), "model.h5": tiny_model,
                               "tb.npy": npy(_with(np.zeros((5, 8)), (2, 4), np.nan))},
         build(spec_file="config.yml"), ("config.yml", "InputData", "tb.npy", "NaN/Inf", "[2, 4]", ACC)),
    # --- keys added lately; refused before any training (extra before_training: the test stops a training that starts)
    Case("data-constituent-feature-twice", {S: spec(data={"source": "jets_constituents", "n_constituents": 8,
                                                          "constituent_features": ["j1_pt", "j1_etarel", "j1_pt"]},
                                                    model={"family": "deepsets", "hidden": _DROP, "phi": [4], "rho": [4]})},
         build(), (S, "constituent_features names 'j1_pt' more than once", ACC), extra=BEFORE_TRAINING),
    Case("prune-distill-on-a-classifier", {S: spec(prune={"sparsity": 0.5, "distill": True})}, build(),
         (S, "prune.distill applies to anomaly models", "not to mlp", "remove prune.distill"), extra=BEFORE_TRAINING),
    Case("quantize-distill-on-a-classifier", {S: spec(quantize={"distill": True})}, build(),
         (S, "quantize.distill applies to anomaly models", "not to mlp", "remove quantize.distill"),
         extra=BEFORE_TRAINING),
    Case("prune-distill-without-pruning", {S: spec(data={"source": "l1"}, model={"family": "ae", "hidden": _DROP},
                                                   prune={"distill": True})}, build(),
         (S, "prune.distill", "pruning is off", ACC), extra=BEFORE_TRAINING),
    Case("prune-end-before-begin", {S: spec(prune={"sparsity": 0.5, "begin_fraction": 0.9, "end_fraction": 0.1})},
         build(), (S, "prune.end_fraction 0.1 is not after prune.begin_fraction 0.9", ACC), extra=BEFORE_TRAINING),
    Case("prune-layers-unknown-layer", {S: spec(prune={"sparsity": 0.5, "layers": {"dense_9": 0.5}})}, build(),
         ("prune.layers names ['dense_9']", "accepted: dense_1, output_logits"), extra=BEFORE_TRAINING),
    Case("prune-layers-distill-on-a-classifier-file",
         {S: spec(**_merge(DATA_SPEC, {"model": {"family": _DROP, "hidden": _DROP, "file": "m.h5"},
                                       "prune": {"sparsity": 0.5, "distill": True}})),
          "data.h5": h5(x=X, y=Y), "m.h5": tiny_model},
         build(), ("prune.distill applies to anomaly models", "classification", "remove prune.distill"),
         extra=BEFORE_TRAINING),
    Case("hls-layer-reuse-hls4ml-would-move", {S: spec(hls={"layers": {"dense_1": {"reuse_factor": 7, "strategy": "Resource"}}})},
         build(), ("hls.layers.dense_1.reuse_factor 7", "hls4ml would silently use 8", "valid for its 16 x 4 weights"),
         extra=BEFORE_TRAINING),
    Case("hls-layer-reuse-above-the-layer", {S: spec(hls={"layers": {"output_logits": {"reuse_factor": 100}}})},
         build(), ("hls.layers.output_logits.reuse_factor 100", "at most 20", "4 x 5 weights", "(n_in x n_out = 20)"),
         extra=BEFORE_TRAINING),
    Case("hls-reuse-above-every-layer", {S: spec(hls={"reuse_factor": 1000})}, build(),
         ("hls.reuse_factor: 1000 exceeds every layer's n_in x n_out", "accepted: 1 to 64"), extra=BEFORE_TRAINING),
    # --- reports of earlier builds
    Case("report-truncated", {"b/report.json": '{"spec": {"name": "x"}, "bit_acc', "b/hls/x": "x"},
         ("report", "{tmp}/b"), ("b/report.json", "truncated", ACC)),
    Case("report-not-an-object", {"b/report.json": "[1, 2]", "b/hls/x": "x"}, ("report", "{tmp}/b"),
         ("b/report.json", "JSON object")),
    Case("report-interrupted-build", {"b/report.json": "{}", "b/.codesign/in_progress": "123\n"}, ("report", "{tmp}/b"),
         ("b", "interrupted", "rerun `codesign build`", ACC)),
    Case("report-missing-folder", {}, ("report", "{tmp}/nothing"), ("nothing", "not a directory")),
]
