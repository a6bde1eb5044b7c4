"""``--retry-failed``: a resume that builds the failed points again, each point still once in points.jsonl, the old
failed lines kept in points_retried.jsonl (the scan engine with the stand-in build of tests/scan_stub.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from codesign.errors import SpecError
from codesign.scan import run_scan
from codesign.scan_spec import load_scan
from tests.scan_stub import fake_point
from tests.test_scan import _count_calls, write_scan


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_retry_failed_builds_only_the_failed_grid_points_again(tmp_path, monkeypatch):
    scan = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    first = run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    assert first.n_failed == 3  # the three 5-bit points
    failed_before = sorted(r["id"] for r in _lines(out / "points.jsonl") if r["status"] == "failed")

    plain = run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    assert plain.n_ran == 0 and plain.n_retried == 0 and not (out / "points_retried.jsonl").exists()

    monkeypatch.setenv("SCAN_STUB_FAIL_BITS", "")  # the cause is fixed: 5 bits now build
    again = run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False, retry_failed=True)
    assert again.n_retried == 3 and again.n_ran == 3 and again.n_failed == 0 and again.n_points == 12
    recs = _lines(out / "points.jsonl")
    assert sorted(r["id"] for r in recs) == [f"p{i:04d}" for i in range(12)]  # every point once
    assert all(r["status"] == "ok" for r in recs)
    kept = _lines(out / "points_retried.jsonl")
    assert sorted(r["id"] for r in kept) == failed_before and all("five bits" in r["error"] for r in kept)
    calls = _count_calls(out)
    assert {pid for pid, n in calls.items() if n == 2} == set(failed_before)  # only the failed points rebuilt
    assert all(n == 1 for pid, n in calls.items() if pid not in failed_before)
    assert "12 points (grid), 12 built, 0 failed" in (out / "scan.md").read_text()

    # a retry with nothing failed runs nothing and leaves the kept lines as they were
    none = run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False, retry_failed=True)
    assert none.n_retried == 0 and none.n_ran == 0 and len(_lines(out / "points_retried.jsonl")) == 3


def test_a_point_that_fails_again_is_recorded_once_more_as_failed(tmp_path):
    scan = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    again = run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False, retry_failed=True)
    assert again.n_retried == 3 and again.n_failed == 3
    assert len(_lines(out / "points.jsonl")) == 12 and len(_lines(out / "points_retried.jsonl")) == 3


def test_retry_failed_in_optuna_mode_asks_the_failed_parameters_first(tmp_path, monkeypatch):
    monkeypatch.setenv("SCAN_STUB_FAIL_BITS", "4,5")
    scan = load_scan(write_scan(tmp_path, mode="optuna", trials=8, seed=2))
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    before = _lines(out / "points.jsonl")
    failed = [r for r in before if r["status"] == "failed"]
    assert failed, "the seed must draw at least one 4- or 5-bit point for this test to mean anything"
    monkeypatch.setenv("SCAN_STUB_FAIL_BITS", "")
    again = run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False, retry_failed=True)
    recs = _lines(out / "points.jsonl")
    assert again.n_retried == len(failed) and len(recs) == 8 and all(r["status"] == "ok" for r in recs)
    keys = lambda rs: sorted(json.dumps(r["params"], sort_keys=True) for r in rs)  # noqa: E731
    rebuilt = [r for r in recs if r["id"] not in {b["id"] for b in before}]
    assert keys(rebuilt) == keys(failed)  # the same parameters built again, under new trial numbers
    assert len({json.dumps(r["params"], sort_keys=True) for r in recs}) == 8


def test_retry_failed_must_be_a_bool_and_the_cli_takes_it(tmp_path):
    scan = load_scan(write_scan(tmp_path))
    with pytest.raises(SpecError, match=r"run_scan: retry_failed must be True or False, got 'yes'"):
        run_scan(scan, tmp_path / "out", point_fn=fake_point, show_progress=False, retry_failed="yes")
    help_text = subprocess.run([sys.executable, "-m", "codesign", "scan", "--help"], capture_output=True, text=True,
                               check=True).stdout  # fmt: skip
    assert "--retry-failed" in help_text and "points_retried.jsonl" in help_text


def _edit_first(out, **change) -> None:
    recs = _lines(out / "points.jsonl")
    for key, value in change.items():
        if value is None:
            del recs[0][key]
        else:
            recs[0][key] = value
    (out / "points.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))


@pytest.mark.parametrize("status", ["FAILED", "ok ", None])
def test_a_status_the_scan_does_not_write_is_refused_naming_the_point(tmp_path, status):
    """'FAILED' or 'ok ' was counted as failed (and retried), a line without a status was an internal error
    (KeyError) at the end of a resume: now refused before any point, naming the point and the accepted values."""
    scan = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    pid = _lines(out / "points.jsonl")[0]["id"]
    _edit_first(out, status=status)
    for kw in ({"resume": True}, {"retry_failed": True}):
        with pytest.raises(SpecError, match=rf"points.jsonl: point '{pid}' has status .*accepted: 'ok' or 'failed'"):
            run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False, **kw)
    assert max(_count_calls(out).values()) == 1


def test_a_line_edited_into_no_json_before_the_last_is_refused_the_cut_last_line_repaired(tmp_path):
    """Any line that was not JSON was dropped and the file rewritten without it, so a hand-edited line before the last
    lost its point's record silently (the point was built again); only the last line can be cut by a crash."""
    scan = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    path = out / "points.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:3], lines[3][:40], *lines[4:]]) + "\n")
    with pytest.raises(SpecError, match=r"points.jsonl: line 4 is not JSON .*lines follow it.*edited by hand"):
        run_scan(scan, out, workers=2, retry_failed=True, point_fn=fake_point, show_progress=False)
    path.write_text("\n".join([*lines[:3], "[1, 2]", *lines[4:]]) + "\n")
    with pytest.raises(SpecError, match=r"points.jsonl: line 4 is list JSON without a point 'id'"):
        run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    path.write_text("\n".join([*lines[:-1], lines[-1][:40]]))  # cut by a crash: repaired, its point built again
    again = run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    assert again.n_ran == 1 and len(_lines(path)) == 12


