"""Models written the way other projects write them, round seven: LayerNormalization and Embedding.

- ``LayerNormalization`` after a Dense on a flat input (the common MLP form): hls4ml 1.3's converter raised "input
  size is not currently supported by hls4ml" (exit 7, internal error, after any training); over another axis or
  with ``epsilon`` >= 0.1 it raised the same way; without ``center``/``scale`` it failed on the missing beta/gamma
  (exit 5). Refused by name before training; the form hls4ml converts (``(steps, features)``, last axis) is accepted.
- ``Embedding``: the check's inputs (on the input type's grid) are not indices; the model's own predict failed
  after conversion and C-simulation (exit 7, "indices[0,3] = -1 is not in [0, 10)"). Refused by name.
"""

from __future__ import annotations

import re

import pytest

from codesign import keras_env

keras_env.setup()

from tests.foreign_helpers import build, randomize  # noqa: E402


def _layer_norm_model(shape=(5, 3), **kw):
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input(shape, name="x")
    h = L.Dense(4, name="d1")(inp)
    h = L.LayerNormalization(name="ln", **kw)(h)
    h = L.Flatten(name="f")(h) if len(shape) > 1 else h
    return keras.Model(inp, L.Dense(3, name="out")(h))


@pytest.mark.parametrize(
    "shape, kw, why",
    [
        ((8,), {}, "an input of shape (4,) (hls4ml 1.3 takes (steps, features) only)"),
        ((5, 3), {"axis": 1}, "axis=1 (hls4ml 1.3 normalises over the last axis only)"),
        ((5, 3), {"center": False}, "center=False (hls4ml 1.3 reads a beta it does not have)"),
        ((5, 3), {"scale": False}, "scale=False (hls4ml 1.3 reads a gamma it does not have)"),
        ((5, 3), {"epsilon": 0.5}, "epsilon=0.5 (hls4ml 1.3 takes 0 < epsilon < 0.1)"),
    ],
)
def test_layer_norm_forms_hls4ml_fails_on_are_refused_by_name(shape, kw, why):
    from codesign import hls
    from codesign.errors import SpecError

    with pytest.raises(SpecError, match=re.escape(f"m.h5: layer(s) 'ln' (LayerNormalization, {why})")):
        hls.require_convertible(_layer_norm_model(shape, **kw), "m.h5")


@pytest.mark.parametrize("kw", [{}, {"axis": -1}, {"axis": 2, "epsilon": 1e-6}])
def test_layer_norm_as_hls4ml_converts_it_is_accepted(kw):
    from codesign import hls

    hls.require_convertible(_layer_norm_model((5, 3), **kw), "m.h5")


def test_embedding_is_refused_by_name():
    from codesign import hls
    from codesign.errors import SpecError

    keras = keras_env.keras()
    inp = keras.Input((6,), name="x")
    h = keras.layers.Flatten(name="f")(keras.layers.Embedding(10, 4, name="emb")(inp))
    model = keras.Model(inp, keras.layers.Dense(3, name="out")(h))
    with pytest.raises(SpecError, match=re.escape("m.h5: layer(s) 'emb' (Embedding): an Embedding reads integer")):
        hls.require_convertible(model, "m.h5")


def test_a_flat_layer_norm_is_refused_before_training_not_an_internal_error(tmp_path):
    code, text, _ = build(tmp_path, randomize(_layer_norm_model((8,)), 2), "ln_flat")
    assert code == 2 and "layer(s) 'ln' (LayerNormalization, an input of shape (4,)" in text, text[-2000:]
    assert "internal error" not in text and "] convert" not in text, text[-2000:]


@pytest.mark.parametrize("merge", ["Concatenate", "Add", "Average", "Maximum"])
def test_a_merge_of_one_input_is_refused_by_name(merge):
    """Keras accepts a merge called on a list of one input (the identity); hls4ml 1.3's converter raised IndexError
    (Concatenate) or AssertionError (Add, Average, Maximum): an internal error, exit 7. The two-input merge is
    accepted."""
    from codesign import hls
    from codesign.errors import SpecError

    keras = keras_env.keras()
    inp = keras.Input((4,), name="x")
    a = keras.layers.Dense(3, name="a")(inp)
    lone = getattr(keras.layers, merge)(name="m")([a])
    with pytest.raises(SpecError, match=re.escape(f"m.h5: layer(s) 'm' ({merge}): a merge called on one input")):
        hls.require_convertible(keras.Model(inp, keras.layers.Dense(2, name="out")(lone)), "m.h5")
    b = keras.layers.Dense(3, name="b")(inp)
    pair = getattr(keras.layers, merge)(name="m2")([a, b])
    hls.require_convertible(keras.Model(inp, keras.layers.Dense(2, name="out2")(pair)), "m.h5")


def _leaky_mlp(slope: float):
    """QDense whose own activation is quantized_relu(6, 2, negative_slope=slope) -> QDense."""
    from qkeras import QDense

    keras = keras_env.keras()
    q = "quantized_bits(6,0,alpha=1)"
    inp = keras.Input((8,), name="x")
    act = f"quantized_relu(6,2,negative_slope={slope})"
    h = QDense(6, kernel_quantizer=q, bias_quantizer=q, activation=act, name="d1")(inp)
    return randomize(keras.Model(inp, QDense(3, kernel_quantizer=q, bias_quantizer=q, name="out")(h)), 5, 0.5)


def test_leaky_quantized_relu_is_refused_before_conversion_naming_the_layer(tmp_path):
    """QKeras stops quantized_relu's negative side at -negative_slope * 2**integer (-1 here), hls4ml 1.3's leaky relu
    only at its result type's range (-4): the build ended "bit-exact: NO" after any training and C-simulation.
    Refused by name (exit 2) before the conversion; negative_slope=0 builds bit-exact."""
    (tmp_path / "leaky").mkdir()
    (tmp_path / "plain").mkdir()
    code, text, _ = build(tmp_path / "leaky", _leaky_mlp(0.25), "leaky")
    assert code == 2, text[-2000:]
    assert "layer(s) 'd1' (QDense, quantized_relu(6, 2, negative_slope=0.25)): QKeras stops the negative side" in text
    assert "accepted: quantized_relu with negative_slope 0, or a float LeakyReLU" in text
    assert "] convert" not in text, text[-2000:]
    code, text, _ = build(tmp_path / "plain", _leaky_mlp(0), "plain")
    assert code == 0 and "bit-exact: yes" in text, text[-2000:]
