"""The emulator's Conv2D, pooling and zero-padding kernels.

Fast: each kernel against an independent transliteration of hls4ml's C++ loops (``nnet_pooling.h``'s
``pooling2d_cl``/``pooling1d_cl``, a direct convolution loop) in float64 with :meth:`FixedPrecision.quantize`
for every ``ap_fixed`` assignment, on types that round, saturate and wrap. Slow: float CNNs converted with
hls4ml and built with g++, emulator == C-simulation bit for bit.
"""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim  # noqa: E402
from codesign.firmware import emulator, fixed, profile  # noqa: E402
from codesign.firmware.description import FirmwareDescription, LayerDesc  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests import hls_models  # noqa: E402

P = FixedPrecision.parse
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


def _run(layer: LayerDesc, in_type: FixedPrecision, in_shape: tuple[int, ...], x: np.ndarray) -> np.ndarray:
    """The emulator on a two-layer firmware: an input of ``in_type`` and ``layer``; float64 outputs."""
    inp = LayerDesc("x", "Input", ("input",), "x", in_shape, {"result": in_type})
    desc = FirmwareDescription((inp, layer), ("x",), (layer.name,))
    return emulator.emulate_layers(desc, x)[layer.name]


def _on_grid(rng, p: FixedPrecision, shape, spread: float = 1.5) -> np.ndarray:
    """Values of ``p`` (codes drawn over ``spread`` times its range, then cast)."""
    lo, hi = fixed.code_range(p)
    codes = rng.integers(int(lo * spread) - 1, int(hi * spread) + 2, size=shape)
    return p.quantize(codes * p.lsb)


