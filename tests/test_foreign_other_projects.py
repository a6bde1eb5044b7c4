"""Models as other projects write them (round ten), rebuilt from their code with random weights.

A QDense/QConv whose ``quantized_bits`` kernel quantizer leaves ``alpha`` out gets ``alpha='auto_po2'`` from QKeras
(a per-channel power-of-two scale), which hls4ml 1.3 applies in an extra ApplyAlpha layer. When a
BatchNormalization follows (QKeras' ``example_mnist_bn.py`` writes ``QConv2D(kernel_quantizer=quantized_bits(4, 0,
1))`` -> ``QBatchNormalization``; L1 tagger models ``QConv1D`` -> ``BatchNormalization`` -> ``QActivation``),
hls4ml's ``fuse_consecutive_batch_normalization`` merged the scale into the BatchNormalization's and rounded the
product to its scale type: the build ended ``bit-exact: NO`` (exit 3, 199 of 200 inputs differ, max |diff| 0.42)
although the reference was right. ``codesign/hls_ext/alpha_batchnorm.py`` keeps the two layers apart; the
C-simulation now equals QKeras' own float64 predict.

Rebuilt from public code (random weights, ``model.file`` without data), each ``bit-exact: yes`` from build and
check (not collected here: each takes about a minute): KastnerRG/edge-nns ``smart-pixel/models.py``'s
``qkeras_dense_model`` (QDense -> BatchNormalization -> QActivation -> QDense -> softmax), CICADA's ``CicadaV2``
(``Reshape`` 18 x 14, strided QConv2D without bias, QDense, with ``QBatchNormalization`` in place of the
``QDenseBatchnorm`` QKeras 0.9 lacks), CICADA's float teacher autoencoder (scaled down: AveragePooling2D, Dense,
Reshape, UpSampling2D), nswood/ECON_QAE's encoder (9 x 9 QConv2D stride 2 -> QDense) and conditional decoder (two
inputs concatenated), an AXOL1TL-style encoder (QBatchNormalization on the input), QKeras' ``example_mnist.py``
CNN, a QDepthwiseConv2D MobileNet block with GlobalAveragePooling2D, a deep set with two pooled branches
concatenated and a final ``Softmax``.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from tests.foreign_helpers import build, build_check_and_match_qkeras, check, randomize, stored_inputs  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


def tau_tagger_conv1d():
    """QConv1D over candidates -> BatchNormalization -> quantized_relu -> QDense -> sigmoid; QKeras' default alpha
    (``quantized_bits(8, 2, 1)``: symmetric, alpha left out, so 'auto_po2')."""
    from qkeras import QActivation, QConv1D, QDense
    from qkeras.quantizers import quantized_bits

    keras = keras_env.keras()
    L = keras.layers
    xi = L.Input((10, 6))
    x = QConv1D(8, 3, kernel_quantizer=quantized_bits(8, 2, 1), bias_quantizer=quantized_bits(8, 2, 1), name="c1")(xi)
    x = L.BatchNormalization(name="bn1")(x)
    x = QActivation("quantized_relu(8, 3)", name="r1")(x)
    x = L.Flatten()(x)
    x = QDense(1, kernel_quantizer=quantized_bits(8, 2, 1), bias_quantizer=quantized_bits(8, 2, 1), name="out")(x)
    return randomize(keras.Model(xi, L.Activation("sigmoid", name="sig")(x)), 19, 0.4)


def _convert(model, tmp_path):
    import hls4ml

    import codesign.hls  # noqa: F401  (registers codesign's hls4ml extensions)

    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name")
    return hls4ml.converters.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "prj"),
                                                      backend="Vivado")  # fmt: skip


def test_alpha_scale_is_not_folded_into_the_batchnorm(tmp_path):
    """With codesign's pass the ApplyAlpha 'c1_alpha' stays before 'bn1', whose scale is the BatchNormalization's
    own; hls4ml 1.3's own pass merges them (no 'c1_alpha'; bn1's scale times the power-of-two alpha)."""
    from hls4ml.model.optimizer import optimizer
    from hls4ml.model.optimizer.passes.batchnorm_opt import FuseConsecutiveBatchNormalization

    from codesign.hls_ext import alpha_batchnorm

    model = tau_tagger_conv1d()
    bn = model.get_layer("bn1")
    gamma, beta, mean, var = (np.asarray(w, np.float64) for w in bn.get_weights())
    own = gamma / np.sqrt(var + bn.epsilon)

    graph = _convert(model, tmp_path)
    names = [n.name for n in graph.get_layers()]
    assert names.index("c1") < names.index("c1_alpha") < names.index("bn1"), names
    np.testing.assert_allclose(graph.graph["bn1"].weights["scale"].data_unquantized.ravel(), own, rtol=1e-6)

    ours = optimizer.optimizer_map[alpha_batchnorm.PASS]
    optimizer.optimizer_map[alpha_batchnorm.PASS] = FuseConsecutiveBatchNormalization()
    try:
        fused = _convert(model, tmp_path / "fused")
    finally:
        optimizer.optimizer_map[alpha_batchnorm.PASS] = ours
    assert "c1_alpha" not in [n.name for n in fused.get_layers()]
    ratio = fused.graph["bn1"].weights["scale"].data_unquantized.ravel() / own
    assert np.all(ratio < 1) and np.allclose(ratio, 2.0 ** np.round(np.log2(ratio)), rtol=1e-6)  # 1/8, 1/4


@pytest.mark.slow
@needs_gxx
def test_auto_po2_conv_then_batchnorm_builds_bit_exact(tmp_path):
    """It was exit 3, "bit-exact: NO (199 of 200 differ)"; now the reference (codesign/reference: QKeras' quantizers,
    the BatchNormalization's scale and bias rounded to the firmware's types) equals the C-simulation on every input,
    in the build and in `codesign check`. (QKeras' own float64 predict cannot stand in: its auto_po2 quantizer does
    not run in float64, and float32 does not hold the 29-bit sums.)"""
    code, text, out = build(tmp_path, tau_tagger_conv1d(), "tau")
    assert code == 0 and "bit-exact: yes (200 inputs, reference: QKeras model" in text, text[-3000:]
    assert "scale layer 'c1_alpha'" in text or "c1_alpha" in (out / "report.md").read_text()
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    _, fw = stored_inputs(out)
    assert np.std(fw) > 0


def _separable(pointwise_alpha, depthwise_alpha=1, po2_bias: bool = False):
    """A QSeparableConv2D -> QDense model; ``None`` leaves alpha out (QKeras then stores 'auto_po2')."""
    from qkeras import QDense, QSeparableConv2D
    from qkeras.quantizers import quantized_bits, quantized_po2

    keras = keras_env.keras()
    q = quantized_bits(6, 0, 1, alpha=1)
    xi = keras.Input((6, 6, 2))
    x = QSeparableConv2D(4, (3, 3), depthwise_quantizer=quantized_bits(6, 0, 1, alpha=depthwise_alpha),
                         pointwise_quantizer=quantized_bits(6, 0, 1, alpha=pointwise_alpha), bias_quantizer=q,
                         name="sep")(xi)  # fmt: skip
    x = keras.layers.Flatten()(x)
    bias = quantized_po2(4, 1) if po2_bias else q
    return keras.Model(xi, QDense(3, kernel_quantizer=quantized_po2(4, 1), bias_quantizer=bias, name="out")(x))


def test_separable_pointwise_auto_po2_and_po2_bias_are_refused_by_name():
    """QSeparableConv2D with alpha left out (edge-nns / MobileNet-style code writes quantized_bits(6, 0, 1)) was exit 5,
    "hls4ml could not convert the model: TypeError: unsupported operand type(s) for +: 'NoneType' and 'str'"; a
    quantized_po2 bias was exit 5 after a g++ failure. Both are refused by name before any training."""
    from codesign.errors import SpecError
    from codesign.hls.layer_settings import require_layer_settings

    with pytest.raises(SpecError, match=r"m.h5: layer\(s\) 'sep' \(QSeparableConv2D\): pointwise_quantizer .*"
                                        r"alpha='auto_po2'.*accepted: pointwise_quantizer quantized_bits\(..., alpha=1\)"):  # fmt: skip
        require_layer_settings(_separable(None), "m.h5")
    with pytest.raises(SpecError, match=r"'out' \(QDense\): bias_quantizer quantized_po2.*accepted: a quantized_bits"):
        require_layer_settings(_separable(1, po2_bias=True), "m.h5")
    # what converts is accepted: alpha=1 pointwise, a depthwise alpha left out, a po2 kernel with a bits bias
    require_layer_settings(_separable(1, depthwise_alpha=None), "m.h5")


def test_separable_with_alpha_left_out_exits_2_from_build(tmp_path):
    code, text, _ = build(tmp_path, randomize(_separable(None), 12, 0.5), "sep")
    assert code == 2 and "'sep' (QSeparableConv2D): pointwise_quantizer" in text and "Traceback" not in text, text


def po2_mlp():
    """QKeras' po2 examples' QDense(kernel_quantizer=quantized_po2(4, 1)) after a quantized_relu(6, 2) (4 fractional
    bits), with a quantized_bits bias: kernel exponents down to 2**-7."""
    from qkeras import QActivation, QDense
    from qkeras.quantizers import quantized_bits, quantized_po2

    keras = keras_env.keras()
    b = quantized_bits(6, 2, 1, alpha=1)
    xi = keras.Input((16,))
    x = QDense(16, kernel_quantizer=quantized_po2(4, 1), bias_quantizer=b, name="d0")(xi)
    x = QActivation("quantized_relu(6, 2)", name="a0")(x)
    return randomize(keras.Model(xi, QDense(5, kernel_quantizer=quantized_po2(4, 1), bias_quantizer=b, name="d1")(x)),
                     9, 0.5)  # fmt: skip


def test_po2_exponent_is_wide_enough_for_the_products(tmp_path):
    """hls4ml's weight_exponential product shifts the input in ap_fixed<2(E+W), E+W>: E (the exponent's width) was
    the quantizer's 4 bits, so a 4-fractional-bit input times 2**-7 (11 bits) lost one; E is now at least 7."""
    import tensorflow as tf

    from codesign.exact_types import po2_exponents

    model = po2_mlp()
    d1 = model.get_layer("d1")
    emin, _ = po2_exponents(np.asarray(d1.kernel_quantizer_internal(tf.constant(d1.get_weights()[0]))))
    assert emin == -7
    graph = _convert(model, tmp_path)
    width = graph.graph["d1"].weights["weight"].type.precision.width
    assert width == 7 and 4 - emin > 4 + 6  # the old product type had E + W = 4 + 6 fractional bits, 11 needed


