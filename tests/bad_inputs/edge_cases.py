"""Bad inputs at the edges: data splits without a class, data of the wrong kind for the family, keys the data would
drop, degenerate bias quantizers, hand-edited report.json values, output paths the file system cannot hold. Rows in
the format of ``bad_input_cases.py``, run by ``test_bad_inputs.py``; every build row fails before any training.
"""

from __future__ import annotations

import json

import numpy as np
from bad_input_cases import _DROP, ACC, DATA_SPEC, Case, X, Y, _merge, build, h5, spec
from command_cases import PROJECT, before_training, jets_file

_ORDER = np.random.default_rng(0).permutation(400)  # data.seed 0: rows _ORDER[:200] train, _ORDER[200:300] test
ONE_IN_TRAINING = np.where(np.arange(400) == _ORDER[17], 2, Y)  # class 2: one event, in the training rows
ONE_IN_TEST = np.where(np.arange(400) == _ORDER[250], 2, Y)  # class 2: one event, in the test rows
VAE = {"family": "vae", "hidden": _DROP}


def data_spec(**patch) -> str:
    """The user-arrays spec (data.h5, keys x / y) with ``patch`` merged in."""
    return spec(**_merge(DATA_SPEC, patch))


def report(content: dict) -> dict:
    """A build folder b/ whose report.json is ``content`` (beside a project folder)."""
    return {"b/report.json": json.dumps(content), "b/hls/x": "x"}


LONG = "n" * 300

