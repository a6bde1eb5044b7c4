"""The library entry point: ``codesign.build(spec) -> BuildResult``; ``codesign build`` is a thin wrapper over it.

:func:`build` returns the same frozen :class:`BuildResult` whether its steps ran or the build folder was
already up to date: the result is read from the report.json the build wrote (or left unchanged), so both
cases hold the same objects (an :class:`~codesign.estimate.Estimate`, a
:class:`~codesign.budget.BudgetVerdict`, plain-JSON metrics).
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesign import console
from codesign.errors import SpecError
from codesign.parts import check_part_argument

DEFAULT_OUT_ROOT = Path("vivado_projects")


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: the verdicts, the figures and where the reports are."""

    name: str
    out_dir: Path
    bit_exact: bool | None  # None: no bit-exact reference could be computed (see bit_accuracy["reference"])
    bit_accuracy: dict
    metrics: dict  # per stage (float, pruned, quantized, firmware): the report's physics figures
    sparsity: dict | None
    estimate: Any  # codesign.estimate.Estimate (None when no estimate was made)
    budget: Any  # codesign.budget.BudgetVerdict (.passed, .checks, .objectives(), .constraints())
    steps: tuple  # codesign.pipeline.StepRecord per step (cached=True when reused)
    notes: tuple[str, ...]
    report_json: Path
    report_md: Path
    synth_error: str | None = None
    rtl: dict | None = None  # the report's rtl section (--rtl), None without it
    reuse_factors: dict | None = None  # per layer with multipliers, the reuse factor in the firmware (parameters.h)

    @property
    def up_to_date(self) -> bool:
        """True when every step was reused (nothing was recomputed)."""
        return bool(self.steps) and all(s.cached for s in self.steps)

    @property
    def budget_pass(self) -> bool | None:
        """The budget verdict, None when there is none."""
        return None if self.budget is None else self.budget.passed

    @classmethod
    def from_report(cls, report: dict, out_dir: Path, steps: tuple = (), synth_error: str | None = None) -> BuildResult:
        """The result of a build from its report.json dictionary."""
        from codesign.budget import BudgetVerdict
        from codesign.estimate import Estimate

        est, verdict = report.get("estimate"), report.get("budget")
        acc = report.get("bit_accuracy") or {}
        return cls(
            name=str(report.get("name", "")),
            out_dir=Path(out_dir),
            bit_exact=acc.get("exact"),
            bit_accuracy=acc,
            metrics=report.get("metrics") or {},
            sparsity=report.get("sparsity"),
            estimate=Estimate.from_dict(est) if isinstance(est, dict) else None,
            budget=BudgetVerdict.from_dict(verdict) if isinstance(verdict, dict) else None,
            steps=tuple(steps),
            notes=tuple(report.get("notes") or ()),
            report_json=Path(out_dir) / "report.json",
            report_md=Path(out_dir) / "report.md",
            synth_error=synth_error,
            rtl=report.get("rtl"),
            reuse_factors=(report.get("project") or {}).get("reuse_factors"),
        )


