"""Produce complete jets and L1 files: plan the chunks, run them, merge, shuffle, write with metadata."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import codesign
from codesign.data import layouts as L
from codesign.data.generate import (
    DEFAULT_CHUNK_SIZE,
    config_dict,
    parts_dir,
    plan_chunks,
    prepare_parts,
    run_chunks,
    split_counts,
)
from codesign.data.hdf5io import write_jets, write_l1
from codesign.data.jets import JetConfig
from codesign.errors import DataError, ToolError

CONSTITUENT_DTYPES = ("float16", "float32")


def shuffle_order(n: int, seed: int) -> np.ndarray:
    """The fixed permutation applied to a merged file (classes interleaved, any prefix balanced on average)."""
    return np.random.default_rng([seed, 0x5EED]).permutation(n)


def _validate_common(n: int, seed: int, workers: int) -> None:
    """Reject counts, seeds and worker numbers that cannot work."""
    if n < 1:
        raise DataError(f"--n must be at least 1 (got {n})")
    if not 0 <= seed < 2**31:
        raise DataError(f"--seed must be in 0..{2**31 - 1} (got {seed})")
    if workers < 1:
        raise DataError(f"--workers must be at least 1 (got {workers})")


GENERATOR_PACKAGES = (("pythia8mc", "pythia8mc==8.317.2"), ("fastjet", "fastjet==3.5.2.0"))  # pyproject.toml's pins


def require_generators() -> None:
    """Pythia8 and FastJet must import before any chunk is planned or any parts folder made (ToolError, exit 5)."""
    import importlib

    missing, why = [], []
    for module, pin in GENERATOR_PACKAGES:
        try:  # an import, not a look-up: a package whose compiled library does not load is as missing
            importlib.import_module(module)
        except ImportError as exc:
            missing.append(pin)
            why.append(f"{module}: {exc}")
    if missing:
        raise ToolError(f"event generation needs {' and '.join(missing)}, which this Python ({sys.executable}) cannot "
                        f"import ({'; '.join(why)}): pip install {' '.join(missing)} (or pip install -e . in the "
                        "checkout); nothing was generated")  # fmt: skip


# The merge holds every chunk's arrays, their concatenation, the shuffled copy and the selected columns at once
MERGE_COPIES = 4


def check_memory(n_items: int, bytes_per_item: int, unit: str, smaller: str) -> None:
    """Refuse a file whose merge cannot fit in this machine's memory, before any chunk is planned."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    need = MERGE_COPIES * n_items * bytes_per_item
    if need > total:
        most = total // (MERGE_COPIES * bytes_per_item)
        raise DataError(
            f"--n: {n_items:,} {unit}s take {n_items * bytes_per_item / 1e9:,.1f} GB, and writing them as one file "
            f"holds about {MERGE_COPIES} copies ({need / 1e9:,.1f} GB) in memory, more than this machine's "
            f"{total / 1e9:,.1f} GB; accepted: at most {most:,} {unit}s per file here ({smaller}, or several files "
            "with different --seed)"
        )