@pytest.mark.slow
@needs_gxx
def test_po2_mlp_builds_bit_exact_and_matches_qkeras(tmp_path):
    """It was exit 3, "bit-exact: NO (73 of 200 differ)", max |diff| 2**-11. QKeras' own predict (float32: its po2
    quantizer does not run in float64; the 19-bit sums fit) equals the C-simulation."""
    fw = build_check_and_match_qkeras(tmp_path, po2_mlp(), "po2", float64=False)
    assert np.std(fw) > 0


def muon_regression():
    """An L1 muon pT regression (EMTF-style Dense stack) in QKeras: QDense with alpha left out -> QBatchNormalization
    -> quantized_tanh(8), three times, then a 1-wide QDense."""
    from qkeras import QActivation, QBatchNormalization, QDense
    from qkeras.quantizers import quantized_bits

    keras = keras_env.keras()
    x = xi = keras.Input((23,))
    for i, n in enumerate((20, 15, 10)):
        x = QDense(n, kernel_quantizer=quantized_bits(8, 0, 1), bias_quantizer=quantized_bits(8, 0, 1), name=f"d{i}")(x)
        x = QActivation("quantized_tanh(8)", name=f"t{i}")(QBatchNormalization(name=f"bn{i}")(x))
    x = QDense(1, kernel_quantizer=quantized_bits(10, 3, 1), bias_quantizer=quantized_bits(10, 3, 1), name="pt")(x)
    return randomize(keras.Model(xi, x), 17, 0.3)


