"""Read and write jets and L1 events in the public HDF5 layouts, validating everything that is read.

Every problem with an input file raises :class:`DataError` naming the file, the key and what was
expected. Writers refuse to replace an existing file unless ``overwrite`` is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from codesign.data import h5read, validate
from codesign.data import layouts as L
from codesign.data.samples import JetSample, L1Sample
from codesign.errors import DataError

COMPRESSION = {"compression": "gzip", "compression_opts": 9, "shuffle": True}

# File-name fragments of the public ADC2021 files, used when a file carries no per-event process.
PUBLIC_L1_FILE_PROCESS = (
    ("background", "background"),
    ("ato4l", "ato4l"),
    ("leptoquark", "lq_btau"),
    ("lq", "lq_btau"),
    ("htotautau", "h_tautau"),
    ("hchtotaunu", "hpm_taunu"),
)


def _h5py() -> Any:
    import h5py

    return h5py


def _names(values: Sequence[str]) -> np.ndarray:
    """Names as the fixed-length byte strings the public files use."""
    return np.array([v.encode() for v in values])


def _decode(path: Path, handle: Any, key: str) -> tuple[str, ...]:
    """A dataset of byte or text names as a tuple of str."""
    raw = h5read.values(path, _dataset(path, handle, key), key, (), numeric=False)
    try:
        return tuple(v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(raw).ravel())
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: key {key!r} must hold ASCII names ({exc})") from exc


def _dataset(path: Path, handle: Any, key: str) -> Any:
    """The dataset at key, or a DataError listing the keys the file has."""
    if key not in handle:
        raise DataError(f"{path}: missing key {key!r}; the file has {sorted(handle.keys())}")
    return h5read.dataset(path, handle, key)


def _open(path: str | Path) -> tuple[Path, Any]:
    """Open an HDF5 file for reading with a clear error if it is missing, not HDF5, or cut short while written."""
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise DataError(f"{path}: a symbolic link to {os.readlink(path)}, which does not exist or loops (accepted: a "
                        "link to an HDF5 file)")  # fmt: skip
    if path.exists() and not path.is_file():
        raise DataError(f"{path}: not a regular file (a folder, a FIFO or a device; accepted: an HDF5 file)")
    if not path.is_file():
        raise DataError(f"{path}: no such file{interrupted_hint(path)}")
    try:
        handle = h5read.open_file(path)
    except DataError as exc:
        raise DataError(f"{path}: not a readable HDF5 file: {str(exc).split(': ', 1)[-1]}") from None
    try:
        refuse_incomplete(path, handle)
    except DataError:
        handle.close()
        raise
    return path, handle


def refuse_incomplete(path: Path, handle: Any) -> None:
    """Refuse a file whose writer was interrupted (it still carries :data:`layouts.ATTR_INCOMPLETE`)."""
    if L.ATTR_INCOMPLETE in handle.attrs:
        raise DataError(
            f"{path}: incomplete: writing this file was interrupted ({L.ATTR_INCOMPLETE} is still set), so its "
            "arrays may be missing or cut short; rerun the `codesign data` command that wrote it with --resume "
            "(its finished chunks are kept in <out>.parts) (accepted: a file whose writing finished)"
        )


def refuse_two_layouts(path: Path, keys) -> None:
    """Refuse a file holding both a jets table and L1 events: a build read it as L1 data, `data info` as jets."""
    if L.PARTICLES_KEY in keys and L.JETS_KEY in keys:
        raise DataError(f"{path}: holds both a jets table (key '{L.JETS_KEY}') and L1 events (key "
                        f"'{L.PARTICLES_KEY}'), so which data set it is cannot be told (accepted: a file of one layout; "
                        "or data.inputs / data.labels naming the arrays to read)")  # fmt: skip


def interrupted_hint(path: Path) -> str:
    """What a missing output's leftovers say: an interrupted `codesign data` run (its parts folder, its .tmp)."""
    parts, tmp = path.with_name(path.name + ".parts"), path.with_name(path.name + ".tmp")
    left = [str(p) for p in (parts, tmp) if p.exists()]
    if not left:
        return ""
    return (
        f" (left by an interrupted `codesign data` run that was to write it: {' and '.join(left)}; rerun that "
        "command with --resume to finish it)"
    )


