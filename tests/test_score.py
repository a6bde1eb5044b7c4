"""The anomaly score in firmware: numpy twin and emulator vs the g++-compiled hls4ml project bit for bit, the casts
against FixedPrecision.quantize, the score settings' errors, the tail check and data-set activation ranges."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign.errors import SpecError  # noqa: E402
from codesign.precision import FixedPrecision, Overflow, Rounding  # noqa: E402
from codesign.reference import reference_outputs  # noqa: E402
from codesign.reference.score import score, table_values  # noqa: E402
from codesign.score_check import tail_check, warning_lines  # noqa: E402
from codesign.score_layer import AnomalyScore  # noqa: E402
from codesign.score_spec import parse_score  # noqa: E402
from codesign.spec import parse_spec  # noqa: E402
from tests import hls_models  # noqa: E402

keras = keras_env.keras()

# each kind with other rounding/overflow modes, narrow enough that the table, the sum and the result saturate or wrap
KINDS = {
    "rz": {"kind": "rz", "table_input": "ap_fixed<6,3,AP_RND_CONV,AP_SAT>", "table_precision": "ap_ufixed<12,6,AP_RND,AP_SAT>",
           "accum_precision": "ap_ufixed<20,8,AP_RND,AP_SAT>", "result_precision": "ap_ufixed<12,6,AP_RND_CONV,AP_SAT>"},
    "mu2": {"kind": "mu2", "input_precision": "ap_fixed<12,4,AP_RND_MIN_INF,AP_SAT_SYM>",
            "accum_precision": "ap_fixed<24,8,AP_TRN,AP_WRAP>", "result_precision": "ap_fixed<16,8,AP_RND_ZERO,AP_SAT_SYM>"},
    "kl": {"kind": "kl", "table_input": "ap_fixed<7,3,AP_TRN,AP_SAT>"},
    "sse": {"kind": "sse", "input_precision": "ap_fixed<10,4,AP_RND_INF,AP_SAT>",
            "accum_precision": "ap_ufixed<28,10,AP_TRN_ZERO,AP_WRAP>", "result_precision": "ap_ufixed<20,12>"},
}  # fmt: skip


def four_scores(seed: int = 0):
    """A tiny QKeras encoder (z_mean, z_log_var) and decoder feeding one score layer of each kind."""
    from qkeras import QDense

    q = "quantized_bits(8,1,alpha=1)"
    inp = keras.Input((6,), name="inputs")
    h = QDense(8, kernel_quantizer=q, bias_quantizer=q, activation="quantized_relu(8,3)", name="enc_1")(inp)
    mu = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="z_mean")(h)
    lv = QDense(3, kernel_quantizer=q, bias_quantizer=q, name="z_log_var")(h)
    rec = QDense(6, kernel_quantizer=q, bias_quantizer=q, name="reconstruction")(h)
    outs = [AnomalyScore(**KINDS[k], name=f"score_{k}")([inp, rec] if k == "sse" else [mu, lv]) for k in KINDS]
    model = keras.Model(inp, outs, name="four_scores")
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.normal(0.0, 1.0, w.shape) for w in layer.get_weights()])
    return model


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_twin_equals_csim_for_every_kind(tmp_path):
    """One g++ build: the firmware's four scores equal the numpy twin's on inputs that saturate every type."""

    model = four_scores()
    project = hls_models.convert(model, tmp_path / "hls")
    assert (tmp_path / "hls" / "firmware" / "nnet_utils" / "nnet_anomaly_score.h").is_file()
    params = (tmp_path / "hls" / "firmware" / "parameters.h").read_text()
    assert "nnet::anomaly_score<" in (tmp_path / "hls" / "firmware" / "myproject.cpp").read_text()
    assert "static const int kind = 1;" in params and "static const unsigned table_size = 64;" in params
    # the estimator models the score layers (analytically, labelled uncalibrated) instead of declining the design
    from codesign.estimate import estimate_project
    from codesign.parts import resolve_part

    est = estimate_project(tmp_path / "hls", resolve_part("xcvu9p")).to_dict()
    scores = [r for r in est["per_layer"] if r["name"].startswith("score_")]
    assert len(scores) == 4 and all(r["declined"] is None and "not calibrated" in r["kind"] for r in scores)
    assert est["lut"] is not None and est["latency_cycles"] is not None
    project.compile()
    rng = np.random.default_rng(1)
    p = hls_models.INPUT_PRECISION
    x = p.quantize(np.concatenate([rng.normal(0, 1, (1500, 6)), rng.normal(0, 8, (1500, 6)),
                                   np.tile(p.grid_edges()[:, None], (1, 6))]))  # fmt: skip
    fw = [np.asarray(o).reshape(len(x), -1) for o in project.predict(x)]
    ref = reference_outputs(project.keras_model, x)
    for kind, f, r in zip(KINDS, fw, ref, strict=True):
        bad = np.flatnonzero(f[:, 0] != r[:, 0])
        assert bad.size == 0, f"{kind}: {bad.size} of {len(x)} differ, first row {bad[:1]}: fw {f[bad[:1], 0]} twin {r[bad[:1], 0]}"
        assert len(np.unique(r)) > 100, f"{kind}: the check needs varied scores"
    # the fixed-point emulator, from the firmware as hls4ml wrote it (types, table codes), gives the same numbers
    from codesign.compare import firmware_description
    from codesign.firmware.emulator import emulate

    emu = emulate(firmware_description(project), x)
    for kind, f, e in zip(KINDS, fw, emu, strict=True):
        np.testing.assert_array_equal(np.asarray(e).reshape(len(x), -1), f, err_msg=f"emulator, {kind}")
    # the overflow profile names the score's casts that saturate (rz's result here) and those that do not
    from codesign.firmware.profile import profile

    rows = {(r.layer, r.quantity): r.n_overflow for r in profile(firmware_description(project), x)}
    assert rows[("score_rz", "result")] > 0 and rows[("score_kl", "result")] == 0 and ("score_kl", "index") in rows
    # the narrow types really saturate or wrap on these inputs (the check covers the edges)
    rz_max = FixedPrecision.parse(KINDS["rz"]["result_precision"]).max_value
    assert np.any(ref[0] == rz_max)
    assert np.any(ref[1] < 0)  # mu2's signed accumulator wraps


@pytest.mark.parametrize("rounding", list(Rounding))
@pytest.mark.parametrize("overflow", [Overflow.WRAP, Overflow.SAT, Overflow.SAT_ZERO, Overflow.SAT_SYM])
def test_cast_codes_equals_quantize(rounding, overflow):
    """Integer casts (the twin's) against FixedPrecision.quantize (float64) on codes with ties and overflows."""
    rng = np.random.default_rng(hash((rounding.value, overflow.value)) % 2**32)
    codes = np.concatenate([rng.integers(-(2**20), 2**20, 4000), np.arange(-64, 65) * 16 + 8])  # +-half: ties
    for p in (FixedPrecision(10, 4, True, rounding, overflow), FixedPrecision(9, 3, False, rounding, overflow)):
        got = p.cast_codes(codes, 8) * 2.0 ** (-p.fractional)
        np.testing.assert_array_equal(got, p.quantize(codes * 2.0**-8))
    wide = FixedPrecision(20, 4, True, rounding, overflow)  # more fractional bits than the source: exact shift
    np.testing.assert_array_equal(wide.cast_codes(codes, 8) * 2.0 ** (-wide.fractional), wide.quantize(codes * 2.0**-8))


def test_twin_matches_the_float_formula_where_nothing_saturates():
    """The twin is a fixed-point R_z: close to sum mu^2 exp(-logvar) when the types hold the values."""
    spec = parse_score({"kind": "rz", "table_input": "ap_fixed<12,4,AP_RND_CONV,AP_SAT>",
                        "table_precision": "ap_ufixed<24,8,AP_RND_CONV,AP_SAT>",
                        "accum_precision": "ap_ufixed<40,20,AP_TRN,AP_SAT>",
                        "result_precision": "ap_ufixed<32,16,AP_TRN,AP_SAT>"})  # fmt: skip
    rng = np.random.default_rng(0)
    mu, lv = rng.normal(0, 1, (500, 3)), rng.uniform(-2, 2, (500, 3))
    mu, lv = np.round(mu * 2**10) / 2**10, np.round(lv * 2**8) / 2**8
    exact = np.sum(mu**2 * np.exp(-lv), axis=1)
    np.testing.assert_allclose(score(spec, mu, lv)[:, 0], exact, rtol=2e-2, atol=2e-3)
    t = table_values(spec)
    assert len(t) == 2**12 and t[0] == spec.table_precision.max_value  # exp(8) saturates the table type


@pytest.mark.parametrize(
    "raw, match",
    [
        ({"model": {"family": "vae"}, "score": {"kind": "sse"}}, r"score.kind 'sse' does not apply to model.family 'vae' \(accepted: rz, mu2, kl\)"),
        ({"model": {"family": "ae"}, "score": {"kind": "rz"}}, r"score.kind 'rz' does not apply to model.family 'ae' \(accepted: sse\)"),
        ({"model": {"family": "mlp"}, "score": {"kind": "rz"}}, r"'score' applies to model.family vae or ae"),
        ({"model": {"family": "vae"}, "score": {"kind": "rzz"}}, r"score.kind.*'rz', 'mu2', 'kl' or 'sse'"),
        ({"model": {"family": "vae"}, "score": {"table_input": "ap_ufixed<8,4>"}}, r"table_input ap_ufixed<8,4> must be signed"),
        ({"model": {"family": "vae"}, "score": {"table_input": "ap_fixed<16,4>"}}, r"2\*\*16 entries \(accepted: width <= 14\)"),
        ({"model": {"family": "vae"}, "score": {"result_precision": "ap_fixed<60,4>"}}, r"score.result_precision.*wider than 52 bits"),
        ({"model": {"family": "vae"}, "score": {"accum_precision": "ap_ufixed<50,40>"}}, r"need 67 bits \(accepted: <= 62\)"),
        ({"model": {"family": "vae"}, "score": {"table_precision": "float"}}, r"score.table_precision.*cannot parse precision 'float'"),
        ({"model": {"family": "vae"}, "score": {"tabel_input": "ap_fixed<8,4>"}}, r"score.tabel_input.*unknown key"),
    ],
)
def test_bad_score_settings_are_refused_by_key(raw, match):
    """A bad score setting is a SpecError naming the key and what is accepted."""
    with pytest.raises(SpecError, match=match):
        parse_spec({"name": "x", **raw}, Path("spec.yaml"))


def test_score_layer_refuses_bad_settings_and_io_stream(tmp_path):
    """The Keras layer validates its own config; the conversion refuses io_stream by layer name."""

    with pytest.raises(SpecError, match=r"layer 'bad'.*kind"):
        AnomalyScore(kind="chi2", name="bad")
    inp = keras.Input((3,), name="inputs")
    model = keras.Model(inp, AnomalyScore(kind="mu2", name="s")([inp, inp]))
    with pytest.raises(SpecError, match=r"layer\(s\) s \(AnomalyScore\).*io_parallel only.*'io_stream'"):
        hls_models.convert(model, tmp_path, io_type="io_stream")


def _metrics(float_tpr: float, fw_tpr: float) -> dict:
    def stage(t):
        return {"signals": {"ato4l": {"auc": 0.9, "points": {"0.001": {"fpr": 1e-3, "tpr": t}}}}}

    return {"float": stage(float_tpr), "quantized": stage(fw_tpr), "firmware": stage(fw_tpr)}


def test_tail_check_flags_more_than_ten_percent_below_float():
    """10 % relative loss passes, 11 % is flagged with a WARNING line; classifiers have no tail check."""
    ok = tail_check(_metrics(0.1, 0.09))
    assert ok["flagged"] == [] and warning_lines(ok) == []
    bad = tail_check(_metrics(0.092, 0.013))
    assert bad["flagged"] == ["ato4l"] and bad["signals"][0]["relative_loss"] == pytest.approx(0.8587, abs=1e-4)
    (line,) = warning_lines(bad)
    assert line.startswith("WARNING: the firmware loses the anomaly tail on ato4l") and "0.013 vs float 0.092" in line
    assert tail_check({"float": {"accuracy": 0.7}, "firmware": {"accuracy": 0.7}}) is None


def test_report_md_shows_the_tail_warning_and_the_score_section():
    """report.md: the warning under the verdict and the score settings with the per-signal table."""
    from codesign.report import render_markdown

    md = render_markdown({"name": "v", "metrics": _metrics(0.092, 0.013), "score_check": tail_check(_metrics(0.092, 0.013)),
                          "spec": {"score": {"kind": "rz", "table_input": "ap_fixed<9,4>"}}})  # fmt: skip
    assert "**WARNING: the firmware loses the anomaly tail on ato4l" in md
    assert "## Anomaly score in firmware" in md and "kind `rz`" in md and "LOSES THE TAIL" in md
