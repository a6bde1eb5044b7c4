"""Float Keras LSTM and GRU layers, checked bit for bit against codesign's fixed-point emulator.

A float LSTM/GRU converted and C-simulated, but the emulator had no recurrent kernel: such a model built with "no
reference (float model)" and `codesign check` exited 6 naming the layer. The emulator now runs hls4ml 1.3's
``nnet_recurrent.h`` (:mod:`codesign.firmware.recurrent`).

Fast: the kernels against a transliteration of the C++ loops (``lstm_static`` / ``gru_static`` and
``nnet_dense_latency``), one assignment at a time in float64 through :meth:`FixedPrecision.quantize`, on types that
round, saturate and wrap. Slow: float models converted by hls4ml and compiled with g++, emulator == C-simulation on
every output (io_parallel and io_stream, last step and whole sequence, narrow types), and the check failing when the
emulator is handed another type than the firmware's.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign.firmware import emulator, fixed, tables  # noqa: E402
from codesign.firmware.description import FirmwareDescription, LayerDesc  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402

P = FixedPrecision.parse
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


# ---------------------------------------------------------------------------------------------- C++ loops in float64
def _dense_loop(x, w, b, ap):
    """``dense_latency`` with ``res_T = accum_t``: bias cast to accum_t, each product cast and added in input order."""
    n, (n_in, n_out) = x.shape[0], w.shape
    acc = np.tile(ap.quantize(b), (n, 1))
    for i in range(n_in):
        for j in range(n_out):
            acc[:, j] = ap.quantize(acc[:, j] + ap.quantize(x[:, i] * w[i, j]))
    return acc


def _act_loop(act, x, xp, to, table_t, size):
    """``nnet::sigmoid/tanh/relu<x_T, y_T>`` element by element: ``int(x * size / span)`` truncated toward zero."""
    if act == "relu":
        return to.quantize(np.where(x > 0, x, 0.0))
    span = 16 if act == "sigmoid" else 8
    table = (tables.sigmoid_table if act == "sigmoid" else tables.tanh_table)(size, table_t) * table_t.lsb
    out = np.empty_like(x)
    for k, v in np.ndenumerate(x):
        index = min(max(int(np.trunc(v * size / span)) + size // 2, 0), size - 1)
        out[k] = to.quantize(np.array([table[index]]))[0]
    return out


def _recurrent_loop(kind, x, w, wr, b, br, ap, rp, table_t, size, act, recr_act, seq):
    """``lstm_stack`` / ``gru_stack`` over float64 values, every assignment through quantize."""
    n, n_t, _ = x.shape
    ns = wr.shape[0]
    h, c = np.zeros((n, ns)), np.zeros((n, ns))
    outs = []
    for t in range(n_t):
        a, r = _dense_loop(x[:, t], w, b, ap), _dense_loop(h, wr, br, ap)
        if kind == "LSTM":
            ifo_idx = [*range(2 * ns), *range(3 * ns, 4 * ns)]
            ifo = _act_loop(recr_act, ap.quantize(a[:, ifo_idx] + r[:, ifo_idx]), ap, ap, table_t, size)
            g = _act_loop(act, ap.quantize(a[:, 2 * ns : 3 * ns] + r[:, 2 * ns : 3 * ns]), ap, ap, table_t, size)
            for j in range(ns):
                c[:, j] = rp.quantize(g[:, j] * ifo[:, j] + c[:, j] * ifo[:, ns + j])
            c_act = _act_loop(act, c, rp, ap, table_t, size)
            for j in range(ns):
                h[:, j] = rp.quantize(ifo[:, 2 * ns + j] * c_act[:, j])
        else:
            zr = _act_loop(recr_act, ap.quantize(a[:, : 2 * ns] + r[:, : 2 * ns]), ap, ap, table_t, size)
            state_h = ap.quantize(zr[:, ns:] * r[:, 2 * ns :])
            cand = _act_loop(act, ap.quantize(a[:, 2 * ns :] + state_h), ap, ap, table_t, size)
            for j in range(ns):
                h[:, j] = rp.quantize(cand[:, j] * (1 - zr[:, j]) + h[:, j] * zr[:, j])
        outs.append(h.copy())
    return np.stack(outs, axis=1) if seq else outs[-1]


def _grid(rng, p, shape, spread=1.5):
    lo, hi = fixed.code_range(p)
    return p.quantize(rng.integers(int(lo * spread) - 1, int(hi * spread) + 2, size=shape) * p.lsb)


CASES = {
    # (kind, return_sequences, activation, input type, accum, result, table)
    "lstm_default": ("LSTM", False, "tanh", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<18,8>"),
    "lstm_narrow_seq": ("LSTM", True, "tanh", "ap_fixed<10,4>", "ap_fixed<11,3,AP_RND,AP_SAT>",
                        "ap_fixed<9,2,AP_RND_CONV,AP_WRAP>", "ap_fixed<8,1,AP_RND>"),
    "gru_default_seq": ("GRU", True, "tanh", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<18,8>"),
    "gru_narrow_relu": ("GRU", False, "relu", "ap_fixed<10,4>", "ap_fixed<12,4,AP_RND,AP_SAT_SYM>",
                        "ap_fixed<8,3,AP_TRN_ZERO,AP_WRAP>", "ap_fixed<10,2>"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_recurrent_kernel_equals_the_cpp_loops(case):
    kind, seq, act, xp, ap, rp, tp = CASES[case]
    xp, ap, rp, tp = P(xp), P(ap), P(rp), P(tp)
    rng = np.random.default_rng(sorted(CASES).index(case))
    n, n_t, n_in, ns, gates = 60, 4, 3, 4, 4 if kind == "LSTM" else 3
    wp, bp = P("ap_fixed<8,2>"), P("ap_fixed<8,3>")
    w, wr = _grid(rng, wp, (n_in, gates * ns), 0.6), _grid(rng, wp, (ns, gates * ns), 0.6)
    b, br = _grid(rng, bp, (gates * ns,), 0.3), _grid(rng, bp, (gates * ns,), 0.3)
    x = _grid(rng, xp, (n, n_t, n_in), 0.3)
    types = {"accum": ap, "result": rp, "weight": wp, "recurrent_weight": wp, "bias": bp, "recurrent_bias": bp,
             "table": tp}  # fmt: skip
    weights = {"weight": fixed.from_float(w, wp), "recurrent_weight": fixed.from_float(wr, wp),
               "bias": fixed.from_float(b, bp), "recurrent_bias": fixed.from_float(br, bp)}  # fmt: skip
    attrs = {"n_out": ns, "n_timesteps": n_t, "n_in": n_in, "activation": act, "recurrent_activation": "sigmoid",
             "return_sequences": seq, "table_size": 256, "strategy": "latency", "static": True}  # fmt: skip
    layer = LayerDesc("rnn", kind, ("x",), "rnn", (n_t, ns) if seq else (ns,), types, weights, attrs)
    inp = LayerDesc("x", "Input", ("input",), "x", (n_t, n_in), {"result": xp})
    got = emulator.emulate_layers(FirmwareDescription((inp, layer), ("x",), ("rnn",)), x)["rnn"]
    want = _recurrent_loop(kind, x, w, wr, b, br, ap, rp, tp, 256, act, "sigmoid", seq)
    np.testing.assert_array_equal(got, want)
    assert np.std(got) > 0 and len(np.unique(got)) > 20


def test_recurrent_settings_the_emulator_does_not_know_are_named():
    """An activation hls4ml's recurrent kernels have no class for, or another strategy, is refused by name."""
    ap = P("ap_fixed<16,6>")
    types = dict.fromkeys(("accum", "result", "weight", "recurrent_weight", "bias", "recurrent_bias", "table"), ap)
    zeros = {"weight": np.zeros((2, 12)), "recurrent_weight": np.zeros((4, 12)), "bias": np.zeros(12),
             "recurrent_bias": np.zeros(12)}  # fmt: skip
    base = {"n_out": 4, "n_timesteps": 3, "n_in": 2, "activation": "tanh", "recurrent_activation": "sigmoid"}
    inp = LayerDesc("x", "Input", ("input",), "x", (3, 2), {"result": ap})
    for extra, why in [({"recurrent_activation": "hard_sigmoid"}, "activation 'hard_sigmoid' is not emulated"),
                       ({"strategy": "resource"}, "strategy 'resource' is not emulated")]:  # fmt: skip
        layer = LayerDesc("g", "GRU", ("x",), "g", (4,), types, zeros, {**base, **extra})
        with pytest.raises(fixed.EmulationError, match=f"layer 'g' \\(GRU\\): {why}"):
            emulator.emulate(FirmwareDescription((inp, layer), ("x",), ("g",)), np.zeros((2, 3, 2)))