def auto_po2_then_dense():
    """QDense with alpha left out straight into a QDense (no activation between): the second sums the scaled values."""
    from qkeras import QDense
    from qkeras.quantizers import quantized_bits

    keras = keras_env.keras()
    xi = keras.Input((12,))
    x = QDense(8, kernel_quantizer=quantized_bits(6, 0, 1), bias_quantizer=quantized_bits(6, 0, 1), name="d0")(xi)
    q = quantized_bits(6, 0, 1, alpha=1)
    return randomize(keras.Model(xi, QDense(3, kernel_quantizer=q, bias_quantizer=q, name="d1")(x)), 22, 0.5)


def test_scale_layer_typed_exactly_before_the_layers_after_it_are_inferred(tmp_path):
    """hls4ml 1.3 gave the ApplyAlpha 'd0_alpha' its default ap_fixed<16,6> and inferred the layers after it from that
    (codesign's build leaves their types 'auto'); now its type, in hls4ml's own inference, holds d0's sum times QKeras'
    scales (exponents from QKeras' quantizer) plus the bias."""
    import tensorflow as tf

    from codesign.exact_types import po2_accum, po2_exponents
    from codesign.precision import FixedPrecision

    model = auto_po2_then_dense()
    d0 = model.get_layer("d0")
    kq = d0.kernel_quantizer_internal
    kq(tf.constant(d0.get_weights()[0]))  # QKeras sets its per-channel scale on a call
    emin, emax = po2_exponents(np.asarray(kq.scale))
    graph = _convert(model, tmp_path)

    def p(node, key="result_t"):
        return FixedPrecision.parse(str(graph.graph[node].types[key].precision))

    expected = po2_accum(p("d0"), emin, emax, 1, p("d0_alpha", "bias_t"))
    assert p("d0_alpha") == expected and expected.fractional > 10  # not the default ap_fixed<16,6>


