"""The HLS tool release behind the estimator's version-gated rules: `codesign estimate --hls-version`, the spec's
hls.tool_version (build and report refresh), and a project's own synthesis report."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from test_spec import GOOD, write

from codesign.cli import main
from codesign.errors import DataError, SpecError
from codesign.estimate import check_tool_version, estimate_project, report_tool_version
from codesign.parts import resolve_part
from codesign.report_refresh import _saved_settings
from codesign.spec import load_spec
from codesign.steps.results import Estimate as EstimateStep

STREAM = Path(__file__).parent / "fixtures" / "hls4ml13_vivado_stream"


@pytest.fixture
def vitis_stream(tmp_path) -> Path:
    """hls4ml 1.3's io_stream Conv2D project written for Vitis HLS (a window kernel with a version-gated schedule)."""
    proj = tmp_path / "p"
    shutil.copytree(STREAM, proj)
    cfg = proj / "hls4ml_config.yml"
    cfg.write_text(cfg.read_text().replace("Backend: Vivado", "Backend: Vitis", 1))
    return proj


def _estimate(proj: Path, *extra: str) -> dict:
    res = CliRunner().invoke(main, ["estimate", str(proj), "--json", "--out", str(proj / "e.json"), *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_hls_version_reaches_the_version_gated_rules(vitis_stream):
    """Vitis HLS >= 2022.2 carries the conv window's state across pixels (codesign/estimate/kernels/conv.py): the
    same project estimates longer with --hls-version 2024.1 than with 2020.1 or no release given."""
    none, old, new = (_estimate(vitis_stream, *v) for v in ((), ("--hls-version", "2020.1"), ("--hls-version", "2024.1")))
    assert none["hls_tool_version"] is None and new["hls_tool_version"] == "2024.1"
    assert old["latency_cycles"] == none["latency_cycles"] and old["ii_cycles"] == none["ii_cycles"]
    assert new["ii_cycles"] > old["ii_cycles"] and new["latency_cycles"] > old["latency_cycles"]
    direct = estimate_project(vitis_stream, resolve_part("xcvu9p"), "2024.1")
    assert direct.latency_cycles == new["latency_cycles"]


FULL_WIDTH = "\uff12\uff10\uff12\uff14.\uff11"  # 2024.1 in full-width digits


@pytest.mark.parametrize("bad", ["24.1", "2024", "latest", "2024.1b", FULL_WIDTH, "2024.1.1.1", ""])
def test_a_bad_hls_version_is_refused_by_name(vitis_stream, bad):
    res = CliRunner().invoke(main, ["estimate", str(vitis_stream), "--hls-version", bad])
    assert res.exit_code == 2 and "--hls-version" in res.output and "2024.1" in res.output, res.output
    assert not (vitis_stream / "estimate.json").exists()


def test_hls_version_with_records_is_refused_not_dropped(tmp_path):
    src = tmp_path / "r.jsonl"
    src.write_text("{}\n")
    res = CliRunner().invoke(main, ["estimate", "--records", str(src), "--out", str(tmp_path / "o.jsonl"),
                                    "--hls-version", "2024.1"])  # fmt: skip
    assert res.exit_code == 2 and "--hls-version" in res.output and "--records" in res.output, res.output


def test_report_tool_version_reads_the_release_a_report_names():
    assert report_tool_version(SimpleNamespace(tool_version="2023.1")) == "2023.1"
    assert report_tool_version(SimpleNamespace(tool_version="2019.2.1")) == "2019.2.1"
    assert report_tool_version(SimpleNamespace(tool_version=None)) is None
    assert report_tool_version(None) is None
    assert check_tool_version(" 2024.1 ", "x") == "2024.1"
    with pytest.raises(SpecError, match="where"):
        check_tool_version("v2024", "where")


def test_spec_tool_version_is_checked_and_reaches_the_estimate_step(tmp_path, vitis_stream):
    for bad in ("24.1", FULL_WIDTH):  # full-width digits: \d took them as a release
        with pytest.raises(SpecError) as info:
            load_spec(write(tmp_path, {**GOOD, "hls": {"tool_version": bad}}))
        assert "hls.tool_version" in str(info.value)
    spec = load_spec(write(tmp_path, {**GOOD, "hls": {"tool_version": "2024.1", "backend": "Vitis"}}))
    assert spec.hls.tool_version == "2024.1"

    @dataclass(frozen=True)
    class State:
        project: object
        estimate: object = None

    step, part = EstimateStep(), resolve_part("xcvu9p")
    state = State(SimpleNamespace(path=str(vitis_stream)))
    ctx = SimpleNamespace(spec=spec, part=part)
    got = step.run(ctx, state).estimate
    assert got.latency_cycles == estimate_project(vitis_stream, part, "2024.1").latency_cycles
    assert got.latency_cycles > estimate_project(vitis_stream, part).latency_cycles
    # the step's cache key follows the release: a changed tool_version is estimated again, not reused
    other = SimpleNamespace(spec=spec.model_copy(update={"hls": spec.hls.model_copy(update={"tool_version": None})}),
                            part=part)  # fmt: skip
    assert step.inputs(ctx) != step.inputs(other)


def test_report_refresh_reads_the_saved_tool_version(tmp_path):
    path = tmp_path / "report.json"
    saved = _saved_settings({"spec": {"hls": {"tool_version": "2023.2"}}}, path)
    assert saved.tool_version == "2023.2"
    assert _saved_settings({"spec": {"hls": {}}}, path).tool_version is None
    with pytest.raises(DataError) as info:
        _saved_settings({"spec": {"hls": {"tool_version": 2023}}}, path)
    assert "spec.hls.tool_version" in str(info.value) and "report.json" in str(info.value)


def test_the_projects_own_synthesis_report_names_the_release(vitis_stream):
    """Without --hls-version the release comes from the project's own C-synthesis report, where there is one."""
    from codesign.estimate.calibration_set import shared_dir

    raw = shared_dir() / "raw" / "ArgyKokk_hls4ml_MLP_estimator" / "72e2e22e6a" / "HLS_MLPs" / "jet_tagging"
    reports = sorted(raw.glob("hls4ml_prj/*/myproject_prj/solution1/syn/report/myproject_csynth.rpt"))
    if not reports:
        pytest.skip("calibration reports (../shared/calibration/raw) not present; they are not carried in the project")
    text = reports[0].read_text()
    dest = vitis_stream / "myproject_prj" / "solution1" / "syn" / "report"
    dest.mkdir(parents=True)
    released = text.replace("* Version:        2021.1", "* Version:        2024.1", 1)
    assert released != text
    (dest / "myproject_csynth.rpt").write_text(released)
    got = _estimate(vitis_stream)
    assert got["hls_tool_version"] == "2024.1"
    assert got["latency_cycles"] == _estimate(vitis_stream, "--hls-version", "2024.1")["latency_cycles"]
    assert got["latency_cycles"] > _estimate(vitis_stream, "--hls-version", "2020.1")["latency_cycles"]
