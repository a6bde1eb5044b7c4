"""The one place that drives Pythia8: build a seeded, quiet generator and read final-state particles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from codesign.errors import DataError

# Pythia accepts seeds in [1, 900000000].
MAX_PYTHIA_SEED = 900_000_000

QUIET = (
    "Print:quiet = on",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Init:showChangedSettings = off",
    "Init:showProcesses = off",
)

# Columns of the arrays returned by :func:`final_state`.
PX, PY, PZ, E, PID, CHARGE = range(6)  # CHARGE only with final_state(with_charge=True)


def make_pythia(settings: Iterable[str], seed: int, e_cm: float = 13000.0) -> Any:
    """A Pythia8 generator for pp at e_cm GeV with the given settings and seed, initialised."""
    import pythia8mc

    if not 1 <= seed <= MAX_PYTHIA_SEED:
        raise DataError(f"Pythia seed {seed} is out of range: accepted 1..{MAX_PYTHIA_SEED}")
    pythia = pythia8mc.Pythia("", False)
    lines = [*QUIET, f"Beams:eCM = {e_cm}", "Random:setSeed = on", f"Random:seed = {seed}", *settings]
    for line in lines:
        if not pythia.readString(line):
            raise DataError(f"Pythia rejected the setting {line!r}")
    if not pythia.init():
        raise DataError(f"Pythia failed to initialise with settings {list(settings)}")
    return pythia


def final_state(event: Any, visible_only: bool = True, with_charge: bool = False) -> np.ndarray:
    """Final-state particles of a Pythia event as float64 [n, 5]: px, py, pz, E, PDG id (and a 6th
    column, the electric charge, with ``with_charge``)."""
    if with_charge:
        rows = [
            (p.px(), p.py(), p.pz(), p.e(), p.id(), p.charge())
            for p in event
            if p.isFinal() and (p.isVisible() or not visible_only)
        ]
    else:
        rows = [
            (p.px(), p.py(), p.pz(), p.e(), p.id())
            for p in event
            if p.isFinal() and (p.isVisible() or not visible_only)
        ]
    if not rows:
        return np.zeros((0, 6 if with_charge else 5))
    return np.asarray(rows, dtype=np.float64)


def has_final_lepton(event: Any, pt_min: float) -> bool:
    """Whether a Pythia event has a final-state electron or muon with pT > pt_min GeV.

    A cheaper pass than :func:`final_state` (one call per particle for all but the leptons), used to drop
    the events that cannot fire a lepton trigger before their particles are copied out.
    """
    return any(p.idAbs() in (11, 13) and p.isFinal() and p.pT() > pt_min for p in event)


def chunk_seed(base_seed: int, *keys: int) -> int:
    """A Pythia seed derived from the user seed and chunk keys, independent of worker count."""
    state = np.random.SeedSequence([int(base_seed), *[int(k) for k in keys]]).generate_state(1)[0]
    return int(state % (MAX_PYTHIA_SEED - 1)) + 1