# ---------------------------------------------------------------------------------------------- g++ C-simulation
def float_rnn(kind: str, seq: bool, seed: int = 2, activation: str = "tanh"):
    """Input (5, 3) -> LSTM/GRU(6) (the last step, or every step then Flatten) -> Dense(3), random weights."""
    from tests.foreign_helpers import randomize

    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((5, 3), name="x")
    layer = (L.LSTM if kind == "lstm" else L.GRU)(6, return_sequences=seq, activation=activation, name="rnn")
    h = layer(inp)
    h = L.Flatten(name="f")(h) if seq else h
    return randomize(keras.Model(inp, L.Dense(3, name="out")(h)), seed, scale=0.6)


# hls4ml 1.3 compiles an LSTM only when its input, accum and result types are one type (lstm_stack instantiates the
# non-static lstm(), which passes the state and the products as arrays of those types); a GRU takes any
NARROW_LSTM = "ap_fixed<11,3,AP_RND_CONV,AP_SAT>"
NARROW = {
    "lstm": {"rnn": {"Precision": {"accum": NARROW_LSTM, "result": NARROW_LSTM}, "TableSize": 512}},
    "gru": {"rnn": {"Precision": {"accum": "ap_fixed<12,4,AP_RND,AP_SAT>",
                                  "result": "ap_fixed<10,3,AP_RND_CONV,AP_WRAP>"}, "TableSize": 512}},
}  # fmt: skip


