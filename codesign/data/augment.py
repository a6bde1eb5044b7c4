"""Jet-symmetry augmentation of constituent inputs (``data.augment``): reflected copies of the training jets.

A pp collision with unpolarised beams is symmetric under z -> -z (the two beams are alike) and under a mirror
through any plane that holds the beam axis; the jets' classes do not change. In the jet frame of the stored
features (``codesign/data/jets.py``: ``j1_etarel`` = eta - jet eta, ``j1_phirel`` = phi - jet phi wrapped into
[-pi, pi), both signed) these are:

- ``reflect_eta`` (z -> -z): negates ``j1_etarel``, ``j1_eta``, ``j1_pz``, ``j1_costheta``; leaves pT, E and
  their ratios, ``j1_phi`` / ``j1_phirel``, ``j1_px`` / ``j1_py``, ``j1_deltaR`` and ``j1_costhetarel`` unchanged.
  A model that sees ``j1_etarel`` but not the jet's eta sees a symmetric distribution, because the jets' eta is.
- ``reflect_phi`` (the mirror through the plane of the beam and the jet axis, y -> -y with the jet at phi 0):
  negates ``j1_phirel``, ``j1_phi``, ``j1_py``; leaves everything else unchanged.

``j1_etarot`` / ``j1_phirot`` (the frame of the pT-weighted principal axis, whose orientation is a sign
convention of an eigenvector) are not mapped: a spec that feeds them with ``data.augment`` is refused.
Only the training rows get copies; validation and test jets are never augmented.
"""

from __future__ import annotations

import itertools

import numpy as np

from codesign.errors import SpecError

# Per reflection: the features it negates, and those it leaves unchanged (public names; derived j1_pt, j1_e too).
_SCALARS = ("j1_pt", "j1_ptrel", "j1_e", "j1_erel", "j1_deltaR", "j1_costhetarel")
NEGATED: dict[str, tuple[str, ...]] = {
    "reflect_eta": ("j1_etarel", "j1_eta", "j1_pz", "j1_costheta"),
    "reflect_phi": ("j1_phirel", "j1_phi", "j1_py"),
}
UNCHANGED: dict[str, tuple[str, ...]] = {
    "reflect_eta": _SCALARS + ("j1_px", "j1_py", "j1_phi", "j1_phirel"),
    "reflect_phi": _SCALARS + ("j1_px", "j1_pz", "j1_eta", "j1_etarel", "j1_costheta"),
}
REFLECTIONS: tuple[str, ...] = tuple(NEGATED)


def check_features(augment: tuple[str, ...], names: tuple[str, ...], where: str) -> None:
    """Refuse a reflection that does not map every input feature ``names`` (raises SpecError naming them)."""
    for r in augment:
        if r not in NEGATED:
            raise SpecError(f"data.augment: {r!r} is not a known reflection (accepted: {', '.join(REFLECTIONS)})")
        unmapped = [n for n in names if n not in NEGATED[r] and n not in UNCHANGED[r]]
        if unmapped:
            raise SpecError(
                f"{where}: data.augment {r} does not map the input feature(s) {', '.join(unmapped)} (it negates "
                f"{', '.join(NEGATED[r])}; leaves {', '.join(UNCHANGED[r])} unchanged); accepted: "
                "data.constituent_features without them, or no data.augment"
            )


def signs(reflections: tuple[str, ...], names: tuple[str, ...]) -> np.ndarray:
    """[F] float32: -1 where one of ``reflections`` negates the feature, +1 elsewhere (two negations cancel)."""
    out = np.ones(len(names), dtype=np.float32)
    for r in reflections:
        out *= np.array([-1.0 if n in NEGATED[r] else 1.0 for n in names], dtype=np.float32)
    return out


def reflected_copies(x: np.ndarray, augment: tuple[str, ...], names: tuple[str, ...]) -> list[np.ndarray]:
    """The copies of ``x`` [N, n, F] (features ``names``) under every non-empty combination of ``augment``, in
    order (``[reflect_eta, reflect_phi]``: eta, phi, both): 1 or 3 arrays, row i a reflection of row i."""
    combos = [c for k in range(1, len(augment) + 1) for c in itertools.combinations(augment, k)]
    return [x * signs(c, names) for c in combos]
