"""The top's input port register (top_ports; constants.TOP_INPUT_PORT_REGISTER, off).

Expected values are worked out from the rule: per input array, n_in x the input width + the ap_vld flag, under an
io_parallel PIPELINE top with ``INTERFACE ap_vld``, Vivado HLS or Vitis HLS >= 2023. The records test compares the
rule with the other source, the top reports' register tables.
"""

import json
import re
from pathlib import Path
from unittest import mock

import pytest

from codesign.estimate import constants as K
from codesign.estimate.calibration_set import load_records, raw_dir, records_dir, shared_dir
from codesign.estimate.design import LayerCall, build_calls
from codesign.estimate.network import estimate_settings, top_style
from codesign.estimate.settings import settings_from_record
from codesign.estimate.top_ports import input_port_ff, parse_top_inputs, registers_input_port
from codesign.precision import FixedPrecision

#: Vivado HLS tops whose outputs became ``ap_return_N`` ports: no ``_preg`` in the report where the rule counts
#: one (the rule does not see this; docs/estimator.md "The top's port registers").
AP_RETURN_TOPS = {
    "camillaMiao/Hls-and-bambu::vivadohls/model_single_dense/hls4ml_prj/model_single_dense/hls4ml_prj::15f53439fd",
    "GuillaumeDerville/Strage-Umons::hls4ml_output/rf4::938c6e7e32",
    "GuillaumeDerville/Strage-Umons::hls4ml_output/rf8::fb1a8b4e36",
}


def _settings(tool: str, version: str | None, pragmas: list[str] | None, n_in: int = 10) -> dict:
    out = {"hls_tool": tool, "hls_tool_version": version, "defines": {"N_INPUT_1_1": n_in, "N_LAYER_2": 4}}
    if pragmas is not None:
        out["top_port_pragmas"] = pragmas
    return out


def _dense_call(n_in: int, bits: int, io: str = "io_parallel") -> LayerCall:
    p = FixedPrecision.parse(f"ap_fixed<{bits},6>")
    return LayerCall("d", "dense", {"n_in": n_in, "n_out": 4}, p, p, io)


AP_VLD = ["#pragma HLS INTERFACE ap_vld port=input_1,layer2_out"]


def test_signature_sizes_are_products_of_integers_and_defines():
    top = "void myproject(\n    input_t input_20[18*15*3],\n    result_t layer2_out[9*7*3]\n) {\n"
    assert parse_top_inputs(top, {}) == [18 * 15 * 3]
    two = "void myproject(input_t x[N_INPUT_1_1], input2_t y[4*N_INPUT_1_2], result_t layer5_out[N_LAYER_5]) {"
    assert parse_top_inputs(two, {"N_INPUT_1_1": 7, "N_INPUT_1_2": 3}) == [7, 12]
    assert parse_top_inputs(two, {"N_INPUT_1_1": 7}) is None  # a size it cannot resolve: none rather than a guess
    assert parse_top_inputs("int main() { return 0; }", {}) is None


def test_which_tops_register_their_input():
    assert registers_input_port("pipeline", True, "Vivado HLS", "2019.2")
    assert registers_input_port("pipeline", True, "Vitis HLS", "2023.1")
    assert registers_input_port("pipeline", True, "Vitis HLS", None)  # an unknown Vitis release: a current one
    assert not registers_input_port("pipeline", True, "Vitis HLS", "2021.1")  # ap_none port (ArgyKokk)
    assert not registers_input_port("pipeline", True, "Vitis HLS", "2022.1")  # ap_none port (kimhaneal11)
    assert not registers_input_port("dataflow", True, "Vivado HLS", "2020.1")
    assert not registers_input_port("pipeline", False, "Vivado HLS", "2020.1")


