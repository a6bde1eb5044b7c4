"""Weight quantizers whose integer bits fill their width (``quantized_bits(3, 3)``), bit for bit in g++.

hls4ml 1.3 types such a kernel ``ap_int<3>`` (range -4..3) where QKeras' grid is -8..6 in steps of 2, so the
weights wrap and a model loaded from a user's file was reported not exact. codesign retypes them (``codesign/hls_ext/qkeras_weight_types.py``);
one tiny real conversion and g++ build checks the firmware against the float64 QKeras reference exactly.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, exact_types, reference  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests import hls_models  # noqa: E402

INPUT = hls_models.INPUT_PRECISION


def integer_weight_mlp(seed: int = 4):
    """QDense with quantized_bits(3,3) kernel and (4,4) bias -> QActivation -> QDense with a (4,5) kernel."""
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    inp = keras.Input((6,), name="inputs")
    x = QDense(5, kernel_quantizer="quantized_bits(3,3,alpha=1)", bias_quantizer="quantized_bits(4,4,alpha=1)",
               name="dense1")(inp)  # fmt: skip
    x = QActivation("quantized_bits(8,4,alpha=1)", name="act1")(x)
    x = QDense(3, kernel_quantizer="quantized_bits(4,5,alpha=1)",
               bias_quantizer="quantized_bits(3,3,alpha=1)", name="out")(x)  # fmt: skip
    model = keras.Model(inp, x, name="integer_weights")
    rng = np.random.default_rng(seed)
    for lyr in model.layers:
        if lyr.get_weights():
            lyr.set_weights([rng.uniform(-9, 9, size=w.shape) for w in lyr.get_weights()])
    return model


def test_exact_weight_type_mapping():
    """Only the grids hls4ml 1.3 mistypes are corrected, each to the type of QKeras' own grid."""

    def t(bits, integer, keep_negative=True, name="quantized_bits"):
        cfg = {"class_name": name, "config": {"bits": bits, "integer": integer, "keep_negative": keep_negative}}
        out = exact_types.exact_weight_type(cfg)
        return None if out is None else (out[0].to_hls(), out[1])

    assert t(3, 3) == ("ap_fixed<3,4>", "ap_int<3>")
    assert t(5, 5) == ("ap_fixed<5,6>", "ap_int<5>")
    assert t(3, 3, keep_negative=False) is None  # the reference refuses it (exit 6)
    assert t(3, 0) is None and t(3, 5) is None and t(1, 1) is None and t(3, 3, name="quantized_po2") is None
    # the corrected type holds QKeras' grid exactly: every value of quantized_bits(3,3) and nothing between
    import tensorflow as tf
    from qkeras import quantized_bits

    grid = np.unique(np.asarray(quantized_bits(3, 3, alpha=1)(tf.constant(np.arange(-20, 21, 0.25)))))
    p = FixedPrecision.parse("ap_fixed<3,4>")
    np.testing.assert_array_equal(grid, np.arange(p.min_value, p.max_value + p.lsb, p.lsb))


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_integer_weight_quantizers_are_bit_exact(tmp_path):
    model = integer_weight_mlp()
    kernel = np.asarray(model.get_layer("dense1").kernel_quantizer_internal(model.get_layer("dense1").kernel))
    assert kernel.min() == -8.0 and kernel.max() == 6.0  # outside ap_int<3>: hls4ml's own type would wrap them
    project = hls_models.convert(model, tmp_path, input_precision=INPUT)
    types = {n: {k: v.to_hls() for k, v in t.items() if v is not None} for n, t in project.layer_precisions.items()}
    assert (types["dense1"]["weight"], types["dense1"]["bias"]) == ("ap_fixed<3,4>", "ap_fixed<4,5>"), types
    assert (types["out"]["weight"], types["out"]["bias"]) == ("ap_fixed<4,6>", "ap_fixed<3,4>"), types
    assert sum("would be typed" in n for n in project.notes) == 3, project.notes
    csim.build_testbench(project)
    x = compare.grid_inputs(INPUT, (6,), 1000, seed=3)
    ref = reference.reference_outputs(project.keras_model, x)
    tb = csim.run_csim(project, x, workers=2)
    v = compare.compare_exact(ref, tb, reference="float64 QKeras reference vs g++ testbench")
    assert v.exact, v.describe()
