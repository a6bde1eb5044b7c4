"""Data a user brings in the public layouts (README "The spec", `data.path`): a jets file (jets, jetFeatureNames,
jetConstituentList) or an L1 file (Particles, Weights) whose arrays are text, hold NaN, lack or repeat a column, are
compressed with a filter h5py cannot decode, or weigh events negative, NaN or all 0. Rows in the format of
``bad_input_cases.py``, run by ``test_bad_inputs.py``; every row fails before any training."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from bad_input_cases import _DROP, ACC, Case, build, spec
from command_cases import before_training

JETS_SPEC = {"data": {"source": _DROP, "path": "data.h5"}}
L1_SPEC = {**JETS_SPEC, "model": {"family": "ae", "hidden": _DROP}}
N = 400


def _table(n: int = N) -> tuple[np.ndarray, tuple[str, ...]]:
    """A jets table in the public column order, each class on every fifth jet."""
    from codesign.data import layouts as L

    table = np.random.default_rng(0).normal(size=(n, len(L.JET_COLUMNS))).astype(np.float32)
    for k, column in enumerate(L.LABEL_COLUMNS):
        table[:, L.JET_COLUMNS.index(column)] = np.arange(n) % 5 == k
    table[:, L.JET_COLUMNS.index(L.UNDEF_COLUMN)] = 0
    return table, L.JET_COLUMNS


def public_jets(edit=lambda table, names: (table, names), compression: str | None = None):
    """A writer of a jets file in the public layout (written with h5py, as a user's own tool would), the table and
    its column names passed through ``edit`` first."""

    def write(path: Path) -> None:
        import h5py

        table, names = edit(*_table())
        with h5py.File(path, "w") as fh:
            chunks = (100, table.shape[1]) if compression else None
            fh.create_dataset("jets", data=table, compression=compression, chunks=chunks)
            fh["jetFeatureNames"] = np.array([n.encode() for n in names])

    return write


def _set(name: str, row: int, value: float):
    def edit(table, names):
        table = table.copy()
        table[row, names.index(name)] = value
        return table, names

    return edit


def _drop(name: str):
    def edit(table, names):
        keep = [i for i, n in enumerate(names) if n != name]
        return table[:, keep], tuple(names[i] for i in keep)

    return edit


def _undecodable(path: Path) -> None:
    """A gzip-compressed jets table whose filter pipeline names filter id 32767, which no h5py decodes."""
    public_jets(compression="gzip")(path)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"deflate\x00")  # pipeline message v1: id, name length, flags, number of values (2 bytes each)
    assert at > 8 and raw[at - 8 : at - 6] == b"\x01\x00", "the gzip filter message is not where HDF5 1.x writes it"
    raw[at - 8 : at - 6] = (32767).to_bytes(2, "little")
    path.write_bytes(bytes(raw))


def l1_events(weights=None, particles_dtype: str = "float32"):
    """A writer of an L1 file of background events only (codesign's layout), with the given Weights."""

    def write(path: Path) -> None:
        import h5py

        from codesign.data import layouts as L
        from codesign.data.hdf5io import write_l1

        particles = np.zeros((N, L.N_L1_OBJECTS, 4), np.float32)
        particles[:, 0] = [50.0, 0.0, 1.0, 1.0]  # MET
        particles[:, 1, 0] = np.linspace(10, 60, N)  # an electron of varying pT
        particles[:, 1, 1:] = [0.5, 0.2, 2.0]
        write_l1(path, particles, np.zeros(N, int), L.L1_PROCESSES)
        with h5py.File(path, "r+") as fh:
            if particles_dtype != "float32":
                del fh["Particles"]
                fh["Particles"] = particles.astype(particles_dtype)
            if weights is not None:
                fh["Weights"] = weights

    return write


def l1_with(**arrays):
    """A writer of the L1 file of :func:`l1_events` with the given datasets put in place of its own (or added)."""

    def write(path: Path) -> None:
        import h5py

        l1_events()(path)
        with h5py.File(path, "r+") as fh:
            for key, value in arrays.items():
                if key in fh:
                    del fh[key]
                fh[key] = value

    return write


def _with(value, at: int = 10) -> np.ndarray:
    w = np.ones(N)
    w[at] = value
    return w


def _zero_on_training_rows() -> np.ndarray:
    """1 on every event but the 200 training rows of data.seed 0 (the split's own permutation)."""
    w = np.ones(N)
    w[np.random.default_rng(0).permutation(N)[:200]] = 0
    return w


def _both_layouts(path: Path) -> None:
    """A jets table and L1 events in one file."""
    import h5py

    public_jets()(path)
    with h5py.File(path, "r+") as fh:
        fh["Particles"] = np.zeros((N, 19, 4), np.float32)


def _jets(id_: str, writer, fragments: tuple[str, ...]) -> Case:
    return before_training(Case(id_, {"spec.yaml": spec(**JETS_SPEC), "data.h5": writer}, build(), fragments))


def _l1(id_: str, writer, fragments: tuple[str, ...]) -> Case:
    return before_training(Case(id_, {"spec.yaml": spec(**L1_SPEC), "data.h5": writer}, build(), fragments))


INFO = ("data", "info", "{tmp}/data.h5")
USER_DATA_CASES: list[Case] = [
    # were an internal error (exit 7): ValueError of numpy parsing the text, OSError of HDF5's plugin search
    _jets("user-jets-table-of-text", public_jets(lambda t, n: (t.astype("S12"), n)),
          ("data.h5", "key 'jets' holds |S12 values, not numbers", ACC)),
    _jets("user-jets-undecodable-filter", _undecodable,
          ("data.h5", "key 'jets' is compressed with HDF5 filter 32767", "cannot decode", ACC)),
    Case("user-jets-undecodable-filter-info", {"data.h5": _undecodable}, INFO,
         ("data.h5", "key 'jets' is compressed with HDF5 filter 32767", ACC)),
    Case("user-jets-text-info", {"data.h5": public_jets(lambda t, n: (t.astype("S12"), n))}, INFO,
         ("data.h5", "key 'jets' holds |S12 values", ACC)),
    # the NaN's position was its index among the 16 features read, not the file's column
    _jets("user-jets-nan-names-the-column", public_jets(_set("j_mass_mmdt", 7, np.nan)),
          ("data.h5", "key 'jets' holds 1 NaN/Inf values", "row 7, 'j_mass_mmdt'", ACC)),
    _jets("user-jets-label-column-missing", public_jets(_drop("j_t")),
          ("data.h5", "lacks the columns ['j_t']", "label columns", ACC)),
    _jets("user-jets-labels-all-zero", public_jets(lambda t, n: (np.where(np.isin(np.arange(t.shape[1]),
          [n.index(c) for c in ("j_g", "j_q", "j_w", "j_z", "j_t")]), 0, t).astype(np.float32), n)),
          ("data.h5", "must be one-hot over the 5 classes with j_undef 0; 400 rows are not (first: row 0)", ACC)),
    # a jet marked j_undef and of a class at once was read as that class
    _jets("user-jets-undef-and-a-class", public_jets(_set("j_undef", 3, 1.0)),
          ("data.h5", "with j_undef 0; 1 rows are not (first: row 3)", ACC)),
    _jets("user-jets-column-named-twice", public_jets(lambda t, n: (t, tuple("j_t" if c == "j_undef" else c for c in n))),
          ("data.h5", "names ['j_t'] more than once", ACC)),
    # the weights' refusal said only "got shape (400,)", the shape it asked for; all 0 or text were accepted
    _l1("user-l1-weight-negative", l1_events(_with(-1.0)), ("data.h5", "key 'Weights'", "event 10, -1", ACC)),
    _l1("user-l1-weight-nan", l1_events(_with(np.nan)), ("data.h5", "key 'Weights'", "event 10, nan", ACC)),
    _l1("user-l1-weights-all-zero", l1_events(np.zeros(N)), ("data.h5", "every weight is 0", ACC)),
    _l1("user-l1-weights-zero-on-the-training-rows", l1_events(_zero_on_training_rows()),
        ("data.h5", "key 'Weights'", "the 200 rows of data.n_train weighs 0", ACC)),
    _l1("user-l1-weights-text", l1_events(np.array([b"1"] * N)), ("data.h5", "key 'Weights' holds |S1 values", ACC)),
    _l1("user-l1-particles-text", l1_events(particles_dtype="S8"), ("data.h5", "key 'Particles' holds |S8 values", ACC)),
    # per-event codes: a Subprocess code beyond its names or of another length was exit 7 (IndexError), a name twice
    # put two processes' events under one name, fractional codes were cut to whole ones
    Case("user-l1-subprocess-code-beyond-its-names-info",
         {"data.h5": l1_with(Subprocess=np.where(np.arange(N) == 5, 99, 0).astype(np.int8),
                             Subprocess_Names=np.array([b"qcd", b"ttbar"]))}, INFO,
         ("data.h5", "key 'Subprocess' holds 1 codes that are not a name's index (first: event 5, 99)", ACC)),
    _l1("user-l1-subprocess-of-another-length",
        l1_with(Subprocess=np.zeros(10, np.int8), Subprocess_Names=np.array([b"qcd"])),
        ("data.h5", "key 'Subprocess' has shape (10,)", ACC)),
    _l1("user-l1-process-name-twice",
        l1_with(Process_Names=np.array([b"background", b"background", b"lq_btau", b"h_tautau", b"hpm_taunu"])),
        ("data.h5", "key 'Process_Names' names ['background'] more than once", ACC)),
    _l1("user-l1-process-codes-fractional", l1_with(Process=np.full(N, 0.5, np.float32)),
        ("data.h5", "key 'Process' holds 400 codes that are not a name's index (first: event 0, 0.5)", ACC)),
    # a build read such a file as L1 data, `data info` as jets
    _jets("user-file-of-both-layouts", _both_layouts, ("data.h5", "holds both a jets table", "Particles", ACC)),
    Case("user-file-of-both-layouts-info", {"data.h5": _both_layouts}, INFO, ("data.h5", "holds both", ACC)),
    # were "no such file"
    Case("user-info-on-a-fifo", {"data.h5": lambda p: os.mkfifo(p)}, INFO, ("data.h5", "not a regular file", ACC)),
    Case("user-info-on-a-symlink-loop", {"data.h5": lambda p: os.symlink(p.name, p)}, INFO,
         ("data.h5", "a symbolic link to data.h5, which does not exist or loops", ACC)),
]  # fmt: skip
