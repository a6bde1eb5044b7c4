"""The float64 reference without hls4ml: every layer against Keras itself, quantizers against QKeras, refusals named.

Keras computes in float32, so float layers are compared with a tolerance; quantized layers on narrow types,
where QKeras' float32 is exact, with exact equality.
"""

from __future__ import annotations

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()
keras = keras_env.keras()

from codesign import reference  # noqa: E402
from codesign.errors import ReferenceUnavailableError  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests import hls_models  # noqa: E402

L = keras.layers


def _grid(shape, n=64, seed=0, prec="ap_fixed<10,4>"):
    p = FixedPrecision.parse(prec)
    x = np.random.default_rng(seed).normal(0, 3, (n,) + tuple(shape))
    return p.quantize(np.clip(x, p.min_value, p.max_value))


def _keras_layers(model, x):
    """Every layer's Keras output (float32) for comparison."""
    names = [lyr.name for lyr in model.layers if type(lyr).__name__ != "InputLayer"]
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outs = probe.predict(x, verbose=0)
    return dict(zip(names, outs if isinstance(outs, list) else [outs], strict=True))


def test_forward_layers_float_graph_matches_keras():
    """Permute, Concatenate, Dense on 3-D input, Conv1D/Conv2D with strides and padding, pooling, merges."""
    a = keras.Input((6, 4), name="a")
    b = keras.Input((6, 4), name="b")
    t = L.Permute((2, 1), name="perm")(a)  # (4, 6)
    t = L.Permute((2, 1), name="perm_back")(t)
    c = L.Concatenate(axis=-1, name="cat")([t, b])  # (6, 8)
    d = L.Dense(5, name="dense_nd")(c)  # (6, 5)
    s = L.Add(name="add")([L.Dense(5, name="da")(a), d])
    m = L.Multiply(name="mul")([s, d])
    mx = L.Maximum(name="max")([s, m])
    mn = L.Minimum(name="min")([s, mx])
    sub = L.Subtract(name="sub")([mn, s])
    c1 = L.Conv1D(3, 3, strides=2, padding="same", name="conv1d_same")(sub)  # (3, 3)
    c1v = L.Conv1D(4, 2, padding="valid", name="conv1d_valid")(c)  # (5, 4)
    p1 = L.MaxPooling1D(2, name="maxpool1d")(c1v)
    p2 = L.AveragePooling1D(2, name="avgpool1d")(c1v)
    r = L.Reshape((6, 8, 1), name="img")(c)
    c2 = L.Conv2D(2, (3, 2), strides=(2, 1), padding="same", name="conv2d")(r)
    q = L.MaxPooling2D((1, 2), name="maxpool2d")(c2)
    g = L.GlobalAveragePooling2D(name="gap2d")(L.AveragePooling2D((1, 2), name="avgpool2d")(c2))
    out = L.Concatenate(name="out")(
        [L.Flatten(name="f1")(c1), L.Flatten(name="f2")(p1), L.Flatten(name="f3")(p2), L.Flatten(name="f4")(q), g]
    )
    model = keras.Model([a, b], out)
    hls_models._randomize(model, 4)
    xs = [_grid((6, 4), seed=1), _grid((6, 4), seed=2)]
    ours = reference.forward_layers(model, xs)
    theirs = _keras_layers(model, xs)
    assert set(theirs) <= set(ours)
    for name, v in theirs.items():
        np.testing.assert_allclose(ours[name], v, rtol=1e-4, atol=1e-3, err_msg=name)
    np.testing.assert_array_equal(reference.reference_outputs(model, xs), ours["out"].reshape(64, -1))


def test_forward_layers_split_activations_use_hls4ml_names():
    model = hls_models.qmlp(4)
    from qkeras import QDense

    inp = keras.Input((16,), name="inputs")
    y = QDense(3, kernel_quantizer="quantized_bits(4,0,alpha=1)", activation="quantized_relu(4,1)", name="d")(inp)
    fused = keras.Model(inp, y)
    x = _grid((16,), prec="ap_fixed<8,3>")
    plain = reference.forward_layers(fused, x)
    split = reference.forward_layers(fused, x, split_activations=True)
    assert set(plain) == {"inputs", "d"} and set(split) == {"inputs", "d", "d_quantized_relu"}
    np.testing.assert_array_equal(split["d_quantized_relu"], plain["d"])
    assert np.any(split["d"] < 0) and np.all(split["d_quantized_relu"] >= 0)
    # the per-layer outputs end in the model's outputs (softmax left out: logits)
    layers = reference.forward_layers(model, x)
    np.testing.assert_array_equal(layers["softmax"], layers["output_logits"])
    np.testing.assert_array_equal(reference.reference_outputs(model, x), layers["output_logits"])


