"""Scan throughput settings: scan points skip the report plots unless the scan file keeps them, the plot setting is
applied or refused wherever it is given (scan file, ``codesign build --no-plots``, ``codesign.build(plots=)``), and
the overlapped C-simulation (library and testbench chains side by side) gives exactly the sequential outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from codesign.errors import SpecError
from tests.test_api import tiny_spec
from tests.test_scan import write_scan

# ------------------------------------------------------------------------------------------ the plot switch


def test_scan_file_plots_default_off_and_is_kept_out_of_the_identity(tmp_path):
    from codesign.scan_spec import load_scan

    off = load_scan(write_scan(tmp_path))
    on = load_scan(write_scan(tmp_path, plots=True))
    assert off.plots is False and on.plots is True
    assert on.identity == off.identity  # plots do not change any result: a scan may be resumed with them switched
    with pytest.raises(SpecError, match=r"scan.yaml: key 'plots': bad value 'yes' \(accepted: true, false"):
        load_scan(write_scan(tmp_path, plots="yes"))


def _runner(scan, out: Path):
    from codesign.scan import _Runner

    return _Runner(scan, out, "xcvu9p-flgb2104-2-e", None, None, None, {}, True, False)


@pytest.mark.parametrize("plots", [False, True])
def test_each_point_is_built_with_the_scan_files_plot_setting(tmp_path, monkeypatch, plots):
    import codesign.api
    from codesign.scan_points import run_point
    from codesign.scan_spec import load_scan

    scan = load_scan(write_scan(tmp_path, **({"plots": True} if plots else {})))
    job = _runner(scan, tmp_path / "out").job("p0000", scan.grid()[0])
    assert job["plots"] is plots
    seen = {}

    def fake_build(spec, **kw):
        seen.update(kw)
        raise SpecError("stop here: only the arguments are under test")

    monkeypatch.setattr(codesign.api, "build", fake_build)
    rec = run_point(job)
    assert seen["plots"] is plots and rec["status"] == "failed" and "stop here" in rec["error"]


@pytest.mark.parametrize("args, plots", [([], True), (["--no-plots"], False)])
def test_codesign_build_no_plots_reaches_the_build(tmp_path, monkeypatch, args, plots):
    from click.testing import CliRunner

    import codesign.api
    from codesign.cli import main

    seen = {}

    def fake_build(spec, **kw):
        seen.update(kw)
        raise SpecError("stop here")

    monkeypatch.setattr(codesign.api, "build", fake_build)
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\n")
    result = CliRunner().invoke(main, ["build", str(spec), "--part", "xcvu9p", *args])
    assert result.exit_code == SpecError.exit_code and seen["plots"] is plots


def test_api_refuses_a_plot_setting_that_is_not_a_bool(tmp_path):
    from codesign.api import build

    with pytest.raises(SpecError, match=r"plots must be True or False, got 'no'"):
        build(tiny_spec(), part="xcvu9p", out=tmp_path / "out", plots="no")


def test_report_without_plots_makes_none_and_removes_stale_ones(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from codesign import report, report_plots
    from codesign.pipeline import BuildState

    stale = tmp_path / "plots"
    stale.mkdir()
    for name in report.PLOT_FILES:
        (stale / name).write_bytes(b"old")
    got = {}

    def fail(*a, **k):
        raise AssertionError("make_plots called although plots are off")

    monkeypatch.setattr(report_plots, "make_plots", fail)
    monkeypatch.setattr(report, "build_report_dict", lambda ctx, state, plots: got.update(state=state, plots=plots) or {})
    monkeypatch.setattr(report, "write_report", lambda r, out: None)
    report.write_build_report(SimpleNamespace(out_dir=tmp_path), BuildState(), plots=False)
    assert got["plots"] == {} and report.NO_PLOTS_NOTE in got["state"].notes and not stale.exists()
    made = {"roc": "plots/roc.png"}
    monkeypatch.setattr(report_plots, "make_plots", lambda ctx, state: made)
    report.write_build_report(SimpleNamespace(out_dir=tmp_path), BuildState(), plots=True)
    assert got["plots"] == made and report.NO_PLOTS_NOTE not in got["state"].notes


def test_switching_the_plots_changes_only_the_report_steps_key(tmp_path):
    from codesign.api import load_any_spec
    from codesign.build_steps import default_steps
    from codesign.parts import resolve_part
    from codesign.pipeline import BuildContext, step_keys

    spec = load_any_spec(tiny_spec())
    keys = {}
    for plots in (True, False):
        ctx = BuildContext(spec=spec, hls4ml_config=None, part=resolve_part("xcvu9p"), out_dir=tmp_path, plots=plots)
        steps = default_steps()
        keys[plots] = dict(zip([s.name for s in steps], step_keys(ctx, steps), strict=True))
    differ = [name for name in keys[True] if keys[True][name] != keys[False][name]]
    assert differ == ["report"]


@pytest.mark.slow  # two real tiny builds into one folder: ~30 s on an idle 2-core machine
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_a_real_build_without_then_with_plots(tmp_path):
    import codesign

    out = tmp_path / "out"
    off = codesign.build(tiny_spec("plots_switch"), part="xcvu9p", out=out, plots=False)
    report = json.loads(off.report_json.read_text())
    assert report["plots"] == {} and not (out / "plots").exists()
    assert "plots not made" in off.report_md.read_text()
    on = codesign.build(tiny_spec("plots_switch"), part="xcvu9p", out=out)
    cached = {s.name for s in on.steps if s.cached}
    # the setting is applied: the report is rewritten; the training, QAT and C-simulation are not redone
    assert {"train_float", "quantize", "csim"} <= cached and "report" not in cached and not on.up_to_date
    report = json.loads(on.report_json.read_text())
    assert report["plots"] and all((out / rel).is_file() for rel in report["plots"].values())
    assert "plots not made" not in on.report_md.read_text()


# ------------------------------------------------------------------------------------------ overlapped C-sim


@pytest.mark.slow  # three g++ units (firmware, bridge, testbench) of a tiny firmware, twice: ~30 s on an idle 2-core machine
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_overlapped_csim_gives_the_sequential_outputs(tmp_path):
    from codesign import compare, csim, keras_env

    keras_env.setup()
    from tests import hls_models

    model = hls_models.qmlp(6, seed=6)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 300, seed=1)
    outs = {}
    for overlap in (False, True):  # two separate conversions: each path is compiled and run from scratch
        project = hls_models.convert(model, tmp_path / f"overlap_{overlap}", backend="Vivado")
        outs[overlap] = csim.library_and_testbench(project, x, workers=2, overlap=overlap)
    (lib_seq, tb_seq), (lib_ovl, tb_ovl) = outs[False], outs[True]
    assert lib_seq.shape == (len(x), 5) and np.isfinite(lib_seq).all() and len(np.unique(lib_seq)) > 10
    np.testing.assert_array_equal(lib_ovl, lib_seq)
    np.testing.assert_array_equal(tb_ovl, tb_seq)
    np.testing.assert_array_equal(tb_ovl, lib_ovl)  # and the two paths agree bit for bit


# ------------------------------------------------------------------------------------------ the Pareto plot


def test_pareto_plot_is_drawn_in_the_house_style(tmp_path, monkeypatch):
    import matplotlib

    from codesign import scan_report
    from codesign.scan_spec import load_scan
    from tests.scan_stub import fake_point

    monkeypatch.setenv("SCAN_STUB_SLEEP", "0")
    scan = load_scan(write_scan(tmp_path))
    records = [fake_point({"id": f"p{i:04d}", "params": p, "build_dir": str(tmp_path / "o" / "points" / f"p{i:04d}")})
               for i, p in enumerate(scan.grid())]  # fmt: skip
    kept = []
    real = scan_report._save

    def keep(fig, path):
        kept.append((fig, dict(matplotlib.rcParams)))
        real(fig, path)

    monkeypatch.setattr(scan_report, "_save", keep)
    best = scan_report.front(scan, records)
    scan_report.write_plot(scan, records, best, tmp_path / "pareto.png")
    assert (tmp_path / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    fig, rc = kept[0]
    assert rc["xtick.direction"] == "in" and rc["xtick.minor.visible"]  # mplhep's CMS style was in force
    assert [ax.get_xlabel() for ax in fig.axes] == ["LUT", "DSP", "latency [ns]"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    n_ok = sum(r["status"] == "ok" for r in records)
    n_fail = sum(r["status"] == "ok" and not r["budget_pass"] for r in records)
    assert legend == [f"budget fails ({n_fail})", f"fits the budget ({n_ok - n_fail - len(best)})",
                      f"Pareto front ({len(best)})", "float model"]  # fmt: skip


def test_pareto_plot_of_a_scan_whose_points_all_failed_warns_nothing(tmp_path, monkeypatch):
    """A scan whose every point failed (a layer name the model lacks) drew an empty legend, and matplotlib printed
    'No artists with labels found to put in legend' on the scan's console; the plot now says no point finished."""
    import warnings

    from codesign import scan_report
    from codesign.scan_spec import load_scan

    scan = load_scan(write_scan(tmp_path))
    records = [{"id": "p0000", "params": scan.grid()[0], "status": "failed", "metrics": {}, "estimate": {},
                "error": "SpecError: no layer named 'dense_9'"}]  # fmt: skip
    kept = []
    real = scan_report._save
    monkeypatch.setattr(scan_report, "_save", lambda fig, path: (kept.append(fig), real(fig, path)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scan_report.write_plot(scan, records, [], tmp_path / "pareto.png")
    assert (tmp_path / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    assert kept[0].axes[0].get_legend() is None
    assert [t.get_text() for t in kept[0].axes[0].texts] == ["no point finished:\nsee scan.md"]
