"""Models as fastmachinelearning projects publish them, rebuilt from their code (random or 1-epoch weights).

hls4ml-tutorial part 4 writes ``QActivation(quantized_relu(6))`` with a quantizer object; the CMS L1 jet tagger
baseline has pointwise QConv1D layers, a ``quantized_bits(18,8)`` QActivation before GlobalAveragePooling1D and two
heads (jet ID and pT). Both build bit-exact, and QKeras' own float64 predict equals the C-simulation. The ADC2021
dense autoencoder (float, Dense -> LeakyReLU(0.3) after a 3-wide latent Dense) had no emulator verdict: the
LeakyReLU's product needed 65 bits. A float CNN with an UpSampling2D (hls4ml's Resize) had no verdict and named the
layer on the console; the Resize is emulated now and the model builds bit-exact (float CNNs with a verdict:
``tests/test_foreign_cnn.py``).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from tests.foreign_helpers import build, check, csim_and_qkeras, emulator_vs_csim, randomize  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


def tutorial_part4():
    """hls4ml-tutorial part 4: 16 -> 64 -> 32 -> 32 -> 5, quantized_bits(6,0,alpha=1), quantizer objects."""
    from qkeras import QActivation, QDense
    from qkeras.quantizers import quantized_bits, quantized_relu

    keras = keras_env.keras()
    q = {"kernel_quantizer": quantized_bits(6, 0, alpha=1), "bias_quantizer": quantized_bits(6, 0, alpha=1)}
    layers = [keras.Input((16,))]
    for i, n in enumerate((64, 32, 32), start=1):
        layers += [QDense(n, name=f"fc{i}", **q), QActivation(activation=quantized_relu(6), name=f"relu{i}")]
    layers += [QDense(5, name="output", **q), keras.layers.Activation("softmax", name="softmax")]
    return randomize(keras.Sequential(layers), 1, 0.5)


def cms_jet_tagger():
    """The CMS L1 jet tagger baseline (inputs standardized beforehand): pointwise QConv1D x2, quantized_bits(18,8)
    before the average pooling, a jet-ID head and a pT regression head."""
    from qkeras import QActivation, QConv1D, QDense
    from qkeras.quantizers import quantized_bits, quantized_relu

    keras = keras_env.keras()
    ca = {"kernel_quantizer": quantized_bits(9, 2, alpha=1), "bias_quantizer": quantized_bits(9, 2, alpha=1)}
    inp = keras.Input((16, 8), name="model_input")
    x = QActivation(quantized_relu(9), name="relu_1")(QConv1D(10, 1, name="Conv1D_1", **ca)(inp))
    x = QActivation(quantized_relu(9), name="relu_2")(QConv1D(10, 1, name="Conv1D_2", **ca)(x))
    x = QActivation("quantized_bits(18,8)", name="act_pool")(x)
    x = keras.layers.GlobalAveragePooling1D(name="avgpool")(x)
    j = QActivation(quantized_relu(9), name="relu_1_jetID")(QDense(16, name="Dense_1_jetID", **ca)(x))
    j = keras.layers.Activation("softmax", name="jet_id")(QDense(8, name="Dense_2_jetID", **ca)(j))
    p = QActivation(quantized_relu(9), name="relu_1_pt")(QDense(10, name="Dense_1_pT", **ca)(x))
    pq = {"kernel_quantizer": quantized_bits(16, 6, alpha=1), "bias_quantizer": quantized_bits(16, 6, alpha=1)}
    p = QDense(1, name="pT_output", **pq)(p)
    return randomize(keras.Model(inp, [j, p]), 2, 0.5)


def adc_dense_autoencoder():
    """ADC2021's dense autoencoder (float): 57 -> 32 -> 16 -> 3 -> 16 -> 32 -> 57, LeakyReLU(0.3), no BN here."""
    keras = keras_env.keras()
    inp = keras.Input((57,))
    x = inp
    for n in (32, 16):
        x = keras.layers.LeakyReLU(0.3)(keras.layers.Dense(n)(x))
    x = keras.layers.Dense(3, name="latent")(x)
    for n in (16, 32):
        x = keras.layers.LeakyReLU(0.3)(keras.layers.Dense(n)(x))
    return randomize(keras.Model(inp, keras.layers.Dense(57)(x)), 3, 0.3)


def float_conv2d_upsampled():
    """hls4ml example-models' small float Conv2D classifier with an UpSampling2D after it."""
    keras = keras_env.keras()
    inp = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, (3, 3), activation="relu", padding="same", name="conv2d")(inp)
    x = keras.layers.UpSampling2D((2, 2), name="upsample")(keras.layers.MaxPooling2D((2, 2))(x))
    x = keras.layers.Flatten()(x)
    return randomize(keras.Model(inp, keras.layers.Dense(10, activation="softmax")(x)), 4, 0.5)


@pytest.mark.slow
@needs_gxx
@pytest.mark.parametrize("which", ["tutorial_part4", "cms_jet_tagger"])
def test_published_qkeras_models_build_bit_exact_and_match_qkeras(tmp_path, which):
    code, text, out = build(tmp_path, globals()[which](), which)
    assert code == 0 and "bit-exact: yes" in text, text[-3000:]
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    fw, qkeras = csim_and_qkeras(out)
    np.testing.assert_array_equal(qkeras, fw)
    assert np.std(fw) > 0


@pytest.mark.slow
@needs_gxx
def test_adc_dense_autoencoder_has_an_emulator_verdict(tmp_path):
    code, text, out = build(tmp_path, adc_dense_autoencoder(), "adc_ae")
    assert code == 0 and "bit-exact: yes" in text and "fixed-point emulator" in text, text[-3000:]
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]


@pytest.mark.slow
@needs_gxx
def test_float_upsampled_cnn_has_an_emulator_verdict(tmp_path):
    """It had none (the emulator knew no Resize) and named the layer on the console; the Resize is emulated now
    (a float model whose layer the emulator does not know: tests/test_foreign_rnn_dot.py's io_stream sigmoid)."""
    code, text, out = build(tmp_path, float_conv2d_upsampled(), "conv2d")
    assert code == 0 and "bit-exact: yes" in text and "fixed-point emulator" in text, text[-3000:]
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    n, bad = emulator_vs_csim(out)
    assert bad == 0, f"{bad} of {n} outputs differ"