@pytest.mark.parametrize(
    "quantizer",
    ["quantized_relu(4,1,negative_slope=0.25)", "quantized_relu(6,2,negative_slope=0.5)", "quantized_bits(5,1,alpha=1)",
     "quantized_relu(3,0)"],
)  # fmt: skip
def test_activation_quantizers_equal_qkeras(quantizer):
    from qkeras import QActivation

    inp = keras.Input((32,))
    model = keras.Model(inp, QActivation(quantizer, name="act")(inp))
    x = _grid((32,), n=256, prec="ap_fixed<12,5>")
    np.testing.assert_array_equal(reference.reference_outputs(model, x), model.predict(x, verbose=0).astype(np.float64))


def test_po2_weights_equal_qkeras():
    from qkeras import QDense, quantized_po2

    inp = keras.Input((8,))
    model = keras.Model(inp, QDense(4, kernel_quantizer=quantized_po2(4), bias_quantizer=quantized_po2(4), name="d")(inp))
    hls_models._randomize(model, 3)
    kernel, bias = reference.layers.weights(model.get_layer("d"))
    m, _ = np.frexp(np.abs(kernel))
    assert np.all(m == 0.5)
    x = _grid((8,), prec="ap_fixed<8,3>")
    np.testing.assert_array_equal(reference.reference_outputs(model, x), model.predict(x, verbose=0).astype(np.float64))


@pytest.mark.parametrize(
    ("layer", "match"),
    [
        (lambda: L.Average(name="avg"), "'avg' \\(Average\\).*truncates"),
        (lambda: L.Dot(axes=-1, normalize=True, name="dot"), "'dot' \\(Dot\\): hls4ml 1.3 takes the Dot of two"),
    ],
)
def test_refused_merges_name_the_layer(layer, match):
    a, b = keras.Input((4,)), keras.Input((4,))
    model = keras.Model([a, b], layer()([a, b]))
    with pytest.raises(ReferenceUnavailableError, match=match):
        reference.forward_layers(model, [np.zeros((2, 4)), np.zeros((2, 4))])


def test_refused_quantizers_name_the_layer():
    from qkeras import QActivation, QDense

    inp = keras.Input((4,))
    for q, match in [
        ("quantized_tanh(4,use_real_tanh=True)", "'act'.*quantized_tanh with the real tanh"),
        ("quantized_relu_po2(4)", "'act'.*quantized_relu_po2"),
    ]:
        model = keras.Model(inp, QActivation(q, name="act")(inp))
        with pytest.raises(ReferenceUnavailableError, match=match):
            reference.reference_outputs(model, np.zeros((2, 4)))
    model = keras.Model(inp, QDense(2, kernel_quantizer="ternary()", name="tern")(inp))
    with pytest.raises(ReferenceUnavailableError, match="'tern' \\(QDense\\) kernel_quantizer.*ternary"):
        reference.reference_outputs(model, np.zeros((2, 4)))
    i3 = keras.Input((6, 2))
    with pytest.raises(ReferenceUnavailableError, match="'p3' \\(AveragePooling1D\\).*over 3 values"):
        q3 = QActivation("quantized_bits(6,2,alpha=1)", name="q3")(i3)
        reference.forward_layers(keras.Model(i3, L.AveragePooling1D(3, name="p3")(q3)), np.zeros((2, 6, 2)))
    # a float model's mean over 3 is evaluated (agreement only), not refused
    assert reference.forward_layers(keras.Model(i3, L.AveragePooling1D(3, name="p3f")(i3)), np.ones((2, 6, 2)))["p3f"].shape == (2, 2, 2)


