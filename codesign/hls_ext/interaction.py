"""Interaction-network edges without 0/1 matrices: two weightless Keras layers and their hls4ml extension.

On the fully connected directed graph of N nodes without self-loops (N(N-1) edges, numbered receiver-major:
edge ``e = r * (N - 1) + k`` joins sender ``s = k if k < r else k + 1`` to receiver ``r``):

- :class:`EdgePairSum` ``([recv, send]) -> act(recv[r] + send[s])`` per edge. The edge MLP's first layer
  ``W [x_r; x_s] + b`` equals ``(W_r x_r + b) + W_s x_s``; the zoo computes both terms once per node with a
  pointwise Conv1D and this layer broadcasts and adds them, which is exact in fixed point too (a quantized_bits
  kernel quantizes element by element, so splitting it changes no weight). ``act``: ``linear``, ``relu`` or a
  QKeras ``quantized_relu`` (then the firmware's result type is its ``ap_ufixed``, as hls4ml types a QActivation).
- :class:`ReceiverSum` ``edges -> sum over the N - 1 edges into each receiver``.

The firmware (``firmware_templates/nnet_codesign_graph.h``) only adds and moves values, where the zoo's former
form multiplied by fixed 0/1 incidence matrices. Exact reference: :mod:`codesign.reference.layers`.
hls4ml is imported only inside :func:`register` (this module also serves the zoo, which must not import it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from codesign import keras_env
from codesign.resources import shipped_path

keras = keras_env.keras()
import tensorflow as tf  # noqa: E402  (after keras_env: selects tf-keras)

HEADER = "nnet_codesign_graph.h"
ACTIVATIONS = ("linear", "relu", "quantized_relu")


def edge_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(receiver, sender) node of every edge of the fully connected directed graph on ``n`` nodes, receiver-major."""
    if n < 2:
        raise ValueError(f"a graph needs at least 2 nodes, got {n}")
    recv = np.repeat(np.arange(n), n - 1)
    send = np.array([s for r in range(n) for s in range(n) if s != r], dtype=np.int64)
    return recv, send


def _parse_activation(activation: Any) -> tuple[str, Any]:
    """(name, QKeras quantizer or None) of an activation given as a name, a quantizer or its config dict."""
    if activation is None:
        return "linear", None
    if isinstance(activation, str) and activation in ("linear", "relu"):
        return activation, None
    from qkeras.quantizers import get_quantizer

    q = get_quantizer(activation) if isinstance(activation, (str, dict)) else activation
    name = type(q).__name__
    if name != "quantized_relu":
        raise ValueError(f"activation {activation!r}: accepted {', '.join(ACTIVATIONS)}")
    c = q.get_config()
    if c.get("negative_slope") or c.get("use_sigmoid") or c.get("use_stochastic_rounding"):
        raise ValueError(f"activation {q}: only a plain quantized_relu(bits, integer) is supported")
    return name, q


@keras.utils.register_keras_serializable(package="codesign")
class EdgePairSum(keras.layers.Layer):
    """Per edge (r, s): ``act(receivers[r] + senders[s])``; inputs ``[receivers, senders]``, each (N, D)."""

    def __init__(self, activation: Any = "linear", **kwargs):
        super().__init__(**kwargs)
        self.activation_name, self.quantizer = _parse_activation(activation)
        # the reference reads .activation as a QKeras layer's (a quantizer object or an activation name)
        self.activation = self.quantizer if self.quantizer is not None else self.activation_name

    def call(self, inputs):
        recv, send = inputs
        r, s = edge_index(int(recv.shape[1]))
        y = tf.gather(recv, r, axis=1) + tf.gather(send, s, axis=1)
        if self.quantizer is not None:
            return self.quantizer(y)
        return tf.nn.relu(y) if self.activation_name == "relu" else y

    def compute_output_shape(self, input_shape):
        """(batch, N(N-1), D)."""
        shape = input_shape[0]
        n = int(shape[1])
        return (shape[0], n * (n - 1), shape[2])

    def get_config(self) -> dict:
        """Keras serialisation config (a quantizer as its QKeras config dict)."""
        act = self.activation_name
        if self.quantizer is not None:
            act = {"class_name": type(self.quantizer).__name__, "config": self.quantizer.get_config()}
        return {**super().get_config(), "activation": act}


