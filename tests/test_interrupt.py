"""Ctrl-C (SIGINT to the terminal's process group) during a build and a scan: exit 130, as shells expect, one
last line saying what was kept and how to go on, no traceback, and nothing half-written read back as finished.

Each test starts the real command line in its own process group and sends SIGINT to the whole group once the
command's output (or points.jsonl) shows it is in the step to interrupt, as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from codesign.cli import main
from codesign.errors import Interrupted

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def _start(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """The command in its own process group, with SIGINT's default action restored as in a terminal: a test run
    started as a background job of a non-interactive shell (as a CI runner may start it) ignores SIGINT, every child
    inherits that, and Python then never raises KeyboardInterrupt (the build ran on to exit 0)."""
    return subprocess.Popen(args, cwd=cwd, env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip


def _interrupt_when(proc: subprocess.Popen, ready, timeout_s: float = 240) -> tuple[int, list[str]]:
    """Read the command's output; once ``ready(lines)`` holds, SIGINT its process group. Returns (exit code, lines)."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in proc.stdout), daemon=True)
    reader.start()
    deadline = time.time() + timeout_s
    while not ready(lines):
        assert proc.poll() is None, "the command ended before it could be interrupted:\n" + "\n".join(lines)
        assert time.time() < deadline, "the command did not reach the step to interrupt:\n" + "\n".join(lines)
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    code = proc.wait(timeout=120)
    reader.join(timeout=10)
    return code, [line for line in lines if line.strip()]


def _spec(tmp: Path, **patch) -> Path:
    spec = {"name": "ctrl_c", "data": {"source": "jets_hlf", "n_train": 2000, "n_test": 500, "seed": 0},
            "model": {"family": "mlp", "hidden": [8]}, "train": {"epochs": 1, "batch_size": 64},
            "quantize": {"bits": 6, "integer": 0, "epochs": 1}, "check": {"n_samples": 50, "workers": 1}}  # fmt: skip
    for key, value in patch.items():
        spec[key] = {**spec[key], **value}
    path = tmp / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _build(spec: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "codesign.cli", "build", str(spec), "--part", "xcvu9p", "--out", str(out)]


def test_exit_code_and_help_list_130():
    assert Interrupted.exit_code == 130 == 128 + signal.SIGINT
    assert "130  interrupted (Ctrl-C)" in CliRunner().invoke(main, ["--help"]).output


def test_ctrl_c_during_float_training(tmp_path):
    spec = _spec(tmp_path, data={"n_train": 4000}, train={"epochs": 500, "patience": 1000})
    out = tmp_path / "out"
    proc = _start(_build(spec, out), tmp_path)
    code, lines = _interrupt_when(proc, lambda lines: any(line.endswith("] train_float") for line in lines))
    assert code == 130, "\n".join(lines)
    assert lines[-1].startswith("codesign: interrupted (Ctrl-C): the steps finished before it are kept"), lines
    assert not any("Traceback" in line or line == "Aborted!" for line in lines), lines
    # the build never finished: no report, the folder marked in progress, the training step not stored as done
    assert not (out / "report.json").exists() and (out / ".codesign" / "in_progress").is_file()
    cache = out / ".codesign" / "cache.json"
    stored = json.loads(cache.read_text()) if cache.is_file() else {}
    assert "train_float" not in stored and "__complete__" not in stored
    refused = CliRunner().invoke(main, ["report", str(out)])
    assert refused.exit_code == 2 and "interrupted" in refused.output


