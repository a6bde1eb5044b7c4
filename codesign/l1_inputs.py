"""L1 anomaly-detection inputs: the 19 objects' (pT, eta, phi) as 57 features on scales that never saturate.

pT is fed as log(1 + pT / GeV) by default (``data.pt_scale: log``), or in GeV (``linear``). Every feature
has a physical bound B (|log(1 + pT)| <= log(1 + sqrt(s) / 2), |eta| <= 5, |phi| <= pi; linear pT <= sqrt(s) / 2).
When the inputs are standardised, a slot that is rarely filled (the fourth muon) has a tiny spread, and
dividing by it would send any real value far outside the input type (ap_fixed<16,6> saturates at +-32).
So the spread used is floored: std_j >= (B_j + |mean_j|) / limit, with limit 95 % of the input type's
largest value; then |x - mean| / std <= limit for every physically possible x, and no real value is clipped.
"""

from __future__ import annotations

import numpy as np

BEAM_ENERGY_GEV = 6500.0  # half of sqrt(s) = 13 TeV: no object can carry more pT
ETA_BOUND = 5.0  # calorimeter reach of the L1 objects (4.9) rounded up; MET has eta 0
PHI_BOUND = float(np.pi)
PT_SCALES = ("log", "linear")
HEADROOM = 0.95  # the physical bound maps to this fraction of the input type's largest value
N_OBJECTS = 19


def feature_names(pt_scale: str = "log") -> tuple[str, ...]:
    """Names of the 57 inputs, slot by slot (pt or logpt, eta, phi)."""
    pt = "logpt" if pt_scale == "log" else "pt"
    return tuple(f"{k}_{i}" for i in range(N_OBJECTS) for k in (pt, "eta", "phi"))


def l1_features(particles: np.ndarray, pt_scale: str = "log") -> np.ndarray:
    """[N, 57] float32 inputs from [N, 19, 4] objects (pT, eta, phi, type): pT on the chosen scale."""
    if pt_scale not in PT_SCALES:
        raise ValueError(f"pt_scale {pt_scale!r}; accepted: {', '.join(PT_SCALES)}")
    x = np.array(particles[:, :, :3], dtype=np.float64)
    if pt_scale == "log":
        x[:, :, 0] = np.log1p(np.maximum(x[:, :, 0], 0.0))
    return x.reshape(len(x), -1).astype(np.float32)


def physical_bounds(pt_scale: str = "log") -> np.ndarray:
    """[57] largest |value| each input can take for any physical event."""
    pt = np.log1p(BEAM_ENERGY_GEV) if pt_scale == "log" else BEAM_ENERGY_GEV
    return np.tile(np.array([pt, ETA_BOUND, PHI_BOUND]), N_OBJECTS)


def floored_std(std: np.ndarray, mean: np.ndarray, bounds: np.ndarray, limit: float) -> np.ndarray:
    """Spreads floored so that (x - mean) / std stays within +-limit for every |x| <= bounds."""
    if limit <= 0:
        raise ValueError(f"limit must be positive (got {limit})")
    return np.maximum(std, (np.asarray(bounds, np.float64) + np.abs(mean)) / limit)
