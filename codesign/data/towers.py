"""Detector-like jet constituents: tracks kept as they are, neutrals summed into calorimeter cells.

A particle-flow-like view of an event (``codesign data jets --constituents-from towers``), in the spirit of
the Delphes CMS card (``cards/delphes_card_CMS.tcl`` of Delphes 3: tracking, ECal and HCal modules, the
EFlow merger), which is how public jet sets such as the hls4ml LHC jets were made:

- **tracks**: charged particles with pT > 0.1 GeV and |eta| < 2.5 (the card's tracking efficiency is 0
  below 0.1 GeV and beyond 2.5) are kept unchanged (no efficiency loss, no momentum smearing). Their
  calorimeter deposits are removed by the particle-flow subtraction, exactly since nothing is smeared.
- **ECal** (electrons and photons not tracked): cells of 0.0174 in eta x 1 degree in phi up to
  |eta| = 2.958 (the card's barrel and endcap crystals), the forward rings below beyond; a cell is kept
  with E >= 0.5 GeV (the card's ECal ``EnergyMin``).
- **HCal** (every other hadron not tracked, e.g. neutrons, K0_L): cells of 0.087 x 5 degrees for
  |eta| < 1.74, the card's endcap rings (0.09-0.22 in eta x 10 degrees) to 3.125 and its forward rings to
  5.0; a cell is kept with E >= 1.0 GeV (the card's HCal ``EnergyMin``).
- muons that are not tracked leave nothing (minimum ionising); neutrinos are not in the input.
- a kept cell becomes one massless candidate at the cell centre carrying the summed energy (PDG id 22
  for ECal, 130 for HCal, as Delphes' EFlow photons and neutral hadrons).

Not modelled: the card's energy-significance cut and resolutions (nothing is smeared), the random
placement of the tower inside its cell (``SmearTowerCenter``), charged-particle bending to the calorimeter
face (tracked charged particles never reach the towers here), K0_S / Lambda energy sharing (Pythia decays
them), tracking efficiency and pileup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codesign.data.observables import pseudorapidity
from codesign.data.pythia import PID, PX, PY, PZ, E

CONSTITUENT_SOURCES = ("particles", "towers")
ECAL_ID, HCAL_ID = 22, 130
ECAL_IDS = frozenset({11, 22})  # electrons and photons shower in the ECal
MIP_IDS = frozenset({13})  # muons leave no calorimeter energy here
HCAL_HF = ((3.125, 3.3, 36), (3.3, 3.475, 36), (3.475, 3.65, 36), (3.65, 3.825, 36), (3.825, 4.0, 36),
           (4.0, 4.175, 36), (4.175, 4.35, 36), (4.35, 4.525, 36), (4.525, 4.7, 36), (4.7, 5.0, 18))
HCAL_ENDCAP_EDGES = (1.74, 1.83, 1.93, 2.043, 2.172, 2.322, 2.5, 2.65, 2.868, 2.95, 3.125)


def _rings(edges: list[float], n_phi: int) -> list[tuple[float, float, int]]:
    """Consecutive (eta_lo, eta_hi, n_phi) rings from ascending edges."""
    return [(lo, hi, n_phi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]


def _mirror(rings: list[tuple[float, float, int]]) -> tuple[tuple[float, float, int], ...]:
    """Rings given for eta >= 0, mirrored to eta < 0 and sorted."""
    both = [*rings, *[(-hi, -lo, n) for lo, hi, n in rings]]
    return tuple(sorted(both))


def ecal_rings() -> tuple[tuple[float, float, int], ...]:
    """ECal rings (eta_lo, eta_hi, phi cells): 0.0174 x 1 degree to |eta| 2.958, the forward rings beyond."""
    edges = [0.0174 * k for k in range(171)]  # 170 x 0.0174 = 2.958
    forward = [(2.958, 3.125, 36), *HCAL_HF]
    return _mirror([*_rings(edges, 360), *forward])


def hcal_rings() -> tuple[tuple[float, float, int], ...]:
    """HCal rings (eta_lo, eta_hi, phi cells): 0.087 x 5 degrees to |eta| 1.74, the card's endcap and HF rings."""
    barrel = _rings([0.087 * k for k in range(21)], 72)  # 20 x 0.087 = 1.74
    return _mirror([*barrel, *_rings(list(HCAL_ENDCAP_EDGES), 36), *HCAL_HF])


