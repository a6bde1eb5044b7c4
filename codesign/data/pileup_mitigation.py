"""Pileup mitigation of L1 events (``codesign data l1 --pileup MU --pileup-mitigation none|chs|chs-area``).

A simplified model of what a Phase-2 L1 trigger does, applied inside the detector model
(:func:`codesign.data.detector.reconstruct`) to events with pileup overlaid (:mod:`codesign.data.pileup`):

- ``none``: nothing; pileup enters the isolation sums, the jets and the MET (the unmitigated worst case).
- ``chs`` (charged-hadron subtraction): every *charged* particle of a pileup interaction inside the tracker
  acceptance |eta| < 2.5 is removed from the isolation sums and the jets.
  Vertex association is assumed perfect (every charged pileup particle is known to come from pileup, every
  charged hard-event particle is kept) and every charged particle is taken to have a track: no track pT
  threshold (L1 tracks need pT above 2-3 GeV), no tracking inefficiency, no fakes. So this is the
  optimistic limit of CHS / the charged part of PUPPI. Neutral pileup, and charged pileup at |eta| > 2.5, stay.
- ``chs-area``: ``chs``, then pileup-density (rho) subtraction of the jets and of the isolation sums. rho is
  measured in each event from the particles left after CHS (visible, |eta| < 4.9) with FastJet's own
  GridMedianBackgroundEstimator (the PyPI wheel exposes it): the median over rapidity-azimuth cells of about
  0.5 x 0.5 of the cell's pT sum over its area, separately for the tracker region (cells with |y| < 2.5,
  where CHS has removed the charged pileup) and the forward region (cells with 2.5 < |y| < 4.5; the
  4.5 < |y| < 5.0 cells are left out, the calorimeter ending at 4.9). Each jet loses rho(eta_jet) x A, its
  FastJet active area (ghosts of area 0.01 up to |y| 4.9, placed without random scatter so that the areas
  are reproducible) and is dropped if that leaves it below the jet threshold; the smearing of the jet
  resolution is that of the unsubtracted jet (the pileup is measured, then subtracted). The lepton isolation
  sum loses rho(eta_lepton) x pi x 0.3^2 (floored at 0) before it is divided by the lepton pT.

MET is not mitigated in any mode: it is computed from every visible particle, as PF MET is. Removing only the
charged pileup leaves its neutral part unbalanced: the pileup-only MET at mu 60 (300 draws from a pool of 300)
has a median of 29.8 GeV from all particles and 42.6 GeV after CHS. Neutral pileup weighting (PUPPI) is not
modelled.

rho(eta) is a step function: the tracker-region rho for |eta| < 2.5, the forward-region rho beyond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codesign.data.clustering import grid_median_rho
from codesign.errors import DataError

MITIGATIONS = ("none", "chs", "chs-area")
TRACKER_ETA_MAX = 2.5  # tracker acceptance: charged pileup is removed inside it (chs, chs-area)
RHO_GRID_SPACING = 0.5  # requested cell size in rapidity and azimuth of the rho grid
RHO_GRID_RAP_MAX = 5.0  # the grid spans |y| < 5.0 in cells of 0.5, so a cell edge lies on |y| = 2.5
FORWARD_RAP_MAX = 4.5  # forward-region cells: centres with 2.5 < |y| < 4.5 (the calorimeter ends at 4.9)
GHOST_AREA = 0.01  # area of one FastJet ghost for the jets' active areas


def check_mitigation(mode: str, pileup: float) -> None:
    """Refuse an unknown mitigation, or a mitigation without pileup to mitigate."""
    if mode not in MITIGATIONS:
        raise DataError(f"pileup mitigation {mode!r} is unknown; accepted: {', '.join(MITIGATIONS)}")
    if mode != "none" and not pileup:
        raise DataError(f"pileup mitigation {mode!r} needs pileup (a mean above 0); without pileup use 'none'")


def subtracts_charged(mode: str) -> bool:
    """Whether the mitigation removes charged pileup inside the tracker (chs, chs-area)."""
    return mode in ("chs", "chs-area")


def subtracts_area(mode: str) -> bool:
    """Whether the mitigation subtracts rho x area from the jets and the isolation sums (chs-area)."""
    return mode == "chs-area"


def chs_keep(eta: np.ndarray, charged_pileup: np.ndarray, eta_max: float = TRACKER_ETA_MAX) -> np.ndarray:
    """Mask of the particles kept by charged-hadron subtraction: all but charged pileup with |eta| < eta_max."""
    if eta.shape != charged_pileup.shape:
        raise DataError(f"charged-pileup mask has shape {charged_pileup.shape}, the particles {eta.shape}")
    return ~(charged_pileup & (np.abs(eta) < eta_max))


@dataclass(frozen=True)
class Rho:
    """Pileup pT density [GeV / unit area] of one event in the tracker region and in the forward region."""

    central: float
    forward: float

    @classmethod
    def measure(cls, p4: np.ndarray) -> Rho:
        """rho of the particles [n, >=4] (px, py, pz, E) in both regions (FastJet grid median)."""
        central = grid_median_rho(p4, RHO_GRID_RAP_MAX, RHO_GRID_SPACING, 0.0, TRACKER_ETA_MAX)
        forward = grid_median_rho(p4, RHO_GRID_RAP_MAX, RHO_GRID_SPACING, TRACKER_ETA_MAX, FORWARD_RAP_MAX)
        return cls(central, forward)

    def at(self, eta: np.ndarray | float) -> np.ndarray:
        """rho at each pseudorapidity: the central value inside the tracker acceptance, the forward one outside."""
        return np.where(np.abs(np.asarray(eta, dtype=np.float64)) < TRACKER_ETA_MAX, self.central, self.forward)