def test_qnoise_factor_below_one_is_refused_as_qkeras_mixes_in_the_float_value():
    """A model saved mid QNoise schedule: QKeras outputs (1 - f) x + f q(x), which the firmware (hls4ml ignores f)
    cannot reproduce; the reference equalled the firmware, so the build said bit-exact while predict() differed."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    inp = keras.Input((4,))
    act = keras.Model(inp, QActivation(quantized_relu(6, 2, qnoise_factor=0.5), name="noisy")(inp))
    x = np.array([[0.3, -1.0, 2.71, 0.1]])
    assert not np.array_equal(act.predict(x, verbose=0), reference.apply_quantizer(quantized_relu(6, 2), x, "q"))
    with pytest.raises(ReferenceUnavailableError, match="'noisy'.*qnoise_factor=0.5.*set qnoise_factor=1"):
        reference.reference_outputs(act, x)
    kq = quantized_bits(6, 0, alpha=1, qnoise_factor=0.25)
    dense = keras.Model(inp, QDense(2, kernel_quantizer=kq, bias_quantizer=quantized_bits(6, 0, alpha=1), name="d")(inp))
    with pytest.raises(ReferenceUnavailableError, match="'d' \\(QDense\\) kernel_quantizer.*qnoise_factor=0.25"):
        reference.reference_outputs(dense, x)
    # the factor at 1 (QKeras' default and the end of a schedule) is the plain quantizer
    full = keras.Model(inp, QActivation(quantized_relu(6, 2, qnoise_factor=1.0), name="full")(inp))
    np.testing.assert_array_equal(reference.reference_outputs(full, x), full.predict(x, verbose=0))


def test_wide_sums_are_refused_not_rounded():
    from qkeras import QDense

    inp = keras.Input((4,))
    d = QDense(1, kernel_quantizer="quantized_bits(24,0,alpha=1)", use_bias=False, name="wide")
    model = keras.Model(inp, d(inp))
    model.get_layer("wide").set_weights([np.full((4, 1), 2.0**-23 * 3)])
    x = np.full((1, 4), 2.0**40 + 2.0**-10)
    with pytest.raises(ReferenceUnavailableError, match="'wide'.*53 bits"):
        reference.reference_outputs(model, x)


def test_quantized_model_detection():
    assert reference.is_quantized_model(hls_models.qmlp(4))
    assert not reference.is_quantized_model(hls_models.float_mlp())
    assert reference.float_weight_layers(hls_models.float_mlp()) == ["dense1", "logits"]


def test_batchnorm_needs_the_firmware_types_and_qbatchnorm_quantizers_are_checked():
    from qkeras import QActivation, QBatchNormalization

    from codesign.precision import FixedPrecision as FP

    inp = keras.Input((4,))
    q = QActivation("quantized_bits(6,2,alpha=1)", name="q")(inp)
    model = keras.Model(inp, L.BatchNormalization(name="bn")(q))
    model.get_layer("bn").set_weights([np.full(4, 0.5), np.full(4, 0.25), np.zeros(4), np.full(4, 1.0)])
    x = _grid((4,), prec="ap_fixed<8,3>")
    with pytest.raises(ReferenceUnavailableError, match="'bn' \\(BatchNormalization\\).*scale"):
        reference.reference_outputs(model, x)
    types = {"bn": {"scale": FP.parse("ap_fixed<16,6>"), "bias": FP.parse("ap_fixed<16,6>")}}
    got = reference.reference_outputs(model, x, types=types)
    qvals = reference.apply_quantizer(model.get_layer("q").quantizer, x, "q")
    # scale 0.5/sqrt(1+1e-3) truncated to 10 fractional bits; bias 0.25 exact
    s = np.floor(np.float32(0.5) / np.sqrt(np.float32(1.0) + np.float32(1e-3)) * 1024) / 1024
    np.testing.assert_array_equal(got, qvals * s + 0.25)
    qbn = keras.Model(inp, QBatchNormalization(name="qbn")(q))  # QKeras' default po2 quantizers
    qbn.get_layer("qbn").set_weights([np.full(4, 0.3), np.full(4, 0.25), np.zeros(4), np.full(4, 1.0)])
    with pytest.raises(ReferenceUnavailableError, match="'qbn' \\(QBatchNormalization\\).*ignores"):
        reference.reference_outputs(qbn, x, types={"qbn": types["bn"]})


def test_the_model_s_own_batchnorm_is_compared_beside_the_verdict():
    """A verdict with a standalone BatchNormalization is against its constants rounded as the firmware stores them;
    how many inputs the model's own unrounded normalisation sends elsewhere is said beside it (judge and its dict)."""
    from qkeras import QActivation

    from codesign import compare
    from codesign.precision import FixedPrecision as FP

    inp = keras.Input((4,))
    q = QActivation("quantized_bits(6,2,alpha=1)", name="q")(inp)
    model = keras.Model(inp, L.BatchNormalization(name="bn")(q))
    model.get_layer("bn").set_weights([np.full(4, 0.7), np.full(4, 0.3), np.full(4, 0.1), np.full(4, 1.3)])
    x = _grid((4,), prec="ap_fixed<8,3>")
    types = {"bn": {"scale": FP.parse("ap_fixed<8,2>"), "bias": FP.parse("ap_fixed<8,2>")}}
    rounded = reference.reference_outputs(model, x, types=types)
    own = reference.reference_outputs(model, x, types=types, batchnorm_as_model=True)
    qvals = reference.apply_quantizer(model.get_layer("q").quantizer, x, "q")
    scale = np.float32(0.7) / np.sqrt(np.float32(1.3) + np.float32(1e-3))
    np.testing.assert_array_equal(own, qvals * np.float64(scale) + np.float64(np.float32(0.3) - scale * np.float32(0.1)))
    v = compare.judge(model, x, rounded, types=types)  # a firmware equal to the rounded reference
    assert v.exact is True
    d = v.to_dict()["batchnorm_as_model"]
    assert d["computed"] and d["exact"] is False and d["n_mismatch"] == int(np.sum(np.any(own != rounded, axis=1)))
    assert d["n_mismatch"] > 0 and d["n_samples"] == len(x)
    # a model without BatchNormalization carries no such entry
    plain = keras.Model(inp, q)
    assert "batchnorm_as_model" not in compare.judge(plain, x, reference.reference_outputs(plain, x)).to_dict()


