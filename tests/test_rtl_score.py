"""The anomaly-score layer in the RTL route: da4ml casts vs ``FixedPrecision.quantize``, the traced score vs the
numpy twin (codesign/reference/score.py) for every kind, and a tiny VAE + rz and a tiny AE + sse bit-exact in
Verilator; settings da4ml cannot hold are refused naming the layer and the kind.
"""

from __future__ import annotations

import numpy as np
import pytest

from codesign import compare, reference
from codesign.errors import SpecError
from codesign.precision import FixedPrecision, Overflow, Rounding
from tests import hls_models
from tests.test_rtl import needs_rtl

PREC = hls_models.INPUT_PRECISION


def score_model(family: str, kind: str, seed: int = 3, **types: str):
    """A tiny zoo VAE (6 -> 6 -> 2 latent) or AE (6 -> 4 -> 2 -> 4 -> 6), quantized, random weights, with its score."""
    from codesign import quantize, zoo
    from codesign.score_spec import parse_score
    from codesign.spec import ModelSpec, QuantizeSpec

    enc = (6,) if family == "vae" else (4,)
    spec = ModelSpec(family=family, encoder=enc, latent_dim=2, decoder=(4,))
    model = quantize.to_qkeras(zoo.build_model(spec, (6,), 0, seed=seed), QuantizeSpec(bits=8))
    hls_models._randomize(model, seed)
    return zoo.score_model(model, parse_score({"kind": kind, **types}, "test score"))


def _reference(model, x) -> np.ndarray:
    return np.asarray(reference.reference_outputs(model, x), np.float64).reshape(len(x), -1)


MODES = [(r, o) for r in Rounding for o in Overflow]


@needs_rtl
@pytest.mark.parametrize("signed", [True, False])
def test_cast_equals_ap_fixed_for_every_rounding_and_overflow(signed):
    """Every code of a 10-bit input with 6 fractional bits, cast to 3 fractional bits in each mode, as quantize."""
    from da4ml.trace import FixedVariableArray, FixedVariableArrayInput, HWConfig, comb_trace

    from codesign.rtl.score import cast

    x = (np.arange(1024, dtype=np.float64) - 512) / 64  # every code of ap_fixed<10,4>: ties in every position
    for r, o in MODES:
        p = FixedPrecision.parse(f"ap_{'' if signed else 'u'}fixed<6,3,{r.value},{o.value}>")
        inp = FixedVariableArrayInput((1,), HWConfig(1, -1, -1))
        v = inp.quantize(1, 3, 6)
        arr = np.empty(1, dtype=object)
        arr[0] = cast(v._vars[0], p)
        out = FixedVariableArray(arr, v.solver_options, hwconf=v.hwconf)
        got = comb_trace(inp, out).predict(x.reshape(-1, 1), n_threads=1).ravel()
        np.testing.assert_array_equal(got, p.quantize(x), err_msg=p.to_hls())


KINDS = {
    "vae_rz": ("vae", "rz", {}),
    "vae_mu2": ("vae", "mu2", {}),
    "vae_kl": ("vae", "kl", {}),
    "ae_sse": ("ae", "sse", {}),
    "vae_rz_other_modes": ("vae", "rz", {"input_precision": "ap_fixed<10,3,AP_RND_INF,AP_SAT_SYM>",
                                         "table_input": "ap_fixed<8,4,AP_TRN_ZERO,AP_SAT>",
                                         "accum_precision": "ap_ufixed<30,16,AP_RND_ZERO,AP_WRAP>"}),
    "ae_sse_other_modes": ("ae", "sse", {"input_precision": "ap_fixed<10,3,AP_RND_MIN_INF,AP_SAT_ZERO>",
                                         "accum_precision": "ap_ufixed<20,6,AP_RND,AP_SAT>",
                                         "result_precision": "ap_ufixed<16,6,AP_RND_CONV,AP_SAT>"}),
}  # fmt: skip


@needs_rtl
@pytest.mark.parametrize("name", sorted(KINDS))
def test_traced_score_equals_the_twin(name):
    """da4ml's interpreter on the traced model + score equals the float64 reference (the twin) on grid inputs."""
    from da4ml.trace import comb_trace

    from codesign.rtl import trace

    family, kind, types = KINDS[name]
    model = score_model(family, kind, **types)
    x = compare.grid_inputs(PREC, (6,), 2000, seed=11)
    inp, out = trace.trace(model, PREC)
    got = comb_trace(inp, out).predict(x.reshape(len(x), -1), n_threads=1)
    ref = _reference(model, x)
    assert ref.shape == (len(x), 1)
    np.testing.assert_array_equal(got, ref)
    assert len(np.unique(ref)) > 500  # the score moves with the inputs: the check can fail


