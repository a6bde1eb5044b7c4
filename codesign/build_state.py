"""What the build steps share: the build's fixed context, the state handed from step to step, the step base class.

The steps themselves are in :mod:`codesign.steps` (their order in :mod:`codesign.build_steps`); running them,
with their cache keys, is :mod:`codesign.pipeline`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from codesign.datasets import Dataset
from codesign.parts import Part
from codesign.spec import BuildSpec, Hls4mlConfig

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
    cpu_s: float | None = None  # CPU seconds of the build's process and its children (g++) during the step

    def to_dict(self) -> dict:
        """JSON form (``cpu_s`` only when measured)."""
        out = {"name": self.name, "seconds": round(self.seconds, 3), "cached": self.cached, "note": self.note}
        if self.cpu_s is not None:
            out["cpu_s"] = round(self.cpu_s, 3)
        return out


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
    keys: dict[str, str] = field(default_factory=dict)  # each step's cache key (content address), by step name
    step_note: str = ""  # a line a step that is always run leaves for its record (then cleared by the pipeline)

    @property
    def firmware_model(self):
        """The Keras model that goes to firmware: quantized if there is one, else pruned, else float."""
        return self.qmodel or self.pruned_model or self.float_model

    def note(self, text: str) -> BuildState:
        """Add a line to the report's notes."""
        return replace(self, notes=(*self.notes, text))


class Step:
    """Base class of a build step; subclasses set ``name`` and implement ``run``."""

    name = ""
    #: the code the result depends on besides the step's own class: modules, ``module:function`` helpers,
    #: ``"templates"`` (see :func:`codesign.step_cache.code_digest`)
    code: tuple[str, ...] = ()
    #: True for a step only some builds run (``--synth``, ``--rtl``) whose result its optional siblings do not
    #: read: its key chains from the last required step, not from theirs (:func:`codesign.pipeline.step_keys`)
    optional = False

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
