"""QKeras quantizers without an exact reference are refused when the model is loaded (codesign/reference/early.py).

binary / ternary / stochastic_binary kernels, ``quantized_bits(alpha='auto')`` and binary/ternary QActivations were
trained, converted and C-simulated, then ended exit 6 "NOT PROVEN". The early check must give the reference's own
message (checked against running the reference on the model) and stop before training.
"""

from __future__ import annotations

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign.errors import ReferenceUnavailableError  # noqa: E402
from codesign.reference import reference_outputs  # noqa: E402
from codesign.reference.early import require_exact_quantizers  # noqa: E402
from tests.foreign_helpers import build  # noqa: E402

OK = "quantized_bits(8,2,alpha=1)"


def _model(kernel: str = OK, bias: str = OK, act: str = "quantized_relu(8,3)", act_first: bool = False):
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    inp = keras.Input((6,), name="x")
    h = QDense(5, kernel_quantizer=OK, bias_quantizer=OK, name="d1")(inp)
    h = QActivation(act, name="a1")(h)
    out = QDense(3, kernel_quantizer=kernel, bias_quantizer=bias, name="d2")(h)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.normal(0, 0.5, w.shape) for w in layer.get_weights()])
    return model


CASES = [
    ({"kernel": "binary(alpha=1)"}, "layer 'd2' (QDense) kernel_quantizer: weight quantizer 'binary'"),
    ({"kernel": "stochastic_binary(alpha=1)"}, "layer 'd2' (QDense) kernel_quantizer: weight quantizer 'stochastic_binary'"),
    ({"kernel": "ternary(alpha=1)"}, "layer 'd2' (QDense) kernel_quantizer: weight quantizer 'ternary'"),
    ({"bias": "ternary(alpha=1)"}, "layer 'd2' (QDense) bias_quantizer: weight quantizer 'ternary'"),
    ({"kernel": "quantized_bits(6,0,alpha='auto')"}, "kernel_quantizer: quantized_bits with alpha='auto'"),
    ({"act": "binary(alpha=1)"}, "layer 'a1' (QActivation): activation/quantizer 'binary'"),
    ({"act": "ternary(alpha=1)"}, "layer 'a1' (QActivation): activation/quantizer 'ternary'"),
    ({"act": "binary_tanh"}, "layer 'a1' (QActivation): activation/quantizer 'binary_tanh'"),
]  # fmt: skip


@pytest.mark.parametrize("kw,match", CASES)
def test_refused_early_with_the_references_message(kw, match):
    model = _model(**kw)
    with pytest.raises(ReferenceUnavailableError) as early:
        require_exact_quantizers(model)
    assert match in str(early.value)
    with pytest.raises(ReferenceUnavailableError) as late:  # the reference on the model says the same
        reference_outputs(model, np.zeros((2, 6)))
    assert str(late.value) == str(early.value)


@pytest.mark.parametrize("kw", [{}, {"kernel": "quantized_bits(6,0,alpha='auto_po2')"}, {"act": "quantized_tanh(8)"},
                                {"kernel": "quantized_po2(4)"}])  # fmt: skip
def test_quantizers_with_a_reference_pass(kw):
    require_exact_quantizers(_model(**kw))


@pytest.mark.slow  # a `codesign build` subprocess: about 27 s at load 10
def test_build_stops_before_training(tmp_path):
    code, text, _ = build(tmp_path, _model(kernel="binary(alpha=1)"), "q_binary")
    assert code == 6, text[-2000:]
    assert "layer 'd2' (QDense) kernel_quantizer: weight quantizer 'binary'" in text
    assert "train_float" not in text and "csim" not in text, text[-2000:]
