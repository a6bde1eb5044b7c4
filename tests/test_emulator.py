"""The fixed-point emulator against the g++ C-simulation of real hls4ml projects, bit for bit.

Each case converts a tiny model with hls4ml, builds codesign's g++ testbench (~10-20 s on 2 cores) and
compares every output with ``np.testing.assert_array_equal`` on inputs that include the input type's
edges, and, for the narrow-type cases, inputs that overflow intermediate layers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, hls  # noqa: E402
from codesign.firmware import description, emulator, fixed, profile  # noqa: E402
from codesign.firmware.fixed import EmulationError  # noqa: E402
from codesign.precision import FixedPrecision, Overflow, Rounding  # noqa: E402
from tests import hls_models  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
N = 3000


def build(model, tmp: Path, **kw) -> hls.HlsProject:
    """Convert with hls4ml (Vitis, io_parallel, Latency) and build the g++ testbench."""
    project = hls_models.convert(model, tmp, **kw)
    csim.build_testbench(project)
    return project


def check_exact(project: hls.HlsProject, x: np.ndarray, *, varied: bool = True) -> tuple:
    """Emulator outputs == C-simulation outputs, element for element (and, if ``varied``, not constant)."""
    desc = project.firmware_description()
    emu = emulator.emulate(desc, x)
    fw = csim.run_csim(project, x)
    emus, fws = (emu, fw) if isinstance(fw, list) else ([emu], [fw])
    for e, f in zip(emus, fws, strict=True):
        verdict = compare.compare_exact(f, e, reference="g++ C-simulation")
        assert verdict.exact, verdict.describe()
        np.testing.assert_array_equal(e, f)
    if varied:
        assert np.std(np.concatenate([f.ravel() for f in fws])) > 0
    return emu, fw


# ---------------------------------------------------------------------------------------------- pure unit tests
def test_cast_rounding_and_overflow_modes():
    """Integer casts against hand-computed ap_fixed results for every rounding and overflow mode."""
    codes = np.array([-7, -6, -5, -3, -2, -1, 0, 1, 2, 3, 5, 6, 7])  # values code/4, cast to a grid of 1/2
    expect = {
        Rounding.TRN: [-4, -3, -3, -2, -1, -1, 0, 0, 1, 1, 2, 3, 3],
        Rounding.TRN_ZERO: [-3, -3, -2, -1, -1, 0, 0, 0, 1, 1, 2, 3, 3],
        Rounding.RND: [-3, -3, -2, -1, -1, 0, 0, 1, 1, 2, 3, 3, 4],
        Rounding.RND_ZERO: [-3, -3, -2, -1, -1, 0, 0, 0, 1, 1, 2, 3, 3],
        Rounding.RND_INF: [-4, -3, -3, -2, -1, -1, 0, 1, 1, 2, 3, 3, 4],
        Rounding.RND_MIN_INF: [-4, -3, -3, -2, -1, -1, 0, 0, 1, 1, 2, 3, 3],
        Rounding.RND_CONV: [-4, -3, -2, -2, -1, 0, 0, 0, 1, 2, 2, 3, 4],
    }
    for mode, want in expect.items():
        p = FixedPrecision(16, 15, True, mode, Overflow.WRAP)
        got = fixed.cast(codes, 2, p)
        np.testing.assert_array_equal(got, want, err_msg=mode.value)
        # the float path (ap_fixed from double) and FixedPrecision.quantize agree with the integer path
        np.testing.assert_array_equal(fixed.from_float(codes / 4.0, p), want, err_msg=mode.value)
        np.testing.assert_array_equal(p.quantize(codes / 4.0), np.array(want) / 2.0, err_msg=mode.value)
    big = np.array([-300, -129, -128, 127, 128, 300])
    cases = {
        Overflow.WRAP: [-44, 127, -128, 127, -128, 44],
        Overflow.SAT: [-128, -128, -128, 127, 127, 127],
        Overflow.SAT_ZERO: [0, 0, -128, 127, 0, 0],
        Overflow.SAT_SYM: [-127, -127, -127, 127, 127, 127],
    }
    for mode, want in cases.items():
        p = FixedPrecision(8, 8, True, Rounding.TRN, mode)
        np.testing.assert_array_equal(fixed.cast(big, 0, p), want, err_msg=mode.value)
    np.testing.assert_array_equal(fixed.cast(big, 0, FixedPrecision(8, 8, False)), [212, 127, 128, 127, 128, 44])
    with pytest.raises(EmulationError, match="NaN or infinity"):
        fixed.from_float(np.array([np.nan]), FixedPrecision(8, 3))


def test_unknown_layer_is_named():
    """A layer kind the emulator does not know raises an error naming the layer and its kind."""
    p = FixedPrecision.parse("ap_fixed<8,3>")
    layers = (
        description.LayerDesc("x", "Input", ("input",), "x", (4,), {"result": p}),
        description.LayerDesc("mystery", "SeparableConv2D", ("x",), "mystery", (4,), {"result": p}),
    )
    desc = description.FirmwareDescription(layers, ("x",), ("mystery",))
    with pytest.raises(EmulationError, match="'mystery' is an hls4ml SeparableConv2D"):
        emulator.emulate(desc, np.zeros((2, 4)))
    assert EmulationError.exit_code == 6


# ---------------------------------------------------------------------------------------------- against C-simulation
@needs_gxx
def test_quantized_mlp(tmp_path):
    """QKeras MLP: emulator == C-sim; the description survives a save/load; per-layer outputs are on their grids."""
    project = build(hls_models.qmlp(6, seed=6), tmp_path)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N, seed=1)
    emu, fw = check_exact(project, x)
    desc = hls.HlsProject.load(tmp_path).firmware_description()
    layers = emulator.emulate_layers(desc, x)
    assert list(layers) == ["inputs", "dense1", "relu1", "output_logits"]
    np.testing.assert_array_equal(layers["output_logits"], fw)
    for name, vals in layers.items():
        assert desc.layer(name).type("result").on_grid(vals)
    assert desc.layer("dense1").type("weight").to_hls() == project.layer_precisions["dense1"]["weight"].to_hls()


@needs_gxx
def test_float_mlp_default_precisions(tmp_path):
    """A float model at hls4ml's default ap_fixed<16,6>: the emulator is the exact reference."""
    project = build(hls_models.float_mlp(), tmp_path)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N, seed=2)
    check_exact(project, x)
    assert project.firmware_description().layer("dense1").type("weight").to_hls() == "ap_fixed<16,6>"


