"""The model zoo: float Keras networks built from a :class:`~codesign.spec.ModelSpec`.

Every family is built from layers hls4ml 1.3 converts, with stable, meaningful layer names that the
quantization step, per-layer overrides and the report refer to:

- ``mlp``: (``flatten`` for constituents) ``dense_i`` -> (``bn_i``) -> ``relu_i`` ..., ``output_logits``, ``softmax``;
- ``deepsets``: per-constituent ``phi_i`` (Conv1D, kernel 1; hls4ml keeps the quantizers of a QConv1D but
  drops those of a QDense on 3-D input) -> ``phi_relu_i``, ``pool``, ``rho_i`` -> ``rho_relu_i``,
  ``output_logits``, ``softmax``;
- ``interaction_net``: ``edge_1_recv``/``edge_1_send`` (per node) -> ``edge_1`` (EdgePairSum, per edge) ->
  ``edge_i`` -> ``aggregate`` (ReceiverSum) -> ``node_i`` (sized by ``node``, default ``phi``) -> ``pool`` ->
  ``rho_i``; see :func:`_interaction_net`;
- ``vae``: ``enc_i`` -> ``enc_relu_i``, ``z_mean`` / ``z_log_var``, ``sampling`` (adds the weighted KL to
  the loss), ``dec_i`` -> ``dec_relu_i``, ``reconstruction``. Its encoder and the score go to firmware
  (:func:`score_model`);
- ``ae``: ``enc_i`` -> ``enc_relu_i``, ``latent`` (linear), ``dec_i`` -> ``dec_relu_i``, ``reconstruction``; the
  whole network and the squared reconstruction error go to firmware (:func:`score_model`).

The softmax is its own ``Activation`` layer so that the logits before it can be compared bit for bit.
"""

from __future__ import annotations

import numpy as np

from codesign import keras_env
from codesign.errors import SpecError
from codesign.hls_ext.interaction import CUSTOM_OBJECTS as GRAPH_OBJECTS
from codesign.hls_ext.interaction import EdgePairSum, ReceiverSum
from codesign.score_layer import AnomalyScore

keras = keras_env.keras()
import tensorflow as tf  # noqa: E402  (after keras_env: selects tf-keras)

FAMILIES = ("mlp", "deepsets", "interaction_net", "vae", "ae")
ANOMALY_FAMILIES = ("vae", "ae")
AGGREGATIONS = ("mean", "max")
LOGITS = "output_logits"
SOFTMAX = "softmax"


