"""The emulator's other activations against the g++ C-simulation, bit for bit (codesign/firmware/activations.py).

Float models with ELU, SELU, softplus, softsign (hls4ml's lookup tables), hard_sigmoid, ThresholdedReLU and PReLU
had no verdict ("no reference (float model)", `codesign check` exit 6: "activation 'elu' is not emulated"); one
model holds each of them on a branch of the same Dense, the branches concatenated, so one g++ build compares all.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim  # noqa: E402
from codesign.firmware import emulator  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests import hls_models  # noqa: E402
from tests.foreign_helpers import proven_against_emulator, randomize  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
N = 2000


def _acts(stream: bool = False):
    """One layer per activation; for io_stream without SELU (its streamed positive side casts lambda to the input's
    type: refused by name) and with the table sigmoid and tanh (emulated in io_parallel before)."""
    L = keras_env.keras().layers
    acts = {
        "elu": L.Activation("elu", name="elu"),
        "elu3": L.ELU(alpha=0.3, name="elu3"),
        "selu": L.Activation("selu", name="selu"),
        "softplus": L.Activation("softplus", name="softplus"),
        "softsign": L.Activation("softsign", name="softsign"),
        "hsig": L.Activation("hard_sigmoid", name="hsig"),
        "thr": L.ThresholdedReLU(theta=0.75, name="thr"),
        "prelu": L.PReLU(name="prelu"),
    }
    if stream:
        del acts["selu"]
        acts.update(sig=L.Activation("sigmoid", name="sig"), tanh=L.Activation("tanh", name="tanh"))
    return acts


def activations_model(seed: int = 3, stream: bool = False):
    """Dense(6) -> each activation on its own branch -> nested Concatenates (hls4ml's merge takes two inputs); in
    io_stream two Dense layers share the branches."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((8,), name="x")
    h = L.Dense(6, name="d1")(inp)
    acts = list(_acts(stream).values())
    if stream:  # hls4ml clones a stream to at most 7 readers: a second Dense feeds the second half
        h2 = L.Dense(6, name="d2")(inp)
        outs = [layer(h if i < 5 else h2) for i, layer in enumerate(acts)]
    else:
        outs = [layer(h) for layer in acts]
    while len(outs) > 1:
        outs = [L.Concatenate(name=f"cat{len(outs)}_{i}")(outs[i : i + 2]) if i + 1 < len(outs) else outs[i]
                for i in range(0, len(outs), 2)]  # fmt: skip
    return randomize(keras.Model(inp, outs[0]), seed, scale=0.6)


# narrow result and table types that round and saturate or wrap; a coarse slope type for the PReLU
NARROW = {
    "elu": {"Precision": {"result": "ap_fixed<8,2,AP_RND,AP_SAT>"}, "table_t": "ap_fixed<10,2>"},
    "elu3": {"Precision": {"result": "ap_fixed<7,1,AP_RND_CONV,AP_WRAP>"}},
    "selu": {"Precision": {"result": "ap_fixed<9,3,AP_TRN,AP_SAT>"}, "table_t": "ap_fixed<8,2,AP_RND,AP_SAT>"},
    "softplus": {"Precision": {"result": "ap_ufixed<8,3,AP_RND,AP_SAT>"}, "table_t": "ap_ufixed<9,4>"},
    "softsign": {"Precision": {"result": "ap_fixed<6,1,AP_RND_ZERO,AP_SAT>"}},
    "hsig": {"Precision": {"result": "ap_ufixed<5,0,AP_RND,AP_SAT>"}},
    "thr": {"Precision": {"result": "ap_fixed<8,3,AP_RND,AP_WRAP>"}},
    "prelu": {"Precision": {"result": "ap_fixed<10,4,AP_RND,AP_SAT>"}},
}


def _inputs(seed: int) -> np.ndarray:
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (8,), N, seed=seed)
    x[N // 2 :] = np.clip(x[N // 2 :] / 8, -2, 2)  # half where the Dense's sums fall inside the tables' [-8, 8)
    return x


@needs_gxx
@pytest.mark.slow
@pytest.mark.parametrize("narrow", [False, True])
def test_activations_emulator_equals_csim(tmp_path, narrow):
    project = hls_models.convert(activations_model(), tmp_path, layer_overrides=NARROW if narrow else None)
    _emulator_equals_csim_and_can_fail(project, narrow)


@needs_gxx
@pytest.mark.slow
def test_streamed_activations_emulator_equals_csim(tmp_path):
    """io_stream: nnet_activation_stream.h computes each packet element as nnet_activation.h does."""
    narrow = {k: v for k, v in NARROW.items() if k != "selu"}
    narrow["sig"] = {"Precision": {"result": "ap_ufixed<7,0,AP_RND,AP_SAT>"}, "table_t": "ap_ufixed<9,0>"}
    project = hls_models.convert(activations_model(stream=True), tmp_path, io_type="io_stream", layer_overrides=narrow)
    _emulator_equals_csim_and_can_fail(project, narrow=True, stream=True)


def _emulator_equals_csim_and_can_fail(project, narrow: bool, stream: bool = False) -> None:
    desc = project.firmware_description()
    kinds = {lyr.name: lyr.kind for lyr in desc.layers}
    assert kinds["prelu"] == "PReLU" and kinds["hsig"] == "HardActivation" and kinds["elu3"] == "ParametrizedActivation"
    if narrow:
        assert desc.layer("elu").type("table") == FixedPrecision.parse("ap_fixed<10,2>")
    x = _inputs(seed=7)
    fw = csim.run_csim(project, x)
    np.testing.assert_array_equal(emulator.emulate(desc, x), fw)
    layers = emulator.emulate_layers(desc, x)
    for name in _acts(stream):  # each branch varies and sees both signs of its input
        assert len(np.unique(layers[name])) > 20, name
        assert np.any(layers["d1"] < 0) and np.any(layers["d1"] > 0)
    # a type the firmware does not have makes outputs differ: the comparison can fail
    wrong_types = [("elu", "table", "ap_fixed<5,2>"), ("softplus", "table", "ap_fixed<7,4>"),
                   ("softsign", "table", "ap_fixed<4,1>"), ("hsig", "slope", "ap_ufixed<6,0>"),
                   ("prelu", "param", "ap_fixed<8,2>"), ("elu3", "param", "ap_ufixed<2,0>"),
                   ("thr", "result", "ap_fixed<6,2>")]  # fmt: skip
    wrong_types += [("sig", "table", "ap_ufixed<4,0>"), ("tanh", "table", "ap_fixed<5,1>")] if stream else [
        ("selu", "table", "ap_fixed<6,3>")]  # fmt: skip
    for name, key, other in wrong_types:
        lyr = desc.layer(name)
        wrong = replace(lyr, types={**lyr.types, key: FixedPrecision.parse(other)})
        if key == "param" and "param" in lyr.weights:  # the slopes as codes of the other type
            from codesign.firmware.fixed import from_float, to_float

            wrong = replace(wrong, weights={"param": from_float(to_float(lyr.weights["param"], lyr.type("param")),
                                                                wrong.type("param"))})  # fmt: skip
        emu = emulator.emulate(replace(desc, layers=tuple(wrong if d is lyr else d for d in desc.layers)), x)
        assert np.count_nonzero(emu != fw) > 10, (name, key, np.count_nonzero(emu != fw))


@needs_gxx
@pytest.mark.slow
def test_elu_model_builds_and_checks_bit_exact(tmp_path):
    """`codesign build` said 'no reference (float model)' and `codesign check` exited 6; now bit-exact both."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((8,), name="x")
    h = L.ELU(alpha=0.5, name="elu")(L.Dense(6, name="d1")(inp))
    h = L.Activation("softplus", name="sp")(L.Dense(5, name="d2")(h))
    model = randomize(keras.Model(inp, L.Dense(3, name="out")(L.PReLU(name="pr")(h))), 11)
    proven_against_emulator(tmp_path, model, "elu_mlp")