def test_batchnorm_at_the_input_is_named_with_advice_that_fits_it():
    """The CMS L1 jet tagger normalises its input with a BatchNormalization: there is no layer before it to fold it
    into, so the line names it and says to standardize the data; one after a layer keeps the folding advice."""
    from qkeras import QActivation

    from codesign import compare
    from codesign.precision import FixedPrecision as FP

    inp = keras.Input((4,))
    norm = L.BatchNormalization(name="norm_input")(inp)
    q = QActivation("quantized_bits(6,2,alpha=1)", name="q")(norm)
    model = keras.Model(inp, L.BatchNormalization(name="bn")(q))
    for name in ("norm_input", "bn"):
        model.get_layer(name).set_weights([np.full(4, 0.7), np.full(4, 0.3), np.full(4, 0.1), np.full(4, 1.3)])
    x = _grid((4,), prec="ap_fixed<8,3>")
    bn_t = {"scale": FP.parse("ap_fixed<8,2>"), "bias": FP.parse("ap_fixed<8,2>")}
    types = {"norm_input": bn_t, "bn": bn_t}
    d = compare.judge(model, x, reference.reference_outputs(model, x, types=types), types=types).to_dict()
    own = d["batchnorm_as_model"]
    assert own["exact"] is False and own["input_batchnorms"] == ["norm_input"]
    line = compare.batchnorm_line(own)
    assert "'norm_input' reads the model's input: standardize the data" in line and "'bn'" not in line
    after = keras.Model(inp, L.BatchNormalization(name="bn2")(QActivation("quantized_bits(6,2,alpha=1)")(inp)))
    assert compare.input_batchnorms(after) == []
    seq = keras.Sequential([keras.Input((4,)), L.BatchNormalization(name="first"), L.Dense(2)])
    assert compare.input_batchnorms(seq) == ["first"]
    own_after = {**own, "input_batchnorms": []}
    assert "fold BatchNormalization into the layer before it" in compare.batchnorm_line(own_after)


