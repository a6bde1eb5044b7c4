"""The build: an explicit, ordered list of named steps from a spec to a checked firmware project.

Each step is a small object with a ``name``, the slice of configuration it depends on (``inputs``), a
``run`` that takes and returns the :class:`BuildState`, and, where its work is expensive, ``save`` and
``load`` so that an unchanged rerun reuses it. A step's cache key chains the previous step's key, its own
inputs, its own code (:mod:`codesign.step_cache`) and the versions of the libraries involved, so changing the pruning target reruns pruning and
everything after it, but not the float training. Each step's time and whether it came from the cache go
into ``steps`` of report.json (and ``<out>/.codesign/steps.json``).

Order (the names are stable; report.json and the cache refer to them):
``load_data, build_model, train_float, prune, quantize, convert, csim, compare, estimate, budget, report``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from codesign import __version__
from codesign.datasets import Dataset, file_digest
from codesign.durable import IN_PROGRESS, atomic_write_text, build_lock, is_write_error, write_error
from codesign.errors import BitAccuracyError, ReferenceUnavailableError, SpecError
from codesign.parts import Part
from codesign.spec import BuildSpec, Hls4mlConfig
from codesign.step_cache import SharedStepCache, StepCache, code_digest

STEP_NAMES = (
    "load_data", "build_model", "train_float", "prune", "quantize",
    "convert", "csim", "compare", "estimate", "budget", "report",
)  # fmt: skip


@dataclass(frozen=True)
class BuildContext:
    """What does not change during a build: the parsed spec, the part, the output folder, the flags."""

    spec: BuildSpec | None
    hls4ml_config: Hls4mlConfig | None
    part: Part
    out_dir: Path
    force: bool = False
    synth: bool = False
    rtl: bool = False  # --rtl: also emit Verilog through da4ml (codesign.rtl)
    cache_dir: Path | None = None  # a step cache shared between builds (a scan's); None: this folder's own
    trust_model_code: bool = False  # --trust-model-code
    plots: bool = True  # False: the report is written without its PNG plots (--no-plots; scan points by default)

    @property
    def trusts_model_code(self) -> bool:
        """True when the user opted in to loading model files that run code (flag or model.trust_code)."""
        return self.trust_model_code or (self.spec is not None and self.spec.model.trust_code)

    @property
    def name(self) -> str:
        """Build name (the spec's, or the hls4ml config's project name)."""
        if self.spec is not None:
            return self.spec.name
        return str(self.hls4ml_config.config.get("ProjectName", "myproject"))

    def path(self, *parts: str) -> Path:
        """A path inside the build folder."""
        return self.out_dir.joinpath(*parts)


@dataclass(frozen=True)
class StepRecord:
    """What a step took and whether it was reused from an earlier identical build."""

    name: str
    seconds: float
    cached: bool
    note: str = ""

    def to_dict(self) -> dict:
        """JSON form."""
        return {"name": self.name, "seconds": round(self.seconds, 3), "cached": self.cached, "note": self.note}


@dataclass(frozen=True)
class BuildState:
    """Everything the steps produce, handed from one to the next."""

    data: Dataset | None = None
    float_model: Any = None
    histories: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    pruned_model: Any = None
    qmodel: Any = None
    sparsity: dict | None = None
    project: Any = None  # codesign.hls.HlsProject
    csim: dict[str, np.ndarray] | None = None
    bit_accuracy: dict | None = None
    scores: dict | None = None  # per stage (float/quantized/firmware): class probabilities or anomaly scores
    metrics: dict | None = None
    estimate: Any = None
    budget: Any = None
    synthesis: dict | None = None  # figures from the vendor reports when --synth ran
    synth_error: str | None = None  # why --synth could not run (the build still writes its report)
    rtl: dict | None = None  # the --rtl section (codesign.rtl.flow): Verilator check, yosys counts
    notes: tuple[str, ...] = ()
    records: tuple[StepRecord, ...] = ()

    @property
    def firmware_model(self):
        """The Keras model that goes to firmware: quantized if there is one, else pruned, else float."""
        return self.qmodel or self.pruned_model or self.float_model

    def note(self, text: str) -> BuildState:
        """Add a line to the report's notes."""
        return replace(self, notes=(*self.notes, text))


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


