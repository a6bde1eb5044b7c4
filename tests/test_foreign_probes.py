"""Models written the way other projects write them, round three: the cases that were wrong before.

``quantized_bits(alpha="auto_po2")`` kernels whose QKeras scales reach 2 while none is below 1/2 (weights of order
one, the common case): hls4ml 1.3 stores the scales through ``quantized_po2(2)``, which clips 2 to 1, so the
firmware's products were half the model's (NOT bit-exact, exit 3, 124 of 200 inputs; QKeras' own predict agreed
with codesign's reference, not with the C-simulation). codesign writes QKeras' scales into the ApplyAlpha layer.

``QActivation("relu")`` (a Keras activation in a QActivation) and inference-identity layers (``GaussianDropout``,
``SpatialDropout1D``, ``ActivityRegularization``) crashed the build (exit 7, "internal error": hls4ml's
"Unsupported QKeras activation: unknown" / "Unsupported layer type"): they are converted as the ``Activation`` /
``Dropout`` they are. Layers hls4ml has no converter for (``Normalization``, ``Rescaling``) crashed the same way:
they are refused (exit 2) by name, before any training, with what to do. QKeras depthwise and separable
convolutions (``QDepthwiseConv2D``, ``QSeparableConv1D/2D``) had no reference (exit 6 on firmware that QKeras' own
predict matched): they have one now. So do ``quantized_tanh`` / ``quantized_sigmoid`` with QKeras' default hard
sigmoid (refused before, exit 6, as "hls4ml's hard approximation is not QKeras' function": hls4ml's HardActivation
computes ``clip(x / 2 + 1 / 2, 0, 1)`` exactly and rounds it half to even and saturates as QKeras does).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign.errors import ReferenceUnavailableError  # noqa: E402
from tests import hls_models  # noqa: E402
from tests.foreign_helpers import build, build_check_and_match_qkeras, csim_and_qkeras  # noqa: E402

Q = "quantized_bits(6,0,alpha=1)"


def auto_po2_relu(scales: tuple[float, ...] = (1, 1, 1, 1, 1, 1), seed: int = 3):
    """QDense(quantized_bits(6,0,alpha='auto_po2'), activation=quantized_relu(6,2)) -> QDense; kernel columns
    multiplied by ``scales`` (with seed 3 and no multiplier, QKeras' scales are 2, 2, 1, 2, 1, 1/2)."""
    from qkeras import QDense

    keras = keras_env.keras()
    inp = keras.Input((8,), name="x")
    h = QDense(6, kernel_quantizer="quantized_bits(6,0,alpha='auto_po2')", bias_quantizer=Q,
               activation="quantized_relu(6,2)", name="d1")(inp)  # fmt: skip
    model = keras.Model(inp, QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h), name="auto_po2_relu")
    hls_models._randomize(model, seed)
    w = model.get_layer("d1").get_weights()
    model.get_layer("d1").set_weights([w[0] * np.asarray(scales), w[1]])
    return model


def _qkeras_scales(model) -> np.ndarray:
    import tensorflow as tf

    kq = model.get_layer("d1").kernel_quantizer_internal
    kq(tf.constant(model.get_layer("d1").get_weights()[0]))
    return np.ravel(np.asarray(kq.scale, np.float64))


@pytest.mark.parametrize("scales", [(1, 1, 1, 1, 1, 1), (8, 1, 0.25, 1, 2, 1), (1 / 16, 1 / 4, 1, 1, 1, 1)])
def test_auto_po2_scales_reach_the_firmware_as_qkeras_computes_them(tmp_path, scales):
    model = auto_po2_relu(scales)
    want = _qkeras_scales(model)
    project = hls_models.convert(model, tmp_path / "prj")
    written = (tmp_path / "prj" / "firmware" / "weights" / "s6.txt").read_text()
    pairs = [p.strip(" {}") for p in written.split("},")]
    got = np.array([(1.0 if float(p.split(",")[0]) == 1 else -1.0) * 2.0 ** int(p.split(",")[1]) for p in pairs])
    np.testing.assert_array_equal(got, want)
    clipped = scales == (1, 1, 1, 1, 1, 1)  # scales 1/2 .. 2: hls4ml's 2-bit exponent quantizer clips 2 to 1
    assert clipped == any("power-of-two scales clipped" in n for n in project.notes), project.notes


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_auto_po2_model_builds_bit_exact_and_matches_qkeras(tmp_path):
    model = auto_po2_relu()
    assert 2.0 in _qkeras_scales(model) and _qkeras_scales(model).min() == 0.5
    # QKeras' auto_po2 quantizer does not run in float64; the outputs (ap_fixed<16,7>) fit float32 exactly
    fw = build_check_and_match_qkeras(tmp_path, model, "auto_po2_relu", float64=False)
    assert np.max(np.abs(fw)) > 0


