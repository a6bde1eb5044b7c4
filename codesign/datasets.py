"""Turn a :class:`DataSpec` into train/test arrays that every later step shares.

The inputs are standardised (mean/std fitted on the training split) and then snapped to the firmware's
input ``ap_fixed`` grid, so that float training, QAT, the QKeras reference and the C-simulation all see
exactly the same numbers: bit-accuracy is only defined for inputs the firmware can represent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codesign.data import h5read
from codesign.data.hdf5io import interrupted_hint, refuse_incomplete, refuse_two_layouts
from codesign.data.labels import check_every_class, check_split_classes, one_hot
from codesign.data.layouts import BACKGROUND as L1_BACKGROUND
from codesign.errors import DataError, SpecError
from codesign.precision import FixedPrecision, Overflow, Rounding
from codesign.spec import DataSource, DataSpec, Family


@dataclass(frozen=True)
class Dataset:
    """Train/test split ready for training and firmware checks."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    task: str  # "classification" | "anomaly"
    source: str
    input_precision: FixedPrecision | None
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    signals: dict[str, np.ndarray] = field(default_factory=dict)  # anomaly: test inputs per signal process
    files: tuple[Path, ...] = ()
    # Per-sample float64 weights of the training and test rows (L1 files with a ``Weights`` key: the
    # background mixture's event weights); None: every sample weighs 1. Signal events weigh 1.
    weights_train: np.ndarray | None = None
    weights_test: np.ndarray | None = None
    # ``data.augment``: reflected copies of x_train (row i of each a reflection of row i), standardised and snapped
    # like it; train.fit adds them to the rows it fits on, never to its validation rows (codesign/data/augment.py)
    x_train_augmented: tuple[np.ndarray, ...] = ()
    augment: tuple[str, ...] = ()

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input sample."""
        return tuple(self.x_train.shape[1:])

    def summary(self) -> dict:
        """Sizes and provenance for the report."""
        out = {
            "source": self.source,
            "task": self.task,
            "n_train": int(len(self.x_train)),
            "n_test": int(len(self.x_test)),
            "input_shape": list(self.input_shape),
            "classes": list(self.class_names),
            "input_precision": None if self.input_precision is None else self.input_precision.to_hls(),
            "standardized": self.mean is not None,
        }
        if self.signals:
            out["signals"] = {k: int(len(v)) for k, v in self.signals.items()}
        if self.augment:
            out["augment"] = {"reflections": list(self.augment), "copies": len(self.x_train_augmented)}
        if self.weights_test is not None:
            w = self.weights_test
            out["weights"] = {"test_sum": float(w.sum()), "test_min": float(w.min()), "test_max": float(w.max()),
                              "effective_test_events": float(w.sum() ** 2 / np.sum(w * w))}
        return out


def default_source(family: Family | None) -> DataSource:
    """The shipped data set that fits a model family."""
    if family in (Family.DEEPSETS, Family.INTERACTION_NET):
        return DataSource.JETS_CONSTITUENTS
    if family in (Family.VAE, Family.AE):
        return DataSource.L1
    return DataSource.JETS_HLF


def file_digest(path: Path) -> str:
    """SHA-256 of a file (part of the build cache key)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _snap_precision(p: FixedPrecision) -> FixedPrecision:
    """The input type with round-to-nearest and saturation, used to put data on its grid."""
    return FixedPrecision(p.width, p.integer, p.signed, Rounding.RND_CONV, Overflow.SAT)


