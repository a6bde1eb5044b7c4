"""Per-constituent model inputs: the features a spec asks for (``data.constituent_features``), stored or derived.

The shipped jets store scale-free features (``j1_ptrel`` = pT / jet pT, ``j1_erel`` = E / jet E, angles
relative to the jet axis). A tagger that sees only those cannot tell a jet's mass from its mass over pT, so
the constituent pT and energy in GeV can be derived from them and the jet's kinematics, exactly as the
generator computed the ratios (the jet's pT and energy are those of the sum of all its constituents):

- ``j1_pt`` = ``j1_ptrel`` x ``j_pt``
- ``j1_e`` = ``j1_erel`` x E_jet, E_jet = sqrt(``j_mass``^2 + (``j_pt`` cosh ``j_eta``)^2)

A feature the file stores is taken as stored (the public files store ``j1_pt`` and ``j1_e``). Padding rows
(every stored feature 0) stay 0.
"""

from __future__ import annotations

import numpy as np

from codesign.errors import DataError

# Derived feature -> (the stored constituent feature it scales, the jet columns it needs).
DERIVED: dict[str, tuple[str, tuple[str, ...]]] = {
    "j1_pt": ("j1_ptrel", ("j_pt",)),
    "j1_e": ("j1_erel", ("j_pt", "j_eta", "j_mass")),
}


def jet_columns_needed(features: tuple[str, ...], stored: tuple[str, ...]) -> tuple[str, ...]:
    """The jet-level columns the derived features among ``features`` need (none when all are stored)."""
    need: list[str] = []
    for name in features:
        if name not in stored and name in DERIVED:
            need += [c for c in DERIVED[name][1] if c not in need]
    return tuple(need)


def jet_energy(jet: dict[str, np.ndarray]) -> np.ndarray:
    """Jet energy in GeV from its pT, pseudorapidity and mass (float64)."""
    pt, eta, mass = (np.asarray(jet[k], dtype=np.float64) for k in ("j_pt", "j_eta", "j_mass"))
    return np.sqrt(mass * mass + (pt * np.cosh(eta)) ** 2)


def select_features(
    constituents: np.ndarray, names: tuple[str, ...], features: tuple[str, ...], jet: dict[str, np.ndarray],
    where: str,
) -> np.ndarray:
    """``constituents`` [N, n, F] (columns ``names``) -> [N, n, len(features)] float32, derived ones computed
    from the jet columns in ``jet`` (arrays [N] by public name)."""
    cols = []
    for name in features:
        if name in names:
            cols.append(constituents[:, :, names.index(name)].astype(np.float64))
            continue
        if name not in DERIVED or DERIVED[name][0] not in names:
            derivable = [d for d, (base, _) in DERIVED.items() if base in names]
            raise DataError(
                f"{where}: data.constituent_features names {name!r}, which the file neither stores nor can derive "
                f"(accepted: the stored {', '.join(names)}"
                + (f", or {', '.join(derivable)} derived from them" if derivable else "") + ")"
            )
        base, needs = DERIVED[name]
        missing = [c for c in needs if c not in jet]
        if missing:
            raise DataError(f"{where}: deriving {name!r} needs the jet columns {', '.join(missing)} (key 'jets'), "
                            "which the file lacks; accepted: a file that stores them or the feature itself")  # fmt: skip
        scale = np.asarray(jet["j_pt"], dtype=np.float64) if name == "j1_pt" else jet_energy(jet)
        cols.append(constituents[:, :, names.index(base)].astype(np.float64) * scale[:, None])
    return np.stack(cols, axis=2).astype(np.float32)