def prepared_layers_mlp(which: str):
    """QDense -> a layer hls4ml 1.3 does not read as written -> QDense."""
    from qkeras import QActivation, QConv1D, QDense

    keras = keras_env.keras()
    if which == "spatial_dropout":
        inp = keras.Input((16, 3), name="x")
        h = QConv1D(4, 3, kernel_quantizer=Q, bias_quantizer=Q, activation="quantized_relu(6,2)", name="c1")(inp)
        h = keras.layers.Flatten(name="flat")(keras.layers.SpatialDropout1D(0.2, name="sd")(h))
    else:
        inp = keras.Input((8,), name="x")
        h = QDense(6, kernel_quantizer=Q, bias_quantizer=Q, name="d1")(inp)
        if which == "qactivation_relu":
            h = QActivation("relu", name="a1")(h)
        else:
            h = keras.layers.GaussianDropout(0.1, name="gd")(QActivation("quantized_relu(6,2)", name="a1")(h))
            h = keras.layers.ActivityRegularization(l1=0.01, name="areg")(h)
    model = keras.Model(inp, QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h), name=which)
    hls_models._randomize(model, 4)
    return model


PREPARED = ("qactivation_relu", "gauss_dropout", "spatial_dropout")


@pytest.mark.parametrize("which", PREPARED)
def test_layers_hls4ml_refuses_as_written_are_converted_as_what_they_are(tmp_path, which):
    from codesign import hls, reference

    model = prepared_layers_mlp(which)
    prepared, notes = hls.prepare_model(model)
    kinds = {lyr.name: type(lyr).__name__ for lyr in prepared.layers}
    if which == "qactivation_relu":
        assert kinds["a1"] == "Activation" and any(
            "QActivation 'a1' holds the float activation 'relu'" in n for n in notes
        )
    else:
        gone = ["sd"] if which == "spatial_dropout" else ["gd", "areg"]
        assert all(kinds[n] == "Dropout" for n in gone) and all(any(f"'{n}'" in m for m in notes) for n in gone)
    x = np.round(np.random.default_rng(0).normal(size=(40, *model.input_shape[1:])) * 64) / 64
    np.testing.assert_array_equal(prepared.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_array_equal(reference.reference_outputs(prepared, x), reference.reference_outputs(model, x))
    project = hls_models.convert(model, tmp_path / "prj")  # hls4ml raised before
    assert project.outputs[0].size == 3


@pytest.mark.parametrize("which", ["Normalization", "Rescaling"])
def test_layers_hls4ml_cannot_convert_are_refused_by_name_before_training(tmp_path, which):
    from qkeras import QDense

    keras = keras_env.keras()
    inp = keras.Input((8,), name="x")
    if which == "Normalization":
        h = keras.layers.Normalization(mean=np.zeros(8), variance=np.full(8, 4.0), name="norm")(inp)
    else:
        h = keras.layers.Rescaling(0.25, name="norm")(inp)
    model = keras.Model(inp, QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h))
    code, text, _ = build(tmp_path, model, "pre")
    assert code == 2, text[-2000:]
    assert f"layer(s) 'norm' ({which}): hls4ml 1.3 has no converter for this layer class" in text
    assert "to the data before the model" in text and "internal error" not in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
