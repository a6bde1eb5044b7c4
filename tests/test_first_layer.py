"""A build whose firmware is not bit-exact names the first layer that differs (report.json, report.md, exit 3).

A QKeras MLP from a user's file gets its first Dense's accumulator set too narrow through the spec's
``hls.layers`` precision, so its sums wrap. The build's layer trace (the check's ``trace_layers`` on a real g++
build of hls4ml's traced firmware) must name that layer; the values it reports are compared exactly with two
independent computations: the float64 QKeras per-layer reference and codesign's fixed-point emulator.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import yaml

from codesign import keras_env

keras_env.setup()

NO_GXX = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")

NARROW = "ap_fixed<8,2>"


def test_first_differing_skips_rounded_layers_and_says_so():
    """The entry is the first 'differs' verdict in firmware order; 'rounded' layers before it are named."""
    from codesign.firmware.layers import LayerVerdict, first_differing
    from codesign.report_text import first_layer_text

    v = (LayerVerdict("inputs", "exact", {"result": "ap_fixed<16,6>"}, None, kind="Input"),
         LayerVerdict("dense1", "rounded", {"result": "ap_fixed<6,2>"}, "ap_fixed<6,2>", kind="Dense"),
         LayerVerdict("relu1", "differs", {"result": "ap_ufixed<6,2>"}, None, 3, 10,
                      {"sample": 4, "index": 2, "expected": 1.5, "got": 0.25}, kind="Activation"),
         LayerVerdict("out", "differs", {}, None, 9, 10, {"sample": 0, "index": 0, "expected": 1.0, "got": 2.0}))  # fmt: skip
    first = first_differing(v)
    assert (first["name"], first["hls4ml_class"], first["sample"], first["element"]) == ("relu1", "Activation", 4, 2)
    assert (first["reference"], first["firmware"], first["rounded_before"]) == (1.5, 0.25, ["dense1"])
    assert first_differing(v[:2]) is None
    text = first_layer_text(first)
    assert "'relu1' (hls4ml Activation; result ap_ufixed<6,2>), sample 4 element 2: reference 1.5, firmware 0.25" in text
    assert "'dense1' equal the reference only once rounded" in text
    assert first_layer_text({"unavailable": "why"}) == "first layer that differs: not found (why)"


@NO_GXX
@pytest.mark.slow  # two real g++ builds of the firmware (testbench and traced copy) and one more for the check: ~3 min
def test_build_and_check_name_the_first_differing_layer(tmp_path):
    from click.testing import CliRunner

    from codesign import check, compare, hls, modelio
    from codesign.cli import main
    from codesign.firmware import emulator, layers
    from codesign.precision import FixedPrecision
    from tests import hls_models

    hls_models.qmlp(6, seed=3).save(tmp_path / "user_model.h5")
    spec = {"name": "narrow", "model": {"file": "user_model.h5"}, "quantize": None, "check": {"n_samples": 200},
            "hls": {"layers": {"dense1": {"precision": {"accum": NARROW}}}}}  # fmt: skip
    (tmp_path / "narrow.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "narrow.yaml"), "--part", "xcvu9p", "--out", str(out)])
    assert result.exit_code == 3, result.output
    assert "first layer that differs: 'dense1'" in result.output

    acc = json.loads((out / "report.json").read_text())["bit_accuracy"]
    layer = acc["first_mismatch"]["layer"]
    assert (layer["name"], layer["hls4ml_class"], layer["types"]["accum"]) == ("dense1", "Dense", NARROW), layer
    assert layer["rounded_before"] == [] and layer["n_mismatch"] > 0
    assert "First layer that differs: 'dense1' (hls4ml Dense" in (out / "report.md").read_text()

    # the reported values, recomputed independently on that sample
    with np.load(out / "csim" / "csim_results.npz") as z:
        x = z["inputs"][[layer["sample"]]]
    project = hls.HlsProject.load(out / "hls")
    model = modelio.load_model(out / "models" / "converted.h5")
    ref = layers.reference_layers(model, x, project.layer_precisions)["dense1"].ravel()[layer["element"]]
    result_type = FixedPrecision.parse(layer["types"]["result"])
    assert layer["reference"] == float(result_type.quantize(np.array([ref]))[0])
    emulated = emulator.emulate_layers(compare.firmware_description(project), x)["dense1"].ravel()
    assert layer["firmware"] == float(emulated[layer["element"]])
    assert layer["firmware"] != layer["reference"]

    # codesign check (no --trace asked) traces a firmware that is not exact and names the same layer
    checked = check(out, n=50)
    assert not checked.exact and checked.first_differing_layer is not None
    assert (checked.first_differing_layer.name, checked.first_differing_layer.kind) == ("dense1", "Dense")
