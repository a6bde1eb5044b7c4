"""In-memory samples handed to the rest of codesign: labelled jets and L1 events."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from codesign.data.layouts import BACKGROUND, CLASS_NAMES


@dataclass(frozen=True)
class JetSample:
    """Labelled jets: 16 high-level features, optional constituents, one-hot labels over 5 classes."""

    hlf: np.ndarray  # [N, 16] float32
    hlf_names: tuple[str, ...]
    constituents: np.ndarray | None  # [N, n_const, n_feat] float32, pT-ordered, zero-padded
    constituent_names: tuple[str, ...]
    labels: np.ndarray  # [N, 5] one-hot float32
    class_names: tuple[str, ...] = CLASS_NAMES
    source: str = ""

    def __post_init__(self) -> None:
        if self.hlf.ndim != 2 or self.hlf.shape[1] != len(self.hlf_names):
            raise ValueError(f"hlf has shape {self.hlf.shape}, expected [N, {len(self.hlf_names)}]")
        if self.labels.shape != (len(self.hlf), len(self.class_names)):
            raise ValueError(
                f"labels have shape {self.labels.shape}, expected {(len(self.hlf), len(self.class_names))}"
            )
        if self.constituents is not None and (
            self.constituents.ndim != 3
            or len(self.constituents) != len(self.hlf)
            or self.constituents.shape[2] != len(self.constituent_names)
        ):
            raise ValueError(
                f"constituents have shape {self.constituents.shape}, expected "
                f"[{len(self.hlf)}, n_const, {len(self.constituent_names)}]"
            )

    def __len__(self) -> int:
        return len(self.hlf)

    @property
    def class_index(self) -> np.ndarray:
        """Integer class of each jet (argmax of the one-hot labels)."""
        return np.argmax(self.labels, axis=1)

    def feature(self, name: str) -> np.ndarray:
        """One high-level feature column by its public name."""
        if name not in self.hlf_names:
            raise KeyError(f"no high-level feature {name!r}; available: {', '.join(self.hlf_names)}")
        return self.hlf[:, self.hlf_names.index(name)]

    def subset(self, index: np.ndarray) -> JetSample:
        """The jets at the given indices (or boolean mask)."""
        return JetSample(
            hlf=self.hlf[index],
            hlf_names=self.hlf_names,
            constituents=None if self.constituents is None else self.constituents[index],
            constituent_names=self.constituent_names,
            labels=self.labels[index],
            class_names=self.class_names,
            source=self.source,
        )



@dataclass(frozen=True)
class L1Sample:
    """L1 events in the ADC2021 layout, each tagged with the process it was generated from."""

    particles: np.ndarray  # [N, 19, 4] float32: pT, eta, phi, type
    process: np.ndarray  # [N] int codes into process_names
    process_names: tuple[str, ...]
    subprocess: np.ndarray | None = None  # [N] int codes into subprocess_names (background mixture)
    subprocess_names: tuple[str, ...] = field(default_factory=tuple)
    source: str = ""
    weights: np.ndarray | None = None  # [N] float64 per-event weights (None: every event weighs 1)

    def __post_init__(self) -> None:
        if self.particles.ndim != 3 or self.particles.shape[1:] != (19, 4):
            raise ValueError(f"particles have shape {self.particles.shape}, expected [N, 19, 4]")
        if self.process.shape != (len(self.particles),):
            raise ValueError(f"process has shape {self.process.shape}, expected ({len(self.particles)},)")
        if self.weights is not None and self.weights.shape != (len(self.particles),):
            raise ValueError(f"weights have shape {self.weights.shape}, expected ({len(self.particles)},)")

    @property
    def event_weights(self) -> np.ndarray:
        """Per-event weights as float64 (ones when the file has none)."""
        if self.weights is None:
            return np.ones(len(self.particles), dtype=np.float64)
        return np.asarray(self.weights, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.particles)

    def mask(self, process: str) -> np.ndarray:
        """Boolean mask of the events of one process."""
        if process not in self.process_names:
            raise KeyError(f"no process {process!r}; available: {', '.join(self.process_names)}")
        return self.process == self.process_names.index(process)

    def select(self, process: str) -> L1Sample:
        """The events of one process."""
        return self.subset(self.mask(process))

    def background(self) -> L1Sample:
        """The Standard Model background events."""
        return self.select(BACKGROUND)

    @property
    def signal_names(self) -> tuple[str, ...]:
        """Processes present in the sample other than the background."""
        present = set(np.unique(self.process).tolist())
        return tuple(n for i, n in enumerate(self.process_names) if n != BACKGROUND and i in present)

    def subset(self, index: np.ndarray) -> L1Sample:
        """The events at the given indices (or boolean mask)."""
        return L1Sample(
            particles=self.particles[index],
            process=self.process[index],
            process_names=self.process_names,
            subprocess=None if self.subprocess is None else self.subprocess[index],
            subprocess_names=self.subprocess_names,
            source=self.source,
            weights=None if self.weights is None else self.weights[index],
        )

    def flat(self) -> np.ndarray:
        """Events flattened to [N, 57] (pT, eta, phi per slot, type dropped), as AE inputs are usually fed."""
        return self.particles[:, :, :3].reshape(len(self.particles), -1)
