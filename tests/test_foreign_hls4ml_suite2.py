"""Models and configs as hls4ml's own test suite writes them (test/pytest), round nine.

- ``hls_config['LayerName']['softmax']['Strategy'] = 'Stable'`` (test_cnn_mnist.py, test_cnn_mnist_qkeras.py,
  test_conv1d.py, test_softmax.py) was refused when the file was read ("'Stable' is not supported (accepted: Latency,
  Resource)", exit 2), although the conversion reads it as the softmax's implementation: the edge check now leaves
  a per-layer softmax implementation to the conversion, which refuses it on any layer that is not a softmax.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from codesign.errors import SpecError


def _config(tmp_path, model_strategy: str = "Latency", layer: str = "softmax", strategy: str = "Stable"):
    cfg = {
        "KerasH5": "m.h5", "OutputDir": "prj", "ProjectName": "myproject", "Part": "xcvu9p-flga2104-2L-e",
        "ClockPeriod": 5, "IOType": "io_parallel", "Backend": "Vivado",
        "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": model_strategy},
                      "LayerName": {layer: {"Precision": {"result": "ap_fixed<16,6>"}, "Strategy": strategy}}},
    }  # fmt: skip
    (tmp_path / "m.h5").write_bytes(b"")
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize("strategy", ["Stable", "stable", "Argmax", "legacy"])
def test_softmax_strategy_of_hls4ml_tests_is_read_not_refused(tmp_path, strategy):
    from codesign.spec import Hls4mlConfig, load_spec

    assert isinstance(load_spec(_config(tmp_path, strategy=strategy)), Hls4mlConfig)


def test_softmax_implementation_as_model_strategy_or_on_another_layer_is_refused(tmp_path):
    from codesign import hls4ml_config

    with pytest.raises(
        SpecError, match=r"HLSConfig.Model.Strategy: 'Stable' is not supported \(accepted: Latency, Resource\)"
    ):
        from codesign.spec import load_spec

        load_spec(_config(tmp_path, model_strategy="Stable"))
    # a LayerName entry is checked against its layer once the model is read: a Dense is no softmax
    with pytest.raises(SpecError, match=r"LayerName.dense.Strategy: 'Stable' \(accepted: Latency, Resource\)"):
        hls4ml_config.check_layer_entry({"Strategy": "Stable"}, "c.yml: HLSConfig.LayerName.dense", False, [])
    notes: list[str] = []
    got = hls4ml_config.check_layer_entry({"Strategy": "Stable"}, "c.yml: HLSConfig.LayerName.softmax", True, notes)
    assert got == {"implementation": "stable"} and "read as the softmax implementation 'stable'" in notes[0]


def _layers():
    from codesign import keras_env

    keras_env.setup()
    import qkeras

    keras = keras_env.keras()
    inp = keras.Input((8, 4))
    up = keras.layers.UpSampling1D(2, name="up")
    x = up(inp)
    x = keras.layers.Flatten()(x)
    dense = keras.layers.Dense(4, name="dense")
    x = dense(x)
    qbn = qkeras.QBatchNormalization(name="qbn")  # QKeras' default quantizers: po2 for all four
    qbn6 = qkeras.QBatchNormalization(name="qbn6", beta_quantizer="quantized_bits(6,2)", gamma_quantizer=None)
    bn = keras.layers.BatchNormalization(name="bn")
    keras.Model(inp, bn(qbn6(qbn(x))))
    return up, dense, qbn, qbn6, bn


def test_upsampling_algorithm_written_by_hls4ml_is_checked_against_the_layer():
    """config_from_keras_model(granularity='name') writes 'Algorithm: nearest' for an UpSampling (test_upsampling.py);
    it was refused as an unknown key (exit 2). hls4ml 1.3 resizes with it, so it must be the layer's own."""
    from codesign.hls4ml_layer_keys import check_algorithm

    up, dense, *_ = _layers()
    check_algorithm("nearest", up, "c.yml: HLSConfig.LayerName.up")
    with pytest.raises(
        SpecError, match=r"LayerName.up.Algorithm: 'bilinear'.*interpolates 'nearest'.*accepted: nearest"
    ):
        check_algorithm("bilinear", up, "c.yml: HLSConfig.LayerName.up")
    with pytest.raises(SpecError, match=r"LayerName.dense.Algorithm: applies to UpSampling1D / UpSampling2D.*Dense"):
        check_algorithm("nearest", dense, "c.yml: HLSConfig.LayerName.dense")


