"""The emulator's Resource-strategy Dense against the g++ C-simulation, bit for bit (codesign/firmware/resource.py).

Float models with ``hls.strategy: Resource`` had no verdict (`codesign check` exit 6: "strategy 'resource' is not
emulated"). hls4ml 1.3 transposes a Resource layer's weights and adds the products in another order; each layer
here takes one of its kernels: RF 1, an RF that divides n_in (``rf_leq_nin``, a reordered sum) and an RF above
n_in (``rf_gt_nin_rem0``), with default, narrow saturating and narrow wrapping accumulators.
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
from codesign.firmware.fixed import EmulationError  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests import hls_models  # noqa: E402
from tests.foreign_helpers import emulator_with_type_vs_csim, proven_against_emulator, randomize  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
N = 2000
RF = {"d1": 1, "d2": 3, "d3": 8}  # d1: 12 -> 6; d2: 6 -> 4 (rf_leq_nin, 2 inputs per step); d3: 4 -> 6 (rf_gt_nin_rem0)


def resource_model(seed: int = 5):
    """Dense(12 -> 6) -> Dense(6 -> 4) -> Dense(4 -> 6), linear, so every sum reaches the output."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((12,), name="x")
    h = L.Dense(6, name="d1")(inp)
    h = L.Dense(4, name="d2")(h)
    return randomize(keras.Model(inp, L.Dense(6, name="d3")(h)), seed, scale=0.8)


# accum types whose partial sums overflow: saturating on the reordered d2, wrapping on d1 and d3
NARROW = {
    "d1": {"Precision": {"accum": "ap_fixed<9,3,AP_TRN,AP_WRAP>", "result": "ap_fixed<12,5>"}},
    "d2": {"Precision": {"accum": "ap_fixed<8,2,AP_TRN,AP_SAT>", "result": "ap_fixed<10,4>"}},
    "d3": {"Precision": {"accum": "ap_fixed<10,3,AP_TRN,AP_WRAP>", "result": "ap_fixed<12,5>"}},
}


# otherwise hls4ml's wide default types, with results kept at ap_fixed<16,6> (the sums of three wide layers in a row
# would pass int64)
PLAIN = {"Precision": {"result": "ap_fixed<16,6>"}}


def _overrides(narrow: bool) -> dict:
    return {k: {"Strategy": "Resource", "ReuseFactor": rf, **(NARROW[k] if narrow else PLAIN)} for k, rf in RF.items()}


def _latency_twin(lyr):
    """The same layer described as Latency: weights back in (n_in, n_out) order, summed in input order."""
    n_out, n_in = lyr.weights["weight"].shape
    attrs = {**lyr.attrs, "strategy": "latency", "_weights_transposed": False}
    return replace(lyr, attrs=attrs, weights={**lyr.weights, "weight": lyr.weights["weight"].reshape(n_out, n_in).T})


def _swap(desc, name, new):
    old = desc.layer(name)
    return replace(desc, layers=tuple(new if d is old else d for d in desc.layers))


