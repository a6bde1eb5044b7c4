"""QKeras conversion and QAT: topology, per-layer overrides, weights on the quantizer grid, the mask held."""

from __future__ import annotations

import numpy as np
import pytest
import toy_data

from codesign import keras_env

keras = keras_env.keras()

from codesign import fold, prune, quantize, train, zoo  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from codesign.spec import LayerQuant, ModelSpec, PruneSpec, QuantizeSpec, TrainSpec  # noqa: E402

TRAIN = TrainSpec(epochs=2, batch_size=64, learning_rate=3e-3, seed=0)
Q = QuantizeSpec(bits=6, integer=0, activation_bits=8, activation_integer=3, epochs=2)


def types(model) -> dict[str, str]:
    return {layer.name: type(layer).__name__ for layer in model.layers}


@pytest.fixture(scope="module")
def pruned():
    """A trained MLP and its 60 %-pruned version."""
    data = toy_data.flat()
    model = zoo.build_model(ModelSpec(family="mlp", hidden=(16, 8)), (8,), 3, seed=0)
    model = train.train_float(model, data, TRAIN).model
    return data, prune.prune(model, data, PruneSpec(sparsity=0.6, epochs=2, frequency=10), TRAIN).model


def test_to_qkeras_topology_weights_and_quantizers(pruned):
    _, model = pruned
    qm = quantize.to_qkeras(model, Q)
    assert types(qm) == {
        "inputs": "InputLayer", "dense_1": "QDense", "relu_1": "QActivation", "dense_2": "QDense",
        "relu_2": "QActivation", "output_logits": "QDense", "softmax": "Activation",
    }  # fmt: skip
    for a, b in zip(model.get_weights(), qm.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for name in ("dense_1", "dense_2", "output_logits"):
        layer = qm.get_layer(name)
        for qz in (layer.kernel_quantizer_internal, layer.bias_quantizer_internal):
            cfg = qz.get_config()
            assert (type(qz).__name__, cfg["bits"], cfg["integer"], cfg["alpha"]) == ("quantized_bits", 6, 0, 1)
    act = qm.get_layer("relu_1").quantizer
    assert (type(act).__name__, act.bits, act.integer) == ("quantized_relu", 8, 3)
    assert qm.get_layer("softmax").get_config()["activation"] == "softmax"
    assert qm.get_layer("output_logits").get_config()["activation"] == "linear"


def test_per_layer_overrides(pruned):
    _, model = pruned
    q = Q.model_copy(
        update={
            "layers": {
                "dense_1": LayerQuant(bits=8, integer=2, activation_bits=10, activation_integer=4),
                "relu_2": LayerQuant(activation_bits=5, activation_integer=1),
            }
        }
    )
    qm = quantize.to_qkeras(model, q)
    k1 = qm.get_layer("dense_1").kernel_quantizer_internal.get_config()
    k2 = qm.get_layer("dense_2").kernel_quantizer_internal.get_config()
    assert (k1["bits"], k1["integer"]) == (8, 2)
    assert (k2["bits"], k2["integer"]) == (6, 0)
    r1, r2 = qm.get_layer("relu_1").quantizer, qm.get_layer("relu_2").quantizer
    assert (r1.bits, r1.integer) == (10, 4)
    assert (r2.bits, r2.integer) == (5, 1)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            {"dense_9": LayerQuant(bits=4)},
            r"quantize.layers.dense_9: no layer named 'dense_9'.*accepted: dense_1, relu_1",
        ),
        ({"relu_1": LayerQuant(bits=4)}, r"quantize.layers.relu_1: bits/integer .* without trainable weights"),
        ({"output_logits": LayerQuant(activation_bits=4)}, r"quantize.layers.output_logits: activation_bits"),
    ],
)
def test_bad_overrides_name_the_key(pruned, layers, message):
    _, model = pruned
    with pytest.raises(SpecError, match=message):
        quantize.to_qkeras(model, Q.model_copy(update={"layers": layers}))


