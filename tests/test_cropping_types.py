"""Layers that only move values keep their input's type in the firmware: a Cropping after a Conv, as a ZeroPadding.

hls4ml 1.3 gave a Cropping1D/2D after a layer with an ``auto`` result (a float Conv2D, a QConv2D without an activation
quantizer) the model's default type ``ap_fixed<16,6>``, while the Conv2D's sums were ``ap_fixed<36,16>``: every sum of
magnitude 32 or more wrapped (a float model's firmware disagreed with it, a QKeras model was not bit-exact).
codesign/hls_ext/cropping_types.py gives it its input's type, or the user's.

Fast: the types as written into the firmware (the kernel call's input and output types in myproject.cpp, their
typedefs in defines.h), and :func:`holds` against counting every value. Slow (g++): the float model's agreement
with the firmware against a build with the former type, both bit-exact against the emulator; a QKeras model
bit-exact against QKeras' own float64 predict.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign.hls.input_typed import holds  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests import hls_models  # noqa: E402
from tests.foreign_helpers import build_check_and_match_qkeras, proven_against_emulator, randomize  # noqa: E402

P = FixedPrecision.parse
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


def written_types(project_dir: Path, layer: str) -> tuple[FixedPrecision, FixedPrecision]:
    """(input type, output type) of ``layer``'s kernel call in the written myproject.cpp: the declared types of the
    arrays (streams) it reads and writes, resolved through their typedefs in defines.h."""
    fw = Path(project_dir) / "firmware"
    cpp, defines = (fw / "myproject.cpp").read_text(), (fw / "defines.h").read_text()
    call = re.search(rf"nnet::\w+<[^>]*>\((\w+), (\w+)[,)][^\n]*// {layer}$", cpp, re.MULTILINE)
    assert call, f"no kernel call for '{layer}' in {fw / 'myproject.cpp'}"

    def declared(var: str) -> FixedPrecision:
        m = re.search(rf"(?:hls::stream<(\w+)>\s*&?\s*|\b(\w+)\s+){var}\s*[\[(,\n]", cpp)
        assert m, f"no declaration of {var} in {fw / 'myproject.cpp'}"
        name = m.group(1) or m.group(2)
        t = re.search(rf"typedef (?:nnet::array<)?(ap_u?fixed<[^>]*>)(?:, [^>]*>)? {name};", defines)
        assert t, f"no typedef {name} in {fw / 'defines.h'}"
        return P(t.group(1))

    return declared(call.group(1)), declared(call.group(2))


def float_shape_model(kind: str, quantized: bool = False):
    """Conv (QConv with ``quantized``) -> the shape-only layer 's' (after an UpSampling2D for 'up_crop') -> Flatten ->
    Dense (QDense), random weights."""
    keras = keras_env.keras()
    L = keras.layers
    conv1, conv2, dense = L.Conv1D, L.Conv2D, L.Dense
    if quantized:
        from qkeras import QConv1D, QConv2D, QDense

        q = "quantized_bits(8,0,alpha=1)"
        conv1 = lambda *a, **k: QConv1D(*a, kernel_quantizer=q, bias_quantizer=q, **k)  # noqa: E731
        conv2 = lambda *a, **k: QConv2D(*a, kernel_quantizer=q, bias_quantizer=q, **k)  # noqa: E731
        dense = lambda *a, **k: QDense(*a, kernel_quantizer=q, bias_quantizer=q, **k)  # noqa: E731
    if kind.endswith("1d"):
        inp = keras.Input((9, 2), name="x")
        h = conv1(3, 2, name="c")(inp)
        h = {"crop1d": L.Cropping1D((1, 2), name="s"), "pad1d": L.ZeroPadding1D(1, name="s")}[kind](h)
    else:
        inp = keras.Input((6, 5, 2), name="x")
        h = conv2(3, 2, name="c")(inp)
        if kind == "up_crop":
            h = L.UpSampling2D(2, name="up")(h)
        layer = {"crop2d": L.Cropping2D(((1, 0), (0, 2)), name="s"), "up_crop": L.Cropping2D(((1, 2), (3, 0)), name="s"),
                 "pad2d": L.ZeroPadding2D(1, name="s"), "up2d": L.UpSampling2D(2, name="s")}[kind]  # fmt: skip
        h = layer(h)
    return randomize(keras.Model(inp, dense(3, name="out")(L.Flatten(name="f")(h))), 3)


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("kind", ["crop1d", "crop2d", "up_crop", "pad1d", "pad2d", "up2d"])
def test_shape_only_layer_is_written_with_its_input_type(tmp_path, kind, io_type):
    project = hls_models.convert(float_shape_model(kind), tmp_path, io_type=io_type)
    conv_in, conv_out = written_types(tmp_path, "c")
    s_in, s_out = written_types(tmp_path, "s")
    assert s_out == s_in == conv_out, (kind, s_in, s_out, conv_out)
    assert conv_out.integer > 6, conv_out  # wider than the default ap_fixed<16,6> it was given
    assert project.layer_precisions["s"]["result"] == conv_out


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_croppings_on_branches_in_chains_and_after_an_add_have_their_input_types(tmp_path, io_type):
    """One Conv2D read by two Croppings (io_stream: through hls4ml's Clone), each followed by another, their Add
    cropped again: each Cropping writes its input's type (the Conv2D's, then the Add's wider one)."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((6, 5, 2), name="x")
    c = L.Conv2D(3, 2, name="c")(inp)
    a = L.Cropping2D(((1, 0), (0, 0)), name="ca2")(L.Cropping2D(((1, 0), (0, 2)), name="ca")(c))
    b = L.Cropping2D(((1, 0), (0, 0)), name="cb2")(L.Cropping2D(((0, 1), (2, 0)), name="cb")(c))
    h = L.Cropping2D(((1, 0), (0, 0)), name="cadd")(L.Add(name="add")([a, b]))
    model = randomize(keras.Model(inp, L.Dense(3, name="out")(L.Flatten(name="f")(h))), 3)
    hls_models.convert(model, tmp_path, io_type=io_type)
    _, conv_out = written_types(tmp_path, "c")
    for name in ("ca", "cb", "ca2", "cb2"):
        assert written_types(tmp_path, name) == (conv_out, conv_out), name
    added, cropped = written_types(tmp_path, "cadd")  # the Add's output is the Cropping's input
    assert cropped == added and (added.width, added.integer) == (conv_out.width + 1, conv_out.integer + 1)


@pytest.mark.parametrize("kind", ["crop1d", "crop2d"])
def test_qkeras_cropping_is_written_with_the_qconv_result_type(tmp_path, kind):
    hls_models.convert(float_shape_model(kind, quantized=True), tmp_path)
    _, conv_out = written_types(tmp_path, "c")
    assert written_types(tmp_path, "s") == (conv_out, conv_out)
    assert conv_out != P("ap_fixed<16,6>")


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_a_users_cropping_type_is_written_and_a_narrow_one_warned(tmp_path, io_type):
    model = float_shape_model("crop2d")
    narrow = "ap_fixed<8,2,AP_RND,AP_SAT>"
    over = {"s": {"Precision": {"result": narrow}}}
    p = hls_models.convert(model, tmp_path / "n", io_type=io_type, layer_overrides=over)
    _, conv_out = written_types(tmp_path / "n", "c")
    assert written_types(tmp_path / "n", "s") == (conv_out, P(narrow))
    warned = [n for n in p.notes if n.startswith("WARNING: layer 's' (Cropping2D)")]
    assert warned == [f"WARNING: layer 's' (Cropping2D): your result type {narrow} is applied, but it does not hold "
                      f"every value of its input's type {conv_out.to_hls()} (values beyond its range wrap or saturate, "
                      "finer bits are lost); without a result type it would be the input's type"]  # fmt: skip
    wide = FixedPrecision(conv_out.width + 4, conv_out.integer + 2).to_hls()
    user = {"LayerName": {"s": {"Precision": {"result": wide}}}}
    p = hls_models.convert(model, tmp_path / "w", io_type=io_type, hls_config=user)
    assert written_types(tmp_path / "w", "s") == (conv_out, P(wide))
    assert not [n for n in p.notes if n.startswith("WARNING: layer 's'")]


def _values(p: FixedPrecision) -> set[int]:
    """Every value of ``p`` in units of 2**-16 (the types below have at most 16 fractional bits)."""
    lo = -(1 << (p.width - 1)) if p.signed else 0
    return {code << (16 - p.fractional) for code in range(lo, lo + (1 << p.width))}


TYPES = [P(t) for t in ("ap_fixed<4,2>", "ap_fixed<6,2>", "ap_fixed<6,4>", "ap_ufixed<4,2>", "ap_ufixed<5,2>",
                        "ap_ufixed<3,3>", "ap_fixed<3,-1>", "ap_fixed<8,3>", "ap_ufixed<6,1>", "ap_fixed<5,5>")]  # fmt: skip


@pytest.mark.parametrize("a, b", list(itertools.product(TYPES, TYPES)))
def test_holds_is_set_inclusion_of_all_values(a, b):
    assert holds(a, b) == (_values(b) <= _values(a))


@pytest.mark.slow
@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_float_cropping_agrees_with_the_model_and_stays_bit_exact(tmp_path, io_type):
    """The Conv2D -> Cropping2D model built as it is now and with the Cropping set to ap_fixed<16,6>, the type hls4ml
    1.3 gave it: both bit-exact against the emulator (emulator == C-sim); only the first follows the float model
    (measured max |diff| 0.50 against 192.1 on 200 check inputs)."""
    model = float_shape_model("crop2d")
    agreement = {}
    for name, layers in (("input_type", {}), ("former", {"s": {"precision": {"result": "ap_fixed<16,6>"}}})):
        out = proven_against_emulator(tmp_path / name, model, "crop", {"hls": {"io_type": io_type, "layers": layers}})
        report = json.loads((out / "report.json").read_text())
        agreement[name] = report["bit_accuracy"]["float_agreement"]["max_abs_diff"]
    assert agreement["input_type"] < 1.0 and agreement["former"] > 10.0, agreement


@pytest.mark.slow
@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_qkeras_cropping_is_bit_exact_with_qkeras(tmp_path, io_type):
    """QConv2D -> Cropping2D was 'bit-exact: NO (200 of 200 differ)': the Cropping wrapped the QConv2D's sums."""
    fw = build_check_and_match_qkeras(tmp_path, float_shape_model("crop2d", quantized=True), "qcrop",
                                      extra={"hls": {"io_type": io_type}})  # fmt: skip
    assert np.std(fw) > 0 and np.max(np.abs(fw)) > 0