def test_qbatchnorm_types_written_by_hls4ml_are_accepted_only_where_they_describe_the_quantizer():
    """config_from_keras_model writes Precision beta/gamma/mean/variance for a QBatchNormalization (test_binary_cnn.py),
    refused as unknown keys (exit 2). hls4ml 1.3 does not read them; codesign applies the quantizers themselves."""
    from codesign.hls4ml_layer_keys import batchnorm_precisions
    from codesign.precision import FixedPrecision

    *_, qbn, qbn6, bn = _layers()
    default = FixedPrecision.parse("ap_fixed<16,6>")
    at = "c.yml: HLSConfig.LayerName.qbn"
    written = {"result": "auto", "beta": "fixed<16,6,TRN,WRAP,0>", "gamma": "fixed<16,6,TRN,WRAP,0>",
               "mean": "fixed<16,6,TRN,WRAP,0>", "variance": "fixed<16,6,TRN,WRAP,0>"}  # fmt: skip
    notes: list[str] = []
    assert batchnorm_precisions(written, qbn, default, at, notes) == {"result": "auto"}
    assert len(notes) == 4 and "quantized_po2" in notes[0] and "not read by hls4ml 1.3" in notes[0]
    # a po2 quantizer's stand-in must be the Model default hls4ml writes; another type would be dropped
    with pytest.raises(SpecError, match=r"qbn.Precision.beta: 'ap_fixed<8,3>' is not read.*accepted: ap_fixed<16,6>"):
        batchnorm_precisions({"beta": "ap_fixed<8,3>"}, qbn, default, at, [])
    # a quantized_bits quantizer: its own type (sign bit counted), whatever the modes
    at6 = "c.yml: HLSConfig.LayerName.qbn6"
    assert batchnorm_precisions({"beta": "fixed<6,3,TRN,WRAP,0>"}, qbn6, default, at6, []) == {}
    with pytest.raises(SpecError, match=r"qbn6.Precision.beta: 'fixed<6,2>'.*accepted: ap_fixed<6,3"):
        batchnorm_precisions({"beta": "fixed<6,2>"}, qbn6, default, at6, [])
    with pytest.raises(SpecError, match=r"qbn6.Precision.gamma: .*no gamma_quantizer"):
        batchnorm_precisions({"gamma": "fixed<6,3>"}, qbn6, default, at6, [])
    with pytest.raises(SpecError, match=r"LayerName.bn.Precision: key\(s\) beta.*QBatchNormalization's.*this is Batch"):
        batchnorm_precisions({"beta": "fixed<6,3>"}, bn, default, "c.yml: HLSConfig.LayerName.bn", [])


def test_param_type_of_parametrized_activations_is_read_elsewhere_refused():
    """config_from_keras_model writes 'Precision: {param: auto}' for activation layers (test_trace.py,
    test_activations.py): refused as an unknown key (exit 2). hls4ml 1.3 reads it as a parametrized activation's
    param_t (the emulator takes that type from parameters.h); on another layer a type would be dropped."""
    from codesign import keras_env
    from codesign.hls4ml_layer_keys import check_param

    keras = keras_env.keras()
    L = keras.layers
    at = "c.yml: HLSConfig.LayerName.x"
    for layer in (L.ELU(1.25), L.LeakyReLU(1.5), L.ThresholdedReLU(0.75), L.PReLU(), L.Activation("elu")):
        check_param({"param": "ap_fixed<8,3>", "result": "auto"}, layer, at)
    check_param({"param": "auto"}, L.Dense(3), at)
    with pytest.raises(SpecError, match=r"LayerName.x.Precision.param: 'ap_fixed<8,3>'.*this is Activation"):
        check_param({"param": "ap_fixed<8,3>"}, L.Activation("relu"), at)


