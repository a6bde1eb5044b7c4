"""Where the calibration records are: ``../shared/calibration`` when present, else the copy carried here.

``../shared/calibration`` (next to the repository; ``CODESIGN_CALIBRATION`` overrides the folder) holds
``hls_reports.jsonl`` and ``raw/``, the verbatim reports behind each record. The project carries a copy of
the jsonl only (``codesign/estimate/calibration/hls_reports.jsonl``, with its ``PROVENANCE.md``), so the records
mode of the estimator, its tests and the accuracy benchmark run on a fresh clone; whatever needs ``raw/``
(per-layer reports, report parsers) needs the shared folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from codesign.errors import DataError

ROOT = Path(__file__).resolve().parents[2]
#: The copy of the records carried in the project (no raw reports).
CARRIED = Path(__file__).resolve().parent / "calibration"


def shared_dir() -> Path:
    """The shared calibration folder: ``$CODESIGN_CALIBRATION`` if set, else ``../shared/calibration``."""
    env = os.environ.get("CODESIGN_CALIBRATION")
    return Path(env) if env else ROOT.parent / "shared" / "calibration"


def records_dir(prefer_shared: bool = True) -> Path:
    """The folder whose ``hls_reports.jsonl`` to read: the shared one when it has the file, else the carried."""
    shared = shared_dir()
    if prefer_shared and (shared / "hls_reports.jsonl").exists():
        return shared
    env = os.environ.get("CODESIGN_CALIBRATION")
    if prefer_shared and env:  # the folder the user named was passed over for the carried records without a word
        raise DataError(f"CODESIGN_CALIBRATION={env}: no hls_reports.jsonl there (accepted: a folder holding the "
                        "calibration records' hls_reports.jsonl, or leave the variable unset for the carried set)")  # fmt: skip
    return CARRIED


def raw_dir() -> Path | None:
    """The shared ``raw/`` reports folder, or None when ../shared is absent (a fresh clone)."""
    raw = shared_dir() / "raw"
    return raw if raw.is_dir() else None


def load_records(folder: Path | None = None) -> list[dict]:
    """Every record of ``folder/hls_reports.jsonl`` (default :func:`records_dir`), in file order."""
    path = (folder or records_dir()) / "hls_reports.jsonl"
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise DataError(f"cannot read calibration records {path}: {exc}") from None
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{i}: not a JSON record ({exc.msg})") from None
    return out