def _float_leaky_mlp(slope: float, seed: int = 4):
    """A float Dense -> LeakyReLU(slope) -> Dense at hls4ml's default types (the emulator is its reference)."""
    keras = keras_env.keras()
    inp = keras.Input((16,), name="inputs")
    x = keras.layers.LeakyReLU(slope, name="lr")(keras.layers.Dense(8, name="dense1")(inp))
    model = keras.Model(inp, keras.layers.Dense(5, name="logits")(x), name="float_leaky")
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.normal(0.0, 1.5, w.shape) for w in layer.get_weights()])
    return model


@needs_gxx
@pytest.mark.parametrize("slope", [0.25, 0.3])
def test_leaky_relu_float_model(tmp_path, slope):
    """hls4ml's leaky_relu: 2**-2 exactly, 0.3 as its slope type holds it; ap_fixed<16,6> truncates and wraps."""
    project = build(_float_leaky_mlp(slope), tmp_path)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N, seed=5)
    check_exact(project, x)
    layers = emulator.emulate_layers(project.firmware_description(), x)
    assert np.sum(layers["dense1"] < 0) > N  # the slope's side is exercised


@needs_gxx
def test_leaky_relu_after_a_wide_float_dense(tmp_path):
    """The ADC2021 autoencoder's shape: a 3-wide latent Dense without activation, then Dense -> LeakyReLU(0.3). The
    second Dense's sum is ap_fixed<56,26>, the slope's product 65 bits (was refused: no emulator verdict)."""
    keras = keras_env.keras()
    inp = keras.Input((16,), name="inputs")
    x = keras.layers.Dense(3, name="latent")(inp)
    x = keras.layers.LeakyReLU(0.3, name="lr")(keras.layers.Dense(8, name="dense2")(x))
    model = keras.Model(inp, keras.layers.Dense(5, name="logits")(x), name="wide_leaky")
    rng = np.random.default_rng(11)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.normal(0.0, 1.0, w.shape) for w in layer.get_weights()])
    project = build(model, tmp_path)
    assert project.firmware_description().layer("dense2").type("result").width == 56
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N, seed=12)
    check_exact(project, x)
    layers = emulator.emulate_layers(project.firmware_description(), x)
    assert np.sum(layers["dense2"] < 0) > N  # the slope's side is exercised