def _prepare_output(path: Path, overwrite: bool) -> None:
    """Refuse to replace an existing file unless asked; create the parent folder."""
    if path.exists() and not overwrite:
        raise DataError(f"{path}: already exists; pass --force (overwrite=True) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)


def _write_attrs(handle: Any, attrs: Mapping[str, Any]) -> None:
    """Store metadata attributes; dicts are stored as JSON text."""
    for key, value in attrs.items():
        handle.attrs[key] = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


# --- jets -------------------------------------------------------------------------------------------
def write_jets(
    path: str | Path,
    columns: np.ndarray,
    column_names: Sequence[str],
    constituents: np.ndarray | None,
    constituent_names: Sequence[str],
    attrs: Mapping[str, Any] | None = None,
    constituent_dtype: str = "float32",
    overwrite: bool = False,
) -> Path:
    """Write jets in the public layout: ``jets`` + ``jetFeatureNames`` and the constituent list."""
    path = Path(path)
    _prepare_output(path, overwrite)
    if columns.shape[1] != len(column_names):
        raise ValueError(f"{columns.shape[1]} jet columns but {len(column_names)} names")
    tmp = path.with_name(path.name + ".tmp")
    with _h5py().File(tmp, "w") as f:
        f.attrs[L.ATTR_INCOMPLETE] = "writing"  # removed below once every array and attribute is in
        f.create_dataset(L.JETS_KEY, data=columns.astype(np.float32), **COMPRESSION)
        f.create_dataset(L.JET_FEATURE_NAMES_KEY, data=_names(column_names))
        if constituents is not None:
            if constituents.shape[2] != len(constituent_names):
                raise ValueError(f"{constituents.shape[2]} constituent features but {len(constituent_names)} names")
            f.create_dataset(L.CONSTITUENTS_KEY, data=constituents.astype(constituent_dtype), **COMPRESSION)
            f.create_dataset(L.PARTICLE_FEATURE_NAMES_KEY, data=_names(constituent_names))
        _write_attrs(f, attrs or {})
        del f.attrs[L.ATTR_INCOMPLETE]
    tmp.replace(path)
    return path


def read_jets(path: str | Path, n_constituents: int | None = None) -> JetSample:
    """Read a jets file (ours or the public hls4ml layout) into a validated :class:`JetSample`.

    ``n_constituents``: None reads no constituents; an int keeps the leading (pT-ordered) ones.
    """
    path, f = _open(path)
    with f:
        names = _decode(path, f, L.JET_FEATURE_NAMES_KEY)
        jets = _dataset(path, f, L.JETS_KEY)
        if jets.ndim != 2 or jets.shape[1] != len(names):
            raise DataError(
                f"{path}: key {L.JETS_KEY!r} has shape {jets.shape}, expected [N, {len(names)}] to match "
                f"{L.JET_FEATURE_NAMES_KEY!r}"
            )
        missing = [n for n in (*L.HLF_NAMES, *L.LABEL_COLUMNS) if n not in names]
        if missing:
            raise DataError(f"{path}: {L.JET_FEATURE_NAMES_KEY!r} lacks the columns {missing} (accepted: the public "
                            f"jet layout, naming the 16 high-level features and the label columns {list(L.LABEL_COLUMNS)}"
                            "; or data.inputs / data.labels naming your own arrays)")  # fmt: skip
        twice = sorted({n for n in (*L.HLF_NAMES, *L.LABEL_COLUMNS) if names.count(n) > 1})
        if twice:  # which column is the feature? the first would be read without a word
            raise DataError(f"{path}: {L.JET_FEATURE_NAMES_KEY!r} names {twice} more than once (accepted: each "
                            "column named once)")  # fmt: skip
        table = np.asarray(h5read.values(path, jets, L.JETS_KEY, ()), dtype=np.float32)
        hlf = table[:, [names.index(n) for n in L.HLF_NAMES]]
        labels = table[:, [names.index(n) for n in L.LABEL_COLUMNS]]
        validate.finite(path, L.JETS_KEY, hlf, L.HLF_NAMES)
        undef = table[:, names.index(L.UNDEF_COLUMN)] if L.UNDEF_COLUMN in names else None
        validate.one_hot(path, L.JETS_KEY, labels, L.LABEL_COLUMNS, undef, L.UNDEF_COLUMN)
        constituents, const_names = None, ()
        if n_constituents is not None:
            constituents, const_names = _read_constituents(path, f, len(table), n_constituents)
    return JetSample(
        hlf=hlf,
        hlf_names=L.HLF_NAMES,
        constituents=constituents,
        constituent_names=const_names,
        labels=labels,
        class_names=L.CLASS_NAMES,
        source=str(path),
    )


def _read_constituents(path: Path, f: Any, n_jets: int, n_constituents: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """The leading n_constituents of ``jetConstituentList`` with their feature names."""
    data = _dataset(path, f, L.CONSTITUENTS_KEY)
    if data.ndim != 3 or data.shape[0] != n_jets:
        raise DataError(f"{path}: key {L.CONSTITUENTS_KEY!r} has shape {data.shape}, expected [{n_jets}, n_const, n_feat]")
    if not 1 <= n_constituents <= data.shape[1]:
        raise DataError(
            f"{path}: key {L.CONSTITUENTS_KEY!r} holds {data.shape[1]} constituents per jet; "
            f"asked for {n_constituents} (accepted 1..{data.shape[1]})"
        )
    names = _decode(path, f, L.PARTICLE_FEATURE_NAMES_KEY)
    # Public files name one more feature (j1_pdgid) than they store: keep the first n_feat names.
    if len(names) < data.shape[2]:
        raise DataError(
            f"{path}: key {L.PARTICLE_FEATURE_NAMES_KEY!r} names {len(names)} features but "
            f"{L.CONSTITUENTS_KEY!r} has {data.shape[2]}"
        )
    values = np.asarray(h5read.values(path, data, L.CONSTITUENTS_KEY, np.s_[:, :n_constituents, :]), dtype=np.float32)
    validate.finite(path, L.CONSTITUENTS_KEY, values, names[: data.shape[2]])
    return values, names[: data.shape[2]]


def read_jet_table(path: str | Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """The whole ``jets`` table with its column names (for summaries and checks)."""
    path, f = _open(path)
    with f:
        names = _decode(path, f, L.JET_FEATURE_NAMES_KEY)
        return np.asarray(h5read.values(path, _dataset(path, f, L.JETS_KEY), L.JETS_KEY, ()), dtype=np.float32), names


# --- L1 events --------------------------------------------------------------------------------------
def write_l1(
    path: str | Path,
    particles: np.ndarray,
    process: np.ndarray,
    process_names: Sequence[str],
    subprocess: np.ndarray | None = None,
    subprocess_names: Sequence[str] = (),
    attrs: Mapping[str, Any] | None = None,
    dtype: str = "float32",
    overwrite: bool = False,
    weights: np.ndarray | None = None,
) -> Path:
    """Write L1 events in the ADC2021 layout plus per-event process codes (``Process``) and weights."""
    path = Path(path)
    _prepare_output(path, overwrite)
    tmp = path.with_name(path.name + ".tmp")
    with _h5py().File(tmp, "w") as f:
        f.attrs[L.ATTR_INCOMPLETE] = "writing"  # removed below once every array and attribute is in
        f.create_dataset(L.PARTICLES_KEY, data=particles.astype(dtype), **COMPRESSION)
        f.create_dataset(L.PARTICLES_NAMES_KEY, data=_names(L.L1_FEATURE_NAMES))
        f.create_dataset(L.PARTICLES_CLASSES_KEY, data=_names(L.L1_CLASS_NAMES))
        f.create_dataset(L.PROCESS_KEY, data=process.astype(np.int8), **COMPRESSION)
        f.create_dataset(L.PROCESS_NAMES_KEY, data=_names(process_names))
        if subprocess is not None:
            f.create_dataset(L.SUBPROCESS_KEY, data=subprocess.astype(np.int8), **COMPRESSION)
            f.create_dataset(L.SUBPROCESS_NAMES_KEY, data=_names(subprocess_names))
        if weights is not None:
            if np.shape(weights) != (len(particles),):
                raise ValueError(f"weights have shape {np.shape(weights)}, expected ({len(particles)},)")
            f.create_dataset(L.WEIGHTS_KEY, data=np.asarray(weights, dtype=np.float64), **COMPRESSION)
        _write_attrs(f, attrs or {})
        del f.attrs[L.ATTR_INCOMPLETE]
    tmp.replace(path)
    return path


def _process_from_filename(path: Path) -> str:
    """Process of a public single-process ADC2021 file, guessed from its name."""
    stem = path.name.lower().replace("_", "")
    for fragment, process in PUBLIC_L1_FILE_PROCESS:
        if fragment in stem:
            return process
    return "unknown"


def read_l1(path: str | Path, process: str | None = None) -> L1Sample:
    """Read an L1 file (ours or the public ADC2021 layout) into a validated :class:`L1Sample`.

    Files without a per-event ``Process`` key are single-process: ``process`` names it, else it is
    guessed from the file name (``unknown`` if that fails).
    """
    path, f = _open(path)
    with f:
        data = _dataset(path, f, L.PARTICLES_KEY)
        if data.ndim != 3 or data.shape[1:] != (L.N_L1_OBJECTS, 4):
            raise DataError(f"{path}: key {L.PARTICLES_KEY!r} has shape {data.shape}, expected [N, 19, 4]")
        if L.PARTICLES_NAMES_KEY in f:
            names = _decode(path, f, L.PARTICLES_NAMES_KEY)
            if tuple(n.lower() for n in names) != tuple(n.lower() for n in L.L1_FEATURE_NAMES):
                raise DataError(f"{path}: key {L.PARTICLES_NAMES_KEY!r} is {names}, expected {L.L1_FEATURE_NAMES}")
        particles = np.asarray(h5read.values(path, data, L.PARTICLES_KEY, ()), dtype=np.float32)
        validate.finite(path, L.PARTICLES_KEY, particles)
        types = particles[:, :, 3]
        if not np.all(np.isin(types, (0, 1, 2, 3, 4))):
            raise DataError(f"{path}: key {L.PARTICLES_KEY!r} column Class must be 0 (padding) or 1..4")
        subprocess, subprocess_names = None, ()
        weights = None
        if L.WEIGHTS_KEY in f:
            weights = validate.weights(path, L.WEIGHTS_KEY, _array(path, f, L.WEIGHTS_KEY), len(particles))
        if L.PROCESS_KEY in f:
            codes, process_names = _codes(path, f, L.PROCESS_KEY, L.PROCESS_NAMES_KEY, len(particles))
            if process is not None:
                raise DataError(f"{path}: has per-event processes; do not pass process={process!r}")
            if L.SUBPROCESS_KEY in f:
                subprocess, subprocess_names = _codes(path, f, L.SUBPROCESS_KEY, L.SUBPROCESS_NAMES_KEY, len(particles))
        else:
            name = process or _process_from_filename(path)
            process_names = (*L.L1_PROCESSES, name) if name not in L.L1_PROCESSES else L.L1_PROCESSES
            codes = np.full(len(particles), process_names.index(name), dtype=np.int64)
    return L1Sample(
        particles=particles,
        process=codes,
        process_names=tuple(process_names),
        subprocess=subprocess,
        subprocess_names=tuple(subprocess_names),
        source=str(path),
        weights=weights,
    )


def _array(path: Path, f: Any, key: str) -> np.ndarray:
    """The numbers of dataset ``key`` (h5read.values: text refused, an undecodable filter named)."""
    return np.asarray(h5read.values(path, _dataset(path, f, key), key, ()))


def _codes(path: Path, f: Any, key: str, names_key: str, n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per-event codes and their names (:func:`validate.codes`)."""
    names = _decode(path, f, names_key)
    return validate.codes(path, key, _array(path, f, key), names_key, names, n), names


def read_attrs(path: str | Path) -> dict[str, Any]:
    """The metadata attributes of a file, JSON values decoded."""
    path, f = _open(path)
    with f:
        out: dict[str, Any] = {}
        for key, value in f.attrs.items():
            if isinstance(value, bytes):
                value = value.decode()
            if isinstance(value, str) and value[:1] in "{[":
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    pass
            out[key] = value.item() if isinstance(value, np.generic) else value
        return out


def file_keys(path: str | Path) -> dict[str, tuple[tuple[int, ...], str]]:
    """Top-level datasets of a file: shape and dtype of each."""
    path, f = _open(path)
    with f:
        members = {k: h5read.member(path, f, k) for k in f.keys()}
        return {k: (tuple(m.shape), str(m.dtype)) for k, m in members.items() if hasattr(m, "shape")}


def layout_miss(path: str | Path, wanted: tuple[str, ...]) -> str:
    """What a file that has none of the datasets ``wanted`` holds instead, for the error that refuses it: a wanted
    name that is a group, not a dataset, and the file's datasets by path (``jets/x`` for one under a group)."""
    path, f = _open(path)
    with f:
        groups = [k for k in wanted if k in f and not hasattr(h5read.member(path, f, k), "shape")]
        listing = h5read.listing(f)
    said = "".join(f"'{k}' is a group, not a dataset; " for k in groups)
    return f"{said}its datasets: {listing}"
