"""Runs the bad-input catalogue (bad_input_cases.py) through the real command line.

Each case: the exit code is the documented one, the message names the file, the key/layer/line and what is
accepted, and no traceback reaches the user. In-process with click's CliRunner (fast); a sample of cases
also as real subprocesses, where stderr is exactly what a user sees.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bad_input_cases import CASES, Case
from click.testing import CliRunner
from command_cases import COMMAND_CASES
from edge_cases import EDGE_CASES
from estimate_cases import ESTIMATE_CASES
from file_cases import FILE_CASES
from model_file_cases import MODEL_FILE_CASES
from round_ten_cases import ROUND_TEN_CASES
from user_data_cases import USER_DATA_CASES

from codesign.cli import main
from codesign.steps.model import TrainFloat

REPO = Path(__file__).resolve().parents[2]
SUBPROCESS_CASES = ("spec-duplicate-top-key", "quantize-integer-above-bits", "data-labels-shorter", "cfg-reuse-text",
                    "out-is-a-file", "report-truncated", "spec-is-a-folder", "scan-out-is-a-file",
                    "estimate-records-line-a-list", "spec-alias-bomb")  # fmt: skip


def _write_files(case: Case, tmp: Path) -> None:
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def _mount(case: Case, tmp: Path):
    mnt = tmp / "mnt"
    mnt.mkdir()
    opts = "ro,size=1m" if case.extra["mount"] == "ro" else "size=256k"
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mnt)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}): needs root with mount permission")
    if case.extra["mount"] == "full":
        from bad_input_cases import fill_tmpfs

        try:
            fill_tmpfs(mnt)
        except BaseException:
            subprocess.run(["umount", str(mnt)], check=False)
            raise
    return mnt


def _hold_lock(tmp: Path, folder: str) -> int:
    lock = tmp / folder / ".codesign" / "lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.pwrite(fd, b"4242", 0)
    return fd


def _args(case: Case, tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in case.args]


def _check_message(case: Case, text: str, tmp: Path) -> None:
    assert "Traceback" not in text, text
    assert "codesign: error:" in text, text
    for fragment in case.fragments:
        assert fragment.replace("{tmp}", str(tmp)) in text, f"{case.id}: {fragment!r} not in:\n{text}"


ALL_CASES = (CASES + COMMAND_CASES + MODEL_FILE_CASES + EDGE_CASES + FILE_CASES + USER_DATA_CASES
             + ESTIMATE_CASES + ROUND_TEN_CASES)  # fmt: skip


def _no_training(self, ctx, state):
    raise AssertionError("the float training started: this input must be refused before it")


def test_catalogue_is_large_and_ids_unique():
    ids = [c.id for c in ALL_CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 60


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a build that wrongly writes into the working directory is seen here
    if case.extra.get("before_training"):
        monkeypatch.setattr(TrainFloat, "run", _no_training)
    _write_files(case, tmp_path)
    mnt = _mount(case, tmp_path) if case.needs_mount else None
    fd = _hold_lock(tmp_path, case.hold_lock) if case.hold_lock else None
    try:
        before = set(os.listdir(tmp_path))
        result = CliRunner().invoke(main, _args(case, tmp_path))
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code == case.code, f"{case.id}: exit {result.exit_code}\n{result.output}"
        _check_message(case, result.output, tmp_path)
        assert set(os.listdir(tmp_path)) - before <= {"out", "nothing"}, "wrote into the working directory"
    finally:
        if fd is not None:
            os.close(fd)
        if mnt is not None:
            subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_bad_input_as_a_user_sees_it(case_id: str, tmp_path: Path):
    case = next(c for c in ALL_CASES if c.id == case_id)
    _write_files(case, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "codesign.cli", *_args(case, tmp_path)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)  # fmt: skip
    assert proc.returncode == case.code, proc.stderr
    assert proc.stdout.strip() == "" or "Traceback" not in proc.stdout
    _check_message(case, proc.stderr, tmp_path)
    assert len(proc.stderr.strip().splitlines()) <= 6, proc.stderr  # a message, not a dump