# ---------------------------------------------------------------------------------------------- C++ loops in float64
def _pool2d_loops(x, xp, ap, rp, op, pool, stride, pads, outs, count_pad=False):
    """``pooling2d_cl`` as written in nnet_pooling.h, one sample at a time, every assignment through quantize."""
    n, h, w, ch = x.shape
    (pt, pb), (pl, pr) = pads
    ph, pw = pool
    pad_max = (-(2.0 ** (xp.width - 1)) if xp.signed else 2.0 ** (xp.width - 1)) * xp.lsb  # bit W-1 set
    res = np.zeros((n, *outs, ch))
    rest_h = (h + pt + pb - ph) // stride[0] * stride[0] + 1
    rest_w = (w + pl + pr - pw) // stride[1] * stride[1] + 1
    for s, ff in itertools.product(range(n), range(ch)):
        for ii in range(0, rest_h, stride[0]):
            for jj in range(0, rest_w, stride[1]):
                pool_cells, overlap = [], 0
                for kk, ll in itertools.product(range(ph), range(pw)):
                    if pt <= ii + kk < h + pt and pl <= jj + ll < w + pl:
                        pool_cells.append(x[s, ii + kk - pt, jj + ll - pl, ff])
                        overlap += 1
                    else:
                        pool_cells.append(pad_max if op == "max" else 0.0)
                length = ph * pw if count_pad else overlap
                if op == "max":
                    y = ap.quantize(max(pool_cells))
                else:
                    y = 0.0
                    for c in pool_cells:
                        y = float(ap.quantize(y + c))
                    y = float(ap.quantize(np.trunc(y / ap.lsb / length) * ap.lsb))
                res[s, ii // stride[0], jj // stride[1], ff] = rp.quantize(y)
    return res


def _conv2d_direct(x, w, b, wp, ap, rp, stride, pads):
    """A direct convolution: every product cast to accum_t, added from the bias in (row, column, channel) order."""
    n, h, wd, ch = x.shape
    fh, fw, _, nf = w.shape
    xp_ = np.pad(x, ((0, 0), *pads, (0, 0)))
    oh = (h + sum(pads[0]) - fh) // stride[0] + 1
    ow = (wd + sum(pads[1]) - fw) // stride[1] + 1
    out = np.zeros((n, oh, ow, nf))
    for s, i, j, f in itertools.product(range(n), range(oh), range(ow), range(nf)):
        acc = float(ap.quantize(b[f]))
        for r, c, k in itertools.product(range(fh), range(fw), range(ch)):
            acc = float(
                ap.quantize(acc + float(ap.quantize(xp_[s, i * stride[0] + r, j * stride[1] + c, k] * w[r, c, k, f])))
            )
        out[s, i, j, f] = rp.quantize(acc)
    return out


def _pool_layer(kind, op, in_shape, pool, stride, pads, outs, ap, rp, count_pad=False):
    h, w, ch = in_shape
    attrs = {"pool_op": op.capitalize(), "n_filt": ch, "count_pad": count_pad, "in_height": h, "in_width": w,
             "pool_height": pool[0], "pool_width": pool[1], "stride_height": stride[0], "stride_width": stride[1],
             "out_height": outs[0], "out_width": outs[1], "pad_top": pads[0][0], "pad_bottom": pads[0][1],
             "pad_left": pads[1][0], "pad_right": pads[1][1]}  # fmt: skip
    return LayerDesc("pool", kind, ("x",), "pool", (*outs, ch), {"accum": ap, "result": rp}, attrs=attrs)


POOL_CASES = [
    # op, input type, accum, result, pool, stride, pads, count_pad
    ("max", "ap_fixed<8,3>", "ap_fixed<8,3>", "ap_fixed<6,2,AP_RND,AP_SAT>", (2, 2), (2, 2), ((0, 0), (0, 0)), False),
    ("max", "ap_ufixed<6,2>", "ap_ufixed<6,2>", "ap_ufixed<6,2>", (3, 3), (2, 2), ((1, 1), (1, 1)), False),
    ("max", "ap_fixed<7,2,AP_RND,AP_SAT_SYM>", "ap_fixed<9,4>", "ap_fixed<5,1,AP_RND_CONV,AP_WRAP>", (2, 3), (1, 2),
     ((0, 1), (1, 1)), False),
    ("average", "ap_fixed<8,3>", "ap_fixed<10,5>", "ap_fixed<8,3>", (2, 2), (2, 2), ((0, 0), (0, 0)), False),
    ("average", "ap_fixed<10,3>", "ap_fixed<7,3,AP_RND,AP_SAT>", "ap_fixed<6,2,AP_RND_CONV,AP_SAT>", (3, 3),
     (1, 1), ((1, 1), (1, 1)), False),
    ("average", "ap_ufixed<8,2>", "ap_fixed<9,3,AP_TRN,AP_WRAP>", "ap_fixed<12,3>", (3, 2), (2, 1), ((1, 1), (0, 1)),
     True),
]  # fmt: skip


@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_pool2d_equals_the_cpp_loops(case):
    """Max/average Pooling2D with padding (pad_val, the divisor of the cells inside), narrow accumulators."""
    op, xt, at, rt, pool, stride, pads, count_pad = POOL_CASES[case]
    xp, ap, rp = P(xt), P(at), P(rt)
    rng = np.random.default_rng(case)
    in_shape = (5, 6, 3)
    outs = tuple((s + sum(p) - k) // st + 1 for s, p, k, st in zip(in_shape[:2], pads, pool, stride, strict=True))
    x = _on_grid(rng, xp, (40, *in_shape))
    layer = _pool_layer("Pooling2D", op, in_shape, pool, stride, pads, outs, ap, rp, count_pad)
    got = _run(layer, xp, in_shape, x)
    want = _pool2d_loops(x, xp, ap, rp, op, pool, stride, pads, outs, count_pad)
    np.testing.assert_array_equal(got, want)
    assert np.std(got) > 0


@pytest.mark.parametrize("op", ["max", "average"])
def test_pool1d_and_global_pooling_equal_the_2d_loops(op):
    """Pooling1D is the 2-D loop on a height-1 image; GlobalPooling2D/1D the loop with one image-sized window."""
    xp, ap, rp = P("ap_fixed<9,3>"), P("ap_fixed<8,4,AP_RND,AP_SAT>"), P("ap_fixed<7,2,AP_RND,AP_SAT>")
    rng = np.random.default_rng(7)
    x = _on_grid(rng, xp, (30, 7, 2))
    attrs = {"pool_op": op.capitalize(), "n_in": 7, "n_filt": 2, "pool_width": 3, "stride_width": 2, "n_out": 4,
             "pad_left": 1, "pad_right": 1}  # fmt: skip
    layer = LayerDesc("p1", "Pooling1D", ("x",), "p1", (4, 2), {"accum": ap, "result": rp}, attrs=attrs)
    want = _pool2d_loops(x[:, None], xp, ap, rp, op, (1, 3), (1, 2), ((0, 0), (1, 1)), (1, 4))[:, 0]
    np.testing.assert_array_equal(_run(layer, xp, (7, 2), x), want)
    x2 = _on_grid(rng, xp, (30, 3, 4, 2))
    attrs = {"pool_op": op.capitalize(), "in_height": 3, "in_width": 4, "n_filt": 2}
    glob = LayerDesc("g", "GlobalPooling2D", ("x",), "g", (2,), {"accum": ap, "result": rp}, attrs=attrs)
    want = _pool2d_loops(x2, xp, ap, rp, op, (3, 4), (3, 4), ((0, 0), (0, 0)), (1, 1)).reshape(30, 2)
    np.testing.assert_array_equal(_run(glob, xp, (3, 4, 2), x2), want)
    attrs = {"pool_op": op.capitalize(), "n_in": 12, "n_filt": 2}
    glob1 = LayerDesc("g1", "GlobalPooling1D", ("x",), "g1", (2,), {"accum": ap, "result": rp}, attrs=attrs)
    np.testing.assert_array_equal(_run(glob1, xp, (12, 2), x2.reshape(30, 12, 2)), want)


CONV_CASES = [
    # input, weight, accum, result, kernel, stride, pads
    ("ap_fixed<8,3>", "ap_fixed<6,1>", "ap_fixed<24,10>", "ap_fixed<12,5,AP_RND,AP_SAT>", (3, 3), (1, 1), ((1, 1), (1, 1))),
    ("ap_fixed<8,3>", "ap_fixed<6,1>", "ap_fixed<9,3,AP_RND_CONV,AP_SAT>", "ap_fixed<7,2,AP_TRN,AP_WRAP>", (2, 3),
     (2, 1), ((0, 1), (1, 1))),
    ("ap_ufixed<6,2>", "ap_fixed<5,1>", "ap_fixed<8,3,AP_TRN,AP_WRAP>", "ap_ufixed<6,2,AP_RND,AP_SAT>", (3, 2), (1, 2),
     ((0, 0), (0, 0))),
]  # fmt: skip


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv2d_equals_a_direct_convolution(case):
    """Conv2D windows (padding, strides) and the dense arithmetic against a direct loop, accumulators that
    saturate or wrap at every step included."""
    xt, wt, at, rt, kernel, stride, pads = CONV_CASES[case]
    xp, wp, ap, rp = P(xt), P(wt), P(at), P(rt)
    rng = np.random.default_rng(10 + case)
    h, w, ch, nf = 5, 6, 2, 3
    x = _on_grid(rng, xp, (12, h, w, ch))
    wv = _on_grid(rng, wp, (*kernel, ch, nf), spread=1.0)
    bv = _on_grid(rng, wp, (nf,), spread=1.0)
    oh = (h + sum(pads[0]) - kernel[0]) // stride[0] + 1
    ow = (w + sum(pads[1]) - kernel[1]) // stride[1] + 1
    attrs = {"in_height": h, "in_width": w, "n_chan": ch, "n_filt": nf, "filt_height": kernel[0],
             "filt_width": kernel[1], "stride_height": stride[0], "stride_width": stride[1], "out_height": oh,
             "out_width": ow, "pad_top": pads[0][0], "pad_bottom": pads[0][1], "pad_left": pads[1][0],
             "pad_right": pads[1][1], "strategy": "latency"}  # fmt: skip
    weights = {"weight": fixed.from_float(wv, wp), "bias": fixed.from_float(bv, wp)}
    types = {"accum": ap, "result": rp, "weight": wp, "bias": wp}
    layer = LayerDesc("conv", "Conv2D", ("x",), "conv", (oh, ow, nf), types, weights, attrs)
    got = _run(layer, xp, (h, w, ch), x)
    np.testing.assert_array_equal(got, _conv2d_direct(x, wv, bv, wp, ap, rp, stride, pads))
    assert np.std(got) > 0


def test_zero_padding_casts_and_pads():
    """ZeroPadding2D: zeros around the input cast to its result type."""
    xp, rp = P("ap_fixed<10,4>"), P("ap_fixed<6,2,AP_RND,AP_SAT>")
    x = _on_grid(np.random.default_rng(3), xp, (8, 3, 2, 2))
    attrs = {"in_height": 3, "in_width": 2, "n_chan": 2, "out_height": 6, "out_width": 3, "pad_top": 1,
             "pad_bottom": 2, "pad_left": 0, "pad_right": 1}  # fmt: skip
    layer = LayerDesc("zp", "ZeroPadding2D", ("x",), "zp", (6, 3, 2), {"result": rp}, attrs=attrs)
    want = np.pad(rp.quantize(x), ((0, 0), (1, 2), (0, 1), (0, 0)))
    np.testing.assert_array_equal(_run(layer, xp, (3, 2, 2), x), want)


def test_pooling_mismatched_output_size_is_refused():
    """A pooling layer whose output size does not follow from its input, pool and stride is refused by name."""
    p = P("ap_fixed<8,3>")
    layer = _pool_layer("Pooling2D", "max", (4, 4, 1), (2, 2), (2, 2), ((0, 0), (0, 0)), (3, 2), p, p)
    with pytest.raises(fixed.EmulationError, match="layer 'pool': 3 outputs"):
        _run(layer, p, (4, 4, 1), np.zeros((2, 4, 4, 1)))


# ---------------------------------------------------------------------------------------------- io_stream kernels
def _reduce_loops(cells, ap):
    """``nnet::reduce<accum_t, N, Op_add>`` as written in nnet_common.h (leftN = pow2(floorlog2(N - 1)))."""
    if len(cells) == 1:
        return cells[0]
    if len(cells) == 2:
        return float(ap.quantize(cells[0] + cells[1]))
    left = 2 ** int(np.floor(np.log2(len(cells) - 1)))
    return float(ap.quantize(_reduce_loops(cells[:left], ap) + _reduce_loops(cells[left:], ap)))


def _stream_pool_loops(x, ap, rp, op, pool):
    """``compute_pool_buffer_2d``'s arithmetic per window: cells assigned to accum_t, reduce_pool, ``sum / N``."""
    n, h, w, ch = x.shape
    ph, pw = pool
    res = np.zeros((n, h // ph, w // pw, ch))
    for s, i, j, c in itertools.product(range(n), range(h // ph), range(w // pw), range(ch)):
        cells = [float(ap.quantize(x[s, i * ph + k, j * pw + m, c])) for k in range(ph) for m in range(pw)]
        if op == "max":
            y = max(cells)
        else:
            y = float(ap.quantize(np.trunc(_reduce_loops(cells, ap) / ap.lsb / len(cells)) * ap.lsb))
        res[s, i, j, c] = rp.quantize(y)
    return res


def _stream_global_loops(x, ap, rp, op):
    """``global_pooling2d_cl`` for streams: a running max/sum in accum_t over the pixels, then ``/ (H * W)``."""
    n, h, w, ch = x.shape
    res = np.zeros((n, ch))
    for s, c in itertools.product(range(n), range(ch)):
        y = -(2.0 ** (ap.width - 1)) * ap.lsb if op == "max" else 0.0  # hls::numeric_limits<accum_t>::min()
        for i, j in itertools.product(range(h), range(w)):
            v = float(ap.quantize(x[s, i, j, c]))
            y = (y if y > v else v) if op == "max" else float(ap.quantize(y + v))
        if op == "average":
            y = float(ap.quantize(np.trunc(y / ap.lsb / (h * w)) * ap.lsb))
        res[s, c] = rp.quantize(y)
    return res


def _stream_desc(layer: LayerDesc, in_type: FixedPrecision, in_shape: tuple[int, ...]) -> FirmwareDescription:
    inp = LayerDesc("x", "Input", ("input",), "x", in_shape, {"result": in_type})
    return FirmwareDescription((inp, layer), ("x",), (layer.name,), io_type="io_stream")


@pytest.mark.parametrize("op", ["max", "average"])
@pytest.mark.parametrize("pool", [(2, 2), (3, 1), (1, 5)])
def test_stream_pooling_equals_the_cpp_loops(op, pool):
    """io_stream Pooling2D and GlobalPooling2D: cells rounded to a coarser, saturating accum_t, tree sums."""
    xp, ap, rp = P("ap_fixed<10,3>"), P("ap_fixed<7,3,AP_RND,AP_SAT>"), P("ap_fixed<6,2,AP_RND_CONV,AP_SAT>")
    rng = np.random.default_rng(sum(pool))
    in_shape = (6, 5, 2)
    x = _on_grid(rng, xp, (25, *in_shape))
    outs = (in_shape[0] // pool[0], in_shape[1] // pool[1])
    layer = _pool_layer("Pooling2D", op, in_shape, pool, pool, ((0, 0), (0, 0)), outs, ap, rp)
    x_used = x[:, : outs[0] * pool[0], : outs[1] * pool[1]]
    got = emulator.emulate_layers(_stream_desc(layer, xp, in_shape), x)["pool"]
    np.testing.assert_array_equal(got, _stream_pool_loops(x_used, ap, rp, op, pool))
    attrs = {"pool_op": op.capitalize(), "in_height": 6, "in_width": 5, "n_filt": 2}
    glob = LayerDesc("g", "GlobalPooling2D", ("x",), "g", (2,), {"accum": ap, "result": rp}, attrs=attrs)
    got = emulator.emulate_layers(_stream_desc(glob, xp, in_shape), x)["g"]
    np.testing.assert_array_equal(got, _stream_global_loops(x, ap, rp, op))


def test_stream_refusals_name_the_layer():
    """io_stream: a padded or overlapping pooling, and an activation whose stream kernel is not emulated, are
    refused by name."""
    p = P("ap_fixed<8,3>")
    layer = _pool_layer("Pooling2D", "max", (4, 4, 1), (3, 3), (1, 1), ((1, 1), (1, 1)), (4, 4), p, p)
    with pytest.raises(fixed.EmulationError, match="layer 'pool' .*io_stream pooling with padding"):
        emulator.emulate(_stream_desc(layer, p, (4, 4, 1)), np.zeros((2, 16)))
    sig = LayerDesc("sig", "Activation", ("x",), "sig", (4,), {"result": p}, attrs={"activation": "selu"})
    with pytest.raises(fixed.EmulationError, match="layer 'sig': activation 'selu' in io_stream"):
        emulator.emulate(_stream_desc(sig, p, (4,)), np.zeros((2, 4)))
    # an io_stream BatchNormalization is emulated (tests/test_foreign_hls4ml_suite2.py); without its scale type the
    # kernel names the layer
    bn = LayerDesc("bn", "BatchNormalization", ("x",), "bn", (4,), {"result": p})
    with pytest.raises(fixed.EmulationError, match="layer 'bn' \\(BatchNormalization\\): its scale type is missing"):
        emulator.emulate(_stream_desc(bn, p, (4,)), np.zeros((2, 4)))


# ---------------------------------------------------------------------------------------------- against C-simulation
def float_cnn2d(seed: int = 21):
    """Float Conv2D 'same' -> ReLU -> MaxPool 2x2 -> Conv2D 2x2 -> ReLU -> AvgPool 3x3 'same' (6 or 4 cells
    inside: a divisor that is not a power of two) -> Conv2D 1x1 -> ReLU -> GlobalAveragePooling2D -> Dense; and
    GlobalMaxPooling2D into a second head."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((8, 6, 2), name="image")
    x = L.Conv2D(4, (3, 3), padding="same", activation="relu", name="conv_a")(inp)
    x = L.MaxPooling2D((2, 2), name="maxpool")(x)  # (4, 3, 4)
    x = L.Conv2D(3, (2, 2), activation="relu", name="conv_b")(x)  # (3, 2, 3)
    x = L.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name="avgpool")(x)
    x = L.Conv2D(3, (1, 1), activation="relu", name="conv_c")(x)
    a = L.Dense(3, name="head_a")(L.GlobalAveragePooling2D(name="gap")(x))
    b = L.Dense(2, name="head_b")(L.GlobalMaxPooling2D(name="gmp")(x))
    model = keras.Model(inp, [a, b], name="float_cnn2d")
    hls_models.randomize_trainable(model, seed)
    return model


def float_cnn1d(seed: int = 22):
    """Float Conv1D tagger: Conv1D 'same' -> ReLU -> MaxPooling1D 'same' (a padded cell) -> Conv1D ->
    AveragePooling1D 3 'same' -> Dense."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((11, 3), name="seq")
    x = L.Conv1D(4, 3, padding="same", activation="relu", name="conv_a")(inp)
    x = L.MaxPooling1D(2, padding="same", name="maxpool")(x)  # (6, 4)
    x = L.Conv1D(3, 2, name="conv_b")(x)  # (5, 3)
    x = L.AveragePooling1D(3, strides=2, padding="same", name="avgpool")(x)  # (3, 3)
    x = L.Dense(3, name="logits")(L.Flatten(name="flat")(x))
    model = keras.Model(inp, x, name="float_cnn1d")
    hls_models.randomize_trainable(model, seed)
    return model


# codesign gives pooling layers their own exact types (hls.config._fix_pooling); narrow types go before them: an
# unsigned ReLU result makes max pooling pad with hls4ml's pad_val (the code 2**(W-1), mid-range) where Keras pads
# with -inf, and the convolution's accumulator saturates or wraps
NARROW = {
    "conv_a": {"Precision": {"accum": "ap_fixed<14,5,AP_RND,AP_SAT>", "result": "ap_fixed<10,4,AP_RND_CONV,AP_WRAP>"}},
    "conv_a_relu": {"Precision": {"result": "ap_ufixed<7,3,AP_RND,AP_SAT>"}},
}  # fmt: skip


@needs_gxx
@pytest.mark.slow
@pytest.mark.parametrize("narrow", [False, True], ids=["default_types", "narrow_types"])
@pytest.mark.parametrize("which", ["cnn2d", "cnn1d"])
def test_float_cnn_emulator_equals_csim(tmp_path, which, narrow):
    """Float CNNs at hls4ml's types (and with narrow pooling/conv types that round and saturate): emulator
    == g++ C-simulation on every output, and the overflow profile runs."""
    model = float_cnn2d() if which == "cnn2d" else float_cnn1d()
    project = hls_models.convert(model, tmp_path, layer_overrides=NARROW if narrow else None)
    csim.build_testbench(project)
    desc = project.firmware_description()
    kinds = {lyr.kind for lyr in desc.layers}
    assert ({"Conv2D", "Pooling2D", "GlobalPooling2D"} if which == "cnn2d" else {"Conv1D", "Pooling1D"}) <= kinds
    shape = tuple(model.inputs[0].shape[1:])
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, shape, 1500, seed=8)
    x[750:] = np.clip(x[750:], -2, 2)
    emu = emulator.emulate(desc, x)
    fw = csim.run_csim(project, x)
    emus, fws = (emu, fw) if isinstance(fw, list) else ([emu], [fw])
    for e, f in zip(emus, fws, strict=True):
        np.testing.assert_array_equal(e, f)
        assert np.std(f) > 0
    rows = profile.profile(desc, x)
    assert {r.layer for r in rows} >= {"conv_a", "maxpool", "avgpool"}
    if narrow:  # the narrow types reached the firmware, and its values do overflow them
        assert desc.layer("maxpool").type("result") == FixedPrecision.parse("ap_ufixed<7,3,AP_RND,AP_SAT>")
        assert {r.layer for r in rows if r.n_overflow} & set(NARROW)


def stream_cnn2d(seed: int = 23):
    """For io_stream (pools with strides equal to their size): Conv2D 'same' (hls4ml inserts a ZeroPadding2D) ->
    ReLU -> MaxPool 2x2 -> Conv2D 2x2 -> ReLU -> AvgPool (3, 1) -> Conv2D 1x1 -> ReLU -> a Clone into
    GlobalAveragePooling2D -> Dense and GlobalMaxPooling2D -> Dense."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((8, 6, 2), name="image")
    x = L.Conv2D(4, (3, 3), padding="same", activation="relu", name="conv_a")(inp)
    x = L.MaxPooling2D((2, 2), name="maxpool")(x)  # (4, 3, 4)
    x = L.Conv2D(3, (2, 2), activation="relu", name="conv_b")(x)  # (3, 2, 3)
    x = L.AveragePooling2D((3, 1), name="avgpool")(x)  # (1, 2, 3)
    x = L.Conv2D(3, (1, 1), activation="relu", name="conv_c")(x)
    a = L.Dense(3, name="head_a")(L.GlobalAveragePooling2D(name="gap")(x))
    b = L.Dense(2, name="head_b")(L.GlobalMaxPooling2D(name="gmp")(x))
    model = keras.Model(inp, [a, b], name="stream_cnn2d")
    hls_models.randomize_trainable(model, seed)
    return model


def stream_cnn1d(seed: int = 24):
    """For io_stream: Conv1D 'same' -> ReLU -> MaxPooling1D 2 -> Conv1D 'same' -> ReLU -> AveragePooling1D 3 ->
    Flatten -> Dense."""
    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((12, 3), name="seq")
    x = L.Conv1D(4, 3, padding="same", activation="relu", name="conv_a")(inp)
    x = L.MaxPooling1D(2, name="maxpool")(x)  # (6, 4)
    x = L.Conv1D(3, 3, padding="same", activation="relu", name="conv_b")(x)  # (6, 3)
    x = L.AveragePooling1D(3, name="avgpool")(x)  # (2, 3)
    x = L.Dense(3, name="logits")(L.Flatten(name="flat")(x))
    model = keras.Model(inp, x, name="stream_cnn1d")
    hls_models.randomize_trainable(model, seed)
    return model


@needs_gxx
@pytest.mark.slow
@pytest.mark.parametrize("narrow", [False, True], ids=["default_types", "narrow_types"])
@pytest.mark.parametrize("which", ["cnn2d", "cnn1d"])
def test_stream_cnn_emulator_equals_csim(tmp_path, which, narrow):
    """The same for io_stream firmware (ZeroPadding and Clone layers, streaming pooling)."""
    model = stream_cnn2d() if which == "cnn2d" else stream_cnn1d()
    project = hls_models.convert(model, tmp_path, io_type="io_stream", layer_overrides=NARROW if narrow else None)
    csim.build_testbench(project)
    desc = project.firmware_description()
    assert desc.io_type == "io_stream"
    kinds = {lyr.kind for lyr in desc.layers}
    assert ({"ZeroPadding2D", "Clone", "GlobalPooling2D"} if which == "cnn2d" else {"ZeroPadding1D"}) <= kinds
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, tuple(model.inputs[0].shape[1:]), 1500, seed=9)
    x[750:] = np.clip(x[750:], -2, 2)
    emu = emulator.emulate(desc, x)
    fw = csim.run_csim(project, x)
    emus, fws = (emu, fw) if isinstance(fw, list) else ([emu], [fw])
    for e, f in zip(emus, fws, strict=True):
        np.testing.assert_array_equal(e, f)
        assert np.std(f) > 0
    assert {r.layer for r in profile.profile(desc, x)} >= {"conv_a", "maxpool", "avgpool"}
