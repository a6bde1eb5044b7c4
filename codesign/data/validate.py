"""Checks of the arrays read from a jets or L1 file (:mod:`codesign.data.hdf5io`): NaN/Inf named by row and column,
per-event codes that index their names, per-event weights. Each raises a DataError naming the file, the key, the
first value at fault and what is accepted."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from codesign.errors import DataError


def finite(path: Path, key: str, array: np.ndarray, names: Sequence[str] = ()) -> None:
    """Raise if an array holds NaN or Inf, naming how many and the first position: the index in the file, and the
    column by name when ``names`` names the last axis (``array`` holds the file's leading rows, all of them)."""
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f"index {first}"
        if names:  # the file's row; the column by name (a selection of the file's columns has other indices)
            constituent = f", constituent {first[1]}" if len(first) == 3 else ""
            at = f"row {first[0]}{constituent}, '{names[first[-1]]}'"
        raise DataError(f"{path}: key {key!r} holds {int(bad.sum())} NaN/Inf values (first at {at}); accepted: "
                        "finite numbers (drop or repair those rows)")  # fmt: skip


def codes(path: Path, key: str, raw: np.ndarray, names_key: str, names: tuple[str, ...], n: int) -> np.ndarray:
    """Per-event codes (``Process``, ``Subprocess``) of the names they index: one whole number in 0..len(names)-1
    per event, each name once (a name twice would put two processes' events under one name), or a DataError."""
    accepted = f"accepted: one whole number in 0..{len(names) - 1} per event, shape ({n},), indexing {names_key!r}"
    if raw.shape != (n,):
        raise DataError(f"{path}: key {key!r} has shape {raw.shape} ({accepted})")
    bad = ~np.isfinite(raw) | (raw != np.round(raw)) | (raw < 0) | (raw >= len(names)) if n else np.zeros(0, bool)
    if bad.any():
        first = int(np.argmax(bad))
        raise DataError(f"{path}: key {key!r} holds {int(bad.sum())} codes that are not a name's index (first: event "
                        f"{first}, {raw[first]}) ({accepted})")  # fmt: skip
    twice = sorted({v for v in names if names.count(v) > 1})
    if twice:
        raise DataError(f"{path}: key {names_key!r} names {twice} more than once (accepted: each name once)")
    return raw.astype(np.int64)


def weights(path: Path, key: str, raw: np.ndarray, n: int) -> np.ndarray:
    """The per-event ``Weights``: one finite number >= 0 per event, not all 0, or a DataError naming the first that
    is not (a negative or NaN weight would train and score on a mixture no process has)."""
    weights = np.asarray(raw, dtype=np.float64)
    accepted = f"accepted: one finite weight >= 0 per event, shape ({n},), not all 0"
    if weights.shape != (n,):
        raise DataError(f"{path}: key {key!r} has shape {weights.shape} ({accepted})")
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        first = int(np.argmax(bad))
        raise DataError(f"{path}: key {key!r} holds {int(bad.sum())} weights that are negative, NaN or Inf (first: "
                        f"event {first}, {weights[first]:g}); {accepted}")  # fmt: skip
    if n and not weights.any():
        raise DataError(f"{path}: key {key!r}: every weight is 0, so no event counts in training or in the scores "
                        f"({accepted})")  # fmt: skip
    return weights


def one_hot(path: Path, key: str, labels: np.ndarray, columns: Sequence[str], undef: np.ndarray | None,
            undef_name: str) -> None:  # fmt: skip
    """The label columns one-hot on every row, and the row not also marked ``undef`` (a jet of no class and of one
    at once was read as that class), or a DataError naming the first row that is not."""
    wrong = ~(np.all((labels == 0.0) | (labels == 1.0), axis=1) & (labels.sum(axis=1) == 1.0))
    if undef is not None:
        wrong |= undef != 0
    if wrong.any():
        first = int(np.argmax(wrong))
        raise DataError(f"{path}: key {key!r} label columns {list(columns)} must be one-hot over the {len(columns)} "
                        f"classes with {undef_name} 0; {int(wrong.sum())} rows are not (first: row {first}) (accepted: "
                        f"a single 1 per row, the rest 0; jets labelled {undef_name}, or of no class, are not "
                        "accepted)")  # fmt: skip
