"""Real scans of a tiny spec (training, QAT, hls4ml, g++): kill -9 and --resume, and a Dask LocalCluster.

Slow: each point compiles its firmware twice with g++ (about 20 s per point on an idle 2-core machine)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed")]

TINY = {
    "name": "tiny",
    "data": {"source": "jets_hlf", "n_train": 1500, "n_test": 400, "seed": 2},
    "model": {"family": "mlp", "hidden": [4]},
    "train": {"epochs": 1, "batch_size": 256, "seed": 2},
    "quantize": {"bits": 6, "epochs": 1},
    "hls": {"backend": "Vivado"},
    "check": {"n_samples": 50, "workers": 1},
}


def write_scan(tmp_path: Path, axes: dict) -> Path:
    raw = {"spec": TINY, "mode": "grid", "axes": axes, "objectives": {"accuracy": "max", "lut": "min"},
           "constraints": ["budget"], "part": "xcvu9p"}  # fmt: skip
    path = tmp_path / "scan.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "points.jsonl").read_text().splitlines()]


def test_real_scan_kill_9_and_resume(tmp_path):
    scan = write_scan(tmp_path, {"quantize.bits": [4, 8], "hls.reuse_factor": [1, 4]})
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "codesign.cli", "scan", str(scan), "--out", str(out), "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    lines = out / "points.jsonl"
    deadline = time.time() + 900
    while time.time() < deadline and (not lines.is_file() or not lines.read_text().strip()):
        assert proc.poll() is None, "the scan ended before it could be killed"
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {r["id"] for r in records(out)}
    assert 1 <= len(before) < 4
    done = subprocess.run([*cmd, "--resume"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    recs = records(out)
    ids = [r["id"] for r in recs]
    assert sorted(ids) == ["p0000", "p0001", "p0002", "p0003"]  # every point exactly once
    assert all(r["status"] == "ok" and r["bit_exact"] is True for r in recs), [r.get("error") for r in recs]
    by = {(r["params"]["quantize.bits"], r["params"]["hls.reuse_factor"]): r for r in recs}
    # each point records the reuse factor in its firmware (Latency: hls4ml keeps the asked one on every layer)
    assert all(set(r["reuse_factors"].values()) == {r["params"]["hls.reuse_factor"]} for r in recs)
    # the settings reach the firmware: reuse factor moves the II, bits move the LUTs
    assert by[8, 4]["estimate"]["ii_cycles"] > by[8, 1]["estimate"]["ii_cycles"]
    assert by[8, 1]["estimate"]["lut"] > by[4, 1]["estimate"]["lut"]
    # the float training ran once for the four points, QAT once per bit width (the shared cache)
    steps = [{s["name"]: s["cached"] for s in r["steps"]} for r in recs]
    assert sum(not s["train_float"] for s in steps) <= 1
    assert sum(not s["quantize"] for s in steps) <= 2
    for name in ("pareto.csv", "pareto.png", "scan.md"):
        assert (out / name).is_file()


def test_dask_local_cluster_runs_the_points(tmp_path):
    from distributed import LocalCluster

    from codesign.scan import run_scan
    from codesign.scan_spec import load_scan

    scan = load_scan(write_scan(tmp_path, {"hls.reuse_factor": [1, 2]}))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        s = run_scan(scan, tmp_path / "out", scheduler=cluster.scheduler_address, show_progress=False)
    recs = records(tmp_path / "out")
    assert sorted(r["id"] for r in recs) == ["p0000", "p0001"] and s.n_failed == 0
    assert all(r["bit_exact"] is True for r in recs)


def test_check_on_a_point_whose_steps_came_from_the_shared_cache(tmp_path):
    """A point whose training, QAT and C-simulation came from the shared cache still holds everything
    ``codesign check`` reads (models/converted.h5 included), and the check finds it exact."""
    from codesign.scan import run_scan
    from codesign.scan_spec import load_scan

    scan = load_scan(write_scan(tmp_path, {"budget.latency_ns": [100, 200]}))  # same firmware, two budgets
    run_scan(scan, tmp_path / "out", workers=1, show_progress=False)
    by = {r["id"]: r for r in records(tmp_path / "out")}
    second = by["p0001"]
    cached = {s["name"]: s["cached"] for s in second["steps"]}
    assert cached["train_float"] and cached["quantize"] and cached["csim"], cached
    build = Path(second["build_dir"])
    assert (build / "models" / "converted.h5").is_file()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "codesign.cli", "check", str(build)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0 and "verdict: bit-exact" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


def _rtl_ready() -> str | None:
    try:
        from codesign.rtl import sim

        sim.versions()
        sim.verilator_env()
    except Exception as exc:  # noqa: BLE001 - any failure means the route cannot run here
        return f"the RTL route cannot run here: {exc}"
    return None if shutil.which("yosys") else "yosys is not on PATH"


@pytest.mark.skipif(_rtl_ready() is not None, reason=str(_rtl_ready()))
def test_rtl_scan_ranks_points_on_yosys_luts(tmp_path):
    from codesign.scan import run_scan
    from codesign.scan_spec import load_scan

    path = write_scan(tmp_path, {"quantize.bits": [4, 8]})
    raw = yaml.safe_load(path.read_text())
    raw.update(rtl=True, objectives={"accuracy": "max", "rtl_lut": "min"})
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    run_scan(load_scan(path), tmp_path / "out", workers=2, show_progress=False)
    by = {r["params"]["quantize.bits"]: r for r in records(tmp_path / "out")}
    assert all(r["status"] == "ok" and r["rtl"]["bit_exact"] is True for r in by.values()), by
    assert by[8]["rtl"]["lut"] > by[4]["rtl"]["lut"] > 0  # wider weights, more LUTs (yosys's count)
    assert "rtl_lut" in (tmp_path / "out" / "pareto.csv").read_text().splitlines()[0]


def test_csim_testbench_scan_gives_the_both_paths_points_without_the_library(tmp_path):
    """``csim: testbench``: the same point line as ``csim: both`` (timings aside), no hls4ml library built,
    the report says the library was not run, and the points share the precompiled header in cache/pch."""
    from codesign.scan import run_scan
    from codesign.scan_spec import load_scan

    lines = {}
    for mode in ("both", "testbench"):
        (tmp_path / mode).mkdir()
        path = write_scan(tmp_path / mode, {"hls.reuse_factor": [1]})
        raw = yaml.safe_load(path.read_text())
        path.write_text(yaml.safe_dump({**raw, "csim": mode}, sort_keys=False))
        run_scan(load_scan(path), tmp_path / mode / "out", workers=1, show_progress=False)
        (rec,) = records(tmp_path / mode / "out")
        assert rec["status"] == "ok" and rec["bit_exact"] is True and rec["csim"] == mode, rec
        hls_dir = Path(rec["build_dir"]) / "hls"
        assert bool(list(hls_dir.glob("firmware/*.so"))) is (mode == "both")  # the library only with both paths
        paths = json.loads((Path(rec["build_dir"]) / "report.json").read_text())["bit_accuracy"]["library_vs_testbench"]
        assert (paths.get("exact") is True) if mode == "both" else (paths["checked"] is False and "check.library" in paths["reason"])
        assert list((tmp_path / mode / "out" / "cache" / "pch").glob("*/codesign_pch.h.gch"))
        assert f"1 point(s) C-simulated {'twice' if mode == 'both' else 'by'}" in (tmp_path / mode / "out" / "scan.md").read_text()
        lines[mode] = {k: v for k, v in rec.items() if k not in ("seconds", "steps", "build_dir", "csim")}
    assert lines["both"] == lines["testbench"]
