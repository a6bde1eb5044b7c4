"""A simple, documented L1 detector model in numpy: from final-state particles to the 19 ADC2021 objects.

Model (our choices, not a CMS parametrisation; pileup, when asked, is overlaid before it: codesign.data.pileup):

- electrons: |eta| < 3.0, efficiency 90 %, sigma(pT)/pT = 3 % (+) 15 %/sqrt(pT [GeV]);
- muons:     |eta| < 2.1, efficiency 95 %, sigma(pT)/pT = 1.5 % (+) 0.02 % x pT;
- lepton isolation: scalar pT sum of the other visible particles within Delta R < 0.3, divided by the
  lepton pT, below 0.5 (loose, L1-like); non-isolated electrons stay in the jets, muons never enter them;
- leptons (after smearing) need pT > 3 GeV;
- jets: anti-kT R = 0.4 on the visible particles with |eta| < 4.9 except muons and selected electrons,
  sigma(pT)/pT = 5 % (+) 100 %/sqrt(pT), kept with pT > 15 GeV and |eta| < 4.0, pT-ordered, at most 10;
- MET: minus the vector pT sum of all visible particles with |eta| < 4.9, each component smeared by a
  Gaussian of width 0.5 sqrt(sum E_T [GeV]) GeV; stored with eta = 0;
- single-lepton trigger: at least one selected electron or muon with pT > 23 GeV.

Directions (eta, phi) are not smeared. All randomness comes from the generator handed in.
Pileup mitigation (charged-hadron subtraction, rho x area subtraction of jets and isolation), when asked, is
applied here: :mod:`codesign.data.pileup_mitigation` (with ``none`` the model above is unchanged, draw for draw).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codesign.data import layouts as L
from codesign.data import pileup_mitigation as PU
from codesign.data.clustering import antikt_jets, antikt_jets_with_area
from codesign.data.observables import pseudorapidity
from codesign.data.pythia import PID, PX, PY, PZ

NEUTRINOS = (12, 14, 16)


@dataclass(frozen=True)
class DetectorModel:
    """Parameters of the L1 detector model (defaults documented in the module docstring)."""

    electron_eta_max: float = 3.0
    muon_eta_max: float = 2.1
    electron_efficiency: float = 0.90
    muon_efficiency: float = 0.95
    electron_res_const: float = 0.03
    electron_res_stoch: float = 0.15
    muon_res_const: float = 0.015
    muon_res_linear: float = 0.0002
    lepton_pt_min: float = 3.0
    isolation_cone: float = 0.3
    isolation_max: float = 0.5
    jet_radius: float = 0.4
    jet_pt_min: float = 15.0
    jet_eta_max: float = 4.0
    jet_res_const: float = 0.05
    jet_res_stoch: float = 1.0
    calo_eta_max: float = 4.9
    met_res_stoch: float = 0.5
    trigger_lepton_pt: float = 23.0


def _pt_eta_phi(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pT, eta, phi of rows px, py, pz."""
    return np.hypot(p[:, PX], p[:, PY]), pseudorapidity(p[:, PX], p[:, PY], p[:, PZ]), np.arctan2(p[:, PY], p[:, PX])


def relative_isolation(
    particles: np.ndarray, index: np.ndarray, cone: float, offset: np.ndarray | float = 0.0
) -> np.ndarray:
    """Scalar pT sum of the other particles within Delta R < cone of each chosen particle, less ``offset``
    (a pileup estimate, the result floored at 0), over its pT."""
    pt, eta, phi = _pt_eta_phi(particles)
    deta = eta[index, None] - eta[None, :]
    dphi = np.remainder(phi[index, None] - phi[None, :] + np.pi, 2 * np.pi) - np.pi
    inside = (deta * deta + dphi * dphi) < cone * cone
    inside[np.arange(len(index)), index] = False
    return np.maximum((inside * pt[None, :]).sum(axis=1) - offset, 0.0) / np.maximum(pt[index], 1e-12)


