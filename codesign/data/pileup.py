"""Pileup for L1 events: minimum-bias interactions overlaid on each hard event before reconstruction.

Each chunk generates its own pool of ``pool`` inelastic minimum-bias events (Pythia ``SoftQCD:inelastic``, the
chunk's own seed, so the output does not depend on the worker count) and every hard event that reaches the
detector model gets k ~ Poisson(mu) of them, drawn with replacement, their visible final-state particles
appended to its own. The detector model then sees them everywhere a real trigger would, with no mitigation: in
the lepton isolation sums, in the anti-kT jets (pileup jets above the jet threshold appear) and in the MET
(its vector sum and its resolution term, which grows with the scalar sum of E_T), unless a mitigation is asked
for (:mod:`codesign.data.pileup_mitigation`): each pool particle carries whether it is charged (from Pythia's
particle data), so that charged-hadron subtraction can find the charged pileup.

A pool is a premixing library in miniature: two events of a chunk share on average mu^2 / pool of their pileup
interactions, so the pileup of two events is correlated by about mu / pool (0.06 at mu 60 with a pool of 1000).
Minimum-bias generation costs about 5-25 ms per event here, so a pool of 1000 adds 5-25 s per chunk. The
minimum-bias generator is initialised once per process (its MPI set-up takes 5-25 s) and reseeded for each
chunk's pool: a reseeded generator gives the same events as a fresh one with that seed, whatever it made before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from codesign.data.pythia import CHARGE, chunk_seed, final_state, make_pythia
from codesign.errors import DataError

MINIMUM_BIAS = ("SoftQCD:inelastic = on",)
#: salt of the pool's Pythia seed, so that it differs from the hard process's seed of the same chunk
POOL_SALT = 0x5EED
_GENERATORS: dict[float, Any] = {}  # an initialised minimum-bias generator per collision energy, in this process


def minimum_bias(seed: int, e_cm: float) -> Any:
    """This process's minimum-bias Pythia at ``e_cm`` (initialised on first use), reseeded with ``seed``."""
    if e_cm not in _GENERATORS:
        _GENERATORS[e_cm] = make_pythia(MINIMUM_BIAS, POOL_SALT, e_cm)
    pythia = _GENERATORS[e_cm]
    pythia.rndm.init(seed)
    return pythia


@dataclass(frozen=True)
class PileupOverlay:
    """A chunk's pool of minimum-bias events and the mean number overlaid on each hard event."""

    mu: float
    events: tuple[np.ndarray, ...]  # visible final-state particles of each pool event, [n_i, 5] (pythia.final_state)
    charged: tuple[np.ndarray, ...]  # [n_i] bool per pool event: the particle has a non-zero electric charge

    def __post_init__(self) -> None:
        """Check that every pool event has one charge flag per particle."""
        shapes = [(len(e), c.shape) for e, c in zip(self.events, self.charged, strict=False)]
        if len(self.events) != len(self.charged) or any(c != (n,) for n, c in shapes):
            raise DataError("a pileup pool needs one charge flag per particle of each event")

    @classmethod
    def generate(cls, mu: float, pool: int, seed: int, e_cm: float) -> PileupOverlay:
        """Generate the pool (``pool`` events with Pythia seeded from ``seed``)."""
        if mu < 0 or not np.isfinite(mu):
            raise DataError(f"pileup mean must be a finite number >= 0 (got {mu})")
        if pool < 1:
            raise DataError(f"the pileup pool needs at least 1 event (got {pool})")
        pythia = minimum_bias(chunk_seed(seed, POOL_SALT), e_cm)
        events: list[np.ndarray] = []
        failures = 0
        while len(events) < pool:
            if pythia.next():
                events.append(final_state(pythia.event, with_charge=True))
            else:
                failures += 1
                if failures > 10 * pool + 100:
                    raise DataError(f"minimum-bias generation failed {failures} times for a pool of {pool}")
        return cls(float(mu), tuple(e[:, :CHARGE] for e in events), tuple(e[:, CHARGE] != 0 for e in events))

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """Indices of the pool events overlaid on one hard event (k ~ Poisson(mu), with replacement)."""
        k = int(rng.poisson(self.mu))
        return rng.integers(0, len(self.events), size=k)

    def overlay(self, particles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The hard event's particles followed by those of its pileup interactions."""
        return self.overlay_tagged(particles, rng)[0]

    def overlay_tagged(self, particles: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`overlay`, and a mask of its rows that are charged pileup particles (the same draws)."""
        picks = self.draw(rng)
        hard = np.zeros(len(particles), dtype=bool)
        if len(picks) == 0:
            return particles, hard
        overlaid = np.concatenate([particles, *[self.events[i] for i in picks]], axis=0)
        return overlaid, np.concatenate([hard, *[self.charged[i] for i in picks]])
