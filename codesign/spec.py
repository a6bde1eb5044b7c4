"""The build spec: YAML parsed once, at the edge, into frozen typed objects.

Two inputs are accepted by :func:`load_spec`:

- a codesign spec (``name``, ``data``, ``model``, ``train``, ``prune``, ``quantize``, ``hls``, ``budget``);
- a plain hls4ml YAML config as users already write it (``KerasJson``/``KerasH5``/``KerasModel``,
  ``OutputDir``, ``HLSConfig`` ...), detected by its keys and kept as a validated dict for the
  conversion step (:mod:`codesign.hls` owns its semantics).

Every error names the file, the key path, the bad value and what is accepted. Unknown keys are errors.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from codesign.errors import SpecError
from codesign.precision import FixedPrecision, parse_field
from codesign.score_spec import ScoreSpec
from codesign.spec_errors import format_validation_error
from codesign.yamlio import UniqueKeyLoader

SEED_MAX = 2**32 - 1  # numpy's and TensorFlow's seed range
CLOCK_NS_RANGE = (1.0, 100.0)  # 1 GHz .. 10 MHz: outside it no FPGA fabric closes timing / no trigger runs


def _parse_precision(value: Any) -> FixedPrecision:
    p = parse_field(value)
    if p.integer > p.width:
        raise ValueError(f"'{value}' has more integer bits ({p.integer}) than bits ({p.width}); accepted: "
                         "ap_fixed<W,I> with 1 <= W and I <= W, e.g. ap_fixed<16,6>")  # fmt: skip
    return p


Seed = Annotated[int, Field(ge=0, le=SEED_MAX, description="random seed, 0 .. 2**32-1")]
Size = Annotated[int, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, le=1, description="a fraction of the part, in (0, 1]")]
Precision = Annotated[FixedPrecision, BeforeValidator(_parse_precision), PlainSerializer(lambda p: p.to_hls())]
PathStr = Annotated[Path, PlainSerializer(lambda p: str(p))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, allow_inf_nan=False)


class DataSource(str, Enum):
    """Shipped data sets, addressed by name."""

    JETS_HLF = "jets_hlf"
    JETS_CONSTITUENTS = "jets_constituents"
    L1 = "l1"


class DataSpec(_Strict):
    """Where the training/test data come from and how much of it to use."""

    source: DataSource | None = Field(None, description="a shipped data set (default jets_hlf when no path)")
    path: PathStr | None = Field(None, description="a user HDF5 file; public jet/L1 layouts are recognised")
    inputs: str | None = Field(None, description="HDF5 key of the input array in a user file with another layout")
    labels: str | None = Field(None, description="HDF5 key of the labels (one-hot or integer) in a user file")
    n_train: int = Field(40000, gt=0, description="training samples, a positive integer")
    n_test: int = Field(10000, gt=0, description="test samples, a positive integer")
    n_constituents: int = Field(16, gt=0, le=150, description="constituents per jet for jets_constituents")
    seed: Seed = 0
    standardize: bool = Field(True, description="scale inputs to zero mean / unit variance (fitted on train)")
    pt_scale: Literal["log", "linear"] | None = Field(
        None, description="L1 data only: object pT fed as log(1 + pT/GeV) (log, the default) or in GeV (linear)"
    )

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if self.source is not None and self.path is not None:
            raise ValueError("give either 'source' (a shipped data set) or 'path' (your HDF5 file), not both")
        if (self.inputs is None) != (self.labels is None):
            given, missing = ("labels", "inputs") if self.inputs is None else ("inputs", "labels")
            raise ValueError(f"'{given}' was given without '{missing}' (accepted: both HDF5 keys, or neither)")
        if self.inputs is not None and self.path is None:
            raise ValueError("'inputs'/'labels' name keys of your own file: give 'path' too")
        return self


class Family(str, Enum):
    """Model families codesign can build from a spec."""

    MLP = "mlp"
    DEEPSETS = "deepsets"
    INTERACTION_NET = "interaction_net"
    VAE = "vae"
    AE = "ae"


class ModelSpec(_Strict):
    """The network: a family with its sizes, or the user's own model file."""

    family: Family | None = None
    hidden: tuple[Size, ...] = Field((64, 32, 32), description="a list of layer sizes, positive integers")
    activation: Literal["relu"] = "relu"
    phi: tuple[Size, ...] = Field((32, 32), description="a list of layer sizes, positive integers")
    rho: tuple[Size, ...] = Field((32,), description="a list of layer sizes, positive integers")
    aggregation: Literal["mean", "max"] = "mean"
    latent_dim: int = Field(3, gt=0, description="VAE latent dimensions, a positive integer")
    beta: float = Field(1.0, ge=0, description="VAE: weight of the KL term (beta-VAE)")
    encoder: tuple[Size, ...] = Field((32, 16), description="a list of layer sizes, positive integers")
    decoder: tuple[Size, ...] = Field((16, 32), description="a list of layer sizes, positive integers")
    batchnorm: bool = False
    file: PathStr | None = Field(None, description="a .h5 / .keras / .json model of your own")
    weights: PathStr | None = Field(None, description="weights .h5 for a .json model")
    random_weights: bool = Field(False, description="build a .json model without weights, with random weights")
    trust_code: bool = Field(
        False, description="load a model file that would run code (Lambda, unknown classes); = --trust-model-code"
    )

    @model_validator(mode="after")
    def _family_or_file(self) -> ModelSpec:
        if self.file is None and self.family is None:
            raise ValueError("give 'family' (mlp, deepsets, interaction_net, vae, ae) or 'file' (your model)")
        if self.file is not None and self.family is not None:
            raise ValueError("give either 'family' or 'file', not both")
        if self.weights is not None and (self.file is None or self.file.suffix != ".json"):
            raise ValueError("'weights' goes with a 'file' ending in .json")
        is_json = self.file is not None and self.file.suffix.lower() == ".json"
        if is_json and self.weights is None and not self.random_weights:
            raise ValueError(f"'file' {self.file.name} is an architecture without weights: give 'weights' (the .h5 "
                             "weights file), or set 'random_weights: true' to build it with random weights")  # fmt: skip
        if self.random_weights and (not is_json or self.weights is not None):
            raise ValueError("'random_weights: true' goes with a .json 'file' and no 'weights' (accepted: false)")
        if self.trust_code and self.file is None:
            raise ValueError("'trust_code' goes with 'file' (your model); a 'family' model is codesign's own")
        return self


