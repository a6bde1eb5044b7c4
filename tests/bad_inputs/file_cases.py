"""Files that are not what they claim, scans whose axes disagree, output folders holding the user's files. Rows in
the format of ``bad_input_cases.py``, run by ``test_bad_inputs.py``; every row fails before any training or scan
point. (Options given twice and a data file held open by a writer: tests/test_bad_input_files.py.)
"""

from __future__ import annotations

from pathlib import Path

from bad_input_cases import _DROP, ACC, DATA_SPEC, Case, X, Y, _merge, build, spec
from command_cases import before_training, scan, scan_file

S = "spec.yaml"
# nine levels of nine aliases each: 9**9 (387 million) values once expanded, a few hundred bytes of YAML
_LEVELS = ["&a [x, x, x, x, x, x, x, x, x]"] + [
    f"&{chr(98 + k)} [" + ", ".join([f"*{chr(97 + k)}"] * 9) + "]" for k in range(8)
]
ALIAS_BOMB = spec().replace("hidden:\n  - 4\n", "hidden: [" + ", ".join(_LEVELS) + "]\n")


def big_spec(path: Path) -> None:
    """A valid spec followed by 2 MiB of comments."""
    path.write_text(spec() + ("# " + "x" * 98 + "\n") * 21_000)


def _patched_gzip_h5(path: Path, offset: int) -> None:
    """data.h5 whose 'x' is gzip-compressed, with 32767 written into its filter pipeline message ``offset`` bytes
    before the filter's name (h5py cannot write with a filter it does not have, nor a damaged header)."""
    import h5py

    with h5py.File(path, "w") as fh:
        fh.create_dataset("x", data=X, chunks=(100, 8), compression="gzip")
        fh["y"] = Y
    raw = bytearray(path.read_bytes())
    at = raw.find(b"deflate\x00")  # pipeline message v1: id, name length, flags, number of values (2 bytes each)
    assert at > 8 and raw[at - 8 : at - 6] == b"\x01\x00", "the gzip filter message is not where HDF5 1.x writes it"
    raw[at - offset : at - offset + 2] = (32767).to_bytes(2, "little")
    path.write_bytes(bytes(raw))


def undecodable_h5(path: Path) -> None:
    """Chunks compressed with gzip, but the pipeline names filter id 32767, which no h5py decodes."""
    _patched_gzip_h5(path, 8)


def damaged_header_h5(path: Path) -> None:
    """The filter message claims 32767 parameter values: HDF5 runs off the end of the object header reading it."""
    _patched_gzip_h5(path, 2)


def _h5xy(path: Path) -> None:
    """data.h5 with the catalogue's arrays x (400 x 8) and y."""
    import h5py

    with h5py.File(path, "w") as fh:
        fh["x"], fh["y"] = X, Y


def grouped_h5(path: Path) -> None:
    """data.h5 with its arrays under a group: events/x, events/y."""
    import h5py

    with h5py.File(path, "w") as fh:
        fh["events/x"], fh["events/y"] = X, Y


def _tiny(path: Path, **input_args) -> None:
    """A tiny float MLP (8 -> 4 -> 2) whose keras.Input gets ``input_args`` (batch_size, dtype), saved as .h5."""
    from codesign import keras_env, modelio

    keras_env.setup()
    keras = keras_env.keras()
    inp = keras.Input((8,), name="inputs", **input_args)
    out = keras.layers.Dense(2, name="out")(keras.layers.Dense(4, activation="relu", name="d1")(inp))
    modelio.save_model(keras.Model(inp, out), path)


MODEL_FILE = _merge(DATA_SPEC, {"model": {"family": _DROP, "hidden": _DROP, "file": "m.h5"}})


def scan_text(**patch) -> str:
    """The base scan (two quantize.bits points) with ``patch`` merged in."""
    return scan_file(**patch)