def _verilator_bit_exact(model, tmp_path, monkeypatch, n: int = 300) -> dict:
    from codesign.rtl import flow, yosys

    monkeypatch.setattr(yosys, "available", lambda: False)  # yosys counts are not what is tested here
    x = compare.grid_inputs(PREC, (6,), n, seed=12)
    rtl = flow.build(model, PREC, x, tmp_path, clock_ns=5.0, part=hls_models.PART)
    assert rtl["bit_exact"] is True and rtl["n_mismatch"] == 0 and rtl["n_samples"] == len(x), rtl
    saved = np.load(tmp_path / "rtl" / "verilator_results.npz")
    assert saved["rtl"].shape == (len(x), 1)
    np.testing.assert_array_equal(saved["rtl"], _reference(model, x))  # Verilator's outputs, checked here again
    assert len(np.unique(saved["rtl"])) > 100
    from da4ml.types import CombLogic

    comb = CombLogic.load(tmp_path / "rtl" / "model" / "comb.json")  # the graph the pipeline was cut from
    assert max(comb.ops[i].latency for i in comb.out_idxs) <= rtl["latency_cycles"] * rtl["clock_ns"]
    return rtl


@needs_rtl
def test_vae_encoder_with_rz_score_is_bit_exact_in_verilator(tmp_path, monkeypatch):
    rtl = _verilator_bit_exact(score_model("vae", "rz"), tmp_path, monkeypatch)
    assert rtl["operators"]["lookup_tables"] == 2 and rtl["operators"]["multipliers"] >= 2  # exp table, mu^2 * T
    assert any("timed as one DSP48E2 stage" in n for n in rtl["notes"]), rtl["notes"]  # codesign/rtl/timing.py


@needs_rtl
def test_ae_with_sse_score_is_bit_exact_in_verilator(tmp_path, monkeypatch):
    rtl = _verilator_bit_exact(score_model("ae", "sse"), tmp_path, monkeypatch)
    assert rtl["operators"]["lookup_tables"] == 0 and rtl["operators"]["multipliers"] >= 6  # (x - x_hat)^2


@pytest.mark.parametrize(("kind", "types", "words"), [
    ("rz", {"table_precision": "ap_ufixed<32,12,AP_RND_CONV,AP_SAT>", "table_input": "ap_fixed<8,4>",
            "input_precision": "ap_fixed<8,4>"},
     ["table_precision", "int32"]),
    ("sse", {"result_precision": "ap_ufixed<40,30,AP_TRN,AP_SAT>"}, ["result_precision", "32"]),
])  # fmt: skip
def test_settings_da4ml_cannot_hold_are_refused_naming_layer_and_kind(kind, types, words):
    from codesign.rtl import trace

    model = score_model("vae" if kind == "rz" else "ae", kind, **types)
    with pytest.raises(SpecError) as exc:
        trace.check_supported(model)
    msg = str(exc.value)
    for word in ["'anomaly_score'", "AnomalyScore", f"kind '{kind}'", "--rtl", *words]:
        assert word in msg, msg



@pytest.mark.slow
@needs_rtl
def test_cli_build_rtl_of_a_tiny_vae_spec_is_bit_exact_with_its_score(tmp_path):
    """codesign build --rtl on a shrunk l1_vae.yaml (its score settings kept): the RTL outputs the firmware's score."""
    import json
    from pathlib import Path

    import yaml
    from click.testing import CliRunner

    from codesign.cli import main

    d = yaml.safe_load((Path(__file__).resolve().parents[1] / "models" / "l1_vae.yaml").read_text())
    d.update(data={**d["data"], "n_train": 600, "n_test": 300}, train={**d["train"], "epochs": 1},
             model={**d["model"], "encoder": [4], "latent_dim": 2, "decoder": [4]}, prune={**d["prune"], "epochs": 1},
             quantize={**d["quantize"], "epochs": 1}, check={"n_samples": 100, "workers": 1})  # fmt: skip
    spec = tmp_path / "tiny_vae.yaml"
    spec.write_text(json.dumps(d))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(spec), "--part", "xcvu9p", "--out", str(out), "--rtl"])
    assert result.exit_code == 0, result.output
    rtl = json.loads((out / "report.json").read_text())["rtl"]
    assert rtl["bit_exact"] is True and rtl["operators"]["lookup_tables"] == 2, rtl
    from codesign.rtl import yosys

    if yosys.available():  # the exp tables' memory files are read by yosys (da4ml's placeholder is not)
        assert rtl["lut"] > 0 and rtl["bram_18k"] is not None, rtl
    saved = np.load(out / rtl["results"])
    csim = np.load(out / "csim" / "csim_results.npz")
    assert saved["rtl"].shape == (len(csim["inputs"]), 1)  # one output: the score
    np.testing.assert_array_equal(saved["rtl"].ravel(), np.asarray(csim["testbench"]).ravel())