class Step:
    """Base class of a build step; subclasses set ``name`` and implement ``run``."""

    name = ""
    #: the code the result depends on besides the step's own class: modules, ``module:function`` helpers,
    #: ``"templates"`` (see :func:`codesign.step_cache.code_digest`)
    code: tuple[str, ...] = ()

    def inputs(self, ctx: BuildContext) -> Any:
        """The configuration this step depends on (part of its cache key)."""
        return None

    def run(self, ctx: BuildContext, state: BuildState) -> BuildState:
        """Do the work."""
        raise NotImplementedError

    def save(self, ctx: BuildContext, state: BuildState) -> None:
        """Persist what ``load`` needs; steps without it are recomputed on every build."""

    def load(self, ctx: BuildContext, state: BuildState) -> BuildState | None:
        """Restore from ``save``; None when there is nothing (or not everything) to restore."""
        return None

    def artefacts(self, ctx: BuildContext, state: BuildState) -> list[str]:
        """The files ``save`` wrote, relative to the build folder (what a shared cache stores)."""
        return []

    @property
    def cacheable(self) -> bool:
        """True when the step overrides ``load``."""
        return type(self).load is not Step.load


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def input_file_digests(ctx: BuildContext) -> dict[str, str]:
    """Hashes of the files a build reads (data, user model, hls4ml config), for the cache key."""
    files: list[Path] = []
    if ctx.spec is not None:
        from codesign import data as jetdata
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
    return {str(p): file_digest(p) if Path(p).is_file() else "missing" for p in files}


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
    the pruning, quantization, hls settings or the part, and a docstring edit changes no key.
    """
    key = _digest({"versions": library_versions(), "files": input_file_digests(ctx),
                   "trust_model_code": ctx.trusts_model_code})  # fmt: skip
    keys = []
    for step in steps:
        key = _digest([key, step.name, step.inputs(ctx), code_digest(step)])
        keys.append(key)
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
    if report is not None and not ctx.path(".codesign", IN_PROGRESS).exists():
        if progress is not None:
            progress("up to date: every step unchanged since the last build (--force redoes it)")
        state = up_to_date_state(ctx, steps, report)
        _write_step_times(ctx, state)
        return state
    cache.forget(COMPLETE)
    _start_build(ctx)
    state = BuildState()
    reuse = not ctx.force
    for step, key in zip(steps, keys, strict=True):
        start = time.perf_counter()
        if progress is not None:
            progress(step.name)
        cached, note = False, ""
        if not step.cacheable:
            state = step.run(ctx, state)  # cheap and deterministic from its inputs: always recomputed
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
                state, cached, reuse, waited = _run_shared(ctx, step, key, state, cache, shared, reuse)
                note = f"waited {waited:.1f} s for another build computing this step" if waited >= 0.5 else ""
        record = StepRecord(step.name, time.perf_counter() - start, cached, note)
        state = replace(state, records=(*state.records, record))
    _write_step_times(ctx, state)
    if keys and state.synth_error is None:  # a build whose asked-for synthesis failed is not complete
        cache.store(COMPLETE, keys[-1])
    ctx.path(".codesign", IN_PROGRESS).unlink(missing_ok=True)
    return state


def _run_shared(ctx, step, key, state, cache, shared, reuse):
    """A cacheable step with a shared cache: reuse the stored result of its key, or compute and store it while
    holding the key's lock (a second worker on the same key waits, then reuses). Returns (state, cached, reuse,
    seconds waited for the lock)."""
    # keys are content addresses: a stored result is reused even after an earlier step of this build was
    # recomputed (that step's result has the same key, so the stored one was made from an equivalent input)
    asked = time.perf_counter()
    with shared.lock(key):
        waited = time.perf_counter() - asked
        if not ctx.force and shared.fetch(key, ctx.out_dir):
            loaded = step.load(ctx, state)
            if loaded is not None:
                cache.store(step.name, key)
                return loaded, True, True, waited
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


def require_bit_exact(state) -> None:
    """Raise BitAccuracyError when the two C-simulation paths disagree, or when a bit-exact reference exists
    and the firmware does not match it; ReferenceUnavailableError when a quantized model has no reference."""
    acc = state.bit_accuracy or {}
    paths = acc.get("library_vs_testbench") or {}
    if paths.get("exact") is False:
        raise BitAccuracyError(
            f"the hls4ml compiled library and the g++ testbench disagree on {paths.get('n_mismatch')} of "
            f"{paths.get('n_samples')} samples (max |diff| {paths.get('max_abs_diff')}; first mismatch: "
            f"{paths.get('first_mismatch')}): the same firmware built twice gives two answers"
        )
    if acc.get("reference_unavailable"):
        raise ReferenceUnavailableError(
            f"no verdict for this quantized model: {acc['reference_unavailable']} (the firmware was built and "
            "C-simulated, but nothing proves it reproduces the model)"
        )
    emu = acc.get("emulator_vs_testbench") or {}
    if emu.get("exact") is False and acc.get("n_mismatch") == 0:
        raise BitAccuracyError(
            f"the firmware matches the {acc.get('reference')} but not codesign's fixed-point emulator of its "
            f"configured types on {emu.get('n_mismatch')} of {emu.get('n_samples')} samples (max |diff| "
            f"{emu.get('max_abs_diff')}; first mismatch: {emu.get('first_mismatch')}): the firmware is not "
            "what its types say, or the emulator is wrong; please report it"
        )
    if acc.get("exact") is False:
        from codesign.report_text import first_layer_text

        first = dict(acc.get("first_mismatch") or {})
        layer = first_layer_text(first.pop("layer", None))
        raise BitAccuracyError(
            f"firmware is not bit-exact against the {acc.get('reference')}: {acc.get('n_mismatch')} of "
            f"{acc.get('n_samples')} samples differ (max |diff| {acc.get('max_abs_diff')}); first mismatch: "
            f"{first or None}" + (f"; {layer}" if layer else "")
        )
    rtl = getattr(state, "rtl", None) or {}
    if rtl.get("bit_exact") is False:
        raise BitAccuracyError(
            f"the RTL (Verilator) is not bit-exact against the quantized model: {rtl.get('n_mismatch')} of "
            f"{rtl.get('n_samples')} samples differ; first mismatch: {rtl.get('first_mismatch')}"
        )


def check_spec_consistency(spec: BuildSpec) -> None:
    """Cross-field checks that a single pydantic model cannot see."""
    if spec.quantize is not None and spec.quantize.input.width > 24:
        raise SpecError(
            f"quantize.input: {spec.quantize.input.to_hls()} is wider than 24 bits; inputs travel as float32 "
            "through training, so they could not be represented exactly (accepted: width <= 24)"
        )
