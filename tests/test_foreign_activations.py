"""Models written the way other projects write them, round seven: float activations hls4ml 1.3 cannot write.

- ``Activation('swish')``, ``Dense(activation='gelu')``, ``exponential``, ``mish``: hls4ml 1.3 converts them and
  writes a call to ``nnet::swish`` ..., which its Vivado/Vitis ``nnet_activation.h`` does not define: g++ stopped
  the build after conversion (exit 5, "'swish' is not a member of 'nnet'"). Refused by name before any training.
- ``ReLU(max_value=6)``, ``ReLU(negative_slope=0.1)``, ``ReLU(threshold=0.5)``: hls4ml 1.3's converter reads none
  of the three and writes a plain ``nnet::relu``; the float model built "bit-exact: yes" (the emulator runs the
  firmware as written) while its firmware did not clip (max |diff| 36.0 against the float model on the check
  inputs). Refused by name and setting.
- ``PReLU(shared_axes=...)``: hls4ml's converter raised (an internal error). Refused by name.
- ``QActivation`` with a quantizer hls4ml's QKeras converter does not read (``quantized_relu_po2``,
  ``quantized_hswish``: exit 7, "Unsupported QKeras activation") or a QKeras function (``hard_tanh``: exit 7;
  ``hard_sigmoid``, QKeras' clip(0.5 x + 0.5, 0, 1), was converted as Keras' clip(0.2 x + 0.5, 0, 1)). Refused by
  name with the quantizers and functions hls4ml reads.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from codesign import keras_env

keras_env.setup()

from tests.foreign_helpers import build, randomize  # noqa: E402


def _mlp(layer=None, dense_activation=None, shape=(8,)):
    keras = keras_env.keras()
    inp = keras.Input(shape, name="x")
    h = keras.layers.Dense(4, activation=dense_activation, name="d1")(inp)
    if layer is not None:
        h = layer(h)
    h = keras.layers.Flatten(name="f")(h) if len(shape) > 1 else h
    return keras.Model(inp, keras.layers.Dense(3, name="out")(h))


def _layer(which: str):
    from qkeras import QActivation

    L = keras_env.keras().layers
    return {
        "swish": lambda: L.Activation("swish", name="act"),
        "exponential": lambda: L.Activation("exponential", name="act"),
        "mish": lambda: L.Activation("mish", name="act"),
        "qactivation_swish": lambda: QActivation("swish", name="act"),
        "relu_max_value": lambda: L.ReLU(max_value=6.0, name="act"),
        "relu_negative_slope": lambda: L.ReLU(negative_slope=0.25, name="act"),
        "relu_threshold": lambda: L.ReLU(threshold=0.5, name="act"),
        "prelu_shared_axes": lambda: L.PReLU(shared_axes=[1], name="act"),
        "elu": lambda: L.Activation("elu", name="act"),
        "leaky_relu": lambda: L.Activation("leaky_relu", name="act"),
        "relu": lambda: L.ReLU(name="act"),
        "relu_zero_settings": lambda: L.ReLU(max_value=None, negative_slope=0.0, threshold=0.0, name="act"),
        "prelu": lambda: L.PReLU(name="act"),
        "quantized_relu": lambda: QActivation("quantized_relu(6,2)", name="act"),
        "thresholded_relu": lambda: L.ThresholdedReLU(theta=0.5, name="act"),
        "qactivation_relu_po2": lambda: QActivation("quantized_relu_po2(4,2)", name="act"),
        "qactivation_hswish": lambda: QActivation("quantized_hswish(8,2)", name="act"),
        "qactivation_hard_sigmoid": lambda: QActivation("hard_sigmoid", name="act"),
        "qactivation_hard_tanh": lambda: QActivation("hard_tanh", name="act"),
        "qactivation_relu": lambda: QActivation("relu", name="act"),
        "qactivation_tanh": lambda: QActivation("quantized_tanh(8)", name="act"),
        "qactivation_binary_tanh": lambda: QActivation("binary_tanh", name="act"),
        "qactivation_ternary": lambda: QActivation("ternary()", name="act"),
        "qactivation_leaky": lambda: QActivation("quantized_relu(4,0,negative_slope=0.25)", name="act"),
    }[which]()


REFUSED = [
    ("swish", "'act' (Activation, activation='swish'): hls4ml 1.3's Vivado/Vitis backends have no kernel"),
    ("exponential", "'act' (Activation, activation='exponential'): hls4ml 1.3's Vivado/Vitis backends have no kernel"),
    ("mish", "'act' (Activation, activation='mish'): hls4ml 1.3's Vivado/Vitis backends have no kernel"),
    ("qactivation_swish", "'act' (QActivation, activation='swish'): hls4ml 1.3's Vivado/Vitis backends have no"),
    ("relu_max_value", "'act' (ReLU, max_value=6): hls4ml 1.3 converts a ReLU layer as a plain relu"),
    ("relu_negative_slope", "'act' (ReLU, negative_slope=0.25): hls4ml 1.3 converts a ReLU layer as a plain relu"),
    ("relu_threshold", "'act' (ReLU, threshold=0.5): hls4ml 1.3 converts a ReLU layer as a plain relu"),
    ("prelu_shared_axes", "'act' (PReLU, shared_axes=[1]): hls4ml 1.3's converter refuses a PReLU with shared_axes"),
    # hls4ml raised "Unsupported QKeras activation" (exit 7); QKeras' hard_sigmoid (slope 0.5) was converted as Keras'
    # (slope 0.2); QKeras' hard_tanh failed to convert (exit 7)
    ("qactivation_relu_po2", "'act' (QActivation, quantizer quantized_relu_po2): hls4ml 1.3's QKeras converter"),
    ("qactivation_hswish", "'act' (QActivation, quantizer quantized_hswish): hls4ml 1.3's QKeras converter"),
    ("qactivation_hard_sigmoid", "'act' (QActivation, QKeras function hard_sigmoid): hls4ml 1.3's QKeras converter"),
    ("qactivation_hard_tanh", "'act' (QActivation, QKeras function hard_tanh): hls4ml 1.3's QKeras converter"),
    # QKeras stops the negative side at -0.25 * 2**0, hls4ml's leaky relu at its result type's range
    ("qactivation_leaky", "'act' (QActivation, quantized_relu(4, 0, negative_slope=0.25)): QKeras stops the negative"),
]


@pytest.mark.parametrize("which, why", REFUSED)
def test_activations_hls4ml_cannot_write_are_refused_by_name(which, why):
    from codesign import hls
    from codesign.errors import SpecError

    model = _mlp(_layer(which), shape=(4, 3) if which == "prelu_shared_axes" else (8,))
    with pytest.raises(SpecError, match=re.escape(f"m.h5: layer(s) {why}")):
        hls.require_convertible(model, "m.h5")


def test_a_dense_layers_own_activation_is_read_too():
    from codesign import hls
    from codesign.errors import SpecError

    with pytest.raises(SpecError, match=re.escape("layer(s) 'd1' (Dense, activation='gelu'): hls4ml 1.3's")):
        hls.require_convertible(_mlp(dense_activation="gelu"), "m.h5")


@pytest.mark.parametrize("which", ["elu", "leaky_relu", "relu", "relu_zero_settings", "prelu", "quantized_relu",
                                   "thresholded_relu", "qactivation_relu", "qactivation_tanh", "qactivation_binary_tanh",
                                   "qactivation_ternary"])  # fmt: skip
def test_activations_hls4ml_writes_are_accepted(which):
    from codesign import hls

    hls.require_convertible(_mlp(_layer(which)), "m.h5")
    hls.require_convertible(_mlp(dense_activation="hard_sigmoid"), "m.h5")


def _nnet_activation_functions() -> set[str]:
    """The function names hls4ml's Vivado ``nnet_activation.h`` defines (read as text; hls4ml is not imported)."""
    spec = importlib.util.find_spec("hls4ml")
    assert spec is not None and spec.origin is not None
    header = Path(spec.origin).parent / "templates" / "vivado" / "nnet_utils" / "nnet_activation.h"
    return set(re.findall(r"\bvoid\s+(\w+)\s*\(", header.read_text()))