@needs_gxx
@pytest.mark.slow
@pytest.mark.parametrize("io_type,narrow", [("io_parallel", False), ("io_parallel", True), ("io_stream", True)])
def test_resource_dense_emulator_equals_csim(tmp_path, io_type, narrow):
    project = hls_models.convert(resource_model(), tmp_path, io_type=io_type, layer_overrides=_overrides(narrow))
    desc = project.firmware_description()
    for name, rf in RF.items():
        lyr = desc.layer(name)
        assert (lyr.attrs["strategy"], lyr.attrs["reuse_factor"], lyr.attrs["_weights_transposed"]) == (
            "resource", rf, True), (name, lyr.attrs)  # fmt: skip
        if narrow:
            assert lyr.type("accum") == FixedPrecision.parse(NARROW[name]["Precision"]["accum"])
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (12,), N, seed=3)
    fw = csim.run_csim(project, x)
    np.testing.assert_array_equal(emulator.emulate(desc, x), fw)
    assert len(np.unique(fw)) > 100
    # a wrong accum type makes outputs differ: the comparison can fail
    for name, other in (("d1", "ap_fixed<8,3,AP_TRN,AP_WRAP>"), ("d2", "ap_fixed<7,2,AP_TRN,AP_SAT>"),
                        ("d3", "ap_fixed<9,3,AP_TRN,AP_WRAP>")):  # fmt: skip
        lyr = desc.layer(name)
        wrong = replace(lyr, types={**lyr.types, "accum": FixedPrecision.parse(other)})
        bad = np.count_nonzero(emulator.emulate(_swap(desc, name, wrong), x) != fw)
        assert bad > 10, (name, bad)
    # the weights read in Latency's layout (not un-transposed) give other outputs
    lyr = desc.layer("d1")
    flat = replace(lyr, attrs={**lyr.attrs, "strategy": "latency"},
                   weights={**lyr.weights, "weight": lyr.weights["weight"].reshape(12, 6)})  # fmt: skip
    assert np.count_nonzero(emulator.emulate(_swap(desc, "d1", flat), x) != fw) > 100
    if narrow:  # a saturating accum's partial sums overflow: Latency's input order gives other outputs for d2
        bad = np.count_nonzero(emulator.emulate(_swap(desc, "d2", _latency_twin(desc.layer("d2"))), x) != fw)
        assert bad > 10, bad
    # a reuse factor hls4ml would not write is refused by name
    lyr = desc.layer("d2")
    odd = replace(lyr, attrs={**lyr.attrs, "reuse_factor": 4})
    with pytest.raises(EmulationError, match="layer 'd2': Resource strategy with reuse factor 4"):
        emulator.emulate(_swap(desc, "d2", odd), x)