class TrainSpec(_Strict):
    """Float training (Adam, early stopping on the validation loss)."""

    epochs: int = Field(15, ge=0, description="an integer >= 0")
    batch_size: int = Field(1024, gt=0, description="a positive integer")
    learning_rate: float = Field(1.0e-3, gt=0, description="a number > 0")
    seed: Seed = 0
    patience: int = Field(3, ge=0, description="epochs without improvement before stopping, >= 0")
    validation_split: float = Field(0.2, ge=0, lt=1, description="a fraction in [0, 1)")
    lr_patience: int = Field(
        0, ge=0, description="epochs without validation-loss improvement before the learning rate is multiplied by "
        "lr_factor, >= 0 (0: constant learning rate)"
    )  # fmt: skip
    lr_factor: float = Field(0.5, gt=0, lt=1, description="a number in (0, 1)")


class PruneSpec(_Strict):
    """Magnitude pruning with tensorflow-model-optimization (PolynomialDecay to the target sparsity)."""

    sparsity: float = Field(0.0, ge=0, lt=1, description="target fraction of zero weights; 0 turns pruning off")
    epochs: int = Field(5, ge=1, description="fine-tuning epochs while pruning")
    begin_fraction: float = Field(0.0, ge=0, le=1, description="start of the schedule, as a fraction of the steps")
    end_fraction: float = Field(0.7, gt=0, le=1, description="target reached at this fraction of the steps")
    frequency: int = Field(50, gt=0, description="pruning steps between mask updates")

    @property
    def enabled(self) -> bool:
        """True when pruning is asked for."""
        return self.sparsity > 0


def _check_weight_bits(bits: int | None, integer: int | None) -> None:
    if bits is not None and integer is not None and integer >= bits:
        raise ValueError(
            f"integer {integer} >= bits {bits}: quantized_bits({bits},{integer}) has no fractional bits and a step of "
            f"2**{integer - bits + 1}, so every weight below that rounds to 0; accepted: integer <= bits - 1 "
            "(QKeras convention: integer excludes the sign bit)"
        )


class LayerQuant(_Strict):
    """Per-layer quantization override (QKeras convention: integer bits exclude the sign)."""

    bits: int | None = Field(None, ge=2, le=32, description="weight bits, 2 to 32")
    integer: int | None = Field(None, ge=0, le=31, description="weight integer bits without the sign, 0 to bits - 1")
    bias_bits: int | None = Field(None, ge=2, le=32, description="bias bits of this layer (default: its bits)")
    bias_integer: int | None = Field(None, ge=0, le=31, description="bias integer bits of this layer (default: its integer)")
    activation_bits: int | None = Field(None, ge=1, le=32, description="activation bits, 1 to 32")
    activation_integer: int | None = Field(None, ge=0, le=32, description="activation integer bits, 0 to 32")

    @model_validator(mode="after")
    def _fraction_bits(self) -> LayerQuant:
        _check_weight_bits(self.bits, self.integer)
        return self