def produce_jets(
    out: str | Path,
    n: int,
    seed: int,
    config: JetConfig,
    workers: int = 1,
    features: Sequence[str] = L.PARTICLE_FEATURE_NAMES,
    constituent_dtype: str = "float32",
    classes: Sequence[str] = L.CLASS_NAMES,
    resume: bool = False,
    force: bool = False,
    command: str = "",
    progress: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    jet_columns: Sequence[str] = L.JET_COLUMNS,
) -> Path:
    """Generate n jets split evenly over the classes and write them in the public layout.

    ``jet_columns`` picks the columns of the ``jets`` table (all of :data:`JET_COLUMNS` by default; the
    16 HLF and the labels are always required).
    """
    out = Path(out)
    _validate_common(n, seed, workers)
    unknown = [f for f in features if f not in L.PARTICLE_FEATURE_NAMES]
    if unknown:
        raise DataError(f"unknown constituent features {unknown}; accepted: {', '.join(L.PARTICLE_FEATURE_NAMES)}")
    bad_classes = [c for c in classes if c not in L.CLASS_NAMES]
    if bad_classes or not classes:
        raise DataError(f"unknown jet classes {bad_classes}; accepted: {', '.join(L.CLASS_NAMES)}")
    twice = sorted({c for c in classes if list(classes).count(c) > 1})
    if twice:
        raise DataError(f"--classes names {', '.join(twice)} more than once; accepted: each of "
                        f"{', '.join(L.CLASS_NAMES)} at most once")  # fmt: skip
    twice = sorted({f for f in features if list(features).count(f) > 1})
    if twice:  # the constituent list stored the column twice under one name
        raise DataError(f"--features names {', '.join(twice)} more than once; accepted: each constituent feature at "
                        "most once")  # fmt: skip
    if constituent_dtype not in CONSTITUENT_DTYPES:
        raise DataError(f"constituent dtype {constituent_dtype!r}; accepted: {', '.join(CONSTITUENT_DTYPES)}")
    required = [c for c in (*L.HLF_NAMES, *L.LABEL_COLUMNS, L.UNDEF_COLUMN) if c not in jet_columns]
    unknown_cols = [c for c in jet_columns if c not in L.JET_COLUMNS]
    if required or unknown_cols:
        raise DataError(f"jet columns: missing required {required}, unknown {unknown_cols}; accepted: {', '.join(L.JET_COLUMNS)}")
    if not 0 < config.pt_min < config.pt_max:
        raise DataError(f"jet pT window [{config.pt_min}, {config.pt_max}] GeV must have 0 < pt-min < pt-max")
    check_memory(n, 4 * (len(L.JET_COLUMNS) + config.n_constituents * len(L.PARTICLE_FEATURE_NAMES)), "jet",
                 "or fewer --constituents")  # fmt: skip
    counts = split_counts(n, list(classes), [1.0] * len(classes))
    empty = [c for c, k in counts.items() if k == 0]
    if empty:  # a class asked for and left without jets: the file would lack it
        raise DataError(f"--n {n} split over the {len(classes)} classes leaves {', '.join(empty)} without jets; "
                        f"accepted: --n >= {len(classes)}, or fewer --classes")  # fmt: skip
    require_generators()
    codes = {c: L.CLASS_NAMES.index(c) for c in classes}
    tasks = plan_chunks("jets", counts, seed, config, chunk_size, codes)
    manifest = {"kind": "jets", "seed": seed, "chunk_size": chunk_size, "config": config_dict(config)}
    parts = prepare_parts(out, manifest, resume, force)
    files = run_chunks(tasks, parts, workers, unit="jet", progress=progress)
    columns, constituents, tried = [], [], {c: 0 for c in classes}
    for task, path in zip(tasks, files, strict=True):
        with np.load(path) as data:
            columns.append(data["columns"])
            constituents.append(data["constituents"])
            tried[task.label] += int(data["tried"])
    order = shuffle_order(n, seed)
    table = np.concatenate(columns)[order][:, [L.JET_COLUMNS.index(c) for c in jet_columns]]
    feat_index = [L.PARTICLE_FEATURE_NAMES.index(f) for f in features]
    consts = np.concatenate(constituents)[order][:, :, feat_index] if feat_index else None
    attrs: dict[str, Any] = {
        L.ATTR_COMMAND: command,
        L.ATTR_VERSION: codesign.__version__,
        L.ATTR_GENERATOR: _generator_versions(),
        L.ATTR_CONFIG: {**config_dict(config), "seed": seed, "n": n, "classes": list(classes)},
        "events_tried": tried,
        "counts": counts,
    }
    write_jets(out, table, tuple(jet_columns), consts, tuple(features), attrs, constituent_dtype, overwrite=force)
    shutil.rmtree(parts)
    return out