@needs_gxx
def test_leaky_relu_quantized_model(tmp_path):
    """A float LeakyReLU(2**-3) between QDense layers, typed exactly by codesign: emulator == C-sim."""
    from tests.test_foreign_relu import float_leaky_mlp

    project = build(float_leaky_mlp(0.125), tmp_path)
    assert project.layer_precisions["lr"]["result"].width == project.layer_precisions["d1"]["result"].width + 3
    check_exact(project, compare.grid_inputs(hls_models.INPUT_PRECISION, (8,), N, seed=6))


@needs_gxx
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_deepsets_conv1d_pooling(tmp_path, pooling):
    """Pointwise QConv1D over constituents, quantized ReLU, global average/max pooling, QDense."""
    project = build(hls_models.deepsets(6, seed=3, pooling=pooling), tmp_path)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (8, 3), N, seed=3)
    check_exact(project, x)


def _narrow_overrides() -> dict:
    return {
        "dense1": {
            "Precision": {"accum": "ap_fixed<12,4,AP_RND,AP_SAT>", "result": "ap_fixed<9,3,AP_RND_CONV,AP_WRAP>"}
        },
        "relu1": {"Precision": {"result": "ap_ufixed<5,1,AP_RND_INF,AP_SAT>"}},
        "output_logits": {
            "Precision": {"accum": "ap_fixed<10,3,AP_TRN_ZERO,AP_SAT_SYM>", "result": "ap_fixed<7,2,AP_RND_ZERO,AP_SAT_ZERO>"}
        },
    }


@needs_gxx
def test_overflowing_intermediate_types(tmp_path):
    """Narrow accumulators and results that saturate, wrap and round on most inputs: still bit for bit."""
    project = build(hls_models.qmlp(8, seed=8), tmp_path, layer_overrides=_narrow_overrides())
    desc = project.firmware_description()
    acc = desc.layer("dense1").type("accum")
    assert acc.overflow == Overflow.SAT and acc.rounding == Rounding.RND
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N, seed=4)
    check_exact(project, x)
    # the inputs do overflow: dense1's exact sums leave its accumulator's range [-8, 8) often
    d1 = desc.layer("dense1")
    w = fixed.to_float(d1.weights["weight"], d1.type("weight"))
    b = fixed.to_float(d1.weights["bias"], d1.type("bias"))
    assert np.mean(np.abs(x @ w + b) >= 8) > 0.05
    # the overflow profile sees it: counts, observed range and a suggested type that holds that range
    rows = {(r.layer, r.quantity): r for r in profile.profile(desc, x)}
    acc_row = rows[("dense1", "accum")]
    assert acc_row.n_overflow == int(np.count_nonzero((x @ w + b < -8) | (x @ w + b > 8 - 2.0**-8)))
    assert acc_row.observed_max == float((x @ w + b).max())
    wide = FixedPrecision.parse(acc_row.suggested)
    assert wide.fractional == acc.fractional and wide.min_value <= acc_row.observed_min
    assert wide.max_value >= acc_row.observed_max and wide.overflow == Overflow.SAT
    report = profile.overflow_report(desc, x, "test inputs")
    assert "dense1 (accum)" in report["overflowing"] and len(report["rows"]) == len(rows)
    # in words: the count, what the firmware does with the values (this accumulator saturates), the type that holds them
    line = next(d for d in report["details"] if d.startswith("dense1 (accum)"))
    assert f"{acc_row.n_overflow:,} of {acc_row.n_values:,} values" in line and "saturated" in line
    assert acc_row.suggested in line


