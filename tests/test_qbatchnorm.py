"""QBatchNormalization: hls4ml 1.3 converts it as a BatchNormalization of the stored float gamma, beta, mean and
variance and ignores its quantizers (QKeras normalises with the quantized ones: by default power-of-two values), so
codesign stores them already quantized before the conversion (``hls.prepare._prequantize_batchnorm``). The model's
outputs do not change; the firmware then rounds scale and bias to its types as for a float BatchNormalization, and
the build proves it against that reference with the BatchNormalization WARNING.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign.hls.prepare import prepare_model  # noqa: E402
from tests.foreign_helpers import build, check, csim_and_qkeras, qkeras_predict  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


def qbn_model(seed: int = 3, **bn_kwargs):
    """QDense -> QBatchNormalization (QKeras' default quantizers unless given) -> quantized_relu -> QDense."""
    from qkeras import QActivation, QBatchNormalization, QDense

    keras = keras_env.keras()
    q = "quantized_bits(6,0,alpha=1)"
    inp = keras.Input((8,), name="x")
    x = QDense(6, kernel_quantizer=q, bias_quantizer=q, name="d1")(inp)
    x = QBatchNormalization(name="bn", **bn_kwargs)(x)
    x = QActivation("quantized_relu(6,2)", name="relu")(x)
    model = keras.Model(inp, QDense(3, kernel_quantizer=q, bias_quantizer=q, name="out")(x))
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if ws:
            new = [rng.normal(0.0, 0.5, w.shape) for w in ws]
            if layer.name == "bn":
                new[3] = np.abs(new[3]) + 0.5  # moving variance
            layer.set_weights(new)
    return model


def test_quantizers_are_stored_and_the_model_is_unchanged():
    """The prepared layer holds QKeras' quantized parameters (what its call uses) and predicts the same outputs."""
    import tensorflow as tf

    model = qbn_model()
    prepared, notes = prepare_model(model)
    src, dst = model.get_layer("bn"), prepared.get_layer("bn")
    for qname, w_src, w_dst in zip(("gamma", "beta", "mean", "variance"), src.get_weights(), dst.get_weights(),
                                   strict=True):  # fmt: skip
        want = np.asarray(getattr(src, f"{qname}_quantizer_internal")(tf.constant(w_src)))
        np.testing.assert_array_equal(w_dst, want)
        assert not np.array_equal(w_src, want)  # the quantizer did change the stored float value
    assert any("QBatchNormalization 'bn'" in n and "ignores its quantizers" in n for n in notes), notes
    x = np.random.default_rng(1).normal(0.0, 1.0, (500, 8))
    np.testing.assert_array_equal(model.predict(x, verbose=0), prepared.predict(x, verbose=0))
    # without quantizers there is nothing to store: no note, same weights
    plain = qbn_model(gamma_quantizer=None, beta_quantizer=None, mean_quantizer=None, variance_quantizer=None)
    prepared, notes = prepare_model(plain)
    assert not any("QBatchNormalization" in n for n in notes)
    for a, b in zip(plain.get_layer("bn").get_weights(), prepared.get_layer("bn").get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@needs_gxx
def test_qbatchnorm_model_builds_bit_exact_with_the_batchnorm_warning(tmp_path):
    """QKeras' default QBatchNormalization quantizers (refused before, exit 6): bit-exact against the reference
    with the firmware's rounded scale/bias, the WARNING says on how many inputs the model's own normalisation
    differs, and QKeras' predict of the converted model equals that of the model as given."""
    model = qbn_model()
    code, text, out = build(tmp_path, model, "qbn")
    assert code == 0 and "bit-exact: yes" in text, text[-3000:]
    assert "WARNING" in text and "BatchNormalization" in text and "of 200 inputs" in text, text[-3000:]
    # hls4ml prints 'Unsupported quantizer: quantized_po2' for the quantizers it only wraps: the log, not the console
    assert "Unsupported quantizer" not in text, text[-3000:]
    assert "Unsupported quantizer: quantized_po2" in (out / "build.log").read_text()
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    fw, converted = csim_and_qkeras(out, float64=False)  # QKeras' po2 quantizers run in float32 only
    with np.load(out / "csim" / "csim_results.npz") as z:
        x = z["inputs"]
    np.testing.assert_array_equal(converted, qkeras_predict(model, x, float64=False))
    assert np.std(fw) > 0
