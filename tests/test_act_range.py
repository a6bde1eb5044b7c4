"""Activation ranges from data: integer bits from the ReLU maxima, applied to the QKeras model, conflicts refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import act_range, quantize  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from codesign.spec import LayerQuant, QuantizeSpec, parse_spec  # noqa: E402

keras = keras_env.keras()


def tiny(scale: float = 1.0):
    """inputs -> Dense(relu fused) 'enc_1' -> Dense 'enc_2' -> Activation relu 'enc_relu_2' -> Dense 'out'."""
    inp = keras.Input((4,), name="inputs")
    x = keras.layers.Dense(3, activation="relu", name="enc_1")(inp)
    x = keras.layers.Dense(2, name="enc_2")(x)
    x = keras.layers.Activation("relu", name="enc_relu_2")(x)
    model = keras.Model(inp, keras.layers.Dense(1, name="out")(x))
    model.get_layer("enc_1").set_weights([np.eye(4, 3) * scale, np.zeros(3)])
    model.get_layer("enc_2").set_weights([np.ones((3, 2)), np.zeros(2)])
    return model


def test_integer_bits_hold_max_times_headroom():
    """I = ceil(log2(max * headroom)), 0 at or below 1."""
    assert [act_range.integer_bits(m, 2.0) for m in (0.3, 0.5, 0.51, 3.9, 4.0, 40.0)] == [0, 0, 1, 3, 3, 7]


def test_from_data_sets_each_relu_and_keeps_explicit_layers():
    """Fused and standalone ReLUs get their own quantized_relu; a quantize.layers entry wins."""
    x = np.array([[10.0, 1.0, 0.5, 0.0], [0.0, 2.0, 0.0, 0.0]], dtype=np.float32)
    q = QuantizeSpec(activation_range="data", activation_bits=8, headroom=2.0,
                     layers={"enc_relu_2": LayerQuant(activation_bits=6, activation_integer=2)})  # fmt: skip
    q2, notes = act_range.from_data(tiny(), x, q)
    assert q2.layers["enc_1"].activation_integer == 5 and q2.layers["enc_1"].activation_bits == 8  # max 10 x 2 -> 5
    assert q2.layers["enc_relu_2"].activation_integer == 2  # explicit, kept
    assert any("enc_relu_2" in n and "kept" in n for n in notes)
    qmodel = quantize.to_qkeras(tiny(), q2)
    act = qmodel.get_layer("enc_1").activation.get_config()
    assert (act["bits"], act["integer"]) == (8, 5)
    q3, _ = act_range.from_data(tiny(), x, QuantizeSpec(activation_range="data", activation_fractional=5))
    assert (q3.layers["enc_1"].activation_bits, q3.layers["enc_1"].activation_integer) == (10, 5)
    assert (q3.layers["enc_relu_2"].activation_bits, q3.layers["enc_relu_2"].activation_integer) == (10, 5)  # max 12


def test_range_wider_than_the_width_is_refused_by_layer():
    """A ReLU whose data range needs the whole width is a SpecError naming it, not a silent cap."""
    x = np.array([[500.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    with pytest.raises(SpecError, match=r"ReLU 'enc_1' reaches 500 .* needs 10 integer bits .* activation_bits 8"):
        act_range.from_data(tiny(), x, QuantizeSpec(activation_range="data", activation_bits=8))


@pytest.mark.parametrize(
    "quant, match",
    [
        ({"activation_range": "data", "activation_integer": 3}, r"activation_integer and activation_range 'data'"),
        ({"headroom": 2.0}, r"headroom / activation_fractional apply to activation_range 'data' only"),
        ({"activation_range": "data", "headroom": 0.5}, r"quantize.headroom"),
        ({"activation_range": "scan"}, r"quantize.activation_range"),
    ],
)
def test_activation_range_settings_checked(quant, match):
    """Conflicting or out-of-range settings are refused at the edge, by key."""
    with pytest.raises(SpecError, match=match):
        parse_spec({"name": "x", "model": {"family": "vae"}, "quantize": quant}, Path("spec.yaml"))


def test_reused_quantize_step_reports_its_ranges(tmp_path):
    """A quantize step loaded from a finished build (or the step cache) notes the data-set ranges as a fresh run does."""
    from types import SimpleNamespace

    from codesign import modelio
    from codesign.pipeline import BuildState
    from codesign.steps.model import Quantize

    x = np.random.default_rng(0).uniform(0, 3, size=(200, 4)).astype(np.float32)
    q = QuantizeSpec(activation_range="data", activation_bits=8, headroom=2.0)
    spec = SimpleNamespace(quantize=q)
    ctx = SimpleNamespace(spec=spec, trusts_model_code=False, path=lambda *parts: tmp_path.joinpath(*parts))
    (tmp_path / "models").mkdir()
    q2, fresh = act_range.from_data(tiny(), x, q)
    modelio.save_model(quantize.to_qkeras(tiny(), q2), tmp_path / "models" / "quantized.h5")
    (tmp_path / "models" / "qat_history.json").write_text("{}")
    state = BuildState(data=SimpleNamespace(x_train=x), float_model=tiny())
    loaded = Quantize().load(ctx, state)
    assert loaded.qmodel is not None
    assert list(loaded.notes) == [f"quantize: {line}" for line in fresh] and len(fresh) == 2
