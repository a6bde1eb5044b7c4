"""Estimator: hls4ml 1.3 project reader, per-layer classes, record predictions from settings only."""

import copy
import json
import shutil
from pathlib import Path

import pytest

from codesign.errors import DataError
from codesign.estimate import Estimate, estimate_project, estimate_record, estimate_settings
from codesign.estimate.calibration_set import load_records
from codesign.estimate.design import build_calls, element_precision, eval_constant
from codesign.estimate.hardware import MultiplierMap, make_clock, mul_impl
from codesign.estimate.settings import read_project
from codesign.parts import resolve_part

FIX = Path(__file__).parent / "fixtures"
VITIS = FIX / "hls4ml13_vitis_parallel"
STREAM = FIX / "hls4ml13_vivado_stream"


def test_reader_turns_project_into_record_settings():
    s = read_project(VITIS)
    assert s["part"] == "xcvu9p-flga2104-2L-e" and s["target_clock_ns"] == 5.0
    assert s["hls_tool"] == "Vitis HLS" and s["clock_uncertainty"] == "27%"
    assert s["io_type"] == ["io_parallel"] and s["strategy"] == ["latency"]
    fc1 = next(x for x in s["layers"] if x.get("name") == "fc1")
    assert (fc1["n_in"], fc1["n_out"], fc1["n_zeros"], fc1["weight_t"]) == (16, 32, 128, "ap_fixed<16,6>")
    assert [c.split("<")[0] for c in s["top_calls"] if "load_weights" not in c] == [
        "nnet::dense",
        "nnet::relu",
        "nnet::normalize",
        "nnet::dense",
        "nnet::softmax",
    ]
    calls = build_calls(s)
    assert calls[0].input.width == 16 and calls[0].prec("accum_t").width == 37


def test_estimate_project_vitis_parallel():
    est = estimate_project(VITIS)
    assert isinstance(est, Estimate)
    assert [x.name for x in est.per_layer] == ["fc1", "relu1", "bn1", "fc2", "sm"]
    assert all(x.declined is None for x in est.per_layer)
    assert est.ii_cycles == 1
    assert est.latency_ns == pytest.approx(est.latency_cycles * 5.0)
    assert est.lut == sum(x.lut for x in est.per_layer)
    # 16-bit x 16-bit constant products: a large share on DSPs (hls4ml tutorial: ~0.63 of the products)
    fc1 = est.per_layer[0]
    assert 0.4 * 384 < fc1.dsp < 0.9 * 384
    d = est.to_dict()
    json.dumps(d)
    assert set(d) == {
        "latency_cycles",
        "latency_ns",
        "ii_cycles",
        "lut",
        "ff",
        "dsp",
        "bram_18k",
        "uram",
        "per_layer",
        "source",
        "interval",
        "interval_basis",
        "latency_path",
    }
    assert "calibration records" in d["source"]
    # every known figure carries its 16th-84th percentile interval, which contains the estimate here
    for key in ("latency_cycles", "ii_cycles", "lut", "ff", "dsp", "bram_18k"):
        lo, hi = d["interval"][key]
        assert lo <= d[key] <= hi, key
    assert d["interval_basis"].endswith("io_parallel latency designs")


def test_estimate_project_vivado_stream():
    est = estimate_project(STREAM)
    kinds = [x.kind for x in est.per_layer]
    assert kinds[0] == "conv/stream" and "pooling/stream" in kinds
    conv = est.per_layer[0]
    # one input pixel per cycle through the line buffer (Vivado HLS, RF 1); the function is not pipelined:
    # II = latency = 63 intervals + the last pixel's pipeline depth and the call's state (= its fill)
    assert conv.sequential and conv.ii_cycles == conv.latency_cycles == 8 * 8 - 1 + conv.fill_cycles
    assert est.ii_cycles == max(x.ii_cycles + x.sequential for x in est.per_layer)
    assert est.latency_cycles >= est.ii_cycles


def test_part_override_changes_dsp_family():
    e2 = estimate_project(VITIS, resolve_part("xcvu9p"))
    e1 = estimate_project(VITIS, resolve_part("xc7z020"))
    assert e1.dsp >= e2.dsp  # 25x18 ports never hold more than 27x18 ones


def _settings():
    return read_project(VITIS)


def test_pruned_weights_cost_no_multiplier():
    s = _settings()
    dense = copy.deepcopy(s)
    pruned = copy.deepcopy(s)
    for layer in pruned["layers"]:
        if layer.get("name") == "fc1":
            layer["n_zeros"], layer["n_nonzeros"] = 448, 64
    a, b = estimate_settings(dense).per_layer[0], estimate_settings(pruned).per_layer[0]
    assert b.dsp < a.dsp / 4 and b.lut < a.lut / 4


