"""Model zoo: topology, layer names, invariances, the VAE loss and anomaly score against hand computations."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from codesign import keras_env

keras = keras_env.keras()

from codesign import zoo  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from codesign.spec import ModelSpec  # noqa: E402


def names(model) -> list[str]:
    return [layer.name for layer in model.layers]


def test_mlp_layers_and_shapes():
    m = zoo.build_model(ModelSpec(family="mlp", hidden=(8, 4)), (16,), 5)
    assert names(m) == ["inputs", "dense_1", "relu_1", "dense_2", "relu_2", "output_logits", "softmax"]
    assert m.get_layer("dense_1").kernel.shape == (16, 8)
    assert m.get_layer("output_logits").kernel.shape == (4, 5)
    assert m.get_layer("softmax").get_config()["activation"] == "softmax"
    assert m.get_layer("output_logits").get_config()["activation"] == "linear"
    y = m.predict(np.zeros((3, 16), np.float32), verbose=0)
    assert y.shape == (3, 5)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)


def test_mlp_batchnorm_names():
    m = zoo.build_model(ModelSpec(family="mlp", hidden=(8,), batchnorm=True), (4,), 2)
    assert names(m) == ["inputs", "dense_1", "dense_bn_1", "relu_1", "output_logits", "softmax"]


def test_seeded_build_is_reproducible():
    spec = ModelSpec(family="mlp", hidden=(8, 4))
    a = zoo.build_model(spec, (16,), 5, seed=3).get_weights()
    b = zoo.build_model(spec, (16,), 5, seed=3).get_weights()
    c = zoo.build_model(spec, (16,), 5, seed=4).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("family", ["deepsets", "interaction_net"])
@pytest.mark.parametrize("aggregation", ["mean", "max"])
def test_set_models_are_permutation_invariant(family, aggregation):
    spec = ModelSpec(family=family, phi=(8, 8), rho=(8,), aggregation=aggregation)
    m = zoo.build_model(spec, (5, 3), 4, seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 5, 3)).astype(np.float32)
    perm = rng.permutation(5)
    y, yp = m.predict(x, verbose=0), m.predict(x[:, perm], verbose=0)
    assert y.shape == (7, 4)
    np.testing.assert_allclose(y, yp, rtol=1e-5, atol=1e-6)
    # and the output does depend on the constituents (the invariance check is not vacuous)
    assert not np.allclose(y, m.predict(x[:, ::-1] * 2.0, verbose=0))


def test_mlp_flattens_constituents():
    m = zoo.build_model(ModelSpec(family="mlp", hidden=(8,)), (5, 3), 4)
    assert names(m)[:3] == ["inputs", "flatten", "dense_1"]
    assert m.get_layer("dense_1").kernel.shape == (15, 8)


def test_deepsets_uses_pointwise_conv():
    m = zoo.build_model(ModelSpec(family="deepsets", phi=(8, 6), rho=(4,)), (5, 3), 4)
    assert names(m) == [
        "inputs", "phi_1", "phi_relu_1", "phi_2", "phi_relu_2", "pool", "rho_1", "rho_relu_1", "output_logits",
        "softmax",
    ]  # fmt: skip
    assert type(m.get_layer("phi_1")).__name__ == "Conv1D"
    assert m.get_layer("phi_1").kernel.shape == (1, 3, 8)


def test_edge_index_is_every_ordered_pair_once_receiver_major():
    from codesign.hls_ext.interaction import edge_index

    recv, send = edge_index(4)
    assert len(recv) == 12 and np.all(recv != send)
    assert len(set(zip(recv.tolist(), send.tolist(), strict=True))) == 12
    assert recv.tolist() == sorted(recv.tolist())  # receiver-major, as the firmware numbers edges
    assert np.all(np.bincount(send, minlength=4) == 3)


def test_interaction_net_split_first_edge_layer_equals_the_concatenated_form():
    """relu(W_r x_r + b + W_s x_s) per edge is the textbook edge layer relu(W [x_r; x_s] + b); messages sum per receiver."""
    m = zoo.build_model(ModelSpec(family="interaction_net", phi=(4, 3), rho=()), (3, 2), 2, seed=1)
    assert [type(m.get_layer(n)).__name__ for n in ("edge_1_recv", "edge_1_send", "edge_1", "edge_2", "aggregate")] == [
        "Conv1D", "Conv1D", "EdgePairSum", "Conv1D", "ReceiverSum"
    ]  # fmt: skip
    x = np.random.default_rng(0).normal(size=(2, 3, 2)).astype(np.float32)
    wr, b = m.get_layer("edge_1_recv").get_weights()
    (ws,) = m.get_layer("edge_1_send").get_weights()
    w = np.concatenate([wr[0], ws[0]], axis=0)  # (2F, D): the unsplit layer's kernel
    expected = np.array(
        [[np.maximum(np.concatenate([x[j, r], x[j, s]]) @ w + b, 0) for r in range(3) for s in range(3) if s != r]
         for j in range(2)]
    )  # fmt: skip
    edges = keras.Model(m.input, m.get_layer("edge_1").output).predict(x, verbose=0)
    np.testing.assert_allclose(edges, expected, rtol=1e-5, atol=1e-6)
    e2 = keras.Model(m.input, m.get_layer("edge_relu_2").output).predict(x, verbose=0)  # (2, 6, 3)
    agg = keras.Model(m.input, m.get_layer("aggregate").output).predict(x, verbose=0)
    np.testing.assert_allclose(agg, e2.reshape(2, 3, 2, 3).sum(axis=2), rtol=1e-6)
    assert m.get_layer("aggregate").output.shape[1:] == (3, 3)


def test_interaction_net_node_network_has_its_own_sizes():
    """``node`` sizes the node MLP on [x; messages]; the edge MLP keeps phi's sizes; left out, the node MLP is phi."""
    m = zoo.build_model(ModelSpec(family="interaction_net", phi=(4, 3), node=(6, 5), rho=()), (3, 2), 2, seed=1)
    assert m.get_layer("edge_1_recv").kernel.shape == (1, 2, 4) and m.get_layer("edge_2").kernel.shape == (1, 4, 3)
    assert m.get_layer("node_1").kernel.shape == (1, 2 + 3, 6) and m.get_layer("node_2").kernel.shape == (1, 6, 5)
    assert "node_3" not in names(m) and m.get_layer("output_logits").kernel.shape == (5, 2)
    same = zoo.build_model(ModelSpec(family="interaction_net", phi=(4, 3), rho=()), (3, 2), 2, seed=1)
    given = zoo.build_model(ModelSpec(family="interaction_net", phi=(4, 3), node=(4, 3), rho=()), (3, 2), 2, seed=1)
    assert names(same) == names(given)
    assert all(np.array_equal(a, b) for a, b in zip(same.get_weights(), given.get_weights(), strict=True))
    assert same.get_layer("node_1").kernel.shape == (1, 2 + 3, 4) and same.get_layer("node_2").kernel.shape == (1, 4, 3)


