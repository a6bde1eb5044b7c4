"""Jet substructure observables in vectorised numpy: energy correlation functions, N-subjettiness, zlogz.

Conventions follow the FastJet contrib ``EnergyCorrelator`` / ``Nsubjettiness`` packages with the
``pt_R`` measure, so numbers are comparable with the public hls4ml jet data set:

- momentum fractions ``z_i = pT_i / sum_j pT_j`` and angles ``R_ij = sqrt(dy^2 + dphi^2)`` in rapidity y;
- ``e2^(b) = sum_{i<j} z_i z_j R_ij^b`` and ``e3^(b) = sum_{i<j<k} z_i z_j z_k (R_ij R_ik R_jk)^b``;
- generalised ECFs ``_v e_n^(b)``: the product of the ``v`` *smallest* pairwise angles of each n-tuple;
- ratios: ``C1 = e2``, ``C2 = e3 / e2^2``, ``D2 = e3 / e2^3``, ``D2^(a,b) = e3^(a) / (e2^(b))^(3a/b)``,
  ``M2 = _1e3 / _1e2``, ``N2 = _2e3 / (_1e2)^2`` (``_1e2 = e2``, ``_3e3 = e3``).

With ``a = b`` the generalised ``D2^(a,b)`` equals ``D2^(b)`` by definition, so the public columns
``j_d2_a1_b1`` and ``j_d2_b1`` coincide; ``j_d2_a1_b2`` differs. Triplet sums are exact (no truncation
of the constituent list): gathered over the index arrays of all i < j < k (cached per
constituent count), vectorised per jet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BETAS = (1.0, 2.0)


def pairwise_delta_r(rap: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Matrix of angular distances sqrt(dy^2 + dphi^2) between all pairs, dphi wrapped into [-pi, pi]."""
    dy = rap[:, None] - rap[None, :]
    dphi = np.remainder(phi[:, None] - phi[None, :] + np.pi, 2.0 * np.pi) - np.pi
    return np.sqrt(dy * dy + dphi * dphi)


@dataclass(frozen=True)
class EcfValues:
    """Normalised energy correlation functions of one jet for one angular exponent beta."""

    beta: float
    e2: float  # _1e2 = _2e2 (pairs have a single angle)
    e3: float  # _3e3: product of all three angles
    e3_v1: float  # _1e3: smallest angle of each triplet
    e3_v2: float  # _2e3: product of the two smallest angles


def _power(x: np.ndarray, beta: float) -> np.ndarray:
    """x ** beta, without the cost of a general power for the common exponents 1 and 2."""
    if beta == 1.0:
        return x
    if beta == 2.0:
        return x * x
    return x**beta


