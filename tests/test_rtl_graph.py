"""The RTL route's EdgePairSum and ReceiverSum (codesign/rtl/graph.py) against the float64 reference, bit for bit.

The zoo's interaction network (tests/test_rtl_zoo.py) uses a ReLU EdgePairSum; here the other activations the
layer accepts, linear and a quantized_relu that rounds and saturates the edge sums, on a tiny hand-built graph.
"""

from __future__ import annotations

import numpy as np
import pytest

from codesign import keras_env
from tests import hls_models
from tests.test_rtl import needs_rtl
from tests.test_rtl_zoo import PREC, _inputs, _reference


def _graph_model(activation, n: int = 4, f: int = 3, d: int = 3, seed: int = 21):
    from qkeras import QConv1D, QDense, quantized_bits

    from codesign.hls_ext.interaction import EdgePairSum, ReceiverSum

    keras = keras_env.keras()
    q = dict(kernel_quantizer=quantized_bits(8, 1, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1))
    inp = keras.Input((n, f), name="inputs")
    recv = QConv1D(d, 1, name="recv", **q)(inp)
    send = QConv1D(d, 1, use_bias=False, name="send", **q)(inp)
    e = EdgePairSum(activation=activation, name="edges")([recv, send])
    agg = ReceiverSum(n, name="aggregate")(e)
    out = QDense(3, name="logits", **q)(keras.layers.Flatten(name="flat")(agg))
    model = keras.Model(inp, out, name="graph_toy")
    hls_models._randomize(model, seed)
    return model


@needs_rtl
@pytest.mark.parametrize("activation", ["linear", "quantized_relu(6,1)"])
def test_edge_pair_sum_and_receiver_sum_trace_equals_the_reference(activation):
    from da4ml.trace import comb_trace

    from codesign.rtl import trace

    model = _graph_model(activation)
    x = _inputs(model, 1000, seed=5)
    inp, out = trace.trace(model, PREC)
    got = comb_trace(inp, out).predict(x.reshape(len(x), -1), n_threads=1)
    ref = _reference(model, x)
    np.testing.assert_array_equal(got, ref)
    assert np.unique(ref, axis=0).shape[0] > 100  # the outputs move with the inputs: the check can fail