def _generator_versions() -> str:
    """Versions of the generator packages, recorded in every file."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("pythia8mc", "fastjet", "numpy"):
        try:
            out.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            out.append(f"{pkg} (not installed)")
    return " ".join(out)


def produce_l1(
    out: str | Path,
    n: int,
    processes: Sequence[str],
    seed: int,
    config: Any,
    workers: int = 1,
    n_per_process: dict[str, int] | None = None,
    dtype: str = "float32",
    resume: bool = False,
    force: bool = False,
    command: str = "",
    progress: bool = True,
    chunk_size: int = 100,
    n_qcd: int | None = None,
    reuse: str | Path | None = None,
) -> Path:
    """Generate L1 events of one or several processes (the background as its documented mixture) and write them.

    With QCD in the mixture, ``n_qcd`` of the background events are QCD (default: its fraction of them) and
    the rest are split over the other components by their fractions; the mixture's fractions are then
    imposed on the summed weights (``Weights``: mean 1 over the background, 1 for every signal event).
    ``reuse`` names an earlier file of the same seed and settings whose non-QCD chunks are taken instead of
    generated (:mod:`codesign.data.l1_reuse`); the output is the same as without it.
    """
    from codesign.data.l1 import QCD, SUBPROCESS_NAMES

    out = Path(out)
    _validate_common(n, seed, workers)
    bad = [p for p in processes if p not in L.L1_PROCESSES]
    if bad or not processes:
        raise DataError(f"unknown L1 processes {bad}; accepted: {', '.join(L.L1_PROCESSES)}")
    twice = sorted({p for p in processes if list(processes).count(p) > 1})
    if twice:
        raise DataError(f"--process names {', '.join(twice)} more than once; accepted: each of "
                        f"{', '.join(L.L1_PROCESSES)} at most once")  # fmt: skip
    per_process = n_per_process or {p: n for p in processes}
    # Chunks are per sub-process: the background splits into its mixture, a signal is its own label.
    counts: dict[str, int] = {}
    for p in processes:
        if p == L.BACKGROUND:
            mixture = config.background_mixture
            total = per_process[p]
            if QCD in mixture:
                qcd = round(total * mixture[QCD]) if n_qcd is None else n_qcd
                if not 1 <= qcd < total:
                    raise DataError(f"--n-qcd must be in 1..{total - 1} (the background has {total} events; got {qcd})")
                rest = {k: v for k, v in mixture.items() if k != QCD}
                mix = {**split_counts(total - qcd, list(rest), list(rest.values())), QCD: qcd}
            else:
                mix = split_counts(total, list(mixture), list(mixture.values()))
            counts.update({k: v for k, v in mix.items() if v > 0})
        else:
            counts[p] = per_process[p]
    # particles (float32) and, per event, its sub-process code, weight and reused-file weight (int64, float64 x 2)
    check_memory(sum(counts.values()), L.N_L1_OBJECTS * 4 * 4 + 3 * 8, "event", "fewer --n / --n-signal")
    require_generators()
    codes = {label: SUBPROCESS_NAMES.index(label) for label in counts}
    tasks = plan_chunks("l1", counts, seed, config, chunk_size, codes)
    manifest = {"kind": "l1", "seed": seed, "chunk_size": chunk_size, "config": config_dict(config)}
    had_parts = parts_dir(out).exists()
    parts = prepare_parts(out, manifest, resume, force)
    reused = None
    if reuse is not None:
        from codesign.data.l1_reuse import seed_parts_from_file

        try:
            reused = seed_parts_from_file(reuse, tasks, parts, seed, chunk_size, config)
        except DataError:
            if not had_parts:  # a refused --reuse leaves nothing behind (the same command can run again)
                shutil.rmtree(parts, ignore_errors=True)
            raise
    files = run_chunks(tasks, parts, workers, unit="event", progress=progress)
    particles, sub, raw_weights, tried = [], [], [], {label: 0 for label in counts}
    file_weights: list[np.ndarray] = []
    cpu: dict[str, float] = {}
    for task, path in zip(tasks, files, strict=True):
        with np.load(path) as data:
            particles.append(data["particles"])
            sub.append(np.full(task.n, SUBPROCESS_NAMES.index(task.label), dtype=np.int64))
            raw_weights.append(data["weights"] if "weights" in data.files else np.ones(task.n))
            file_weights.append(data["file_weights"] if "file_weights" in data.files else np.full(task.n, np.nan))
            tried[task.label] += int(data["tried"])
            if "cpu_s" in data.files:
                cpu[task.label] = cpu.get(task.label, 0.0) + float(data["cpu_s"])
    sub_codes = np.concatenate(sub)
    weights = np.concatenate(raw_weights).astype(np.float64)
    if QCD in config.background_mixture:  # the mixture is imposed on the weights (else every weight is 1)
        weights = mixture_weights(weights, sub_codes, SUBPROCESS_NAMES, config.background_mixture)
        weights = _keep_file_weights(weights, np.concatenate(file_weights))
    process_of_sub = np.array([L.L1_PROCESSES.index(_process_of(s)) for s in SUBPROCESS_NAMES])
    order = shuffle_order(len(sub_codes), seed)
    attrs: dict[str, Any] = {
        L.ATTR_COMMAND: command,
        L.ATTR_VERSION: codesign.__version__,
        L.ATTR_GENERATOR: _generator_versions(),
        L.ATTR_CONFIG: {**config_dict(config), "seed": seed, "n": per_process},
        "events_tried": tried,
        "counts": counts,
        "background_mixture": config.background_mixture,
        "weights": "Weights: per-event float64; background components sum to their mixture fraction x the "
        "number of background events; signal events 1",
        # CPU seconds of the chunks generated for this file, per sub-process (reused chunks are not counted)
        "cpu_seconds": {label: round(seconds, 1) for label, seconds in cpu.items()},
    }
    if reused is not None:
        attrs["reused_from"] = reused
    write_l1(
        out,
        np.concatenate(particles)[order],
        process_of_sub[sub_codes][order],
        L.L1_PROCESSES,
        sub_codes[order],
        SUBPROCESS_NAMES,
        attrs,
        dtype,
        overwrite=force,
        weights=weights[order],
    )
    shutil.rmtree(parts)
    return out


def mixture_weights(
    raw: np.ndarray, sub_codes: np.ndarray, sub_names: Sequence[str], mixture: dict[str, float]
) -> np.ndarray:
    """Per-event weights: each background component's generation weights scaled so that they sum to its
    mixture fraction x the number of background events (mean 1 over the background); other events keep 1."""
    weights = np.ones(len(raw), dtype=np.float64)
    present = {name: sub_codes == sub_names.index(name) for name in mixture if np.any(sub_codes == sub_names.index(name))}
    n_background = int(sum(mask.sum() for mask in present.values()))
    total_fraction = sum(mixture[name] for name in present)
    for name, mask in present.items():
        w = np.asarray(raw[mask], dtype=np.float64)
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise DataError(f"{name}: generation weights must be finite, >= 0 and not all 0")
        weights[mask] = w * (mixture[name] / total_fraction * n_background / w.sum())
    return weights


def _keep_file_weights(weights: np.ndarray, file_weights: np.ndarray) -> np.ndarray:
    """The reused file's weights where the mixture gave them back up to rounding (NaN: not reused).

    Renormalising already normalised weights is the identity up to the last bit; keeping the file's values makes
    a reused event's row byte for byte the file's. A larger difference (another mixture) keeps the new weights.
    """
    kept = ~np.isnan(file_weights)
    if kept.any() and np.allclose(weights[kept], file_weights[kept], rtol=1e-12, atol=0):
        weights = weights.copy()
        weights[kept] = file_weights[kept]
    return weights


def _process_of(subprocess: str) -> str:
    """The L1 process a sub-process belongs to (background mixture components map to background)."""
    from codesign.data.l1 import ADC2021_MIXTURE

    return L.BACKGROUND if subprocess in ADC2021_MIXTURE else subprocess


def jet_config_from_options(
    pt_min: float, pt_max: float, n_constituents: int, boson_process: str = "scalar", parton_pt: float | None = None,
    boson_decays: str = "udscb", boson_width: str = "natural", constituents_from: str = "particles",
) -> JetConfig:
    """A JetConfig from the command-line options (the other settings keep their defaults)."""
    from codesign.data.jets import BOSON_DECAYS, BOSON_PROCESSES, BOSON_WIDTHS
    from codesign.data.towers import CONSTITUENT_SOURCES

    if not 1 <= n_constituents <= 150:
        raise DataError(f"--constituents must be in 1..150 (got {n_constituents})")
    if boson_process not in BOSON_PROCESSES:
        raise DataError(f"--boson-process {boson_process!r}; accepted: {', '.join(BOSON_PROCESSES)}")
    if boson_decays not in BOSON_DECAYS:
        raise DataError(f"--boson-decays {boson_decays!r}; accepted: {', '.join(BOSON_DECAYS)}")
    if boson_width not in BOSON_WIDTHS:
        raise DataError(f"--boson-width {boson_width!r}; accepted: {', '.join(BOSON_WIDTHS)}")
    if constituents_from not in CONSTITUENT_SOURCES:
        raise DataError(f"--constituents-from {constituents_from!r}; accepted: {', '.join(CONSTITUENT_SOURCES)}")
    if not (np.isfinite(pt_min) and np.isfinite(pt_max) and 0 < pt_min < pt_max):  # inf reached Pythia, mid-run
        raise DataError(f"--pt-min {pt_min:g} --pt-max {pt_max:g}: the jet pT window [GeV]; accepted: finite numbers "
                        "with 0 < pt-min < pt-max")  # fmt: skip
    if parton_pt is not None and not pt_min < parton_pt < pt_max:
        raise DataError(f"--parton-pt {parton_pt:g} must lie inside the jet window ({pt_min:g}, {pt_max:g}) GeV")
    return replace(JetConfig(), pt_min=pt_min, pt_max=pt_max, n_constituents=n_constituents,
                   boson_process=boson_process, parton_pt=parton_pt, boson_decays=boson_decays,
                   boson_width=boson_width, constituents_from=constituents_from)
