"""`codesign estimate`, `codesign report` and run_synthesis's missing-tool error."""

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesign import tools
from codesign.cli import main
from codesign.errors import ToolError
from codesign.estimate.calibration_set import shared_dir
from codesign.synth import run_synthesis

FIX = Path(__file__).parent / "fixtures" / "hls4ml13_vitis_parallel"
CALIB = shared_dir()


def _csynth_reports(project: str) -> Path:
    """The C-synthesis report folder of one jet-tagging MLP project of the calibration set (may be absent)."""
    prj = CALIB / "raw" / "ArgyKokk_hls4ml_MLP_estimator" / "72e2e22e6a" / "HLS_MLPs" / "jet_tagging" / "hls4ml_prj"
    return prj / project / "myproject_prj" / "solution1" / "syn" / "report"


def test_estimate_table_and_json(tmp_path):
    proj = tmp_path / "p"
    shutil.copytree(FIX, proj)
    res = CliRunner().invoke(main, ["estimate", str(proj)])
    assert res.exit_code == 0, res.output
    assert "fc1" in res.output and "% of xcvu9p" in res.output
    est = json.loads((proj / "estimate.json").read_text())
    assert est["per_layer"][0]["name"] == "fc1" and est["part"]["name"] == "xcvu9p"
    # each total with its 16-84 % interval, in the table and the JSON
    lo, hi = est["interval"]["lut"]
    assert f"[{lo:g} - {hi:g}]" in res.output and "[intervals]: 16th-84th percentile" in res.output
    res = CliRunner().invoke(main, ["estimate", str(proj), "--json", "--part", "xcu250"])
    assert res.exit_code == 0
    assert json.loads(res.output)["part"]["name"] == "xcu250"


def test_estimate_errors(tmp_path):
    res = CliRunner().invoke(main, ["estimate", str(tmp_path)])
    assert res.exit_code == 2 and "not an hls4ml project" in res.output
    res = CliRunner().invoke(main, ["estimate"])
    assert res.exit_code == 2 and "PROJECT_DIR" in res.output
    res = CliRunner().invoke(main, ["estimate", str(FIX), "--part", "xc9zzz"])
    assert res.exit_code == 2 and "unknown FPGA part" in res.output


def test_estimate_refuses_a_project_with_no_estimable_layer(tmp_path):
    proj = tmp_path / "p"
    shutil.copytree(FIX, proj)
    params = proj / "firmware" / "parameters.h"
    params.write_text(params.read_text()[:400])  # cut mid-file: the layers' configs are gone
    res = CliRunner().invoke(main, ["estimate", str(proj)])
    assert res.exit_code == 2 and "none of its" in res.output and "parameters.h" in res.output, res.output
    assert not (proj / "estimate.json").exists()


def _record() -> dict:
    """One io_parallel dense record in the calibration schema, settings only."""
    return {
        "id": "r1",
        "part": "xcvu9p-flga2104-2L-e",
        "target_clock_ns": 5.0,
        "hls_tool": "Vitis HLS",
        "io_type": ["io_parallel"],
        "tcl_config_lines": [],
        "layers": [
            {
                "base": "dense_config",
                "name": "d",
                "n_in": 8,
                "n_out": 4,
                "n_zeros": 0,
                "reuse_factor": 1,
                "strategy": "latency",
                "weight_t": "ap_fixed<8,3>",
                "accum_t": "ap_fixed<20,8>",
                "config": "config2",
            }
        ],
        "typedefs": {"input_t": "ap_fixed<10,4>", "layer2_t": "ap_fixed<20,8>"},
        "top_calls": ["nnet::dense<input_t, layer2_t, config2>"],
    }


