"""The build: an explicit, ordered list of named steps from a spec to a checked firmware project.

Each step is a small object with a ``name``, the slice of configuration it depends on (``inputs``), a
``run`` that takes and returns the :class:`BuildState`, and, where its work is expensive, ``save`` and
``load`` so that an unchanged rerun reuses it. A step's cache key chains the previous step's key, its own
inputs, its own code (:mod:`codesign.step_cache`) and the versions of the libraries involved, so changing the pruning target reruns pruning and
everything after it, but not the float training. Each step's time and whether it came from the cache go
into ``steps`` of report.json (and ``<out>/.codesign/steps.json``).

Order (the names are stable; report.json and the cache refer to them):
``load_data, build_model, train_float, prune, quantize, convert, csim, compare, estimate, budget, report``.

This module runs the steps and computes their keys; the types they share (:class:`BuildContext`,
:class:`BuildState`, :class:`Step`) are in :mod:`codesign.build_state`, the bit-exactness verdict in
:mod:`codesign.bit_exact`; both are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from codesign import __version__
from codesign.bit_exact import require_bit_exact
from codesign.build_state import STEP_NAMES, BuildContext, BuildState, Step, StepRecord
from codesign.datasets import file_digest
from codesign.durable import (
    IN_PROGRESS,
    atomic_write_text,
    build_lock,
    is_write_error,
    report_as_written,
    write_error,
)
from codesign.spec import Hls4mlConfig, check_spec_consistency
from codesign.step_cache import SharedStepCache, StepCache, code_digest

# the build's types, its verdict and the spec's cross-field check are re-exported: steps, the API and other
# branches import them from here
__all__ = ["COMPLETE", "STEP_NAMES", "BuildContext", "BuildState", "Step", "StepRecord", "check_spec_consistency",
           "hls4ml_model_files", "input_file_digests", "library_versions", "require_bit_exact", "run_steps",
           "step_keys", "up_to_date_state"]  # fmt: skip


def library_versions() -> dict[str, str]:
    """Versions of codesign and the libraries whose behaviour the results depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"codesign": __version__}
    for dist in ("hls4ml", "qkeras", "tensorflow", "tf-keras", "tensorflow-model-optimization", "numpy"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def input_file_digests(ctx: BuildContext) -> dict[str, str]:
    """Hashes of the files a build reads (data, user model, hls4ml config), for the cache key; the shipped data
    sample is named by its name in codesign (``shipped:jets.h5``), not by where codesign is installed, so that
    another checkout or install of the same codesign reuses the same steps (the user's files go by their path)."""
    from codesign import data as jetdata

    files: list[Path] = []
    if ctx.spec is not None:
        from codesign.datasets import default_source
        from codesign.spec import DataSource

        d = ctx.spec.data
        if d is not None and d.path is not None:
            files.append(Path(d.path))
        else:
            src = (d.source if d is not None else None) or default_source(ctx.spec.model.family)
            files.append(jetdata.SHIPPED_L1 if src == DataSource.L1 else jetdata.SHIPPED_JETS)
        files += [p for p in (ctx.spec.model.file, ctx.spec.model.weights) if p is not None]
    if ctx.hls4ml_config is not None:
        files.append(Path(ctx.hls4ml_config.path))
        files += hls4ml_model_files(ctx.hls4ml_config)
    shipped = {Path(p): f"shipped:{Path(p).name}" for p in (jetdata.SHIPPED_JETS, jetdata.SHIPPED_L1)}
    return {shipped.get(Path(p), str(p)): file_digest(p) if Path(p).is_file() else "missing" for p in files}


def hls4ml_model_files(cfg: Hls4mlConfig) -> list[Path]:
    """Files a plain hls4ml config points to (model, testbench data), resolved against the config's folder."""
    base = Path(cfg.path).parent
    out = []
    for key in ("KerasJson", "KerasH5", "KerasModel", "InputData", "OutputPredictions"):
        value = cfg.config.get(key)
        if isinstance(value, str):
            p = Path(value)
            out.append(p if p.is_absolute() else base / p)
    return out


COMPLETE = "__complete__"


def step_keys(ctx: BuildContext, steps: list[Step]) -> list[str]:
    """Cache key of each step: the previous step's key, the step's name, its inputs and its code
    (:func:`codesign.step_cache.code_digest`); the first chains from the input files and library versions.

    So a key holds exactly what the step's result depends on: the float training's key does not change with
    the pruning, quantization, hls settings or the part, and a docstring edit changes no key. An optional step
    (``--synth``, ``--rtl``: :attr:`Step.optional`) chains from the last required step before it, not from its
    optional siblings, and the next required step chains from that key and theirs: asking for one optional step
    changes no other optional step's key, and no key before it.
    """
    key = _digest({"versions": library_versions(), "files": input_file_digests(ctx),
                   "trust_model_code": ctx.trusts_model_code})  # fmt: skip
    keys, optional = [], []
    for step in steps:
        chain = [key, *optional] if optional and not step.optional else key
        own = _digest([chain, step.name, step.inputs(ctx), code_digest(step)])
        keys.append(own)
        if step.optional:
            optional.append(own)
        else:
            key, optional = own, []
    return keys


def up_to_date_state(ctx: BuildContext, steps: list[Step], report: dict) -> BuildState:
    """The state of a finished build whose every step is unchanged, read back from its report.json."""
    from codesign.budget import BudgetVerdict
    from codesign.estimate.result import Estimate

    records = tuple(StepRecord(s.name, 0.0, True, "build up to date") for s in steps)
    est, verdict = report.get("estimate"), report.get("budget")
    return BuildState(
        bit_accuracy=report.get("bit_accuracy"),
        metrics=report.get("metrics"),
        sparsity=report.get("sparsity"),
        estimate=Estimate.from_dict(est) if isinstance(est, dict) else est,
        budget=BudgetVerdict.from_dict(verdict) if isinstance(verdict, dict) else verdict,
        rtl=report.get("rtl"),
        notes=tuple(report.get("notes") or ()),
        records=records,
    )


def run_steps(ctx: BuildContext, steps: list[Step], progress=None) -> BuildState:
    """Run the steps in order, reusing cached ones, recording each step's time into the state.

    When every step's key equals the last finished build's and its report.json is there, the build is up
    to date (like ``make``): nothing is loaded or recomputed, and the state is read back from the report.
    The folder is locked for the whole build (a second build into it is refused, see :mod:`codesign.durable`);
    a failed write (full disk, read-only folder) is a SpecError naming the path.
    """
    try:
        with build_lock(ctx.out_dir):
            return _run_locked(ctx, steps, progress)
    except OSError as exc:
        if is_write_error(exc, ctx.out_dir):
            raise write_error(exc, ctx.out_dir) from None
        raise


def _read_report(path: Path) -> dict | None:
    """A finished build's report.json, or None when it is missing or unreadable (then the build reruns)."""
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def _run_locked(ctx: BuildContext, steps: list[Step], progress) -> BuildState:
    cache = StepCache(ctx.out_dir)
    shared = SharedStepCache(ctx.cache_dir) if ctx.cache_dir is not None else None
    keys = step_keys(ctx, steps)
    report_path = ctx.path("report.json")
    report = _read_report(report_path) if not ctx.force and keys and cache.hit(COMPLETE, keys[-1]) else None
    if report is not None and not report_as_written(ctx.out_dir):  # edited or damaged by hand: never trusted
        if progress is not None:
            progress("report.json / report.md differ from the ones this build wrote (edited or damaged): writing "
                     "them again from the finished steps")  # fmt: skip
        report = None
    if report is not None and not ctx.path(".codesign", IN_PROGRESS).exists():
        if progress is not None:
            progress("up to date: every step unchanged since the last build (--force redoes it)")
        state = up_to_date_state(ctx, steps, report)
        _write_step_times(ctx, state)
        return state
    cache.forget(COMPLETE)
    _start_build(ctx)
    state = BuildState(keys={s.name: k for s, k in zip(steps, keys, strict=True)})
    reuse = not ctx.force
    for step, key in zip(steps, keys, strict=True):
        start, cpu0 = time.perf_counter(), process_cpu_s()
        if progress is not None:
            progress(step.name)
        cached, note = False, ""
        if not step.cacheable:
            state = step.run(ctx, state)  # cheap and deterministic from its inputs: always recomputed
            note, state = state.step_note, replace(state, step_note="")
        else:
            loaded = _load_cached(ctx, step, state, progress) if reuse and cache.hit(step.name, key) else None
            if loaded is not None:
                state, cached = loaded, True
            elif shared is None:
                reuse = False  # everything after a recomputed expensive step is recomputed too
                cache.forget(step.name)
                state = step.run(ctx, state)
                step.save(ctx, state)
                cache.store(step.name, key)
            else:
                state, cached, reuse, waited = _run_shared(ctx, step, key, state, cache, shared, reuse, progress)
                note = f"waited {waited:.1f} s for another build computing this step" if waited >= 0.5 else ""
        record = StepRecord(step.name, time.perf_counter() - start, cached, note, process_cpu_s() - cpu0)
        state = replace(state, records=(*state.records, record))
    _write_step_times(ctx, state)
    if keys and state.synth_error is None:  # a build whose asked-for synthesis failed is not complete
        cache.store(COMPLETE, keys[-1])
    ctx.path(".codesign", IN_PROGRESS).unlink(missing_ok=True)
    return state


def process_cpu_s() -> float:
    """CPU seconds of this process (all its threads) and of its ended children (g++, the testbench), user + system:
    a step's difference is its CPU when the process builds one thing at a time (a scan worker, the CLI)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _run_shared(ctx, step, key, state, cache, shared, reuse, progress=None):
    """A cacheable step with a shared cache: reuse the stored result of its key, or compute and store it while
    holding the key's lock (a second worker on the same key waits, then reuses). A stored result that does not load
    (a truncated file) is removed and the step computed again, as in a build folder's own cache: it failed the point
    that fetched it (the loader's error) and every later one. Returns (state, cached, reuse, seconds waited for the
    lock)."""
    # keys are content addresses: a stored result is reused even after an earlier step of this build was
    # recomputed (that step's result has the same key, so the stored one was made from an equivalent input)
    asked = time.perf_counter()
    with shared.lock(key):
        waited = time.perf_counter() - asked
        if not ctx.force and shared.fetch(key, ctx.out_dir):
            loaded = _load_cached(ctx, step, state, progress)
            if loaded is not None:
                cache.store(step.name, key)
                return loaded, True, True, waited
            shared.discard(key)  # damaged (a truncated file): computed again below and stored afresh
        cache.forget(step.name)
        state = step.run(ctx, state)
        step.save(ctx, state)
        cache.store(step.name, key)
        shared.put(key, ctx.out_dir, step.artefacts(ctx, state))
    return state, False, False, waited


def _start_build(ctx: BuildContext) -> None:
    """Mark the folder as being rebuilt and remove the previous build's reports: a build killed before its
    report step must not leave the old verdict beside the new project (``codesign report`` refuses while the
    marker is there)."""
    marker = ctx.path(".codesign", IN_PROGRESS)
    atomic_write_text(marker, f"{os.getpid()}\n")
    for name in ("report.json", "report.md"):
        ctx.path(name).unlink(missing_ok=True)


def _load_cached(ctx: BuildContext, step: Step, state: BuildState, progress) -> BuildState | None:
    """A step's saved artefacts, or None when they are missing or damaged (a truncated file): then it reruns."""
    try:
        return step.load(ctx, state)
    except Exception as exc:  # noqa: BLE001  (a damaged artefact of any kind, even one the loader names: redo)
        if progress is not None:
            progress(f"{step.name}: cached artefact unreadable ({type(exc).__name__}: {exc}); redoing the step")
        return None


def _write_step_times(ctx: BuildContext, state: BuildState) -> None:
    atomic_write_text(ctx.path(".codesign", "steps.json"), json.dumps([r.to_dict() for r in state.records], indent=1))