@needs_gxx
def test_tables_batchnorm_two_outputs(tmp_path):
    """Float model: Dense -> ReLU -> BatchNorm -> sigmoid table -> two heads, one through a tanh table."""
    keras = keras_env.keras()
    inp = keras.Input((16,), name="inputs")
    x = keras.layers.Dense(12, activation="relu", name="d1")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Activation("sigmoid", name="sig")(x)
    a = keras.layers.Dense(3, name="head_a")(x)
    b = keras.layers.Dense(4, name="d2")(x)
    b = keras.layers.Activation("tanh", name="th")(b)
    model = keras.Model(inp, [a, b])
    rng = np.random.default_rng(5)
    for layer in model.layers:
        if layer.get_weights():
            ws = [rng.normal(0.0, 0.7, w.shape) for w in layer.get_weights()]
            if layer.name == "bn":
                ws[3] = np.abs(ws[3]) + 0.3  # variance
            layer.set_weights(ws)
    project = build(model, tmp_path)
    kinds = {lyr.kind for lyr in project.firmware_description().layers}
    assert {"BatchNormalization", "Activation", "Dense"} <= kinds
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N, seed=5)
    x[N // 2 :] = np.clip(x[N // 2 :], -2, 2)  # half in the tables' informative range
    emu, fw = check_exact(project, x)
    assert isinstance(emu, list) and len(emu) == 2


RANDOM_CASES = 3


def _random_overrides(rng: np.random.Generator) -> dict:
    """Random widths, integer bits, signedness, rounding and overflow modes for every type of the float MLP."""

    def t(width_range=(4, 20), int_range=(-2, 8)) -> str:
        w = int(rng.integers(*width_range))
        i = int(rng.integers(int_range[0], min(int_range[1], w + 2)))
        kind = "ap_fixed" if rng.random() < 0.8 else "ap_ufixed"
        q = rng.choice([m.value for m in Rounding])
        o = rng.choice([m.value for m in Overflow])
        return f"{kind}<{w},{i},{q},{o}>"

    return {
        name: {"Precision": {"weight": t(), "bias": t(), "accum": t((8, 30)), "result": t()}}
        for name in ("dense1", "logits")
    } | {"dense1_relu": {"Precision": {"result": t()}}}


@needs_gxx
@pytest.mark.parametrize("case", range(RANDOM_CASES))
def test_random_precisions(tmp_path, case):
    """Randomly drawn types (width, integer bits, sign, all rounding and overflow modes) on every layer."""
    rng = np.random.default_rng(1000 + case)
    overrides = _random_overrides(rng)
    project = build(hls_models.float_mlp(seed=case), tmp_path, layer_overrides=overrides)
    desc = project.firmware_description()
    assert desc.layer("dense1").type("accum").to_hls() == FixedPrecision.parse(overrides["dense1"]["Precision"]["accum"]).to_hls()
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N, seed=case)
    # narrow random types may flatten a layer's output; some layer after the input must vary so that the
    # case is not vacuous
    check_exact(project, x, varied=False)
    layers = emulator.emulate_layers(desc, x)
    assert max(np.std(v) for name, v in layers.items() if name != "inputs") > 0


def test_huge_and_tiny_inputs_cast_like_ap_fixed():
    """Doubles far outside a type: wrapped codes of multiples of 2**width are 0, saturated ones clip."""
    wrap = FixedPrecision.parse("ap_fixed<8,4>")
    sat = FixedPrecision.parse("ap_fixed<8,4,AP_TRN,AP_SAT>")
    x = np.array([1e300, -1e300, 2.0**40 + 1.5, 1e-300, -1e-300])
    np.testing.assert_array_equal(fixed.from_float(x, wrap), [0, 0, 24, 0, -1])
    np.testing.assert_array_equal(fixed.from_float(x, sat), [127, -128, 127, 0, -1])
    with pytest.raises(EmulationError, match="infinity"):
        fixed.from_float(np.array([np.inf]), sat)