FILE_CASES: list[Case] = [
    # --- spec files that are not what they claim
    Case("spec-only-comments", {S: "# a spec\n# to come\n"}, build(), (S, "empty or holds only comments", ACC)),
    Case("spec-alias-bomb", {S: ALIAS_BOMB}, build(), (S, "aliases", "100,000 values", ACC)),
    Case("spec-over-a-mebibyte", {S: big_spec}, build(), (S, "2.0 MiB", "at most 1 MiB", ACC)),
    Case(
        "spec-tab-after-a-colon",
        {S: spec().replace("name: bad", "name:\tbad")},
        build(),
        (S, "not valid YAML", "a tab", "line 1", ACC),
    ),
    # --- scan files and their base spec, read as a spec is
    Case(
        "scan-duplicate-axis-key",
        {
            "s.yaml": "spec: {name: b, model: {family: mlp, hidden: [4]}}\naxes:\n  quantize.bits: [4]\n"
            "  quantize.bits: [6, 8]\nobjectives: {accuracy: max}\n"
        },
        scan(),
        ("s.yaml", "'quantize.bits' appears twice", "lines 3 and 4", ACC),
    ),
    Case(
        "scan-not-utf-8", {"s.yaml": b"axes: {quantize.bits: [4]}\n# caf\xe9\n"}, scan(), ("s.yaml", "not UTF-8", ACC)
    ),
    Case(
        "scan-base-not-utf-8",
        {
            "b.yaml": b"name: b\xe9d\nmodel: {family: mlp}\n",
            "s.yaml": "base: b.yaml\naxes: {quantize.bits: [4]}\nobjectives: {accuracy: max}\n",
        },
        scan(),
        ("s.yaml", "'base'", "b.yaml", "not UTF-8", ACC),
    ),
    Case(
        "scan-base-duplicate-key",
        {
            "b.yaml": "name: x\nname: y\nmodel: {family: mlp, hidden: [4]}\n",
            "s.yaml": "base: b.yaml\naxes: {quantize.bits: [4]}\nobjectives: {accuracy: max}\n",
        },
        scan(),
        ("s.yaml", "'base'", "b.yaml", "'name' appears twice", ACC),
    ),
    Case(
        "scan-base-is-a-folder",
        {"b/x": "x", "s.yaml": "base: b\naxes: {quantize.bits: [4]}\n"},
        scan(),
        ("s.yaml", "'base'", "is a folder", ACC),
    ),
    # --- axes whose values disagree
    Case(
        "scan-axes-combination-invalid",
        {"s.yaml": scan_text(axes={"quantize.bits": [4, 8], "quantize.integer": [0, 5]})},
        scan(),
        ("s.yaml", "'axes'", "{quantize.bits: 4, quantize.integer: 5}", "integer 5 >= bits 4", ACC),
    ),
    Case(
        "scan-axis-values-equal-once-typed",
        {"s.yaml": scan_text(axes={"quantize.bits": [4, 4.0]})},
        scan(),
        ("s.yaml", "'axes.quantize.bits'", "4 and 4.0", "same spec", ACC),
    ),
    Case(
        "scan-axis-text-and-number",
        {"s.yaml": scan_text(axes={"quantize.bits": [4, "4"]})},
        scan(),
        ("s.yaml", "'axes.quantize.bits'", "4 and '4'", ACC),
    ),
    Case(  # every point was built for the scan's one part: the axis was dropped without a word
        "scan-axis-part",
        {"s.yaml": scan_text(axes={"part": ["xcvu9p", "xcu250"]})},
        scan(),
        ("s.yaml", "'axes.part'", "one FPGA part", "--part", ACC),
    ),
    Case(  # was: unknown keys base, axes, objectives
        "build-given-a-scan-file",
        {"s.yaml": scan_text()},
        ("build", "{tmp}/s.yaml", "--part", "xcvu9p", "--out", "{tmp}/out"),
        ("s.yaml", "a scan file", "codesign scan", ACC),
    ),
    Case(  # was: unknown keys ... (did you mean 'mode'?)
        "scan-given-a-spec",
        {"s.yaml": spec()},
        scan(),
        ("s.yaml", "a build spec", "codesign build", ACC),
    ),
    Case(  # was: 'not an hls4ml project (missing firmware/parameters.h ...)'
        "report-given-a-scan-folder",
        {"sc/scan.json": "{}\n", "sc/points.jsonl": ""},
        ("report", "{tmp}/sc"),
        ("sc: a scan folder", "points", ACC),
    ),
    Case(
        "estimate-given-a-scan-folder",
        {"sc/scan.json": "{}\n", "sc/points.jsonl": ""},
        ("estimate", "{tmp}/sc"),
        ("sc: a scan folder", "points", ACC),
    ),
    Case(
        "scan-axes-section-and-key",
        {"s.yaml": scan_text(axes={"quantize.bits": [4, 6], "quantize": [{"bits": 8, "integer": 0}]})},
        scan(),
        ("s.yaml", "'axes.quantize.bits'", "axis 'quantize'", ACC),
    ),
    # --- output folders: another scan running in it, the user's own files in it
    Case(
        "scan-out-locked-by-another-scan",
        {"s.yaml": scan_text()},
        scan(),
        ("sc", "another codesign scan", "pid", ACC),
        hold_lock="sc",
    ),
    Case(
        "scan-out-holds-the-users-files",
        {"s.yaml": scan_text(), "sc/pareto.csv": "mine\n"},
        scan(),
        ("--out", "sc", "pareto.csv", "not a codesign output folder", ACC),
    ),
    Case(
        "out-holds-the-users-report",
        {S: spec(), "out/report.md": "my notes\n", "out/models/float.h5": "mine"},
        build(),
        ("--out", "out", "report.md", "models", "not a codesign output folder", ACC),
    ),
    # --- model files whose input the build cannot use as it is
    before_training(
        Case(
            "model-input-fixed-batch-size",
            {S: spec(**MODEL_FILE), "data.h5": lambda p: _h5xy(p), "m.h5": lambda p: _tiny(p, batch_size=32)},
            build(),
            ("m.h5", "input 'inputs'", "fixed batch size 32", ACC),
        )
    ),
    before_training(
        Case(
            "model-input-integer-dtype",
            {S: spec(**MODEL_FILE), "data.h5": lambda p: _h5xy(p), "m.h5": lambda p: _tiny(p, dtype="int32")},
            build(),
            ("m.h5", "input 'inputs'", "dtype int32", ACC),
        )
    ),
    # --- data files
    before_training(
        Case(
            "data-key-under-a-group",
            {S: spec(**DATA_SPEC), "data.h5": grouped_h5},
            build(),
            ("data.h5", "data.inputs key 'x' not found", "events/x, events/y", ACC),
        )
    ),
    before_training(
        Case(
            "data-key-is-a-group",
            {S: spec(**_merge(DATA_SPEC, {"data": {"inputs": "events"}})), "data.h5": grouped_h5},
            build(),
            ("data.h5", "'events' is a group", "events/x", ACC),
        )
    ),
    before_training(
        Case(
            "data-filter-h5py-cannot-decode",
            {S: spec(**DATA_SPEC), "data.h5": undecodable_h5},
            build(),
            ("data.h5", "key 'x'", "filter 32767", "cannot decode", ACC),
        )
    ),
    before_training(
        Case(
            "data-object-header-damaged",
            {S: spec(**DATA_SPEC), "data.h5": damaged_header_h5},
            build(),
            ("data.h5", "key 'x' cannot be opened", "damaged", ACC),
        )
    ),
    Case(
        "data-info-object-header-damaged",
        {"data.h5": damaged_header_h5},
        ("data", "info", "{tmp}/data.h5"),
        ("data.h5", "key 'x' cannot be opened", "damaged", ACC),
    ),
    before_training(
        Case(
            "data-file-a-link-to-nothing",
            {S: spec(**DATA_SPEC), "data.h5": lambda p: p.symlink_to(p.parent / "gone.h5")},
            build(),
            ("gone.h5", "not found", ACC),
        )
    ),
    before_training(  # was exit 7: RuntimeError 'Symlink loop' while the spec's paths were resolved
        Case(
            "data-path-a-symlink-loop",
            {S: spec(**DATA_SPEC), "data.h5": lambda p: p.symlink_to(p.name)},
            build(),
            (S, "key 'data.path'", "Symlink loop", ACC),
        )
    ),
    before_training(
        Case(
            "model-file-a-symlink-loop",
            {S: spec(data=_DROP, model={"family": _DROP, "hidden": _DROP, "file": "m.h5"}),
             "m.h5": lambda p: p.symlink_to(p.name)},  # fmt: skip
            build(),
            (S, "key 'model.file'", "Symlink loop", ACC),
        )
    ),
]
