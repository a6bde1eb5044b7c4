"""One scan point: its build (run in a worker) and its line in ``points.jsonl`` (appended safely).

:func:`run_point` builds a point's spec with :func:`codesign.api.build` into its own folder, sharing the step
cache, and returns its record; a point that fails (bad spec for this combination, hls4ml error, not bit-exact)
comes back with ``status: failed`` and the reason instead of stopping the scan.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from codesign.durable import LOCK_NAME, atomic_write_text
from codesign.errors import SpecError
from codesign.scan_spec import tpr_figure

ESTIMATE_KEYS = ("lut", "ff", "dsp", "bram_18k", "uram", "latency_ns", "latency_cycles", "ii_cycles")
RTL_KEYS = ("bit_exact", "n_mismatch", "n_samples", "lut", "ff", "carry", "latency_ns", "latency_cycles", "ii_cycles",
            "error")  # fmt: skip


def physics_figures(stage: dict | None) -> dict[str, float]:
    """The scalar physics figures of one stage's metrics: accuracy/auc for classifiers, auc/tpr_at_fpr for anomaly
    models (means over signals), and each class's or signal's auc as ``auc_<name>``.

    An anomaly model's ``tpr_at_fpr`` is the mean TPR at the smallest FPR that the background test sample resolves
    for every signal (``fpr`` says which), and ``tpr_at_fpr_1e-4`` ... the mean TPR at each resolved FPR: an FPR
    the sample cannot resolve (fewer than 1 / FPR background events) has no figure."""
    stage = stage or {}
    out: dict[str, float] = {}
    if "signals" in stage:
        sigs = stage.get("signals") or {}
        aucs = {n: s.get("auc") for n, s in sigs.items() if s.get("auc") is not None}
        if aucs:
            out["auc"] = sum(aucs.values()) / len(aucs)
        tprs: dict[float, list[float]] = {}
        for s in sigs.values():
            for p in (s.get("points") or {}).values():
                if p.get("fpr") is not None and p.get("tpr") is not None and p.get("resolved", True):
                    tprs.setdefault(float(p["fpr"]), []).append(float(p["tpr"]))
        resolved = sorted(f for f, v in tprs.items() if sigs and len(v) == len(sigs))
        for f in resolved:
            out[tpr_figure(f)] = sum(tprs[f]) / len(tprs[f])
        if resolved:
            out["tpr_at_fpr"], out["fpr"] = out[tpr_figure(resolved[0])], resolved[0]
        out.update({f"auc_{n}": v for n, v in aucs.items()})
        return out
    for key in ("accuracy", "mean_auc"):
        if isinstance(stage.get(key), (int, float)):
            out[key] = float(stage[key])
    if "mean_auc" in out:
        out["auc"] = out["mean_auc"]
    for name, c in (stage.get("per_class") or {}).items():
        if isinstance(c.get("auc"), (int, float)):
            out[f"auc_{name}"] = float(c["auc"])
    return out


def csim_mode(spec: dict) -> str:
    """How a point's firmware is C-simulated, from its raw spec: ``both`` (testbench and hls4ml's library,
    compared; check.library true, the default) or ``testbench`` (check.library false)."""
    return "both" if (spec.get("check") or {}).get("library", True) else "testbench"


def record_from_result(result, params: dict, point_id: str, seconds: float, csim: str = "both") -> dict[str, Any]:
    """A point's line from a :class:`codesign.api.BuildResult` (``csim``: :func:`csim_mode`)."""
    est = result.estimate
    estimate = {k: getattr(est, k, None) for k in ESTIMATE_KEYS} if est is not None else {}
    status, error = "ok", None
    if result.bit_exact is False:
        status, error = "failed", "not bit-exact: " + _bit_reason(result.bit_accuracy)
    elif (result.bit_accuracy or {}).get("reference_unavailable"):
        status, error = "failed", f"no bit-exactness verdict: {result.bit_accuracy['reference_unavailable']}"
    rtl = {k: result.rtl.get(k) for k in RTL_KEYS} if result.rtl is not None else None
    if rtl is not None and status == "ok":
        if rtl.get("error"):
            status, error = "failed", f"rtl: {rtl['error']}"
        elif rtl.get("bit_exact") is not True:
            status, error = "failed", f"rtl: not bit-exact in Verilator ({rtl.get('n_mismatch')} of {rtl.get('n_samples')} samples differ)"
    return {
        "id": point_id,
        "params": params,
        "reuse_factors": result.reuse_factors,  # as in the firmware: hls4ml may move an asked one
        "status": status,
        "bit_exact": result.bit_exact,
        "csim": csim,
        "metrics": {stage: physics_figures(m) for stage, m in (result.metrics or {}).items()},
        "estimate": estimate,
        "budget_pass": result.budget_pass,
        "budget_failed": [c.name for c in result.budget.checks if not c.passed] if result.budget is not None else [],
        "budget_over": [{"name": c.name, "value": c.value, "limit": c.limit, "unit": c.unit}
                        for c in (result.budget.checks if result.budget is not None else ()) if not c.passed],
        "rtl": rtl,
        "build_dir": str(result.out_dir),
        "seconds": round(seconds, 3),
        "steps": [s.to_dict() for s in result.steps],
        "error": error,
    }


