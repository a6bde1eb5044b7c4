"""A float ReLU between QKeras layers, as other projects write it: ``Activation("relu")``, ``ReLU()``,
``QDense(..., activation="relu")``.

hls4ml 1.3 types a float activation's result with its default ``ap_fixed<16,6>``, while QKeras computes relu on the
preceding layer's exact (unquantized) sum: such models were NOT bit-exact (exit 3, 197 of 200 inputs differ, max
|diff| 98). relu is exact in its input's type, so codesign types the result from the resolved input type (the
unsigned form of it). The fast tests check the conversion; the slow ones build, check and compare the C-simulation
with QKeras' own float64 predict.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from tests import hls_models  # noqa: E402
from tests.foreign_helpers import build_check_and_match_qkeras  # noqa: E402

Q = "quantized_bits(6,0,alpha=1)"
FORMS = ("activation", "relu_layer", "fused", "chain")


def float_relu_mlp(form: str, seed: int = 5):
    """QDense -> float relu -> QDense; 'chain' has all three forms of float relu one after the other."""
    from qkeras import QDense

    keras = keras_env.keras()
    inp = keras.Input((8,), name="x")
    h = QDense(6, kernel_quantizer=Q, bias_quantizer=Q, activation="relu" if form in ("fused", "chain") else None,
               name="d1")(inp)  # fmt: skip
    if form == "chain":
        h = QDense(4, kernel_quantizer=Q, bias_quantizer=Q, name="d2")(h)
        h = keras.layers.Activation("relu", name="r2")(h)
        h = QDense(4, kernel_quantizer=Q, bias_quantizer=Q, name="d3")(h)
        h = keras.layers.ReLU(name="r3")(h)
    elif form == "activation":
        h = keras.layers.Activation("relu", name="r1")(h)
    elif form == "relu_layer":
        h = keras.layers.ReLU(name="r1")(h)
    out = QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h)
    model = keras.Model(inp, out, name=f"float_relu_{form}")
    hls_models._randomize(model, seed)
    return model


def _relu_layers(form: str) -> list[str]:
    return {"fused": ["d1_relu"], "chain": ["d1_relu", "r2", "r3"]}.get(form, ["r1"])


def test_relu_type_holds_every_positive_value_of_its_input():
    from codesign.exact_types import relu_type
    from codesign.precision import FixedPrecision

    for text, want in [("ap_fixed<26,11>", "ap_ufixed<25,10>"), ("ap_ufixed<8,3>", "ap_ufixed<8,3>"),
                       ("ap_fixed<8,0,AP_RND_CONV,AP_SAT>", "ap_ufixed<7,-1>"), ("ap_fixed<1,1>", "ap_fixed<1,1>")]:  # fmt: skip
        src, got = FixedPrecision.parse(text), relu_type(FixedPrecision.parse(text))
        assert got.to_hls() == want
        x = np.arange(-(2.0 ** (src.width - 1)) if src.signed else 0.0, 2.0 ** (src.width - (1 if src.signed else 0)))
        x = x * src.lsb
        np.testing.assert_array_equal(got.quantize(np.maximum(x, 0.0)), np.maximum(x, 0.0))


@pytest.mark.parametrize("form", FORMS)
def test_float_relu_result_is_typed_from_its_input(tmp_path, form):
    from codesign.exact_types import relu_type

    model = float_relu_mlp(form)
    project = hls_models.convert(model, tmp_path / "prj")
    for name in _relu_layers(form):
        node = project._graph.graph[name]
        in_prec = project.layer_precisions[node.get_input_node().name]["result"]
        assert project.layer_precisions[name]["result"] == relu_type(in_prec), name
        assert in_prec.width > 16  # the unquantized sum: hls4ml's default ap_fixed<16,6> would cut it
        assert any(n.startswith(f"float relu '{name}': result {relu_type(in_prec).to_hls()}") for n in project.notes)


def test_user_relu_type_is_kept_and_the_exact_one_named(tmp_path):
    project = hls_models.convert(float_relu_mlp("activation"), tmp_path / "prj",
                                 hls_config={"LayerName": {"r1": {"Precision": {"result": "ap_fixed<16,6>"}}}})  # fmt: skip
    assert project.layer_precisions["r1"]["result"].to_hls() == "ap_fixed<16,6>"
    assert any("float relu 'r1': result ap_fixed<16,6> from the user's config kept; ap_ufixed<25,10>" in n
               for n in project.notes)  # fmt: skip


def test_float_model_relu_keeps_the_configured_default(tmp_path):
    """A float model is judged against the emulator of its configured types: its relu keeps hls4ml's default."""
    keras = keras_env.keras()
    inp = keras.Input((8,), name="x")
    h = keras.layers.Dense(6, name="d1")(inp)
    h = keras.layers.Activation("relu", name="r1")(h)
    model = keras.Model(inp, keras.layers.Dense(3, name="out")(h))
    project = hls_models.convert(model, tmp_path / "prj")
    assert project.layer_precisions["r1"]["result"].to_hls() == "ap_fixed<16,6>"
    assert not any("float relu" in n for n in project.notes)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
@pytest.mark.parametrize("form", FORMS)
def test_float_relu_model_builds_bit_exact_and_matches_qkeras(tmp_path, form):
    fw = build_check_and_match_qkeras(tmp_path, float_relu_mlp(form), f"float_relu_{form}")
    assert np.max(np.abs(fw)) > 0