@keras.utils.register_keras_serializable(package="codesign")
class Sampling(keras.layers.Layer):
    """VAE reparameterisation z = mu + exp(logvar / 2) * eps; adds ``kl_weight`` * KL(q(z|x) || N(0, 1)) as a loss."""

    def __init__(self, kl_weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = float(kl_weight)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        kl = -0.5 * tf.reduce_sum(1.0 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=-1)
        self.add_loss(self.kl_weight * tf.reduce_mean(kl))
        self.add_metric(tf.reduce_mean(kl), name="kl")
        eps = tf.random.normal(tf.shape(z_mean))
        return z_mean + tf.exp(0.5 * z_log_var) * eps

    def get_config(self) -> dict:
        """Keras serialisation config."""
        return {**super().get_config(), "kl_weight": self.kl_weight}


CUSTOM_OBJECTS = {"Sampling": Sampling, "AnomalyScore": AnomalyScore, **GRAPH_OBJECTS}


def _family(spec) -> str:
    fam = getattr(spec.family, "value", spec.family)
    if fam not in FAMILIES:
        raise SpecError(f"model.family: unknown family {fam!r} (accepted: {', '.join(FAMILIES)})")
    return fam


def _check_sizes(key: str, sizes, allow_empty: bool = False) -> tuple[int, ...]:
    sizes = tuple(int(s) for s in sizes)
    if not sizes and not allow_empty:
        raise SpecError(f"model.{key}: needs at least one layer size (a list of positive integers)")
    if any(s <= 0 for s in sizes):
        raise SpecError(f"model.{key}: layer sizes must be positive integers, got {list(sizes)}")
    return sizes


def _check_rank(family: str, input_shape: tuple[int, ...], rank: int, what: str) -> None:
    if len(input_shape) != rank:
        raise SpecError(
            f"model.family {family!r} needs {what} (input shape of rank {rank} per sample), "
            f"got input shape {tuple(input_shape)}"
        )


def _dense_block(x, sizes, prefix: str, relu_prefix: str, batchnorm: bool, conv: bool = False, start: int = 1):
    """Dense (or pointwise Conv1D) -> optional BatchNormalization -> ReLU, numbered from ``start``."""
    L = keras.layers
    for i, n in enumerate(sizes, start=start):
        if conv:
            x = L.Conv1D(n, kernel_size=1, name=f"{prefix}_{i}")(x)
        else:
            x = L.Dense(n, name=f"{prefix}_{i}")(x)
        if batchnorm:
            x = L.BatchNormalization(name=f"{prefix}_bn_{i}")(x)
        x = L.Activation("relu", name=f"{relu_prefix}_{i}")(x)
    return x


def _classifier_head(x, n_classes: int):
    L = keras.layers
    logits = L.Dense(n_classes, name=LOGITS)(x)
    return L.Activation("softmax", name=SOFTMAX)(logits)


def _pool(x, aggregation: str, family: str):
    L = keras.layers
    if aggregation == "mean":
        return L.GlobalAveragePooling1D(name="pool")(x)
    if aggregation == "max":
        return L.GlobalMaxPooling1D(name="pool")(x)
    raise SpecError(
        f"model.aggregation {aggregation!r} is not supported for {family}: hls4ml 1.3 has no global-sum "
        f"layer (accepted: {', '.join(AGGREGATIONS)}; 'mean' is the sum divided by the fixed constituent count)"
    )


def _mlp(spec, input_shape, n_classes: int):
    if len(input_shape) != 2:  # constituents (N, F) are flattened first
        _check_rank("mlp", input_shape, 1, "a flat feature vector, or constituents (n_constituents, n_features)")
    hidden = _check_sizes("hidden", spec.hidden)
    inp = keras.Input(shape=input_shape, name="inputs")
    x = _flatten(inp) if len(input_shape) == 2 else inp
    x = _dense_block(x, hidden, "dense", "relu", spec.batchnorm)
    return keras.Model(inp, _classifier_head(x, n_classes), name="mlp")


def _flatten(x):
    """Flatten (N, F) constituents for an MLP (``flatten``)."""
    return keras.layers.Flatten(name="flatten")(x)


def _deepsets(spec, input_shape, n_classes: int):
    _check_rank("deepsets", input_shape, 2, "constituents as (n_constituents, n_features)")
    phi = _check_sizes("phi", spec.phi)
    rho = _check_sizes("rho", spec.rho, allow_empty=True)
    inp = keras.Input(shape=input_shape, name="inputs")
    x = _dense_block(inp, phi, "phi", "phi_relu", spec.batchnorm, conv=True)
    x = _pool(x, spec.aggregation, "deepsets")
    x = _dense_block(x, rho, "rho", "rho_relu", spec.batchnorm)
    return keras.Model(inp, _classifier_head(x, n_classes), name="deepsets")


def _interaction_net(spec, input_shape, n_classes: int):
    """Interaction network over constituents: edge MLP on (receiver, sender) pairs, node MLP, pooling, rho.

    The graph is fully connected without self-loops (N(N-1) edges). The edge MLP's first layer on
    ``[x_r; x_s]`` is computed as ``(W_r x_r + b) + W_s x_s``: two pointwise Conv1D per node (``edge_1_recv``
    with the bias, ``edge_1_send`` without) whose outputs :class:`EdgePairSum` (``edge_1``) adds per edge, with
    the ReLU; further edge layers are pointwise Conv1D on the edges (``edge_i``). :class:`ReceiverSum`
    (``aggregate``) sums each receiver's incoming messages; the node MLP (``node_i``) runs on ``[x; messages]``.
    ``phi`` sizes the edge MLP, ``node`` the node MLP (``phi`` when not given), as the relational and object
    networks f_R and f_O of the interaction network have their own sizes: the edge MLP runs on N(N-1) edges, the
    node MLP on N nodes. No 0/1 incidence matrix is multiplied (see :mod:`codesign.hls_ext.interaction`); the edge
    MLP after its first layer still runs on N(N-1) edges (56 for 8 constituents, 240 for 16, 992 for 32).
    """
    _check_rank("interaction_net", input_shape, 2, "constituents as (n_constituents, n_features)")
    phi = _check_sizes("phi", spec.phi)
    node = phi if getattr(spec, "node", None) is None else _check_sizes("node", spec.node)
    rho = _check_sizes("rho", spec.rho, allow_empty=True)
    n, _ = input_shape
    if n < 2:
        raise SpecError(f"model.family 'interaction_net' needs at least 2 constituents, got {n}")
    if spec.batchnorm:
        raise SpecError(
            "model.batchnorm is not supported for interaction_net: the edge MLP's first layer is split into a "
            "receiver and a sender term added per edge, so a BatchNormalization has no single layer to fold into"
        )
    L = keras.layers
    inp = keras.Input(shape=input_shape, name="inputs")
    recv = L.Conv1D(phi[0], kernel_size=1, name="edge_1_recv")(inp)
    send = L.Conv1D(phi[0], kernel_size=1, use_bias=False, name="edge_1_send")(inp)
    e = EdgePairSum(activation="relu", name="edge_1")([recv, send])  # (E, D)
    e = _dense_block(e, phi[1:], "edge", "edge_relu", False, conv=True, start=2)
    agg = ReceiverSum(n, name="aggregate")(e)  # (N, D)
    x = L.Concatenate(axis=-1, name="node_inputs")([inp, agg])
    x = _dense_block(x, node, "node", "node_relu", False, conv=True)
    x = _pool(x, spec.aggregation, "interaction_net")
    x = _dense_block(x, rho, "rho", "rho_relu", False)
    return keras.Model(inp, _classifier_head(x, n_classes), name="interaction_net")


def _vae(spec, input_shape):
    _check_rank("vae", input_shape, 1, "a flat feature vector")
    enc = _check_sizes("encoder", spec.encoder)
    dec = _check_sizes("decoder", spec.decoder)
    latent = int(spec.latent_dim)
    if latent <= 0:
        raise SpecError(f"model.latent_dim must be a positive integer, got {latent}")
    # The compiled loss is the per-feature mean squared error, so the KL of the beta-VAE objective
    # (sum of squared errors + beta * KL) is divided by the number of features to keep the balance.
    beta = float(spec.beta)
    n_features = int(np.prod(input_shape))
    L = keras.layers
    inp = keras.Input(shape=input_shape, name="inputs")
    x = _dense_block(inp, enc, "enc", "enc_relu", spec.batchnorm)
    z_mean = L.Dense(latent, name="z_mean")(x)
    z_log_var = L.Dense(latent, name="z_log_var")(x)
    z = Sampling(kl_weight=beta / n_features, name="sampling")([z_mean, z_log_var])
    y = _dense_block(z, dec, "dec", "dec_relu", spec.batchnorm)
    out = L.Dense(int(np.prod(input_shape)), name="reconstruction")(y)
    return keras.Model(inp, out, name="vae")


def _ae(spec, input_shape):
    _check_rank("ae", input_shape, 1, "a flat feature vector")
    enc = _check_sizes("encoder", spec.encoder)
    dec = _check_sizes("decoder", spec.decoder)
    latent = int(spec.latent_dim)
    L = keras.layers
    inp = keras.Input(shape=input_shape, name="inputs")
    x = _dense_block(inp, enc, "enc", "enc_relu", spec.batchnorm)
    z = L.Dense(latent, name="latent")(x)
    y = _dense_block(z, dec, "dec", "dec_relu", spec.batchnorm)
    out = L.Dense(int(np.prod(input_shape)), name="reconstruction")(y)
    return keras.Model(inp, out, name="ae")


def build_model(spec, input_shape: tuple[int, ...], n_classes: int, seed: int | None = 0):
    """Build the float Keras model of ``spec`` (a ModelSpec) for inputs of ``input_shape`` per sample.

    ``n_classes`` is ignored for the ``vae`` and ``ae`` (their output reconstructs the input). The initial weights are
    drawn after seeding with ``seed`` (pass the spec's ``train.seed``); ``None`` leaves the global
    random state as it is.
    """
    if getattr(spec, "file", None) is not None:
        raise SpecError("model.file: a user's model file is loaded by the pipeline, not built by the zoo")
    family = _family(spec)
    input_shape = tuple(int(d) for d in input_shape)
    if family not in ANOMALY_FAMILIES and n_classes < 2:
        raise SpecError(f"model.family {family!r} is a classifier and needs >= 2 classes, got {n_classes}")
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    if family == "mlp":
        return _mlp(spec, input_shape, n_classes)
    if family == "deepsets":
        return _deepsets(spec, input_shape, n_classes)
    if family == "interaction_net":
        return _interaction_net(spec, input_shape, n_classes)
    if family == "ae":
        return _ae(spec, input_shape)
    return _vae(spec, input_shape)


def is_vae(model) -> bool:
    """True when ``model`` has the VAE's ``z_mean``/``z_log_var`` heads."""
    names = {layer.name for layer in model.layers}
    return {"z_mean", "z_log_var"} <= names


def encoder_model(vae):
    """The VAE encoder alone, outputs ``[z_mean, z_log_var]``: the part that goes to firmware."""
    if not is_vae(vae):
        raise SpecError(f"model {vae.name!r} has no 'z_mean'/'z_log_var' layers: not a codesign VAE")
    outs = [vae.get_layer("z_mean").output, vae.get_layer("z_log_var").output]
    return keras.Model(vae.input, outs, name=f"{vae.name}_encoder")


def score_model(model, score):
    """The anomaly model's firmware: one output, the score of :class:`AnomalyScore` with the ScoreSpec ``score``.

    A VAE gives [z_mean, z_log_var] of its encoder to the score (rz, mu2, kl); an AE gives [inputs, reconstruction]
    (sse). ``model`` may be the float, pruned or quantized stage (the layer names are the same).
    """
    kind = score.kind.value
    if is_vae(model):
        if kind not in ("rz", "mu2", "kl"):
            raise SpecError(f"score.kind {kind!r} does not apply to a VAE (accepted: rz, mu2, kl)")
        ins = [model.get_layer("z_mean").output, model.get_layer("z_log_var").output]
    else:
        if kind != "sse":
            raise SpecError(f"score.kind {kind!r} does not apply to an autoencoder (accepted: sse)")
        ins = [model.input, model.output]
    out = AnomalyScore(**score.layer_config("ae" if kind == "sse" else "vae"), name="anomaly_score")(ins)
    return keras.Model(model.input, out, name=f"{model.name}_score")


def anomaly_score(z_mean: np.ndarray, z_log_var: np.ndarray) -> np.ndarray:
    """Latent-space anomaly score R_z = sum_i mu_i^2 / sigma_i^2 with sigma_i^2 = exp(logvar_i)."""
    z_mean = np.asarray(z_mean, dtype=np.float64)
    z_log_var = np.asarray(z_log_var, dtype=np.float64)
    if z_mean.shape != z_log_var.shape:
        raise ValueError(f"z_mean shape {z_mean.shape} and z_log_var shape {z_log_var.shape} differ")
    return np.sum(z_mean**2 * np.exp(-z_log_var), axis=-1)
