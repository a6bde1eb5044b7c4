"""The RTL route on the zoo's model families: DeepSets, the VAE encoder, the interaction network, convolutions.

da4ml's interpreter on the traced graph against the float64 reference (fast, every family), the Verilog bit-exact
in Verilator (DeepSets and the VAE encoder in the default suite; the interaction network is slow), pipelining to
the clock, and the 40 MHz budget judged on the RTL figures.
"""

from __future__ import annotations

import numpy as np
import pytest

from codesign import compare, parts, reference
from codesign.errors import SpecError
from tests import hls_models
from tests.test_rtl import needs_rtl

PREC = hls_models.INPUT_PRECISION


def vae_encoder(seed: int = 3, n_in: int = 6):
    """The zoo's VAE, quantized by codesign's to_qkeras, its encoder (outputs z_mean and z_log_var), random weights."""
    from codesign import quantize, zoo
    from codesign.spec import ModelSpec, QuantizeSpec

    spec = ModelSpec(family="vae", encoder=(6,), latent_dim=2, decoder=(4,))
    vae = quantize.to_qkeras(zoo.build_model(spec, (n_in,), 0, seed=seed), QuantizeSpec(bits=8))
    enc = zoo.encoder_model(vae)
    hls_models._randomize(enc, seed)
    return enc


def zoo_deepsets(seed: int = 4, aggregation: str = "mean"):
    """The zoo's DeepSets (QConv1D kernel-1 phi, global pooling, rho, logits), quantized by codesign's to_qkeras."""
    from codesign import quantize, zoo
    from codesign.spec import ModelSpec, QuantizeSpec

    spec = ModelSpec(family="deepsets", phi=(4,), rho=(4,), aggregation=aggregation)
    model = quantize.to_qkeras(zoo.build_model(spec, (4, 3), 3, seed=seed), QuantizeSpec(bits=8))
    hls_models._randomize(model, seed)
    return model


def _inputs(model, n: int, seed: int) -> np.ndarray:
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    return compare.grid_inputs(PREC, shape, n, seed=seed)


def _reference(model, x) -> np.ndarray:
    ref = reference.reference_outputs(model, x)
    parts_ = ref if isinstance(ref, list) else [ref]
    return np.concatenate([np.asarray(r, np.float64).reshape(len(x), -1) for r in parts_], axis=1)


MODELS = {
    "deepsets_mean": lambda: zoo_deepsets(),
    "deepsets_max": lambda: zoo_deepsets(aggregation="max"),
    "deepsets_dense_phi": lambda: hls_models.deepsets(phi="dense", pooling="max"),
    "vae_encoder": vae_encoder,
    "interaction_net": hls_models.interaction_net,
    "conv2d_same_stride_pools": hls_models.qconv2d,
}


@needs_rtl
@pytest.mark.parametrize("name", sorted(MODELS))
def test_traced_zoo_graph_equals_the_reference(name):
    """da4ml's own interpreter on the traced graph equals the float64 reference on grid inputs (edges included)."""
    from da4ml.trace import comb_trace

    from codesign.rtl import trace

    model = MODELS[name]()
    x = _inputs(model, 1500, seed=11)
    inp, out = trace.trace(model, PREC)
    got = comb_trace(inp, out).predict(x.reshape(len(x), -1), n_threads=1)
    ref = _reference(model, x)
    np.testing.assert_array_equal(got, ref)
    assert np.unique(ref, axis=0).shape[0] > 100  # the outputs move with the inputs: the check can fail


def _verilator_build(model, tmp_path, monkeypatch, n: int = 300, clock_ns: float = 5.0) -> tuple[dict, np.ndarray]:
    from codesign.rtl import flow, yosys

    monkeypatch.setattr(yosys, "available", lambda: False)  # yosys runs in the slow suite
    x = _inputs(model, n, seed=12)
    return flow.build(model, PREC, x, tmp_path, clock_ns=clock_ns, part=hls_models.PART), x


def _assert_bit_exact(rtl: dict, model, x, tmp_path) -> None:
    assert rtl["bit_exact"] is True and rtl["n_mismatch"] == 0 and rtl["n_samples"] == len(x), rtl
    saved = np.load(tmp_path / "rtl" / "verilator_results.npz")
    np.testing.assert_array_equal(saved["rtl"], _reference(model, x))  # Verilator's own outputs, checked here again
    assert np.unique(saved["rtl"], axis=0).shape[0] > 50


@needs_rtl
def test_zoo_deepsets_is_bit_exact_in_verilator(tmp_path, monkeypatch):
    model = zoo_deepsets()
    rtl, x = _verilator_build(model, tmp_path, monkeypatch)
    _assert_bit_exact(rtl, model, x, tmp_path)
    assert rtl["operators"] == {"multipliers": 0, "lookup_tables": 0}  # constant weights: shift-add only


@pytest.mark.slow  # the default suite's Verilator VAE is tests/test_rtl_score.py (encoder + rz score)
@needs_rtl
def test_vae_encoder_mean_and_log_variance_are_bit_exact_in_verilator(tmp_path, monkeypatch):
    model = vae_encoder()
    rtl, x = _verilator_build(model, tmp_path, monkeypatch)
    _assert_bit_exact(rtl, model, x, tmp_path)
    assert np.load(tmp_path / "rtl" / "verilator_results.npz")["rtl"].shape == (len(x), 4)  # 2 means + 2 log-vars


