"""``codesign scan``: build many points of a spec (a grid, or NSGA-II trials) and keep the Pareto front.

The study lives in ``<out>``: ``scan.json`` (which scan this folder holds), ``optuna.db`` (the Optuna study in
SQLite, so it survives any crash), ``points.jsonl`` (one line per finished point, written by this coordinating
process only, once the point is done), ``points/<id>/`` (each point's build folder) and ``cache/`` (the step
cache the points share). ``--resume`` reads points.jsonl and never redoes a finished point; a point that was
running when the scan died has no line and is run again. ``--retry-failed`` (a resume) builds the failed points
again: their lines move from points.jsonl to ``points_retried.jsonl`` (kept, appended) before any work. Points run in a local process pool, or on a Dask
cluster when a scheduler address is given; workers share only the folder (storage and cache).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import numbers
import os
import time
from dataclasses import dataclass
from pathlib import Path

from codesign import console, tools
from codesign.durable import SCAN_OUTPUTS, build_lock, check_writable
from codesign.errors import SpecError
from codesign.parts import check_part_argument
from codesign.scan_points import RETRIED_FILE, PointsLog, run_point
from codesign.scan_pool import THREAD_ENV, Pool, check_rtl_tools, connect_scheduler, worker_threads
from codesign.scan_spec import ScanFile
from codesign.scan_study import (
    SCAN_FILE,
    STUDY_FILE,
    check_part,
    check_points,
    check_storage,
    check_study_file,
    choice,
    constraint_values,
    distributions,
    objective_value,
    objective_values,
    open_study,
    params_key,
    record_trial,
    unchoice,
    write_marker,
)  # fmt: skip

__all__ = ["STUDY_FILE", "SCAN_FILE", "THREAD_ENV", "ScanSummary", "check_rtl_tools", "check_storage",
           "connect_scheduler", "objective_value", "run_scan", "spread_order", "worker_threads"]  # fmt: skip


@dataclass(frozen=True)
class ScanSummary:
    """What a scan run did: how many points it ran now, how many were done before, and where the outputs are."""

    out: Path
    n_points: int
    n_done_before: int
    n_ran: int
    n_failed: int
    seconds: float
    outputs: dict[str, str]
    n_retried: int = 0
    n_front: int = 0  # the Pareto front's points (built, every objective known, within the constraints)
    n_unranked: int = 0  # built points without a value for an objective (not ranked)
    n_over_budget: int = 0  # built points over the budget


# ------------------------------------------------------------------------------------------ execution


def run_scan(scan: ScanFile | str | Path, out: str | Path, *, workers: int | None = None, resume: bool = False,
             scheduler: str | None = None, part: str | None = None, shared_cache: bool = True,
             show_progress: bool = True, point_fn=run_point, threads_per_worker: int | None = None,
             retry_failed: bool = False) -> ScanSummary:  # fmt: skip
    """Run (or finish, with ``resume``) a scan (a ScanFile or a scan file's path) into ``out``; returns a summary.
    Bad input fails before any work.

    ``retry_failed``: a resume that also builds the points recorded as failed again (after the cause was fixed: a
    missing compiler, a full disk, a setting a later codesign accepts); their old lines are kept in
    ``points_retried.jsonl``. Grid points keep their ids and folders; in ``optuna`` mode a failed trial's parameters
    are asked first again, under a new trial number.

    ``threads_per_worker``: each local worker's thread pools (TensorFlow's, BLAS's), default the cores shared out
    among the workers (README, "Scans"; docs/scans.md: more lets a worker use a core the other leaves idle).

    ``point_fn`` builds one point from its job (:func:`codesign.scan_points.run_point`; tests pass a stand-in).
    """
    scan = check_arguments(scan, out, workers=workers, resume=resume, part=part, shared_cache=shared_cache,
                           show_progress=show_progress, threads_per_worker=threads_per_worker,
                           retry_failed=retry_failed, scheduler=scheduler)  # fmt: skip
    resume = resume or retry_failed
    out = check_writable(Path(out).resolve(), "--out", SCAN_OUTPUTS)
    console.set_error_log_dir(out / ".codesign")  # an internal error's traceback, and the Ctrl-C line's folder
    with build_lock(out, "scan"):  # a second scan into this --out (--resume or not) is refused while this one runs
        return _run_locked(scan, out, workers, resume, scheduler, part, shared_cache, show_progress, point_fn,
                           threads_per_worker, retry_failed)  # fmt: skip


def _run_locked(scan: ScanFile, out: Path, workers: int | None, resume: bool, scheduler: str | None,
                part: str | None, shared_cache: bool, show_progress: bool, point_fn, threads_per_worker: int | None,
                retry_failed: bool = False) -> ScanSummary:  # fmt: skip
    """run_scan's work, with the scan folder's lock held."""
    from codesign.scan_report import front, missing_objectives, write_outputs

    check_storage(scan, out, resume)
    check_points(scan, out, PointsLog(out / "points.jsonl").read())  # a pasted line would stand for a point never built
    check_study_file(out)
    part = part or scan.part or scan.base.get("part")
    if not part:
        raise SpecError(f"{scan.path}: no FPGA part: pass --part, or set 'part:' in the scan file or its spec")
    from codesign.parts import resolve_part

    part = resolve_part(str(part)).full_name
    check_part(out, part)
    if scan.rtl:
        check_rtl_tools(scan)
    workers = workers or tools.cpu_count()  # the cores this process may use (a batch slot's affinity mask)
    # an unreachable scheduler fails here, before any work; local workers start the shared precompiled header
    pool = Pool(workers, scheduler, point_fn, str(out / "cache" / "pch") if shared_cache else None, threads_per_worker)
    write_marker(scan, out, part)
    log = PointsLog(out / "points.jsonl")
    study = open_study(scan, out)
    retried = log.take_failed(out / RETRIED_FILE) if retry_failed else []
    done = {r["id"]: r for r in log.read()}
    n_before = len(done)
    start = time.perf_counter()
    runner = _Runner(scan, out, part, pool, log, study, done, shared_cache, show_progress, workers)
    if scan.mode == "optuna":
        runner.ask_again(retried)
    finished = False
    try:
        if scan.mode == "grid":
            runner.grid()
        else:
            runner.optuna(workers if scheduler is None else max(workers, 2))
        finished = True
    finally:
        runner.close()
        if not finished:
            pool.close()
    # every point is written: the workers shut down (and are waited for) while the outputs are drawn
    with cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="codesign-pool-close") as closer:
        closed = closer.submit(pool.close)
        try:
            records = log.read()
            outputs = write_outputs(scan, out, records)
        finally:
            closed.result()
    built = [r for r in records if r["status"] == "ok"]
    return ScanSummary(out, len(records), n_before, runner.n_ran, len(records) - len(built),
                       time.perf_counter() - start, outputs, len(retried), len(front(scan, records)),
                       sum(bool(missing_objectives(scan, r)) for r in built),
                       sum(r.get("budget_pass") is not True for r in built))  # fmt: skip


#: Local workers per core above which a scan is refused: each local worker is a process with its own TensorFlow,
#: hls4ml and g++ builds (about 1-2 GiB at its peak), so a typo such as --workers 100 would exhaust the machine's
#: memory, while more than a few per core only wait on each other (a cluster: --scheduler).
MAX_LOCAL_WORKERS_PER_CORE = 4


def check_arguments(scan, out, *, workers, resume, part, shared_cache, show_progress, threads_per_worker,
                    retry_failed=False, scheduler=None) -> ScanFile:  # fmt: skip
    """run_scan's arguments checked as the command line checks its options (a string such as 'no' is truthy, a
    workers of 0 fell back to the core count): a SpecError naming the argument, before any work. A scan file path
    is read here; returns the ScanFile."""
    from codesign.scan_spec import load_scan

    if isinstance(scan, (str, os.PathLike)):
        scan = load_scan(scan)
    elif not isinstance(scan, ScanFile):
        raise SpecError(f"run_scan: scan must be a scan file path or a ScanFile (codesign.scan_spec.load_scan), got "
                        f"{type(scan).__name__}")  # fmt: skip
    for name, flag in (("resume", resume), ("shared_cache", shared_cache), ("show_progress", show_progress),
                       ("retry_failed", retry_failed)):  # fmt: skip
        if not isinstance(flag, bool):
            raise SpecError(f"run_scan: {name} must be True or False, got {flag!r}")
    for name, count in (("workers", workers), ("threads_per_worker", threads_per_worker)):
        if count is not None and (isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1):
            raise SpecError(f"--{name.replace('_', '-')} {count!r}: accepted: an integer >= 1, or None for the default")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        # '' ran the points locally without a word; a number was a TypeError (exit 7) from Dask
        raise SpecError(f"--scheduler {scheduler!r}: accepted: a Dask scheduler address such as tcp://host:8786, or "
                        "leave it out (None) for local worker processes")  # fmt: skip
    most = MAX_LOCAL_WORKERS_PER_CORE * tools.cpu_count()
    if scheduler is None and workers is not None and workers > most:
        raise SpecError(f"--workers {workers}: more local worker processes than {MAX_LOCAL_WORKERS_PER_CORE} per core "
                        f"of the {tools.cpu_count()} this process may use; each loads TensorFlow and hls4ml, so they "
                        f"would exhaust the memory and wait on each other (accepted: 1..{most}; for more, a Dask "
                        "cluster: --scheduler ADDRESS)")  # fmt: skip
    if not isinstance(out, (str, os.PathLike)):
        raise SpecError(f"--out {out!r}: accepted: a folder path (str or Path)")
    check_part_argument(part, "scan file")
    return scan


class _Runner:
    """The coordinating loop: submit points, write each finished one once, tell the study."""

    def __init__(self, scan, out, part, pool, log, study, done, shared_cache, show_progress, workers=1):
        self.scan, self.out, self.part, self.pool, self.log, self.study = scan, out, part, pool, log, study
        self.workers = workers if shared_cache else 1  # without the shared cache no point waits on another
        self.done, self.n_ran = done, 0
        self.cache_dir = str(out / "cache") if shared_cache else None
        total = len(scan.grid()) if scan.mode == "grid" else scan.trials
        self.bar = None
        if show_progress:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=len(done), unit="point", desc="scan", dynamic_ncols=True,
                            postfix=self._counts(total))  # fmt: skip

    def _counts(self, total: int) -> dict:
        failed = sum(r["status"] != "ok" for r in self.done.values())
        return {"done": len(self.done), "failed": failed, "remaining": total - len(self.done)}

    def job(self, point_id: str, params: dict) -> dict:
        """What a worker needs for one point (plain data, picklable)."""
        spec = self.scan.point_spec(params, name=f"{self.scan.base.get('name', 'scan')}_{point_id}")
        _absolute_paths(spec, self.scan.base_dir)
        return {"id": point_id, "params": params, "spec": spec, "part": self.part,
                "build_dir": str(self.out / "points" / point_id), "cache_dir": self.cache_dir,
                "rtl": self.scan.rtl, "plots": self.scan.plots}  # fmt: skip

    def stages(self, params: dict) -> tuple[str, ...]:
        """What a point's expensive cached steps depend on, one digest per step (float training, pruning, QAT):
        points with an equal digest share that step's result through the shared cache."""
        spec = self.scan.point_spec(params, name="")
        out, acc = [], {}
        for sections in (("data", "model", "train"), ("prune",), ("quantize",)):
            acc.update({s: spec.get(s) for s in sections})
            out.append(hashlib.sha256(json.dumps(acc, sort_keys=True, default=str).encode()).hexdigest()[:16])
        return tuple(out)

    def finish(self, rec: dict) -> None:
        """Write a finished point's line (first), then count it."""
        self.log.append(rec)
        self.done[rec["id"]] = rec
        self.n_ran += 1
        if self.bar is not None:
            # the counts first: update() writes its line with the postfix it holds, which would be the last point's
            self.bar.set_postfix(self._counts(self.bar.total), refresh=False)
            if not self.bar.update(1):  # tqdm prints at most every mininterval / miniters: show this count now
                self.bar.refresh()

    def grid(self) -> None:
        """Every grid point not yet in points.jsonl; the study gets each finished point as a trial."""
        self._add_missing_trials()  # lines written just before a crash, before the study heard of them
        todo = [(f"p{i:04d}", p) for i, p in enumerate(self.scan.grid()) if f"p{i:04d}" not in self.done]
        todo = [todo[i] for i in spread_order([self.stages(p) for _, p in todo], self.workers)]
        running = {self.pool.submit(self.job(pid, params), len(todo) - 1): pid for pid, params in todo}
        while running:
            for fut in self.pool.wait_any(running):
                rec = self.pool.result(fut, len(running))
                running.pop(fut)
                self.finish(rec)
                record_trial(self.study, self.scan, rec)

    def optuna(self, parallel: int) -> None:
        """NSGA-II trials until ``trials`` points are finished; a trial left running by a crash is run again."""
        import optuna

        TS = optuna.trial.TrialState
        by_params = {params_key(r["params"]): r for r in self.done.values()}
        self._add_missing_trials()
        for t in self.study.get_trials(deepcopy=False, states=(TS.RUNNING, TS.WAITING)):
            pid = t.user_attrs.get("point_id", f"t{t.number:04d}")
            if t.state == TS.RUNNING and pid in self.done:  # its line was written, the tell was not
                self._tell(t.number, self.done[pid])
            elif t.state == TS.RUNNING:
                self.study._storage.set_trial_state_values(t._trial_id, TS.FAIL)
                # asked again first, in its own folder (a build reuses what the killed one finished): no folder is
                # left without a line, as a grid point keeps its id
                self.study.enqueue_trial({k: v for k, v in t.params.items()}, user_attrs={"rerun_of": pid},
                                         skip_if_exists=False)  # fmt: skip
        running: dict = {}
        space = len(self.scan.grid())
        repeats = 0
        while len(self.done) + len(running) < self.scan.trials or running:
            while len(self.done) + len(running) < self.scan.trials and len(running) < parallel:
                if len(by_params) + len(running) >= space or repeats > 200:
                    break  # every combination is done or running: nothing new to try
                trial = self.study.ask(distributions(self.scan))
                params = {k: unchoice(trial.params[k]) for k in self.scan.axes}
                rerun = trial.user_attrs.get("rerun_of")
                pid = rerun if rerun and rerun not in self.done and rerun not in running_ids(running) else \
                    self._free_id(trial.number)
                trial.set_user_attr("point_id", pid)  # its folder and line: a rebuilt study numbers trials anew
                same = by_params.get(params_key(params))
                if same is not None:  # NSGA-II proposed a finished point again: its result, not a rebuild
                    repeats += 1
                    self._tell(trial.number, same)
                    continue
                if params_key(params) in running_keys(running):  # proposed again while it runs: not twice
                    repeats += 1
                    self.study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
                    continue
                running[self.pool.submit(self.job(pid, params), len(running))] = (trial.number, params_key(params), pid)
            if not running:
                break
            for fut in self.pool.wait_any(running):
                rec = self.pool.result(fut, len(running))
                number, _, _ = running.pop(fut)
                self.finish(rec)
                by_params[params_key(rec["params"])] = rec
                self._tell(number, rec)

    def _add_missing_trials(self) -> None:
        """Tell a study that does not know some finished points (optuna.db moved away and rebuilt, a line written
        just before a crash) about them: a grid's study holds every finished point, and NSGA-II learns from them and
        asks no trial number they hold."""
        import optuna

        running = optuna.trial.TrialState.RUNNING  # a trial asked by an earlier codesign: its id is its number
        in_study = {t.user_attrs.get("point_id") or (f"t{t.number:04d}" if t.state == running else None)
                    for t in self.study.get_trials(deepcopy=False)}  # fmt: skip
        for rec in self.done.values():
            if rec["id"] not in in_study:
                record_trial(self.study, self.scan, rec)

    def _free_id(self, number: int) -> str:
        """``t<trial number>``, or with a letter after it when a point of that id exists already (a study rebuilt
        from points.jsonl numbers its trials anew; a failed point's folder kept by --retry-failed): a new point
        never takes a finished point's line or folder."""
        pid = f"t{number:04d}"
        for suffix in ("", *"bcdefghijklmnopqrstuvwxyz"):
            if pid + suffix not in self.done and not (self.out / "points" / (pid + suffix)).exists():
                return pid + suffix
        raise RuntimeError(f"no free point id for trial {number}: points/{pid}b..z all exist")

    def ask_again(self, retried: list[dict]) -> None:
        """Queue the parameters of failed trials taken out of points.jsonl (``--retry-failed``), so that the study
        proposes each of them first again."""
        self._add_missing_trials()  # first, so that the queued trials' numbers follow the finished points'
        for rec in retried:
            self.study.enqueue_trial({k: choice(v) for k, v in rec["params"].items()}, skip_if_exists=False)

    def _tell(self, number: int, rec: dict) -> None:
        """Tell the study a trial's outcome (a point's values, or a failure)."""
        import optuna

        vals = objective_values(self.scan, rec)
        trial_id = self._trial_id(number)
        self.study._storage.set_trial_user_attr(trial_id, "point_id", rec["id"])
        if "budget" in self.scan.constraints and vals is not None:
            optuna.trial.Trial(self.study, trial_id).set_constraint("budget", constraint_values(rec)[0])
        if vals is None:
            self.study.tell(number, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(number, vals)

    def _trial_id(self, number: int) -> int:
        return self.study._storage.get_trial_id_from_study_id_trial_number(self.study._study_id, number)

    def close(self) -> None:
        """Close the progress bar."""
        if self.bar is not None:
            self.bar.close()


def spread_order(stages: list[tuple[str, ...]], workers: int) -> list[int]:
    """An order of the points in which points running side by side share as few unfinished steps as possible.

    ``stages[i]`` lists point i's expensive steps (equal digests: one shared result). A step first met within the
    last ``workers - 1`` submitted points is probably still running, and a second point needing it would wait on its
    lock; each point is one that waits on the fewest such steps, of those the one that computes the most steps no
    point before it computes (the longest first, so that the points left at the end, when a worker may have nothing
    else to do, are the short ones that reuse every step), then the first in grid order. One worker: grid order.
    """
    first_at: dict[str, int] = {}
    remaining = list(range(len(stages)))
    order: list[int] = []
    while remaining:
        pos = len(order)
        recent = {s for s, at in first_at.items() if at > pos - workers}

        def key(i: int, recent: set = recent) -> tuple[int, int, int]:
            waits = sum(1 for s in stages[i] if s in recent)
            fresh = sum(1 for s in stages[i] if s not in first_at) if workers > 1 else 0
            return waits, -fresh, i

        best = min(remaining, key=key)
        remaining.remove(best)
        for s in stages[best]:
            first_at.setdefault(s, pos)
        order.append(best)
    return order


def running_keys(running: dict) -> list[str]:
    """The parameter keys of the points in flight."""
    return [key for _, key, _ in running.values()]


def running_ids(running: dict) -> list[str]:
    """The ids of the points in flight."""
    return [pid for _, _, pid in running.values()]


def _absolute_paths(spec: dict, base_dir: Path) -> None:
    """Relative model/data paths of the base spec, resolved against its folder (workers run elsewhere)."""
    for section, key in (("model", "file"), ("model", "weights"), ("data", "path")):
        node = spec.get(section)
        if isinstance(node, dict) and node.get(key) and not Path(str(node[key])).is_absolute():
            node[key] = str((base_dir / str(node[key])).resolve())