def test_interaction_net_refuses_batchnorm():
    with pytest.raises(SpecError, match="batchnorm"):
        zoo.build_model(ModelSpec(family="interaction_net", phi=(4,), rho=(), batchnorm=True), (3, 2), 2)


def test_vae_layers_encoder_and_kl_loss():
    spec = ModelSpec(family="vae", encoder=(8, 6), decoder=(6, 8), latent_dim=3)
    vae = zoo.build_model(spec, (10,), 0, seed=0)
    assert names(vae) == [
        "inputs", "enc_1", "enc_relu_1", "enc_2", "enc_relu_2", "z_mean", "z_log_var", "sampling",
        "dec_1", "dec_relu_1", "dec_2", "dec_relu_2", "reconstruction",
    ]  # fmt: skip
    enc = zoo.encoder_model(vae)
    assert "sampling" not in names(enc) and "reconstruction" not in names(enc)
    x = np.random.default_rng(0).normal(size=(5, 10)).astype(np.float32)
    mu, logvar = enc.predict(x, verbose=0)
    assert mu.shape == logvar.shape == (5, 3)
    vae(x)  # the sampling layer adds beta * KL / n_features (beta = 1) as a loss for this batch
    kl = -0.5 * np.sum(1 + logvar - mu**2 - np.exp(logvar), axis=1).mean()
    np.testing.assert_allclose(float(vae.losses[-1]), kl / 10, rtol=1e-5)


