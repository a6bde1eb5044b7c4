"""``codesign scan``: the scan file is checked before any work, the grid is enumerated in a stable order, the
Pareto front agrees with an independent implementation, and a scan killed with SIGKILL and resumed has every
point exactly once without redoing a finished one.

Fast: the engine tests run a stand-in point build (tests/scan_stub.py); real builds are in test_scan_slow.py."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from codesign.errors import SpecError
from codesign.pareto import pareto_front
from codesign.scan import check_storage, connect_scheduler, run_scan
from codesign.scan_spec import load_scan

REPO = Path(__file__).resolve().parents[1]
SPEC = {"name": "toy", "data": {"source": "jets_hlf", "n_train": 500, "n_test": 200}, "model": {"family": "mlp", "hidden": [4]}}


def write_scan(tmp_path: Path, **over) -> Path:
    raw = {"spec": SPEC, "mode": "grid", "axes": {"quantize.bits": [4, 5, 6, 8], "hls.reuse_factor": [1, 2, 4]},
           "objectives": {"accuracy": "max", "lut": "min"}, "constraints": ["budget"], "part": "xcvu9p"}  # fmt: skip
    raw.update(over)
    path = tmp_path / "scan.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


# ------------------------------------------------------------------------------------------ the scan file


@pytest.mark.parametrize(
    "over, match",
    [
        ({"axes": {"quantize.bitz": [4]}}, r"scan.yaml: key 'axes.quantize.bitz': the spec has no such key"),
        ({"axes": {"hls.layer.dense_1.reuse_factor": [2]}}, r"key 'axes.hls.layer.dense_1.reuse_factor': the spec has no"),
        ({"axes": {"quantize.bits": []}}, r"key 'axes.quantize.bits': empty axis"),
        ({"axes": {"quantize.bits": ["six"]}}, r"key 'axes.quantize.bits': value 'six' does not give a valid spec.*quantize.bits"),
        ({"axes": {"hls.layers.dense_1.strategy": ["Fast"]}}, r"axes.hls.layers.dense_1.strategy': value 'Fast'"),
        ({"axes": {"quantize.bits": 4}}, r"key 'axes.quantize.bits': bad value 4: a list"),
        ({"axes": {}}, r"key 'axes': a non-empty mapping"),
        ({"objectives": {"accuracy": "max", "lutz": "min"}}, r"key 'objectives.lutz': the report has no figure 'lutz'.*accepted: accuracy"),
        ({"objectives": {"tpr_at_fpr": "max"}}, r"objectives.tpr_at_fpr': the report has no figure"),
        ({"objectives": {"lut": "smallest"}}, r"objectives.lut': bad value 'smallest'"),
        ({"mode": "random"}, r"key 'mode': bad value 'random'"),
        ({"mode": "optuna"}, r"key 'trials': optuna mode needs trials"),
        ({"constraints": ["timing"]}, r"key 'constraints'"),
        ({"part": "xcfoo"}, r"key 'part'"),
        ({"bogus": 1}, r"unknown key\(s\) bogus"),
        ({"base": "nope.yaml"}, r"give either 'base'"),
        ({"objectives": {"accuracy": "max", "rtl_lut": "min"}}, r"objectives.rtl_lut': 'rtl_lut' is a figure of the RTL route: set 'rtl: true'"),
        ({"rtl": "yes"}, r"key 'rtl': bad value 'yes' \(accepted: true, false\)"),
        ({"csim": "library"}, r"key 'csim': bad value 'library' \(accepted: both .*testbench"),
        ({"csim": False}, r"key 'csim': bad value False"),
        ({"csim": "testbench", "axes": {"check.library": [True, False]}}, r"key 'csim': axes.check.library sets the same"),
        ({"rtl": True, "objectives": {"rtl_carry": "min"}}, r"objectives.rtl_carry': the report has no figure 'rtl_carry'.*rtl_lut"),
    ],
)
def test_bad_scan_files_are_refused_naming_file_and_key(tmp_path, over, match):
    with pytest.raises(SpecError, match=match):
        load_scan(write_scan(tmp_path, **over))


def test_base_file_relative_to_the_scan_file(tmp_path):
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(SPEC))
    raw = yaml.safe_load(write_scan(tmp_path).read_text())
    raw.pop("spec")
    raw["base"] = "b.yaml"
    (tmp_path / "scan.yaml").write_text(yaml.safe_dump(raw))
    assert load_scan(tmp_path / "scan.yaml").base["name"] == "toy"
    raw["base"] = "missing.yaml"
    (tmp_path / "scan.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError, match=r"scan.yaml: key 'base': spec file .*missing.yaml not found"):
        load_scan(tmp_path / "scan.yaml")


def test_grid_enumeration_and_point_specs(tmp_path):
    scan = load_scan(write_scan(tmp_path, axes={"quantize.bits": [4, 6], "model.hidden": [[8], [16, 8]],
                                                "hls.layers.dense_1.reuse_factor": [1, 2, 4]}))  # fmt: skip
    grid = scan.grid()
    assert len(grid) == 2 * 2 * 3 and len({json.dumps(p, sort_keys=True) for p in grid}) == 12
    assert grid[0] == {"quantize.bits": 4, "model.hidden": (8,), "hls.layers.dense_1.reuse_factor": 1}
    assert grid[1]["hls.layers.dense_1.reuse_factor"] == 2 and grid[-1]["quantize.bits"] == 6  # first axis slowest
    spec = scan.point_spec(grid[-1], name="toy_p0011")
    assert spec["quantize"]["bits"] == 6 and spec["model"]["hidden"] == (16, 8)
    assert spec["hls"]["layers"]["dense_1"]["reuse_factor"] == 4 and spec["name"] == "toy_p0011"
    assert "quantize" not in scan.base  # the base is not modified


def test_csim_setting_reaches_every_point_spec_and_the_scan_identity(tmp_path):
    from codesign.scan_points import csim_mode

    default = load_scan(write_scan(tmp_path))
    tb = load_scan(write_scan(tmp_path, csim="testbench"))
    both = load_scan(write_scan(tmp_path, csim="both"))
    assert default.csim is None and "check" not in default.point_spec(default.grid()[0], name="x")
    assert csim_mode(default.point_spec(default.grid()[0], name="x")) == "both"  # the spec's default: both paths
    spec = tb.point_spec(tb.grid()[0], name="x")
    assert spec["check"]["library"] is False and csim_mode(spec) == "testbench"
    assert both.point_spec(both.grid()[0], name="x")["check"]["library"] is True
    assert len({default.identity, tb.identity, both.identity}) == 3  # a resume cannot switch it silently
    axis = load_scan(write_scan(tmp_path, axes={"check.library": [True, False]}))
    assert [csim_mode(axis.point_spec(p, name="x")) for p in axis.grid()] == ["both", "testbench"]


def test_shipped_demo_scan_is_the_24_point_grid():
    scan = load_scan(REPO / "models" / "scan_jet_mlp.yaml")
    assert len(scan.grid()) == 24 and scan.base["name"] == "jet_mlp"
    assert scan.objectives == {"accuracy": "max", "lut": "min", "dsp": "min"} and scan.constraints == ("budget",)


def test_storage_of_another_scan_and_an_unreachable_scheduler_are_refused(tmp_path):
    first = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    (out / "scan.json").write_text(json.dumps({"identity": "0123456789abcdef", "scan_file": "other.yaml"}))
    with pytest.raises(SpecError, match=r"storage .* is from a different scan \(other.yaml"):
        check_storage(first, out, resume=True)
    (out / "scan.json").unlink()
    (out / "optuna.db").write_text("")
    with pytest.raises(SpecError, match="optuna.db: an Optuna storage without scan.json"):
        check_storage(first, out, resume=False)
    with pytest.raises(SpecError, match=r"--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler"):
        connect_scheduler("tcp://127.0.0.1:9", timeout_s=2)


# ------------------------------------------------------------------------------------------ Pareto front


def _front_by_sorting(values: np.ndarray, directions: list[str]) -> set[int]:
    """Independent implementation: minimise everything, sort lexicographically, keep rows no kept row dominates."""
    v = np.where(np.array(directions) == "max", -values, values)
    order = np.lexsort(v.T[::-1])
    kept: list[int] = []
    for i in order:
        dominated = any(np.all(v[k] <= v[i]) and np.any(v[k] < v[i]) for k in kept)
        if not dominated:
            kept.append(int(i))
    # rows equal to a kept row are on the front as well (neither dominates the other)
    return {int(i) for i in range(len(v)) if any(np.array_equal(v[i], v[k]) for k in kept)}


@pytest.mark.parametrize("seed", range(6))
def test_pareto_front_two_implementations_agree(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(5, 60), rng.integers(2, 4)
    values = rng.integers(0, 6, size=(n, m)).astype(float)  # small integers: many ties
    directions = list(rng.choice(["min", "max"], size=m))
    ours = set(pareto_front(values.tolist(), directions))
    assert ours == _front_by_sorting(values, directions)
    assert ours  # a non-empty set always has a front


# ------------------------------------------------------------------------------------------ the engine


def _count_calls(out: Path) -> collections.Counter:
    return collections.Counter(p.name.split(".")[0] for p in (out / "calls").iterdir())


def _ids(out: Path) -> list[str]:
    return [json.loads(line)["id"] for line in (out / "points.jsonl").read_text().splitlines()]


def test_scan_returns_after_its_workers_have_exited(tmp_path, monkeypatch):
    """The workers shut down while the outputs are written, and run_scan waits for them: a caller that counts its
    children's CPU time (benchmarks/scan_rate.py) or starts another scan finds no worker left."""
    import multiprocessing
    import resource

    from tests.scan_stub import fake_point

    monkeypatch.setenv("SCAN_STUB_EXIT_S", "1.5")  # each worker takes 1.5 s to exit
    scan = load_scan(write_scan(tmp_path))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_scan(scan, tmp_path / "out", workers=2, point_fn=fake_point, show_progress=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert multiprocessing.active_children() == []
    assert after.ru_utime + after.ru_stime > before.ru_utime + before.ru_stime  # the workers were waited for


def test_grid_scan_writes_every_point_once_and_the_outputs(tmp_path):
    from tests.scan_stub import fake_point

    scan = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    s = run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    ids = _ids(out)
    assert sorted(ids) == [f"p{i:04d}" for i in range(12)]
    assert s.n_failed == 3 and s.n_ran == 12
    recs = {json.loads(line)["id"]: json.loads(line) for line in (out / "points.jsonl").read_text().splitlines()}
    assert all("five bits" in r["error"] for r in recs.values() if r["params"]["quantize.bits"] == 5)
    front = (out / "pareto.csv").read_text().splitlines()
    # feasible (lut < 7000) and non-dominated in (accuracy max, lut min): rf 4 at 4, 6 and 8 bits (lut 1000, 1500,
    # 2000); 8 bits rf 2 (lut 4000) has the accuracy of 8 bits rf 4 at more LUTs, 8 bits rf 1 fails the budget
    assert sorted(row.split(",")[0] for row in front[1:]) == ["p0002", "p0008", "p0011"]
    assert (out / "pareto.png").stat().st_size > 10_000
    md = (out / "scan.md").read_text()
    assert "12 points (grid), 9 built, 3 failed" in md and "five bits are refused" in md
    assert "C-simulation: 9 point(s) C-simulated twice (codesign's g++ testbench and hls4ml's ctypes library" in md
    with pytest.raises(SpecError, match="already holds points of this scan: pass --resume"):
        run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    again = run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    assert again.n_ran == 0 and max(_count_calls(out).values()) == 1  # nothing redone
    import optuna

    study = optuna.load_study(study_name=f"scan-{scan.identity}", storage=f"sqlite:///{out / 'optuna.db'}")
    assert len(study.trials) == 12 and sum(t.state.name == "FAIL" for t in study.trials) == 3


def test_kill_9_mid_scan_then_resume_gives_every_point_once(tmp_path):
    scan_path = write_scan(tmp_path)
    out = tmp_path / "out"
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        from codesign.scan import run_scan
        from codesign.scan_spec import load_scan
        from tests.scan_stub import fake_point
        if __name__ == "__main__":  # spawned pool workers import this file again
            run_scan(load_scan({str(scan_path)!r}), {str(out)!r}, workers=2, point_fn=fake_point, show_progress=False)
    """))
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "SCAN_STUB_SLEEP": "1.0"}
    proc = subprocess.Popen([sys.executable, str(driver)], cwd=REPO, env=env, start_new_session=True)
    deadline = time.time() + 120
    lines = out / "points.jsonl"
    while time.time() < deadline and (not lines.is_file() or len(lines.read_text().splitlines()) < 3):
        assert proc.poll() is None, "the scan process ended before it could be killed"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # the scan and its pool workers, as a crash or kill -9 of the job
    proc.wait()
    before = set(_ids(out))
    assert 3 <= len(before) < 12, "the kill came too late to test a resume"
    calls_before = _count_calls(out)
    from tests.scan_stub import fake_point

    os.environ["SCAN_STUB_SLEEP"] = "0.05"
    try:
        s = run_scan(load_scan(scan_path), out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    finally:
        os.environ.pop("SCAN_STUB_SLEEP", None)
    ids = _ids(out)
    assert sorted(ids) == [f"p{i:04d}" for i in range(12)] and len(ids) == len(set(ids))  # every point exactly once
    calls = _count_calls(out)
    assert all(calls[i] == 1 for i in before)  # a finished point is never redone
    running_at_kill = [i for i in calls_before if i not in before]
    assert all(calls[i] == 2 for i in running_at_kill)  # a point running at the kill is run again
    assert s.n_done_before == len(before) and s.n_ran == 12 - len(before)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").is_file() is False or "zombie" not in Path(f"/proc/{pid}/status").read_text()


def test_kill_9_of_the_scan_alone_ends_its_workers_and_resume_builds_every_point(tmp_path):
    """kill -9 of the coordinating process only (not its group): its workers end with it. They used to finish their
    points holding the point folders' build locks (a resume started meanwhile recorded those points as failed,
    'another codesign build is writing into this folder') and then wait forever for work."""
    scan_path = write_scan(tmp_path, axes={"quantize.bits": [4, 6], "hls.reuse_factor": [1, 2]})
    out = tmp_path / "out"
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        from codesign.scan import run_scan
        from codesign.scan_spec import load_scan
        from tests.scan_stub import fake_point
        if __name__ == "__main__":  # spawned pool workers import this file again
            run_scan(load_scan({str(scan_path)!r}), {str(out)!r}, workers=2, point_fn=fake_point, show_progress=False)
    """))
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env["SCAN_STUB_SLEEP"] = "20"  # both workers are mid-point when the coordinator dies
    proc = subprocess.Popen([sys.executable, str(driver)], cwd=REPO, env=env, start_new_session=True)
    calls = out / "calls"
    deadline = time.time() + 120
    while time.time() < deadline and (not calls.is_dir() or len(list(calls.iterdir())) < 2):
        assert proc.poll() is None, "the scan process ended before it could be killed"
        time.sleep(0.1)
    workers = {int(p.read_text()) for p in calls.iterdir()}
    assert len(workers) == 2, "both workers should be building a point"
    os.kill(proc.pid, signal.SIGKILL)  # the coordinator alone
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    left = [w for w in workers if _alive(w)]
    try:
        assert not left, f"workers {left} outlived their scan"
    finally:
        for w in left:
            os.kill(w, signal.SIGKILL)
    from tests.scan_stub import fake_point

    s = run_scan(load_scan(scan_path), out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    recs = [json.loads(line) for line in (out / "points.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in recs) == ["p0000", "p0001", "p0002", "p0003"] and s.n_done_before == 0
    assert all(r["status"] == "ok" for r in recs), [r["error"] for r in recs]


@pytest.mark.parametrize("mode", ["grid", "optuna"])
def test_a_worker_killed_under_a_point_stops_the_scan_with_a_clear_error_then_resume(tmp_path, monkeypatch, mode):
    """A local worker killed while it builds a point (the out-of-memory killer): the pool cannot go on, and the scan
    stops with a ToolError (exit 5) saying to resume, not an internal error (exit 7, BrokenProcessPool); the resume
    builds every point once."""
    from codesign.errors import ToolError
    from tests.scan_stub import fake_point

    scan = load_scan(write_scan(tmp_path, **({"mode": mode, "trials": 12, "seed": 1} if mode == "optuna" else {})))
    out = tmp_path / "out"
    first = "p0003" if mode == "grid" else "t0003"
    monkeypatch.setenv("SCAN_STUB_KILL", first)
    with pytest.raises(ToolError, match=r"a scan worker process died while building a point .*BrokenProcessPool.*"
                       r"rerun with --resume"):  # fmt: skip
        run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    before = _ids(out) if (out / "points.jsonl").is_file() else []
    assert first not in before and len(before) < 12
    monkeypatch.delenv("SCAN_STUB_KILL")
    s = run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    ids = _ids(out)
    assert len(ids) == 12 == len(set(ids)) and s.n_done_before == len(before)
    assert {r["id"] for r in map(json.loads, (out / "points.jsonl").read_text().splitlines())} >= set(before)


def test_a_dask_scheduler_lost_mid_scan_is_a_clear_error_then_resume(tmp_path):
    """The Dask scheduler dies while points run: the scan stops with a ToolError naming the scheduler and saying to
    resume (was: internal error, exit 7, FuturesCancelledError); a resume builds every point once."""
    from codesign.errors import ToolError
    from tests.scan_stub import fake_point

    cluster = tmp_path / "cluster.py"
    cluster.write_text(textwrap.dedent("""
        import sys, time
        from distributed import LocalCluster
        if __name__ == "__main__":
            with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as c:
                print(c.scheduler_address, flush=True)
                time.sleep(600)
    """))
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env["SCAN_STUB_SLEEP"] = "2"
    proc = subprocess.Popen([sys.executable, str(cluster)], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://"), address
        scan = load_scan(write_scan(tmp_path, axes={"quantize.bits": [4, 6], "hls.reuse_factor": [1, 2]}))
        out = tmp_path / "out"
        import threading

        def kill_once_a_point_runs() -> None:  # the scheduler and its worker, while the first point is building
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and not any((out / "calls").glob("*")):
                time.sleep(0.05)
            os.killpg(proc.pid, signal.SIGKILL)

        threading.Thread(target=kill_once_a_point_runs, daemon=True).start()
        with pytest.raises(ToolError, match=rf"the Dask scheduler {address} went away .*rerun with --resume"):
            run_scan(scan, out, scheduler=address, point_fn=fake_point, show_progress=False)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = _ids(out) if (out / "points.jsonl").is_file() else []
    assert len(before) < 4
    s = run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    assert sorted(_ids(out)) == ["p0000", "p0001", "p0002", "p0003"] and s.n_done_before == len(before)


def test_optuna_mode_nsga2_runs_the_asked_trials_once(tmp_path):
    from tests.scan_stub import fake_point

    scan = load_scan(write_scan(tmp_path, mode="optuna", trials=6, seed=3))
    out = tmp_path / "out"
    s = run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    ids = _ids(out)
    assert len(ids) == 6 == len(set(ids)) and s.n_points == 6
    params = [json.dumps(json.loads(line)["params"], sort_keys=True) for line in (out / "points.jsonl").read_text().splitlines()]
    assert len(set(params)) == 6  # a combination proposed twice is not built twice
    import optuna

    study = optuna.load_study(study_name=f"scan-{scan.identity}", storage=f"sqlite:///{out / 'optuna.db'}")
    recs = {json.loads(line)["id"]: json.loads(line) for line in (out / "points.jsonl").read_text().splitlines()}
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert complete and {t.user_attrs.get("point_id") for t in study.trials} - {None} == set(recs)
    for t in complete:  # the study holds each point's figures, with the budget as its constraint
        r = recs[t.user_attrs["point_id"]]
        assert t.values == [r["metrics"]["firmware"]["accuracy"], r["estimate"]["lut"]]
        assert t.system_attrs["constraints:budget"] == (0.0 if r["budget_pass"] else 1.0)


# ------------------------------------------------------------------------------------------ scheduling


def _waits(order: list[int], stages: list[tuple[str, ...]], workers: int) -> int:
    """How many (point, step) pairs would wait on a step started by a point submitted just before (independent
    count: for each submitted point, the steps first needed by one of the previous workers - 1 points)."""
    total = 0
    for pos, i in enumerate(order):
        earlier = [stages[j] for j in order[max(0, pos - workers + 1) : pos]]
        before = [stages[j] for j in order[: max(0, pos - workers + 1)]]
        for s in stages[i]:
            if any(s in st for st in earlier) and not any(s in st for st in before):
                total += 1
    return total


def test_spread_order_keeps_points_that_share_a_qat_apart(tmp_path):
    from codesign.scan import _Runner, spread_order

    scan = load_scan(REPO / "models" / "scan_jet_mlp.yaml")
    runner = _Runner.__new__(_Runner)
    runner.scan = scan
    stages = [runner.stages(p) for p in scan.grid()]
    # the digests follow the spec sections: one float training, 4 prunings, 12 QAT models for the demo grid
    assert len({s[0] for s in stages}) == 1 and len({s[1] for s in stages}) == 4 and len({s[2] for s in stages}) == 12
    assert spread_order(stages, 1) == list(range(24))  # one worker: grid order
    order = spread_order(stages, 2)
    assert sorted(order) == list(range(24))
    grid_waits, spread_waits = _waits(list(range(24)), stages, 2), _waits(order, stages, 2)
    # grid order pairs the two reuse factors of one QAT model (each pair waits on its pruning and QAT);
    # the spread order only waits on the single float training at the start
    assert grid_waits >= 12 and spread_waits == 1, (grid_waits, spread_waits)
    # the long points first: the 12 that train a QAT model of their own, then the 12 that reuse one, so that the
    # end of the scan (where a worker may idle) holds only short points
    seen: set[str] = set()
    fresh = []
    for i in order:
        fresh.append(sum(1 for s in stages[i] if s not in seen))
        seen.update(stages[i])
    assert all(f >= 1 for f in fresh[:12]) and fresh[12:] == [0] * 12, fresh


def test_worker_threads_share_the_cores():
    from codesign.scan import worker_threads

    assert worker_threads(1, cores=2) == 2 and worker_threads(2, cores=2) == 1 and worker_threads(4, cores=2) == 1
    assert worker_threads(2, cores=16) == 8


# ------------------------------------------------------------------------------------------ RTL objectives


def _result(rtl: dict | None):
    from codesign.api import BuildResult

    return BuildResult(name="toy", out_dir=Path("/x"), bit_exact=True, bit_accuracy={"exact": True}, metrics={},
                       sparsity=None, estimate=None, budget=None, steps=(), notes=(), report_json=Path("/x/r.json"),
                       report_md=Path("/x/r.md"), rtl=rtl)  # fmt: skip


def test_rtl_section_becomes_the_points_rtl_figures_or_its_failure():
    from codesign.scan import objective_value
    from codesign.scan_points import record_from_result

    ok = record_from_result(_result({"bit_exact": True, "n_mismatch": 0, "n_samples": 9, "lut": 812, "ff": 95,
                                     "latency_ns": 15.0, "latency_cycles": 3, "ii_cycles": 1}), {}, "p0000", 1.0)  # fmt: skip
    assert ok["status"] == "ok" and objective_value(ok, "rtl_lut") == 812.0 and objective_value(ok, "rtl_ff") == 95.0
    assert objective_value(ok, "rtl_latency_ns") == 15.0 and objective_value(ok, "lut") is None  # HLS estimate apart
    refused = record_from_result(_result({"bit_exact": None, "error": "layer 'phi1' (Conv1D): the RTL route takes "
                                          "Dense layers only", "exit_code": 2}), {}, "p0001", 1.0)  # fmt: skip
    assert refused["status"] == "failed" and refused["error"].startswith("rtl: layer 'phi1' (Conv1D)")
    assert objective_value(refused, "rtl_lut") is None
    wrong = record_from_result(_result({"bit_exact": False, "n_mismatch": 3, "n_samples": 9}), {}, "p0002", 1.0)
    assert wrong["status"] == "failed" and "not bit-exact in Verilator (3 of 9" in wrong["error"]
    assert record_from_result(_result(None), {}, "p0003", 1.0)["rtl"] is None  # no --rtl: no section


def test_point_records_the_reuse_factors_in_the_firmware_not_the_asked_one():
    from codesign.api import BuildResult
    from codesign.scan_points import record_from_result

    report = {"name": "toy", "bit_accuracy": {"exact": True}, "project": {"reuse_factors": {"dense1": 2, "out": 2}}}
    rec = record_from_result(BuildResult.from_report(report, Path("/x")), {"hls.reuse_factor": 3}, "p0000", 1.0)
    assert rec["params"] == {"hls.reuse_factor": 3} and rec["reuse_factors"] == {"dense1": 2, "out": 2}


def _fake_build(log: list, pause: float):
    """A stand-in for codesign.api.build that holds the folder's build lock as the pipeline does and logs when it
    runs, so that a test sees overlapping builds."""
    import threading

    from codesign.api import BuildResult
    from codesign.durable import build_lock

    guard = threading.Lock()

    def build(spec, *, part, out, cache_dir=None, rtl=False, plots=False):
        with build_lock(out):
            with guard:
                log.append(("start", out))
            time.sleep(pause)
            with guard:
                log.append(("end", out))
        return BuildResult.from_report({"name": "toy", "bit_accuracy": {"exact": True}}, Path(out))

    return build


def _job(tmp_path: Path, pid: str) -> dict:
    return {"id": pid, "params": {"hls.reuse_factor": 1}, "spec": {}, "part": "xcvu9p",
            "build_dir": str(tmp_path / "points" / pid), "cache_dir": None}  # fmt: skip


def test_a_dask_worker_with_several_threads_builds_one_point_at_a_time(tmp_path, monkeypatch):
    """A Dask worker started with 2 threads (dask's default is one per core; a jobqueue cluster's cores) hands
    run_point two points at once in one process: every point of a real scan failed ('I/O operation on closed
    file'), the builds swapping the console's file descriptors under each other. They now run one after the other."""
    import concurrent.futures as cf

    import codesign.api
    from codesign.scan_points import run_point

    log: list = []
    monkeypatch.setattr(codesign.api, "build", _fake_build(log, 0.3))
    with cf.ThreadPoolExecutor(max_workers=3) as ex:
        recs = list(ex.map(run_point, [_job(tmp_path, f"p000{i}") for i in range(3)]))
    assert [r["status"] for r in recs] == ["ok"] * 3, [r["error"] for r in recs]
    assert [e for e, _ in log] == ["start", "end"] * 3  # never two builds at once


def test_a_failed_points_line_has_the_keys_of_a_finished_one(tmp_path, monkeypatch):
    """points.jsonl lines have one set of keys: a failed point's line lacked 'reuse_factors' (README lists it for
    every line), so a reader of r['reuse_factors'] stopped on the first failed point."""
    import codesign.api
    from codesign.errors import SpecError as Refused
    from codesign.scan_points import run_point

    log: list = []
    monkeypatch.setattr(codesign.api, "build", _fake_build(log, 0.0))
    ok = run_point(_job(tmp_path, "p0000"))

    def refuse(spec, **kw):
        raise Refused("hls.layers.dense_9: no layer named 'dense_9' in the model")

    monkeypatch.setattr(codesign.api, "build", refuse)
    failed = run_point(_job(tmp_path, "p0001"))
    assert ok["status"] == "ok" and failed["status"] == "failed" and "dense_9" in failed["error"]
    assert set(failed) == set(ok) and failed["reuse_factors"] is None


def test_a_point_waits_for_an_earlier_attempt_still_building_its_folder(tmp_path, monkeypatch):
    """The attempt of a point that a Dask worker still runs after its scan died (the cluster cannot stop a running
    task) holds the point folder's build lock: the resumed point waits for it, then builds (reusing what it
    finished), where it was recorded as failed ('another codesign build is writing into this folder')."""
    import threading

    import codesign.api
    from codesign.durable import build_lock
    from codesign.scan_points import run_point

    log: list = []
    monkeypatch.setattr(codesign.api, "build", _fake_build(log, 0.0))
    job = _job(tmp_path, "p0000")
    earlier = build_lock(job["build_dir"])
    earlier.acquire()
    threading.Timer(1.0, earlier.release).start()
    start = time.perf_counter()
    rec = run_point(job)
    assert rec["status"] == "ok", rec["error"]
    assert time.perf_counter() - start >= 0.9 and log == [("start", job["build_dir"]), ("end", job["build_dir"])]


def test_rtl_scan_passes_rtl_to_each_point_and_ranks_on_rtl_lut(tmp_path, monkeypatch):
    import codesign.scan as scan_mod
    from tests.scan_stub import fake_point

    monkeypatch.setattr(scan_mod, "check_rtl_tools", lambda scan: None)  # the tools are not what this test is about
    scan = load_scan(write_scan(tmp_path, rtl=True, objectives={"accuracy": "max", "rtl_lut": "min"}))
    assert scan.rtl and scan.identity != load_scan(write_scan(tmp_path)).identity
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    recs = [json.loads(line) for line in (out / "points.jsonl").read_text().splitlines()]
    assert all(r["rtl"] is not None for r in recs if r["status"] == "ok")
    header, *rows = (out / "pareto.csv").read_text().splitlines()
    assert header.split(",")[: 2 + 2 + 1] == ["id", "quantize.bits", "hls.reuse_factor", "accuracy", "rtl_lut"]
    # the stand-in's rtl_lut is 900 * bits: the front is every bits value at its best (feasible) reuse factor
    assert {row.split(",")[1] for row in rows} == {"4", "6", "8"}


def test_rtl_scan_refuses_up_front_without_yosys_for_its_counts(tmp_path, monkeypatch):
    import shutil as sh

    from codesign.errors import ToolError
    from codesign.rtl import sim
    from codesign.scan import check_rtl_tools

    monkeypatch.setattr(sim, "versions", lambda: {"da4ml": "0.6.0", "verilator": "5"})
    monkeypatch.setattr(sim, "verilator_env", lambda: {})
    monkeypatch.setattr(sh, "which", lambda name: None)
    scan = load_scan(write_scan(tmp_path, rtl=True, objectives={"accuracy": "max", "rtl_lut": "min"}))
    with pytest.raises(ToolError, match=r"objectives rtl_lut are yosys's counts, and yosys is not on PATH"):
        check_rtl_tools(scan)
    check_rtl_tools(load_scan(write_scan(tmp_path, rtl=True, objectives={"accuracy": "max", "rtl_latency_ns": "min"})))


def test_worker_threads_follow_the_affinity_mask(monkeypatch):
    """A batch slot's affinity mask (SLURM, taskset), not the machine's core count, sizes the default pool."""
    import os

    from codesign.scan import worker_threads

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert worker_threads(1) == 1 and worker_threads(2) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert worker_threads(1) == 4 and worker_threads(2) == 2


def test_threads_per_worker_is_applied_over_the_environment_or_refused_on_dask(monkeypatch):
    """--threads-per-worker replaces the shared-out default and any thread setting in the environment (a setting
    the user gave is applied); with a Dask scheduler it is refused before any connection is tried."""
    from codesign.errors import SpecError
    from codesign.scan_pool import THREAD_ENV, Pool, _init_worker, worker_threads

    assert worker_threads(2, cores=2, threads=2) == 2 and worker_threads(1, cores=8, threads=3) == 3
    for name in THREAD_ENV:
        monkeypatch.setenv(name, "7")
    _init_worker(1, preload=False)  # the default defers to the environment
    assert {os.environ[n] for n in THREAD_ENV} == {"7"}
    _init_worker(2, preload=False, force=True)
    assert {os.environ[n] for n in THREAD_ENV} == {"2"}
    with pytest.raises(SpecError, match="threads-per-worker 2.*local workers only"):
        Pool(2, "tcp://127.0.0.1:1", threads=2)


def test_a_worker_starts_the_header_prebuild_once_with_its_first_point(monkeypatch, tmp_path):
    """Dask workers run no code of ours before their first point: run_point starts the precompiled header's
    background build for the scan's cache, once per process (a local worker's start and its points share it)."""
    import threading
    import types

    from codesign import scan_points
    from codesign.errors import SpecError
    from codesign.hls import pch

    calls, started = [], threading.Event()

    def fake_prebuild(root):
        calls.append(root)
        started.set()

    def no_build(*args, **kwargs):
        raise SpecError("stand-in build")

    monkeypatch.setattr(pch, "prebuild", fake_prebuild)
    monkeypatch.setattr(scan_points, "_PCH_STARTED", set())
    monkeypatch.setitem(sys.modules, "codesign.api", types.SimpleNamespace(build=no_build))
    job = {"id": "p0000", "params": {}, "spec": {"name": "x"}, "part": "xcvu9p", "build_dir": str(tmp_path / "p"),
           "cache_dir": str(tmp_path / "cache")}  # fmt: skip
    rec = scan_points.run_point(job)
    assert rec["status"] == "failed" and "stand-in build" in rec["error"] and started.wait(5)
    scan_points.start_pch_prebuild(str(tmp_path / "cache" / "pch"))  # the local worker's start, same folder
    scan_points.run_point(dict(job, id="p0001"))
    assert calls == [str(tmp_path / "cache" / "pch")]
    scan_points.run_point(dict(job, cache_dir=None))  # no shared cache: no header
    assert len(calls) == 1


def test_progress_bar_line_counts_the_point_it_reports(capsys):
    """Every line the bar writes shows the finished point in both its count and its postfix (the postfix
    was set after update() had written its line, so that line showed the point before: 1/3 with done=0)."""
    import re
    from types import SimpleNamespace

    from codesign.scan import _Runner

    scan = SimpleNamespace(mode="grid", grid=lambda: [{}] * 3)
    log = SimpleNamespace(append=lambda rec: None)
    runner = _Runner(scan, Path("."), "xcvu9p", None, log, None, {}, True, True)
    runner.bar.mininterval, runner.bar.miniters, runner.bar.dynamic_miniters = 0, 1, False  # update() always writes
    for i, status in enumerate(("ok", "failed", "ok")):
        runner.finish({"id": f"p{i:04d}", "status": status})
    runner.close()
    lines = [s for s in re.split(r"[\r\n]", capsys.readouterr().err) if "point" in s]
    counts = [tuple(int(v) for v in re.search(r"(\d+)/3 .*done=(\d+), failed=(\d+), remaining=(\d+)", s).groups())
              for s in lines]  # fmt: skip
    assert {c[0] for c in counts} == {0, 1, 2, 3}
    assert all(n == done == 3 - remaining for n, done, _, remaining in counts), lines
    assert counts[-1] == (3, 3, 1, 0)


def test_resume_refuses_points_lines_this_scan_did_not_write(tmp_path):
    """A points.jsonl line pasted from another scan, or edited, would stand for a point that was never built (resume
    never redoes a finished point): refused naming the file and the point, before any point is built."""
    from tests.scan_stub import fake_point

    scan = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    # two workers write the lines in the order the points finish: sort them so that the first is p0000's
    lines = sorted((out / "points.jsonl").read_text().splitlines(), key=lambda ln: json.loads(ln)["id"])
    first = json.loads(lines[0])
    assert first["id"] == "p0000"
    other = {**first, "params": {**first["params"], "quantize.bits": 12}}  # from a scan with a 12-bit axis value
    moved = {**first, "id": "p0011"}  # p0000's line under p0011's id
    for bad, match in (
        ([*lines, lines[0]], f"point '{first['id']}' appears twice"),
        ([json.dumps(other), *lines[1:]], rf"point '{first['id']}' was built with .*'quantize.bits': 12.*grid has"),
        ([json.dumps({**first, "params": {"quantize.bits": 4}}), *lines[1:]],
         r"point 'p0000' has parameters \['quantize.bits'\], not this scan's axes"),
        ([ln for ln in lines if json.loads(ln)["id"] != "p0011"] + [json.dumps(moved)], r"point 'p0011' was built"),
        ([*lines, json.dumps({**first, "id": "p0099"})], r"point 'p0099'.*has no point of that id \(12 points\)"),
    ):
        (out / "points.jsonl").write_text("\n".join(bad) + "\n")
        before = len(list((out / "calls").iterdir()))
        with pytest.raises(SpecError, match=rf"points\.jsonl: {match}"):
            run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
        assert len(list((out / "calls").iterdir())) == before  # nothing built
    (out / "points.jsonl").write_text("\n".join(lines) + "\n")
    assert run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False).n_ran == 0


def test_a_damaged_or_locked_optuna_storage_is_refused_and_the_advice_rebuilds_it(tmp_path):
    """optuna.db truncated or overwritten was an internal error (sqlite3.DatabaseError), one locked by another
    process too; now refused (exit 2) naming the file; moving it away as the message says rebuilds the study from
    points.jsonl without building any point again."""
    import sqlite3

    import optuna

    from tests.scan_stub import fake_point

    scan = load_scan(write_scan(tmp_path))
    out = tmp_path / "out"
    run_scan(scan, out, workers=2, point_fn=fake_point, show_progress=False)
    db = out / "optuna.db"
    data = db.read_bytes()
    for damaged, why in ((data[: len(data) // 3], "database disk image is malformed"), (b"x" * 4096, "file is not a database")):
        db.write_bytes(damaged)
        with pytest.raises(SpecError, match=rf"optuna\.db: not a readable Optuna storage \({why}.*12 finished point"):
            run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    db.rename(out / "optuna.db.damaged")  # what the message advises
    again = run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    assert again.n_ran == 0 and max(_count_calls(out).values()) == 1
    study = optuna.load_study(study_name=f"scan-{scan.identity}", storage=f"sqlite:///{db}")
    assert len(study.trials) == 12
    holder = sqlite3.connect(db)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(SpecError, match=r"optuna\.db: locked by another process"):
            run_scan(scan, out, workers=2, resume=True, point_fn=fake_point, show_progress=False)
    finally:
        holder.close()


def test_a_pool_broken_before_the_next_submit_is_the_same_clear_error(tmp_path, monkeypatch):
    """A worker that dies between one point finishing and the next submit breaks the local pool there: submit raised
    BrokenProcessPool itself (internal error, exit 7; seen once in an optuna scan under load) instead of the
    ToolError that a point's result gives."""
    from concurrent.futures.process import BrokenProcessPool

    from codesign.errors import ToolError
    from codesign.scan_pool import Pool
    from tests.scan_stub import fake_point

    pool = Pool(1, None, fake_point)
    try:

        def broken(*args, **kwargs):
            raise BrokenProcessPool("A child process terminated abruptly, the process pool is not usable anymore")

        monkeypatch.setattr(pool.executor, "submit", broken)
        with pytest.raises(ToolError, match=r"a scan worker process died .*; 3 point\(s\) not finished; .*--resume"):
            pool.submit({"id": "p0000"}, running=2)
    finally:
        monkeypatch.undo()
        pool.close()
