"""Durability of a build folder: the lock, atomic writes, a full disk, a stale report, damaged cache artefacts,
and kill -9 at a step boundary followed by a rerun that reuses exactly the finished steps.

The step runner is exercised with small file-writing steps in real subprocesses (fast); one slow test does the
same to a real tiny ``codesign build``.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from codesign.durable import BuildLock, atomic_path, atomic_write_text, record_report_digest
from codesign.errors import SpecError
from codesign.parts import resolve_part
from codesign.pipeline import BuildContext, Step, run_steps

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


class Writes(Step):
    """A cacheable step that computes a small array from its name, saves it as .npz and can be slow."""

    def __init__(self, name: str, seconds: float = 0.0):
        self.name, self.seconds = name, seconds

    def inputs(self, ctx):
        return {"step": self.name}

    def run(self, ctx, state):
        time.sleep(self.seconds)
        value = np.arange(4) * (len(state.notes) + 1) + sum(map(ord, self.name))
        return state.note(f"{self.name}={value.tolist()}")

    def save(self, ctx, state):
        with atomic_path(ctx.path("steps", f"{self.name}.npz")) as tmp:
            np.savez(tmp, note=np.array(state.notes[-1]))

    def load(self, ctx, state):
        path = ctx.path("steps", f"{self.name}.npz")
        if not path.is_file():
            return None
        with np.load(path) as z:
            return state.note(str(z["note"]))


class Reports(Step):
    """Writes report.json like the real report step."""

    name = "report"

    def run(self, ctx, state):
        atomic_write_text(ctx.path("report.json"), json.dumps({"notes": list(state.notes)}))
        record_report_digest(ctx.out_dir)
        return state


def toy_steps(slow_step: str | None = None, seconds: float = 0.0) -> list[Step]:
    """a, b, c (c slow when asked) and the report."""
    return [Writes(n, seconds if n == slow_step else 0.0) for n in ("a", "b", "c")] + [Reports()]


def _ctx(out: Path, force: bool = False) -> BuildContext:
    return BuildContext(spec=None, hls4ml_config=None, part=resolve_part("xcvu9p"), out_dir=Path(out), force=force)


def run_toy(out: str, slow_step: str = "", seconds: str = "0") -> None:
    """Entry point of the subprocess builds."""
    run_steps(_ctx(Path(out)), toy_steps(slow_step or None, float(seconds)))


def _spawn(out: Path, *args: str) -> subprocess.Popen:
    code = f"import sys; sys.path[:0] = [{str(REPO)!r}, {str(HERE)!r}]; import test_durability as t; t.run_toy(*sys.argv[1:])"
    return subprocess.Popen([sys.executable, "-c", code, str(out), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_for(pred, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        if proc.poll() is not None:
            raise AssertionError(f"build ended early: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError("timed out")


def _cached_steps(out: Path) -> set[str]:
    try:
        return set(json.loads((out / ".codesign" / "cache.json").read_text()))
    except (OSError, ValueError):
        return set()


@pytest.fixture(autouse=True)
def _no_file_digests(monkeypatch):
    monkeypatch.setattr("codesign.pipeline.input_file_digests", lambda ctx: {})


# ------------------------------------------------------------------------------------------- the lock


def test_a_second_build_into_a_locked_folder_is_refused_naming_the_holder(tmp_path):
    proc = _spawn(tmp_path, "a", "30")  # step a sleeps while it holds the lock
    try:
        _wait_for(lambda: (tmp_path / ".codesign" / "lock").is_file()
                  and (tmp_path / ".codesign" / "lock").read_text().strip() == str(proc.pid), proc)  # fmt: skip
        with pytest.raises(SpecError, match=rf"another codesign build \(pid {proc.pid}\).*accepted"):
            run_steps(_ctx(tmp_path), toy_steps())
    finally:
        proc.kill()
        proc.wait()
    # the kernel dropped the killed holder's lock: the next build runs
    state = run_steps(_ctx(tmp_path), toy_steps())
    assert [r.name for r in state.records] == ["a", "b", "c", "report"]


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    with BuildLock(tmp_path):
        with pytest.raises(SpecError, match="another codesign build"):
            BuildLock(tmp_path).acquire()
    with BuildLock(tmp_path):  # released on exit
        pass


# ------------------------------------------------------------------------------------- atomic writes


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.json"
    target.write_text('{"old": true}')
    with pytest.raises(OSError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"new": tr')  # half of the new content, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    assert target.read_text() == '{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_enospc_during_a_step_is_a_spec_error_naming_the_file(tmp_path, monkeypatch):
    real_savez = np.savez

    def full_disk(file, *args, **kwargs):
        real_savez(file, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(file))

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(SpecError, match=r"steps/\.a\..*\.tmp\.npz: cannot write the build output: No space left"):
        run_steps(_ctx(tmp_path), toy_steps())
    assert not list((tmp_path / "steps").glob("*")), "no half-written artefact may stay"
    assert not (tmp_path / "report.json").exists()


def _tmpfs(tmp_path: Path, size: str) -> Path:
    """A tmpfs of ``size`` mounted at tmp_path/mnt (the caller unmounts it); the test is skipped without mount rights."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}): needs root with mount permission")
    return mnt


