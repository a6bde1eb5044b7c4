"""The one place codesign runs external programs (g++, vivado_hls, vitis_hls, vivado).

Every call has a timeout, captures its output to a log file next to its work, and checks the exit code:
a failure raises :class:`ToolError` naming the command, the exit code, the log and its last lines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from codesign.errors import ToolError


@dataclass(frozen=True)
class ToolRun:
    """Outcome of a finished external command."""

    argv: tuple[str, ...]
    returncode: int
    seconds: float
    log: Path
    stdout: str


def which(name: str) -> str | None:
    """Absolute path of a program on PATH, or None."""
    return shutil.which(name)


def require(name: str, purpose: str) -> str:
    """Path of a program on PATH, or a ToolError that says what it was needed for."""
    path = which(name)
    if path is None:
        raise ToolError(f"'{name}' was not found on PATH; it is needed to {purpose}")
    return path


def run(
    argv: list[str] | tuple[str, ...],
    *,
    cwd: Path,
    log: Path,
    timeout_s: float,
    env: dict[str, str] | None = None,
    check: bool = True,
    stdin_text: str | None = None,
) -> ToolRun:
    """Run a command in ``cwd`` with a timeout, write its combined output to ``log``, check its exit code."""
    argv = tuple(str(a) for a in argv)
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=full_env,
            input=stdin_text,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout_s,
        )
    except FileNotFoundError as exc:
        raise ToolError(f"cannot run '{argv[0]}': {exc}") from None
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        log.write_text(out)
        raise ToolError(f"'{' '.join(argv)}' timed out after {timeout_s:.0f} s in {cwd}; log: {log}") from None
    seconds = time.perf_counter() - start
    log.write_text(f"$ {' '.join(argv)}\n# cwd: {cwd}\n{proc.stdout}")
    if check and proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-25:])
        raise ToolError(
            f"'{' '.join(argv[:3])} ...' failed with exit code {proc.returncode} in {cwd}; log: {log}\n{tail}"
        )
    return ToolRun(argv, proc.returncode, seconds, log, proc.stdout)


def cpu_count() -> int:
    """Cores this process may use (its affinity mask where the OS has one), for choosing workers and threads."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1