def _bit_reason(acc: dict) -> str:
    paths = acc.get("library_vs_testbench") or {}
    if paths.get("exact") is False:
        return f"library and testbench differ on {paths.get('n_mismatch')} of {paths.get('n_samples')} samples"
    return f"{acc.get('n_mismatch')} of {acc.get('n_samples')} samples differ from the {acc.get('reference')}"


_PCH_STARTED: set[str] = set()  # the header folders this process has started building


def start_pch_prebuild(root: str) -> None:
    """Start building the C-simulation's precompiled header in ``root`` in a background thread, once per process:
    one process builds it under a file lock while the first point trains, the others find it built
    (:func:`codesign.hls.pch.prebuild`). A local worker starts it when it is spawned, a Dask worker with its first
    point (the cluster's workers run no code of ours before that)."""
    if root in _PCH_STARTED:
        return
    _PCH_STARTED.add(root)
    import threading

    from codesign.hls import pch

    threading.Thread(target=pch.prebuild, args=(root,), name="codesign-pch", daemon=True).start()


_ONE_BUILD = threading.Lock()  # a build changes process-wide state (the console's file descriptors, TensorFlow)


def run_point(job: dict) -> dict[str, Any]:
    """Build one point (in a worker process); never raises: a failure is a record with its reason.

    One point at a time per process: a Dask worker started with several threads (``dask worker``'s default, a
    jobqueue cluster's ``cores``) hands this function points on each; two builds side by side in one process failed
    ('I/O operation on closed file', each build redirecting the console's file descriptors), so the others wait."""
    with _ONE_BUILD:
        _wait_for_an_earlier_attempt(Path(job["build_dir"]))
        return _run_point(job)


def _wait_for_an_earlier_attempt(build_dir: Path) -> None:
    """Wait until no process holds the point folder's build lock. The holder can only be an earlier attempt of this
    point: one a Dask worker still runs after the scan that submitted it died (the cluster cannot stop a running
    task), which would have made the resumed point's build refuse the folder and the point be recorded as failed.
    The build that follows reuses what that attempt finished."""
    lock = build_dir / ".codesign" / LOCK_NAME
    if not lock.is_file():
        return
    with open(lock, "rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fcntl.flock(fh, fcntl.LOCK_UN)


def _run_point(job: dict) -> dict[str, Any]:
    from codesign.errors import CodesignError

    start = time.perf_counter()
    params, point_id = job["params"], job["id"]
    if job.get("cache_dir"):
        start_pch_prebuild(str(Path(job["cache_dir"]) / "pch"))
    try:
        from codesign.api import build

        result = build(job["spec"], part=job["part"], out=job["build_dir"], cache_dir=job.get("cache_dir"),
                       rtl=bool(job.get("rtl")), plots=bool(job.get("plots", False)))  # fmt: skip
        return record_from_result(result, params, point_id, time.perf_counter() - start, csim_mode(job["spec"]))
    except CodesignError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # an unexpected failure of one point must not stop the scan
        error = f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=3).strip().splitlines()[-1]}"
    return {"id": point_id, "params": params, "reuse_factors": None, "status": "failed", "bit_exact": None,
            "csim": csim_mode(job["spec"]), "metrics": {}, "estimate": {},
            "budget_pass": None, "budget_failed": [], "budget_over": [], "rtl": None, "build_dir": job["build_dir"],
            "seconds": round(time.perf_counter() - start, 3), "steps": [], "error": error}  # fmt: skip


