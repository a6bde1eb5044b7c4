"""The whole build spec (name, part, every section) and its budget, check and metrics sections."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from codesign.errors import SpecError
from codesign.score_spec import ScoreSpec
from codesign.spec.fields import Fraction, Seed, _Strict, text_not_number
from codesign.spec.hls import HlsSpec
from codesign.spec.quantize import QuantizeSpec
from codesign.spec.training import DataSpec, ModelSpec, PruneSpec, TrainSpec


class BudgetSpec(_Strict):
    """The 40 MHz L1 budget the design is judged against."""

    tm_period: int = Field(1, ge=1, description="time-multiplexing period in bunch crossings")
    latency_ns: float | None = Field(None, gt=0, description="latency limit; none = not checked")
    max_fraction: dict[Literal["lut", "ff", "dsp", "bram_18k", "uram"], Fraction] = Field(
        default_factory=lambda: {"lut": 0.05, "ff": 0.05, "dsp": 0.05, "bram_18k": 0.05},
        description="allowed fraction of the part per resource (lut, ff, dsp, bram_18k, uram), each in (0, 1]",
    )


class CheckSpec(_Strict):
    """How the firmware is checked against the models."""

    n_samples: int = Field(2000, gt=0, description="test inputs C-simulated and compared bit for bit")
    workers: int = Field(2, ge=1, description="parallel C-simulation processes")
    library: bool = Field(True, description="also C-simulate through hls4ml's ctypes library, a cross-check that it "
                          "equals codesign's testbench (false: the testbench alone, as a scan's csim: testbench)")


class MetricsSpec(_Strict):
    """How the physics metrics are qualified: bootstrap intervals (codesign/metrics_bootstrap.py)."""

    bootstrap: int = Field(200, ge=0, le=100_000, description="bootstrap resamples of the test set, 0 to 100000 (0: none)")
    seed: Seed = 0
    confidence: float = Field(0.68, gt=0, lt=1, description="the intervals' confidence level, in (0, 1)")


class BuildSpec(_Strict):
    """A whole codesign build: data, model, training, pruning, quantization, conversion and budget."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=128, description="a folder name: letters, digits, _ . -")
    data: DataSpec | None = None
    model: ModelSpec
    train: TrainSpec = TrainSpec()
    prune: PruneSpec = PruneSpec()
    quantize: QuantizeSpec | None = Field(
        QuantizeSpec(),
        description="a mapping of the quantize keys (left out: the 6-bit QAT defaults), or null: no QAT, the float "
        "model converted with ap_fixed<16,6> types and proven against the emulator of those types",
    )
    hls: HlsSpec = HlsSpec()
    budget: BudgetSpec = BudgetSpec()
    check: CheckSpec = CheckSpec()
    score: ScoreSpec | None = Field(None, description="the anomaly score the firmware computes (vae, ae)")
    metrics: MetricsSpec = MetricsSpec()
    part: str | None = Field(None, description="FPGA part; --part on the command line wins")

    @field_validator("name", mode="before")
    @classmethod
    def _name_as_text(cls, name: object) -> object:
        """YAML reads 'name: 001' as the number 1 and 'name: 2024.10' as 2024.1: say to quote it."""
        return text_not_number(name, "a name such as 001 as the number 1", "name: '001'")

    @field_validator("name")
    @classmethod
    def _name_is_a_folder(cls, name: str) -> str:
        if set(name) == {"."}:
            raise ValueError(f"'{name}' would write the build outside vivado_projects/ (accepted: letters, "
                             "digits, '_', '.', '-' with at least one letter or digit)")  # fmt: skip
        return name

    @model_validator(mode="after")
    def _score_fits_family(self) -> BuildSpec:
        family = self.model.family.value if self.model.family is not None else None
        if self.score is not None and family not in ("vae", "ae"):
            raise ValueError(f"'score' applies to model.family vae or ae (the firmware computes an anomaly score), "
                             f"not to {family or 'a model file'}; remove it")  # fmt: skip
        for key, on in (("prune.distill", self.prune.distill),
                        ("quantize.distill", self.quantize is not None and self.quantize.distill)):  # fmt: skip
            if on and family not in ("vae", "ae", None):  # a model file: its task is known from the data
                raise ValueError(f"{key} applies to anomaly models (model.family vae or ae), not to {family}: a "
                                 f"classifier is trained against its labels (remove {key})")  # fmt: skip
        if self.score is not None:
            try:
                self.score.resolved_kind(family)
            except SpecError as exc:
                raise ValueError(str(exc)) from None
        n_train = self.data.n_train if self.data is not None else DataSpec().n_train if family else None
        split = self.train.validation_split
        if n_train and split > 0 and math.floor(n_train * (1.0 - split)) < 1:  # Keras' rounding (train.fit_rows)
            # Keras' ValueError (exit 7) when the float training started
            raise ValueError(f"train.validation_split {split:g} of data.n_train {n_train} leaves no training row "
                             f"(accepted: a split below {1 - 1 / n_train:.6g} for {n_train} rows, or a larger "
                             "data.n_train)")  # fmt: skip
        return self

    @property
    def anomaly_score(self) -> ScoreSpec | None:
        """The score settings with the family's kind filled in (None for classifiers and model files)."""
        family = self.model.family.value if self.model.family is not None else None
        if family not in ("vae", "ae"):
            return None
        score = self.score or ScoreSpec()
        return score.model_copy(update={"kind": score.resolved_kind(family)})

    def resolved(self) -> dict:
        """The spec with every default filled in, as JSON types (for report.json and the cache key)."""
        out = self.model_dump(mode="json")
        if out["model"]["node"] is None:  # left out: the node network is phi; the resolved spec and keys stay as before
            del out["model"]["node"]
        if out.get("data") is not None and not out["data"]["augment"]:  # left out: the keys stay as before
            del out["data"]["augment"]
        score = self.anomaly_score
        out["score"] = score.model_dump(mode="json") if score is not None else None
        return out


def check_spec_consistency(spec: BuildSpec) -> None:
    """Cross-field checks that a single pydantic model cannot see."""
    if spec.quantize is not None and spec.quantize.input.width > 24:
        raise SpecError(
            f"quantize.input: {spec.quantize.input.to_hls()} is wider than 24 bits; inputs travel as float32 "
            "through training, so they could not be represented exactly (accepted: width <= 24)"
        )
