"""A scan's storage: the marker that says which scan a folder holds, and the Optuna study (SQLite) that learns
each finished point's objective values and budget verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codesign.durable import SCAN_FILE
from codesign.errors import SpecError
from codesign.scan_points import PointsLog
from codesign.scan_spec import ESTIMATE_FIGURES, RTL_FIGURES, ScanFile

STUDY_FILE = "optuna.db"


def objective_value(rec: dict, name: str) -> float | None:
    """A point's figure: an estimate figure, an RTL figure (``rtl_lut`` is the report's rtl.lut), or the firmware's
    physics figure."""
    if name in RTL_FIGURES:
        v = (rec.get("rtl") or {}).get(name[len("rtl_") :])
    elif name in ESTIMATE_FIGURES:
        v = (rec.get("estimate") or {}).get(name)
    else:
        v = ((rec.get("metrics") or {}).get("firmware") or {}).get(name)
    return None if v is None else float(v)


def choice(v: Any) -> Any:
    """An axis value as an Optuna categorical choice (lists as JSON text)."""
    return json.dumps(list(v)) if isinstance(v, (list, tuple)) else v


def unchoice(v: Any) -> Any:
    """An Optuna choice back as the axis value."""
    return json.loads(v) if isinstance(v, str) and v.startswith("[") else v


def params_key(params: dict) -> str:
    """A point's parameters as one comparable text."""
    return json.dumps({k: choice(v) for k, v in params.items()}, sort_keys=True)


def check_storage(scan: ScanFile, out: Path, resume: bool) -> None:
    """Refuse an output folder that holds another scan, or this scan's points without --resume."""
    marker, db = out / SCAN_FILE, out / STUDY_FILE
    if marker.is_file():
        try:
            held = json.loads(marker.read_text())
        except ValueError:
            raise SpecError(f"{marker}: unreadable scan marker; choose another --out") from None
        if not isinstance(held, dict) or "identity" not in held:
            raise SpecError(f"{marker}: not a scan marker (no 'identity'): this folder was not written by "
                            "`codesign scan`; choose another --out")  # fmt: skip
        if held.get("identity") != scan.identity:
            changed = _changes(held["definition"], scan.definition) if isinstance(held.get("definition"), dict) else ""
            raise SpecError(
                f"{out}: the storage ({STUDY_FILE}, points.jsonl) is from a different scan ({held.get('scan_file')}, "
                f"identity {held.get('identity')}; this one is {scan.path}, identity {scan.identity}{changed}): its "
                "points were built from the scan as it was, so they are not resumed under another (accepted: the scan "
                "file as it was, or another --out for the edited one)"
            )
        if not resume and PointsLog(out / "points.jsonl").read():
            raise SpecError(f"{out}: already holds points of this scan: pass --resume to finish it, or choose another --out")
    elif db.is_file():
        raise SpecError(f"{db}: an Optuna storage without {SCAN_FILE}: not a codesign scan folder; choose another --out")


def _changes(old: dict, new: dict, prefix: str = "") -> str:
    """The keys whose values differ between two scan definitions, as '; changed: base.train.epochs 1 -> 2, ...'."""

    def flat(d: Any, at: str) -> dict[str, Any]:
        if not isinstance(d, dict) or not d:
            return {at: d}
        return {k: v for key, sub in d.items() for k, v in flat(sub, f"{at}.{key}" if at else str(key)).items()}

    named = {"base": "spec"}  # the scan file's key for its base spec
    a, b = (flat({named.get(k, k): v for k, v in d.items()}, prefix) for d in (old, new))
    gone = object()
    diffs = [f"{k} {json.dumps(a.get(k, None))} -> {json.dumps(b.get(k, None))}" if k in a and k in b else
             f"{k} {'added' if k in b else 'removed'}" for k in sorted(set(a) | set(b)) if a.get(k, gone) != b.get(k, gone)]  # fmt: skip
    shown = ", ".join(diffs[:5]) + (f" and {len(diffs) - 5} more" if len(diffs) > 5 else "")
    return f"; changed since: {shown}" if diffs else ""


def write_marker(scan: ScanFile, out: Path, part: str | None = None) -> None:
    """Write ``scan.json`` (which scan this folder holds, its definition and the part its points are built for)
    once, atomically."""
    marker = out / SCAN_FILE
    if not marker.is_file():
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps({"identity": scan.identity, "scan_file": str(scan.path),
                                   "axes": {k: list(v) for k, v in scan.axes.items()},
                                   "objectives": scan.objectives, "definition": scan.definition, "part": part},
                                  indent=1, default=list))  # fmt: skip
        tmp.replace(marker)


def check_part(out: Path, part: str) -> None:
    """Refuse a resume for another part than the one the folder's points were built for (--part on the command line
    is not in the scan file, so not in its identity; the points would mix two parts)."""
    marker = out / SCAN_FILE
    held = json.loads(marker.read_text()).get("part") if marker.is_file() else None
    if held is not None and held != part:
        raise SpecError(f"{out}: its points were built for part {held}, and this run asks for {part} (--part, or the "
                        f"scan file's part): the scan would mix two parts (accepted: --part {held} to resume it, or "
                        "another --out)")  # fmt: skip


