"""Run C synthesis (Vivado HLS / Vitis HLS) and Vivado out-of-context synthesis on an hls4ml project.

Only :mod:`codesign.tools` starts the vendor programs (timeouts, logs, checked exit codes). When a tool is
missing this says which one and how to run the ready project by hand; the build calls it only with
``--synth``. After a successful run the reports are parsed with :mod:`codesign.synth_reports`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from codesign import tools
from codesign.errors import SpecError, ToolError
from codesign.synth_reports import ProjectReports, find_reports

#: Generous limits: C synthesis of a large io_parallel design takes hours.
HLS_TIMEOUT_S = 12 * 3600.0

_OPTS = {"reset": 0, "csim": 0, "synth": 1, "cosim": 0, "validation": 0, "export": 0, "vsynth": 0, "fifo_opt": 0}


@dataclass(frozen=True)
class SynthesisRun:
    """What a synthesis run did: the commands, their logs, and the parsed reports."""

    tool: str
    argv: tuple[str, ...]
    log: Path
    seconds: float
    vivado_synth: bool
    reports: ProjectReports


def _commands(backend: str) -> list[tuple[str, list[str]]]:
    key = backend.lower()
    if key == "vitis":
        # hls4ml 1.3 reads its options from build_opt.tcl; Vitis 2023.2+ ships vitis-run next to vitis_hls
        return [
            ("vitis_hls", ["vitis_hls", "-f", "build_prj.tcl"]),
            ("vitis-run", ["vitis-run", "--tcl", "build_prj.tcl", "--mode", "hls"]),
        ]
    if key == "vivado":
        return [("vivado_hls", ["vivado_hls", "-f", "build_prj.tcl"])]
    raise SpecError(f"synthesis backend '{backend}' is not supported (accepted: Vivado, Vitis)")


def run_synthesis(project_dir: Path, *, backend: str, log_dir: Path, timeout_s: float = HLS_TIMEOUT_S) -> SynthesisRun:
    """C-synthesise the project with the backend's HLS tool (and Vivado OOC synthesis when ``vivado`` exists)."""
    project_dir = Path(project_dir)
    tcl = project_dir / "build_prj.tcl"
    if not tcl.is_file():
        raise ToolError(
            f"{project_dir}: no build_prj.tcl, so there is nothing to synthesise (is this an hls4ml project?)"
        )
    candidates = _commands(backend)
    found = next(((name, argv) for name, argv in candidates if tools.which(name)), None)
    if found is None:
        names = " or ".join(f"'{n}'" for n, _ in candidates)
        raise ToolError(
            f"{names} not found on PATH: C synthesis was not run. The project is ready: "
            f"cd {shlex.quote(str(project_dir))} && {shlex.join(candidates[0][1])}  (ready tcl: {tcl}); "
            "then `codesign report` picks up the reports"
        )
    name, argv = found
    opts = dict(_OPTS)
    vivado = tools.which("vivado") is not None and (project_dir / "vivado_synth.tcl").is_file()
    opts["vsynth"] = int(vivado)
    if backend.lower() == "vitis":
        body = "".join(f"    {k} {v}\n" for k, v in opts.items())
        (project_dir / "build_opt.tcl").write_text(f"array set opt {{\n{body}}}\n")
    else:
        argv = argv + [" ".join(f"{k}={v}" for k, v in opts.items() if k != "fifo_opt")]
    log = Path(log_dir) / f"{name}.log"
    res = tools.run(argv, cwd=project_dir, log=log, timeout_s=timeout_s)
    return SynthesisRun(name, res.argv, res.log, res.seconds, vivado, find_reports(project_dir))
