"""The three QKeras configs of hls4ml's public example-models repository, as written, on tiny look-alike models.

The configs (config-files/qkeras_3layer_config.yml, qkeras_mnist_dense_config.yml, qkeras_mnist_cnn_config.yml)
are reproduced key for key; the models have the same layer names and kinds, scaled down. What is checked:
the final softmax the configs name is kept with the user's table types and proven bit-exact against
codesign/softmax_twin.py (io_parallel, and io_stream packet by packet); paths resolve from the working directory first, then the config's folder; every
setting reaches the emitted project or is refused by name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from codesign import keras_env

keras_env.setup()

from codesign import compare, hls, softmax_twin  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests import hls_models  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")

# config-files/qkeras_3layer_config.yml, key for key (the model is smaller)
QKERAS_3LAYER = """
KerasJson: keras/qkeras_3layer.json
KerasH5:   keras/qkeras_3layer_weights.h5
Backend: Vivado
OutputDir: qkeras_3layer
ProjectName: myproject
Part: xcvu9p-flga2577-2-e
ClockPeriod: 5
IOType: io_parallel
HLSConfig:
  Model:
    Precision: ap_fixed<16,6>
    ReuseFactor: 1
    Strategy: Latency
  LayerName:
    fc1:
      Precision: {bias: "ap_fixed<6,1>", weight: "ap_fixed<6,1>"}
      ReuseFactor: 1
      Trace: true
    fc1_input:
      Precision: {result: "ap_fixed<16,6>"}
      Trace: true
    fc2:
      Precision: {bias: "ap_fixed<6,1>", weight: "ap_fixed<6,1>"}
      ReuseFactor: 1
      Trace: true
    output:
      Precision: {bias: "ap_fixed<6,1>", weight: "ap_fixed<6,1>"}
      ReuseFactor: 1
      Trace: true
    relu1:
      Precision: {result: "ap_fixed<7,1,AP_RND_CONV,AP_SAT>"}
      ReuseFactor: 1
      Trace: true
    softmax:
      Precision: ap_fixed<16,6>
      ReuseFactor: 1
      Trace: true
      exp_table_t: ap_fixed<18,8>
      inv_table_t: ap_fixed<18,4>
      table_size: 1024
"""

# config-files/qkeras_mnist_dense_config.yml (paths relative to the config's own folder, legacy XilinxPart)
QKERAS_MNIST_DENSE = """
KerasJson: qkeras_mnist_dense.json
KerasH5:   qkeras_mnist_dense_weights.h5
OutputDir: qkeras_mnist_dense
ProjectName: myproject
XilinxPart: xcku115-flvb2104-2-i
ClockPeriod: 5
IOType: io_parallel
HLSConfig:
    Model:
      Precision: ap_fixed<16,6>
      ReuseFactor: 1
      Strategy: Resource
    LayerName:
      activation_3:
        Precision: ap_fixed<16,6>
        ReuseFactor: 1
        Strategy: Stable
        exp_table_t: ap_fixed<18,8,AP_RND,AP_SAT>
        inv_table_t: ap_fixed<18,8,AP_RND,AP_SAT>
        table_size: 1024
      input_3:
        Precision: {result: "ap_fixed<16,6>"}
      q_activation_2:
        Precision: {result: "ap_fixed<3,1>"}
        ReuseFactor: 1
      q_dense_2:
        Precision: {bias: "ap_fixed<3,1>", weight: "ap_int<5>"}
        ReuseFactor: 8
      q_dense_3:
        Precision: {bias: "ap_fixed<5,1>", weight: "ap_fixed<5,1>"}
        ReuseFactor: 1
        Strategy: Latency
