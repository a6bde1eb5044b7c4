"""The interaction network's extension layers (EdgePairSum, ReceiverSum) in real firmware: hls4ml conversion with
codesign/hls_ext, g++ C-simulation, the float64 reference and the fixed-point emulator, all equal bit for bit,
including result types that saturate (slow: each test converts and compiles firmware)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, reference  # noqa: E402
from codesign.firmware import emulator, profile  # noqa: E402
from tests import hls_models  # noqa: E402
from tests.test_emulator import build  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
P = hls_models.INPUT_PRECISION
N = 2000


@pytest.mark.slow
def test_quantized_interaction_net_reference_emulator_and_csim_agree(tmp_path):
    """6-bit, 3 features, two edge layers: reference == emulator == C-sim, per layer too (the default suite's
    8-bit case is tests/test_reference_csim.py::test_interaction_network_quantized_is_proven)."""
    model = hls_models.interaction_net(bits=6, n_const=4, n_feat=3, phi=(4, 3), seed=11)
    project = build(model, tmp_path / "q")
    top = (project.path / "firmware" / "myproject.cpp").read_text()
    assert "nnet::edge_pair_sum<" in top and "nnet::receiver_sum<" in top
    x = compare.grid_inputs(P, (4, 3), N, seed=4)
    tb = csim.run_csim(project, x)
    ref = reference.reference_outputs(project.keras_model, x, types=project.layer_precisions)
    desc = project.firmware_description()
    emu_layers = emulator.emulate_layers(desc, x)
    np.testing.assert_array_equal(ref, tb)
    np.testing.assert_array_equal(emulator.emulate(desc, x), tb)
    assert np.std(tb) > 0
    # per layer: the emulator's edges and receiver sums equal the reference's
    ref_layers = reference.forward_layers(project.keras_model, x)
    for name in ("edge_1", "aggregate"):
        np.testing.assert_array_equal(emu_layers[name].reshape(N, -1), ref_layers[name].reshape(N, -1))
    assert desc.layer("edge_1").type("result").to_hls().startswith("ap_ufixed<6,3")  # the quantized_relu's type
    rows = {(r.layer, r.quantity): r for r in profile.profile(desc, x)}
    assert rows[("aggregate", "result")].n_overflow == 0  # ReceiverSum's inferred type holds every sum


@pytest.mark.slow
def test_saturating_receiver_type_and_a_float_model(tmp_path):
    """A user's narrow ReceiverSum type saturates in firmware exactly as the emulator says; a float interaction
    network (types inferred from ap_fixed<16,6>, signed sums and the kernel's own ReLU) matches the emulator."""
    model = hls_models.interaction_net(bits=6, n_const=4, n_feat=3, phi=(4,), seed=12)
    narrow = {"aggregate": {"Precision": {"result": "ap_ufixed<6,2,AP_RND,AP_SAT>"}}}
    project = build(model, tmp_path / "narrow", layer_overrides=narrow)
    x = compare.grid_inputs(P, (4, 3), N, seed=5)
    desc = project.firmware_description()
    agg = emulator.emulate_layers(desc, x)["aggregate"]
    assert np.mean(agg == float(np.max(agg))) > 0.05  # saturated at the type's top
    np.testing.assert_array_equal(emulator.emulate(desc, x), csim.run_csim(project, x))

    from codesign import zoo
    from codesign.spec import ModelSpec

    float_net = zoo.build_model(ModelSpec(family="interaction_net", phi=(4,), rho=()), (4, 3), 3, seed=3)
    hls_models.randomize_trainable(float_net, 3)
    fproject = build(float_net, tmp_path / "float")
    fdesc = fproject.firmware_description()
    assert fdesc.layer("edge_1").type("result").signed  # inferred exact sum type, not a quantizer's
    np.testing.assert_array_equal(emulator.emulate(fdesc, x), csim.run_csim(fproject, x))