def test_suggested_type_is_the_narrowest_holding_the_range():
    """Same fractional bits, sign and modes; the fewest integer bits whose range holds [lo, hi]."""
    p = FixedPrecision.parse("ap_fixed<8,3,AP_RND,AP_SAT>")
    assert profile.suggest(p, -4.0, 3.96875).to_hls() == "ap_fixed<8,3,AP_RND,AP_SAT>"
    assert profile.suggest(p, -4.0, 3.97).to_hls() == "ap_fixed<9,4,AP_RND,AP_SAT>"
    assert profile.suggest(p, -4.03125, 1.0).to_hls() == "ap_fixed<9,4,AP_RND,AP_SAT>"
    assert profile.suggest(p, -0.25, 0.5).to_hls() == "ap_fixed<6,1,AP_RND,AP_SAT>"
    u = FixedPrecision.parse("ap_ufixed<6,2>")
    assert profile.suggest(u, 0.0, 13.0).to_hls() == "ap_ufixed<8,4>"


def test_emulator_disagreement_fails_the_verdict():
    """Firmware equal to QKeras but not to the emulator of its types: not exact, and the build says which."""
    from dataclasses import replace

    from codesign.errors import BitAccuracyError
    from codesign.pipeline import BuildState, require_bit_exact

    same = compare.compare_exact(np.zeros((3, 2)), np.zeros((3, 2)), reference="QKeras")
    differ = compare.compare_exact(np.zeros((3, 2)), np.array([[0, 0], [0, 0.25], [0, 0]]), reference="emulator")
    v = compare.Verification(same, same, None, None, emulator_vs_csim=differ)
    assert v.exact is False
    d = v.to_dict()
    assert d["exact"] is False and d["n_mismatch"] == 0 and d["emulator_vs_testbench"]["first_mismatch"]["index"] == 1
    with pytest.raises(BitAccuracyError, match="not codesign's fixed-point emulator"):
        require_bit_exact(replace(BuildState(), bit_accuracy=d))
    unavailable = compare.Verification(same, same, None, None, emulator_reason="layer 'sm' is an hls4ml Softmax")
    assert unavailable.exact is True
    assert unavailable.to_dict()["emulator_vs_testbench"] == {"available": False, "reason": "layer 'sm' is an hls4ml Softmax"}


def test_unsigned_codes_into_a_signed_type_of_the_same_width_overflow():
    """ap_ufixed<6,6> 63 into ap_fixed<6,6>: wraps to -1 or saturates to 31 (the float fast path included)."""
    u = FixedPrecision.parse("ap_ufixed<6,6>")
    codes = np.array([0.0, 31.0, 32.0, 63.0])
    wrap = FixedPrecision.parse("ap_fixed<6,6>")
    sat = FixedPrecision.parse("ap_fixed<6,6,AP_TRN,AP_SAT>")
    np.testing.assert_array_equal(fixed.cast(codes, 0, wrap, bits_from=fixed.sbits(u)), [0, 31, -32, -1])
    np.testing.assert_array_equal(fixed.cast(codes, 0, sat, bits_from=fixed.sbits(u)), [0, 31, 31, 31])
    np.testing.assert_array_equal(fixed.cast(codes.astype(np.int64), 0, sat), [0, 31, 31, 31])


def _ap_cast_int(code: int, frac_from: int, to: FixedPrecision) -> int:
    """One code cast to ``to`` with Python integers and Fractions: round with ``to``'s mode, then its overflow mode."""
    from fractions import Fraction
    from math import floor

    v = Fraction(code, 1) / Fraction(2) ** frac_from * Fraction(2) ** (to.width - to.integer)  # on the target grid
    fl = floor(v)
    rem = v - fl
    r = to.rounding
    if r == Rounding.TRN or rem == 0:
        q = fl
    elif r == Rounding.TRN_ZERO:
        q = fl + (1 if v < 0 else 0)
    elif rem != Fraction(1, 2):
        q = fl + (1 if rem > Fraction(1, 2) else 0)
    else:  # a tie
        up = {
            Rounding.RND: True,
            Rounding.RND_ZERO: v < 0,
            Rounding.RND_INF: v > 0,
            Rounding.RND_MIN_INF: False,
            Rounding.RND_CONV: fl % 2 == 1,
        }[r]
        q = fl + (1 if up else 0)
    lo, hi = (-(2 ** (to.width - 1)), 2 ** (to.width - 1) - 1) if to.signed else (0, 2**to.width - 1)
    if to.overflow == Overflow.SAT_SYM and to.signed:
        lo = -hi
    if lo <= q <= hi:
        return q
    if to.overflow == Overflow.WRAP:
        return (q - lo) % 2**to.width + lo if to.signed else q % 2**to.width
    if to.overflow == Overflow.SAT_ZERO:
        return 0
    return lo if q < lo else hi