def test_a_real_full_disk_is_a_clear_error_and_leaves_no_half_written_file(tmp_path):
    mnt = _tmpfs(tmp_path, "96k")
    try:

        class Big(Writes):
            def save(self, ctx, state):
                with atomic_path(ctx.path("steps", f"{self.name}.npy")) as tmp:
                    np.save(tmp, np.ones(64 * 1024))  # 512 kB on a 96 kB disk

        with pytest.raises(SpecError, match="No space left on device.*free some space"):
            run_steps(_ctx(mnt), [Big("a"), Reports()])
        assert list((mnt / "steps").iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


# ----------------------------------------------------------------------- stale reports, damaged artefacts


class Fails(Step):
    name = "c"

    def run(self, ctx, state):
        raise SpecError("c failed")


def test_a_rebuild_that_dies_removes_the_previous_report_and_marks_the_folder(tmp_path):
    run_steps(_ctx(tmp_path), toy_steps())
    assert (tmp_path / "report.json").is_file()
    steps = toy_steps()
    steps[2] = Fails()
    with pytest.raises(SpecError):
        run_steps(_ctx(tmp_path), steps)
    assert not (tmp_path / "report.json").exists(), "the old verdict must not stand beside the new project"
    assert (tmp_path / ".codesign" / "in_progress").is_file()
    from click.testing import CliRunner

    from codesign.cli import main

    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "interrupted" in result.output
    # the next complete build clears the marker
    run_steps(_ctx(tmp_path), toy_steps())
    assert not (tmp_path / ".codesign" / "in_progress").exists()


def test_a_truncated_cached_artefact_is_detected_and_the_step_redone(tmp_path):
    clean = run_steps(_ctx(tmp_path), toy_steps())
    art = tmp_path / "steps" / "b.npz"
    art.write_bytes(art.read_bytes()[:20])
    messages: list[str] = []
    (tmp_path / "report.json").unlink()  # else the build is up to date and reads its report back, loading nothing
    again = run_steps(_ctx(tmp_path), toy_steps(), progress=messages.append)
    assert [(r.name, r.cached) for r in again.records] == [("a", True), ("b", False), ("c", False), ("report", False)]
    assert any("b: cached artefact unreadable" in m for m in messages)
    assert again.notes == clean.notes


class SavesModel(Step):
    """Caches a tiny Keras model as HDF5 through codesign's own model writer and reader."""

    name = "model"

    def inputs(self, ctx):
        return "tiny"

    def run(self, ctx, state):
        from codesign import keras_env

        keras = keras_env.keras()
        inp = keras.Input((3,))
        model = keras.Model(inp, keras.layers.Dense(2, kernel_initializer="ones", name="d")(inp))
        return replace(state, float_model=model)

    def save(self, ctx, state):
        from codesign import modelio

        modelio.save_model(state.float_model, ctx.path("models", "m.h5"))

    def load(self, ctx, state):
        from codesign import modelio

        path = ctx.path("models", "m.h5")
        return replace(state, float_model=modelio.load_model(path)) if path.is_file() else None


def test_a_truncated_cached_keras_model_is_redone(tmp_path):
    run_steps(_ctx(tmp_path), [SavesModel(), Reports()])
    model = tmp_path / "models" / "m.h5"
    model.write_bytes(model.read_bytes()[:1000])
    (tmp_path / "report.json").unlink()
    messages: list[str] = []
    again = run_steps(_ctx(tmp_path), [SavesModel(), Reports()], progress=messages.append)
    assert [(r.name, r.cached) for r in again.records] == [("model", False), ("report", False)]
    assert any("model: cached artefact unreadable" in m for m in messages), messages
    assert np.array_equal(again.float_model.get_layer("d").get_weights()[0], np.ones((3, 2)))


def test_a_truncated_report_is_not_taken_as_an_up_to_date_build(tmp_path):
    clean = run_steps(_ctx(tmp_path), toy_steps())
    report = tmp_path / "report.json"
    report.write_text(report.read_text()[:10])
    again = run_steps(_ctx(tmp_path), toy_steps())
    assert [r.cached for r in again.records] == [True, True, True, False]
    assert json.loads(report.read_text())["notes"] == list(clean.notes)


# ------------------------------------------------------------------------------------- kill -9, rerun


@pytest.mark.parametrize("killed_in", ["b", "c"])
def test_kill_9_during_a_step_then_rerun_reuses_exactly_the_finished_steps(tmp_path, killed_in):
    out = tmp_path / "killed"
    proc = _spawn(out, killed_in, "60")
    finished = {"a"} if killed_in == "b" else {"a", "b"}
    _wait_for(lambda: finished <= _cached_steps(out), proc)
    time.sleep(0.2)  # inside the slow step now
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _cached_steps(out) == finished
    assert not (out / "report.json").exists()

    rerun = run_steps(_ctx(out), toy_steps())
    clean = run_steps(_ctx(tmp_path / "clean"), toy_steps())
    assert [r.name for r in rerun.records if r.cached] == sorted(finished)
    assert rerun.notes == clean.notes
    assert json.loads((out / "report.json").read_text()) == json.loads((tmp_path / "clean" / "report.json").read_text())
    assert [p.name for p in (out / "steps").iterdir() if ".tmp" in p.name] == []


# ------------------------------------------------------------------------------- the real build, slow


@pytest.mark.slow
def test_real_build_killed_after_quantize_then_rerun_matches_a_clean_build(tmp_path):
    import yaml

    spec = {
        "name": "killme",
        "data": {"source": "jets_hlf", "n_train": 600, "n_test": 200, "seed": 1},
        "model": {"family": "mlp", "hidden": [4]},
        "train": {"epochs": 2, "batch_size": 128, "seed": 1},
        "quantize": {"bits": 6, "integer": 0, "epochs": 1},
        "check": {"n_samples": 50, "workers": 1},
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    cmd = [sys.executable, "-m", "codesign.cli", "build", str(path), "--part", "xcvu9p"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: "quantize" in _cached_steps(out), proc, timeout=600)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    subprocess.run([*cmd, "--out", str(out)], env=env, check=True, capture_output=True, timeout=900)
    subprocess.run([*cmd, "--out", str(tmp_path / "clean")], env=env, check=True, capture_output=True, timeout=900)
    killed = json.loads((out / "report.json").read_text())
    clean = json.loads((tmp_path / "clean" / "report.json").read_text())
    cached = {s["name"] for s in killed["steps"] if s["cached"]}
    assert {"train_float", "quantize"} <= cached, killed["steps"]
    for key in ("bit_accuracy", "metrics", "sparsity", "estimate", "budget"):
        assert killed[key] == clean[key], key
    assert killed["bit_accuracy"]["exact"] is True


@pytest.mark.parametrize("turned_off", ["prune", "quantize"])
def test_a_stage_the_spec_turns_off_removes_the_previous_builds_files(turned_off: str, tmp_path: Path):
    """A build without pruning (or with quantize: null) into a folder where a pruned (quantized) build ran left
    models/pruned.h5 (quantized.h5) and its history beside a report that has no such stage; the step removes them.
    A stage that is on keeps its files (the files of another stage are never touched)."""
    from codesign.build_state import BuildState
    from codesign.spec import parse_spec
    from codesign.steps.model import Prune, Quantize

    spec = {"name": "x", "model": {"family": "mlp"}, "prune": {"sparsity": 0.5}, "quantize": {"bits": 6}}
    spec[turned_off] = None if turned_off == "quantize" else {"sparsity": 0.0}
    ctx = BuildContext(spec=parse_spec(spec, Path("s.yaml")), hls4ml_config=None, part=resolve_part("xcvu9p"),
                       out_dir=tmp_path)  # fmt: skip
    stale = {"prune": ["models/pruned.h5", "models/prune_history.json"],
             "quantize": ["models/quantized.h5", "models/qat_history.json"]}  # fmt: skip
    for rel in (*stale["prune"], *stale["quantize"], "models/float.h5"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("an earlier build's file")
    step = Prune() if turned_off == "prune" else Quantize()
    step.save(ctx, BuildState(float_model=None))
    left = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    other = "quantize" if turned_off == "prune" else "prune"
    assert left == {*stale[other], "models/float.h5"}


def test_a_read_only_shared_cache_is_refused_naming_cache_dir(tmp_path):
    """A step cache on a read-only file system (a shared cache mounted read-only) is refused before any step, the
    message naming cache_dir and its way out (it said 'cannot write the build output ... pass --out')."""
    import codesign

    mnt = _tmpfs(tmp_path, "1m")
    try:
        (mnt / "cache" / "objects").mkdir(parents=True)
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        spec = {"name": "ro", "model": {"family": "mlp", "hidden": [4]}}
        with pytest.raises(SpecError, match=rf"cannot write cache_dir {mnt / 'cache'}: Read-only file system \(pass "
                                            r"cache_dir on a folder you can write; accepted: "):  # fmt: skip
            codesign.build(spec, part="xcvu9p", out=tmp_path / "o", cache_dir=mnt / "cache")
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