@keras.utils.register_keras_serializable(package="codesign")
class ReceiverSum(keras.layers.Layer):
    """Sum of the messages of the N - 1 edges into each receiver: (N(N-1), D) -> (N, D)."""

    def __init__(self, n_nodes: int, **kwargs):
        super().__init__(**kwargs)
        self.n_nodes = int(n_nodes)
        if self.n_nodes < 2:
            raise ValueError(f"ReceiverSum needs n_nodes >= 2, got {n_nodes}")

    def call(self, edges):
        n = self.n_nodes
        return tf.reduce_sum(tf.reshape(edges, (-1, n, n - 1, int(edges.shape[-1]))), axis=2)

    def compute_output_shape(self, input_shape):
        """(batch, N, D)."""
        return (input_shape[0], self.n_nodes, input_shape[2])

    def get_config(self) -> dict:
        """Keras serialisation config."""
        return {**super().get_config(), "n_nodes": self.n_nodes}


CUSTOM_OBJECTS = {"EdgePairSum": EdgePairSum, "ReceiverSum": ReceiverSum}


def _sum_type(precisions: list[Any], n_terms: int) -> str:
    """The ap_fixed type holding any sum of ``n_terms`` values of the given fixed-point types exactly."""
    signed = any(p.signed for p in precisions)
    integer = max(p.integer + (signed and not p.signed) for p in precisions) + max(0, math.ceil(math.log2(n_terms)))
    frac = max(p.width - p.integer for p in precisions)
    return f"ap_{'' if signed else 'u'}fixed<{integer + frac},{integer}>"


def _is_fixed(p: Any) -> bool:
    return all(hasattr(p, a) for a in ("width", "integer", "signed")) and type(p).__name__ != "UnspecifiedPrecisionType"


_REGISTERED: dict[str, bool] = {}