def test_fused_relu_becomes_the_layer_quantizer_and_a_hidden_softmax_or_sigmoid_is_rejected():
    inp = keras.Input((4,), name="inputs")
    model = keras.Model(inp, keras.layers.Dense(3, activation="relu", name="dense_1")(inp))
    qm = quantize.to_qkeras(model, Q)
    act = qm.get_layer("dense_1").activation
    assert (type(act).__name__, act.bits, act.integer) == ("quantized_relu", 8, 3)
    x = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    y = qm.predict(x, verbose=0)
    assert FixedPrecision.from_qkeras(act).on_grid(y) and np.all(y >= 0)
    for head in ("softmax", "sigmoid"):
        # inside the model: refused (no exact reference, no QKeras mapping)
        mid = keras.layers.Dense(3, activation=head, name="dense_1")(inp)
        inner = keras.Model(inp, keras.layers.Dense(2, name="dense_2")(mid))
        with pytest.raises(SpecError, match=rf"'dense_1': fused activation '{head}'.*own Activation layer"):
            quantize.to_qkeras(inner, Q)
        # on the output layer it stays the layer's activation (the firmware leaves it out and outputs the logits)
        head_model = keras.Model(inp, keras.layers.Dense(1, activation=head, name="dense_1")(inp))
        qh = quantize.to_qkeras(head_model, Q)
        assert qh.get_layer("dense_1").activation.__name__ == head
        logits = qh.get_layer("dense_1")
        z = x @ logits.kernel_quantizer_internal(logits.kernel).numpy() + logits.bias_quantizer_internal(logits.bias).numpy()
        want = 1 / (1 + np.exp(-z)) if head == "sigmoid" else np.ones_like(z)
        np.testing.assert_allclose(qh.predict(x, verbose=0), want, rtol=1e-5)


def test_qat_keeps_mask_and_weights_on_grid(pruned):
    data, model = pruned
    mask = prune.masks(model)
    qm = quantize.to_qkeras(model, Q)
    before = {n: qm.get_layer(n).kernel.numpy().copy() for n in mask}
    res = quantize.qat(qm, data, Q, TRAIN, mask_from=model)
    assert res.epochs_run >= 1
    qw = quantize.quantized_weights(res.model)
    for name, m in mask.items():
        layer = res.model.get_layer(name)
        kernel = layer.kernel.numpy()
        assert not np.array_equal(kernel[m], before[name][m]), f"{name}: QAT did not train the kept weights"
        assert np.all(kernel[~m] == 0.0), f"{name}: a pruned float weight is no longer exactly zero"
        assert np.all(qw[name][0][~m] == 0.0), f"{name}: a pruned quantized weight is not zero"
        # on the grid: QKeras's quantizer and the independent ap_fixed emulation agree exactly
        kp = FixedPrecision.from_qkeras(layer.kernel_quantizer_internal)
        bp = FixedPrecision.from_qkeras(layer.bias_quantizer_internal)
        assert str(kp) == "ap_fixed<6,1,AP_RND_CONV,AP_SAT>"
        np.testing.assert_array_equal(qw[name][0], kp.quantize(kernel.astype(np.float64)))
        np.testing.assert_array_equal(qw[name][1], bp.quantize(layer.bias.numpy().astype(np.float64)))
        assert kp.on_grid(qw[name][0]) and bp.on_grid(qw[name][1])
    qs = quantize.quantized_sparsity(res.model)
    assert qs["total"] >= prune.sparsity(model)["total"]
    # the activations come out on the quantized_relu grid, ap_ufixed<8,3>
    relu = keras.Model(res.model.input, res.model.get_layer("relu_1").output).predict(data.x_test, verbose=0)
    rp = FixedPrecision.from_qkeras(res.model.get_layer("relu_1").quantizer)
    assert str(rp) == "ap_ufixed<8,3,AP_RND_CONV,AP_SAT>" and rp.on_grid(relu)
    assert train.evaluate(res.model, data)["accuracy"] > 0.5


def test_without_the_mask_pruned_weights_come_back(pruned):
    """The mask is what keeps the zeros: the same QAT without it moves them (so the check above can fail)."""
    data, model = pruned
    mask = prune.masks(model)
    res = quantize.qat(quantize.to_qkeras(model, Q), data, Q, TRAIN, mask_from=None)
    revived = sum(int(np.count_nonzero(res.model.get_layer(n).kernel.numpy()[~m])) for n, m in mask.items())
    assert revived > 0


