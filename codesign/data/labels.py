"""A user's labels read as one-hot rows, with every class present in the file and in both parts of the split.

A class with no event is an output no sample trains (absent from the file or the training rows) or a class whose
AUC and rejection cannot be computed (absent from the test rows): refused with the class and what is accepted.
"""

from __future__ import annotations

import numpy as np

from codesign.errors import DataError


def one_hot(labels: np.ndarray, where: str) -> np.ndarray:
    """A user's labels (integer class indices or one-hot rows) as float32 one-hot rows, every class present."""
    if labels.ndim == 2 and labels.shape[1] > 1:
        not_one_hot = ~(np.all((labels == 0) | (labels == 1), axis=1) & (labels.sum(axis=1) == 1))
        if not_one_hot.any():  # two 1s, no 1, a fraction: argmax-based metrics would read a class the row lacks
            row = int(np.argmax(not_one_hot))
            shown = ", ".join(f"{v:g}" for v in labels[row][:8]) + (", ..." if labels.shape[1] > 8 else "")
            raise DataError(f"{where}: {int(not_one_hot.sum())} label rows of {len(labels)} are not one-hot (first: "
                            f"row {row}, [{shown}]); accepted: one-hot rows (a single 1, the rest 0) "
                            "or integer class indices")  # fmt: skip
        check_every_class(labels.sum(axis=0) > 0, where, "one-hot rows with every column used")
        return labels.astype(np.float32)
    if labels.ndim == 2 and labels.shape[1] != 1:
        raise DataError(f"{where}: labels of shape {labels.shape} (accepted: integer class indices or one-hot rows)")
    if np.any(labels != np.round(labels)):
        raise DataError(f"{where}: labels are not integers (accepted: integer class indices >= 0 or one-hot rows)")
    flat = labels.reshape(-1).astype(np.int64)
    if flat.min() < 0:
        raise DataError(f"{where}: integer labels must be >= 0, got {int(flat.min())} (accepted: integer class "
                        "indices 0 .. K-1, every one present, or one-hot rows)")  # fmt: skip
    if flat.max() >= 1000:
        raise DataError(f"{where}: label {int(flat.max())} is not a class index (accepted: classes 0 .. 999)")
    check_every_class(np.bincount(flat) > 0, where, "integer class indices 0 .. K-1, every one present")
    return np.eye(int(flat.max()) + 1, dtype=np.float32)[flat]


def check_every_class(present: np.ndarray, where: str, accepted: str, names: tuple[str, ...] = ()) -> None:
    """Refuse labels with a class that has no event: the model would get an output no sample trains or scores."""
    missing = np.flatnonzero(~present)
    if missing.size:
        name = (lambda k: names[k]) if names else str
        listed = ", ".join(name(int(k)) for k in missing[:10]) + (" ..." if missing.size > 10 else "")
        raise DataError(f"{where}: {missing.size} of {present.size} classes have no events (class {listed}; "
                        f"present: {', '.join(name(int(k)) for k in np.flatnonzero(present)[:10])}); accepted: {accepted}")  # fmt: skip


def check_split_classes(y: np.ndarray, tr: np.ndarray, te: np.ndarray, classes, where: str, seed: int) -> None:
    """Refuse a split that leaves a class without events: an output no training row fits, or a class whose AUC and
    rejection the test rows cannot give (report.json would carry null for it beside an exit 0)."""
    in_file = y.sum(axis=0)
    for rows, part, key, lost in (
        (tr, "training", "n_train", "a class without training events is an output nothing trains"),
        (te, "test", "n_test", "the AUC and background rejection of a class without test events cannot be computed"),
    ):
        missing = np.flatnonzero(y[rows].sum(axis=0) == 0)
        if missing.size:
            listed = ", ".join(f"class {classes[k]} ({int(in_file[k])} in the file)" for k in missing[:10])
            raise DataError(f"{where}: the {len(rows)} {part} rows (data.{key}, split by data.seed {seed}) hold no "
                            f"event of {listed}: {lost} (accepted: a data.{key} that holds every one of the "
                            f"{len(classes)} classes, another data.seed, or data with more events of the class)")  # fmt: skip