def _lone_softmax():
    from codesign import keras_env

    keras = keras_env.keras()
    return keras.Sequential(
        [keras.Input((8,), name="softmax_input"), keras.layers.Activation("softmax", name="softmax")]
    )


def test_a_model_that_is_only_its_final_softmax_is_refused_before_training():
    """test_softmax.py's model is a lone Activation('softmax'): where codesign leaves the softmax out (a spec, the
    argmax implementation) nothing remained and Keras raised (exit 7, internal error)."""
    from codesign.hls import require_convertible

    with pytest.raises(SpecError, match=r"m.h5: final softmax layer 'softmax' is the model's only layer"):
        require_convertible(_lone_softmax(), "m.h5", strips_heads=True)
    require_convertible(_lone_softmax(), "m.h5")  # an hls4ml config may keep it (io_parallel stable/latency)


@pytest.mark.parametrize("io_type,strategy", [("io_stream", "argmax"), ("io_parallel", "argmax")])
def test_hls4ml_softmax_test_config_is_refused_where_the_softmax_is_not_kept(tmp_path, io_type, strategy):
    from codesign import hls

    _lone_softmax().save(tmp_path / "m.h5")
    cfg = {
        "KerasH5": str(tmp_path / "m.h5"), "OutputDir": "prj", "ProjectName": "myproject",
        "Part": "xcvu9p-flga2104-2L-e", "IOType": io_type,
        "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
                      "LayerName": {"softmax": {"Strategy": strategy, "exp_table_t": "ap_fixed<18,8,AP_RND,AP_SAT>"},
                                    "softmax_input": {"Precision": {"result": "fixed<16,6>"}}}},
    }  # fmt: skip
    with pytest.raises(SpecError, match=r"final softmax layer 'softmax' is the model's only layer"):
        hls.convert_from_hls4ml_config(cfg, tmp_path / "c.yml", output_dir_override=tmp_path / "prj")


