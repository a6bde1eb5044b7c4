"""The spec's data, model, train and prune sections: what is trained, on what, and how it is pruned."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import Field, model_validator

from codesign.spec.fields import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LAYER_SIZE, PathStr, Seed, Size, _Strict


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
    constituent_features: tuple[str, ...] | None = Field(
        None,
        min_length=1,
        description="constituent models only: per-constituent features in this order, stored in the file or derived "
        "(j1_pt, j1_e in GeV from j1_ptrel / j1_erel and the jet); default: every stored feature",
    )
    augment: tuple[Literal["reflect_eta", "reflect_phi"], ...] = Field(
        (),
        description="constituent models only: add reflected copies of the training jets (reflect_eta: eta_rel -> "
        "-eta_rel, reflect_phi: phi_rel -> -phi_rel; both: 4 copies of each jet); validation and test untouched",
    )
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
        features = self.constituent_features or ()
        twice = sorted({f for f in features if features.count(f) > 1})
        if twice:  # a second copy of a column adds no information and changes every model's input width
            raise ValueError(f"constituent_features names {', '.join(map(repr, twice))} more than once (accepted: "
                             "each feature once, in the order the model reads them)")  # fmt: skip
        if len(set(self.augment)) != len(self.augment):
            raise ValueError(f"'augment' names a reflection twice ({', '.join(self.augment)}); accepted: each of "
                             "reflect_eta, reflect_phi at most once")  # fmt: skip
        return self


class Family(str, Enum):
    """Model families codesign can build from a spec."""

    MLP = "mlp"
    DEEPSETS = "deepsets"
    INTERACTION_NET = "interaction_net"
    VAE = "vae"
    AE = "ae"


# the keys that shape each family's network; a key given for another family (or with a model file) is refused
FAMILY_KEYS = {
    Family.MLP: ("hidden", "batchnorm"),
    Family.DEEPSETS: ("phi", "rho", "aggregation", "batchnorm"),
    Family.INTERACTION_NET: ("phi", "rho", "node", "aggregation", "batchnorm"),
    Family.VAE: ("encoder", "decoder", "latent_dim", "beta", "batchnorm"),
    Family.AE: ("encoder", "decoder", "latent_dim", "batchnorm"),
}
SHAPE_KEYS = tuple(dict.fromkeys(k for keys in FAMILY_KEYS.values() for k in keys))

_SIZES = f"a list of layer sizes, positive integers up to {MAX_LAYER_SIZE}"
_SIZES_ONE = f"{_SIZES}, at least one"


class ModelSpec(_Strict):
    """The network: a family with its sizes, or the user's own model file."""

    family: Family | None = None
    hidden: tuple[Size, ...] = Field((64, 32, 32), min_length=1, description=_SIZES_ONE)
    activation: Literal["relu"] = "relu"
    phi: tuple[Size, ...] = Field((32, 32), min_length=1, description=_SIZES_ONE)
    rho: tuple[Size, ...] = Field((32,), description=_SIZES)
    node: tuple[Size, ...] | None = Field(
        None, min_length=1, description=f"interaction_net only: the node network's layer sizes, positive integers up to {MAX_LAYER_SIZE} "
        "(default: phi's, the edge network's)"
    )  # fmt: skip
    aggregation: Literal["mean", "max"] = "mean"
    latent_dim: int = Field(
        3, gt=0, le=MAX_LAYER_SIZE, description=f"VAE latent dimensions, a positive integer up to {MAX_LAYER_SIZE}"
    )
    beta: float = Field(1.0, ge=0, description="VAE: weight of the KL term (beta-VAE)")
    encoder: tuple[Size, ...] = Field((32, 16), min_length=1, description=_SIZES_ONE)
    decoder: tuple[Size, ...] = Field((16, 32), min_length=1, description=_SIZES_ONE)
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
        if self.node is not None and self.family != Family.INTERACTION_NET:
            what = f"model.family {self.family.value}" if self.family is not None else "a model 'file'"
            raise ValueError(f"'node' sizes the node network of model.family interaction_net, not of {what}; "
                             "remove it (phi, rho or hidden size the other families)")  # fmt: skip
        unused = [k for k in SHAPE_KEYS if k in self.model_fields_set and k not in FAMILY_KEYS.get(self.family, ())]
        if unused:
            what = f"model.family {self.family.value}" if self.family is not None else "a model 'file'"
            takes = (f"it takes {', '.join(FAMILY_KEYS[self.family])}" if self.family is not None else
                     "the file sets the network")  # fmt: skip
            raise ValueError(f"{', '.join(map(repr, unused))} {'does' if len(unused) == 1 else 'do'} not shape {what} "
                             f"and would be ignored ({takes}); remove {'it' if len(unused) == 1 else 'them'}")  # fmt: skip
        return self


