"""Reuse the events of an existing L1 file as finished chunks of a new generation (e.g. to add QCD events).

A file written by :func:`codesign.data.production.produce_l1` is its chunks concatenated in plan order, then
permuted by the fixed shuffle of (number of events, seed). Inverting that permutation gives the chunks back:
each label's chunks are consecutive runs of ``chunk_size`` events (the last one shorter), in chunk order.
Every chunk that the new plan also has (same sub-process, chunk index and size, hence the same Pythia seed)
is saved in the new parts folder, where ``run_chunks`` skips it; the output is then the same as a full
regeneration with the same arguments. A sub-process whose count grows keeps its old chunks when they are all
full (its count a multiple of the chunk size): they are the new plan's first chunks (a chunk's seed depends on
its index, not on the count), and only the chunks after them are generated (e.g. to add signal events). A chunk's events do not depend on ``include_qcd`` or
``qcd_rehadronize``, only on the detector model, collision energy and pileup (mean, pool and mitigation), which
must match.

QCD chunks are reused only when the QCD count is unchanged: the file keeps their mixture-normalised weights,
not the generation weights, and the mixture scales each component by its own sum, so already normalised weights
give the same weights again (up to rounding, which ``produce_l1`` undoes by keeping the file's values) only when
every QCD event is reused; new QCD chunks cannot be mixed with them, so a changed QCD count regenerates them all
(the same seeds give the same events).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from codesign.data import layouts as L
from codesign.data.generate import ChunkTask, _chunk_is_complete
from codesign.data.hdf5io import file_keys, read_attrs, read_l1
from codesign.errors import DataError


def file_chunks(path: Path, seed: int, chunk_size: int) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """Particles and weights of each (sub-process, chunk index) of a produce_l1 file, found by inverting its shuffle."""
    from codesign.data.l1 import SUBPROCESS_NAMES
    from codesign.data.production import shuffle_order

    sample = read_l1(path)
    if sample.subprocess is None or tuple(sample.subprocess_names) != SUBPROCESS_NAMES:
        raise DataError(f"{path}: --reuse needs a file written by `codesign data l1` (keys Subprocess, Subprocess_Names)")
    n = len(sample)
    order = shuffle_order(n, seed)
    particles = np.empty_like(sample.particles)
    sub = np.empty_like(sample.subprocess)
    weights = np.ones(n, dtype=np.float64)
    particles[order] = sample.particles
    sub[order] = sample.subprocess
    weights[order] = sample.event_weights
    counts = {SUBPROCESS_NAMES[c]: int(k) for c, k in zip(*np.unique(sub, return_counts=True), strict=True)}
    remaining, next_index = dict(counts), dict.fromkeys(counts, 0)
    chunks: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    pos = 0
    while pos < n:
        label = SUBPROCESS_NAMES[sub[pos]]
        size = min(chunk_size, remaining[label])
        if not np.all(sub[pos : pos + size] == sub[pos]):
            raise DataError(
                f"{path}: its events are not the chunks of a `codesign data l1` run with seed {seed} and chunk size "
                f"{chunk_size} (inverting the shuffle does not give runs of one sub-process); it cannot be reused"
            )
        chunks[(label, next_index[label])] = (particles[pos : pos + size], weights[pos : pos + size])
        next_index[label] += 1
        remaining[label] -= size
        pos += size
    return chunks


def seed_parts_from_file(source: str | Path, tasks: list[ChunkTask], parts: Path, seed: int, chunk_size: int,
                         config: Any) -> dict[str, Any]:  # fmt: skip
    """Save in ``parts`` every non-QCD chunk of ``tasks`` that the file ``source`` already holds; return provenance.

    A label is reused only when every chunk of it in the file is a chunk of the new plan (so that the file's
    ``events_tried`` for it stays exact; it is stored with the label's first chunk): the same count, or, except
    for QCD, a larger one when the file's count is a multiple of the chunk size. Reused QCD chunks carry the
    file's weights (``weights``, and ``file_weights`` that ``produce_l1`` keeps when the mixture gives them back).
    """
    from codesign.data.generate import config_dict
    from codesign.data.l1 import QCD, SUBPROCESS_NAMES

    source = Path(source)
    attrs = read_attrs(source)
    gen = attrs.get(L.ATTR_CONFIG)
    if not isinstance(gen, dict) or "seed" not in gen or not isinstance(attrs.get("counts"), dict):
        raise DataError(f"{source}: has no generation settings ({L.ATTR_CONFIG}, counts); --reuse needs a file "
                        f"written by `codesign data l1`")
    if int(gen["seed"]) != seed:
        raise DataError(f"{source}: was generated with --seed {gen['seed']}; --reuse needs the same seed (got {seed})")
    new = config_dict(config)
    # files from before pileup (or its mitigation) existed had none
    defaults = {"pileup": 0.0, "pileup_pool": 1000, "pileup_mitigation": "none"}
    for key in ("detector", "e_cm", "pileup", "pileup_pool", "pileup_mitigation"):
        if key == "pileup_pool" and not new["pileup"]:
            continue  # without pileup the pool is never made
        if gen.get(key, defaults.get(key)) != new[key]:
            raise DataError(f"{source}: its generation setting {key!r} is {gen.get(key)!r}, this run's is {new[key]!r}; "
                            f"events cannot be reused across different settings")
    dtype = file_keys(source)[L.PARTICLES_KEY][1]
    if dtype != "float32":
        raise DataError(f"{source}: stores {L.PARTICLES_KEY} as {dtype}; only float32 files can be reused exactly")
    old_counts, old_tried = attrs["counts"], attrs.get("events_tried", {})
    new_counts: dict[str, int] = {}
    for task in tasks:
        new_counts[task.label] = new_counts.get(task.label, 0) + task.n
    chunks = file_chunks(source, seed, chunk_size)
    reused: dict[str, int] = {}
    for task in tasks:
        label = task.label
        if not _reusable(old_counts.get(label), new_counts[label], label == QCD, chunk_size) or label not in old_tried:
            continue
        found = chunks.get((label, task.index))
        if found is None or len(found[0]) != task.n:
            continue
        events, weights = found
        target = parts / task.filename
        if not _chunk_is_complete(target, task.n):
            code = np.full(task.n, SUBPROCESS_NAMES.index(label), dtype=np.int64)
            tried = int(old_tried[label]) if task.index == 0 else 0
            extra = {"weights": weights, "file_weights": weights} if label == QCD else {}
            np.savez(target, particles=events, subprocess=code, tried=np.array(tried), **extra)
        reused[label] = reused.get(label, 0) + task.n
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    return {"file": source.name, "sha256": digest, "events": reused}


def _reusable(old: int | None, new: int, weighted: bool, chunk_size: int) -> bool:
    """Whether every chunk of a label with ``old`` events in the file is a chunk of a plan with ``new`` of them."""
    if old is None or old > new:
        return False
    return old == new or (not weighted and old % chunk_size == 0)