@pytest.mark.slow
@needs_rtl
def test_interaction_net_is_bit_exact_in_verilator(tmp_path, monkeypatch):
    model = hls_models.interaction_net()
    rtl, x = _verilator_build(model, tmp_path, monkeypatch)
    _assert_bit_exact(rtl, model, x, tmp_path)


@needs_rtl
def test_pipeline_follows_the_clock(tmp_path):
    """A shorter clock period cuts the same graph into more register stages; II stays one cycle."""
    from codesign.rtl import sim, trace

    model = zoo_deepsets()
    stages = {}
    for clock in (2.0, 10.0):
        inp, out = trace.trace(model, PREC)
        design = sim.write(inp, out, tmp_path / f"c{clock:g}", clock_ns=clock, part=hls_models.PART)
        stages[clock] = design.latency_cycles
        assert design.ii_cycles == 1
    assert stages[2.0] > stages[10.0] >= 1, stages


def test_unsupported_layers_are_refused_by_name():
    from codesign.rtl import trace

    keras = hls_models.keras_env.keras()
    from qkeras import QDense

    inp = keras.Input((4,), name="inputs")
    x = QDense(3, kernel_quantizer="quantized_bits(6,0,alpha=1)", name="dense1")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    with pytest.raises(SpecError, match=r"layer 'bn' \(BatchNormalization\).*not supported by the RTL route.*fold"):
        trace.check_supported(keras.Model(inp, x))
    x = keras.layers.Activation("tanh", name="tanh")(QDense(3, kernel_quantizer="quantized_bits(6,0)", name="d")(inp))
    with pytest.raises(SpecError, match=r"layer 'tanh' \(Activation\).*'tanh'"):
        trace.check_supported(keras.Model(inp, x))
    with pytest.raises(SpecError, match="2 inputs"):
        trace.check_supported(hls_models.merges())


def _rtl_section(lut=None, multipliers=0, latency_cycles=4, clock_ns=5.0) -> dict:
    return {"clock_ns": clock_ns, "ii_cycles": 1, "latency_cycles": latency_cycles,
            "latency_ns": latency_cycles * clock_ns, "lut": lut, "ff": None if lut is None else 900,
            "dsp": None if lut is None else 0, "bram_18k": None if lut is None else 0, "uram": None,
            "da4ml_estimate": {"lut": 5000.0, "ff": 800},
            "operators": {"multipliers": multipliers, "lookup_tables": 0}}  # fmt: skip


def test_budget_on_rtl_figures_names_each_source():
    from codesign.rtl import budget

    part = parts.resolve_part("xcvu9p")
    kw = {"tm_period": 1, "latency_limit_ns": 30.0, "max_fraction": {"lut": 0.01, "ff": 0.01, "dsp": 0.01}}
    v = budget.judge(_rtl_section(lut=4000), part, **kw)
    assert v.basis == "rtl" and v.passed and v.check("lut").value == 4000 and v.check("latency_ns").value == 20.0
    assert "yosys" in dict(v.figures)["lut"] and "da4ml pipeline" in dict(v.figures)["latency_ns"]
    # yosys missing: da4ml's own estimate, labelled; an adders-only design has no DSP by construction
    v = budget.judge(_rtl_section(), part, **kw)
    assert v.check("lut").value == 5000.0 and "da4ml's own estimate" in dict(v.figures)["lut"]
    assert v.check("dsp").value == 0 and v.passed
    # with multipliers and no yosys the DSP count is unknown: the check fails closed
    v = budget.judge(_rtl_section(multipliers=3), part, **kw)
    assert v.check("dsp").status == "unknown" and not v.passed
    # the latency limit is judged on the RTL's cycles x clock
    v = budget.judge(_rtl_section(lut=4000, latency_cycles=7), part, **kw)
    assert v.check("latency_ns").value == 35.0 and not v.passed
    assert v.to_dict()["basis"] == "rtl" and v.to_dict()["figures"]["ii"].startswith("RTL")


def test_report_md_says_which_figures_the_budget_used():
    from codesign import report
    from codesign.rtl import budget

    part = parts.resolve_part("xcvu9p")
    v = budget.judge(_rtl_section(lut=4000), part, tm_period=1, latency_limit_ns=30.0, max_fraction={"lut": 0.01})
    hls = {"pass": False, "checks": []}
    r = {"name": "x", "verdict": {"bit_exact": True, "budget_pass": v.passed}, "budget": v.to_dict(),
         "rtl": {"budget_hls_estimate": hls}}  # fmt: skip
    md = report.render_markdown(r)
    verdict_line = next(line for line in md.splitlines() if line.startswith("**Verdict"))
    assert "FITS the 40 MHz L1 budget (judged on the RTL figures)" in verdict_line
    assert "Judged on the RTL figures" in md and "- lut: RTL: yosys" in md and "same budget fails" in md
    plain = dict(r, budget={**v.to_dict(), "basis": "hls_estimate"}, rtl=None)
    assert "Judged on the HLS estimate" in report.render_markdown(plain)
