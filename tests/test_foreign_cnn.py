"""Float CNNs as other projects publish them, rebuilt from their code with random weights, through `codesign build`
and `codesign check`: the firmware is proven against the fixed-point emulator (Conv2D, Conv1D, pooling, io_stream),
and the emulator, run here on the build's own inputs from the firmware description on disk, equals the C-simulation.

- hls4ml's ``test/pytest/test_cnn_mnist.py``: Conv2D 3x3 'same' -> ReLU -> MaxPooling2D -> Conv2D 5x5 'valid' ->
  ReLU -> AveragePooling2D -> Dense -> softmax (28x28x1, io_parallel).
- hls4ml-tutorial part 6 (``part6_cnns.ipynb``) baseline: three Conv2D (no bias) -> BatchNormalization -> ReLU ->
  MaxPooling2D blocks, Dense -> BatchNormalization -> ReLU twice, Dense -> softmax (32x32x3 SVHN, io_stream as
  the tutorial converts it).
- the HGCAL ECON-T autoencoder's encoder (``Ecoder`` ``denseCNN.py`` with ``CNN_pool``): Conv2D 3x3 'same' ->
  ReLU -> MaxPooling2D 'same' -> Flatten -> Dense ``encoded_vector``.
- the CMS L1 jet tagger's float DeepSet (``FloatingDeepSetModel``): BatchNormalization of the input, pointwise
  Conv1D -> ReLU twice, AveragePooling1D over the 16 constituents, a jet-ID head and a pT head.
- a Conv1D jet classifier (``Jet_Classification/CNN1D``): Conv1D 8/4/2 filters of 4 with strides 1/2/3 -> ReLU,
  Dense 32, softmax (100 particles x 7 features).
- hls4ml example-models' small float Conv2D classifier: Conv2D 3x3 'same' -> ReLU -> MaxPooling2D -> Dense ->
  softmax (8x8x1).
"""

from __future__ import annotations

import shutil

import pytest

from codesign import keras_env

keras_env.setup()

from tests.foreign_helpers import build, check, emulator_vs_csim, randomize  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


def hls4ml_cnn_mnist():
    """hls4ml's test_cnn_mnist.py model."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((28, 28, 1), name="image")
    x = L.Activation("relu", name="act_1")(L.Conv2D(4, (3, 3), padding="same", name="conv_1")(inp))
    x = L.MaxPooling2D(name="maxpool")(x)
    x = L.Activation("relu", name="act_2")(L.Conv2D(6, (5, 5), padding="valid", name="conv_2")(x))
    x = L.AveragePooling2D(name="avgpool")(x)
    x = L.Dense(10, name="dense")(L.Flatten(name="flatten")(x))
    return randomize(keras.Model(inp, L.Activation("softmax", name="softmax")(x)), 11)


def tutorial_part6():
    """hls4ml-tutorial part 6's float baseline (filters [16, 16, 24], dense [42, 64])."""
    keras = keras_env.keras()
    L = keras.layers
    x = inp = keras.Input((32, 32, 3), name="input_1")
    for i, f in enumerate([16, 16, 24]):
        x = L.Conv2D(f, (3, 3), use_bias=False, name=f"conv_{i}")(x)
        x = L.BatchNormalization(name=f"bn_conv_{i}")(x)
        x = L.Activation("relu", name=f"conv_act_{i}")(x)
        x = L.MaxPooling2D((2, 2), name=f"pool_{i}")(x)
    x = L.Flatten(name="flatten")(x)
    for i, n in enumerate([42, 64]):
        x = L.Dense(n, use_bias=False, name=f"dense_{i}")(x)
        x = L.BatchNormalization(name=f"bn_dense_{i}")(x)
        x = L.Activation("relu", name=f"dense_act_{i}")(x)
    x = L.Activation("softmax", name="output_softmax")(L.Dense(10, name="output_dense")(x))
    return randomize(keras.Model(inp, x), 12, scale=0.3)


def econ_t_encoder():
    """ECON-T's CNN encoder with pooling: (4, 4, 3) wafer inputs, 8 filters of 3x3, a 16-value encoding."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((4, 4, 3), name="input_1")
    x = L.Conv2D(8, 3, activation="relu", padding="same", name="conv2d")(inp)
    x = L.MaxPooling2D((2, 2), padding="same", name="max_pooling2d")(x)
    x = L.Dense(16, activation="relu", name="encoded_vector")(L.Flatten(name="flatten")(x))
    return randomize(keras.Model(inp, x), 13)


def cms_float_deepset():
    """The CMS L1 jet tagger's FloatingDeepSetModel (conv1d_layers [10, 10], classification [32, 16], regression
    [10], 16 constituents x 8 features)."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((16, 8), name="model_input")
    x = L.BatchNormalization(name="norm_input")(inp)
    for i, d in enumerate([10, 10]):
        x = L.Conv1D(d, 1, activation="relu", name=f"Conv1D_{i + 1}")(x)
    x = L.Flatten(name="flatten")(L.AveragePooling1D(16, name="avgpool")(x))
    j = L.Dense(32, name="Dense_1_jetID")(x)
    j = L.Dense(16, activation="relu", name="Dense_2_jetID")(j)
    j = L.Activation("softmax", name="jet_id_output")(L.Dense(8, name="Dense_3_jetID")(j))
    p = L.Dense(1, name="pT_output")(L.Dense(10, name="Dense_1_pT")(x))
    return randomize(keras.Model(inp, [j, p]), 14, scale=0.3)


def conv1d_jet_classifier():
    """Jet_Classification/CNN1D: (100, 7) -> Conv1D 8/4/2, kernel 4, strides 1/2/3, ReLU -> Dense 32 -> softmax 5."""
    keras = keras_env.keras()
    L = keras.layers
    x = inp = keras.Input((100, 7), name="input_1")
    for i, (f, s) in enumerate([(8, 1), (4, 2), (2, 3)]):
        x = L.Conv1D(f, 4, strides=s, activation="relu", name=f"conv1d_{i + 1}")(x)
    x = L.Dense(32, activation="relu", name="dense_1")(L.Flatten(name="flatten")(x))
    return randomize(keras.Model(inp, L.Dense(5, activation="softmax", name="output")(x)), 15)


def small_conv2d():
    """example-models' small float Conv2D classifier."""
    keras = keras_env.keras()
    inp = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, (3, 3), activation="relu", padding="same", name="conv2d")(inp)
    x = keras.layers.Flatten()(keras.layers.MaxPooling2D((2, 2))(x))
    return randomize(keras.Model(inp, keras.layers.Dense(10, activation="softmax")(x)), 4)


MODELS = {
    "hls4ml_cnn_mnist": (hls4ml_cnn_mnist, {}),
    "tutorial_part6": (tutorial_part6, {"hls": {"io_type": "io_stream"}}),
    "econ_t_encoder": (econ_t_encoder, {}),
    "cms_float_deepset": (cms_float_deepset, {}),
    "conv1d_jet_classifier": (conv1d_jet_classifier, {}),
    "small_conv2d": (small_conv2d, {}),
}


@pytest.mark.slow
@needs_gxx
@pytest.mark.parametrize("which", list(MODELS))
def test_foreign_float_cnn_is_proven_against_the_emulator(tmp_path, which):
    make, extra = MODELS[which]
    code, text, out = build(tmp_path, make(), which, extra)
    assert code == 0 and "bit-exact: yes" in text and "fixed-point emulator" in text, text[-3000:]
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    n, bad = emulator_vs_csim(out)
    assert bad == 0, f"{bad} of {n} outputs differ"
