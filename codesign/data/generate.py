"""Parallel, resumable, reproducible generation: the work is cut into seeded chunks run by worker processes.

Reproducibility: every chunk has a fixed size and its own Pythia seed derived from (user seed, label,
chunk index), so the arrays depend on the seed and arguments only, never on ``--workers`` or on
interruptions. Each finished chunk is saved under ``<out>.parts/`` next to a manifest of the arguments;
``resume=True`` keeps the chunks already there (the manifest of the generation settings must match;
``--n`` may differ, since a chunk's content does not depend on it), and the final file is written from
all chunks in plan order, then the parts folder is removed.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesign.errors import DataError, Interrupted
from codesign.tools import cpu_count

DEFAULT_CHUNK_SIZE = 250
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ChunkTask:
    """One seeded unit of work: n items of one label (jet class or L1 process)."""

    kind: str  # "jets" or "l1"
    label: str
    index: int  # chunk number within the label
    n: int
    seed: int  # Pythia seed
    config: Any  # JetConfig or L1Config (frozen dataclasses)

    @property
    def filename(self) -> str:
        """Name of the chunk's file in the parts folder."""
        return f"{self.kind}_{self.label}_{self.index:05d}.npz"


def split_counts(n: int, labels: Sequence[str], fractions: Sequence[float]) -> dict[str, int]:
    """Split n items over labels by fractions, largest remainders first, summing exactly to n."""
    raw = np.asarray(fractions, dtype=np.float64) / float(np.sum(fractions)) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - int(counts.sum())]:
        counts[i] += 1
    return {label: int(c) for label, c in zip(labels, counts, strict=True)}


def plan_chunks(
    kind: str,
    counts: dict[str, int],
    seed: int,
    config: Any,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    label_codes: dict[str, int] | None = None,
) -> list[ChunkTask]:
    """Chunk tasks covering counts[label] items per label, each with its derived Pythia seed."""
    from codesign.data.pythia import chunk_seed

    per_label = []
    for position, (label, count) in enumerate(counts.items()):
        code = (label_codes or {}).get(label, position)
        starts = range(0, count, chunk_size)
        per_label.append(
            [
                ChunkTask(kind, label, index, min(chunk_size, count - start), chunk_seed(seed, code, index), config)
                for index, start in enumerate(starts)
            ]
        )
    # Interleave the labels (chunk 0 of every label, then chunk 1, ...) so that the chunks finished
    # before an interruption are balanced over the labels.
    tasks = []
    for round_ in range(max((len(p) for p in per_label), default=0)):
        tasks.extend(p[round_] for p in per_label if round_ < len(p))
    return tasks


# Items finished in this process, shared with the parent (set by _init_worker in worker processes), so
# that the progress bar moves with every jet or event, not only when a chunk of 250 is done.
_COUNTER: Any = None


def _init_worker(counter: Any, blas_threads: int | None = None) -> None:
    """Set the shared item counter; in a worker process, also cap numpy's BLAS threads.

    Without the cap every worker's OpenBLAS starts one thread per core, so two workers on two cores
    oversubscribe them: measured here, 2 workers made 34 jets/s against 31 for one; capped, 58.
    """
    global _COUNTER
    _COUNTER = counter
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(blas_threads)


def _count(k: int) -> None:
    if _COUNTER is not None:
        with _COUNTER.get_lock():
            _COUNTER.value += k


def _run_chunk(task: ChunkTask) -> dict[str, np.ndarray]:
    """Generate one chunk's arrays."""
    if task.kind == "jets":
        from codesign.data.jets import generate_jet_chunk

        chunk = generate_jet_chunk(task.label, task.n, task.seed, task.config, progress=_count)
        return {"columns": chunk.columns, "constituents": chunk.constituents, "tried": np.array(chunk.events_tried)}
    if task.kind == "l1":
        from codesign.data.l1 import generate_l1_chunk

        l1 = generate_l1_chunk(task.label, task.n, task.seed, task.config, progress=_count)
        arrays = {"particles": l1.particles, "subprocess": l1.subprocess, "tried": np.array(l1.events_tried)}
        if l1.weights is not None:
            arrays["weights"] = l1.weights
        return arrays
    raise ValueError(f"unknown chunk kind {task.kind!r}")