@needs_gxx
@pytest.mark.slow
def test_float_resource_model_builds_and_checks_bit_exact(tmp_path):
    """`codesign build` with ``hls.strategy: Resource`` said 'no reference (float model)' and `codesign check`
    exited 6; now bit-exact both, and a wrong accum type makes the emulator differ from the C-simulation."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((12,), name="x")
    h = L.Activation("relu", name="r1")(L.Dense(6, name="d1")(inp))  # the relu's default type bounds the next sums
    h = L.Activation("relu", name="r2")(L.Dense(4, name="d2")(h))
    model = randomize(keras.Model(inp, L.Dense(6, name="d3")(h)), 9, scale=0.8)
    out = proven_against_emulator(tmp_path, model, "dense_resource",
                                  {"hls": {"strategy": "Resource", "reuse_factor": 2}})  # fmt: skip
    n, bad = emulator_with_type_vs_csim(out, "d2", "accum", "ap_fixed<6,2,AP_TRN,AP_SAT>")
    assert bad > 0, f"0 of {n} outputs differ"


# ---------------------------------------------------------------------------------------------- fast, no g++
def _loops(x: np.ndarray, wt: np.ndarray, b: np.ndarray, rf: int, ap: FixedPrecision) -> np.ndarray:
    """nnet_dense_resource.h's two kernels as written (index arithmetic, one accum_t cast per +=), in float64 with
    :meth:`FixedPrecision.quantize`: ``wt`` is the transposed weight array as hls4ml writes it, flat."""
    n_out, n_in = b.size, x.size
    acc = ap.quantize(b).copy()
    block = -(-n_in * n_out // rf)
    if rf <= n_in:  # dense_resource_rf_leq_nin
        multscale = block // n_out
        for ir in range(rf):
            w_i, in_i, out_i, step = ir, ir, 0, 0
            for _ in range(block):
                acc[out_i] = ap.quantize(acc[out_i] + ap.quantize(x[in_i] * wt[w_i]))
                w_i, in_i = w_i + rf, in_i + rf
                in_i = ir if in_i >= n_in else in_i
                out_i, step = (out_i + 1, 0) if step + 1 >= multscale else (out_i, step + 1)
    else:  # dense_resource_rf_gt_nin_rem0
        outidx = np.cumsum([0] + [1 if (i + 1) % n_in == 0 else 0 for i in range(rf - 1)])
        in_i = 0
        for ir in range(rf):
            w_i, out_i = ir, int(outidx[ir])
            for _ in range(block):
                acc[out_i] = ap.quantize(acc[out_i] + ap.quantize(x[in_i] * wt[w_i]))
                w_i += rf
                if w_i >= n_in * n_out:
                    break
                out_i += rf // n_in
            in_i = 0 if in_i + 1 >= n_in else in_i + 1
    return acc


@pytest.mark.parametrize("n_in,n_out,rf", [(6, 4, 1), (6, 4, 2), (6, 4, 3), (6, 4, 6), (6, 4, 12), (4, 6, 8),
                                          (4, 6, 24)])  # fmt: skip
@pytest.mark.parametrize("accum", ["ap_fixed<7,2,AP_TRN,AP_SAT>", "ap_fixed<7,2,AP_RND,AP_WRAP>"])
def test_resource_dense_equals_the_kernels_loops(n_in, n_out, rf, accum):
    """The emulator's reordered Latency arithmetic equals the C++ loops run step by step, for every kernel, with
    narrow accumulators whose partial sums saturate or wrap."""
    from codesign.firmware.description import LayerDesc
    from codesign.firmware.fixed import from_float, to_float
    from codesign.firmware.kernels import KERNELS
    from codesign.firmware.tensor import Tensor

    rng = np.random.default_rng(rf)
    xp, wp, ap = (FixedPrecision.parse(t) for t in ("ap_fixed<8,3>", "ap_fixed<6,1>", accum))
    rp = FixedPrecision.parse("ap_fixed<12,4>")
    xc = from_float(rng.normal(0, 2, (300, n_in)), xp)
    wt = from_float(rng.normal(0, 0.5, (n_out, n_in)), wp)  # hls4ml's transposed layout
    bc = from_float(rng.normal(0, 0.5, n_out), wp)
    layer = LayerDesc("d", "Dense", ("x",), "d", (n_out,), {"weight": wp, "bias": wp, "accum": ap, "result": rp},
                      {"weight": wt, "bias": bc},
                      {"strategy": "resource", "reuse_factor": rf, "_weights_transposed": True})  # fmt: skip
    got = to_float(KERNELS["Dense"](layer, [Tensor(xc, xp)]).codes, rp)
    xf, wf, bf = to_float(xc, xp), to_float(wt, wp).ravel(), to_float(bc, wp)
    want = np.array([rp.quantize(_loops(row, wf, bf, rf, ap)) for row in xf])
    np.testing.assert_array_equal(got, want)
    latency = LayerDesc("d", "Dense", ("x",), "d", (n_out,), layer.types, {"weight": wt.T.copy(), "bias": bc},
                        {"strategy": "latency"})  # fmt: skip
    same = to_float(KERNELS["Dense"](latency, [Tensor(xc, xp)]).codes, rp)
    if "SAT" in accum and 1 < rf < n_in:  # the reordered sum saturates elsewhere than input order
        assert np.count_nonzero(same != want) > 0
    if "WRAP" in accum:  # modular sums do not depend on the order
        np.testing.assert_array_equal(same, want)


@pytest.mark.parametrize("attrs,match", [
    ({"strategy": "resource", "reuse_factor": 4, "_weights_transposed": True}, "reuse factor 4 for 6 inputs"),
    ({"strategy": "resource", "reuse_factor": 1}, "'_weights_transposed' not set"),
    ({"strategy": "resource_unrolled", "reuse_factor": 2}, "strategy 'resource_unrolled' is not emulated"),
    ({"strategy": "compressed", "reuse_factor": 2}, r"accepted: Latency, Resource\)"),
])  # fmt: skip
def test_resource_dense_refusals_name_the_layer(attrs, match):
    from codesign.firmware.description import LayerDesc
    from codesign.firmware.kernels import KERNELS
    from codesign.firmware.tensor import Tensor

    p = FixedPrecision.parse("ap_fixed<8,3>")
    layer = LayerDesc("dd", "Dense", ("x",), "dd", (4,), {"weight": p, "bias": p, "accum": p, "result": p},
                      {"weight": np.zeros((4, 6), dtype=np.int64)}, attrs)  # fmt: skip
    with pytest.raises(EmulationError, match=f"layer 'dd'.*{match}"):
        KERNELS["Dense"](layer, [Tensor(np.zeros((2, 6), dtype=np.int64), p)])


def conv_model(two_d: bool, seed: int = 4):
    """Conv1D(3 x 2 -> 4) on (8, 2) or Conv2D(2 x 2 x 2 -> 4) on (5, 5, 2), valid padding, flattened into a Latency
    Dense(8) (io_stream has no kernel for a flattened output)."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((5, 5, 2) if two_d else (8, 2), name="x")
    conv = L.Conv2D(4, 2, name="c") if two_d else L.Conv1D(4, 3, name="c")
    return randomize(keras.Model(inp, L.Dense(8, name="d")(L.Flatten(name="f")(conv(inp)))), seed, scale=0.8)