_TRIPLETS: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _triplets(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (i, j, k) of all triplets i < j < k < m.

    One table ordered by k (then j, then i) is built and grown on demand: the triplets of m items are
    its first C(m, 3) rows, so jets of every size share it.
    """
    global _TRIPLETS
    if _TRIPLETS is None or len(_TRIPLETS[0]) < m * (m - 1) * (m - 2) // 6:
        size = max(m, 160)
        pair_j = np.repeat(np.arange(size), np.arange(size))  # pairs i < j ordered by j
        pair_i = np.concatenate([np.arange(j) for j in range(size)])
        n_pairs = np.arange(size) * (np.arange(size) - 1) // 2  # pairs with j < k
        i = np.concatenate([pair_i[:c] for c in n_pairs])
        j = np.concatenate([pair_j[:c] for c in n_pairs])
        k = np.repeat(np.arange(size), n_pairs)
        _TRIPLETS = (i, j, k)
    n = m * (m - 1) * (m - 2) // 6
    return _TRIPLETS[0][:n], _TRIPLETS[1][:n], _TRIPLETS[2][:n]


def ecfs(pt: np.ndarray, rap: np.ndarray, phi: np.ndarray, betas: tuple[float, ...] = BETAS) -> dict[float, EcfValues]:
    """Normalised 2- and 3-point energy correlation functions (plain and generalised) per beta."""
    pt = np.asarray(pt, dtype=np.float64)
    if pt.size == 0 or pt.sum() <= 0.0:
        return {b: EcfValues(b, 0.0, 0.0, 0.0, 0.0) for b in betas}
    z = pt / pt.sum()
    r = pairwise_delta_r(np.asarray(rap, np.float64), np.asarray(phi, np.float64))
    m = len(z)
    i, j, k = _triplets(m)
    w = z[i] * z[j] * z[k]
    flat = r.ravel()
    rij, rik, rjk = flat[i * m + j], flat[i * m + k], flat[j * m + k]
    smallest = np.minimum(np.minimum(rij, rik), rjk)
    largest = np.maximum(np.maximum(rij, rik), rjk)
    product = rij * rik * rjk
    two_smallest = np.divide(product, largest, out=np.zeros_like(product), where=largest > 0.0)
    return {
        b: EcfValues(
            beta=b,
            e2=0.5 * float(z @ _power(r, b) @ z),
            e3=float(w @ _power(product, b)),
            e3_v1=float(w @ _power(smallest, b)),
            e3_v2=float(w @ _power(two_smallest, b)),
        )
        for b in betas
    }


def _ratio(num: float, den: float) -> float:
    """num / den, and 0 where the jet has too few constituents for the denominator to be non-zero."""
    return num / den if den > 0.0 else 0.0


def ecf_ratios(pt: np.ndarray, rap: np.ndarray, phi: np.ndarray) -> dict[str, float]:
    """The 13 ECF-based public features (without the ``_mmdt`` suffix) of one set of constituents."""
    pt = np.asarray(pt, dtype=np.float64)
    out: dict[str, float] = {}
    z = pt / pt.sum() if pt.size and pt.sum() > 0 else pt
    # C1 with beta = 0: every angle is 1, so e2^(0) = sum_{i<j} z_i z_j = (1 - sum z^2) / 2.
    out["j_c1_b0"] = float(0.5 * (1.0 - np.sum(z * z))) if pt.size else 0.0
    values = ecfs(pt, rap, phi, BETAS)
    for b, v in values.items():
        tag = f"b{int(b)}"
        out[f"j_c1_{tag}"] = v.e2
        out[f"j_c2_{tag}"] = _ratio(v.e3, v.e2**2)
        out[f"j_d2_{tag}"] = _ratio(v.e3, v.e2**3)
        out[f"j_m2_{tag}"] = _ratio(v.e3_v1, v.e2)
        out[f"j_n2_{tag}"] = _ratio(v.e3_v2, v.e2**2)
    e3_alpha1 = values[1.0].e3
    for b, v in values.items():
        out[f"j_d2_a1_b{int(b)}"] = _ratio(e3_alpha1, v.e2 ** (3.0 / b))
    return out


def zlogz(pt: np.ndarray) -> float:
    """Sum of z log z over constituents, z = pT_i / sum pT (0 for an empty jet)."""
    pt = np.asarray(pt, dtype=np.float64)
    if pt.size == 0 or pt.sum() <= 0.0:
        return 0.0
    z = pt / pt.sum()
    z = z[z > 0.0]
    return float(np.sum(z * np.log(z)))


def nsubjettiness(
    pt: np.ndarray,
    rap: np.ndarray,
    phi: np.ndarray,
    axes_rap: np.ndarray,
    axes_phi: np.ndarray,
    beta: float,
    r0: float,
) -> float:
    """Normalised N-subjettiness sum_i pT_i min_k dR_ik^beta / (sum_i pT_i R0^beta) for given axes."""
    pt = np.asarray(pt, dtype=np.float64)
    if pt.size == 0 or len(axes_rap) == 0:
        return 0.0
    dy = np.asarray(rap, np.float64)[:, None] - np.asarray(axes_rap, np.float64)[None, :]
    dphi = np.remainder(
        np.asarray(phi, np.float64)[:, None] - np.asarray(axes_phi, np.float64)[None, :] + np.pi,
        2.0 * np.pi,
    ) - np.pi
    dist = np.sqrt(dy * dy + dphi * dphi) ** beta
    return float(np.sum(pt * dist.min(axis=1)) / (np.sum(pt) * r0**beta))


def rapidity(px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Rapidity 0.5 ln((E + pz) / (E - pz)), guarded for massless particles along the beam."""
    del px, py
    num = np.maximum(e + pz, 1e-12)
    den = np.maximum(e - pz, 1e-12)
    return 0.5 * np.log(num / den)


def pseudorapidity(px: np.ndarray, py: np.ndarray, pz: np.ndarray) -> np.ndarray:
    """Pseudorapidity asinh(pz / pT)."""
    pt = np.hypot(px, py)
    return np.arcsinh(pz / np.maximum(pt, 1e-12))


def invariant_mass(px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray) -> float:
    """Invariant mass of the summed four-momentum (0 if the square is negative from rounding)."""
    m2 = np.sum(e) ** 2 - np.sum(px) ** 2 - np.sum(py) ** 2 - np.sum(pz) ** 2
    return float(np.sqrt(max(m2, 0.0)))
