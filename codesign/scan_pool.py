"""Where a scan's points run: a local process pool (workers sized to the cores this process may use, each with
its thread pools capped) or a Dask cluster given by its scheduler address, behind one submit / wait_any / close."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import sys
import threading
import time

from codesign import tools
from codesign.errors import SpecError, ToolError
from codesign.scan_points import run_point
from codesign.scan_spec import RTL_COUNTS, ScanFile

# the environment variables that size a worker's thread pools (TensorFlow's, OpenMP's, BLAS's)
THREAD_ENV = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS")  # fmt: skip


def worker_threads(workers: int, cores: int | None = None, threads: int | None = None) -> int:
    """Threads per local worker: ``threads`` when given (``--threads-per-worker``), else the cores shared out, so
    that two workers on two cores do not fight."""
    if threads is not None:
        return max(1, int(threads))
    return max(1, (cores or tools.cpu_count()) // max(1, workers))


def _init_worker(
    threads: int, preload: bool, pch_root: str | None = None, force: bool = False, parent: int | None = None
) -> None:
    """A local worker's start: cap its thread pools before TensorFlow is imported, then (``preload``) import it
    once, while the coordinator is still setting up (the process builds many points and keeps it). ``pch_root``:
    start building the C-simulation's precompiled header there in a background thread (one worker builds it, under
    a file lock, while the first point trains; :func:`codesign.hls.pch.prebuild`). ``force``: ``threads`` was
    asked for (``--threads-per-worker``) and replaces the environment's own settings instead of deferring to them.
    ``parent``: the coordinating process's pid; the worker ends when that process dies (:func:`_die_with`)."""
    if parent is not None:
        _die_with(parent)
    signal.signal(signal.SIGINT, _on_interrupt)
    for name in THREAD_ENV:
        if force:
            os.environ[name] = str(threads)
        else:
            os.environ.setdefault(name, str(threads))
    if preload:
        from codesign import keras_env

        keras_env.setup()
    if preload and pch_root is not None:
        from codesign.scan_points import start_pch_prebuild

        start_pch_prebuild(pch_root)


