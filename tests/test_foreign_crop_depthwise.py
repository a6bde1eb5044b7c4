"""Float Cropping1D/2D (io_parallel and io_stream) and DepthwiseConv1D/2D / SeparableConv2D in io_stream, checked bit for
bit against codesign's fixed-point emulator.

Both built with "no reference (float model)" and `codesign check` exited 6 naming the layer: the emulator had no
Cropping kernel, and its depthwise kernel was io_parallel only. hls4ml 1.3's ``nnet_cropping.h`` copies the kept
window cast to ``result_t`` (``nnet_cropping_stream.h`` reads and drops the cropped pixels); its streaming depthwise
convolutions (``nnet_sepconv1d/2d_stream.h``) run each window through ``depthwise_product_latency``, the arithmetic of
the io_parallel kernel (a padded one gets hls4ml's ZeroPadding layer first).

Fast: the cropping kernel against Keras' own Cropping layers. Slow (g++): small random-weight models built and
checked bit-exact, the emulator run from the files on disk equal to the C-simulation, and the same emulator handed
another type than the firmware's differing from it (so the comparison can fail).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign.firmware import emulator, fixed  # noqa: E402
from codesign.firmware.description import FirmwareDescription, LayerDesc  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests.foreign_helpers import emulator_with_type_vs_csim, proven_against_emulator, randomize  # noqa: E402
from tests.test_foreign_rnn_dot import float_depthwise  # noqa: E402

P = FixedPrecision.parse
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


@pytest.mark.parametrize("result", ["ap_fixed<16,6>", "ap_fixed<7,2,AP_RND,AP_SAT>", "ap_fixed<6,3,AP_RND_CONV>"])
@pytest.mark.parametrize("two_d", [False, True])
def test_cropping_equals_keras_cropping_cast_to_the_result_type(two_d, result):
    keras = keras_env.keras()
    xp, rp = P("ap_fixed<16,6>"), P(result)
    rng = np.random.default_rng(3)
    if two_d:
        shape, crop = (6, 5, 2), ((1, 2), (0, 3))
        attrs = {"in_height": 6, "in_width": 5, "n_chan": 2, "out_height": 3, "out_width": 2, "crop_top": 1,
                 "crop_bottom": 2, "crop_left": 0, "crop_right": 3}  # fmt: skip
        out_shape, keras_crop = (3, 2, 2), keras.layers.Cropping2D(crop)
    else:
        shape, crop = (9, 3), (2, 1)
        attrs = {"in_width": 9, "n_chan": 3, "out_width": 6, "crop_left": 2, "crop_right": 1}
        out_shape, keras_crop = (6, 3), keras.layers.Cropping1D(crop)
    x = xp.quantize(rng.normal(0, 8, (50, *shape)))
    inp = LayerDesc("x", "Input", ("input",), "x", shape, {"result": xp})
    layer = LayerDesc("crop", "Cropping2D" if two_d else "Cropping1D", ("x",), "crop", out_shape, {"result": rp},
                      attrs=attrs)  # fmt: skip
    got = emulator.emulate_layers(FirmwareDescription((inp, layer), ("x",), ("crop",)), x)["crop"]
    want = rp.quantize(np.asarray(keras_crop(x.astype(np.float32)), np.float64))
    np.testing.assert_array_equal(got, want)
    assert np.std(got) > 0


def test_channels_first_cropping_is_refused_by_name():
    xp = P("ap_fixed<16,6>")
    attrs = {"in_height": 4, "in_width": 4, "n_chan": 1, "out_height": 2, "out_width": 2, "crop_top": 1,
             "crop_bottom": 1, "crop_left": 1, "crop_right": 1, "data_format": "channels_first"}  # fmt: skip
    inp = LayerDesc("x", "Input", ("input",), "x", (1, 4, 4), {"result": xp})
    layer = LayerDesc("crop", "Cropping2D", ("x",), "crop", (1, 2, 2), {"result": xp}, attrs=attrs)
    with pytest.raises(fixed.EmulationError, match=r"layer 'crop' \(Cropping2D\): only channels_last is emulated"):
        emulator.emulate(FirmwareDescription((inp, layer), ("x",), ("crop",)), np.zeros((2, 16)))


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_result_type_hls4ml_does_not_read_is_refused(tmp_path, io_type):
    """hls4ml 1.3 gives a ZeroPadding (Resize, Transpose) layer its input's type: a user's result type for it was
    dropped without a word (the firmware kept the Conv2D's ap_fixed<36,16>); refused at conversion unless it is that
    type. (A Cropping's is applied: tests/test_cropping_types.py.)"""
    from codesign.errors import SpecError
    from tests import hls_models

    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((6, 5, 2), name="x")
    h = L.ZeroPadding2D(((1, 0), (0, 2)), name="pad")(L.Conv2D(3, 2, name="c")(inp))
    model = randomize(keras.Model(inp, L.Dense(3, name="out")(L.Flatten(name="f")(h))), 3)
    narrow = {"pad": {"Precision": {"result": "ap_fixed<8,2,AP_RND,AP_SAT>"}}}
    with pytest.raises(SpecError, match=r"layer 'pad' \(ZeroPadding2D\): Precision result ap_fixed<8,2,AP_RND,AP_SAT> "
                                        r"asked, but hls4ml 1\.3 gives this layer its input's type \(its firmware keeps "
                                        r"ap_fixed<36,16>\)"):  # fmt: skip
        hls_models.convert(model, tmp_path / "a", io_type=io_type, layer_overrides=narrow)
    same = {"pad": {"Precision": {"result": "ap_fixed<36,16>"}}}
    project = hls_models.convert(model, tmp_path / "b", io_type=io_type, layer_overrides=same)
    assert project.layer_precisions["pad"]["result"] == P("ap_fixed<36,16>")


def float_cropped(two_d: bool):
    """Conv2D(3, 2) -> Cropping2D(((1, 0), (0, 2))) on (6, 5, 2), or Conv1D(3, 2) -> Cropping1D((1, 2)) on (9, 2);
    -> Flatten -> Dense(3)."""
    keras = keras_env.keras()
    L = keras.layers
    if two_d:
        inp = keras.Input((6, 5, 2), name="x")
        h = L.Cropping2D(((1, 0), (0, 2)), name="crop")(L.Conv2D(3, 2, name="c")(inp))
    else:
        inp = keras.Input((9, 2), name="x")
        h = L.Cropping1D((1, 2), name="crop")(L.Conv1D(3, 2, name="c")(inp))
    return randomize(keras.Model(inp, L.Dense(3, name="out")(L.Flatten(name="f")(h))), 3)


@pytest.mark.slow
@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("two_d", [False, True])
def test_float_cropping_is_proven_against_the_emulator(tmp_path, two_d, io_type):
    out = proven_against_emulator(tmp_path, float_cropped(two_d), "crop", {"hls": {"io_type": io_type}})
    n, bad = emulator_with_type_vs_csim(out, "crop", "result", "ap_fixed<14,6>")
    assert bad > n // 10, f"only {bad} of {n} outputs differ with another cropping result type"


@pytest.mark.slow
@needs_gxx
@pytest.mark.parametrize(
    "which, accum, layer",
    [("dw1d", "ap_fixed<10,4>", "dw"), ("dw2d_same_s2", "ap_fixed<12,5,AP_RND,AP_SAT>", "dw"),
     ("sep2d", None, "sep_depthwise"), ("dw1d", None, "dw")],
)  # fmt: skip
def test_float_depthwise_in_io_stream_is_proven_against_the_emulator(tmp_path, which, accum, layer):
    """Float DepthwiseConv1D/2D ('same' with stride 2: hls4ml's ZeroPadding2D before it) and SeparableConv2D (split
    into depthwise and pointwise) in io_stream; a user's narrow accum wraps or saturates at each window position."""
    hls: dict = {"io_type": "io_stream"}
    if accum:
        hls["layers"] = {"dw": {"precision": {"accum": accum}}}
    out = proven_against_emulator(tmp_path, float_depthwise(which), which, {"hls": hls})
    n, bad = emulator_with_type_vs_csim(out, layer, "accum", "ap_fixed<12,4>")
    assert bad > n // 10, f"only {bad} of {n} outputs differ with another depthwise accum type"