def _leptons(
    particles: np.ndarray, abs_id: int, eta_max: float, eff: float, model: DetectorModel, rng: np.random.Generator,
    rho: PU.Rho | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Selected leptons of one flavour as rows (pT, eta, phi) pT-ordered, and their particle indices
    (isolation sums less rho(eta) x cone area when ``rho`` is given)."""
    idx = np.flatnonzero(np.abs(particles[:, PID]) == abs_id)
    if len(idx) == 0:
        return np.zeros((0, 3)), idx
    pt, eta, phi = _pt_eta_phi(particles[idx])
    offset = 0.0 if rho is None else rho.at(eta) * np.pi * model.isolation_cone**2
    iso = relative_isolation(particles, idx, model.isolation_cone, offset)
    if abs_id == 11:
        res = np.hypot(model.electron_res_const, model.electron_res_stoch / np.sqrt(np.maximum(pt, 1e-6)))
    else:
        res = np.hypot(model.muon_res_const, model.muon_res_linear * pt)
    smeared = pt * (1.0 + res * rng.standard_normal(len(idx)))
    found = rng.random(len(idx)) < eff
    keep = found & (np.abs(eta) < eta_max) & (iso < model.isolation_max) & (smeared > model.lepton_pt_min)
    rows = np.stack([smeared, eta, phi], axis=1)[keep]
    order = np.argsort(-rows[:, 0], kind="stable")
    return rows[order], idx[keep][order]


# could_fire keeps events with an electron or muon above this fraction of the trigger threshold (true pT).
LEPTON_PRESELECTION = 0.75


def could_fire(particles: np.ndarray, model: DetectorModel) -> bool:
    """Cheap pre-selection: an electron or muon with true pT above 75 % of the trigger threshold.

    Smearing cannot lift a lepton from below 0.75 x 23 GeV above 23 GeV in practice (more than 6 sigma for
    electrons, 20 for muons), so events failing this are dropped before the costly reconstruction.
    """
    lep = np.isin(np.abs(particles[:, PID]), (11, 13))
    if not lep.any():
        return False
    pt = np.hypot(particles[lep, PX], particles[lep, PY])
    return bool(np.any(pt > LEPTON_PRESELECTION * model.trigger_lepton_pt))


def reconstruct(
    particles: np.ndarray, model: DetectorModel, rng: np.random.Generator, mitigation: str = "none",
    charged_pileup: np.ndarray | None = None,
) -> tuple[np.ndarray, bool]:
    """The [19, 4] ADC2021 object array of one event (visible final-state particles) and its trigger decision.

    ``mitigation`` (codesign.data.pileup_mitigation) needs ``charged_pileup``, a mask of the particles that are
    charged and come from pileup, when it subtracts charged pileup."""
    if mitigation not in PU.MITIGATIONS:
        raise ValueError(f"pileup mitigation {mitigation!r}; accepted: {', '.join(PU.MITIGATIONS)}")
    out = np.zeros((L.N_L1_OBJECTS, 4), dtype=np.float32)
    # MET from the true visible momentum balance of every particle (not mitigated: removing the charged pileup
    # alone would leave its neutral part unbalanced) plus a resolution term growing with the event activity.
    every = particles[~np.isin(np.abs(particles[:, PID]), NEUTRINOS)]
    every_pt, every_eta, _ = _pt_eta_phi(every)
    every_in_calo = np.abs(every_eta) < model.calo_eta_max
    sum_et = float(every_pt[every_in_calo].sum())
    met_xy = -every[every_in_calo][:, [PX, PY]].sum(axis=0)
    if PU.subtracts_charged(mitigation):
        if charged_pileup is None:
            raise ValueError(f"pileup mitigation {mitigation!r} needs the charged-pileup mask of the particles")
        particles = particles[PU.chs_keep(_pt_eta_phi(particles)[1], charged_pileup)]
    visible = particles[~np.isin(np.abs(particles[:, PID]), NEUTRINOS)]
    pt, eta, phi = _pt_eta_phi(visible)
    in_calo = np.abs(eta) < model.calo_eta_max
    rho = PU.Rho.measure(visible[in_calo]) if PU.subtracts_area(mitigation) else None
    electrons, e_idx = _leptons(visible, 11, model.electron_eta_max, model.electron_efficiency, model, rng, rho)
    muons, _ = _leptons(visible, 13, model.muon_eta_max, model.muon_efficiency, model, rng, rho)
    met_xy = met_xy + rng.standard_normal(2) * model.met_res_stoch * np.sqrt(sum_et)
    out[L.MET_SLOT] = (np.hypot(*met_xy), 0.0, np.arctan2(met_xy[1], met_xy[0]), L.TYPE_MET)
    for rows, slots, kind in ((electrons, L.ELECTRON_SLOTS, L.TYPE_ELECTRON), (muons, L.MUON_SLOTS, L.TYPE_MUON)):
        n = min(len(rows), slots.stop - slots.start)
        out[slots.start : slots.start + n, :3] = rows[:n]
        out[slots.start : slots.start + n, 3] = kind
    calo = in_calo & (np.abs(visible[:, PID]) != 13)
    calo[e_idx] = False
    calo_idx = np.flatnonzero(calo)
    jets = []
    for members, area in _jets(visible[calo_idx, :4], model, rho is not None):
        p = visible[calo_idx[members], :4].sum(axis=0)
        jpt = float(np.hypot(p[0], p[1]))
        jeta = float(pseudorapidity(p[:1], p[1:2], p[2:3])[0])
        res = np.hypot(model.jet_res_const, model.jet_res_stoch / np.sqrt(max(jpt, 1e-6)))
        jpt *= 1.0 + res * rng.standard_normal()
        if rho is not None:
            jpt -= float(rho.at(jeta)) * area
        if jpt > model.jet_pt_min and abs(jeta) < model.jet_eta_max:
            jets.append((jpt, jeta, float(np.arctan2(p[1], p[0]))))
    jets.sort(key=lambda j: -j[0])
    for i, jet in enumerate(jets[: L.N_JETS]):
        out[L.JET_SLOTS.start + i] = (*jet, L.TYPE_JET)
    leading = max(electrons[:1, 0].tolist() + muons[:1, 0].tolist(), default=0.0)
    return out, leading > model.trigger_lepton_pt


def _jets(p4: np.ndarray, model: DetectorModel, with_area: bool) -> list[tuple[np.ndarray, float]]:
    """Anti-kT jets above half the jet threshold (before smearing) as (row indices, active area or 0)."""
    if with_area:
        return antikt_jets_with_area(p4, model.jet_radius, 0.5 * model.jet_pt_min, model.calo_eta_max, PU.GHOST_AREA)
    return [(members, 0.0) for members in antikt_jets(p4, model.jet_radius, 0.5 * model.jet_pt_min)]