def register() -> None:
    """Register both layers with hls4ml (Keras handlers, layer classes, Vivado/Vitis templates, the C++ header).

    Idempotent: a second call does nothing.
    """
    if _REGISTERED.get("done"):
        return
    import hls4ml
    from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
    from hls4ml.converters.keras_v2_to_hls import parse_default_keras_layer, register_keras_v2_layer_handler
    from hls4ml.model.attributes import Attribute
    from hls4ml.model.types import FixedPrecisionType, RoundingMode, SaturationMode

    from codesign.precision import FixedPrecision

    class _ActQuantizer:
        """The result type of a quantized_relu, as hls4ml's config_from_keras_model reads it (``.hls_type``)."""

        def __init__(self, q: Any):
            fp = FixedPrecision.from_qkeras(q)
            self.hls_type = FixedPrecisionType(
                fp.width, fp.integer, fp.signed, rounding_mode=RoundingMode.RND_CONV,
                saturation_mode=SaturationMode.SAT,
            )  # fmt: skip

    # hls4ml names a layer's kind by its class name (the firmware description and emulator key on it)
    class _HlsEdgePairSum(hls4ml.model.layers.Layer):
        _expected_attributes = [Attribute("n_nodes"), Attribute("n_feat"), Attribute("relu", value_type=bool)]

        def initialize(self):
            a = self.get_input_variable(self.inputs[0])
            b = self.get_input_variable(self.inputs[1])
            if list(a.shape) != list(b.shape):
                raise ValueError(f"EdgePairSum '{self.name}': inputs of shapes {a.shape} and {b.shape} differ")
            n, d = self.get_attr("n_nodes"), self.get_attr("n_feat")
            precision, _ = self.model.config.get_precision(self, var="result")
            if type(precision).__name__ == "UnspecifiedPrecisionType" and _is_fixed(a.type.precision) and _is_fixed(
                b.type.precision
            ):
                precision = self.model.config.backend.convert_precision_string(
                    _sum_type([a.type.precision, b.type.precision], 2)
                )
            self.add_output_variable([n * (n - 1), d], precision=precision)

    class _HlsReceiverSum(hls4ml.model.layers.Layer):
        _expected_attributes = [Attribute("n_nodes"), Attribute("n_feat")]

        def initialize(self):
            x = self.get_input_variable()
            n, d = self.get_attr("n_nodes"), self.get_attr("n_feat")
            precision, _ = self.model.config.get_precision(self, var="result")
            if type(precision).__name__ == "UnspecifiedPrecisionType" and _is_fixed(x.type.precision):
                precision = self.model.config.backend.convert_precision_string(_sum_type([x.type.precision], n - 1))
            self.add_output_variable([n, d], precision=precision)

    def parse_edge_pair_sum(keras_layer, input_names, input_shapes, data_reader):
        layer = parse_default_keras_layer(keras_layer, input_names)
        layer.pop("activation", None)  # applied inside the kernel, not as a separate hls4ml layer
        n, d = (int(v) for v in input_shapes[0][1:])
        name, q = _parse_activation(keras_layer["config"].get("activation", "linear"))
        layer.update(n_nodes=n, n_feat=d, relu=name in ("relu", "quantized_relu"))
        if q is not None:
            layer["activation_quantizer"] = _ActQuantizer(q)
        return layer, [input_shapes[0][0], n * (n - 1), d]

    def parse_receiver_sum(keras_layer, input_names, input_shapes, data_reader):
        layer = parse_default_keras_layer(keras_layer, input_names)
        n = int(keras_layer["config"]["n_nodes"])
        e, d = (int(v) for v in input_shapes[0][1:])
        if e != n * (n - 1):
            raise ValueError(f"ReceiverSum '{layer['name']}': {e} edges is not n_nodes*(n_nodes-1) for n_nodes={n}")
        layer.update(n_nodes=n, n_feat=d)
        return layer, [input_shapes[0][0], n, d]

    include = [f"nnet_utils/{HEADER}"]

    class EdgeConfig(LayerConfigTemplate):
        def __init__(self):
            super().__init__(_HlsEdgePairSum)

        def format(self, node):
            a = node.get_input_variable(node.inputs[0]).type.precision
            b = node.get_input_variable(node.inputs[1]).type.precision
            return (
                f"struct config{node.index} : nnet::edge_pair_sum_config {{\n"
                f"    static const unsigned n_nodes = {node.get_attr('n_nodes')};\n"
                f"    static const unsigned n_feat = {node.get_attr('n_feat')};\n"
                f"    static const bool relu = {'true' if node.get_attr('relu') else 'false'};\n"
                f"    typedef {_sum_type([a, b], 2)} accum_t;\n}};\n"
            )

    class EdgeCall(FunctionCallTemplate):
        def __init__(self):
            super().__init__(_HlsEdgePairSum, include_header=include)

        def format(self, node):
            a, b = (node.get_input_variable(i) for i in node.inputs[:2])
            out = node.get_output_variable()
            return (
                f"nnet::edge_pair_sum<{a.type.name}, {b.type.name}, {out.type.name}, config{node.index}>"
                f"({a.name}, {b.name}, {out.name});"
            )

    class RecvConfig(LayerConfigTemplate):
        def __init__(self):
            super().__init__(_HlsReceiverSum)

        def format(self, node):
            x = node.get_input_variable().type.precision
            n = node.get_attr("n_nodes")
            return (
                f"struct config{node.index} : nnet::receiver_sum_config {{\n"
                f"    static const unsigned n_nodes = {n};\n"
                f"    static const unsigned n_feat = {node.get_attr('n_feat')};\n"
                f"    typedef {_sum_type([x], n - 1)} accum_t;\n}};\n"
            )

    class RecvCall(FunctionCallTemplate):
        def __init__(self):
            super().__init__(_HlsReceiverSum, include_header=include)

        def format(self, node):
            x, out = node.get_input_variable(), node.get_output_variable()
            return f"nnet::receiver_sum<{x.type.name}, {out.type.name}, config{node.index}>({x.name}, {out.name});"

    register_keras_v2_layer_handler("EdgePairSum", parse_edge_pair_sum)
    register_keras_v2_layer_handler("ReceiverSum", parse_receiver_sum)
    _HlsEdgePairSum.__name__ = "EdgePairSum"
    _HlsReceiverSum.__name__ = "ReceiverSum"
    hls4ml.model.layers.register_layer("EdgePairSum", _HlsEdgePairSum)
    hls4ml.model.layers.register_layer("ReceiverSum", _HlsReceiverSum)
    header = shipped_path("firmware_templates", HEADER).resolve()
    for backend_name in ("Vivado", "Vitis"):
        backend = hls4ml.backends.get_backend(backend_name)
        for template in (EdgeConfig, EdgeCall, RecvConfig, RecvCall):
            backend.register_template(template)
        backend.register_source(header)
    _REGISTERED["done"] = True