"""

# config-files/qkeras_mnist_cnn_config.yml
QKERAS_MNIST_CNN = """
KerasJson: keras/qkeras_mnist_cnn.json
KerasH5:   keras/qkeras_mnist_cnn_weights.h5
Backend: Vivado
OutputDir: qkeras_mnist_cnn
ProjectName: myproject
Part: xcvu9p-flga2577-2-e
ClockPeriod: 5
IOType: io_stream
HLSConfig:
  Model:
    Precision: ap_fixed<16,6>
    ReuseFactor: 16
    Strategy: Latency
  LayerName:
    input_1:
      Precision: {result: "ap_fixed<16,6>"}
      Trace: true
    max_pooling2d:
      Precision: ap_fixed<16,6>
      Trace: true
    q_activation:
      Precision: {result: "ap_fixed<7,1,AP_RND,AP_SAT>"}
      ReuseFactor: 1
      Trace: true
    q_conv2d:
      Precision: {bias: "ap_fixed<6,1>", weight: "ap_fixed<6,1>"}
      ReuseFactor: 1
      Trace: true
    q_dense:
      Precision: {bias: "ap_fixed<6,1>", weight: "ap_fixed<6,1>"}
      ReuseFactor: 1
      Trace: true
    softmax:
      Precision: ap_fixed<16,6>
      ReuseFactor: 1
      Trace: true
      exp_table_t: "ap_fixed<18,12,AP_RND,AP_SAT>"
      inv_table_t: "ap_fixed<18,4,AP_RND,AP_SAT>"
      table_size: 1024
