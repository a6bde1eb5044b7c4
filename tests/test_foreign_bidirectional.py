"""Float Keras ``Bidirectional(LSTM/GRU)`` layers, checked bit for bit against codesign's fixed-point emulator.

Such a model built with "no reference (float model)" and `codesign check` exited 6 naming the layer. hls4ml 1.3
converts it for Vivado/Vitis in io_parallel (``bidirectional_stack`` in ``nnet_recurrent.h``, concatenation only):
the emulator now runs it (:func:`codesign.firmware.recurrent.bidirectional`), and what hls4ml does not convert as the
model computes is refused by name before training (merge_mode other than concat crashed the C-simulation).

Fast: the kernel against the C++ loop of ``bidirectional_stack`` written out here (its output indices) over the
float64 cell loops of ``tests/test_foreign_recurrent.py``; the refusals. Slow: float models converted by hls4ml and
compiled with g++, emulator == C-simulation on every output, and the check failing with another type.
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
from tests.test_foreign_recurrent import _grid, _recurrent_loop  # noqa: E402

P = FixedPrecision.parse
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
KEYS = ("weight", "recurrent_weight", "bias", "recurrent_bias")


def _bidirectional_loop(x, fwd, bwd, seq):
    """``bidirectional_stack``: both cells step by step (``fwd``/``bwd``: a function of the sequence giving every
    step's state), written to ``res`` at the C++ loop's indices."""
    n, n_t, _ = x.shape
    hf, hb = fwd(x), bwd(x[:, ::-1])  # the backward cell reads data[(n_sequence - iloop - 1) * n_in + j] at step iloop
    nf, nb = hf.shape[2], hb.shape[2]
    if not seq:
        res = np.zeros((n, nf + nb))
        res[:, :nf], res[:, nf:] = hf[:, -1], hb[:, -1]
        return res
    res = np.zeros((n, n_t * (nf + nb)))
    for iloop in range(n_t):
        res[:, (nf + nb) * iloop : (nf + nb) * iloop + nf] = hf[:, iloop]
        end = (nf + nb) * (n_t - iloop)
        res[:, end - nb : end] = hb[:, iloop]
    return res.reshape(n, n_t, nf + nb)


CASES = {
    # (forward (kind, units, activation), backward (kind, units, activation), return_sequences, input, accum, result)
    "lstm_lstm_seq": (("LSTM", 4, "tanh"), ("LSTM", 4, "tanh"), True, "ap_fixed<10,4>",
                      "ap_fixed<11,3,AP_RND,AP_SAT>", "ap_fixed<9,2,AP_RND_CONV,AP_WRAP>"),
    "gru_gru_last": (("GRU", 4, "tanh"), ("GRU", 4, "tanh"), False, "ap_fixed<16,6>", "ap_fixed<16,6>",
                     "ap_fixed<16,6>"),
    "lstm_gru_relu_seq": (("LSTM", 3, "tanh"), ("GRU", 5, "relu"), True, "ap_fixed<10,4>",
                          "ap_fixed<12,4,AP_RND,AP_SAT_SYM>", "ap_fixed<8,3,AP_TRN_ZERO,AP_WRAP>"),
    "gru_lstm_last": (("GRU", 5, "relu"), ("LSTM", 2, "tanh"), False, "ap_fixed<16,6>", "ap_fixed<14,5,AP_RND>",
                      "ap_fixed<12,4,AP_TRN,AP_SAT>"),
}  # fmt: skip


def _layer(case, rng, n_t=4, n_in=3, merge="concat"):
    fwd, bwd, seq, xp, ap, rp = CASES[case]
    xp, ap, rp, tp = P(xp), P(ap), P(rp), P("ap_fixed<10,2,AP_RND>")
    wp, bp = P("ap_fixed<8,2>"), P("ap_fixed<8,3>")
    types, weights, floats = {"accum": ap, "result": rp, "table": tp}, {}, {}
    attrs = {"n_timesteps": n_t, "n_in": n_in, "return_sequences": seq, "merge_mode": merge, "table_size": 256,
             "strategy": "latency", "static": True}  # fmt: skip
    for d, (kind, ns, act) in (("forward", fwd), ("backward", bwd)):
        g = ns * (4 if kind == "LSTM" else 3)
        vals = dict(zip(KEYS, (_grid(rng, wp, (n_in, g), 0.6), _grid(rng, wp, (ns, g), 0.6),
                               _grid(rng, bp, (g,), 0.3), _grid(rng, bp, (g,), 0.3)), strict=True))  # fmt: skip
        for k, v in vals.items():
            types[f"{d}_{k}"] = wp if "weight" in k else bp
            weights[f"{d}_{k}"] = fixed.from_float(v, types[f"{d}_{k}"])
        floats[d] = (kind, act, vals)
        attrs.update({f"{d}_class_name": kind, f"{d}_n_states": ns, f"{d}_activation": act,
                      f"{d}_recurrent_activation": "sigmoid"})  # fmt: skip
    n_out = fwd[1] + bwd[1]
    layer = LayerDesc("bi", "Bidirectional", ("x",), "bi", (n_t, n_out) if seq else (n_out,), types, weights, attrs)
    inp = LayerDesc("x", "Input", ("input",), "x", (n_t, n_in), {"result": xp})
    x = _grid(rng, xp, (60, n_t, n_in), 0.3)

    def cell(d):
        kind, act, v = floats[d]
        return lambda seqx: _recurrent_loop(kind, seqx, v["weight"], v["recurrent_weight"], v["bias"],
                                            v["recurrent_bias"], ap, rp, tp, 256, act, "sigmoid", True)  # fmt: skip

    return FirmwareDescription((inp, layer), ("x",), ("bi",)), x, cell("forward"), cell("backward"), seq


@pytest.mark.parametrize("case", sorted(CASES))
def test_bidirectional_kernel_equals_the_cpp_loop(case):
    """Each direction with its own cell kind, size, activation and weight types; narrow accum/result types that
    round, saturate and wrap; the last step and the whole sequence."""
    desc, x, fwd, bwd, seq = _layer(case, np.random.default_rng(sorted(CASES).index(case)))
    got = emulator.emulate_layers(desc, x)["bi"]
    want = _bidirectional_loop(x, fwd, bwd, seq)
    np.testing.assert_array_equal(got, want)
    assert np.std(got) > 0 and len(np.unique(got)) > 20
    # the backward half is not the forward cell's: the two halves of the output differ
    n_f = CASES[case][0][1]
    assert not np.array_equal(got[..., :n_f][..., :2], got[..., n_f:][..., :2])


def test_bidirectional_merge_mode_the_emulator_does_not_know_is_named():
    desc, x, *_ = _layer("gru_gru_last", np.random.default_rng(0), merge="sum")
    with pytest.raises(fixed.EmulationError, match=r"layer 'bi' \(Bidirectional\): merge_mode 'sum' is not emulated"):
        emulator.emulate(desc, x)


def float_bidirectional(kind: str, seq: bool, seed: int = 2, backward=None):
    """Input (5, 3) -> Bidirectional(LSTM/GRU(4)) (the last step, or every step then Flatten) -> Dense(3)."""
    from tests.foreign_helpers import randomize

    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((5, 3), name="x")
    cell = (L.LSTM if kind == "lstm" else L.GRU)(4, return_sequences=seq, name="rnn")
    h = L.Bidirectional(cell, backward_layer=backward, name="bi")(inp)
    h = L.Flatten(name="f")(h) if seq else h
    return randomize(keras.Model(inp, L.Dense(3, name="out")(h)), seed, scale=0.6)


# ---------------------------------------------------------------------------------------------- refused settings
REFUSED = [
    ("LSTM", {}, {"merge_mode": "sum"}, "merge_mode='sum': hls4ml 1.3's bidirectional_stack writes the concatenation"),
    ("GRU", {}, {"merge_mode": "ave"}, "merge_mode='ave'"),
    ("LSTM", {}, {"merge_mode": None}, "merge_mode=None"),
    ("LSTM", {"go_backwards": True}, {}, "a wrapped layer with go_backwards=True: hls4ml 1.3 runs it forward"),
    ("GRU", {"use_bias": False}, {}, "forward GRU use_bias=False, on which hls4ml 1.3's converter fails"),
    ("GRU", {"reset_after": False}, {}, "forward GRU reset_after=False"),
    ("LSTM", {"activation": "linear"}, {}, "forward LSTM activation='linear'"),
    ("SimpleRNN", {}, {}, "forward layer SimpleRNN: hls4ml 1.3's bidirectional_stack has LSTM and GRU cells only"),
]


@pytest.mark.parametrize("kind, kw, wrap, why", REFUSED)
def test_bidirectional_settings_hls4ml_does_not_convert_are_refused_by_name(kind, kw, wrap, why):
    """merge_mode='sum' crashed the C-simulation (exit -11: hls4ml sizes the output for one state and its C++ writes
    two); use_bias=False failed in hls4ml's converter."""
    import re

    from codesign import hls
    from codesign.errors import SpecError

    keras = keras_env.keras()
    inp = keras.Input((4, 2), name="x")
    layer = keras.layers.Bidirectional(getattr(keras.layers, kind)(3, name="rnn", **kw), name="bi", **wrap)
    out = layer(inp)
    out = out[0] if isinstance(out, list) else out
    model = keras.Model(inp, keras.layers.Dense(2, name="out")(out))
    with pytest.raises(SpecError, match=rf"m\.h5: layer\(s\) 'bi' \(Bidirectional, .*{re.escape(why)}") as err:
        hls.require_convertible(model, "m.h5")
    assert "Bidirectional of such layers with merge_mode='concat'" in str(err.value)


def test_bidirectional_in_io_stream_is_refused_before_training(tmp_path):
    """hls4ml 1.3's Vitis backend raised on it inside the conversion, after training."""
    from tests.foreign_helpers import build

    model = float_bidirectional("gru", False)
    code, text, _ = build(tmp_path, model, "bi", {"hls": {"io_type": "io_stream"}})
    assert code == 2 and "layer(s) 'bi' (Bidirectional): hls4ml 1.3 has no io_stream bidirectional_stack" in text, text[
        -2000:
    ]
    assert "train_float" not in text


def test_bidirectional_table_type_and_non_static_lstm_types_are_refused(tmp_path):
    """A table type was dropped without a word (its firmware kept ap_fixed<18,8>); Static false with an LSTM whose
    input, accum and result differ did not compile (g++: no matching dense<...>)."""
    from codesign.errors import SpecError
    from tests import hls_models

    model = float_bidirectional("lstm", False)
    with pytest.raises(SpecError, match=r"layer 'bi' \(Bidirectional\): Precision table ap_fixed<10,2> asked, but "
                                        r"hls4ml 1\.3 does not read"):  # fmt: skip
        hls_models.convert(model, tmp_path / "a", layer_overrides={"bi": {"Precision": {"table": "ap_fixed<10,2>"}}})
    narrow = {"Precision": {"accum": "ap_fixed<12,4>", "result": "ap_fixed<10,3>"}}
    with pytest.raises(SpecError, match=r"layer 'bi' \(Bidirectional, forward/backward LSTM\): Static false and its "
                                        r"types differ \(input ap_fixed<16,6>, accum ap_fixed<12,4>, result "
                                        r"ap_fixed<10,3>\)"):  # fmt: skip
        hls_models.convert(model, tmp_path / "b", layer_overrides={"bi": {**narrow, "Static": False}})
    project = hls_models.convert(model, tmp_path / "c", layer_overrides={"bi": narrow})  # static: compiles
    assert project.layer_precisions["bi"]["accum"] == P("ap_fixed<12,4>")


# ---------------------------------------------------------------------------------------------- g++ C-simulation
NARROW = {"Precision": {"accum": "ap_fixed<12,4,AP_RND,AP_SAT>", "result": "ap_fixed<10,3,AP_RND_CONV,AP_WRAP>"},
          "TableSize": 512}  # fmt: skip


def _backward_gru_relu(seq: bool):
    return keras_env.keras().layers.GRU(3, activation="relu", go_backwards=True, return_sequences=seq, name="rnn_b")


@needs_gxx
@pytest.mark.slow
@pytest.mark.parametrize(
    "kind, seq, narrow, static, backward",
    [("lstm", True, False, True, False), ("lstm", False, True, True, False), ("gru", True, True, True, False),
     ("gru", False, False, False, False), ("lstm", True, False, False, False), ("lstm", True, True, True, True),
     ("gru", False, True, True, True)],
)  # fmt: skip
def test_float_bidirectional_emulator_equals_csim(tmp_path, kind, seq, narrow, static, backward):
    """Emulator == g++ C-simulation on every output (narrow saturating/wrapping types, TableSize 512, Static false,
    a backward GRU of another size and activation); another accum or table type makes outputs differ."""
    from codesign import csim
    from tests import hls_models
    from tests.foreign_helpers import sequence_emulator_equals_csim

    model = float_bidirectional(kind, seq, backward=_backward_gru_relu(seq) if backward else None)
    overrides = {"bi": {**(NARROW if narrow else {}), **({} if static else {"Static": False})}}
    project = hls_models.convert(model, tmp_path, layer_overrides=overrides)
    assert f"use_static = {str(static).lower()};" in (tmp_path / "firmware" / "parameters.h").read_text()
    csim.build_testbench(project)
    desc = project.firmware_description()
    bi = desc.layer("bi")
    assert bi.kind == "Bidirectional" and bi.attrs["backward_class_name"] == ("GRU" if backward else kind.upper())
    if narrow:
        assert bi.types["accum"] == P(NARROW["Precision"]["accum"]) and bi.attrs["table_size"] == 512
    sequence_emulator_equals_csim(project, desc, bi, hls_models.INPUT_PRECISION)


@needs_gxx
@pytest.mark.slow
def test_float_bidirectional_model_is_proven_and_a_wrong_type_fails_the_check(tmp_path):
    """`codesign build` + `codesign check` of a float Bidirectional(GRU) model: bit-exact against the emulator (it
    exited 6 with no reference); handed another accum type, the same check says NOT bit-exact naming the layer."""
    from dataclasses import replace

    from codesign.firmware import description
    from tests.foreign_helpers import check, proven_against_emulator

    out = proven_against_emulator(tmp_path, float_bidirectional("gru", True, seed=4), "bigru")
    path = out / "hls" / description.FILE_NAME
    desc = description.FirmwareDescription.load(path)
    layers = tuple(replace(lyr, types={**lyr.types, "accum": P("ap_fixed<16,7>")}) if lyr.kind == "Bidirectional"
                   else lyr for lyr in desc.layers)  # fmt: skip
    replace(desc, layers=layers).save(path)
    code, text = check(out)
    assert code != 0 and "verdict: NOT bit-exact" in text, text[-3000:]
    assert "first layer that differs: layer 'bi'" in text, text[-3000:]