@pytest.mark.parametrize("which", PREPARED)
def test_prepared_layer_models_build_bit_exact_and_match_qkeras(tmp_path, which):
    fw = build_check_and_match_qkeras(tmp_path, prepared_layers_mlp(which), which)
    assert np.max(np.abs(fw)) > 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_float_batchnorm_verdict_says_on_the_console_that_the_model_differs(tmp_path):
    """A float BatchNormalization after a QDense: the verdict is about the firmware's rounded scale and bias (as
    documented); the model's own normalisation differed on 8 of 200 inputs, said only in report.json and report.md.
    The console now says it beside 'bit-exact: yes', and QKeras' own predict confirms that the model differs."""
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    inp = keras.Input((8,), name="x")
    h = keras.layers.BatchNormalization(name="bn")(QDense(6, kernel_quantizer=Q, bias_quantizer=Q, name="d1")(inp))
    h = QActivation("quantized_relu(6,2)", name="a1")(h)
    model = keras.Model(inp, QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h))
    hls_models._randomize(model, 3)
    rng = np.random.default_rng(1)
    model.get_layer("bn").set_weights([rng.uniform(0.5, 2, 6), rng.normal(0, 0.5, 6), rng.normal(0, 0.5, 6),
                                       rng.uniform(0.5, 2, 6)])  # fmt: skip
    code, text, out = build(tmp_path, model, "bn_after_qdense")
    assert code == 0 and "bit-exact: yes" in text, text[-3000:]
    assert "WARNING: the reference rounds the BatchNormalization scale and bias" in text
    fw, qkeras = csim_and_qkeras(out)
    assert np.any(qkeras != fw)


def depthwise_model(which: str):
    """QSeparableConv1D (same, stride 2) / QSeparableConv2D / QDepthwiseConv2D (same, stride 2) -> Flatten -> QDense."""
    import qkeras

    keras = keras_env.keras()
    act = "quantized_relu(6,2)"
    if which == "sepconv1d":
        inp = keras.Input((16, 3), name="x")
        h = qkeras.QSeparableConv1D(4, 3, strides=2, padding="same", depthwise_quantizer=Q, pointwise_quantizer=Q,
                                    bias_quantizer=Q, activation=act, name="sc")(inp)  # fmt: skip
    elif which == "sepconv2d":
        inp = keras.Input((6, 6, 2), name="x")
        h = qkeras.QSeparableConv2D(4, 3, depthwise_quantizer=Q, pointwise_quantizer=Q, bias_quantizer=Q, name="sc")(
            inp
        )
        h = qkeras.QActivation(act, name="a1")(h)
    else:
        inp = keras.Input((6, 6, 2), name="x")
        h = qkeras.QDepthwiseConv2D(3, strides=2, padding="same", depthwise_quantizer=Q, bias_quantizer=Q,
                                    activation=act, name="dw")(inp)  # fmt: skip
    h = keras.layers.Flatten(name="flat")(h)
    model = keras.Model(inp, _out_layer()(h), name=which)
    hls_models._randomize(model, 6)
    return model


def _out_layer():
    from qkeras import QDense

    return QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")


DEPTHWISE = ("sepconv1d", "sepconv2d", "dwconv2d")


@pytest.mark.parametrize("which", DEPTHWISE)
def test_depthwise_and_separable_reference_equals_qkeras(which):
    from codesign import reference
    from tests.foreign_helpers import qkeras_predict

    model = depthwise_model(which)
    x = np.round(np.random.default_rng(2).normal(size=(64, *model.input_shape[1:])) * 2**10) / 2**10
    np.testing.assert_array_equal(reference.reference_outputs(model, x), qkeras_predict(model, x))
    assert not reference.float_weight_layers(model)