class QuantizeSpec(_Strict):
    """Quantization-aware training with QKeras."""

    bits: int = Field(6, ge=2, le=32, description="weight and bias bits, 2 to 32 (quantized_bits needs a sign and a value bit)")
    integer: int = Field(0, ge=0, le=31, description="integer bits of weights and biases, sign bit excluded, 0 to bits - 1")
    bias_bits: int | None = Field(None, ge=2, le=32, description="bias bits (default: bits)")
    bias_integer: int | None = Field(None, ge=0, le=31, description="bias integer bits, sign bit excluded (default: integer)")
    activation_bits: int | None = Field(None, ge=1, le=32, description="quantized_relu bits (default: bits)")
    activation_integer: int | None = Field(None, ge=0, le=32, description="quantized_relu integer bits, 0 to 32 (default: 3)")
    input: Precision = Field(FixedPrecision.parse("ap_fixed<16,6>"), description="the input type ap_fixed<W,I>, 1 <= W <= 24, I <= W; data are snapped to it")
    epochs: int = Field(10, ge=0, description="QAT epochs")
    layers: dict[str, LayerQuant] = Field(default_factory=dict, description="per-layer overrides by layer name")
    activation_range: Literal["fixed", "data"] = Field(
        "fixed", description="fixed: activation_integer everywhere; data: each ReLU's integer bits from its largest "
        "activation on the training inputs x headroom"
    )
    headroom: float | None = Field(None, ge=1.0, description="activation_range data: factor on the data's maximum (default 2)")
    activation_fractional: int | None = Field(
        None, ge=0, le=24, description="activation_range data: fractional bits kept; width = integer bits + this "
        "(default: the width stays activation_bits)"
    )

    @model_validator(mode="after")
    def _fraction_bits(self) -> QuantizeSpec:
        if self.activation_range == "data" and self.activation_integer is not None:
            raise ValueError("activation_integer and activation_range 'data' both set the ReLU integer bits "
                             "(accepted: one of them)")  # fmt: skip
        if self.activation_range == "fixed" and (self.headroom is not None or self.activation_fractional is not None):
            raise ValueError("headroom / activation_fractional apply to activation_range 'data' only "
                             "(accepted: set activation_range: data, or remove them)")  # fmt: skip
        _check_weight_bits(self.bits, self.integer)
        for name, layer in self.layers.items():
            try:
                _check_weight_bits(layer.bits or self.bits, self.integer if layer.integer is None else layer.integer)
            except ValueError as exc:
                raise ValueError(f"layers.{name}: {exc}") from None
        return self

    @property
    def act_bits(self) -> int:
        """Activation bits after defaults."""
        return self.activation_bits if self.activation_bits is not None else self.bits

    @property
    def act_integer(self) -> int:
        """Activation integer bits after defaults."""
        return self.activation_integer if self.activation_integer is not None else 3


class Backend(str, Enum):
    """hls4ml backends whose projects codesign writes."""

    VIVADO = "Vivado"
    VITIS = "Vitis"


class LayerPrecisionSpec(_Strict):
    """Per-layer hls4ml types (parsed into precision value objects here, at the edge)."""

    accum: Precision | None = Field(None, description="accumulator type, e.g. ap_fixed<32,12>")
    result: Precision | None = Field(None, description="output type (narrower than exact costs bit-exactness)")


class HlsLayerSpec(_Strict):
    """hls4ml settings of one layer, by name; unset keys follow the hls section."""

    reuse_factor: int | None = Field(None, ge=1)
    strategy: Literal["Latency", "Resource"] | None = None
    precision: LayerPrecisionSpec | None = None

    def overrides(self) -> dict:
        """The layer's entry for hls4ml's ``LayerName`` config (only what was set)."""
        out: dict = {}
        if self.reuse_factor is not None:
            out["ReuseFactor"] = self.reuse_factor
        if self.strategy is not None:
            out["Strategy"] = self.strategy
        if self.precision is not None:
            prec = {k: v.to_hls() for k, v in (("accum", self.precision.accum), ("result", self.precision.result))
                    if v is not None}  # fmt: skip
            if prec:
                out["Precision"] = prec
        return out