@pytest.mark.slow
@needs_gxx
@pytest.mark.parametrize("which", ["muon_regression", "auto_po2_then_dense"])
def test_layers_after_the_scale_build_bit_exact(tmp_path, which):
    """The muon regression was exit 3, "bit-exact: NO (71 of 200 differ)" while hls4ml folded the scales into the
    BatchNormalizations, then 1 of 200 (max |diff| 1.6e-4: each BatchNormalization typed from the scale's default
    type); QDense -> QDense was exit 3, 199 of 200 differ (max |diff| 1.9e-4)."""
    code, text, out = build(tmp_path, globals()[which](), which)
    assert code == 0 and "bit-exact: yes" in text, text[-3000:]
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]


def auto_po2_relu_then_dense():
    """QDense (alpha left out, its own quantized_relu) -> QDense: hls4ml traces 'd0' (the unscaled sum, no bias),
    'd0_alpha' (scale and bias), 'd0_quantized_relu', 'd1'."""
    from qkeras import QDense
    from qkeras.quantizers import quantized_bits

    keras = keras_env.keras()
    xi = keras.Input((12,))
    x = QDense(8, kernel_quantizer=quantized_bits(6, 0, 1), bias_quantizer=quantized_bits(6, 0, 1),
               activation="quantized_relu(8, 3)", name="d0")(xi)  # fmt: skip
    q = quantized_bits(6, 0, 1, alpha=1)
    return randomize(keras.Model(xi, QDense(3, kernel_quantizer=q, bias_quantizer=q, name="d1")(x)), 23, 0.1)


def test_per_layer_reference_splits_the_scale_as_hls4ml_does(tmp_path):
    """The per-layer reference holds 'd0' as hls4ml computes it (the inputs times hls4ml's own unscaled kernel, no
    bias) and 'd0_alpha' as the model's scaled sum plus bias; computed apart from hls4ml, equal to it exactly."""
    from codesign import compare
    from codesign.firmware.layers import reference_layers
    from codesign.precision import FixedPrecision

    model = auto_po2_relu_then_dense()
    graph = _convert(model, tmp_path)
    x = compare.grid_inputs(FixedPrecision.parse("ap_fixed<16,6>"), (12,), 64, seed=3)
    ref = reference_layers(model, x)
    kernel = np.asarray(graph.graph["d0"].weights["weight"].data, np.float64).reshape(12, 8)
    assert not np.any(graph.graph["d0"].weights["bias"].data)  # hls4ml moved the bias to d0_alpha
    np.testing.assert_array_equal(ref["d0"], x @ kernel)
    scale = np.asarray(graph.graph["d0_alpha"].weights["scale"].data, np.float64).ravel()
    bias = np.asarray(graph.graph["d0_alpha"].weights["bias"].data, np.float64).ravel()
    assert np.any(scale != 1)  # a scale that is not 1: the two names hold different values
    np.testing.assert_array_equal(ref["d0_alpha"], x @ kernel * scale + bias)
    assert set(ref) >= {"d0", "d0_alpha", "d0_quantized_relu", "d1"}


def _check_trace(out):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "codesign.cli", "check", str(out), "--n", "30", "--trace"],
                          capture_output=True, text=True)  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
@needs_gxx
def test_trace_compares_the_scale_layer_with_its_like(tmp_path):
    """`check --trace` on a bit-exact auto_po2 model said "first layer that differs: layer 'd0' ... 61 of 61 traced
    samples differ" (hls4ml's unscaled sum against the reference's scaled one); now every layer is equal. With a
    weight of 'd1' (after the scale) moved, the trace names 'd1', 'd0' and 'd0_alpha' equal."""
    import re

    code, text, out = build(tmp_path, auto_po2_relu_then_dense(), "po2relu")
    assert code == 0 and "bit-exact: yes" in text, text[-3000:]
    code, text = _check_trace(out)
    assert code == 0 and "trace: no traced layer differs from the reference" in text, text[-3000:]
    for name in ("d0", "d0_alpha", "d0_quantized_relu", "d1"):
        assert re.search(rf"layer '{name}' \(.*\): equal on \d+ traced samples", text), text[-3000:]

    weights = out / "hls" / "firmware" / "weights"
    last = max(weights.glob("w*.h"), key=lambda p: int(p.stem[1:]))  # d1's kernel
    body = last.read_text()
    m = re.search(r"#else\s*\n[^=]*=\s*\{\s*([^,]+),", body)
    old = float(m.group(1))
    last.write_text(body[: m.start(1)] + f"{old - 0.5 if old >= 0 else old + 0.5:.6f}" + body[m.end(1) :])
    code, text = _check_trace(out)
    assert code == 1, text[-3000:]
    assert "first layer that differs: layer 'd1' (" in text, text[-3000:]
    for name in ("d0", "d0_alpha", "d0_quantized_relu"):
        assert re.search(rf"layer '{name}' \(.*\): equal on \d+ traced samples", text), text[-3000:]