def test_mul_impl_and_reuse_factor():
    s = _settings()
    s["tcl_config_lines"] = s["tcl_config_lines"] + ["config_op mul -impl fabric"]
    fabric = estimate_settings(s)
    assert fabric.per_layer[0].dsp == 0 and fabric.per_layer[3].dsp == 0
    s2 = _settings()
    for layer in s2["layers"]:
        if layer.get("name") == "fc1":
            layer["reuse_factor"] = 4
    est = estimate_settings(s2)
    assert est.per_layer[0].ii_cycles == 4 and est.ii_cycles == 4


def test_unknown_layer_is_unknown_not_zero():
    s = _settings()
    s["top_calls"] = s["top_calls"] + ["nnet::multiheadattention<layer8_t, result_t, config99>"]
    est = estimate_settings(s)
    assert est.per_layer[-1].declined and "not modelled" in est.per_layer[-1].declined
    assert est.lut is None and est.latency_cycles is None and est.dsp is None
    assert est.declined
    # a recurrent call whose config struct is missing is refused by name, not estimated as nothing
    s["top_calls"] = s["top_calls"][:-1] + ["nnet::lstm_stack<layer8_t, result_t, config99>"]
    est = estimate_settings(s)
    assert est.per_layer[-1].kind == "lstm" and "n_in / n_state missing" in est.per_layer[-1].declined
    assert est.lut is None


def test_not_a_project(tmp_path):
    with pytest.raises(DataError, match="not an hls4ml project"):
        estimate_project(tmp_path)
    with pytest.raises(DataError, match="not a directory"):
        estimate_project(tmp_path / "missing")


def test_project_without_part_is_clear(tmp_path):
    proj = tmp_path / "p"
    shutil.copytree(VITIS, proj)
    (proj / "project.tcl").unlink()
    (proj / "build_prj.tcl").write_text("# nothing\n")
    cfg = (proj / "hls4ml_config.yml").read_text().replace("Part:", "PartX:")
    (proj / "hls4ml_config.yml").write_text(cfg)
    with pytest.raises(DataError, match="part and clock"):
        estimate_project(proj)


def test_primitives():
    assert element_precision("nnet::array<ap_fixed<8,1,AP_RND_CONV,AP_SAT,0>,16*1>").width == 8
    assert eval_constant({"n_in": 4, "n_out": 3, "x": "n_in * n_out"}, "x") == 12
    assert eval_constant({"rf": 2, "m": "DIV_ROUNDUP(7, rf)"}, "m") == 4
    assert mul_impl(["config_op mul -impl fabric"]) == "fabric" and mul_impl([]) == "auto"
    clk = make_clock(5.0, "27%", "Vitis HLS")
    assert clk.effective_ns == pytest.approx(3.65)
    assert make_clock(5.0, None, "Vivado HLS").effective_ns == pytest.approx(4.375)
    m = MultiplierMap()
    assert m.predict(16, 16, "DSP48E2").dsp > 0.5 and m.predict(6, 6, "DSP48E2").dsp < 0.01
    assert m.predict(26, 18, "DSP48E1").dsp > m.predict(26, 18, "DSP48E2").dsp  # 26 bits: wider than 25, fits 27


def test_records_use_settings_only_and_cover_stock_io_parallel():
    """Every stock io_parallel record (../shared when present, else the carried copy) from its settings only."""
    recs = load_records()
    stock_par = [r for r in recs if "custom_or_modified_hls4ml" not in r["flags"] and r["io_type"] == ["io_parallel"]]
    preds = [estimate_record(r) for r in stock_par]
    assert all(set(p) >= {"id", "latency_max_cycles", "interval_max", "LUT", "FF", "DSP", "BRAM_18K"} for p in preds)
    covered = sum(p["LUT"] is not None for p in preds)
    assert covered / len(preds) >= 0.7
    assert all(p.get("declined") for p in preds if p["LUT"] is None)
    # results never leak into a prediction: scrambling them changes nothing
    rec = copy.deepcopy(stock_par[0])
    before = estimate_record(rec)
    for key in (
        "LUT",
        "FF",
        "DSP",
        "BRAM_18K",
        "latency_max_cycles",
        "latency_min_cycles",
        "interval_max",
        "interval_min",
        "estimated_clock_ns",
        "clock_uncertainty_ns",
        "vivado_synth",
    ):
        rec[key] = 123456789
    assert estimate_record(rec) == before


@pytest.mark.slow
def test_fresh_hls4ml_project(tmp_path):
    """Write a project with the installed hls4ml and estimate it (imports TensorFlow: slow)."""
    keras_env = pytest.importorskip("codesign.keras_env")
    keras_env.setup()
    hls4ml = pytest.importorskip("hls4ml")
    import keras

    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(4, name="d1"), keras.layers.Activation("relu", name="r1")]
    )
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
    hm = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config=cfg,
        output_dir=str(tmp_path / "p"),
        backend="Vivado",
        io_type="io_parallel",
        part="xcku15p-ffve1517-2-e",
    )
    hm.write()
    est = estimate_project(tmp_path / "p")
    assert [x.name for x in est.per_layer] == ["d1", "r1"]
    assert est.lut and est.latency_cycles and est.ii_cycles == 1