def float_leaky_mlp(slope: float, seed: int = 5):
    """QDense -> float LeakyReLU(slope) -> QDense."""
    from qkeras import QDense

    keras = keras_env.keras()
    inp = keras.Input((8,), name="x")
    h = QDense(6, kernel_quantizer=Q, bias_quantizer=Q, name="d1")(inp)
    h = keras.layers.LeakyReLU(slope, name="lr")(h)
    out = QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h)
    model = keras.Model(inp, out, name="float_leaky")
    hls_models._randomize(model, seed)
    return model


def test_halving_shift_accepts_only_two_to_a_negative_power():
    from codesign.precision import halving_shift

    assert [halving_shift(v) for v in (0.5, 0.25, 0.125, 2.0**-12)] == [1, 2, 3, 12]
    assert [halving_shift(v) for v in (1.0, 2.0, 0.3, 0.1, 0.0, -0.25, 0.75, float("nan"))] == [None] * 8


@pytest.mark.parametrize("shift", [1, 2, 5])
def test_leaky_relu_type_holds_every_value_of_its_input(shift):
    from codesign.exact_types import leaky_relu_type
    from codesign.precision import FixedPrecision

    for text in ("ap_fixed<10,4>", "ap_fixed<8,0,AP_RND_CONV,AP_SAT>", "ap_fixed<6,9>", "ap_ufixed<8,3>"):
        src = FixedPrecision.parse(text)
        got = leaky_relu_type(src, shift)
        lo = -(2.0 ** (src.width - 1)) if src.signed else 0.0
        x = np.arange(lo, 2.0 ** (src.width - (1 if src.signed else 0))) * src.lsb
        want = np.where(x > 0, x, x * 2.0**-shift)
        np.testing.assert_array_equal(got.quantize(want), want, err_msg=f"{text} -> {got.to_hls()}")
        assert got.width == src.width + (shift if src.signed else 0)  # no wider than needed


def test_float_leaky_relu_result_is_typed_from_its_input(tmp_path):
    from codesign.exact_types import leaky_relu_type

    project = hls_models.convert(float_leaky_mlp(0.25), tmp_path / "prj")
    in_prec = project.layer_precisions["d1"]["result"]
    want = leaky_relu_type(in_prec, 2)
    assert project.layer_precisions["lr"]["result"] == want
    assert want.to_hls() == f"ap_fixed<{in_prec.width + 2},{in_prec.integer}>"
    assert any(n.startswith(f"float leaky relu 'lr': result {want.to_hls()}") for n in project.notes), project.notes


def test_float_leaky_relu_reference_is_the_model(tmp_path):
    """The reference computes a 2**-k slope (QKeras' float64 predict is the independent side)."""
    from codesign import reference
    from tests.foreign_helpers import qkeras_predict

    model = float_leaky_mlp(0.125)
    x = np.random.default_rng(3).integers(-64, 64, (64, 8)) / 16.0
    np.testing.assert_array_equal(reference.reference_outputs(model, x), qkeras_predict(model, x))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_float_leaky_relu_model_builds_bit_exact_and_matches_qkeras(tmp_path):
    fw = build_check_and_match_qkeras(tmp_path, float_leaky_mlp(0.25), "float_leaky")
    assert np.min(fw) < 0 < np.max(fw)


@pytest.mark.parametrize(
    "layer, why",
    [
        ("tanh", r"layer 'act' \(Activation\): tanh inside the model"),
        ("softmax", r"layer 'act' \(Softmax\): softmax inside the model"),
        ("leaky", r"layer 'act' \(LeakyReLU\): a float activation .*negative_slope=0.125"),
        ("relu6", r"layer 'act' \(ReLU\): ReLU with max_value.*clips at 2\*\*integer"),
        ("elu", r"layer 'act' \(Activation\): activation/quantizer 'elu' has no exact"),
    ],
)
def test_float_activation_that_cannot_be_exact_names_the_layer_and_the_fix(layer, why):
    """A float activation other than relu inside a quantized model has no exact reference: the refusal (exit 6) names
    the layer and the QKeras quantizer to use instead (the Softmax and LeakyReLU classes listed every class before)."""
    from qkeras import QDense

    from codesign import reference
    from codesign.errors import ReferenceUnavailableError

    keras = keras_env.keras()
    make = {"tanh": lambda: keras.layers.Activation("tanh", name="act"), "softmax": lambda: keras.layers.Softmax(name="act"),
            "leaky": lambda: keras.layers.LeakyReLU(0.1, name="act"), "relu6": lambda: keras.layers.ReLU(6.0, name="act"),
            "elu": lambda: keras.layers.Activation("elu", name="act")}  # fmt: skip
    inp = keras.Input((8,), name="x")
    h = make[layer]()(QDense(4, kernel_quantizer=Q, bias_quantizer=Q, name="d")(inp))
    model = keras.Model(inp, QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h))
    with pytest.raises(ReferenceUnavailableError, match=why) as err:
        reference.reference_outputs(model, np.zeros((2, 8)))
    assert "QActivation('quantized_relu(bits, integer" in str(err.value) or layer == "softmax"