@dataclass(frozen=True)
class TowerConfig:
    """Thresholds and granularity of the detector-like constituents (defaults: Delphes 3 CMS card)."""

    track_pt_min: float = 0.1  # GeV
    tracker_eta_max: float = 2.5
    ecal_e_min: float = 0.5  # GeV, per cell
    hcal_e_min: float = 1.0  # GeV, per cell
    ecal: tuple[tuple[float, float, int], ...] = ecal_rings()
    hcal: tuple[tuple[float, float, int], ...] = hcal_rings()


def cell_index(eta: np.ndarray, phi: np.ndarray, rings: tuple[tuple[float, float, int], ...]) -> np.ndarray:
    """Global cell number of each (eta, phi) in the rings, or -1 outside them (phi in [-pi, pi))."""
    lo = np.array([r[0] for r in rings])
    hi = np.array([r[1] for r in rings])
    n_phi = np.array([r[2] for r in rings])
    offset = np.concatenate([[0], np.cumsum(n_phi)[:-1]])
    ring = np.searchsorted(lo, eta, side="right") - 1
    inside = (ring >= 0) & (eta < hi[np.clip(ring, 0, None)])
    ring = np.clip(ring, 0, None)
    iphi = np.floor((np.remainder(phi + np.pi, 2 * np.pi)) / (2 * np.pi) * n_phi[ring]).astype(np.int64)
    iphi = np.minimum(iphi, n_phi[ring] - 1)
    return np.where(inside, offset[ring] + iphi, -1)


def cell_centres(cells: np.ndarray, rings: tuple[tuple[float, float, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(eta, phi) of the centres of global cell numbers."""
    n_phi = np.array([r[2] for r in rings])
    ends = np.cumsum(n_phi)
    ring = np.searchsorted(ends, cells, side="right")
    iphi = cells - (ends[ring] - n_phi[ring])
    eta = 0.5 * (np.array([r[0] for r in rings])[ring] + np.array([r[1] for r in rings])[ring])
    phi = -np.pi + (iphi + 0.5) * 2 * np.pi / n_phi[ring]
    return eta, phi


def _towers(eta: np.ndarray, phi: np.ndarray, e: np.ndarray, rings, e_min: float, pid: int) -> np.ndarray:
    """Massless candidates [n, 5] (px, py, pz, E, id) of the cells whose summed energy reaches e_min."""
    cells = cell_index(eta, phi, rings)
    ok = cells >= 0
    uniq, inv = np.unique(cells[ok], return_inverse=True)
    energy = np.bincount(inv, weights=e[ok], minlength=len(uniq))
    keep = energy >= e_min
    ceta, cphi = cell_centres(uniq[keep], rings)
    en = energy[keep]
    pt = en / np.cosh(ceta)
    return np.stack([pt * np.cos(cphi), pt * np.sin(cphi), pt * np.sinh(ceta), en, np.full(len(en), float(pid))], axis=1)


def detector_candidates(parts: np.ndarray, charge: np.ndarray, config: TowerConfig = TowerConfig()) -> np.ndarray:
    """Tracks and calorimeter towers [n, 5] (px, py, pz, E, id) from visible final-state particles.

    ``parts`` has rows px, py, pz, E, PDG id; ``charge`` the particles' electric charges.
    """
    if len(parts) == 0:
        return np.zeros((0, 5))
    pt = np.hypot(parts[:, PX], parts[:, PY])
    eta = pseudorapidity(parts[:, PX], parts[:, PY], parts[:, PZ])
    phi = np.arctan2(parts[:, PY], parts[:, PX])
    abs_id = np.abs(parts[:, PID]).astype(np.int64)
    tracked = (charge != 0) & (pt > config.track_pt_min) & (np.abs(eta) < config.tracker_eta_max)
    calo = ~tracked & ~np.isin(abs_id, list(MIP_IDS))
    to_ecal = calo & np.isin(abs_id, list(ECAL_IDS))
    to_hcal = calo & ~to_ecal
    ecal = _towers(eta[to_ecal], phi[to_ecal], parts[to_ecal, E], config.ecal, config.ecal_e_min, ECAL_ID)
    hcal = _towers(eta[to_hcal], phi[to_hcal], parts[to_hcal, E], config.hcal, config.hcal_e_min, HCAL_ID)
    return np.concatenate([parts[tracked, :5], ecal, hcal])