@needs_gxx
@pytest.mark.slow
@pytest.mark.parametrize(
    "kind, seq, io_type, narrow, activation, static",
    [("lstm", False, "io_parallel", False, "tanh", True), ("lstm", True, "io_stream", False, "tanh", True),
     ("lstm", True, "io_parallel", True, "tanh", True), ("gru", True, "io_parallel", True, "tanh", True),
     ("gru", False, "io_stream", False, "tanh", True), ("gru", False, "io_parallel", False, "relu", True),
     ("lstm", True, "io_parallel", False, "tanh", False), ("gru", True, "io_stream", False, "tanh", False)],
)  # fmt: skip
def test_float_rnn_emulator_equals_csim(tmp_path, kind, seq, io_type, narrow, activation, static):
    """Emulator == g++ C-simulation on every output (``Static: false`` too: the state in the stack's arrays, the same
    arithmetic); the same emulator handed another accum or table type than the firmware's differs from it (the
    comparison can fail)."""
    from codesign import csim
    from tests import hls_models
    from tests.foreign_helpers import sequence_emulator_equals_csim

    model = float_rnn(kind, seq, activation=activation)
    in_type = P(NARROW_LSTM) if narrow and kind == "lstm" else hls_models.INPUT_PRECISION
    overrides = NARROW[kind] if narrow else {"rnn": {"Static": False}} if not static else None
    project = hls_models.convert(model, tmp_path, io_type=io_type, input_precision=in_type, layer_overrides=overrides)
    assert f"use_static = {str(static).lower()};" in (tmp_path / "firmware" / "parameters.h").read_text()
    csim.build_testbench(project)
    desc = project.firmware_description()
    rnn = desc.layer("rnn")
    assert rnn.kind == kind.upper() and desc.io_type == io_type
    if narrow:  # the narrow types and table size reached the firmware
        assert rnn.types["accum"] == P(NARROW[kind]["rnn"]["Precision"]["accum"])
        assert rnn.attrs["table_size"] == 512
    sequence_emulator_equals_csim(project, desc, rnn, in_type)


