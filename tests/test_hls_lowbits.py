"""Activation quantizers without fractional bits (3-bit builds: quantized_relu(3, 3)), bit for bit in g++.

hls4ml 1.3 types such a quantizer ``ap_uint<3>``/``ap_int<3>``: no rounding, no saturation, so the firmware
differed from QKeras (a jet MLP at ``quantize.bits: 3`` failed on 2 samples in 3). codesign gives it
``ap_[u]fixed<bits, I, AP_RND_CONV, AP_SAT>``; one tiny real conversion and g++ build checks it.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, hls, reference  # noqa: E402
from codesign.reference.quantizers import apply_quantizer  # noqa: E402
from tests import hls_models  # noqa: E402

INPUT = hls_models.INPUT_PRECISION


def lowbit_mlp(seed: int = 11):
    """QDense + fused quantized_relu(3,3) -> QDense + QActivation(quantized_relu(2,3)) -> QDense 'output_logits'."""
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    q = "quantized_bits(3,0,alpha=1)"
    inp = keras.Input((6,), name="inputs")
    x = QDense(8, kernel_quantizer=q, bias_quantizer=q, activation="quantized_relu(3,3)", name="dense1")(inp)
    x = QDense(8, kernel_quantizer=q, bias_quantizer=q, name="dense2")(x)
    x = QActivation("quantized_relu(2,3)", name="relu2")(x)
    x = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="output_logits")(x)
    model = keras.Model(inp, x, name="lowbit_mlp")
    hls_models.randomize_trainable(model, seed)
    return model


def test_reference_follows_qkeras_on_integer_only_quantizers():
    """The float64 reference is QKeras' own arithmetic here (round half to even, saturate, step 2 at I > W)."""
    import tensorflow as tf
    from qkeras import quantized_bits, quantized_relu

    x = np.arange(-40, 161) / 8.0  # -5 .. 20 in steps of 1/8: every half-way point and both saturations
    for q in (quantized_relu(3, 3), quantized_relu(2, 3), quantized_bits(3, 2, alpha=1)):
        qk = np.asarray(q(tf.constant(x, dtype=tf.float32)), dtype=np.float64)
        np.testing.assert_array_equal(apply_quantizer(q, x, "t"), qk)
    assert apply_quantizer(quantized_relu(3, 3), np.array([0.5, 1.5, 2.5, 9.0]), "t").tolist() == [0, 2, 2, 7]


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_integer_only_activations_are_bit_exact(tmp_path):
    model = lowbit_mlp()
    project = hls_models.convert(model, tmp_path, input_precision=INPUT)
    csim.build_testbench(project)
    types = {n: t["result"].to_hls() for n, t in project.layer_precisions.items() if "result" in t}
    assert types["dense1_quantized_relu"] == "ap_ufixed<3,3,AP_RND_CONV,AP_SAT>", types
    assert types["relu2"] == "ap_ufixed<2,3,AP_RND_CONV,AP_SAT>", types
    assert sum("has no fractional bits" in n for n in project.notes) == 2

    x = compare.grid_inputs(INPUT, (6,), 1500, seed=3)
    ref = reference.reference_outputs(project.keras_model, x)
    tb = csim.run_csim(project, x, workers=2)
    v = compare.compare_exact(ref, tb, reference="float64 QKeras reference vs g++ testbench")
    assert v.exact, v.describe()
    # the inputs reach the rounding and the saturation: hls4ml's own ap_uint types (truncate, wrap) would differ
    acts = reference.forward_layers(project.keras_model, x, split_activations=True)
    for pre, out in (("dense1", "dense1_quantized_relu"), ("dense2", "relu2")):
        as_uint = np.mod(np.floor(np.maximum(acts[pre], 0.0)), 8.0)  # ap_uint<3> = a positive sum, truncated, wrapped
        assert np.any(as_uint != acts[out]), out
    assert np.any(acts["dense1_quantized_relu"] == 7.0) and np.any(acts["dense1"] > 8.0)
    assert set(np.unique(acts["relu2"])) <= {0.0, 2.0, 4.0, 6.0}


def test_quantized_bits_activation_without_fraction_rounds_and_saturates():
    """QActivation(quantized_bits(3, 2)): hls4ml's int<3> becomes ap_fixed<3,3,AP_RND_CONV,AP_SAT>; a user type wins."""
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    q = "quantized_bits(3,0,alpha=1)"
    inp = keras.Input((4,), name="inputs")
    x = QDense(4, kernel_quantizer=q, bias_quantizer=q, name="dense1")(inp)
    x = QActivation("quantized_bits(3,2,alpha=1)", name="act1")(x)
    x = QActivation("quantized_relu(4,3)", name="relu1")(x)  # has fractional bits: left as hls4ml types it
    model = keras.Model(inp, QDense(2, kernel_quantizer=q, bias_quantizer=q, name="output_logits")(x))
    kw = dict(backend="Vitis", strategy="Latency", reuse_factor=1, input_precision=INPUT, layer_overrides=None)
    notes: list[str] = []
    layers = hls.build_hls_config(model, hls_config=None, notes=notes, **kw)["LayerName"]
    assert layers["act1"]["Precision"]["result"] == "ap_fixed<3,3,AP_RND_CONV,AP_SAT>"
    assert layers["relu1"]["Precision"]["result"] == "ufixed<4,3,RND_CONV,SAT,0>"
    (note,) = [n for n in notes if "has no fractional bits" in n]
    assert "'act1'" in note and "int<3>" in note and "ap_fixed<3,3,AP_RND_CONV,AP_SAT>" in note
    user = {"LayerName": {"act1": {"Precision": {"result": "ap_fixed<8,4>"}}}}
    layers = hls.build_hls_config(model, hls_config=user, notes=[], **kw)["LayerName"]
    assert layers["act1"]["Precision"]["result"] == "ap_fixed<8,4>"