class HlsSpec(_Strict):
    """hls4ml conversion settings."""

    backend: Backend = Backend.VITIS
    io_type: Literal["io_parallel", "io_stream"] = "io_parallel"
    strategy: Literal["Latency", "Resource"] = "Latency"
    reuse_factor: int = Field(1, ge=1, description="an integer >= 1")
    clock_ns: float = Field(5.0, ge=CLOCK_NS_RANGE[0], le=CLOCK_NS_RANGE[1], description="clock period, 1 to 100 ns")
    parallelization_factor: int | Literal["full"] = Field(
        "full", description="io_parallel Conv1D (per-constituent) layers: outputs computed per cycle; 'full' = all (II 1)"
    )
    project_name: str = Field("myproject", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="a C identifier")
    layers: dict[str, HlsLayerSpec] = Field(default_factory=dict, description="per-layer settings by layer name")


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
    quantize: QuantizeSpec | None = QuantizeSpec()
    hls: HlsSpec = HlsSpec()
    budget: BudgetSpec = BudgetSpec()
    check: CheckSpec = CheckSpec()
    score: ScoreSpec | None = Field(None, description="the anomaly score the firmware computes (vae, ae)")
    metrics: MetricsSpec = MetricsSpec()
    part: str | None = Field(None, description="FPGA part; --part on the command line wins")

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
        if self.score is not None:
            try:
                self.score.resolved_kind(family)
            except SpecError as exc:
                raise ValueError(str(exc)) from None
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
        score = self.anomaly_score
        out["score"] = score.model_dump(mode="json") if score is not None else None
        return out


# ---------------------------------------------------------------------- hls4ml YAML configs

# The top-level keys of an hls4ml YAML config that codesign reads (the conversion in codesign/hls/
# follows them); legacy keys are read under their current name.
HLS4ML_CONFIG_KEYS = (
    "KerasJson", "KerasH5", "KerasModel", "OutputDir", "ProjectName", "Part", "ClockPeriod",
    "ClockUncertainty", "IOType", "Backend", "HLSConfig", "InputData", "OutputPredictions",
)  # fmt: skip
HLS4ML_LEGACY_KEYS = {"XilinxPart": "Part"}
HLS4ML_KEYS = set(HLS4ML_CONFIG_KEYS) | set(HLS4ML_LEGACY_KEYS)
_HLS4ML_MARKERS = {"KerasJson", "KerasH5", "KerasModel", "HLSConfig", "OutputDir"}


class Hls4mlConfig(_Strict):
    """A user's plain hls4ml YAML config, validated for its top-level keys; the rest is hls4ml's."""

    path: PathStr
    config: dict[str, Any]


def is_hls4ml_config(raw: dict) -> bool:
    """True when a YAML mapping looks like an hls4ml config rather than a codesign spec."""
    return bool(_HLS4ML_MARKERS & set(raw))


# ---------------------------------------------------------------------- loading and errors


def parse_spec(raw: Any, path: Path) -> BuildSpec | Hls4mlConfig:
    """Validate a YAML mapping read from ``path`` into a BuildSpec or an Hls4mlConfig."""
    if raw is None:
        raise SpecError(f"{path}: the file is empty (accepted: a codesign spec with name: and model:, or an hls4ml config)")
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: the top level must be a mapping of keys (name:, model:, ...), got {type(raw).__name__}")
    bad_keys = [k for k in raw if not isinstance(k, str)]
    if bad_keys:
        raise SpecError(f"{path}: top-level key {bad_keys[0]!r} is not a name (accepted: name, model, data, ... "
                        "or the keys of an hls4ml config)")  # fmt: skip
    if is_hls4ml_config(raw):
        from codesign.hls4ml_values import check_hls4ml_values

        unknown = sorted(set(raw) - HLS4ML_KEYS)
        if unknown:
            raise SpecError(
                f"{path}: unknown hls4ml config key(s) {', '.join(unknown)} "
                f"(accepted: {', '.join(sorted(HLS4ML_KEYS))})"
            )
        check_hls4ml_values(raw, path)
        return Hls4mlConfig(path=path, config=raw)
    try:
        return BuildSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(format_validation_error(path, exc, BuildSpec)) from None


def load_spec(path: str | Path) -> BuildSpec | Hls4mlConfig:
    """Read and validate a spec file; relative model/data paths are resolved against its folder."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(f"{path}: is a folder, not a spec file (accepted: a .yaml codesign spec or hls4ml config)")
    if not path.is_file():
        raise SpecError(f"{path}: spec file not found (accepted: a .yaml codesign spec or hls4ml config)")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot be read as a text file ({exc}); accepted: a UTF-8 YAML file") from None
    try:
        raw = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506  (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from None
    spec = parse_spec(raw, path)
    if isinstance(spec, BuildSpec):
        spec = _resolve_paths(spec, path.parent)
    return spec


def _resolve_paths(spec: BuildSpec, base: Path) -> BuildSpec:
    def fix(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else (base / p).resolve()

    model = spec.model.model_copy(update={"file": fix(spec.model.file), "weights": fix(spec.model.weights)})
    data = spec.data
    if data is not None and data.path is not None:
        data = data.model_copy(update={"path": fix(data.path)})
    return spec.model_copy(update={"model": model, "data": data})