@needs_gxx
@pytest.mark.slow
def test_float_lstm_model_is_proven_and_a_wrong_type_fails_the_check(tmp_path):
    """`codesign build` + `codesign check` of a float LSTM model: bit-exact against the emulator (it exited 6 with "the
    emulator does not know LSTM"); the firmware description handed an LSTM accum type other than the firmware's, the
    same check says NOT bit-exact and names the layer."""
    from dataclasses import replace

    from codesign.firmware import description
    from tests.foreign_helpers import check, proven_against_emulator

    out = proven_against_emulator(tmp_path, float_rnn("lstm", False), "lstm")
    path = out / "hls" / description.FILE_NAME
    desc = description.FirmwareDescription.load(path)
    layers = tuple(replace(lyr, types={**lyr.types, "accum": P("ap_fixed<16,7>")}) if lyr.kind == "LSTM" else lyr
                   for lyr in desc.layers)  # fmt: skip
    replace(desc, layers=layers).save(path)
    code, text = check(out)
    assert code != 0 and "verdict: NOT bit-exact" in text, text[-3000:]
    assert "first layer that differs: layer 'rnn'" in text and "hls4ml LSTM" in text, text[-3000:]


@needs_gxx
@pytest.mark.slow
def test_float_dense_lstm_model_is_proven(tmp_path):
    """It did not compile (exit 5): the Dense before the LSTM now has the LSTM's type."""
    from tests.foreign_helpers import proven_against_emulator

    proven_against_emulator(tmp_path, dense_lstm(), "dense_lstm")


@needs_gxx
@pytest.mark.slow
def test_float_gru_sequence_model_is_proven_in_io_stream(tmp_path):
    from tests.foreign_helpers import proven_against_emulator

    proven_against_emulator(tmp_path, float_rnn("gru", True, seed=4), "gru", {"hls": {"io_type": "io_stream"}})


# ---------------------------------------------------------------------------------------------- refused settings
REFUSED = [
    ({"go_backwards": True}, "go_backwards=True, which hls4ml 1.3 does not read"),
    ({"stateful": True}, "stateful=True: the firmware starts every sequence from a zero state"),
    ({"use_bias": False}, "use_bias=False, on which hls4ml 1.3's converter fails"),
    ({"recurrent_activation": "hard_sigmoid"}, "recurrent_activation='hard_sigmoid', which hls4ml 1.3's recurrent"),
    ({"activation": "linear"}, "activation='linear', which hls4ml 1.3's recurrent kernels have no class for"),
]


@pytest.mark.parametrize(
    "kind, kw, why",
    [*(("LSTM", kw, why) for kw, why in REFUSED), *(("GRU", kw, why) for kw, why in REFUSED),
     ("GRU", {"reset_after": False}, "reset_after=False: hls4ml 1.3's gru applies the reset gate after")],
)  # fmt: skip
def test_recurrent_settings_hls4ml_does_not_convert_are_refused_by_name(kind, kw, why):
    """go_backwards built "bit-exact: yes" (the firmware ran the sequence forward; agreement with the model 0.64),
    reset_after=False and use_bias=False exited 7 (hls4ml's converter failed), hard_sigmoid exited 5 (g++)."""
    from codesign import hls
    from codesign.errors import SpecError

    keras = keras_env.keras()
    inp = keras.Input((4, 2), batch_size=1 if "stateful" in kw else None, name="x")
    layer = getattr(keras.layers, kind)(3, name="rnn", **kw)
    model = keras.Model(inp, keras.layers.Dense(2, name="out")(layer(inp)))
    with pytest.raises(SpecError, match=rf"m\.h5: layer\(s\) 'rnn' \({kind}, {re.escape(why)}") as err:
        hls.require_convertible(model, "m.h5")
    assert "accepted: LSTM/GRU with go_backwards=False" in str(err.value)


