"""The adder price by tool release and device family: Vivado HLS up to 2019.2 on the Virtex families prices the Resource
accumulators at W LUTs, elsewhere at W + ADDER_LUT_OFFSET_BITS (constants.VIVADO_ADDER_AT_WIDTH)."""

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from codesign.estimate import constants as K
from codesign.estimate import estimate_record
from codesign.estimate.calibration_set import load_records
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock, MultiplierMap, hls_family
from codesign.estimate.kernels.common import adder_lut_offset
from codesign.estimate.layers import Context, predict_layer
from codesign.parts import part_from_totals, resolve_part
from codesign.precision import FixedPrecision

ROOT = Path(__file__).resolve().parents[1]
BASE = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vivado HLS", "2019.2", 0.2)


def _ctx(tool: str, version: str | None, family: str | None) -> Context:
    return replace(BASE, tool=tool, tool_version=version, family=family)


@pytest.mark.parametrize(
    ("tool", "version", "family", "use", "offset"),
    [
        # the rule: Vivado HLS <= 2019.2 on the Virtex families, Resource accumulators
        ("Vivado HLS", "2019.2", "virtexuplus", "accumulator", 0.0),
        ("Vivado HLS", "2019.2.1", "virtexuplus", "accumulator", 0.0),
        ("Vivado HLS", "2019.2", "virtex7", "accumulator", 0.0),
        ("Vivado HLS", "2016.4", "virtex7", "accumulator", 0.0),
        # where it must not apply: another family of the same release, a later release of the same family,
        # a release no report was read for, an unknown family or release, Vitis HLS
        ("Vivado HLS", "2019.2", "zynquplus", "accumulator", 7.0),
        ("Vivado HLS", "2019.2", "zynq", "accumulator", 7.0),
        ("Vivado HLS", "2020.1", "virtexuplus", "accumulator", 7.0),
        ("Vivado HLS", "2019.1", "virtexuplus", "accumulator", 7.0),
        ("Vivado HLS", "2019.2", None, "accumulator", 7.0),
        ("Vivado HLS", None, "virtexuplus", "accumulator", 7.0),
        ("Vitis HLS", "2022.1", "virtexuplus", "accumulator", 7.0),
        # the uses the rule was judged on and not kept for: the adder trees, batchnorm, the table index logic
        ("Vivado HLS", "2019.2", "virtexuplus", "tree", 7.0),
        ("Vivado HLS", "2019.2", "virtex7", "table", 7.0),
        ("Vivado HLS", "2019.2", "virtex7", "batchnorm", 7.0),
        # the older rule stays: Vitis HLS up to 2021 at W on every family
        ("Vitis HLS", "2021.1", "zynq", "tree", 0.0),
    ],
)
def test_adder_offset_by_release_and_family(tool, version, family, use, offset):
    assert K.ADDER_LUT_OFFSET_BITS == 7.0
    assert adder_lut_offset(_ctx(tool, version, family), use) == offset


def test_rule_off_prices_every_family_alike(monkeypatch):
    monkeypatch.setattr(K, "VIVADO_ADDER_AT_WIDTH", None)
    assert adder_lut_offset(_ctx("Vivado HLS", "2019.2", "virtexuplus"), "accumulator") == 7.0
    monkeypatch.setattr(K, "VIVADO_ADDER_AT_WIDTH", {"virtexuplus": ((2019, 2), (2019, 2))})
    monkeypatch.setattr(K, "VIVADO_ADDER_AT_WIDTH_USES", ("accumulator", "tree"))
    assert adder_lut_offset(_ctx("Vivado HLS", "2019.2", "virtexuplus"), "tree") == 0.0
    assert adder_lut_offset(_ctx("Vivado HLS", "2019.2", "virtex7"), "tree") == 7.0


