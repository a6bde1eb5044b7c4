"""Models with several inputs through `codesign build` and `codesign check` (codesign/firmware/several_inputs.py).

They were refused (exit 2, "check single-input firmware"; the refusal test was tests/test_foreign_models.py's
test_two_input_model_is_refused_by_name_not_a_crash) although the reference, the emulator, hls4ml's library
and the testbench took lists. Now each input is drawn on its own firmware input type, the firmware is proven bit for
bit, `codesign check` re-verifies it (edge cases per input, the layer trace), and an hls4ml config's per-input type
reaches the firmware (it was overwritten by the last input's type). A spec with data and the RTL route still refuse
them by name.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from codesign import keras_env

keras_env.setup()

from tests.foreign_helpers import (  # noqa: E402
    build,
    check,
    emulator_vs_csim,
    qkeras_predict,
    randomize,
    stored_inputs,
)

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
Q = "quantized_bits(6,0,alpha=1)"


def qkeras_two_inputs():
    """QDense on each input (4 and 3 features), Concatenate, quantized_relu, QDense."""
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    a, b = keras.Input((4,), name="in_a"), keras.Input((3,), name="in_b")
    ha = QDense(5, kernel_quantizer=Q, bias_quantizer=Q, name="qd_a")(a)
    hb = QDense(5, kernel_quantizer=Q, bias_quantizer=Q, name="qd_b")(b)
    h = QActivation("quantized_relu(8,3)", name="act")(keras.layers.Concatenate(name="cat")([ha, hb]))
    return randomize(keras.Model([a, b], QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h)), 1)


def float_add():
    """Dense on each of two inputs of one shape, Add, ReLU, Dense: a float model (proven against the emulator)."""
    keras = keras_env.keras()
    L = keras.layers
    a, b = keras.Input((6,), name="x1"), keras.Input((6,), name="x2")
    h = L.Activation("relu", name="r")(L.Add(name="add")([L.Dense(6, name="d1")(a), L.Dense(6, name="d2")(b)]))
    return randomize(keras.Model([a, b], L.Dense(2, name="o")(h)), 2)


# ---- storage, inputs and edge cases (no g++)


def test_inputs_are_stored_per_input_and_an_old_single_input_file_still_loads(tmp_path):
    from codesign.errors import SpecError
    from codesign.firmware.several_inputs import inputs_entries, stored_inputs

    one = np.arange(6.0).reshape(3, 2)
    two = [np.arange(12.0).reshape(3, 4), -np.arange(3.0).reshape(3, 1)]
    np.savez(tmp_path / "old.npz", inputs=one, testbench=one)  # as every build before wrote it
    np.savez(tmp_path / "new.npz", testbench=one, **inputs_entries(two))
    with np.load(tmp_path / "old.npz") as z:
        np.testing.assert_array_equal(stored_inputs(z, "old.npz"), one)
    with np.load(tmp_path / "new.npz") as z:
        assert sorted(z.files) == ["inputs_0", "inputs_1", "testbench"]
        got = stored_inputs(z, "new.npz")
    assert isinstance(got, list) and len(got) == 2
    for g, w in zip(got, two, strict=True):
        np.testing.assert_array_equal(g, w)
    with pytest.raises(SpecError, match=r"none.npz: no 'inputs' \(one input\) nor 'inputs_0'"):
        stored_inputs({"testbench": one}, "none.npz")


def test_each_input_is_drawn_on_its_own_type_with_its_own_values():
    from codesign.firmware.several_inputs import build_inputs, random_inputs
    from codesign.precision import FixedPrecision

    wide, narrow = FixedPrecision.parse("ap_fixed<16,6>"), FixedPrecision.parse("ap_ufixed<6,2>")
    x, n_rep = build_inputs([wide, wide, narrow], [(4,), (4,), (2, 3)], 50)
    assert n_rep == 50 and [a.shape for a in x] == [(100, 4), (100, 4), (100, 2, 3)]
    assert wide.on_grid(x[0]) and wide.on_grid(x[1]) and narrow.on_grid(x[2])
    assert not narrow.on_grid(x[0])  # the wide input really uses its finer grid
    assert x[2].min() == 0.0 and x[2].max() == narrow.max_value  # the narrow type's edges are reached
    # two inputs of one type and shape get different values: exchanging them must show in the outputs
    assert np.count_nonzero(x[0] != x[1]) > 0.9 * x[0].size
    y = random_inputs([wide, wide], [(4,), (4,)], 40, seed=3)
    assert np.count_nonzero(y[0] != y[1]) > 0.9 * y[0].size
    np.testing.assert_array_equal(random_inputs([wide, wide], [(4,), (4,)], 40, seed=3)[1], y[1])  # seeded


def test_edge_cases_push_each_input_and_the_first_layer_reading_it():
    from codesign.firmware.several_inputs import edge_cases, first_kernels
    from codesign.precision import FixedPrecision

    model = qkeras_two_inputs()
    names, shapes = ["in_a", "in_b"], [(4,), (3,)]
    kernels = first_kernels(model, names, shapes)
    np.testing.assert_array_equal(kernels["in_a"], model.get_layer("qd_a").get_weights()[0])
    np.testing.assert_array_equal(kernels["in_b"], model.get_layer("qd_b").get_weights()[0])
    types = [FixedPrecision.parse("ap_fixed<16,6>"), FixedPrecision.parse("ap_ufixed<8,3>")]
    xs, labels = edge_cases(model, names, types, shapes, seed=0, max_unit_cases=32, n_random=2)
    assert len(labels) == 7 + 2 * 5 + 2 * 5 + 2 and [x.shape for x in xs] == [(len(labels), 4), (len(labels), 3)]
    i = labels.index("every input max (in_a 31.999, in_b 7.96875)")
    assert np.all(xs[0][i] == types[0].max_value) and np.all(xs[1][i] == types[1].max_value)
    j = labels.index("every input -1 LSB (in_a -0.000976562, in_b 0)")  # the unsigned input stays at 0
    assert np.all(xs[1][j] == 0.0)
    k = labels.index("max sum of unit 2 of the first layer reading 'in_b' (other inputs 0)")
    up = np.where(kernels["in_b"][:, 2] > 0, types[1].max_value, 0.0)
    np.testing.assert_array_equal(xs[1][k], up)
    assert np.all(xs[0][k] == 0.0)
    # a first layer reading both inputs (a Concatenate of the raw inputs) belongs to neither
    keras = keras_env.keras()
    a, b = keras.Input((4,), name="xa"), keras.Input((3,), name="xb")
    both = keras.Model([a, b], keras.layers.Dense(2, name="d")(keras.layers.Concatenate(name="c")([a, b])))
    assert first_kernels(both, ["xa", "xb"], [(4,), (3,)]) == {"xa": None, "xb": None}


def test_estimate_sizes_each_input_port_by_its_own_type_and_reader(tmp_path):
    """The top's input port registers and the Vivado HLS port shifter took the first layer's input width for every
    input and only the first layer as a port reader: a two-input project of ap_fixed<16,6> and ap_fixed<10,3> inputs
    has registers of 6 x 16 + 1 and 6 x 10 + 1 FF (not twice 6 x 16 + 1), and both Resource layers reading a port
    get the shifter's cycles."""
    from unittest import mock

    from codesign import hls
    from codesign.estimate import constants as K
    from codesign.estimate.design import build_calls
    from codesign.estimate.network import estimate_settings
    from codesign.estimate.settings import read_project
    from codesign.estimate.top_ports import input_port_ff, reads_top_input
    from codesign.hls.user_config import convert_from_hls4ml_config

    _ = hls  # the conversion's module (hls4ml) is imported through codesign.hls
    float_add().save(tmp_path / "m.h5")

    def project_settings(strategy: str, rf: int) -> dict:
        cfg = {"KerasH5": "m.h5", "OutputDir": "prj", "ProjectName": "myproject", "Part": "xcvu9p-flga2104-2L-e",
               "ClockPeriod": 5, "IOType": "io_parallel", "Backend": "Vivado",
               "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": rf, "Strategy": strategy},
                             "LayerName": {"x2": {"Precision": {"result": "ap_fixed<10,3>"}}}}}  # fmt: skip
        (tmp_path / "c.yml").write_text(yaml.safe_dump(cfg))
        project = convert_from_hls4ml_config(cfg, tmp_path / "c.yml", output_dir_override=tmp_path / strategy)
        return {**read_project(project.path), "hls_tool": "Vivado HLS", "hls_tool_version": "2020.1"}

    settings = project_settings("Latency", 1)  # a PIPELINE top with ap_vld ports: it registers them
    assert settings["top_inputs"] == [6, 6] and settings["top_input_types"] == ["input_t", "input2_t"]
    calls = build_calls(settings)
    assert [c.name for i, c in enumerate(calls) if reads_top_input(settings, i, c)] == ["d1", "d2"]
    old = {k: v for k, v in settings.items() if k != "top_input_types"}  # the rule before: one width, one reader
    assert [c.name for i, c in enumerate(calls) if reads_top_input(old, i, c)] == ["d1"]
    with mock.patch.object(K, "TOP_INPUT_PORT_REGISTER", True):
        assert input_port_ff(settings, calls, "pipeline") == (6 * 16 + 1) + (6 * 10 + 1)
        assert input_port_ff(old, calls, "pipeline") == 2 * (6 * 16 + 1)

    settings = project_settings("Resource", 3)
    old = {k: v for k, v in settings.items() if k != "top_input_types"}
    est, first_only = estimate_settings(settings), estimate_settings(old)
    d2 = [x.name for x in est.per_layer].index("d2")
    extra = est.per_layer[d2].latency_cycles - first_only.per_layer[d2].latency_cycles
    # Vivado HLS, Resource, RF 3: d2 reads its 6 x 10-bit port word through a shifter of ceil(log2(60)) levels
    assert extra == K.PORT_SHIFT_CYCLES_PER_LEVEL * 6 > 0
    assert est.per_layer[0].latency_cycles == first_only.per_layer[0].latency_cycles  # d1 read its port before too