def test_backwards_lstm_build_is_refused_before_training(tmp_path):
    from tests.foreign_helpers import build, randomize

    keras = keras_env.keras()
    inp = keras.Input((5, 3), name="x")
    lstm = keras.layers.LSTM(4, go_backwards=True, name="rnn")
    code, text, _ = build(tmp_path, randomize(keras.Model(inp, keras.layers.Dense(3, name="out")(lstm(inp))), 3), "bw")
    assert code == 2 and "layer(s) 'rnn' (LSTM, go_backwards=True" in text, text[-2000:]
    assert "bit-exact" not in text and "train_float" not in text


def dense_lstm():
    """Input (5, 3) -> Dense(4) -> LSTM(4) -> Dense(3): a float Dense's result is its exact (wide) sum."""
    from tests.foreign_helpers import randomize

    keras = keras_env.keras()
    L = keras.layers
    inp = keras.Input((5, 3), name="x")
    return randomize(keras.Model(inp, L.Dense(3, name="out")(L.LSTM(4, name="rnn")(L.Dense(4, name="d0")(inp)))), 1)


def test_lstm_types_are_made_one_type_or_refused(tmp_path):
    """hls4ml 1.3's lstm_stack compiles only when the LSTM's input, accum and result are one type: a Dense before an
    LSTM in a float model (its result the exact sum, ap_fixed<35,15>) did not compile (exit 5). codesign gives that
    Dense the LSTM's type (a note says so); an LSTM whose types the user set apart is refused with the three types."""
    from codesign.errors import SpecError
    from tests import hls_models

    project = hls_models.convert(dense_lstm(), tmp_path / "a")
    assert project.layer_precisions["d0"]["result"] == P("ap_fixed<16,6>")
    assert any("layer 'd0' before LSTM 'rnn': result ap_fixed<16,6>, the LSTM's type (was ap_fixed<35,15>" in n
               for n in project.notes), project.notes  # fmt: skip
    own = {"rnn": {"Precision": {"accum": "ap_fixed<12,4>", "result": "ap_fixed<12,4>"}}}
    with pytest.raises(SpecError, match=r"layer 'rnn' \(LSTM\): its types differ \(input ap_fixed<16,6>, accum "
                                        r"ap_fixed<12,4>, result ap_fixed<12,4>\); hls4ml 1\.3's lstm_stack"):  # fmt: skip
        hls_models.convert(float_rnn("lstm", False), tmp_path / "b", layer_overrides=own)


def test_recurrent_table_type_hls4ml_does_not_read_is_refused(tmp_path):
    """hls4ml 1.3 reads no ``table`` type for an LSTM/GRU (its tables stay ap_fixed<18,8>): a user's table type was
    dropped without a word; refused now unless it is that type (as hls4ml's own config writes it)."""
    from codesign.errors import SpecError
    from tests import hls_models

    model = float_rnn("gru", False)
    with pytest.raises(SpecError, match=r"layer 'rnn' \(GRU\): Precision table ap_fixed<10,2> asked, but hls4ml 1\.3 "
                                        r"does not read a recurrent layer's table type \(its firmware keeps "
                                        r"ap_fixed<18,8>\)"):  # fmt: skip
        hls_models.convert(model, tmp_path / "a", layer_overrides={"rnn": {"Precision": {"table": "ap_fixed<10,2>"}}})
    kept = {"rnn": {"Precision": {"table": "fixed<18,8,TRN,WRAP,0>"}}}
    assert hls_models.convert(model, tmp_path / "b", layer_overrides=kept).layer_precisions["rnn"]["table"].width == 18
