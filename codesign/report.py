"""The build report: ``report.json`` for machines, ``report.md`` (+ PNG plots) for people.

``report.md`` is rendered from the report dictionary alone, so any command that updates report.json
(``codesign report`` after a synthesis run, for instance) re-renders the same Markdown with
:func:`write_report`. Both files are written atomically (temporary file + rename): a reader never sees a
half-written report, and an interrupted build leaves the previous one intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from codesign import report_text
from codesign.durable import record_report_digest
from codesign.errors import DataError

# public names of this module, defined next to it (report.md's rendering and its tables)
from codesign.report_markdown import render_markdown, score_section  # noqa: F401
from codesign.report_tables import _budget_table, _fmt, _table  # noqa: F401
from codesign.report_text import project_summary, relative_to  # noqa: F401

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file atomically, readable as any new file (0666 less the umask; mkstemp alone gives 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return _jsonable(obj.to_dict())
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy values as Python ones, paths as strings and NaN/Inf as None (strict JSON)."""
    return _jsonable(obj)


def load_report(out_dir: Path) -> dict:
    """Read an existing report.json (empty dict if there is none); DataError when it is damaged."""
    path = Path(out_dir) / REPORT_JSON
    if not path.is_file():
        return {}
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable report ({exc}); it may be truncated: rerun `codesign build` "
                        "(accepted: a report.json written by codesign)") from None  # fmt: skip
    if not isinstance(report, dict):
        raise DataError(f"{path}: not a codesign report (a JSON object is expected, got {type(report).__name__})")
    for key, value in report.items():  # a hand edit that changed a section's type: named here, not a crash later
        kind = OBJECT_KEYS.get(key)
        if kind is not None and value is not None and not isinstance(value, kind):
            raise DataError(f"{path}: key '{key}' holds {_json_type(value)}, not {_json_type(kind())} as codesign "
                            "writes it (accepted: a report.json written by codesign; rerun `codesign build` to write "
                            "it again)")  # fmt: skip
    return report


# the report's sections and their JSON types (a section may also be null); other keys are read where they are used
OBJECT_KEYS = {key: dict for key in ("spec", "part", "versions", "verdict", "data", "bit_accuracy", "metrics",
                                     "score_check", "sparsity", "estimate", "budget", "project", "synthesis", "rtl",
                                     "plots")} | {"steps": list, "notes": list}  # fmt: skip


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def write_report(report: dict, out_dir: Path, trusted: bool = True) -> None:
    """Write report.json and report.md (atomically) from a report dictionary; ``trusted=False`` when it comes from
    a report.json edited since codesign wrote it (durable.record_report_digest)."""
    report = _jsonable(report)
    atomic_write_text(Path(out_dir) / REPORT_JSON, json.dumps(report, indent=1, allow_nan=False) + "\n")
    atomic_write_text(Path(out_dir) / REPORT_MD, render_markdown(report))
    record_report_digest(out_dir, trusted)


# ------------------------------------------------------------------------------------ build report


def build_report_dict(ctx, state, plots: dict[str, str]) -> dict:
    """Assemble the report dictionary of a finished build."""
    from codesign.pipeline import library_versions
    from codesign.score_check import tail_check

    project = state.project
    spec = ctx.spec.resolved() if ctx.spec is not None else {"hls4ml_config": str(ctx.hls4ml_config.path)}
    base = Path(ctx.out_dir)
    return _jsonable(
        {
            "name": ctx.name,
            "spec": spec,
            "part": ctx.part.to_dict(),
            "versions": library_versions(),
            "verdict": _verdict(state),
            "data": state.data.summary() if state.data is not None else None,
            "bit_accuracy": state.bit_accuracy,
            "metrics": state.metrics or {},
            "score_check": tail_check(state.metrics),
            "sparsity": state.sparsity,
            "estimate": state.estimate,
            "budget": state.budget,
            # every step before this report; the report step's own time is in .codesign/steps.json
            "steps": [r.to_dict() for r in state.records],
            "project": report_text.project_summary(project, base),
            "synthesis": state.synthesis,
            "rtl": state.rtl,
            "trust_model_code": bool(getattr(ctx, "trusts_model_code", False)),
            # paths inside the build folder are written relative to it (the folder can be moved or shared)
            "notes": [str(n).replace(f"{Path(ctx.out_dir).resolve()}/", "") for n in state.notes],
            "plots": plots,
        }
    )


def _verdict(state) -> dict:
    acc = state.bit_accuracy or {}
    budget = state.budget.to_dict() if hasattr(state.budget, "to_dict") else (state.budget or {})
    out = {"bit_exact": acc.get("exact"), "budget_pass": budget.get("pass")}
    if acc.get("reference_unavailable"):
        out["reference_unavailable"] = acc["reference_unavailable"]
    return out


PLOT_FILES = ("training.png", "resources.png", "roc.png", "scores.png")  # what report_plots.make_plots writes


def remove_plots(out_dir: Path) -> None:
    """Delete the plots an earlier build wrote into ``<out>/plots`` (a build without plots shows no stale ones)."""
    folder = out_dir / "plots"
    for name in PLOT_FILES:
        (folder / name).unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


NO_PLOTS_NOTE = "plots not made (codesign build --no-plots, or a scan point: a scan file's `plots: true` keeps them)"


def write_build_report(ctx, state, plots: bool = True) -> dict:
    """Make the plots (unless ``plots`` is False) and write report.json + report.md; returns the report dictionary."""
    if plots:
        from codesign import report_plots

        made = report_plots.make_plots(ctx, state)
    else:  # (matplotlib is not even imported) a folder built before with plots keeps none that no longer match
        made = {}
        remove_plots(Path(ctx.out_dir))
        state = state.note(NO_PLOTS_NOTE)
    report = build_report_dict(ctx, state, made)
    write_report(report, ctx.out_dir)
    return report