# ---- refusals that remain (no g++)


def _two_input_concat():
    from qkeras import QDense

    keras = keras_env.keras()
    a, b = keras.Input((4,), name="xa"), keras.Input((3,), name="xb")
    h = keras.layers.Concatenate(name="cat")([a, b])
    return keras.Model([a, b], QDense(2, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h))


def test_spec_with_data_is_refused_naming_the_model_and_its_inputs(tmp_path):
    import h5py

    with h5py.File(tmp_path / "data.h5", "w") as f:
        f["x"], f["y"] = np.zeros((200, 7), np.float32), np.arange(200) % 2
    code, text, _ = build(tmp_path, _two_input_concat(), "two", {"data": {"path": "data.h5", "inputs": "x",
                                                                           "labels": "y", "n_train": 100, "n_test": 100,
                                                                           "standardize": False}})  # fmt: skip
    assert code == 2 and "two.h5: the model has 2 inputs (xa, xb) and the spec gives data" in text, text[-2000:]
    assert "accepted: such a model as a `model.file` without `data`" in text and "internal error" not in text
    assert not (tmp_path / "out" / "hls").exists()  # before any conversion


def test_rtl_route_is_refused_naming_the_inputs(tmp_path):
    model = _two_input_concat()
    model.save(tmp_path / "two.h5")
    spec = {"name": "two", "model": {"file": "two.h5"}, "quantize": None}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    cmd = [sys.executable, "-m", "codesign.cli", "build", "spec.yaml", "--part", "xcvu9p", "--out", "out",
           "--no-plots", "--rtl"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text[-2000:]
    assert "has 2 inputs (xa, xb); the RTL route (--rtl) takes a model with one input" in text, text[-2000:]


# ---- builds (hls4ml + g++ C-simulation)


@needs_gxx
@pytest.mark.slow
def test_qkeras_two_inputs_build_and_check_bit_exact_and_equal_qkeras(tmp_path):
    """QDense per input, Concatenate, QDense: bit-exact in the build (reference, hls4ml's library, the emulator),
    in `codesign check` (edge cases per input, and the layer trace), and the C-simulation equals QKeras' own float64
    predict of the converted model on the build's 200 inputs (independent of codesign's reference)."""
    from codesign import modelio

    code, text, out = build(tmp_path, qkeras_two_inputs(), "twoq")
    assert code == 0 and "bit-exact: yes (200 inputs" in text, text[-3000:]
    report = yaml.safe_load((out / "report.json").read_text())
    acc = report["bit_accuracy"]
    assert acc["exact"] is True and acc["library_vs_testbench"]["exact"] and acc["emulator_vs_testbench"]["exact"]
    assert [p["name"] for p in report["project"]["inputs"]] == ["in_a", "in_b"]
    x, fw = stored_inputs(out)
    assert [a.shape for a in x] == [(200, 4), (200, 3)] and np.std(fw) > 0
    np.testing.assert_array_equal(qkeras_predict(modelio.load_model(out / "models" / "converted.h5"), x), fw)
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    assert "30 random inputs on each input's grid (in_a ap_fixed<16,6>, in_b ap_fixed<16,6>" in text
    assert "35 edge cases apart" in text and "edge cases: exact on all 35" in text
    proc = subprocess.run([sys.executable, "-m", "codesign.cli", "check", str(out), "--n", "20", "--trace"],
                          capture_output=True, text=True)  # fmt: skip
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "trace: no traced layer differs from the reference" in text, text[-3000:]
    for layer in ("qd_a", "qd_b", "cat", "out"):
        assert f"layer '{layer}' (" in text and "equal on" in text


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", pytest.param("io_stream", marks=pytest.mark.slow)])
def test_float_add_is_proven_and_inputs_exchanged_in_the_firmware_are_caught(tmp_path, io_type):
    """A float two-input Add model: bit-exact against the emulator (build and check). The firmware's top function
    edited to feed x2 to d1 and x1 to d2 (both ap_fixed<16,6>, so it compiles) must be NOT exact in `codesign check`,
    with mismatches counted per output; and the emulator given the inputs exchanged differs from the C-simulation."""
    from codesign.firmware import description, emulator

    code, text, out = build(tmp_path, float_add(), "twof", {"hls": {"io_type": io_type}})
    assert code == 0 and "bit-exact: yes" in text and "fixed-point emulator" in text, text[-3000:]
    n, bad = emulator_vs_csim(out)
    assert bad == 0 and n == 200 * 2
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]

    x, fw = stored_inputs(out)
    desc = description.FirmwareDescription.load(out / "hls" / description.FILE_NAME)
    swapped = np.asarray(emulator.emulate(desc, [x[1], x[0]])).reshape(fw.shape)
    assert np.count_nonzero(np.any(swapped != fw, axis=1)) > 150  # of 200 inputs

    top = out / "hls" / "firmware" / "myproject.cpp"
    src = top.read_text()
    assert src.count("(x1,") == 1 and src.count("(x2,") == 1
    top.write_text(src.replace("(x1,", "(@,").replace("(x2,", "(x1,").replace("(@,", "(x2,"))
    code, text = check(out)
    assert code == 1 and "verdict: NOT bit-exact" in text, text[-3000:]
    assert re.search(r"outputs: NOT exact: \d+ of 30 inputs differ", text), text[-3000:]
    result = yaml.safe_load((out / "check" / "check.json").read_text())
    assert [o["index"] for o in result["per_output"]] == [0, 1]
    assert all(o["n_mismatch"] > 0 and o["n_samples"] == 30 for o in result["per_output"])