def test_ctrl_c_during_a_scan_then_resume(tmp_path):
    """The scan's pool workers get the SIGINT too: the coordinator reports it once (no worker traceback), the
    finished points stay in points.jsonl, and --resume builds each other point once."""
    scan_path = tmp_path / "s.yaml"
    base = yaml.safe_load(_spec(tmp_path).read_text())
    scan_path.write_text(yaml.safe_dump({"spec": base, "part": "xcvu9p", "mode": "grid",
                                         "axes": {"quantize.bits": [4, 6, 7, 8], "hls.reuse_factor": [1, 2]},
                                         "objectives": {"accuracy": "max", "lut": "min"}}))  # fmt: skip
    out = tmp_path / "sc"
    driver = tmp_path / "driver.py"  # the command line, each point built by the stand-in (no training, no g++)
    driver.write_text(
        textwrap.dedent("""
        import sys
        import codesign.scan
        from tests.scan_stub import fake_point
        codesign.scan.run_scan.__kwdefaults__["point_fn"] = fake_point
        if __name__ == "__main__":  # spawned pool workers import this file again
            from codesign.cli import main
            main(sys.argv[1:], prog_name="codesign")
    """)
    )
    args = [sys.executable, str(driver), "scan", str(scan_path), "--out", str(out), "--workers", "2"]
    points = out / "points.jsonl"

    def two_done(_lines) -> bool:
        return points.is_file() and len(points.read_text().splitlines()) >= 2

    code, lines = _interrupt_when(_start(args, REPO, {**ENV, "SCAN_STUB_SLEEP": "1.0"}), two_done)
    assert code == 130, "\n".join(lines)
    assert lines[-1].startswith("codesign: interrupted (Ctrl-C): the finished points are kept"), lines
    assert f"kept in {out.resolve() / 'points.jsonl'};" in lines[-1], lines[-1]  # the folder, not '<out>'
    assert not any("Traceback" in line or "KeyboardInterrupt" in line for line in lines), "\n".join(lines)
    before = {json.loads(line)["id"] for line in points.read_text().splitlines()}
    assert 2 <= len(before) < 8, "the interruption came too late to test the resume"
    done = subprocess.run([*args, "--resume"], cwd=REPO, env={**ENV, "SCAN_STUB_SLEEP": "0.05"}, capture_output=True,
                          text=True, timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"8 points ({len(before)} done before, {8 - len(before)} now" in done.stdout
    ids = [json.loads(line)["id"] for line in points.read_text().splitlines()]
    assert sorted(ids) == [f"p{i:04d}" for i in range(8)]  # every point once


@pytest.mark.slow
def test_ctrl_c_during_c_simulation_then_rerun(tmp_path):
    """Interrupted in the C-simulation (g++ testbench running): exit 130, not a g++ failure (5); the rerun reuses
    the finished training steps, redoes the C-simulation and completes."""
    spec = _spec(tmp_path, check={"n_samples": 20000})
    out = tmp_path / "out"
    proc = _start(_build(spec, out), tmp_path)
    code, lines = _interrupt_when(proc, lambda lines: any(line.endswith("] csim") for line in lines))
    assert code == 130, "\n".join(lines)
    assert lines[-1].startswith("codesign: interrupted (Ctrl-C)"), lines
    assert not (out / "report.json").exists()
    rerun = subprocess.run(_build(spec, out), cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    steps = {s["name"]: s["cached"] for s in json.loads((out / ".codesign" / "steps.json").read_text())}
    assert steps["train_float"] and steps["quantize"] and not steps["csim"]
    assert json.loads((out / "report.json").read_text())["bit_accuracy"]["exact"] is True


def test_ctrl_c_while_data_chunks_run_keeps_them_for_resume(tmp_path, monkeypatch):
    """codesign data: a Ctrl-C between chunks is exit 130 (it was exit 2, 'bad input'), naming the parts folder."""
    from codesign.data import generate

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(generate, "_worker", interrupted)
    task = generate.ChunkTask("jets", "g", 0, 5, 1, None)
    with pytest.raises(Interrupted, match=r"finished chunks are kept in .*parts: rerun with --resume") as err:
        generate.run_chunks([task], tmp_path / "parts", workers=1, unit="jet", progress=False)
    assert err.value.exit_code == 130


def test_every_entry_point_goes_through_run():
    """The script and both ``python -m`` forms enter through ``codesign.cli.run``, which leaves an interrupted
    command with 130 itself (CPython would otherwise kill the process with SIGINT after a KeyboardInterrupt raised
    inside TensorFlow's tracing: status -2, seen when the Ctrl-C lands as float training starts)."""
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"codesign": "codesign.cli:run"}
    for module in ("codesign/__main__.py", "codesign/cli/__main__.py"):
        assert "from codesign.cli import run\n\nrun()" in (REPO / module).read_text(), module