def _die_with(parent: int) -> None:
    """End this worker when the coordinating process ``parent`` dies (kill -9 of the scan alone, not its group).

    A worker whose coordinator is gone would finish its point holding the point folder's build lock, so that a
    ``--resume`` started meanwhile recorded that point as failed ('another codesign build is writing into this
    folder'), and then wait forever on a task queue whose write end it holds itself. On Linux the kernel kills
    it with the parent (PR_SET_PDEATHSIG); elsewhere a thread checks the parent pid every half second."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG: SIGKILL when the parent dies
            if os.getppid() != parent:  # it died before the line above
                os._exit(128 + signal.SIGKILL)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(128 + signal.SIGKILL)

    threading.Thread(target=watch, name="codesign-parent-watch", daemon=True).start()


_BUSY = False  # a local worker is building a point


def _on_interrupt(signum, frame) -> None:
    """Ctrl-C reaches every process of the terminal's group. A worker building a point stops it as the coordinator
    does (KeyboardInterrupt, carried back by the point's future; the point is never logged as finished); an idle one
    ends quietly, where a KeyboardInterrupt would print its own traceback on the console."""
    if _BUSY:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _run_job(fn, job: dict):
    global _BUSY
    _BUSY = True
    try:
        return fn(job)
    finally:
        _BUSY = False


class Pool:
    """A local process pool or a Dask cluster, behind submit / wait_any / close."""

    def __init__(self, workers: int, scheduler: str | None, point_fn=run_point, pch_root: str | None = None,
                 threads: int | None = None):
        self.client, self.fn, self.address = None, point_fn, scheduler
        if scheduler and threads is not None:
            raise SpecError(f"--threads-per-worker {threads}: applies to local workers only; a Dask cluster's workers "
                            "set their own threads (dask worker --nthreads, or the jobqueue cluster's cores)")
        if scheduler:
            self.client = connect_scheduler(scheduler)
            self.executor = None
        else:
            self.executor = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                                   initializer=_init_worker,
                                                   initargs=(worker_threads(workers, threads=threads), point_fn is run_point, pch_root,
                                                             threads is not None, os.getpid()))  # fmt: skip

    def submit(self, job: dict, running: int = 0):
        """Start one point (``running``: the points submitted before it and not finished). A local pool broken by a
        worker that died since the last point finished is the same ToolError as :meth:`result` gives."""
        from concurrent.futures.process import BrokenProcessPool

        if self.client is not None:
            return self.client.submit(self.fn, job, pure=False, key=f"codesign-point-{job['id']}-{time.time_ns()}")
        try:
            return self.executor.submit(_run_job, self.fn, job)
        except BrokenProcessPool as exc:
            raise self._lost(exc, running + 1) from None

    def wait_any(self, futures) -> set:
        """Block until at least one point finished; return the finished futures."""
        if self.client is not None:
            from distributed import wait
            from distributed.client import FuturesCancelledError

            try:
                return set(wait(list(futures), return_when="FIRST_COMPLETED").done)
            except FuturesCancelledError as exc:  # the scheduler went away (or cancelled our points)
                raise self._lost(exc, len(futures)) from None
        return set(cf.wait(list(futures), return_when=cf.FIRST_COMPLETED).done)

    def result(self, fut, unfinished: int) -> dict:
        """A finished point's record. A worker that died under a point (the out-of-memory killer, kill -9; a Dask
        worker lost until the scheduler gives the point up) is a ToolError saying how to go on (``unfinished``: the
        points submitted and not finished); a local pool cannot run on without that worker, and every finished point
        is in points.jsonl."""
        from concurrent.futures.process import BrokenProcessPool

        lost: tuple[type[BaseException], ...] = (BrokenProcessPool,)
        if self.client is not None:
            from distributed.scheduler import KilledWorker

            lost = (KilledWorker, cf.CancelledError)
        try:
            return fut.result()
        except lost as exc:
            raise self._lost(exc, unfinished) from None

    def _lost(self, exc: BaseException, unfinished: int) -> ToolError:
        """The error for a scan that cannot go on: a worker died, or the Dask scheduler went away."""
        from concurrent.futures.process import BrokenProcessPool

        if isinstance(exc, BrokenProcessPool):
            what = f"a scan worker process died while building a point (killed by a signal: out of memory, or kill -9; {type(exc).__name__})"
        elif type(exc).__name__ == "KilledWorker":
            what = f"the Dask cluster gave a point up after its workers died under it ({exc})"
        else:
            reason = str(exc).strip().splitlines()
            what = (f"the Dask scheduler {self.address} went away or cancelled the points ({type(exc).__name__}"
                    f"{': ' + ' '.join(reason[:3]) if reason else ''})")  # fmt: skip
        return ToolError(f"{what}; {unfinished} point(s) not finished; the finished points are kept in points.jsonl: "
                         "rerun with --resume to build the others")  # fmt: skip

    def close(self) -> None:
        """Shut the pool down and wait until the local workers have exited (points not started are cancelled; the
        cluster itself is left running)."""
        if self.client is not None:
            self.client.close()
        else:
            self.executor.shutdown(wait=True, cancel_futures=True)


def check_rtl_tools(scan: ScanFile) -> None:
    """``rtl: true``: da4ml and Verilator must be there (ToolError, exit 5, before any work), and yosys when an
    objective is one of its counts (without it every point's rtl_lut / rtl_ff would be unknown)."""
    import shutil

    from codesign.rtl import sim

    sim.versions()
    sim.verilator_env()
    counts = [n for n in scan.objectives if n in RTL_COUNTS]
    if counts and shutil.which("yosys") is None:
        raise ToolError(f"{scan.path}: objectives {', '.join(counts)} are yosys's counts, and yosys is not on PATH "
                        "(apt-get install yosys), or choose rtl_latency_ns")  # fmt: skip


def connect_scheduler(address: str, timeout_s: float = 10.0):
    """A Dask client of a running scheduler; a clear error when it cannot be reached."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise ToolError(f"--scheduler needs dask.distributed (pip install distributed): {exc}") from None
    try:
        return Client(address, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SpecError(f"--scheduler {address}: cannot reach the Dask scheduler ({type(exc).__name__}: {exc})") from None