def _worker(args: tuple[ChunkTask, str]) -> tuple[str, int, float]:
    """Run a chunk in a worker process and save it atomically; returns (file, n, seconds)."""
    task, parts = args
    start = time.perf_counter()
    cpu = time.process_time()
    arrays = _run_chunk(task)
    arrays["cpu_s"] = np.array(time.process_time() - cpu)  # this chunk's CPU seconds, summed into the file's attrs
    target = Path(parts) / task.filename
    tmp = target.with_name(target.stem + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(target)
    return task.filename, task.n, time.perf_counter() - start


def _chunk_is_complete(path: Path, n: int) -> bool:
    """Whether a saved chunk exists, loads, and has n rows."""
    if not path.is_file():
        return False
    try:
        with np.load(path) as data:
            first = data[data.files[0]]
            return len(first) == n
    except (OSError, ValueError, KeyError, IndexError):
        return False


def parts_dir(out: Path) -> Path:
    """The folder that holds an output's finished chunks while it is generated (``<out>.parts``)."""
    return out.with_name(out.name + ".parts")


def prepare_parts(out: Path, manifest: dict[str, Any], resume: bool, force: bool) -> Path:
    """Create or reuse the parts folder of an output, checking the manifest on resume."""
    parts = parts_dir(out)
    if out.exists() and not force:
        raise DataError(f"{out}: already exists; pass --force to overwrite it")
    text = json.dumps(manifest, sort_keys=True, indent=1, default=str)
    if parts.exists() and not parts.is_dir():  # not a folder this command made: never removed or read as chunks
        raise DataError(f"{parts}: is a file where the run keeps its finished chunks (the folder {parts.name}/); "
                        "move it away (accepted: no such path, or the parts folder of an interrupted run)")  # fmt: skip
    if parts.exists():
        if force and not resume:
            shutil.rmtree(parts)
        elif not resume:
            raise DataError(
                f"{parts}: holds chunks of an interrupted run; pass --resume to continue it or --force to restart"
            )
        else:
            old = (parts / MANIFEST).read_text() if (parts / MANIFEST).is_file() else ""
            if old != text:
                raise DataError(
                    f"{parts / MANIFEST}: was written for different arguments; --resume needs the same "
                    f"arguments (or pass --force without --resume to restart)"
                )
    parts.mkdir(parents=True, exist_ok=True)
    (parts / MANIFEST).write_text(text)
    return parts


def run_chunks(
    tasks: list[ChunkTask],
    parts: Path,
    workers: int,
    unit: str,
    progress: bool = True,
    on_chunk: Callable[[str, int, float], None] | None = None,
) -> list[Path]:
    """Run the chunks not yet saved in parts (in parallel when workers > 1); return all chunk files in plan order."""
    todo = [t for t in tasks if not _chunk_is_complete(parts / t.filename, t.n)]
    total = sum(t.n for t in tasks)
    done = total - sum(t.n for t in todo)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=done, unit=unit, smoothing=0.1, dynamic_ncols=True)
    ctx = multiprocessing.get_context("spawn")
    counter = ctx.Value("q", 0)

    def show() -> None:
        if bar is not None:
            bar.n = done + counter.value
            bar.refresh()

    try:
        jobs = [(t, str(parts)) for t in todo]
        workers = min(workers, len(jobs))  # never more processes than chunks left (--workers 10000 spawned 10000)
        if workers <= 1:
            _init_worker(counter)
            for name, n, seconds in map(_worker, jobs):
                _finished(show, on_chunk, name, n, seconds)
        else:
            blas = max(1, cpu_count() // workers)
            with ctx.Pool(processes=workers, initializer=_init_worker, initargs=(counter, blas)) as pool:
                results = pool.imap_unordered(_worker, jobs)
                remaining = len(jobs)
                while remaining:
                    try:
                        name, n, seconds = results.next(timeout=0.5)
                    except multiprocessing.TimeoutError:
                        show()
                        continue
                    remaining -= 1
                    _finished(show, on_chunk, name, n, seconds)
    except KeyboardInterrupt:
        raise Interrupted(f"finished chunks are kept in {parts}: rerun with --resume to continue") from None
    finally:
        _init_worker(None)
        if bar is not None:
            bar.close()
    return [parts / t.filename for t in tasks]


def _finished(show: Callable[[], None], on_chunk: Callable[[str, int, float], None] | None, name: str, n: int,
              seconds: float) -> None:  # fmt: skip
    """A chunk is saved: refresh the bar (its items were counted as they came) and call the callback."""
    show()
    if on_chunk is not None:
        on_chunk(name, n, seconds)


def config_dict(config: Any) -> dict[str, Any]:
    """A frozen config dataclass as a JSON-friendly dict."""
    return json.loads(json.dumps(asdict(config), default=list))