def test_published_jet_tagging_anchor():
    """hls4ml tutorial part 1 (published.md): 16-64-32-32-5, ap_fixed<16,6>, RF 1, xcu250, 5 ns.

    Published: latency 10 cycles, II 1, DSP 2774, LUT ~109k, FF ~13.3k, BRAM_18K 4 (Vivado HLS, older
    hls4ml, trained weights). The fixture is the same network written by hls4ml 1.3 (random weights).
    """
    est = estimate_project(FIX / "hls4ml13_vivado_jet_tutorial")
    assert est.ii_cycles == 1
    assert abs(est.latency_cycles - 10) <= 3
    assert abs(est.dsp - 2774) / 2774 < 0.25
    assert abs(est.lut - 109_000) / 109_000 < 0.25
    assert 13_300 / 2 < est.ff < 13_300 * 2
    assert abs(est.bram_18k - 4) <= 2


def test_shallow_layer_registers_all_products_when_the_product_fills_a_cycle():
    """7-series: the first boundary follows the products, so a 1-3 cycle layer carries the full FF constant;
    UltraScale+ (product and adder levels chain in one cycle): the depth ramp (constants.FF_PER_SUM_BIT)."""
    from codesign.estimate import constants as K
    from codesign.estimate.hardware import make_clock
    from codesign.estimate.layers import Context, DotProductModel

    clock = make_clock(5.0, None, "Vivado HLS")
    seven = Context(clock, "DSP48E1", "auto", "Vivado HLS", "2016.4", 1.0)
    usplus = Context(clock, "DSP48E2", "auto", "Vivado HLS", "2016.4", 0.2)
    m = DotProductModel()
    # fastmachinelearning/hls4ml 10x32 layer, 165 non-zero 18x18 products, sums 18 bits wide
    a = m.predict(10, 32, 165, 18, 18, 18, 1, seven)
    assert a.latency_cycles <= 3 and a.ff == round(165 * 18 * K.FF_PER_SUM_BIT)
    b = m.predict(10, 32, 165, 18, 18, 18, 1, usplus)
    assert b.latency_cycles == 1 and b.ff == round(165 * 18 * K.FF_PER_SUM_BIT / K.FF_SATURATION_STAGES)


def test_weight_values_decide_which_products_are_multiplications(tmp_path):
    """Project mode reads firmware/weights/w<N>.h: +-2^k weights are shifts, never DSPs (codesign.estimate.weights)."""
    from codesign.estimate.layers import Context, DotProductModel
    from codesign.estimate.weights import count_products, is_shift

    assert [is_shift(v) for v in (1.0, -0.5, 0.25, 2.0, 0.0, 0.75, -0.3, 3.0)] == [True] * 4 + [False] * 4
    proj = tmp_path / "p"
    shutil.copytree(VITIS, proj)
    base = estimate_project(proj)
    # fc1 (config2): 16 x 32 with 128 zeros; 200 of the 384 non-zero weights are +-2^k
    values = [0.0] * 128 + [0.5, -0.25] * 100 + [0.3] * 184
    assert count_products(values) == {"n_weights": 512, "n_zeros": 128, "n_shift": 200, "n_mult": 184}
    (proj / "firmware" / "weights").mkdir()
    (proj / "firmware" / "weights" / "w2.h").write_text(
        "//Numpy array shape [16, 32]\n#ifndef W2_H_\n#define W2_H_\n#ifndef __SYNTHESIS__\nweight2_t w2[512];\n"
        "#else\nweight2_t w2[512] = {" + ", ".join(f"{v:.6f}" for v in values) + "};\n#endif\n#endif\n"
    )
    s = read_project(proj)
    assert next(x for x in s["layers"] if x.get("config") == "config2")["n_shift"] == 200
    est = estimate_project(proj)
    fc1, fc1_base = est.per_layer[0], base.per_layer[0]
    assert fc1.dsp < fc1_base.dsp and fc1.lut == fc1_base.lut and est.per_layer[1:] == base.per_layer[1:]
    # the DSP count is the one of a layer with only the 184 true multiplications
    call = build_calls(s)[0]
    part = resolve_part(s["part"])
    ctx = Context(make_clock(5.0, "27%", "Vitis HLS"), part.dsp_family, "auto", "Vitis HLS", None, 0.2)
    only_mults = DotProductModel().predict(16, 32, 184, call.input.width, 16, 37, 1, ctx)
    assert fc1.dsp == only_mults.dsp