@pytest.mark.parametrize("overflow", [Overflow.WRAP, Overflow.SAT, Overflow.SAT_ZERO, Overflow.SAT_SYM])
@pytest.mark.parametrize("rounding", [Rounding.TRN, Rounding.TRN_ZERO, Rounding.RND, Rounding.RND_CONV])
def test_leaky_relu_of_a_wide_input_equals_big_integer_arithmetic(overflow, rounding):
    """A float model's LeakyReLU after an unquantized Dense of 56 bits: the slope's product needs 65 bits (the
    emulator refused it); it now equals the product computed with Python integers and cast by Fractions."""
    from codesign.firmware import kernels
    from codesign.firmware.description import LayerDesc
    from codesign.firmware.tensor import Tensor

    xp = FixedPrecision.parse("ap_fixed<56,26>")
    pt = FixedPrecision.parse("ap_ufixed<8,-1>")  # hls4ml's slope type for 0.3: code 153 = 0.298828125
    rp = FixedPrecision(16, 6, signed=True, rounding=rounding, overflow=overflow)
    rng = np.random.default_rng(7)
    codes = np.concatenate(
        [
            rng.integers(-(2**55), 2**55, 400),  # huge magnitudes: far out of the result's range
            rng.integers(-(2**37), 2**37, 400),  # about the result's range (+-32 is +-2**35): wrap and saturation
            rng.integers(-(2**22), 2**22, 400),  # a few result codes: rounding and ties
            [-(2**55), 2**55 - 1, 0, -1, 1, -(2**29), -(2**29) - 1, -(2**20) * 153],
        ]
    ).astype(np.int64)
    layer = LayerDesc(
        "lr",
        "ParametrizedActivation",
        ("x",),
        "lr",
        (len(codes),),
        {"result": rp, "param": pt},
        attrs={"activation": "leakyrelu", "activ_param": 0.3},
    )
    got = kernels.KERNELS["ParametrizedActivation"](layer, [Tensor(codes[None, :], xp)]).codes[0]
    alpha = 153
    want = [_ap_cast_int(int(c), 30, rp) if c > 0 else _ap_cast_int(int(c) * alpha, 30 + 9, rp) for c in codes.tolist()]
    np.testing.assert_array_equal(np.asarray(got, dtype=np.int64), np.asarray(want, dtype=np.int64))
    assert len(set(want)) > 200 and min(want) < -1000 < 1000 < max(want)


def test_overflow_detail_says_what_the_firmware_does():
    """A wrapping result and a saturating ReLU read differently: the count, the behaviour, the type that holds them."""
    wrap = profile.RangeRow("dense1", "Dense", "result", "ap_fixed<9,3>", -4.0, 3.984375, -9.5, 2.0, 400, 7,
                            "ap_fixed<11,5>")  # fmt: skip
    sat = profile.RangeRow("relu_1", "Activation", "result", "ap_ufixed<9,0,AP_RND_CONV,AP_SAT>", 0.0, 0.998046875,
                           0.0, 3.2, 400, 120, "ap_ufixed<11,2,AP_RND_CONV,AP_SAT>")  # fmt: skip
    assert profile.detail(wrap) == ("dense1 (result): 7 of 400 values (1.75 %) wrapped (wrong by a multiple of the "
                                    "type's range); ap_fixed<11,5> would hold them")  # fmt: skip
    assert "120 of 400 values (30 %) saturated (clipped to the type's limit)" in profile.detail(sat)