EDGE_CASES: list[Case] = [
    # --- a split that leaves a class without events: an untrained output, or metrics that cannot be computed
    before_training(
        Case(
            "data-class-absent-from-the-test-rows",
            {"spec.yaml": data_spec(), "data.h5": h5(x=X, y=ONE_IN_TRAINING)},
            build(),
            (
                "data.h5",
                "the 100 test rows (data.n_test, split by data.seed 0) hold no event of class 2 (1 in the file)",
                "cannot be computed",
                ACC,
            ),
        )
    ),
    before_training(
        Case(
            "data-class-absent-from-the-training-rows",
            {"spec.yaml": data_spec(), "data.h5": h5(x=X, y=ONE_IN_TEST)},
            build(),
            ("data.h5", "the 200 training rows", "class 2 (1 in the file)", "nothing trains", ACC),
        )
    ),
    before_training(
        Case(
            "data-n-test-below-the-classes",
            {"spec.yaml": data_spec(data={"n_test": 2}), "data.h5": h5(x=X, y=np.arange(400) % 3)},
            build(),
            ("data.h5", "the 2 test rows", "a data.n_test that holds every one of the 3 classes", ACC),
        )
    ),
    # --- data of the wrong kind for the family, a key the data would drop
    before_training(
        Case(
            "anomaly-family-on-a-jets-file",
            {
                "spec.yaml": spec(data={"source": _DROP, "path": "j.h5"}, model={"family": "ae", "hidden": _DROP}),
                "j.h5": jets_file(np.arange(300) % 5),
            },
            build(),
            (
                "model.family 'ae' is an anomaly model",
                "j.h5 holds classification data (5 classes)",
                "data.source l1",
                ACC,
            ),
        )
    ),
    before_training(
        Case(
            "anomaly-family-on-user-arrays",
            {"spec.yaml": data_spec(model=VAE), "data.h5": h5(x=X, y=Y)},
            build(),
            ("model.family 'vae' is an anomaly model", "data.h5 holds classification data", ACC),
        )
    ),
    before_training(
        Case(
            "data-n-constituents-on-high-level-features",
            {"spec.yaml": spec(data={"n_constituents": 8})},
            build(),
            (
                "data.n_constituents applies to constituent inputs",
                "read as jets_hlf",
                "it would be dropped",
                "set data.source: jets_constituents",
            ),
        )
    ),
    before_training(
        Case(
            "data-n-constituents-on-user-arrays",
            {"spec.yaml": data_spec(data={"n_constituents": 8}), "data.h5": h5(x=X, y=Y)},
            build(),
            ("data.n_constituents applies", "read as a user array", "accepted: remove the key)"),
        )
    ),
    # --- a bias quantizer that rounds every bias to 0
    Case(
        "quantize-bias-integer-above-bias-bits",
        {"spec.yaml": spec(quantize={"bias_bits": 4, "bias_integer": 6})},
        build(),
        ("spec.yaml", "bias_integer 6 >= bias_bits 4", "every bias below that rounds to 0", ACC),
    ),
    Case(
        "quantize-bias-bits-below-the-integer-default",
        {"spec.yaml": spec(quantize={"bits": 8, "integer": 5, "bias_bits": 4})},
        build(),
        ("spec.yaml", "bias_integer 5 >= bias_bits 4", ACC),
    ),
    Case(
        "quantize-layer-bias-integer-above-bits",
        {"spec.yaml": spec(quantize={"layers": {"dense_1": {"bias_bits": 3, "bias_integer": 3}}})},
        build(),
        ("spec.yaml", "layers.dense_1: bias_integer 3 >= bias_bits 3", ACC),
    ),
    # --- codesign report on a hand-edited report.json
    Case(
        "report-part-a-string",
        report({"part": "xcvu9p"}),
        ("report", "{tmp}/b"),
        ("b/report.json", "key 'part' holds a string, not an object", ACC),
    ),
    Case(
        "report-bit-accuracy-a-string",
        report({"bit_accuracy": "yes"}),
        ("report", "{tmp}/b"),
        ("b/report.json", "key 'bit_accuracy' holds a string", ACC),
    ),
    Case(
        "report-budget-latency-text",
        report({"spec": {"budget": {"latency_ns": "ten"}}}),
        ("report", "{tmp}/b"),
        ("b/report.json", "key 'spec.budget.latency_ns': bad value 'ten'", "latency limit"),
    ),
    Case(
        "report-budget-a-list",
        report({"spec": {"budget": []}}),
        ("report", "{tmp}/b"),
        ("b/report.json", "key 'spec.budget' is []", ACC),
    ),
    Case(
        "report-clock-text",
        report({"spec": {"hls": {"clock_ns": "fast"}}}),
        ("report", "{tmp}/b"),
        ("b/report.json", "key 'spec.hls.clock_ns' is 'fast'", ACC),
    ),
    Case(
        "report-project-path-a-number",
        report({"project": {"path": 5}}),
        ("report", "{tmp}/b"),
        ("b/report.json", "key 'project.path' is 5", ACC),
    ),
    Case(
        "report-unknown-part",
        report({"part": {"full_name": "virtex-42"}}),
        ("report", "{tmp}/b"),
        ("b/report.json", "key 'part': unknown FPGA part 'virtex-42'", ACC),
    ),
    Case(  # report.md showed xcu250 beside figures of the xcvu9p
        "report-part-name-another-part",
        report({"part": {"name": "xcu250", "full_name": "xcvu9p-flga2104-2L-e"}}),
        ("report", "{tmp}/b"),
        ("b/report.json", "key 'part.name' is 'xcu250'", "short name of part.full_name xcvu9p-flga2104-2L-e", ACC),
    ),
    # --- output paths the file system cannot hold
    Case(
        "out-name-too-long",
        {"spec.yaml": spec()},
        ("build", "{tmp}/spec.yaml", "--part", "xcvu9p", "--out", f"{{tmp}}/{LONG}"),
        ("--out", "a name in this path is 300 bytes long", "accepted: names of at most 255 bytes"),
    ),
    Case(
        "out-path-too-long",
        {"spec.yaml": spec()},
        ("build", "{tmp}/spec.yaml", "--part", "xcvu9p", "--out", "{tmp}/" + "/".join(["p" * 200] * 20)),
        ("--out", "bytes long; accepted: at most 3840 bytes, leaving 256 for the files written under it"),
    ),
    Case(
        "estimate-out-name-too-long",
        {},
        ("estimate", PROJECT, "--out", f"{{tmp}}/{LONG}.json"),
        ("--out", "a name in this path is 305 bytes long"),
    ),
]
