"""The report tells the truth: types as ap_fixed strings, the verdict worded for what was checked, one rate
figure for text and plot, unique plot labels, latency remainders explained, tb_data, modes and paths."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from codesign import metrics, physics_plots, report, report_metrics, report_plots, tb_data
from codesign.hls import TopPort
from codesign.precision import FixedPrecision as F

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _project(tmp_path, outputs=None):
    outs = outputs or [TopPort("layer4_out", "result_t", 5, "", F.parse("ap_fixed<16,7>"))]
    return SimpleNamespace(
        path=tmp_path / "hls",
        backend="Vitis",
        io_type="io_parallel",
        input_precision=F.parse("ap_fixed<16,6>"),
        output_precision=outs[0].precision if len(outs) == 1 else None,
        inputs=[TopPort("input_1", "input_t", 16, "", F.parse("ap_fixed<16,6>"))],
        outputs=outs,
        layer_precisions={"dense1": {"weight": F.parse("ap_fixed<6,1>"), "result": F.parse("ap_fixed<27,12>")}},
        final_softmax=None,
    )


def test_project_types_are_ap_fixed_strings_and_paths_relative(tmp_path):
    summary = report.project_summary(_project(tmp_path), tmp_path)
    assert summary["layer_precisions"] == {"dense1": {"weight": "ap_fixed<6,1>", "result": "ap_fixed<27,12>"}}
    assert summary["input_precision"] == "ap_fixed<16,6>" and summary["output_precision"] == "ap_fixed<16,7>"
    assert summary["path"] == "hls" and summary["tcl"] == "hls/build_prj.tcl" and summary["tb_data"] == "hls/tb_data"
    json.dumps(summary)  # plain JSON


def test_two_output_model_names_each_output_type(tmp_path):
    outs = [
        TopPort("z_mean", "result_t", 4, "", F.parse("ap_fixed<18,8>")),
        TopPort("z_log_var", "result2_t", 4, "", F.parse("ap_fixed<20,9>")),
    ]
    r = {"project": report.project_summary(_project(tmp_path, outs), tmp_path)}
    md = report.render_markdown(r)
    assert "None" not in md.split("## Firmware project")[1]
    assert "`z_mean` `ap_fixed<18,8>` (4 values), `z_log_var` `ap_fixed<20,9>` (4 values)" in md


@pytest.mark.parametrize(
    "exact, acc, wording",
    [
        (True, {"exact": True, "reference": "x"}, "firmware BIT-EXACT"),
        (False, {"exact": False, "reference": "x"}, "firmware NOT BIT-EXACT"),
        (None, {"exact": None, "note": "no bit-exact reference: layer(s) d have float weights (no QKeras quantizer)"},
         "no bit-exact reference (float model"),
        (None, {"exact": None, "note": "no bit-exact reference: layer 'c' (Conv2D) has no exact float64 reference"},
         "no bit-exact reference (layer 'c' (Conv2D) has no exact float64 reference)"),
        (None, None, "bit accuracy NOT CHECKED"),
    ],
)  # fmt: skip
def test_verdict_wording_per_model_kind(exact, acc, wording):
    md = report.render_markdown({"verdict": {"bit_exact": exact}, "bit_accuracy": acc})
    assert wording in md.splitlines()[2]
    if exact is not None or acc is None or "Conv2D" in str(acc):
        assert "float model" not in md


def test_reference_wording_says_pre_softmax_only_when_a_softmax_was_removed():
    from codesign import compare

    assert "pre-softmax" in compare.LOGITS_REFERENCE_NAME and "pre-softmax" not in compare.REFERENCE_NAME


def test_rate_at_fpr_is_one_figure_in_report_and_plot(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    bkg, sig = rng.normal(0, 1, 2000), rng.normal(2, 1, 500)  # 2000 events cannot resolve FPR 1e-5
    m = metrics.anomaly_metrics(bkg, {"signal": sig}).to_dict()
    point = m["signals"]["signal"]["points"]["1e-05"] if "1e-05" in m["signals"]["signal"]["points"] else None
    flat = report_metrics.flat_anomaly(m)
    key = next(k for k in flat if "FPR 1e-05" in k)
    assert "(L1 rate 0.4 kHz)" in key and flat[key] == "n/r"
    if point is not None:
        assert point["rate_khz"] == 0.0  # the measured rate at the fallback threshold: not what the label shows

    legends: list[str] = []
    real = physics_plots._save

    def keep(fig, path):
        legends.extend(t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts())
        return real(fig, path)

    monkeypatch.setattr(physics_plots, "_save", keep)
    physics_plots.plot_anomaly_roc({"fw": bkg}, {"fw": {"signal": sig}}, tmp_path / "roc.png")
    assert f"FPR 1e-5 = {metrics.rate_at_fpr_khz(1e-5):.3g} kHz" in legends
    assert "FPR 1e-5 = 0.4 kHz" in legends


def test_resource_plot_keeps_one_row_per_layer(tmp_path, monkeypatch):
    names = ["transpose", "dense", "transpose", "transpose", "relu", "transpose", "transpose"]
    assert report_plots.unique_labels(names) == [
        "transpose (1)", "dense", "transpose (2)", "transpose (3)", "relu", "transpose (4)", "transpose (5)",
    ]  # fmt: skip
    rows: list[list[str]] = []
    real = report_plots._save

    def keep(fig, path):
        rows.append([t.get_text() for t in fig.axes[0].get_yticklabels()])
        return real(fig, path)

    monkeypatch.setattr(report_plots, "_save", keep)
    est = {"per_layer": [{"name": n, "lut": 10 * i, "ff": i, "dsp": 0, "bram_18k": 0} for i, n in enumerate(names)]}
    assert report_plots.layer_resources(est, tmp_path / "r.png")
    assert len(rows[0]) == len(names) and len(set(rows[0])) == len(names)


def test_latency_remainder_is_explained():
    est = {"latency_cycles": 10, "per_layer": [{"name": "a", "latency_cycles": 3}, {"name": "b", "latency_cycles": 1}]}
    md = report.render_markdown({"estimate": est, "project": {"io_type": "io_parallel", "path": "hls"}})
    assert "The layers' latencies add to 4 cycles; the other 6 of the total 10" in md
    md = report.render_markdown({"estimate": est, "project": {"io_type": "io_stream", "path": "hls"}})
    assert "dataflow pipeline" in md
    est["latency_cycles"] = 4
    assert "latencies add to" not in report.render_markdown({"estimate": est})


def test_firmware_section_gives_the_readme_tcl_arguments():
    md = report.render_markdown({"project": {"path": "hls", "backend": "Vivado", "tb_data": "hls/tb_data"}})
    assert 'cd hls && vivado_hls -f build_prj.tcl "csim=1 synth=1 cosim=0 export=0"' in md
    assert "`hls/tb_data/`" in md


def test_report_files_are_world_readable_under_the_usual_umask(tmp_path):
    old = os.umask(0o022)
    try:
        report.write_report({"name": "x", "verdict": {}}, tmp_path)
    finally:
        os.umask(old)
    for name in ("report.json", "report.md"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644


def test_nan_is_written_as_null():
    obj = {"a": float("nan"), "b": np.float64("inf"), "c": np.array([1.0, np.nan]), "d": [np.float32(2.5)]}
    assert json.loads(json.dumps(report.jsonable(obj), allow_nan=False)) == {"a": None, "b": None, "c": [1.0, None],
                                                                            "d": [2.5]}  # fmt: skip


def test_tb_data_in_hls4ml_format_round_trips(tmp_path):
    x = F.parse("ap_fixed<16,6>").quantize(np.random.default_rng(1).normal(0, 4, (30, 3)))
    y = [np.arange(60.0).reshape(30, 2) / 7, np.ones((30, 1))]
    n = tb_data.write_tb_data(tmp_path, x, y, max_rows=20)
    assert n == 20
    xin = tb_data.read_dat(tmp_path / "tb_data" / "tb_input_features.dat")
    yout = tb_data.read_dat(tmp_path / "tb_data" / "tb_output_predictions.dat")
    np.testing.assert_array_equal(xin, x[:20])
    np.testing.assert_array_equal(yout, np.concatenate([y[0], y[1]], axis=1)[:20])
    first = (tmp_path / "tb_data" / "tb_input_features.dat").read_text().splitlines()[0]
    assert len(first.split()) == 3  # one sample per line, values separated by spaces, as hls4ml writes them


def test_report_on_the_hls_folder_refreshes_the_build_report(tmp_path):
    """`codesign report <build>/hls` keeps the build's verdict instead of writing a report that knows nothing."""
    from codesign.cli.report import refresh

    build = tmp_path / "build"
    shutil.copytree(FIXTURES / "hls4ml13_vivado_jet_tutorial", build / "hls")
    verdict = {"bit_exact": True, "budget_pass": None}
    (build / "report.json").write_text(json.dumps({
        "name": "b", "verdict": verdict, "bit_accuracy": {"exact": True, "reference": "r", "n_samples": 3},
        "project": {"path": "hls", "backend": "Vivado"},
    }))  # fmt: skip
    rep = refresh(build / "hls")
    assert Path(rep["_out_dir"]) == build
    assert not (build / "hls" / "report.md").exists()
    md = (build / "report.md").read_text()
    assert "firmware BIT-EXACT" in md and "float model" not in md
    assert json.loads((build / "report.json").read_text())["synthesis"]["project"] == "hls"