def test_recurrent_types_and_static_of_hls4ml_rnn_configs_are_read_on_recurrent_layers_only():
    """test_rnn.py's configs (config_from_keras_model + 'static', 'TableSize'): Precision recurrent_weight /
    recurrent_bias and 'static' were refused as unknown keys (exit 2); hls4ml 1.3 reads them for an LSTM / GRU."""
    from codesign import keras_env
    from codesign.hls4ml_layer_keys import check_param, check_static

    keras = keras_env.keras()
    L = keras.layers
    at = "c.yml: HLSConfig.LayerName.x"
    for layer in (L.LSTM(4), L.GRU(4)):
        check_param({"recurrent_weight": "ap_fixed<8,3>", "recurrent_bias": "ap_fixed<8,3>"}, layer, at)
        check_static(True, layer, at)
        check_static(False, layer, at)
    check_param({"recurrent_weight": "auto"}, L.Dense(3), at)
    check_param({"backward_bias": "ap_fixed<8,3>", "forward_recurrent_weight": "ap_fixed<8,3>"},
                L.Bidirectional(L.GRU(4)), at)  # fmt: skip
    with pytest.raises(SpecError, match=r"Precision.backward_bias: .*only for a Bidirectional layer; this is LSTM"):
        check_param({"backward_bias": "ap_fixed<8,3>"}, L.LSTM(4), at)
    # test_embed.py's config: the Embedding's own type key; the Embedding itself is refused by name elsewhere
    check_param({"embeddings": "ap_fixed<16,6>"}, L.Embedding(13, 8), at)
    with pytest.raises(SpecError, match=r"Precision.embeddings: .*only for an Embedding; this is Dense"):
        check_param({"embeddings": "ap_fixed<16,6>"}, L.Dense(3), at)
    with pytest.raises(
        SpecError, match=r"LayerName.x.Precision.recurrent_bias: 'ap_fixed<8,3>'.*LSTM / GRU; this is Dense"
    ):
        check_param({"recurrent_bias": "ap_fixed<8,3>"}, L.Dense(3), at)
    with pytest.raises(SpecError, match=r"LayerName.x.static: read by hls4ml 1.3 only for LSTM.*this is Dense"):
        check_static(True, L.Dense(3), at)
    with pytest.raises(SpecError, match=r"LayerName.x.static: must be true or false, got 'yes'"):
        check_static("yes", L.LSTM(4), at)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_activation_leaky_relu_string_builds_bit_exact_against_the_emulator(tmp_path):
    """test_activations.py's Activation('leaky_relu') (tf.nn.leaky_relu, slope 0.2; hls4ml converts it as a
    LeakyReLU(0.2)) was refused as code that is not Keras' (exit 2), and the emulator did not know its hls4ml name:
    now proven bit for bit against the emulator, which equals the C-simulation; another result type differs."""
    from codesign import keras_env
    from tests.foreign_helpers import emulator_with_type_vs_csim, proven_against_emulator, randomize

    keras = keras_env.keras()
    inp = keras.Input((8,), name="x")
    x = keras.layers.Dense(8, name="dense")(inp)
    model = randomize(keras.Model(inp, keras.layers.Activation("leaky_relu", name="act")(x)), 5)
    out = proven_against_emulator(tmp_path, model, "leaky_act")
    cpp = (out / "hls" / "firmware" / "myproject.cpp").read_text()
    assert "nnet::leaky_relu<" in cpp and ", 0.2, " in cpp
    n, bad = emulator_with_type_vs_csim(out, "act", "result", "ap_fixed<10,4>")
    assert bad > n // 10, (bad, n)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_io_stream_batchnorm_builds_bit_exact_against_the_emulator(tmp_path):
    """test_auto_precision.py's Dense -> BatchNormalization models in io_stream had no verdict: the emulator did not
    know nnet_batchnorm_stream.h's normalize (the same element arithmetic as io_parallel's, scale and bias per channel
    of each packet). A Conv1D -> ReLU -> BatchNormalization (4 channels a packet) now builds bit-exact against the emulator,
    which equals the C-simulation; another result type differs."""
    from codesign import keras_env
    from tests.foreign_helpers import emulator_with_type_vs_csim, proven_against_emulator, randomize

    keras = keras_env.keras()
    inp = keras.Input((8, 2), name="x")
    x = keras.layers.ReLU(name="relu")(keras.layers.Conv1D(4, 3, name="conv")(inp))  # hls4ml folds a BN into a Conv
    model = randomize(keras.Model(inp, keras.layers.BatchNormalization(name="bn")(x)), 7)
    out = proven_against_emulator(tmp_path, model, "bn_stream", {"hls": {"io_type": "io_stream"}})
    assert "nnet::normalize<" in (out / "hls" / "firmware" / "myproject.cpp").read_text()
    n, bad = emulator_with_type_vs_csim(out, "bn", "result", "ap_fixed<10,4>")
    assert bad > n // 10, (bad, n)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_float_model_with_kept_softmax_is_judged_by_emulator_then_twin(tmp_path):
    """test_cnn_mnist.py / test_conv1d.py: a float model whose hls4ml config keeps the final softmax
    ('Strategy: Stable') had no verdict (the emulator does not run an hls4ml Softmax). Its exact logits from the
    emulator through the softmax twin equal the C-simulation on 2000 inputs; another type before the softmax differs."""
    from dataclasses import replace

    import numpy as np

    from codesign import compare, csim, hls, keras_env
    from codesign.final_heads import emulate_through_head
    from codesign.precision import FixedPrecision
    from tests.foreign_helpers import randomize

    keras = keras_env.keras()
    inp = keras.Input((10,), name="x")
    x = keras.layers.Dense(8, activation="relu", name="fc")(inp)
    model = randomize(keras.Model(inp, keras.layers.Dense(5, activation="softmax", name="out")(x)), 11, scale=1.5)
    model.save(tmp_path / "m.h5")
    cfg = {
        "KerasH5": str(tmp_path / "m.h5"), "OutputDir": "prj", "ProjectName": "myproject",
        "Part": "xcvu9p-flga2104-2L-e", "IOType": "io_parallel",
        "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
                      "LayerName": {"out_softmax": {"Strategy": "Stable"}, "out": {"Precision": {"result": "ap_fixed<12,4>"}}}},
    }  # fmt: skip
    project = hls.convert_from_hls4ml_config(cfg, tmp_path / "c.yml", output_dir_override=tmp_path / "prj")
    assert project.final_softmax is not None and project.final_softmax["implementation"] == "stable"
    desc = compare.firmware_description(project)
    p = project.input_precision
    rng = np.random.default_rng(4)
    xs = np.concatenate([p.quantize(rng.normal(0, 2, (1000, 10))), compare.grid_inputs(p, (10,), 1000, seed=4)])
    fw = csim.run_csim(project, xs).reshape(len(xs), -1)
    emu, name = emulate_through_head(desc, xs, project.final_softmax, None)
    np.testing.assert_array_equal(emu, fw)
    assert "table softmax 'out_softmax'" in name and len(np.unique(fw)) > 20
    out = desc.layer("out")
    wrong = replace(out, types={**out.types, "result": FixedPrecision.parse("ap_fixed<10,4>")})
    emu2, _ = emulate_through_head(replace(desc, layers=tuple(wrong if lyr is out else lyr for lyr in desc.layers)),
                                   xs, project.final_softmax, None)  # fmt: skip
    assert np.count_nonzero(emu2 != fw) > fw.size // 10


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
@pytest.mark.parametrize("shape,implementation", [((8,), "latency"), ((8, 8, 3), "stable")])
def test_io_stream_softmax_is_kept_and_checked_packet_by_packet(tmp_path, shape, implementation):
    """test_softmax.py in io_stream: nnet_activation_stream.h computes each packet as the io_parallel kernel computes
    a slice, so the twin keeps the softmax (it was left out, and for a lone softmax nothing remained: exit 7). On a
    (8, 8, 3) input the packets are a pixel's 3 channels while hls4ml writes n_slice 192: the twin over 192 values
    differs from the C-simulation, over each packet it equals it."""
    from dataclasses import replace

    import numpy as np

    from codesign import compare, hls, keras_env, softmax_twin

    keras = keras_env.keras()
    model = keras.Sequential(
        [keras.Input(shape, name="softmax_input"), keras.layers.Activation("softmax", name="softmax")]
    )
    model.save(tmp_path / "m.h5")
    cfg = {
        "KerasH5": str(tmp_path / "m.h5"), "OutputDir": "prj", "ProjectName": "myproject",
        "Part": "xcvu9p-flga2104-2L-e", "IOType": "io_stream",
        "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
                      "LayerName": {"softmax": {"implementation": implementation, "exp_table_t": "ap_fixed<18,8,AP_RND,AP_SAT>",
                                                "inv_table_t": "ap_fixed<18,8,AP_RND,AP_SAT>"},
                                    "softmax_input": {"Precision": {"result": "fixed<16,6>"}}}},
    }  # fmt: skip
    project = hls.convert_from_hls4ml_config(cfg, tmp_path / "c.yml", output_dir_override=tmp_path / "prj")
    sm = project.final_softmax
    assert sm is not None and sm["implementation"] == implementation and sm["n_slice"] == shape[-1]
    p = project.input_precision
    x = p.quantize(np.clip(np.random.default_rng(5).normal(0, 3, (600, *shape)), p.min_value, p.max_value))
    v = compare.verify(project, x, use_ctypes=False)
    assert v.exact is True and "softmax_twin" in v.bit_accuracy.reference, v.bit_accuracy.describe()
    fw = np.asarray(v.csim_out).reshape(len(x), -1)
    assert len(np.unique(fw)) > 20
    if len(shape) > 1:  # one slice of all 192 values, as n_slice says, is not what the firmware computes
        whole = replace(softmax_twin.SoftmaxConfig.from_dict(sm), n_slice=int(np.prod(shape)))
        assert np.count_nonzero(softmax_twin.apply(whole, x.reshape(len(x), -1)) != fw) > fw.size // 2