def test_estimate_records(tmp_path):
    src = tmp_path / "in.jsonl"
    rec = _record()
    bad = dict(rec, id="r2", top_calls=["nnet::multiheadattention<input_t, layer2_t, config9>"])
    src.write_text(json.dumps(rec) + "\n" + json.dumps(bad) + "\n")
    out = tmp_path / "pred.jsonl"
    res = CliRunner().invoke(main, ["estimate", "--records", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    p1, p2 = [json.loads(x) for x in out.read_text().splitlines()]
    assert p1["id"] == "r1" and p1["LUT"] > 0 and p1["interval_max"] == 1 and "declined" not in p1
    assert p2["LUT"] is None and "not modelled" in p2["declined"]


def _layer(**values) -> dict:
    rec = _record()
    rec["layers"][0].update(values)
    return rec


BAD_RECORDS = [  # (record, what its declined reason must say); each was predicted as if the value were a good one
    (_layer(reuse_factor=-4), "layers[0] (d).reuse_factor -4 (accepted: an integer from 1 to 4294967295"),
    (_layer(reuse_factor=0), "layers[0] (d).reuse_factor 0"),
    (_layer(n_in=-8), "layers[0] (d).n_in -8"),
    (_layer(strategy="fastest"), "layers[0] (d).strategy 'fastest' (accepted: latency, resource"),
    # round ten: past a C++ unsigned (II 54 and DSP 1 for 10**30), not an integer, or a name no define gives (read as 1)
    (_layer(reuse_factor=10**30), "layers[0] (d).reuse_factor 1000000000000000000000000000000 (accepted: an integer "
     "from 1 to 4294967295 (a C++ unsigned)"),
    (_layer(n_out=2**32), "layers[0] (d).n_out 4294967296 (accepted: an integer from 1 to 4294967295"),
    (_layer(n_in=10**30), "layers[0] (d).n_in 1000000000000000000000000000000"),
    (_layer(reuse_factor=2.5), "layers[0] (d).reuse_factor 2.5"),
    (_layer(reuse_factor=True), "layers[0] (d).reuse_factor True"),
    (_layer(reuse_factor="RF_UNDEFINED"), "layers[0] (d).reuse_factor 'RF_UNDEFINED' (accepted: an integer from 1"),
    # conv / pool geometry: in_height 10**30 was priced at 8.4e31 cycles, n_chan 10**30 at 5.5e33 LUT, in_height 0
    # at 607 cycles; a padding of -2 was accepted
    (_layer(in_height=10**30), "layers[0] (d).in_height 1000000000000000000000000000000 (accepted: an integer from 1 "
     "to 4294967295 (a C++ unsigned))"),
    (_layer(n_chan=0), "layers[0] (d).n_chan 0 (accepted: an integer from 1"),
    (_layer(pad_top=-2), "layers[0] (d).pad_top -2 (accepted: an integer from 0 to 4294967295"),
    (_layer(n_filt=0), "layers[0] (d).n_filt 0 (accepted: an integer from 1 to 4294967295, or -1 (no filters))"),
    (_layer(table_min=-(2**40)), "layers[0] (d).table_min -1099511627776 (accepted: an integer from -2147483648"),
    (_layer(n_zeros=33), "layers[0] (d).n_zeros 33 (accepted: 0 to n_in x n_out = 32)"),
    ({**_record(), "target_clock_ns": -5.0}, "target_clock_ns -5.0 (accepted: a period in ns from 1 to 100"),
    ({**_record(), "target_clock_ns": 1e-300}, "target_clock_ns 1e-300 (accepted: a period in ns from 1 to 100"),
    # round nine: each was read as something else and moved the figures (or gave latencies of 10**300 cycles)
    (_layer(accum_t="ap_fixed<16"), "layers[0] (d).accum_t 'ap_fixed<16' (accepted: an ap_fixed"),
    (_layer(weight_t=8), "layers[0] (d).weight_t 8 (accepted: an ap_fixed"),
    ({**_record(), "typedefs": ["layer2_t"]}, "typedefs 'list' (accepted: a JSON object, or null)"),
    ({**_record(), "tcl_config_lines": "config_op mul -impl fabric"}, "tcl_config_lines 'config_op mul -impl fabric' "
     "(accepted: a JSON list, or null)"),
    ({**_record(), "top_pragmas": "#pragma HLS PIPELINE"}, "top_pragmas '#pragma HLS PIPELINE' (accepted: a JSON list"),
    ({**_record(), "target_clock_ns": float("nan")}, "target_clock_ns nan"),
    ({**_record(), "hls_tool": "Quartus HLS"}, "hls_tool 'Quartus HLS' (accepted: Vivado HLS, Vitis HLS or null)"),
    ({**_record(), "hls_tool_version": "banana"}, "hls_tool_version 'banana' (accepted: a release such as 2020.1"),
    ({**_record(), "io_type": "io_parallel"}, "io_type 'io_parallel' (accepted: a list of io_parallel, io_stream)"),
    ({**_record(), "layers": "dense"}, "layers 'str' (accepted: a list of config structs"),
    ({**_record(), "layers": [[8, 4]]}, "layers[0] 'list' (accepted: a config struct"),
]


def test_estimate_records_declines_settings_it_cannot_read_naming_the_field(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "pred.jsonl"
    lines = [_record(), *(dict(rec, id=f"bad{i}") for i, (rec, _) in enumerate(BAD_RECORDS))]
    src.write_text("".join(json.dumps(rec) + "\n" for rec in lines))
    res = CliRunner().invoke(main, ["estimate", "--records", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"1/{len(lines)} records predicted ({len(BAD_RECORDS)} declined" in res.output, res.output
    good, *preds = [json.loads(x) for x in out.read_text().splitlines()]
    assert good["LUT"] > 0 and "declined" not in good
    for i, (pred, (_, reason)) in enumerate(zip(preds, BAD_RECORDS, strict=True)):
        assert pred["LUT"] is None and pred["latency_max_cycles"] is None, pred
        assert pred["declined"].startswith(f"DataError: bad{i}: ") and reason in pred["declined"], pred["declined"]


def test_every_shipped_calibration_record_passes_the_record_check():
    """The check refuses only what the estimator cannot read: the 222 shipped records (whose figures the README
    quotes) all pass it, so no benchmark figure moves."""
    from codesign.estimate.record_check import check_record

    path = Path(__file__).parents[1] / "codesign" / "estimate" / "calibration" / "hls_reports.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert len(records) >= 200
    for rec in records:
        check_record(rec)


def test_estimate_records_refuses_a_file_without_records(tmp_path):
    src, out = tmp_path / "empty.jsonl", tmp_path / "pred.jsonl"
    src.write_text("\n  \n")
    res = CliRunner().invoke(main, ["estimate", "--records", str(src), "--out", str(out)])
    assert res.exit_code == 2 and "empty.jsonl: no records" in res.output, res.output
    assert not out.exists()  # no empty predictions file passed off as a result


def test_report_refresh_with_csynth(tmp_path):
    rpt_dir = _csynth_reports("DSP_reuse1")
    out = tmp_path / "out"
    shutil.copytree(FIX, out / "hls")
    if rpt_dir.is_dir():
        shutil.copytree(rpt_dir, out / "hls" / "myproject_prj" / "solution1" / "syn" / "report")
    res = CliRunner().invoke(main, ["report", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text())
    assert rep["estimate"]["per_layer"] and (out / "report.md").is_file()
    syn = rep["synthesis"]
    if rpt_dir.is_dir():
        assert syn["csynth"]["lut"] == 72661 and syn["csynth"]["source"].endswith("myproject_csynth.rpt")
        assert syn["csynth"]["notes"] == []
        d = syn["estimate_vs_csynth"]["lut"]
        assert d["report"] == 72661 and d["difference"] == rep["estimate"]["lut"] - 72661
        md = (out / "report.md").read_text()
        assert "| figure | estimate | csynth | estimate - csynth |" in md
        est_lut = rep["estimate"]["lut"]
        rel = f"{100 * (est_lut - 72661) / 72661:+.1f} %"
        assert any(line.startswith(f"| lut | {est_lut} | 72661 |") and rel in line for line in md.splitlines()), md
    else:
        assert "no C-synthesis" in syn["note"]


@pytest.mark.skipif(tools.which("vitis_hls") or tools.which("vitis-run"), reason="Vitis HLS is installed here")
def test_synthesis_without_tool_says_what_is_missing(tmp_path):
    with pytest.raises(ToolError, match=r"'vitis_hls'.*not found on PATH.*build_prj.tcl"):
        run_synthesis(FIX, backend="Vitis", log_dir=tmp_path)


@pytest.mark.skip(reason="needs Vivado HLS / Vitis HLS, which this machine does not have")
def test_synthesis_runs_and_reports_parse(tmp_path):
    proj = tmp_path / "p"
    shutil.copytree(FIX, proj)
    run = run_synthesis(proj, backend="Vitis", log_dir=tmp_path / "logs")
    assert run.reports.csynth is not None and run.reports.csynth.LUT > 0


def test_report_rejudges_budget_on_estimate_and_csynth(tmp_path):
    rpt_dir = _csynth_reports("DSP_reuse100")
    if not rpt_dir.is_dir():
        pytest.skip("calibration data (../shared/calibration) not present")
    out = tmp_path / "out"
    shutil.copytree(FIX, out / "hls")
    shutil.copytree(rpt_dir, out / "hls" / "myproject_prj" / "solution1" / "syn" / "report")
    spec = {
        "budget": {"tm_period": 1, "latency_ns": 500.0, "max_fraction": {"lut": 0.5, "dsp": 0.5}},
        "hls": {"clock_ns": 3.33},
    }
    (out / "report.json").write_text(json.dumps({"spec": spec, "verdict": {"budget_pass": None}}))
    res = CliRunner().invoke(main, ["report", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text())
    assert [c["name"] for c in rep["budget"]["checks"]] == ["ii", "latency_ns", "lut", "dsp"]
    assert rep["verdict"]["budget_pass"] == rep["budget"]["pass"]
    syn_budget = rep["synthesis"]["budget_from_csynth"]
    # this report's interval is 48 cycles: 48 x 3.33 ns misses the 25 ns crossing
    ii = next(c for c in syn_budget["checks"] if c["name"] == "ii")
    assert ii["value"] == pytest.approx(48 * 3.33) and ii["pass"] is False
    # its estimated clock (4.098 ns) is longer than the 3.33 ns target: the achievable clock is reported
    assert syn_budget["achievable_clock_ns"] == pytest.approx(4.098)


def test_report_refresh_finds_a_named_project_and_compares_each_layer(tmp_path):
    """A real project called 'Encoder' (its csynth report is Encoder_csynth.rpt, not myproject_csynth.rpt):
    the top report is found, and each estimated layer is set beside the C-synthesis module of its config."""
    src = CALIB / "raw" / "Berk-Bilgin_ML-fpga" / "2962ef6492" / "model_1" / "hls4ml_prj"
    if not src.is_dir():
        pytest.skip("calibration data (../shared/calibration) not present")
    out = tmp_path / "prj"
    shutil.copytree(src, out)
    res = CliRunner().invoke(main, ["report", str(out)])
    assert res.exit_code == 0, res.output
    syn = json.loads((out / "report.json").read_text())["synthesis"]
    assert syn["csynth"]["source"].endswith("Encoder_csynth.rpt") and syn["csynth"]["latency_cycles"] == 160
    rows = {r["config"]: r for r in syn["layers_vs_csynth"]}
    modules = {m["module"]: m for m in syn["csynth"]["modules"]}
    assert len(rows) >= 8
    for row in rows.values():
        mod = modules[row["module"]]
        assert re.search(rf"(^|_){row['config']}(_|$)", row["module"])
        assert row["latency_cycles"]["report"] == mod["latency_max"] and row["lut"]["report"] == mod["LUT"]
    assert "Per layer, estimate / C-synthesis module:" in (out / "report.md").read_text()


def test_report_refresh_keeps_a_hand_edited_verdict_untrusted(tmp_path):
    """`codesign report` rewrites report.json from itself: one edited by hand stays untrusted (the next build
    writes it again from its steps), one codesign wrote stays trusted (the next build is up to date)."""
    from codesign.durable import REPORT_DIGEST, report_as_written

    out = tmp_path / "out"
    shutil.copytree(FIX, out / "hls")
    (out / ".codesign").mkdir()
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0  # no digest yet: written, untrusted
    assert not (out / ".codesign" / REPORT_DIGEST).exists()
    from codesign import report as report_mod

    report_mod.write_report(json.loads((out / "report.json").read_text()), out)  # as a build's report step writes
    assert report_as_written(out)
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    assert report_as_written(out)  # refreshed from a report codesign wrote: still trusted
    rep = json.loads((out / "report.json").read_text())
    rep["bit_accuracy"] = {"exact": True, "n_samples": 1000, "n_mismatch": 0}  # a verdict no build computed
    (out / "report.json").write_text(json.dumps(rep))
    assert not report_as_written(out)
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    assert json.loads((out / "report.json").read_text())["bit_accuracy"]["n_samples"] == 1000  # kept, but:
    assert not report_as_written(out) and not (out / ".codesign" / REPORT_DIGEST).exists()


STREAM = Path(__file__).parent / "fixtures" / "hls4ml13_vivado_stream"
DENSE_CALL = "nnet::dense<layer5_t, fc1_result_t, config7>(layer6_out, layer7_out, w7, b7);"


@pytest.mark.parametrize(
    "edit, code, message",
    [
        # the '>' deleted by hand: read on, the call swallowed the sigmoid's; the dense layer left the estimate unseen
        (lambda t: t.replace("fc1_result_t, config7>", "fc1_result_t"), 2,
         r"myproject\.cpp:51: cannot read the template arguments of 'nnet::dense<layer5_t, fc1_result_t\(layer6_out"),
        # every layer call removed: exit 0 with an estimate.json of unknowns
        (lambda t: "\n".join(ln for ln in t.splitlines() if not re.search(r"^\s*nnet::(?!load_weights)", ln)), 2,
         r"its top function calls no nnet:: layer, so there is nothing to estimate"),
        (lambda t: t.replace(DENSE_CALL, DENSE_CALL + " " + DENSE_CALL), 0, None),  # called twice: estimated twice
    ],
)  # fmt: skip
def test_estimate_on_a_hand_edited_io_stream_top_function(tmp_path, edit, code, message):
    prj = tmp_path / "prj"
    shutil.copytree(STREAM, prj)
    top = prj / "firmware" / "myproject.cpp"
    assert DENSE_CALL in top.read_text()
    top.write_text(edit(top.read_text()))
    res = CliRunner().invoke(main, ["estimate", str(prj), "--part", "xcvu9p"])
    assert res.exit_code == code, res.output
    if message:
        assert re.search(message, res.output) and "Traceback" not in res.output, res.output
        assert not (prj / "estimate.json").exists()
    else:
        assert [ln.split()[0] for ln in res.output.splitlines() if ln.startswith("fc1 ")] == ["fc1", "fc1"]


def test_a_top_that_calls_the_resource_kernel_itself_is_estimated_as_resource(tmp_path):
    """nnet::dense dispatches on the struct's strategy; a top (older or hand-written) that calls nnet::dense_resource
    runs the Resource kernel whatever the struct says: estimated as the same layer with strategy resource (it was
    estimated as Latency, the struct's value)."""
    from codesign.estimate.network import estimate_project

    tutorial = Path(__file__).parent / "fixtures" / "hls4ml13_vivado_jet_tutorial"
    fc1 = ("strategy = nnet::latency;\n    static const unsigned reuse_factor = 1;",
           "strategy = nnet::{};\n    static const unsigned reuse_factor = 4;")  # fmt: skip
    projects = {}
    for label, strategy, call in (("struct", "resource", "nnet::dense<"), ("call", "latency", "nnet::dense_resource<")):
        proj = tmp_path / label
        shutil.copytree(tutorial, proj)
        params, top = proj / "firmware" / "parameters.h", proj / "firmware" / "myproject.cpp"
        assert fc1[0] in params.read_text() and "nnet::dense<input_t" in top.read_text()
        params.write_text(params.read_text().replace(fc1[0], fc1[1].format(strategy), 1))
        top.write_text(top.read_text().replace("nnet::dense<input_t", call + "input_t", 1))
        projects[label] = estimate_project(proj)
    by_struct, by_call = projects["struct"], projects["call"]
    assert by_call.per_layer[0].kind == "dense/resource" and by_call.per_layer[0].ii_cycles == 4
    assert by_call.per_layer == by_struct.per_layer
    assert (by_call.lut, by_call.latency_cycles, by_call.ii_cycles) == (by_struct.lut, by_struct.latency_cycles,
                                                                        by_struct.ii_cycles)  # fmt: skip


def test_estimate_records_read_a_byte_order_mark_as_one_and_leave_the_records_as_they_were(tmp_path):
    """A file starting with a UTF-8 byte-order mark (an editor's) is predicted as the same file without it (it was
    'not JSON'); an --out naming the records file itself is refused and the records stay byte for byte."""
    plain, marked = tmp_path / "plain.jsonl", tmp_path / "marked.jsonl"
    plain.write_text(json.dumps(_record()) + "\n")
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    preds = []
    for src in (plain, marked):
        out = tmp_path / f"{src.stem}.pred.jsonl"
        res = CliRunner().invoke(main, ["estimate", "--records", str(src), "--out", str(out)])
        assert res.exit_code == 0, res.output
        preds.append(out.read_text())
    assert preds[0] == preds[1] and json.loads(preds[0])["LUT"] > 0
    before = marked.read_bytes()
    res = CliRunner().invoke(main, ["estimate", "--records", str(marked), "--out", str(marked)])
    assert res.exit_code == 2 and "same file as --records" in res.output, res.output
    assert marked.read_bytes() == before


def test_calibration_variable_naming_a_folder_without_records_is_refused(tmp_path, monkeypatch):
    """CODESIGN_CALIBRATION set to a folder without hls_reports.jsonl: the carried records were read instead, so a
    benchmark's figures came from another set than the one named."""
    from codesign.errors import DataError
    from codesign.estimate import calibration_set

    monkeypatch.setenv("CODESIGN_CALIBRATION", str(tmp_path))
    with pytest.raises(DataError, match=rf"CODESIGN_CALIBRATION={tmp_path}: no hls_reports.jsonl there \(accepted"):
        calibration_set.records_dir()
    (tmp_path / "hls_reports.jsonl").write_text("")
    assert calibration_set.records_dir() == tmp_path
    monkeypatch.delenv("CODESIGN_CALIBRATION")
    assert calibration_set.records_dir(prefer_shared=False) == calibration_set.CARRIED