RETRIED_FILE = "points_retried.jsonl"  # the lines of failed points taken out by --retry-failed, oldest first


class PointsLog:
    """``points.jsonl``: one JSON line per finished point, appended with one write under a file lock."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def read(self) -> list[dict]:
        """The complete lines; a line cut by a crash (the last one) is dropped and the file repaired. A line that
        cannot be one cut by a crash (one before the last, a JSON value that is not a point's record) was edited by
        hand: a SpecError naming it, since dropping it would build its point again without a word."""
        self._refuse_folder()
        if not self.path.is_file():
            return []
        good, bad = [], 0
        lines = self.path.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            try:
                rec = json.loads(line)
            except ValueError as exc:
                if number < len(lines) and line.strip():
                    self._refuse(number, f"is not JSON ({exc}), and lines follow it (a write cut by a crash is the last "
                                         "line)")  # fmt: skip
                bad += 1
                continue
            if not isinstance(rec, dict) or "id" not in rec:
                self._refuse(number, f"is {type(rec).__name__} JSON without a point 'id', not a point's record")
            good.append(rec)
        if bad:  # rewrite without the cut line, atomically, so that later appends start on a fresh line
            self._rewrite(good)
        return good

    def _rewrite(self, records: list[dict]) -> None:
        """The file replaced, atomically, by these lines."""
        atomic_write_text(self.path, "".join(json.dumps(r, default=str) + "\n" for r in records))

    def _refuse(self, number: int, why: str) -> None:
        raise SpecError(f"{self.path}: line {number} {why}: edited by hand? (accepted: the lines the scan wrote, one "
                        "JSON record per point; remove the line and its point is built again)")  # fmt: skip

    def _refuse_folder(self) -> None:
        if self.path.exists() and not self.path.is_file():
            raise SpecError(f"{self.path}: not a file (a folder?); the scan keeps its points' lines here (accepted: "
                            "a file the scan wrote, or none; move it away)")  # fmt: skip

    def take_failed(self, archive: Path) -> list[dict]:
        """Take the failed points' lines out (``--retry-failed``): appended to ``archive`` first (flushed), then
        this file rewritten atomically without them; a crash in between leaves them in both, never in neither.
        Returns the lines taken."""
        records = self.read()
        failed = [r for r in records if r.get("status") != "ok"]
        kept_log = PointsLog(archive)
        kept_log._refuse_folder()
        if failed:
            kept_log.extend(failed)
            self._rewrite([r for r in records if r.get("status") == "ok"])
        return failed

    def extend(self, records: list[dict]) -> None:
        """Append several lines with one write."""
        self._write("".join(json.dumps(r, default=str) + "\n" for r in records).encode())

    def append(self, record: dict) -> None:
        """Append one line (a single write, flushed to disk, under an exclusive lock)."""
        self._write((json.dumps(record, default=str) + "\n").encode())

    def _write(self, data: bytes) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            end = os.fstat(fd).st_size
            if end and os.pread(fd, 1, end - 1) != b"\n":  # a file edited by hand without its last newline
                data = b"\n" + data  # the line goes on a line of its own, not glued to the last one
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