def test_vae_kl_weight_follows_beta():
    vae = zoo.build_model(ModelSpec(family="vae", encoder=(4,), decoder=(4,), latent_dim=2, beta=0.5), (8,), 0)
    assert vae.get_layer("sampling").kl_weight == pytest.approx(0.5 / 8)


def test_ae_layers_and_score_models():
    """The AE reconstructs its input through a linear latent; score_model gives one score per event per family."""
    from codesign.score_spec import parse_score

    ae = zoo.build_model(ModelSpec(family="ae", encoder=(6,), decoder=(6,), latent_dim=2), (5,), 0, seed=0)
    assert names(ae) == ["inputs", "enc_1", "enc_relu_1", "latent", "dec_1", "dec_relu_1", "reconstruction"]
    x = np.random.default_rng(0).normal(size=(7, 5)).astype(np.float32)
    scored = zoo.score_model(ae, parse_score({"kind": "sse"}))
    np.testing.assert_allclose(scored.predict(x, verbose=0)[:, 0], np.sum((x - ae.predict(x, verbose=0)) ** 2, axis=1),
                               rtol=1e-5)  # fmt: skip
    vae = zoo.build_model(ModelSpec(family="vae", encoder=(6,), decoder=(6,), latent_dim=2), (5,), 0, seed=0)
    mu, lv = zoo.encoder_model(vae).predict(x, verbose=0)
    rz = zoo.score_model(vae, parse_score({"kind": "rz"})).predict(x, verbose=0)[:, 0]
    np.testing.assert_allclose(rz, zoo.anomaly_score(mu, lv), rtol=1e-5)
    with pytest.raises(SpecError, match=r"score.kind 'sse' does not apply to a VAE"):
        zoo.score_model(vae, parse_score({"kind": "sse"}))
    with pytest.raises(SpecError, match=r"score.kind 'kl' does not apply to an autoencoder"):
        zoo.score_model(ae, parse_score({"kind": "kl"}))


def test_anomaly_score_by_hand():
    mu = np.array([[1.0, 2.0], [0.0, -3.0]])
    logvar = np.array([[0.0, np.log(4.0)], [5.0, np.log(0.5)]])
    # row 0: 1/1 + 4/4 = 2; row 1: 0 + 9/0.5 = 18
    np.testing.assert_allclose(zoo.anomaly_score(mu, logvar), [2.0, 18.0], rtol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        zoo.anomaly_score(mu, logvar[:, :1])


def test_encoder_model_rejects_a_classifier():
    m = zoo.build_model(ModelSpec(family="mlp", hidden=(4,)), (3,), 2)
    with pytest.raises(SpecError, match="z_mean"):
        zoo.encoder_model(m)


def test_errors_name_the_key_and_the_accepted_values():
    # the spec already refuses 'sum'; the zoo says why if a spec object gets through with it
    summed = ModelSpec(family="deepsets").model_copy(update={"aggregation": "sum"})
    with pytest.raises(SpecError, match=r"model.aggregation 'sum'.*no global-sum layer.*accepted: mean, max"):
        zoo.build_model(summed, (5, 3), 4)
    with pytest.raises(SpecError, match=r"'mlp' needs a flat feature vector, or constituents.*\(2, 5, 3\)"):
        zoo.build_model(ModelSpec(family="mlp"), (2, 5, 3), 4)
    with pytest.raises(SpecError, match=r"'deepsets' needs constituents"):
        zoo.build_model(ModelSpec(family="deepsets"), (16,), 4)
    with pytest.raises(SpecError, match=r"model.hidden: needs at least one"):
        zoo.build_model(ModelSpec(family="mlp").model_copy(update={"hidden": ()}), (16,), 4)  # the spec refuses []
    with pytest.raises(SpecError, match=r"unknown family 'cnn' \(accepted: mlp, deepsets, interaction_net, vae, ae\)"):
        zoo.build_model(SimpleNamespace(family="cnn", file=None), (16,), 4)
    with pytest.raises(SpecError, match=r">= 2 classes"):
        zoo.build_model(ModelSpec(family="mlp"), (16,), 1)
