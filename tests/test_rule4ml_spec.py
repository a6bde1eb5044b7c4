"""Calibration record -> the Keras model and hls4ml settings rule4ml takes (benchmarks/rule4ml_spec.py), built by
benchmarks/rule4ml_driver.py with tf-keras: the model's own parameter count and layer widths against the record's
config constants; what rule4ml cannot represent is refused with the reason. rule4ml itself is not needed."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import rule4ml_driver  # noqa: E402
import rule4ml_spec as S  # noqa: E402

from codesign import keras_env  # noqa: E402

CARRIED = ROOT / "codesign" / "estimate" / "calibration" / "hls_reports.jsonl"


def _records() -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, CARRIED.read_text().splitlines()) if r}


def _by_id(prefix: str) -> dict:
    return next(r for i, r in _records().items() if i.startswith(prefix))


def _record_parameters(rec: dict) -> int:
    """Weights + biases from the record's parameters.h constants (dense n_in x n_out + n_out, batchnorm 4 x n)."""
    total = 0
    for layer in rec["layers"]:
        if layer["base"] == "dense_config":
            total += layer["n_in"] * layer["n_out"] + layer["n_out"]
        elif layer["base"] == "batchnorm_config":
            total += 4 * layer["n_in"]
    return total


@pytest.mark.parametrize(
    "prefix",
    [
        "GuillaumeDerville/Strage-Umons::hls4ml_dse_rf1::",
        "GuillaumeDerville/Strage-Umons::hls4ml_output/rf4::",
        "nicologhielmetti/hls4ml-pynq::cpp_nn_v1::",
        "ArgyKokk/hls4ml_MLP_estimator::HLS_MLPs/Breast_cancer/hls4ml_prj/DSP_reuse1::",
    ],
)
def test_rebuilt_keras_model_matches_the_record(prefix):
    rec = _by_id(prefix)
    spec = S.record_spec(rec, same_family=True)
    model = rule4ml_driver.build_keras(spec, keras_env.keras())
    # two counts: tf-keras's own, and the record's config constants
    assert model.count_params() == _record_parameters(rec) == S.parameter_count(spec)
    dense = [x for x in rec["layers"] if x["base"] == "dense_config"]
    keras_dense = [x for x in model.layers if type(x).__name__ == "Dense"]
    assert [(x.input.shape[-1], x.units) for x in keras_dense] == [(d["n_in"], d["n_out"]) for d in dense]
    assert tuple(model.input.shape[1:]) == (dense[0]["n_in"],)
    cfg = spec["hls_config"]["model"]
    assert cfg["strategy"].lower() == rec["strategy"][0]
    assert cfg["reuse_factor"] in rec["reuse_factors"]
    w, i = S.precision_text(dense[0]["weight_t"])
    assert cfg["precision"] == f"ap_fixed<{w}, {i}>"


def test_board_by_device_and_by_family():
    assert S.board_for("xc7z020-clg400-1") == "pynq-z2"
    assert S.board_for("xc7z020clg400-1") == "pynq-z2"
    assert S.board_for("xczu9eg-ffvb1156-2-e") == "zcu102"
    assert S.board_for("xcu250-figd2104-2L-e") == "alveo-u250"
    with pytest.raises(S.Unrepresentable, match="xc7z007s"):
        S.board_for("xc7z007s-clg225-2")
    assert S.board_for("xc7z007s-clg225-2", same_family=True) == "pynq-z2"
    assert S.board_for("xcu55c-fsvh2892-2L-e", same_family=True) == "alveo-u200"
    assert S.board_for("xc7vx690tffg1927-2", same_family=True) == "pynq-z2"  # 7-series fabric
    with pytest.raises(S.Unrepresentable):
        S.board_for("xcku115-flva1517-2-e", same_family=True)  # UltraScale (not +): no rule4ml board