def test_the_accepted_activations_are_the_ones_nnet_activation_defines():
    """Every accepted name has a function in hls4ml's header; the refused ones have none (so the list follows hls4ml:
    a later hls4ml with a swish kernel fails this test)."""
    from codesign.hls.activations import KERNEL_ACTIVATIONS

    defined = _nnet_activation_functions()
    assert set(KERNEL_ACTIVATIONS) <= defined, set(KERNEL_ACTIVATIONS) - defined
    assert not {"swish", "silu", "gelu", "mish", "exponential"} & defined


def test_a_bounded_relu_is_refused_before_training_not_built_as_a_plain_relu(tmp_path):
    """It built 'bit-exact: yes' (exit 0) with a firmware that did not clip at 6."""
    code, text, _ = build(tmp_path, randomize(_mlp(_layer("relu_max_value")), 5), "relu6")
    assert code == 2 and "layer(s) 'act' (ReLU, max_value=6)" in text, text[-2000:]
    assert "] convert" not in text and "] csim" not in text, text[-2000:]


def _mid_softmax_model():
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((8,), name="x")
    h = L.Softmax(name="sm")(L.Dense(6, name="d1")(inp))
    return randomize(keras.Model(inp, L.Dense(3, name="out")(h)), 6)


def test_a_softmax_layer_is_converted_as_the_softmax_activation():
    """hls4ml 1.3 wrote a Softmax layer's call as softmax_config4 and its struct as Softmax_config4 (g++ failed, exit
    5); Activation('softmax') is the same function and is written consistently."""
    import numpy as np

    from codesign import hls

    model = _mid_softmax_model()
    prepared, notes = hls.prepare_model(model)
    assert type(prepared.get_layer("sm")).__name__ == "Activation"
    assert any(n.startswith("Softmax layer 'sm' converted as Activation('softmax')") for n in notes), notes
    x = np.random.default_rng(1).normal(size=(50, 8))
    np.testing.assert_array_equal(prepared.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_a_model_with_a_softmax_inside_builds(tmp_path):
    """It stopped at g++ (exit 5); now it builds and C-simulates, the estimate prices the softmax, and the float model
    has no verdict, the emulator naming the softmax layer (it has no softmax kernel)."""
    import json

    code, text, out = build(tmp_path, _mid_softmax_model(), "mid_softmax")
    assert code == 0 and "bit-exact: no reference" in text and "layer 'sm'" in text, text[-3000:]
    est = json.loads((out / "report.json").read_text())["estimate"]
    sm = [r for r in est["per_layer"] if r["name"] == "sm"]
    assert sm and sm[0]["lut"] and sm[0]["lut"] > 0 and est["lut"] > 0, est