def raise_stack_limit() -> None:
    """Lift the soft stack limit: hls4ml's io_parallel firmware keeps unrolled weights on the stack, and large
    models overflow the default 8 MB when the compiled library runs in this process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = resource.RLIM_INFINITY if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and (want == resource.RLIM_INFINITY or soft < want):
        try:
            resource.setrlimit(resource.RLIMIT_STACK, (want, hard))
        except (ValueError, OSError):
            pass


def load_any_spec(spec: str | Path | dict):
    """A spec file path, or a spec as a dict (relative paths in it resolved against the working directory)."""
    from codesign.spec import BuildSpec, _resolve_paths, load_spec, parse_spec

    if isinstance(spec, dict):
        _check_plain_values(spec, "")
        parsed = parse_spec(spec, Path("<spec dict>"))
        return _resolve_paths(parsed, Path.cwd(), Path("<spec dict>")) if isinstance(parsed, BuildSpec) else parsed
    if isinstance(spec, (str, Path)):
        return load_spec(spec)
    raise SpecError(f"codesign.build: spec must be a file path or a dict, got {type(spec).__name__}")


def _check_plain_values(value: object, key: str) -> None:
    """Refuse a value of a spec dict that no spec file can hold where it would be read as something else: a set
    (``hidden: {16, 8}`` was built in hash order, a repeated size dropped) or bytes (``name: b'x'`` was read as text)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_plain_values(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain_values(v, f"{key}[{i}]")
    elif isinstance(value, (set, frozenset, bytes, bytearray)):
        what = "a set, which has no order and no repeats" if isinstance(value, (set, frozenset)) else "bytes"
        raise SpecError(f"<spec dict>: key '{key}': {what} ({value!r}); accepted: the types a spec file holds "
                        "(a dict, list, str, number, bool or None)")  # fmt: skip


def run_build(spec: str | Path | dict, *, part: str | None = None, out: str | Path | None = None, force: bool = False,
              synth: bool = False, progress: Callable[[str], None] | None = None, cache_dir: str | Path | None = None,
              trust_model_code: bool = False, rtl: bool = False, plots: bool = True):  # fmt: skip
    """Parse the spec, run the ordered steps, and return (context, state): the lower-level entry point."""
    flags = {"force": force, "synth": synth, "trust_model_code": trust_model_code, "rtl": rtl, "plots": plots}
    for flag, value in flags.items():  # a string such as 'no' is truthy: it would switch the setting on
        if not isinstance(value, bool):
            raise SpecError(f"codesign.build: {flag} must be True or False, got {value!r}")
    if progress is not None and not callable(progress):
        raise SpecError(
            f"codesign.build: progress must be a function taking one line of text, or None; got {progress!r}"
        )
    check_part_argument(part, "spec")
    for name, value in (("out", out), ("cache_dir", cache_dir)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise SpecError(f"codesign.build: {name} must be a folder path (str or Path), got {value!r}")
    if rtl:  # fail fast (ToolError, exit 5, naming what to install) before the long HLS steps
        from codesign.rtl import sim

        sim.verilator_env()
    from codesign import parts, safe_names
    from codesign.build_steps import default_steps
    from codesign.durable import BUILD_OUTPUTS, check_writable
    from codesign.pipeline import BuildContext, check_spec_consistency, run_steps
    from codesign.spec import BuildSpec

    where = spec if not isinstance(spec, dict) else "<spec dict>"
    parsed = load_any_spec(spec)
    if isinstance(parsed, BuildSpec):
        try:
            check_spec_consistency(parsed)
        except SpecError as exc:
            raise SpecError(f"{where}: {exc}") from None
        part_text = part or parsed.part
        hls4ml_config, build_spec, name = None, parsed, parsed.name
    else:
        hls4ml_config, build_spec = parsed, None
        part_text = part or hls4ml_config.config.get("Part") or hls4ml_config.config.get("XilinxPart")
        name = safe_names.project_name(hls4ml_config.config.get("ProjectName", "myproject"),
                                       f"{where}: ProjectName")  # fmt: skip
    out_from = "--out" if out is not None else "name"
    if out is None and hls4ml_config is not None and hls4ml_config.config.get("OutputDir"):
        # hls4ml writes its project to OutputDir (relative to the working directory): the build folder is there
        out = Path(str(hls4ml_config.config["OutputDir"]))
        out_from = f"{where}: OutputDir"
    if not part_text:
        raise SpecError(f"{where}: no FPGA part: pass --part (e.g. --part xcvu9p) or set 'part:' in the spec")
    try:
        target = parts.resolve_part(str(part_text))
    except SpecError as exc:
        raise SpecError(f"{'--part' if part else f'{where}: part'}: {exc}") from None
    out_dir = check_writable(out if out is not None else DEFAULT_OUT_ROOT / name, out_from, BUILD_OUTPUTS)
    if out_from not in ("--out", "name") and progress is not None:
        progress(f"build folder {out_dir} (from {out_from}; --out overrides it); the HLS project is in {out_dir / 'hls'}")
    console.set_error_log_dir(out_dir / ".codesign")
    cache = check_writable(cache_dir, "cache_dir").resolve() if cache_dir is not None else None
    ctx = BuildContext(spec=build_spec, hls4ml_config=hls4ml_config, part=target, out_dir=out_dir.resolve(),
                       force=force, synth=synth, rtl=rtl, trust_model_code=trust_model_code, plots=plots,
                       cache_dir=cache)  # fmt: skip
    raise_stack_limit()
    _write_build_log(out_dir)
    started = time.perf_counter()  # step times from here, not from TensorFlow's import

    def timed(step: str) -> None:
        if progress is not None:
            progress(f"[{time.perf_counter() - started:7.1f} s] {step}")

    with console.library_output_to(out_dir / "build.log"):
        state = run_steps(ctx, default_steps(synth=synth, rtl=rtl), progress=timed)
    return ctx, state


def _write_build_log(out_dir: Path) -> None:
    """A fresh <out>/build.log, starting with TensorFlow's start-up lines (kept off the console by keras_env)."""
    from codesign import keras_env

    keras_env.setup()  # imports TensorFlow with its start-up output captured
    text = keras_env.startup_log()
    head = "# TensorFlow/absl start-up output (fd 2), captured by codesign\n" + text if text else ""
    try:
        (out_dir / "build.log").write_text(head)
    except OSError:
        pass


def build(spec: str | Path | dict, *, part: str | None = None, out: str | Path | None = None, force: bool = False,
          synth: bool = False, progress: Callable[[str], None] | None = None,
          cache_dir: str | Path | None = None, trust_model_code: bool = False, rtl: bool = False,
          plots: bool = True) -> BuildResult:  # fmt: skip
    """Build a spec (file path or dict) into a checked firmware project; the same result type fresh or cached.

    ``out`` defaults to ``vivado_projects/<name>``; ``force`` redoes every step; ``cache_dir`` is a step cache
    shared between builds (a scan's); ``progress`` receives one line per step; ``rtl`` adds the da4ml/Verilator/yosys
    step (:mod:`codesign.rtl`); ``plots=False`` writes the report without its PNG plots. Raises a
    :class:`codesign.errors.CodesignError` on bad input; a build that is not bit-exact or misses the budget
    returns normally (see ``bit_exact`` and ``budget.passed``).
    """
    ctx, state = run_build(spec, part=part, out=out, force=force, synth=synth, progress=progress, cache_dir=cache_dir,
                           trust_model_code=trust_model_code, rtl=rtl, plots=plots)
    report = json.loads(ctx.path("report.json").read_text())
    return BuildResult.from_report(report, ctx.out_dir, steps=state.records, synth_error=state.synth_error)