@needs_gxx
def test_hls4ml_config_keeps_each_inputs_own_type(tmp_path):
    """An hls4ml config typing x2 ap_fixed<10,3> under a Model default of ap_fixed<16,6>: the build gave both
    inputs ap_fixed<10,3> (the last input layer's type was applied to every input); now each port has its own
    type in defines.h, the check draws each on it, and the build and `codesign check` are bit-exact."""
    float_add().save(tmp_path / "m.h5")
    cfg = {"KerasH5": "m.h5", "OutputDir": "prj", "ProjectName": "myproject", "Part": "xcvu9p-flga2104-2L-e",
           "ClockPeriod": 5, "IOType": "io_parallel", "Backend": "Vitis",
           "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
                         "LayerName": {"x2": {"Precision": {"result": "ap_fixed<10,3>"}}}}}  # fmt: skip
    (tmp_path / "config.yml").write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "codesign.cli", "build", "config.yml", "--out", "out", "--no-plots"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "bit-exact: yes" in text, text[-3000:]
    out = tmp_path / "out"
    defines = (out / "hls" / "firmware" / "defines.h").read_text()
    assert "typedef ap_fixed<16,6> input_t;" in defines and "typedef ap_fixed<10,3> input2_t;" in defines
    report = yaml.safe_load((out / "report.json").read_text())
    assert [p["type"] for p in report["project"]["inputs"]] == ["ap_fixed<16,6>", "ap_fixed<10,3>"]
    assert report["project"]["input_precision"] is None  # no one type for both
    x, _ = stored_inputs(out)
    from codesign.precision import FixedPrecision

    narrow = FixedPrecision.parse("ap_fixed<10,3>")
    assert narrow.on_grid(x[1]) and not narrow.on_grid(x[0]) and x[0].max() > narrow.max_value
    code, text = check(out)
    assert code == 0 and "(x1 ap_fixed<16,6>, x2 ap_fixed<10,3>" in text and "verdict: bit-exact" in text, text[-3000:]
