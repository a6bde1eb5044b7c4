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