"""


def _save(model, folder, stem: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json").write_text(model.to_json())
    model.save_weights(folder / f"{stem}_weights.h5")


def qkeras_3layer(seed: int = 5):
    """Sequential fc1 -> relu1 -> fc2 -> relu2 -> output -> softmax (the public model has three hidden layers)."""
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    q = "quantized_bits(6,0,alpha=1)"
    model = keras.Sequential(
        [
            QDense(8, input_shape=(10,), kernel_quantizer=q, bias_quantizer=q, name="fc1"),
            QActivation("quantized_relu(6,0)", name="relu1"),
            QDense(8, kernel_quantizer=q, bias_quantizer=q, name="fc2"),
            QActivation("quantized_relu(6,0)", name="relu2"),
            QDense(5, kernel_quantizer=q, bias_quantizer=q, name="output"),
            keras.layers.Activation("softmax", name="softmax"),
        ],
        name="qkeras_3layer",
    )
    hls_models._randomize(model, seed)
    return model


def qkeras_mnist_dense(seed: int = 6):
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    inp = keras.Input((16,), name="input_3")
    x = QDense(8, kernel_quantizer="quantized_bits(5,4,alpha=1)", bias_quantizer="quantized_bits(3,0,alpha=1)",
               name="q_dense_2")(inp)  # fmt: skip
    x = QActivation("quantized_relu(2,0)", name="q_activation_2")(x)
    x = QDense(4, kernel_quantizer="quantized_bits(5,0,alpha=1)", bias_quantizer="quantized_bits(5,0,alpha=1)",
               name="q_dense_3")(x)  # fmt: skip
    x = QActivation("quantized_bits(4,1,alpha=1)", name="q_activation_3")(x)
    out = keras.layers.Activation("softmax", name="activation_3")(x)
    model = keras.Model(inp, out, name="qkeras_mnist_dense")
    hls_models._randomize(model, seed)
    return model


def qkeras_mnist_cnn(seed: int = 7):
    from qkeras import QActivation, QConv2D, QDense

    keras = keras_env.keras()
    q = "quantized_bits(6,0,alpha=1)"
    inp = keras.Input((6, 6, 1), name="input_1")
    x = QConv2D(2, (3, 3), kernel_quantizer=q, bias_quantizer=q, name="q_conv2d")(inp)
    x = QActivation("quantized_relu(6,0)", name="q_activation")(x)
    x = keras.layers.MaxPooling2D((2, 2), name="max_pooling2d")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="q_dense")(x)
    out = keras.layers.Activation("softmax", name="softmax")(x)
    model = keras.Model(inp, out, name="qkeras_mnist_cnn")
    hls_models._randomize(model, seed)
    return model


def _layout_3layer(root, text: str = QKERAS_3LAYER):
    """The example-models layout: configs in config-files/, models in keras/, paths relative to the root."""
    _save(qkeras_3layer(), root / "keras", "qkeras_3layer")
    path = root / "config-files" / "qkeras_3layer_config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return yaml.safe_load(text), path


def _parameters(project) -> str:
    return (project.path / "firmware" / "parameters.h").read_text()


def _struct(params: str, layer: str) -> str:
    m = re.search(rf"//\s*{layer}\s*\n(struct .*?\n}};)", params, re.S)
    assert m is not None, f"no config struct for {layer}"
    return m.group(1)


@needs_gxx
@pytest.mark.parametrize("implementation", ["stable", pytest.param("latency", marks=pytest.mark.slow)])
def test_qkeras_3layer_config_keeps_its_softmax_and_is_bit_exact(tmp_path, monkeypatch, implementation):
    text = QKERAS_3LAYER + (f"      implementation: {implementation}\n" if implementation != "stable" else "")
    cfg, path = _layout_3layer(tmp_path, text)
    monkeypatch.chdir(tmp_path)  # as from the repository root: paths resolve against the working directory
    project = hls.convert_from_hls4ml_config(cfg, path)

    assert project.path == (tmp_path / "qkeras_3layer").resolve()  # OutputDir, relative to the working directory
    sm = project.final_softmax
    assert sm is not None and sm["layer"] == "softmax" and sm["implementation"] == implementation
    assert FixedPrecision.parse(sm["exp_table_t"]) == FixedPrecision.parse("ap_fixed<18,8>")
    assert FixedPrecision.parse(sm["inv_table_t"]) == FixedPrecision.parse("ap_fixed<18,4>")
    assert sm["exp_table_size"] == 1024 and sm["result_t"] == "ap_fixed<16,6>"
    assert project.output_precision == FixedPrecision.parse("ap_fixed<16,6>")
    assert any("final softmax 'softmax' kept" in n for n in project.notes)

    x = hls_models.INPUT_PRECISION.quantize(np.random.default_rng(0).normal(0, 1.5, (300, 10)))
    v = compare.verify(project, x, use_ctypes=False)  # the g++ testbench only: one compile
    assert v.bit_accuracy is not None and v.exact is True, v.bit_accuracy.describe()
    assert "softmax_twin" in v.bit_accuracy.reference
    out = np.asarray(v.csim_out)
    # the outputs are the table softmax's (approximate probabilities: the coarse ap_fixed<18,4> inverse table
    # makes rows sum to 1 within ~15 %), not logits
    assert np.all(out >= 0) and np.all(np.abs(out.sum(axis=1) - 1) < 0.25)


def test_softmax_twin_is_not_the_float_softmax():
    """The twin reproduces the tables: with a coarse exp table its outputs differ from exp/sum, so a float
    softmax could not have passed the check above."""
    cfg = softmax_twin.SoftmaxConfig(
        layer="s", implementation="stable", n_slice=3, exp_table_size=64, inv_table_size=64, exp_scale=1.0,
        input_t="ap_fixed<16,6>", result_t="ap_fixed<16,6>", exp_table_t="ap_fixed<10,4,AP_RND,AP_SAT>",
        inv_table_t="ap_fixed<10,4,AP_RND,AP_SAT>", accum_t="ap_fixed<10,4,AP_RND,AP_SAT>",
        inv_inp_t="ap_fixed<10,4,AP_RND,AP_SAT>", inp_norm_t="ap_ufixed<15,5,AP_RND,AP_SAT>",
    )  # fmt: skip
    logits = np.array([[1.0, 0.5, -2.0], [0.0, 0.0, 0.0], [3.0, -1.0, 0.25]])
    out = softmax_twin.apply(cfg, logits)
    exact = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.all(np.abs(out - exact) < 0.1) and not np.array_equal(out, exact)
    assert np.all(np.isin(out * 2**10, np.round(out * 2**10)))  # on the result grid


def test_mnist_dense_config_settings_reach_the_project(tmp_path):
    folder = tmp_path / "cfgs"
    _save(qkeras_mnist_dense(), folder, "qkeras_mnist_dense")
    path = folder / "qkeras_mnist_dense_config.yml"
    path.write_text(QKERAS_MNIST_DENSE)
    cfg = yaml.safe_load(QKERAS_MNIST_DENSE)
    project = hls.convert_from_hls4ml_config(cfg, path, output_dir_override=tmp_path / "prj")
    params = _parameters(project)
    # per-layer ReuseFactor and Strategy as written; Model Strategy Resource on the others
    d2, d3 = _struct(params, "q_dense_2"), _struct(params, "q_dense_3")
    assert "reuse_factor = 8;" in d2 and "strategy = nnet::resource" in d2
    assert "reuse_factor = 1;" in d3 and "strategy = nnet::latency" in d3
    # user precisions (they win over the quantizers, and are reported)
    assert project.layer_precisions["q_dense_2"]["weight"] == FixedPrecision.parse("ap_int<5>")
    assert project.layer_precisions["q_dense_3"]["bias"] == FixedPrecision.parse("ap_fixed<5,1>")
    # the legacy 'Strategy: Stable' of the softmax selects the stable implementation, with the user's tables
    sm = project.final_softmax
    assert sm["implementation"] == "stable"
    # hls4ml caps the tables at 2**bits of the softmax's 4-bit input: said, not hidden
    assert sm["exp_table_size"] < 1024
    assert any(f"table_size 1024 asked, hls4ml emitted exp table {sm['exp_table_size']}" in n for n in project.notes)
    assert FixedPrecision.parse(sm["inv_table_t"]) == FixedPrecision.parse("ap_fixed<18,8,AP_RND,AP_SAT>")
    assert 'set part "xcku115-flvb2104-2-i"' in (project.path / "project.tcl").read_text()
    assert any("Strategy 'Stable' read as the softmax implementation" in n for n in project.notes)


def test_mnist_cnn_config_keeps_its_io_stream_softmax(tmp_path, monkeypatch):
    _save(qkeras_mnist_cnn(), tmp_path / "keras", "qkeras_mnist_cnn")
    path = tmp_path / "config-files" / "qkeras_mnist_cnn_config.yml"
    path.parent.mkdir()
    path.write_text(QKERAS_MNIST_CNN)
    monkeypatch.chdir(tmp_path)
    project = hls.convert_from_hls4ml_config(yaml.safe_load(QKERAS_MNIST_CNN), path)
    # io_stream: nnet_activation_stream.h's softmax computes each packet as the io_parallel kernel a slice, so the
    # twin reads the packets' element types and keeps it (it was left out and said)
    sm = project.final_softmax
    assert project.io_type == "io_stream" and sm is not None and not project.softmax_removed
    assert sm["result_t"] == "ap_fixed<16,6>" and sm["n_slice"] == 3  # the look-alike's Dense(3), one packet
    assert any("final softmax 'softmax' kept" in n for n in project.notes)
    assert "reuse_factor = 16;" in _struct(_parameters(project), "max_pooling2d")  # the Model's ReuseFactor


def test_every_model_and_layer_setting_reaches_the_project(tmp_path, monkeypatch):
    text = QKERAS_3LAYER.replace("ReuseFactor: 1\n    Strategy: Latency", "ReuseFactor: 2\n    Strategy: Resource")
    cfg, path = _layout_3layer(tmp_path, text)
    cfg["HLSConfig"]["LayerName"]["fc2"]["ReuseFactor"] = 4
    cfg["HLSConfig"]["LayerName"]["fc1"]["Precision"]["accum"] = "ap_fixed<24,10>"
    cfg["HLSConfig"]["LayerType"] = {"Dense": {"Precision": {"accum": "ap_fixed<30,12>"}}}
    cfg["ClockPeriod"] = 3.5
    monkeypatch.chdir(tmp_path)
    project = hls.convert_from_hls4ml_config(cfg, path)
    params = _parameters(project)
    fc1, fc2, out = _struct(params, "fc1"), _struct(params, "fc2"), _struct(params, "output")
    # fc1 and output write ReuseFactor 1 as the public config does; fc2 says 4; all get Strategy Resource
    assert "reuse_factor = 1;" in fc1 and "reuse_factor = 4;" in fc2 and "reuse_factor = 1;" in out
    assert all("strategy = nnet::resource" in s for s in (fc1, fc2, out))
    # LayerName wins over LayerType; LayerType reaches the layers without their own accum
    assert project.layer_precisions["fc1"]["accum"] == FixedPrecision.parse("ap_fixed<24,10>")
    assert project.layer_precisions["fc2"]["accum"] == FixedPrecision.parse("ap_fixed<30,12>")
    tcl = (project.path / "project.tcl").read_text()
    assert 'set part "xcvu9p-flga2577-2-e"' in tcl and re.search(r"set clock_period 3\.5", tcl)


def _model_reuse_project(tmp_path, monkeypatch, reuse_factor: int):
    """The 3-layer config under the Resource strategy with ``Model.ReuseFactor`` only (no layer of its own)."""
    text = QKERAS_3LAYER.replace("ReuseFactor: 1\n    Strategy: Latency", f"ReuseFactor: {reuse_factor}\n    Strategy: Resource")
    cfg, path = _layout_3layer(tmp_path, text)
    for entry in cfg["HLSConfig"]["LayerName"].values():
        entry.pop("ReuseFactor", None)
    monkeypatch.chdir(tmp_path)
    return hls.convert_from_hls4ml_config(cfg, path)


def test_model_reuse_factor_reaches_layers_without_their_own(tmp_path, monkeypatch):
    params = _parameters(_model_reuse_project(tmp_path, monkeypatch, 2))
    assert all("reuse_factor = 2;" in _struct(params, n) for n in ("fc1", "fc2", "output"))


def test_reuse_factor_hls4ml_would_replace_is_refused(tmp_path, monkeypatch):
    text = QKERAS_3LAYER.replace("ReuseFactor: 1\n    Strategy: Latency", "ReuseFactor: 1\n    Strategy: Resource")
    cfg, path = _layout_3layer(tmp_path, text)
    cfg["HLSConfig"]["LayerName"]["fc1"]["ReuseFactor"] = 3  # fc1 has 10 x 8 weights: 3 does not divide them
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError, match=r"ReuseFactor 3 is not valid for layer 'fc1' .*valid for its 10 x 8 weights: 1, 2, 5"):
        hls.convert_from_hls4ml_config(cfg, path, output_dir_override=tmp_path / "prj")


def test_model_reuse_factor_hls4ml_moves_is_applied_and_noted_per_layer(tmp_path, monkeypatch):
    project = _model_reuse_project(tmp_path, monkeypatch, 3)
    params = _parameters(project)
    written = {n: int(re.search(r"reuse_factor = (\d+);", _struct(params, n)).group(1)) for n in project.reuse_factors}
    assert set(written) == {"fc1", "fc2", "output"}
    assert written == project.reuse_factors and written["fc1"] == 2  # fc1's 10 x 8 weights take 2 or 5, not 3
    noted = {m.group(1): int(m.group(2)) for n in project.notes
             if (m := re.match(r"HLSConfig\.Model\.ReuseFactor 3: layer '(\w+)'.* hls4ml uses (\d+)", n))}  # fmt: skip
    assert noted == {k: v for k, v in written.items() if v != 3}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["HLSConfig"]["LayerName"].update(fc9={"ReuseFactor": 1}), "LayerName 'fc9' is not a layer"),
        (lambda c: c["HLSConfig"].update(LayerType={"QDense2": {}}), "LayerType 'QDense2' matches no layer"),
        (lambda c: c["HLSConfig"]["LayerName"]["fc1"].update(ReuseFacter=2), "unknown key 'ReuseFacter'"),
        (lambda c: c["HLSConfig"]["LayerName"]["fc1"].update(ReuseFactor="two"), "integer >= 1"),
        (lambda c: c["HLSConfig"]["LayerName"]["fc1"].update(Strategy="Fast"), "'Fast' (accepted: Latency"),
        (lambda c: c["HLSConfig"]["LayerName"]["fc1"].update(exp_table_t="ap_fixed<8,2>"), "Softmax layer only"),
        (lambda c: c["HLSConfig"]["LayerName"]["fc1"]["Precision"].update(wieght="ap_fixed<8,2>"), "unknown key 'wieght'"),
        (lambda c: c["HLSConfig"]["LayerName"]["fc1"]["Precision"].update(weight="ap_fixd<8,2>"), "bad precision"),
        (lambda c: c["HLSConfig"]["Model"].update(ReuseFactor="x"), "Model.ReuseFactor"),
        (lambda c: c.update(ClockPeriod="fast"), "ClockPeriod"),
    ],
)
def test_misspelled_or_invalid_settings_are_refused_by_name(tmp_path, monkeypatch, change, message):
    cfg, path = _layout_3layer(tmp_path)
    change(cfg)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError, match=re.escape(message)):
        hls.convert_from_hls4ml_config(cfg, path, output_dir_override=tmp_path / "prj")


def test_paths_resolve_from_the_working_directory_then_the_config_folder(tmp_path, monkeypatch):
    cfg, path = _layout_3layer(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(SpecError) as err:
        hls.convert_from_hls4ml_config(cfg, path, output_dir_override=tmp_path / "prj")
    msg = str(err.value)
    assert "KerasH5 'keras/qkeras_3layer_weights.h5' not found" in msg
    f = "keras/qkeras_3layer_weights.h5"
    assert str(elsewhere / f) in msg and str(path.parent / f) in msg


@needs_gxx
@pytest.mark.slow
def test_public_3layer_config_builds_as_written_from_the_command_line(tmp_path):
    """`codesign build config-files/qkeras_3layer_config.yml` from the repository root: exit 0, the softmax proven,
    the build in OutputDir, tb_data written, TensorFlow's start-up lines in build.log and not on the console."""
    import subprocess
    import sys

    _layout_3layer(tmp_path)
    cmd = [sys.executable, "-m", "codesign.cli", "build", "config-files/qkeras_3layer_config.yml"]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tmp_path / "qkeras_3layer"  # OutputDir
    rep = json.loads((out / "report.json").read_text())
    assert rep["verdict"]["bit_exact"] is True and "softmax_twin" in rep["bit_accuracy"]["reference"]
    assert rep["project"]["final_softmax"]["layer"] == "softmax" and rep["project"]["path"] == "hls"
    assert (out / "hls" / "tb_data" / "tb_input_features.dat").stat().st_size > 0
    console = proc.stdout + proc.stderr
    assert "cuda" not in console.lower() and "absl" not in console and "E0000" not in console
    assert "bit-exact: yes" in console and 'build_prj.tcl "csim=1 synth=1 cosim=0 export=0"' in console
    assert "OutputDir" in console
    assert (out / "build.log").is_file()
    # codesign check compares through the same twin (it compared the logits with the probabilities: NOT bit-exact)
    check = subprocess.run([sys.executable, "-m", "codesign.cli", "check", str(out), "--n", "100"], capture_output=True,
                           text=True, cwd=tmp_path, env=env, timeout=900)  # fmt: skip
    assert check.returncode == 0 and "verdict: bit-exact" in check.stdout, check.stdout + check.stderr
    assert "softmax_twin" in check.stdout


def test_softmax_the_twin_cannot_reproduce_is_left_out_and_said(tmp_path, monkeypatch):
    cfg, path = _layout_3layer(tmp_path, QKERAS_3LAYER + "      implementation: argmax\n")
    monkeypatch.chdir(tmp_path)
    project = hls.convert_from_hls4ml_config(cfg, path, output_dir_override=tmp_path / "prj")
    assert project.final_softmax is None and project.softmax_removed
    assert any("final softmax 'softmax' of the user's config NOT kept" in n and "argmax" in n for n in project.notes)
    assert "nnet::softmax" not in "".join(p.read_text() for p in (project.path / "firmware").glob("*.cpp"))