@pytest.mark.slow
def test_qat_with_the_same_seed_is_reproducible(pruned):
    data, model = pruned
    a = quantize.qat(quantize.to_qkeras(model, Q), data, Q, TRAIN, mask_from=model).model.get_weights()
    b = quantize.qat(quantize.to_qkeras(model, Q), data, Q, TRAIN, mask_from=model).model.get_weights()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_set_models_use_qconv1d_and_the_edge_layer_gets_quantized_relu(tmp_path):
    ds = zoo.build_model(ModelSpec(family="deepsets", phi=(8,), rho=(8,)), (4, 3), 3, seed=0)
    assert types(quantize.to_qkeras(ds, Q))["phi_1"] == "QConv1D"
    net = zoo.build_model(ModelSpec(family="interaction_net", phi=(8,), rho=()), (4, 3), 3, seed=0)
    qn = quantize.to_qkeras(net, Q)
    t = types(qn)
    assert t["edge_1_recv"] == t["edge_1_send"] == "QConv1D" and t["edge_1"] == "EdgePairSum"
    assert str(qn.get_layer("edge_1").activation) == "quantized_relu(8,3)"
    assert not any(not layer.trainable for layer in qn.layers if layer.get_weights())  # no fixed 0/1 layer left
    x = np.random.default_rng(0).normal(size=(4, 4, 3)).astype(np.float32)
    path = tmp_path / "in.h5"
    qn.save(path)
    back = keras.models.load_model(path, custom_objects=quantize.custom_objects(), compile=False)
    np.testing.assert_array_equal(back.predict(x, verbose=0), qn.predict(x, verbose=0))
    assert str(back.get_layer("edge_1").activation) == "quantized_relu(8,3)"


def test_vae_quantizes_and_reloads(tmp_path):
    data = toy_data.background(n=600)
    vae = zoo.build_model(ModelSpec(family="vae", encoder=(8,), decoder=(8,), latent_dim=2), (10,), 0, seed=0)
    qv = quantize.to_qkeras(vae, Q)
    assert types(qv)["z_mean"] == "QDense" and types(qv)["sampling"] == "Sampling"
    quantize.qat(qv, data, Q, TRAIN)
    enc = zoo.encoder_model(qv)
    path = tmp_path / "enc.h5"
    enc.save(path)
    back = keras.models.load_model(path, custom_objects=quantize.custom_objects())
    a, b = enc.predict(data.x_test, verbose=0), back.predict(data.x_test, verbose=0)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert zoo.anomaly_score(*a).shape == (len(data.x_test),)


def test_batchnorm_is_folded_into_the_dense_before_it():
    data = toy_data.flat(n=600)
    model = zoo.build_model(ModelSpec(family="mlp", hidden=(8, 4), batchnorm=True), (8,), 3, seed=0)
    model = train.train_float(model, data, TRAIN).model  # moving mean/variance away from 0/1
    bn = model.get_layer("dense_bn_1")
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)
    folded = fold.fold_batchnorm(model)
    assert types(folded)["dense_bn_1"] == "Activation"
    assert "BatchNormalization" not in types(folded).values()
    np.testing.assert_allclose(
        folded.predict(data.x_test, verbose=0), model.predict(data.x_test, verbose=0), rtol=1e-4, atol=1e-6
    )
    qm = quantize.to_qkeras(model, Q)
    assert types(qm)["dense_1"] == "QDense" and types(qm)["dense_bn_1"] == "Activation"
    np.testing.assert_array_equal(qm.get_layer("dense_1").kernel.numpy(), folded.get_layer("dense_1").kernel.numpy())


def test_batchnorm_after_an_activation_is_rejected_by_name():
    inp = keras.Input((4,), name="inputs")
    x = keras.layers.Dense(3, name="dense_1")(inp)
    x = keras.layers.Activation("relu", name="relu_1")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    with pytest.raises(SpecError, match=r"'bn': BatchNormalization can only be quantized folded"):
        quantize.to_qkeras(keras.Model(inp, x), Q)