class TrainSpec(_Strict):
    """Float training (Adam, early stopping on the validation loss)."""

    epochs: int = Field(15, ge=0, le=MAX_EPOCHS, description=f"an integer from 0 to {MAX_EPOCHS}")
    batch_size: int = Field(1024, gt=0, le=MAX_BATCH_SIZE, description=f"an integer from 1 to {MAX_BATCH_SIZE}")
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
    epochs: int = Field(5, ge=1, le=MAX_EPOCHS, description=f"fine-tuning epochs while pruning, 1 to {MAX_EPOCHS}")
    begin_fraction: float = Field(0.0, ge=0, le=1, description="start of the schedule, as a fraction of the steps")
    end_fraction: float = Field(0.7, gt=0, le=1, description="target reached at this fraction of the steps")
    frequency: int = Field(50, gt=0, description="pruning steps between mask updates")
    layers: dict[str, float] = Field(
        default_factory=dict,
        description="per-layer target sparsity by layer name, overriding `sparsity` for those layers (0: left "
        "dense), each in [0, 1)",
    )

    distill: bool = Field(
        False,
        description="anomaly models: fine-tune while pruning toward the float model's outputs on the training inputs "
        "(the AE's reconstruction; the VAE's z_mean and z_log_var, its decoder keeping its own target)",
    )
    distill_widen: Literal["none", "scale", "noise", "mix"] = Field(
        "none",
        description="with distill: one widened copy of the training background added to the distillation set, made "
        "without any signal (scale: features x U(1, 3) per event; noise: Gaussian noise of 1-3 sigma added; mix: "
        "each feature from another random event); none: the training background only",
    )
    distill_background: Literal["teacher", "own"] = Field(
        "teacher",
        description="with distill_widen: teacher: every event fits the float model's outputs; own: the background "
        "keeps the model's own loss and only the widened copies fit the float model's outputs",
    )

    @model_validator(mode="after")
    def _layer_targets(self) -> PruneSpec:
        bad = {k: v for k, v in self.layers.items() if not 0 <= v < 1}
        if bad:
            raise ValueError(f"prune.layers: each sparsity must be in [0, 1), got {bad}")
        if self.end_fraction <= self.begin_fraction:
            raise ValueError(f"prune.end_fraction {self.end_fraction} is not after prune.begin_fraction "
                             f"{self.begin_fraction}: the schedule would have no step to prune over (accepted: "
                             "begin_fraction < end_fraction, both in [0, 1])")  # fmt: skip
        if self.distill and not self.enabled:
            raise ValueError("prune.distill changes the pruning fine-tune, and pruning is off (prune.sparsity 0 and "
                             "no prune.layers target above 0); accepted: prune.sparsity > 0 with it, or remove "
                             "prune.distill")  # fmt: skip
        if self.distill_widen != "none" and not self.distill:
            raise ValueError(f"prune.distill_widen: {self.distill_widen!r} widens the distillation set, and "
                             "prune.distill is false (accepted: set prune.distill: true, or distill_widen: none)")  # fmt: skip
        if self.distill_background == "own" and self.distill_widen == "none":
            raise ValueError("prune.distill_background: 'own' keeps the background's own loss and distills only the "
                             "widened copies, and prune.distill_widen is none (accepted: distill_widen scale, noise or "
                             "mix, or distill_background: teacher)")  # fmt: skip
        return self

    @property
    def enabled(self) -> bool:
        """True when pruning is asked for: a model-wide target, or a per-layer target above 0 in prune.layers."""
        return self.sparsity > 0 or any(v > 0 for v in self.layers.values())
