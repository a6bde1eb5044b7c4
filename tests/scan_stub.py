"""A stand-in for a scan point's build (unit tests of the scan engine: no training, no g++).

Importable by name so that spawned pool workers can run it. Each call leaves a marker file, so a test can
count how often each point was built."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

from codesign.durable import build_lock
from codesign.errors import SpecError
from codesign.scan_points import csim_mode


def fake_point(job: dict) -> dict:
    """A deterministic record from the point's params, after a short sleep, holding the point folder's build lock
    as a real build does; bits == 5 fails (``SCAN_STUB_FAIL_BITS``: the bit widths that fail, comma-separated,
    '' for none). With ``SCAN_STUB_EXIT_S`` set, the worker process takes that long to
    exit (as one holding TensorFlow does); with ``SCAN_STUB_KILL`` set to a point id, the worker building that
    point is killed (SIGKILL)."""
    try:
        lock = build_lock(job["build_dir"])
        lock.acquire()
    except SpecError as exc:  # as run_point records a build's refusal
        return {"id": job["id"], "params": job["params"], "status": "failed", "bit_exact": None, "metrics": {},
                "estimate": {}, "budget_pass": None, "budget_failed": [], "build_dir": job["build_dir"], "seconds": 0.0,
                "steps": [], "error": f"SpecError: {exc}"}  # fmt: skip
    try:
        return _record(job)
    finally:
        lock.release()


def _record(job: dict) -> dict:
    if os.environ.get("SCAN_STUB_EXIT_S"):
        from multiprocessing import util

        util.Finalize(None, time.sleep, args=(float(os.environ["SCAN_STUB_EXIT_S"]),), exitpriority=100)
    calls = Path(job["build_dir"]).parent.parent / "calls"
    calls.mkdir(parents=True, exist_ok=True)
    (calls / f"{job['id']}.{uuid.uuid4().hex}").write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("SCAN_STUB_SLEEP", "0.3")))
    if job["id"] == os.environ.get("SCAN_STUB_KILL"):  # the worker dies under this point (as the OOM killer does it)
        os.kill(os.getpid(), signal.SIGKILL)
    p = job["params"]
    bits = p.get("quantize.bits", 6)
    rf = p.get("hls.reuse_factor", 1)
    if str(bits) in os.environ.get("SCAN_STUB_FAIL_BITS", "5").split(","):
        return {"id": job["id"], "params": p, "status": "failed", "bit_exact": None, "metrics": {}, "estimate": {},
                "budget_pass": None, "budget_failed": [], "build_dir": job["build_dir"], "seconds": 0.3,
                "steps": [], "error": "SpecError: five bits are refused by this stand-in"}  # fmt: skip
    lut = 1000 * bits // rf
    return {"id": job["id"], "params": p, "status": "ok", "bit_exact": True,
            "metrics": {"firmware": {"accuracy": 0.5 + 0.03 * bits}, "float": {"accuracy": 0.8}},
            "estimate": {"lut": lut, "ff": 10, "dsp": bits * 2 // rf, "bram_18k": 0, "latency_ns": 10.0 * rf,
                         "ii_cycles": rf, "latency_cycles": 2 * rf},
            "budget_pass": lut < 7000, "budget_failed": [] if lut < 7000 else ["lut"], "build_dir": job["build_dir"],
            "csim": csim_mode(job.get("spec") or {}),
            "rtl": {"bit_exact": True, "lut": 900 * bits, "ff": 50 * bits, "latency_ns": 5.0 * bits} if job.get("rtl") else None,
            "seconds": 0.3, "steps": [], "error": None}  # fmt: skip