def test_points_retried_a_folder_is_refused_one_without_its_last_newline_gets_whole_lines(tmp_path):
    """points_retried.jsonl a folder was an internal error (IsADirectoryError); one edited without its last newline
    had the first retried line glued to its last line (the record lost as JSON)."""
    scan = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    archive = out / "points_retried.jsonl"
    archive.mkdir()
    with pytest.raises(SpecError, match=r"points_retried.jsonl: not a file .*move it away"):
        run_scan(scan, out, workers=2, retry_failed=True, point_fn=fake_point, show_progress=False)
    assert len(_lines(out / "points.jsonl")) == 12  # nothing taken out
    archive.rmdir()
    archive.write_text("a note of mine")
    again = run_scan(scan, out, workers=2, retry_failed=True, point_fn=fake_point, show_progress=False)
    text = archive.read_text().splitlines()
    assert again.n_retried == 3 and text[0] == "a note of mine" and len(text) == 4
    assert all(json.loads(line)["status"] == "failed" for line in text[1:])


def test_optuna_retry_after_the_study_moved_away_builds_no_point_twice_keeps_every_folder(tmp_path, monkeypatch):
    """optuna.db moved away (as a damaged-storage message advises) then --retry-failed: the new study numbered its
    trials from 0 again, so the retried points took the ids t0000, t0001 of finished points (their lines twice, their
    folders rebuilt with other parameters) and the scan ended with 10 points of 8 trials. Now the study is told the
    finished points first and a new point never takes an id in use."""
    monkeypatch.setenv("SCAN_STUB_FAIL_BITS", "4,5")
    scan = load_scan(write_scan(tmp_path, mode="optuna", trials=8, seed=2))
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    before = {r["id"]: r for r in _lines(out / "points.jsonl")}
    failed = [r for r in before.values() if r["status"] == "failed"]
    assert failed, "the seed must draw at least one 4- or 5-bit point for this test to mean anything"
    (out / "optuna.db").rename(out / "optuna.db.damaged")
    monkeypatch.setenv("SCAN_STUB_FAIL_BITS", "")
    again = run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False, retry_failed=True)
    recs = _lines(out / "points.jsonl")
    ids = [r["id"] for r in recs]
    assert again.n_retried == len(failed) and again.n_ran == len(failed) and len(recs) == 8 == len(set(ids))
    for pid, rec in before.items():  # every finished point keeps its line, and its folder was not built again
        if rec["status"] == "ok":
            assert next(r for r in recs if r["id"] == pid) == rec
    calls = _count_calls(out)
    assert all(calls[pid] == 1 for pid, rec in before.items() if rec["status"] == "ok")
    keys = lambda rs: sorted(json.dumps(r["params"], sort_keys=True) for r in rs)  # noqa: E731
    assert keys([r for r in recs if r["id"] not in before]) == keys(failed)
    assert run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False).n_ran == 0