def open_study(scan: ScanFile, out: Path):
    """The scan's Optuna study in ``<out>/optuna.db`` (created, or loaded to resume)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    directions = ["maximize" if d == "max" else "minimize" for d in scan.objectives.values()]
    sampler = None
    if scan.mode == "optuna":  # the budget constraint is set on each trial (Trial.set_constraint) before its tell
        sampler = optuna.samplers.NSGAIISampler(seed=scan.seed)
    return optuna.create_study(storage=f"sqlite:///{out / STUDY_FILE}", study_name=f"scan-{scan.identity}",
                               directions=directions, sampler=sampler, load_if_exists=True)  # fmt: skip


def distributions(scan: ScanFile) -> dict:
    """Each axis as an Optuna categorical distribution."""
    import optuna

    return {k: optuna.distributions.CategoricalDistribution([choice(v) for v in vals]) for k, vals in scan.axes.items()}


def objective_values(scan: ScanFile, rec: dict) -> list[float] | None:
    """A point's objective values in the scan's order; None when it failed or lacks one."""
    vals = [objective_value(rec, name) for name in scan.objectives]
    return None if rec.get("status") != "ok" or any(v is None for v in vals) else vals


def constraint_values(rec: dict) -> list[float]:
    """A point's constraint values for Optuna (feasible when every value <= 0)."""
    # Optuna's convention: feasible when every value <= 0
    return [0.0 if rec.get("budget_pass") else 1.0]


def record_trial(study, scan: ScanFile, rec: dict) -> None:
    """Add a finished grid point to the study (complete with its values, or failed)."""
    import optuna

    vals = objective_values(scan, rec)
    trial = optuna.trial.create_trial(
        params={k: choice(v) for k, v in rec["params"].items()}, distributions=distributions(scan),
        values=vals, state=optuna.trial.TrialState.COMPLETE if vals else optuna.trial.TrialState.FAIL,
        user_attrs={"point_id": rec["id"], "constraints": constraint_values(rec)},
    )  # fmt: skip
    study.add_trial(trial)


def check_points(scan: ScanFile, out: Path, records: list[dict]) -> None:
    """Refuse a points.jsonl holding lines this scan did not write (edited or pasted by hand): a point id twice, a
    point whose parameters are not this scan's axes, or a grid point whose parameters are not the grid's at its id.
    A resume would take such a line as a finished point and never build the one the id stands for."""
    path, seen = out / "points.jsonl", set()
    grid = scan.grid() if scan.mode == "grid" else None
    fix = "remove the line, or choose another --out (accepted: the lines this scan wrote, one per point)"
    for rec in records:
        pid, params = rec["id"], rec.get("params")
        if pid in seen:
            raise SpecError(f"{path}: point {pid!r} appears twice; {fix}")
        seen.add(pid)
        if rec.get("status") not in ("ok", "failed"):  # read as failed by --retry-failed, as a KeyError elsewhere
            raise SpecError(f"{path}: point {pid!r} has status {rec.get('status', 'none')!r}, which the scan does not "
                            f"write (accepted: 'ok' or 'failed'); {fix}")  # fmt: skip
        if not isinstance(params, dict) or set(params) != set(scan.axes):
            given = sorted(params) if isinstance(params, dict) else params
            raise SpecError(
                f"{path}: point {pid!r} has parameters {given}, not this scan's axes {sorted(scan.axes)}; {fix}"
            )
        if grid is not None:
            index = int(pid[1:]) if isinstance(pid, str) and pid[:1] == "p" and pid[1:].isdigit() else None
            want = grid[index] if index is not None and index < len(grid) else None
            if want is None or params_key(want) != params_key(params):
                has = f"has {want}" if want is not None else f"has no point of that id ({len(grid)} points)"
                raise SpecError(f"{path}: point {pid!r} was built with {params}, but this scan's grid {has}; {fix}")
        else:
            for key, value in params.items():
                if choice(value) not in [choice(v) for v in scan.axes[key]]:
                    raise SpecError(f"{path}: point {pid!r} has {key} = {value!r}, not one of this scan's values "
                                    f"{scan.axes[key]}; {fix}")  # fmt: skip


def check_study_file(out: Path) -> None:
    """Refuse an optuna.db that SQLite cannot read (truncated, overwritten) or that another process holds locked,
    naming the file and the way out; the finished points are in points.jsonl, from which a resume rebuilds the
    study when the file is moved away."""
    import sqlite3

    db = out / STUDY_FILE
    if not db.is_file() or db.stat().st_size == 0:  # none yet, or an empty database: the study is created
        return
    n = len(PointsLog(out / "points.jsonl").read())
    rebuild = (f"move it away (e.g. mv {db} {db}.damaged) and rerun with --resume: the study is rebuilt from the "
               f"{n} finished point(s) in points.jsonl, none is built again")  # fmt: skip
    try:
        con = sqlite3.connect(db, timeout=5.0)
        try:
            status = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise SpecError(f"{db}: locked by another process (another codesign scan on this --out?): wait for it to "
                            "end, or choose another --out") from None  # fmt: skip
        raise SpecError(f"{db}: SQLite cannot read this Optuna storage ({exc}); {rebuild}") from None
    except sqlite3.DatabaseError as exc:
        raise SpecError(f"{db}: not a readable Optuna storage ({exc}: truncated or overwritten?); {rebuild}") from None
    if status != "ok":
        raise SpecError(f"{db}: the Optuna storage is damaged (SQLite quick_check: {status}); {rebuild}")