def test_depthwise_without_its_quantizer_is_a_float_layer():
    import qkeras

    from codesign import reference

    keras = keras_env.keras()
    inp = keras.Input((6, 6, 2), name="x")
    h = qkeras.QSeparableConv2D(4, 3, depthwise_quantizer=Q, bias_quantizer=Q, name="sc")(inp)  # float pointwise
    model = keras.Model(inp, _out_layer()(keras.layers.Flatten(name="flat")(h)))
    assert reference.float_weight_layers(model) == ["sc"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
@pytest.mark.parametrize("which", DEPTHWISE)
def test_depthwise_models_build_bit_exact_and_match_qkeras(tmp_path, which):
    fw = build_check_and_match_qkeras(tmp_path, depthwise_model(which), which)
    assert np.max(np.abs(fw)) > 0


def hard_tanh_model():
    """QConv1D(activation=quantized_tanh(6)) -> QActivation(quantized_sigmoid(6)) -> Flatten -> QDense."""
    from qkeras import QActivation, QConv1D

    keras = keras_env.keras()
    inp = keras.Input((16, 3), name="x")
    h = QConv1D(4, 3, padding="same", kernel_quantizer=Q, bias_quantizer=Q, activation="quantized_tanh(6)", name="c1")(
        inp
    )
    h = keras.layers.Flatten(name="flat")(QActivation("quantized_sigmoid(6)", name="s1")(h))
    model = keras.Model(inp, _out_layer()(h), name="hard_tanh")
    hls_models._randomize(model, 3)
    return model


def test_hard_tanh_and_sigmoid_reference_equals_qkeras_on_every_tie():
    from qkeras import quantized_sigmoid, quantized_tanh

    from codesign import reference
    from codesign.reference.quantizers import apply_quantizer
    from tests.foreign_helpers import qkeras_predict

    x = np.arange(-3 * 2**12, 3 * 2**12 + 1) / 2**12  # every value of a 2**-12 grid across both clips: ties included
    for q in (quantized_tanh(6), quantized_tanh(3), quantized_sigmoid(6), quantized_sigmoid(2)):
        np.testing.assert_array_equal(apply_quantizer(q, x, "t"), np.asarray(q(x.astype(np.float32)), np.float64))
    model = hard_tanh_model()
    xs = np.round(np.random.default_rng(3).normal(size=(64, 16, 3)) * 2**10) / 2**10
    np.testing.assert_array_equal(reference.reference_outputs(model, xs), qkeras_predict(model, xs))
    with pytest.raises(ReferenceUnavailableError, match="'t': quantized_tanh with the real tanh"):
        apply_quantizer(quantized_tanh(6, use_real_tanh=True), x, "'t'")
    with pytest.raises(ReferenceUnavailableError, match="symmetric=True"):
        apply_quantizer(quantized_sigmoid(6, symmetric=True), x, "'t'")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_hard_tanh_model_builds_bit_exact_and_matches_qkeras(tmp_path, io_type):
    fw = build_check_and_match_qkeras(tmp_path, hard_tanh_model(), "hard_tanh", extra={"hls": {"io_type": io_type}})
    assert np.max(np.abs(fw)) > 0


def folded_conv_bn():
    """QConv2DBatchnorm -> QActivation -> Flatten -> QDense, as hls4ml-tutorial part 6's quantized CNN writes its
    blocks."""
    from qkeras import QActivation, QConv2DBatchnorm, QDense

    keras = keras_env.keras()
    inp = keras.Input((6, 6, 2), name="x")
    conv = QConv2DBatchnorm(4, (3, 3), kernel_quantizer=Q, bias_quantizer=Q, name="cbn")
    h = keras.layers.Flatten(name="f")(QActivation("quantized_relu(6,2)", name="a")(conv(inp)))
    model = keras.Model(inp, QDense(3, kernel_quantizer=Q, bias_quantizer=Q, name="out")(h))
    hls_models._randomize(model, 6)
    return model


def test_folded_conv_batchnorm_is_refused_before_conversion_with_the_reference_reason():
    """QConv2DBatchnorm was converted and C-simulated, then the reference refused it (exit 6); the same reason comes
    before any training or conversion now. (QDepthwiseConv2DBatchnorm has no hls4ml converter: refused, exit 2.)"""
    from codesign import hls, reference

    model = folded_conv_bn()
    with pytest.raises(ReferenceUnavailableError) as late:
        reference.forward_layers(model, np.zeros((2, 6, 6, 2)))
    with pytest.raises(ReferenceUnavailableError, match=r"m\.h5: layer 'cbn' \(QConv2DBatchnorm\)") as early:
        hls.require_convertible(model, "m.h5")
    assert str(late.value) in str(early.value) and "no exact float64 reference for this layer class" in str(late.value)
    assert "refused before any training or conversion" in str(early.value)


def test_folded_conv_batchnorm_build_exits_6_before_training(tmp_path):
    code, text, _ = build(tmp_path, folded_conv_bn(), "cbn")
    assert code == 6 and "layer 'cbn' (QConv2DBatchnorm): no exact float64 reference" in text, text[-2000:]
    assert "train_float" not in text and "csim" not in text, text[-2000:]