def test_resource_layer_lut_differs_by_the_accumulator_offset_only():
    # 16 x 8 Resource dense at RF 4 (16-bit data, 16-bit weights: DSP products), the same context but the family
    cfg = {"n_in": 16, "n_out": 8, "reuse_factor": 4, "strategy": "resource", "weight_t": "ap_fixed<16,6>",
           "accum_t": "ap_fixed<16,6>"}  # fmt: skip
    call = LayerCall("fc1", "dense", cfg, FixedPrecision.parse("ap_fixed<16,6>"), None, "io_parallel")
    at_width = predict_layer(call, _ctx("Vivado HLS", "2019.2", "virtexuplus"))
    at_offset = predict_layer(call, _ctx("Vivado HLS", "2019.2", "zynquplus"))
    mults = 16 * 8 // 4  # one 16-bit accumulator (accum_t) per multiplier
    assert MultiplierMap().predict(16, 16, "DSP48E2").lut == 1.0  # the accumulators' LUT factor for DSP products
    # the two totals are rounded separately: within one LUT of 32 x 1.2 x 7 = 268.8
    assert abs((at_offset.lut - at_width.lut) - mults * K.LUT_PER_SUM_BIT * K.ADDER_LUT_OFFSET_BITS) < 1
    assert (at_offset.ff, at_offset.dsp, at_offset.latency_cycles) == (at_width.ff, at_width.dsp, at_width.latency_cycles)


def test_family_reaches_the_estimate_from_the_part(monkeypatch):
    # uw-acme NeutDetector: Vivado HLS 2019.2 on xc7vx690t, Resource io_stream layers: the rule moves its LUT
    rec = next(r for r in load_records() if r["id"] == "uw-acme/HLS4ML_-NeutDetector::src/hdl/IGNORE/uplane-test::f444fcf236")
    on = estimate_record(rec)["LUT"]
    monkeypatch.setattr(K, "VIVADO_ADDER_AT_WIDTH", None)
    off = estimate_record(rec)["LUT"]
    assert on < off
    # the same record on a Zynq part (nicologhielmetti's family, W + 7 in 213 of 213 Resource rows) does not move
    monkeypatch.setattr(K, "VIVADO_ADDER_AT_WIDTH", {"virtex7": ((2016, 4), (2019, 2))})
    zynq = {**rec, "part": "xc7z020-clg400-1", "available": None}
    with_rule = estimate_record(zynq)["LUT"]
    monkeypatch.setattr(K, "VIVADO_ADDER_AT_WIDTH", None)
    assert estimate_record(zynq)["LUT"] == with_rule


def test_hls_family_names_parts_as_the_reports_do():
    assert hls_family(resolve_part("xcu250").family) == "virtexuplus"  # reports: "Product family: virtexuplus"
    assert hls_family(resolve_part("xcvu9p").family) == "virtexuplus"
    assert hls_family(resolve_part("xc7vx690t").family) == "virtex7"
    assert hls_family(resolve_part("xczu9eg").family) == "zynquplus"
    assert hls_family(None) is None
    totals = {"LUT": 1, "FF": 1, "DSP": 1, "BRAM_18K": 1}
    names = ("xc7vx330t-ffg1157-2", "xc7a50t-csg324-1", "xc7z030-sbg485-1", "xczu3eg-sbva484-1-e",
             "xczu28dr-ffvg1517-2-e", "xcu280-fsvh2892-2L-e", "xcku5p-ffvb676-2-e", "xcku060-ffva1156-2-e")  # fmt: skip
    assert [hls_family(part_from_totals(n, totals).family) for n in names] == [
        "virtex7", "artix7", "zynq", "zynquplus", "zynquplusRFSOC", "virtexuplus", "kintexuplus", "kintexu"]  # fmt: skip


def test_with_constants_accepts_tuple_values():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import with_constants

    assert with_constants._top_level_items("A=('x','y'),B=1,C={'v': ((1, 2), (3, 4))}") == [
        "A=('x','y')", "B=1", "C={'v': ((1, 2), (3, 4))}"]  # fmt: skip