def _check_finite(x: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        idx = np.argwhere(bad)[0].tolist()
        raise DataError(f"{where}: {int(bad.sum())} NaN/Inf values (first at index {idx}); clean the file first "
                        "(accepted: finite numbers)")  # fmt: skip


MAX_ABS_INPUT = 1.0e15  # beyond this float32 sums and the standardisation lose every other value's digits
COLLAPSE_SHARE = 0.9  # a varying feature with this share of one value after snapping has lost its information


def _check_magnitude(x: np.ndarray, where: str) -> None:
    """Refuse values so large that float32 training and the standardisation cannot be trusted."""
    big = np.abs(x) >= MAX_ABS_INPUT
    if big.any():
        idx = np.argwhere(big)[0].tolist()
        raise DataError(f"{where}: {int(big.sum())} values of magnitude >= {MAX_ABS_INPUT:g} (first at index {idx}: "
                        f"{float(x[tuple(idx)]):g}); accepted: finite values below {MAX_ABS_INPUT:g}, in physical units")  # fmt: skip


def _check_resolution(raw: np.ndarray, snapped: np.ndarray, names, precision, where: str, standardized: bool) -> None:
    """Refuse a feature that varies in the data but collapses to one value on the input grid: an outlier that
    dominates the standardisation (a 1e30 among O(1) values), or an input type too coarse for the data."""
    flat_raw, flat_snap = raw.reshape(len(raw), -1), snapped.reshape(len(snapped), -1)
    if len(flat_raw) < 2:
        return
    for col in range(flat_raw.shape[1]):
        _, raw_counts = np.unique(flat_raw[:, col], return_counts=True)
        if raw_counts.max() / len(flat_raw) > 0.5:
            continue  # mostly one value already in the data (padding, a constant feature): nothing is lost
        _, counts = np.unique(flat_snap[:, col], return_counts=True)
        share = counts.max() / len(flat_snap)
        if share >= COLLAPSE_SHARE:
            name = names[col] if col < len(names) else f"#{col}"
            row = int(np.argmax(np.abs(flat_raw[:, col])))
            scaled = "after standardisation " if standardized else ""
            raise DataError(
                f"{where}: feature '{name}' varies in the data but {share:.1%} of its training values become one "
                f"value {scaled}on the input grid {precision.to_hls()} (largest |x| {float(np.abs(flat_raw[row, col])):.3g} "
                f"in training row {row}): an outlier dominates the scale, or the input type is too coarse; accepted: "
                "data without extreme outliers, on a scale the input type resolves"
            )


def _read_keys(path: Path, inputs: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
    with h5read.open_file(path) as fh:
        refuse_incomplete(path, fh)
        for key, spec_key in ((inputs, "data.inputs"), (labels, "data.labels")):
            h5read.dataset(path, fh, key, spec_key)
        kind = fh[inputs].dtype.kind
        if kind not in "biuf":  # a complex array would lose its imaginary part in the cast, text cannot be cast
            raise DataError(f"{path}: key '{inputs}' holds {fh[inputs].dtype} values (accepted: real numbers: "
                            "float, integer or bool)")  # fmt: skip
        raw = h5read.values(path, fh[inputs], inputs)
        y = np.asarray(h5read.values(path, fh[labels], labels, numeric=False))  # text labels: refused below, named
    if kind == "f":  # before the float32 cast, which turns a finite 1e40 into inf
        _check_magnitude(np.where(np.isfinite(raw), raw, 0), f"{path}: key '{inputs}'")
    x = np.asarray(raw, dtype=np.float32)
    if x.ndim < 2 or len(x) == 0 or x[0].size == 0:
        raise DataError(f"{path}: key '{inputs}' has shape {x.shape} (accepted: samples x features, at least one "
                        "sample and one feature)")  # fmt: skip
    if y.ndim == 0:
        raise DataError(f"{path}: key '{labels}' is a single value, not one label per sample (accepted: integer "
                        "class indices or one-hot rows, one per sample)")  # fmt: skip
    if len(y) != len(x):
        raise DataError(f"{path}: key '{labels}' has {len(y)} labels but key '{inputs}' has {len(x)} samples "
                        "(accepted: one label per sample)")  # fmt: skip
    if y.ndim > 2 or not np.issubdtype(y.dtype, np.number) or not np.isfinite(y).all():
        raise DataError(f"{path}: key '{labels}' must hold finite numeric labels, one per sample (integer class "
                        f"indices or one-hot rows); got dtype {y.dtype}, shape {y.shape}")  # fmt: skip
    return x, y


def _split(n: int, n_train: int, n_test: int, seed: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    if n_train + n_test > n:
        raise SpecError(
            f"data.n_train + data.n_test = {n_train + n_test} but {where} holds only {n} samples; lower them "
            f"(accepted: n_train + n_test <= {n})"
        )
    order = np.random.default_rng(seed).permutation(n)
    return order[:n_train], order[n_train : n_train + n_test]


def _constituent_inputs(path: Path, sample, features: tuple[str, ...] | None, where: str):
    """The per-constituent inputs and their names: every stored feature, or ``data.constituent_features``."""
    from codesign.data.constituents import jet_columns_needed, select_features
    from codesign.data.hdf5io import read_jet_table

    stored = tuple(sample.constituent_names)
    if features is None:
        return sample.constituents.astype(np.float32), stored
    jet = {}
    need = jet_columns_needed(tuple(features), stored)
    if need:
        table, columns = read_jet_table(path)
        jet = {c: table[:, columns.index(c)] for c in need if c in columns}
    return select_features(sample.constituents, stored, tuple(features), jet, where), tuple(features)


def load_dataset(spec: DataSpec | None, family: Family | None, input_precision: FixedPrecision | None) -> Dataset:
    """Read, split, standardise and snap the data a build trains and checks on."""
    from codesign import data as jetdata

    spec = spec or DataSpec()
    source = spec.source if spec.path is None else None
    if source is None and spec.path is None:
        source = default_source(family)
    signals: dict[str, np.ndarray] = {}
    weights: np.ndarray | None = None
    bounds: np.ndarray | None = None
    if spec.path is not None:
        path = Path(spec.path)
        if path.is_dir():  # was 'not found'
            raise DataError(f"data.path: {path} is a folder, not a file (accepted: an existing HDF5 file, relative "
                            "paths from the spec's folder)")  # fmt: skip
        if not path.is_file():
            raise DataError(f"data.path: file {path} not found{interrupted_hint(path)} (accepted: an existing HDF5 "
                            "file, relative paths from the spec's folder)")  # fmt: skip
        where = str(path)
        if spec.inputs is not None:
            x, y = _read_keys(path, spec.inputs, spec.labels or "")
            y = one_hot(y, where)
            names = tuple(f"x{i}" for i in range(int(np.prod(x.shape[1:]))))
            classes = tuple(str(i) for i in range(y.shape[1]))
            task = "classification"
        else:
            with h5read.open_file(path) as fh:
                refuse_incomplete(path, fh)
                keys = set(fh.keys())
            refuse_two_layouts(path, keys)
            if "Particles" in keys:
                source = DataSource.L1
            elif "jets" in keys or "hlf" in keys:
                # a constituent family, or a key only constituents read (an mlp on constituents asks with it)
                wants = (family in (Family.DEEPSETS, Family.INTERACTION_NET) or spec.constituent_features is not None
                         or "n_constituents" in spec.model_fields_set)  # fmt: skip
                source = DataSource.JETS_CONSTITUENTS if wants else DataSource.JETS_HLF
            else:
                raise DataError(
                    f"{path}: not a jet file (key 'jets'), an L1 file (key 'Particles'), and no 'inputs:'/'labels:' "
                    f"keys were given in the spec (keys in file: {', '.join(sorted(keys))}; accepted: data.inputs and "
                    "data.labels naming your keys)"
                )
    else:
        path = jetdata.SHIPPED_L1 if source == DataSource.L1 else jetdata.SHIPPED_JETS
        where = f"shipped sample {path}"
        if not path.is_file():
            raise DataError(f"{where} is missing; regenerate it with the command in models/data/README.md")

    if spec.path is None or spec.inputs is None:
        if source == DataSource.L1:
            from codesign import l1_inputs

            pt_scale = spec.pt_scale or "log"
            sample = jetdata.read_l1(path)
            bkg = sample.background()
            if len(bkg.particles) == 0:  # an anomaly model trains on the background alone
                present = ", ".join(sample.signal_names) or "none"
                raise DataError(f"{where}: no background events (Process '{L1_BACKGROUND}'; processes present: "
                                f"{present}): an anomaly model trains on the background (accepted: an L1 file with "
                                "background events, e.g. `codesign data l1 --process background,...`)")  # fmt: skip
            x = l1_inputs.l1_features(bkg.particles, pt_scale)
            y = np.zeros((len(x), 1), dtype=np.float32)
            names = l1_inputs.feature_names(pt_scale)
            classes = ("background",)
            task = "anomaly"
            weights = None if bkg.weights is None else bkg.event_weights
            bounds = l1_inputs.physical_bounds(pt_scale)
            for name in sample.signal_names:
                signals[name] = l1_inputs.l1_features(sample.select(name).particles, pt_scale)
        elif source == DataSource.JETS_CONSTITUENTS:
            sample = jetdata.read_jets(path, n_constituents=spec.n_constituents)
            if sample.constituents is None:
                raise DataError(f"{where}: has no constituents (key jetConstituentList) for a constituent model")
            x, names = _constituent_inputs(path, sample, spec.constituent_features, where)
            y, classes, task = sample.labels.astype(np.float32), tuple(sample.class_names), "classification"
        else:
            sample = jetdata.read_jets(path)
            x, y = sample.hlf.astype(np.float32), sample.labels.astype(np.float32)
            names, classes, task = tuple(sample.hlf_names), tuple(sample.class_names), "classification"
        if task == "classification":  # the jet layout's five label columns: each class needs its jets
            check_every_class(y.sum(axis=0) > 0, where, f"jets of every class ({', '.join(classes)})", classes)

    if family in (Family.VAE, Family.AE) and task != "anomaly":  # it would fit one-hot labels with a reconstruction
        raise SpecError(f"model.family '{family.value}' is an anomaly model: it trains on background events and is "
                        f"scored against signal processes, but {where} holds {task} data ({len(classes)} classes); "
                        "accepted: L1 data (data.source l1, or data.path to a file with key 'Particles'), or a "
                        "classifier family (mlp, deepsets, interaction_net) for these data")  # fmt: skip
    if "n_constituents" in spec.model_fields_set and source != DataSource.JETS_CONSTITUENTS:  # given, never read
        other = "" if spec.path is not None else ", or set data.source: jets_constituents"
        raise SpecError(f"data.n_constituents applies to constituent inputs (deepsets, interaction_net, an mlp on "
                        f"jets_constituents); {where} is read as {source.value if source else 'a user array'}, "
                        f"so it would be dropped (accepted: remove the key{other})")  # fmt: skip
    if spec.constituent_features is not None and source != DataSource.JETS_CONSTITUENTS:
        raise SpecError(f"data.constituent_features applies to constituent models (deepsets, interaction_net) on a jet "
                        f"file; {where} is read as {source.value if source else 'a user array'} (remove the key)")  # fmt: skip
    if spec.augment:
        from codesign.data.augment import check_features

        if source != DataSource.JETS_CONSTITUENTS:
            raise SpecError(f"data.augment applies to constituent models (deepsets, interaction_net) on a jet file; "
                            f"{where} is read as {source.value if source else 'a user array'} (remove the key)")  # fmt: skip
        check_features(tuple(spec.augment), tuple(names), where)
    if spec.pt_scale is not None and bounds is None:
        raise SpecError(f"data.pt_scale applies to L1 data only; {where} is not an L1 file (remove the key)")
    _check_finite(x, f"{where}: inputs")
    _check_magnitude(x, f"{where}: inputs")
    tr, te = _split(len(x), spec.n_train, spec.n_test, spec.seed, where)
    if weights is not None:  # each part's weights must count for something: a weighted loss or mean of all 0 is 0/0
        for rows, key in ((tr, "n_train"), (te, "n_test")):
            if not weights[rows].any():
                raise DataError(f"{where}: key 'Weights': every background event of the {len(rows)} rows of data.{key} "
                                f"weighs 0 (split by data.seed {spec.seed}): nothing would train or be scored (accepted: "
                                "weights > 0 on some background events of each part)")  # fmt: skip
    if task == "classification":
        check_split_classes(y, tr, te, classes, where, spec.seed)
    x_train, x_test = x[tr], x[te]
    copies: list[np.ndarray] = []
    if spec.augment:
        from codesign.data.augment import reflected_copies

        copies = reflected_copies(x_train, tuple(spec.augment), tuple(names))
    mean = std = None
    if spec.standardize:
        axes = tuple(range(x_train.ndim - 1))
        mean = x_train.mean(axis=axes, dtype=np.float64)
        std = x_train.std(axis=axes, dtype=np.float64)
        if bounds is not None and input_precision is not None:
            from codesign.l1_inputs import HEADROOM, floored_std

            # rarely filled slots keep a spread that maps every physical value inside the input type; a slot the
            # training rows never fill (spread 0) gets that floor too, so its scale does not depend on whether the
            # sample holds one such event (1.0 before: a 4th electron weighed 3.5x less in a file without one)
            std = floored_std(std, mean, bounds.reshape(std.shape), HEADROOM * float(input_precision.max_value))
        std = np.where(std > 0, std, 1.0)
        x_train = (x_train - mean) / std
        x_test = (x_test - mean) / std
        copies = [(c - mean) / std for c in copies]
        signals = {k: (v - mean) / std for k, v in signals.items()}
    if input_precision is not None:
        snap = _snap_precision(input_precision)
        x_train, x_test = snap.quantize(x_train), snap.quantize(x_test)
        copies = [snap.quantize(c) for c in copies]
        signals = {k: snap.quantize(v) for k, v in signals.items()}
        _check_resolution(x[tr], x_train, names, input_precision, where, spec.standardize)
    return Dataset(
        x_train=np.asarray(x_train, dtype=np.float32),
        y_train=y[tr],
        x_test=np.asarray(x_test, dtype=np.float32),
        y_test=y[te],
        feature_names=names,
        class_names=classes,
        task=task,
        source=where,
        input_precision=input_precision,
        mean=mean,
        std=std,
        signals={k: np.asarray(v, dtype=np.float32) for k, v in signals.items()},
        files=(path,),
        weights_train=None if weights is None else weights[tr],
        weights_test=None if weights is None else weights[te],
        x_train_augmented=tuple(np.asarray(c, dtype=np.float32) for c in copies),
        augment=tuple(spec.augment),
    )