def test_model_level_reuse_factor_follows_hls4ml_rule():
    # n_in=14, n_out=8: valid reuse factors 1, 2, 7 (below n_in: 112 % rf == 0 and ceil(112 / rf) % 8 == 0)
    # and 14, 28, 56, 112 (multiples of n_in dividing 112); 64 is nearest 56
    assert [rf for rf in range(1, 113) if S._valid_reuse(14, 8, rf)] == [1, 2, 7, 14, 28, 56, 112]
    assert S.closest_reuse(14, 8, 64) == 56
    # the real hls4ml project generated with ReuseFactor 64 wrote 56 into that layer's config
    rec = _by_id("GuillaumeDerville/Strage-Umons::hls4ml_dse_rf64::")
    first = next(x for x in rec["layers"] if x["base"] == "dense_config")
    assert (first["n_in"], first["n_out"], first["reuse_factor"]) == (14, 8, 56)
    spec = S.record_spec(rec)
    assert all(
        S.closest_reuse(x["n_in"], x["n_out"], spec["hls_config"]["model"]["reuse_factor"]) == x["reuse_factor"]
        for x in rec["layers"]
        if x["base"] == "dense_config"
    )


def test_unrepresentable_records_say_why():
    rec = _by_id("GuillaumeDerville/Strage-Umons::hls4ml_dse_rf1::")
    with pytest.raises(S.Unrepresentable, match="io_type"):
        S.record_spec({**rec, "io_type": ["io_stream"]})
    with pytest.raises(S.Unrepresentable, match="modified hls4ml"):
        S.record_spec({**rec, "flags": ["custom_or_modified_hls4ml"]})
    with pytest.raises(S.Unrepresentable, match="part xc7vx690t"):
        S.record_spec({**rec, "part": "xc7vx690t-ffg1930-3"})
    layers = [dict(x) for x in rec["layers"]]
    dense = [x for x in layers if x["base"] == "dense_config"]
    dense[0]["reuse_factor"], dense[1]["reuse_factor"] = 3, 5  # no model-level factor gives 3 and 5
    with pytest.raises(S.Unrepresentable, match="reuse factors"):
        S.record_spec({**rec, "layers": layers})
    hgq = _by_id("Lrozzy/hls4ml-tutorial::model_3.1/")
    with pytest.raises(S.Unrepresentable, match="h_quantize"):
        S.record_spec({**hgq, "part": "xc7z020-clg400-1"})


def test_benchmark_exits_2_naming_the_venv_command_when_rule4ml_is_absent(tmp_path, capsys):
    import estimator_vs_rule4ml as B

    assert B.main(["--rule4ml-python", str(tmp_path / "no-venv" / "bin" / "python")]) == 2
    err = capsys.readouterr().err
    assert "python3 -m venv" in err and "rule4ml==0.2.0" in err and "--rule4ml-python" in err


RULE4ML_PYTHON = Path("/tmp/est-rule4ml/venv/bin/python")


@pytest.mark.slow
@pytest.mark.skipif(
    not RULE4ML_PYTHON.exists(), reason="rule4ml's venv /tmp/est-rule4ml/venv absent (see estimator_vs_rule4ml.py)"
)
def test_driver_runs_rule4ml_on_a_rebuilt_record():
    import estimator_vs_rule4ml as B

    rec = _by_id("GuillaumeDerville/Strage-Umons::hls4ml_dse_rf1::")
    spec = S.record_spec(rec)
    out = B.run_rule4ml(RULE4ML_PYTHON, [spec, {**spec, "id": "bad", "hls_config": {**spec["hls_config"],
                        "board": "no-such-board"}}])  # fmt: skip
    ok, bad = out["predictions"]
    assert out["rule4ml_version"] == "0.2.0"
    # absolute counts and rule4ml's own percentages of the pynq-z2 (53200 LUT, 220 DSP) agree
    assert ok["LUT"] == pytest.approx(ok["pct"]["LUT"] / 100 * 53200, rel=0.01, abs=1)
    assert ok["DSP"] == pytest.approx(ok["pct"]["DSP"] / 100 * 220, rel=0.01, abs=0.02)
    assert ok["latency_max_cycles"] > 0 and "error" not in ok
    assert "no-such-board" in bad["error"]
