"""Models written the way other projects write them, round three: the cases that were wrong before.

``quantized_bits(alpha="auto_po2")`` kernels whose QKeras scales reach 2 while none is below 1/2 (weights of order
one, the common case): hls4ml 1.3 stores the scales through ``quantized_po2(2)``, which clips 2 to 1, so the
firmware's products were half the model's (NOT bit-exact, exit 3, 124 of 200 inputs; QKeras' own predict agreed
with codesign's reference, not with the C-simulation). codesign writes QKeras' scales into the ApplyAlpha layer.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from tests import hls_models  # noqa: E402
from tests.foreign_helpers import build, check, csim_and_qkeras  # noqa: E402

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
    code, text, out = build(tmp_path, model, "auto_po2_relu")
    assert code == 0 and "bit-exact: yes" in text, text[-3000:]
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    # QKeras' auto_po2 quantizer does not run in float64; the outputs (ap_fixed<16,7>) fit float32 exactly
    fw, qkeras = csim_and_qkeras(out, float64=False)
    np.testing.assert_array_equal(qkeras, fw)
    assert np.max(np.abs(fw)) > 0