def test_port_register_is_input_bits_plus_the_valid_flag():
    calls = [_dense_call(10, 12)]
    with mock.patch.object(K, "TOP_INPUT_PORT_REGISTER", True):
        assert input_port_ff(_settings("Vivado HLS", "2020.1", AP_VLD), calls, "pipeline") == 10 * 12 + 1
        assert input_port_ff(_settings("Vitis HLS", "2024.1", None), calls, "pipeline") == 10 * 12 + 1
        two = {**_settings("Vitis HLS", "2024.1", AP_VLD), "top_inputs": [10, 3]}
        assert input_port_ff(two, calls, "pipeline") == (10 * 12 + 1) + (3 * 12 + 1)
        assert input_port_ff(_settings("Vitis HLS", "2021.1", AP_VLD), calls, "pipeline") == 0
        assert input_port_ff(_settings("Vivado HLS", "2016.4", []), calls, "pipeline") == 0  # no INTERFACE line
        dataflow = AP_VLD + ["#pragma HLS DATAFLOW"]
        assert input_port_ff(_settings("Vivado HLS", "2020.1", dataflow), calls, "pipeline") == 0
        assert input_port_ff(_settings("Vivado HLS", "2020.1", AP_VLD), calls, "dataflow") == 0
        assert (
            input_port_ff(_settings("Vivado HLS", "2020.1", AP_VLD), [_dense_call(10, 12, "io_stream")], "pipeline")
            == 0
        )
    assert input_port_ff(_settings("Vivado HLS", "2020.1", AP_VLD), calls, "pipeline") == 0  # shipped: off


def test_the_estimate_counts_the_register_once_when_on():
    path = records_dir(prefer_shared=False) / "hls_reports.jsonl"
    rec = next(
        r
        for r in map(json.loads, path.read_text().splitlines())
        if r["id"] == "freaksie/ML-on-Chip::model_1/lbnl::3e107a974a"
    )
    settings = settings_from_record(rec)
    off = estimate_settings(settings)
    with mock.patch.object(K, "TOP_INPUT_PORT_REGISTER", True):
        on = estimate_settings(settings)
    # Vivado HLS 2018.3, PIPELINE, ap_vld: input_2 of N_INPUT_1_1 = 2 elements of ap_fixed<16,6>
    assert on.ff - off.ff == 2 * 16 + 1 == on.per_layer[0].ff - off.per_layer[0].ff
    assert (on.lut, on.dsp, on.latency_cycles) == (off.lut, off.dsp, off.latency_cycles)


def _input_preg_ff(report: Path) -> int | None:
    """FF of the top report's ``<port>_preg`` rows (``ap_*`` control registers left out)."""
    m = re.search(r"\* Register:\s*\n(.*?)\n\s*\|Total", report.read_text(errors="replace"), re.S)
    if not m:
        return None
    rows = re.findall(r"^\s*\|(\S+?)\s*\|\s*(\d+)\|", m.group(1), re.M)
    return sum(int(ff) for name, ff in rows if name.endswith("_preg") and not name.startswith("ap_"))


@pytest.mark.skipif(raw_dir() is None, reason="top reports (../shared/calibration/raw) not present")
def test_rule_matches_the_top_reports_register_tables():
    checked, matched = 0, 0
    with mock.patch.object(K, "TOP_INPUT_PORT_REGISTER", True):
        for rec in load_records():
            if "io_parallel" not in (rec.get("io_type") or []) or "custom_or_modified_hls4ml" in (
                rec.get("flags") or []
            ):
                continue
            top = f"/{rec.get('project_name') or 'myproject'}_csynth.rpt"
            reports = [f for f in rec.get("raw_files") or [] if f.endswith(top)]
            reported = _input_preg_ff(shared_dir() / reports[0]) if reports else None
            if reported is None:
                continue
            settings = settings_from_record(rec)
            calls = build_calls(settings)
            rule = input_port_ff(settings, calls, top_style(settings, calls)[0])
            checked += 1
            if rec["id"] in AP_RETURN_TOPS:
                assert (rule > 0, reported) == (True, 0), rec["id"]
                continue
            assert rule == reported, f"{rec['id']}: rule {rule} FF, report's input _preg rows {reported} FF"
            matched += rule > 0
    assert checked >= 60 and matched >= 10, (checked, matched)