def test_judge_multi_input_quantized_without_reference_names_the_layer():
    """No g++ here: whatever the firmware outputs, a quantized model without a reference gets no verdict."""
    from qkeras import QActivation

    from codesign import compare

    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    s = L.Add(name="add")([QActivation("quantized_bits(6,2,alpha=1)", name="qa")(a), b])
    model = keras.Model([a, b], QActivation("quantized_tanh(6,use_real_tanh=True)", name="squash")(s))
    xs = [_grid((4,), n=8, seed=1), _grid((4,), n=8, seed=2)]
    v = compare.judge(model, xs, np.zeros((8, 4)))
    assert v.exact is None and v.bit_accuracy is None
    assert "'squash' (QActivation)" in v.reference_unavailable and v.to_dict()["reference_unavailable"]
    # with a supported activation the same graph is judged, and a wrong firmware is caught
    ok = keras.Model([a, b], QActivation("quantized_relu(6,2)", name="clip")(s))
    ref = reference.reference_outputs(ok, xs)
    assert compare.judge(ok, xs, ref).exact is True
    assert compare.judge(ok, xs, ref + 2.0**-4).exact is False


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: L.UpSampling1D(3, name="u"), (5, 2)),
        (lambda: L.UpSampling2D((2, 3), name="u"), (3, 4, 2)),
        (lambda: L.ZeroPadding1D((1, 2), name="u"), (5, 2)),
        (lambda: L.ZeroPadding2D(((1, 0), (2, 1)), name="u"), (3, 4, 2)),
        (lambda: L.Cropping1D((1, 2), name="u"), (6, 2)),
        (lambda: L.Cropping2D(((1, 0), (0, 2)), name="u"), (4, 5, 2)),
    ],
)
def test_upsampling_padding_cropping_move_values_as_keras(layer, shape):
    """Foreign models' UpSampling/ZeroPadding/Cropping (were refused with exit 6): values moved exactly as Keras does."""
    from qkeras import QActivation

    inp = keras.Input(shape)
    q = QActivation("quantized_bits(8,3,alpha=1)", name="q")(inp)
    model = keras.Model(inp, layer()(q))
    x = np.random.default_rng(0).normal(0, 3, (4, *shape))
    ref = reference.forward_layers(model, x)
    np.testing.assert_array_equal(ref["u"], model.predict(x, verbose=0))
    assert ref["u"].shape[1:] == model.output_shape[1:]


def test_bilinear_upsampling_and_unknown_layers_are_refused_with_the_accepted_list():
    inp = keras.Input((3, 3, 1))
    model = keras.Model(inp, L.UpSampling2D(2, interpolation="bilinear", name="bil")(inp))
    with pytest.raises(ReferenceUnavailableError, match="'bil'.*interpolation 'bilinear' \\(accepted: nearest\\)"):
        reference.forward_layers(model, np.zeros((1, 3, 3, 1)))
    model = keras.Model(inp, L.RandomFlip(name="flip")(inp))
    with pytest.raises(ReferenceUnavailableError, match="'flip' \\(RandomFlip\\).*accepted: .*QDense.*UpSampling1D"):
        reference.forward_layers(model, np.zeros((1, 3, 3, 1)))


def test_float_bias_of_a_quantized_layer_gets_no_verdict():
    """QDense(kernel_quantizer=...) without a bias_quantizer: hls4ml rounds the float bias to ap_fixed<16,6>, so the
    build said NOT bit-exact on 3 of 200 inputs and `codesign check` said bit-exact on others: no proof, exit 6."""
    from qkeras import QActivation, QDense

    from codesign import compare

    q = "quantized_bits(6,0,alpha=1)"
    inp = keras.Input((4,))
    h = QActivation("quantized_relu(6,2)", name="r")(QDense(3, kernel_quantizer=q, name="nobq")(inp))
    model = keras.Model(inp, QDense(2, kernel_quantizer=q, bias_quantizer=q, name="out")(h))
    x = np.zeros((2, 4))
    assert reference.float_weight_layers(model) == []  # a zero bias is exact in any type
    model.get_layer("nobq").set_weights([np.full((4, 3), 0.25), np.array([0.1, 0.0, -0.3])])
    assert reference.float_weight_layers(model) == ["nobq"]
    ref, why = compare._unavailable(model, x, None)
    assert ref is None and "'nobq'" in why and "bias_quantizer" in why
    no_bias = keras.Model(inp, QDense(2, kernel_quantizer=q, use_bias=False, name="nb")(inp))
    assert reference.float_weight_layers(no_bias) == []