@needs_gxx
@pytest.mark.slow
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("two_d", [False, True])
def test_resource_conv_emulator_equals_csim(tmp_path, io_type, two_d):
    """conv_1d/2d_resource_cl (io_parallel) and the streamed windows through dense_resource (io_stream) at an RF
    that divides the window (rf_leq_nin's reordered sum) with a saturating accum whose partial sums overflow."""
    rf = 4 if two_d else 3
    over = {"c": {"Strategy": "Resource", "ReuseFactor": rf,
                  "Precision": {"accum": "ap_fixed<8,2,AP_TRN,AP_SAT>", "result": "ap_fixed<10,4>"}},
            "d": {"Precision": {"result": "ap_fixed<18,8>"}}}  # fmt: skip
    shape = (5, 5, 2) if two_d else (8, 2)
    project = hls_models.convert(conv_model(two_d), tmp_path, io_type=io_type, layer_overrides=over)
    desc = project.firmware_description()
    lyr = desc.layer("c")
    got = (lyr.attrs["strategy"], lyr.attrs["reuse_factor"], lyr.attrs["_weights_transposed"])
    assert got == ("resource", rf, True), got
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, shape, N, seed=6)
    fw = csim.run_csim(project, x)
    np.testing.assert_array_equal(emulator.emulate(desc, x), fw)
    assert len(np.unique(fw)) > 50
    wrong = replace(lyr, types={**lyr.types, "accum": FixedPrecision.parse("ap_fixed<7,2,AP_TRN,AP_SAT>")})
    assert np.count_nonzero(emulator.emulate(_swap(desc, "c", wrong), x) != fw) > 10
    n_out = lyr.weights["weight"].shape[0]
    w = lyr.weights["weight"].reshape(n_out, -1).T.reshape(*lyr.weights["weight"].shape[1:], n_out)
    latency = replace(lyr, attrs={**lyr.attrs, "strategy": "latency"}, weights={**lyr.weights, "weight": w})
    # Latency's input order saturates elsewhere
    assert np.count_nonzero(emulator.emulate(_swap(desc, "c", latency), x) != fw) > 10


@pytest.mark.parametrize("kind,rf,match", [
    ("Conv1D", 12, "Resource strategy with reuse factor 12 above its 6 window inputs"),
    ("DepthwiseConv1D", 1, r"strategy 'resource' is not emulated \(accepted: Latency\)"),
])  # fmt: skip
def test_resource_conv_refusals_name_the_layer(kind, rf, match):
    from codesign.firmware.description import LayerDesc
    from codesign.firmware.kernels import KERNELS
    from codesign.firmware.tensor import Tensor

    p = FixedPrecision.parse("ap_fixed<8,3>")
    attrs = {"strategy": "resource", "reuse_factor": rf, "_weights_transposed": True, "in_width": 4, "n_chan": 2,
             "filt_width": 3, "n_filt": 4, "stride_width": 1, "out_width": 2}  # fmt: skip
    layer = LayerDesc("cc", kind, ("x",), "cc", (2, 4), {"weight": p, "bias": p, "accum": p, "result": p},
                      {"weight": np.zeros((4, 3, 2), dtype=np.int64)}, attrs)  # fmt: skip
    with pytest.raises(EmulationError, match=f"layer 'cc'.*{match}"):
        KERNELS[kind](layer, [Tensor(np.zeros((2, 4, 2), dtype=np.int64), p)])
