"""Pythia8 + FastJet generation of labelled boosted jets (g, q, W, Z, t), one jet per event.

Each class has its own hard process: gluon (gg->gg, qqbar->gg), light quark (qq->qq, qqbar->qqbar with
u, d, s) and top (ttbar, W->quarks). W and Z come, as boosted-boson taggers are trained, from a heavy
resonance decaying to two bosons (``boson_process``): ``scalar`` (default; gg -> H2 -> WW or ZZ, bosons
mostly longitudinally polarised, so both quarks share the boson's momentum and mMDT keeps two prongs)
or ``wprime`` (f fbar' -> W' -> WZ, also longitudinal); ``vjet`` keeps the older qqbar->Vg, qg->Vq
(mostly transverse bosons at 1 TeV: a quarter of them have a quark with z < 0.1 and groom to one prong).
The resonance mass is spread (forced Breit-Wigner) so that the bosons' pT covers the jet window. Visible final-state particles
are clustered with anti-kT R = 0.8; the jet in the pT window closest to the truth parton or boson
(within Delta R < match_radius) is kept, the partons being tried in a random order. By default
generator-level particles are used directly (``constituents_from="particles"``: no detector simulation,
no pileup); ``"towers"`` replaces them, before clustering, by tracks and calorimeter towers
(:mod:`codesign.data.towers`), so that clustering, the jet features and the constituents all see them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codesign.data import observables as obs
from codesign.data.clustering import antikt_jets, exclusive_kt_axes, mmdt_groom
from codesign.data.layouts import CLASS_NAMES, JET_COLUMNS, PARTICLE_FEATURE_NAMES
from codesign.data.pythia import CHARGE, PX, PY, PZ, E, final_state, make_pythia
from codesign.data.towers import CONSTITUENT_SOURCES, detector_candidates
from codesign.errors import DataError, SpecError

HADRONIC_W = ("24:onMode = off", "24:onIfAny = 1 2 3 4 5")
HADRONIC_Z = ("23:onMode = off", "23:onIfAny = 1 2 3 4 5")

PROCESS_SETTINGS: dict[str, tuple[str, ...]] = {
    "g": ("HardQCD:gg2gg = on", "HardQCD:qqbar2gg = on"),
    "q": ("HardQCD:qq2qq = on", "HardQCD:qqbar2qqbarNew = on", "HardQCD:nQuarkNew = 3"),
    "t": ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *HADRONIC_W),
}

# How W and Z jets are produced (``JetConfig.boson_process``); the resonance ones take the mass settings
# of :meth:`JetConfig.resonance_settings`.
BOSON_PROCESSES: dict[str, dict[str, tuple[str, ...]]] = {
    "scalar": {
        "w": ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:onMode = off", "35:onIfMatch = 24 -24", *HADRONIC_W),
        "z": ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:onMode = off", "35:onIfMatch = 23 23",
              "WeakZ0:gmZmode = 2", *HADRONIC_Z),
    },
    "wprime": {
        label: ("NewGaugeBoson:ffbar2Wprime = on", "Wprime:coup2WZ = 1", "34:onMode = off", "34:onIfMatch = 24 23",
                "WeakZ0:gmZmode = 2", *HADRONIC_W, *HADRONIC_Z)
        for label in ("w", "z")
    },
    "vjet": {
        "w": ("WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on", *HADRONIC_W),
        "z": (
            "WeakBosonAndParton:qqbar2gmZg = on",
            "WeakBosonAndParton:qg2gmZq = on",
            "WeakZ0:gmZmode = 2",
            *HADRONIC_Z,
        ),
    },
}
RESONANCE_ID = {"scalar": 35, "wprime": 34}
# Quark flavours the W and Z of the w / z classes may decay to (``JetConfig.boson_decays``). "udscb" is
# every hadronic decay; "udsc" drops b (Z -> b bbar, and the negligible W -> u b / c b): a b hadron's
# semileptonic decay loses a neutrino inside the jet, which pulls the Z's groomed mass into the W's
# peak. The top class keeps every W decay whatever this is.
BOSON_DECAYS: dict[str, tuple[str, ...]] = {
    "udscb": (),
    "udsc": ("24:offIfAny = 5", "23:offIfAny = 5"),
}
# Line shape of the W and Z of the w / z classes (``JetConfig.boson_width``). "natural": Pythia's
# Breit-Wigner (in gg -> H2 -> VV, 12-14 % of the bosons land more than 5 GeV off the pole, with a long
# low-mass tail down to 10 GeV). "zero": every boson at its pole mass (width forced to 1 MeV), as in the
# public hls4ml jets, whose W and Z were made on shell ("undecayed") by MadGraph and decayed by Pythia.
BOSON_WIDTHS: dict[str, tuple[str, ...]] = {
    "natural": (),
    "zero": ("24:doForceWidth = on", "24:mWidth = 0.001", "23:doForceWidth = on", "23:mWidth = 0.001"),
}
PARTON_PT_TOLERANCE = 0.01  # relative half-width of the parton pT-hat window of JetConfig.parton_pt

# PDG ids accepted as the truth object of each class.
TRUTH_IDS: dict[str, frozenset[int]] = {
    "g": frozenset({21}),
    "q": frozenset({1, 2, 3}),
    "w": frozenset({24}),
    "z": frozenset({23}),
    "t": frozenset({6}),
}


@dataclass(frozen=True)
class JetConfig:
    """Settings of jet generation; the defaults are those of the public hls4ml jet data set."""

    pt_min: float = 800.0  # GeV, jet pT window
    pt_max: float = 1200.0
    radius: float = 0.8  # anti-kT distance parameter
    eta_max: float = 2.5  # |eta| of the jet axis
    match_radius: float = 0.6  # Delta R(jet, truth parton or boson)
    z_cut: float = 0.1  # mMDT
    n_constituents: int = 150  # constituents kept per jet (all 16 features), pT-ordered, zero-padded
    e_cm: float = 13000.0
    boson_process: str = "scalar"  # W/Z production: a key of BOSON_PROCESSES
    pthat_margin: tuple[float, float] = (0.9, 1.1)  # pT-hat window = these factors x the jet pT window
    parton_pt: float | None = None  # if set: pT-hat (and resonance mass / 2) within +-1 % of it, jet window a cut
    boson_decays: str = "udscb"  # quark flavours of the w / z classes' boson decays: a key of BOSON_DECAYS
    boson_width: str = "natural"  # line shape of the w / z classes' bosons: a key of BOSON_WIDTHS
    constituents_from: str = "particles"  # "particles" (generator level) or "towers" (codesign.data.towers)

    def pythia_settings(self, label: str) -> tuple[str, ...]:
        """Pythia settings for one class: its hard process and a pT-hat (or resonance mass) window."""
        if self.boson_process not in BOSON_PROCESSES:
            raise DataError(f"boson process {self.boson_process!r}; accepted: {', '.join(BOSON_PROCESSES)}")
        if self.boson_decays not in BOSON_DECAYS:
            raise DataError(f"boson decays {self.boson_decays!r}; accepted: {', '.join(BOSON_DECAYS)}")
        if self.boson_width not in BOSON_WIDTHS:
            raise DataError(f"boson width {self.boson_width!r}; accepted: {', '.join(BOSON_WIDTHS)}")
        if label in ("w", "z"):
            process = (*BOSON_PROCESSES[self.boson_process][label], *BOSON_DECAYS[self.boson_decays],
                       *BOSON_WIDTHS[self.boson_width])
            if self.boson_process in RESONANCE_ID:
                return (*process, *self.resonance_settings(RESONANCE_ID[self.boson_process]))
        else:
            process = PROCESS_SETTINGS[label]
        # Jets lose pT to out-of-cone radiation, so the pT-hat window starts below the jet window.
        lo, hi = self.pthat_margin[0] * self.pt_min, self.pthat_margin[1] * self.pt_max
        if self.parton_pt is not None:
            lo, hi = (1.0 - PARTON_PT_TOLERANCE) * self.parton_pt, (1.0 + PARTON_PT_TOLERANCE) * self.parton_pt
        return (*process, f"PhaseSpace:pTHatMin = {lo:g}", f"PhaseSpace:pTHatMax = {hi:g}")

    def resonance_settings(self, pdg_id: int) -> tuple[str, ...]:
        """Mass settings of the heavy resonance: a forced wide Breit-Wigner whose decay bosons (pT up to
        M / 2, Jacobian peak at M / 2) cover the jet pT window."""
        m0 = self.pt_min + self.pt_max
        m_lo, m_hi = 2.0 * self.pthat_margin[0] * self.pt_min, 2.0 * self.pthat_margin[1] * self.pt_max
        if self.parton_pt is not None:
            m0 = 2.0 * self.parton_pt
            m_lo, m_hi = (1.0 - PARTON_PT_TOLERANCE) * m0, (1.0 + PARTON_PT_TOLERANCE) * m0
        return (
            f"{pdg_id}:m0 = {m0:g}",
            f"{pdg_id}:doForceWidth = on",
            f"{pdg_id}:mWidth = {0.5 * (m_hi - m_lo):g}",
            f"{pdg_id}:mMin = {m_lo:g}",
            f"{pdg_id}:mMax = {m_hi:g}",
        )


def _wrap(dphi: np.ndarray) -> np.ndarray:
    """Angles wrapped into [-pi, pi)."""
    return np.remainder(dphi + np.pi, 2.0 * np.pi) - np.pi


def constituent_features(parts: np.ndarray) -> np.ndarray:
    """All 16 public per-particle features [n, 16] of a jet's constituents (rows px, py, pz, E)."""
    px, py, pz, e = parts[:, PX], parts[:, PY], parts[:, PZ], parts[:, E]
    jpx, jpy, jpz, je = px.sum(), py.sum(), pz.sum(), e.sum()
    jpt = np.hypot(jpx, jpy)
    jeta = float(obs.pseudorapidity(np.array([jpx]), np.array([jpy]), np.array([jpz]))[0])
    jphi = np.arctan2(jpy, jpx)
    pt = np.hypot(px, py)
    eta = obs.pseudorapidity(px, py, pz)
    phi = np.arctan2(py, px)
    etarel = eta - jeta
    phirel = _wrap(phi - jphi)
    # Rotated frame: the pT-weighted principal axis of the (etarel, phirel) cloud along +etarot.
    w = pt / pt.sum()
    cov = np.cov(np.vstack([etarel, phirel]), aweights=w) if len(pt) > 1 else np.eye(2)
    vals, vecs = np.linalg.eigh(np.atleast_2d(cov))
    axis = vecs[:, int(np.argmax(vals))]
    angle = np.arctan2(axis[1], axis[0])
    c, s = np.cos(angle), np.sin(angle)
    etarot = c * etarel + s * phirel
    phirot = -s * etarel + c * phirel
    p = np.sqrt(px * px + py * py + pz * pz)
    jp = np.sqrt(jpx * jpx + jpy * jpy + jpz * jpz)
    costheta = pz / np.maximum(p, 1e-12)
    costhetarel = (px * jpx + py * jpy + pz * jpz) / np.maximum(p * jp, 1e-12)
    cols = (
        px, py, pz, e, e / je, pt, pt / jpt, eta, etarel, etarot, phi, phirel, phirot,
        np.hypot(etarel, phirel), costheta, costhetarel,
    )
    return np.stack(cols, axis=1)


def jet_columns(parts: np.ndarray, config: JetConfig) -> dict[str, float]:
    """Jet-level features (public names, labels excluded) of one jet's constituents (rows px, py, pz, E)."""
    px, py, pz, e = parts[:, PX], parts[:, PY], parts[:, PZ], parts[:, E]
    pt = np.hypot(px, py)
    rap = obs.rapidity(px, py, pz, e)
    phi = np.arctan2(py, px)
    out: dict[str, float] = {
        "j_pt": float(np.hypot(px.sum(), py.sum())),
        "j_eta": float(obs.pseudorapidity(np.array([px.sum()]), np.array([py.sum()]), np.array([pz.sum()]))[0]),
        "j_mass": obs.invariant_mass(px, py, pz, e),
    }
    # tau_N uses the N exclusive-kT subjets of its own N (they are not nested across N).
    axes = {n: exclusive_kt_axes(parts[:, :4], n) for n in (1, 2, 3)}
    for beta in obs.BETAS:
        b = f"b{int(beta)}"
        taus = [
            obs.nsubjettiness(
                pt, rap, phi, obs.rapidity(*axes[n].T), np.arctan2(axes[n][:, 1], axes[n][:, 0]), beta, config.radius
            )
            if len(axes[n]) == n
            else 0.0
            for n in (1, 2, 3)
        ]
        for n, tau in zip((1, 2, 3), taus, strict=True):
            out[f"j_tau{n}_{b}"] = tau
        out[f"j_tau32_{b}"] = taus[2] / taus[1] if taus[1] > 0 else 0.0
    out["j_zlogz"] = obs.zlogz(pt)
    out["j_multiplicity"] = float(len(parts))
    groomed = parts[mmdt_groom(parts[:, :4], config.z_cut)]
    gpx, gpy, gpz, ge = groomed[:, PX], groomed[:, PY], groomed[:, PZ], groomed[:, E]
    ratios = obs.ecf_ratios(np.hypot(gpx, gpy), obs.rapidity(gpx, gpy, gpz, ge), np.arctan2(gpy, gpx))
    out.update({f"{k}_mmdt": v for k, v in ratios.items()})
    out["j_mass_mmdt"] = obs.invariant_mass(gpx, gpy, gpz, ge)
    return out


def _truth_candidates(process_record: object, label: str) -> list[np.ndarray]:
    """Momenta (px, py, pz, E) of the hard-process partons/bosons that may label a jet of this class."""
    ids = TRUTH_IDS[label]
    out = []
    for p in process_record:  # type: ignore[attr-defined]
        if abs(p.id()) not in ids:
            continue
        if label in ("g", "q") and p.status() != 23:
            continue
        out.append(np.array([p.px(), p.py(), p.pz(), p.e()]))
    if label in ("w", "z", "t"):
        # The boson/top appears once per copy in the process record; keep distinct momenta only.
        uniq: list[np.ndarray] = []
        for c in out:
            if not any(np.allclose(c, u) for u in uniq):
                uniq.append(c)
        out = uniq
    return out


def _select_jet(
    parts: np.ndarray, candidates: list[np.ndarray], rng: np.random.Generator, config: JetConfig
) -> np.ndarray | None:
    """Constituent rows of the jet matched to one truth candidate, or None if no jet qualifies."""
    # Particles beyond |eta| = eta_max + R + 0.5 cannot belong to an accepted jet; dropping them first
    # (mostly beam remnants) saves clustering time without changing the accepted jets.
    eta = obs.pseudorapidity(parts[:, PX], parts[:, PY], parts[:, PZ])
    central = np.flatnonzero(np.abs(eta) < config.eta_max + config.radius + 0.5)
    jets = [central[idx] for idx in antikt_jets(parts[central, :4], config.radius, 0.5 * config.pt_min)]
    if not jets:
        return None
    kin = []
    for idx in jets:
        s = parts[idx, :4].sum(axis=0)
        pt = np.hypot(s[0], s[1])
        eta = float(obs.pseudorapidity(np.array([s[0]]), np.array([s[1]]), np.array([s[2]]))[0])
        kin.append((pt, eta, np.arctan2(s[1], s[0])))
    for ci in rng.permutation(len(candidates)):
        c = candidates[ci]
        c_eta = float(obs.pseudorapidity(c[:1], c[1:2], c[2:3])[0])
        c_phi = np.arctan2(c[1], c[0])
        best, best_dr = None, config.match_radius
        for idx, (pt, eta, phi) in zip(jets, kin, strict=True):
            if not (config.pt_min <= pt <= config.pt_max and abs(eta) <= config.eta_max):
                continue
            dr = float(np.hypot(eta - c_eta, _wrap(np.array(phi - c_phi))))
            if dr < best_dr:
                best, best_dr = idx, dr
        if best is not None:
            return best
    return None


@dataclass(frozen=True)
class JetChunk:
    """Jets of one class from one seeded Pythia run."""

    columns: np.ndarray  # [n, len(JET_COLUMNS)] float32
    constituents: np.ndarray  # [n, n_constituents, 16] float32, columns PARTICLE_FEATURE_NAMES
    events_tried: int


def _visible(event: object, config: JetConfig) -> np.ndarray:
    """What the jet is clustered from: visible final-state particles, or tracks and towers made of them."""
    if config.constituents_from == "particles":
        return final_state(event)
    parts = final_state(event, with_charge=True)
    return detector_candidates(parts[:, :5], parts[:, CHARGE]) if len(parts) else parts[:, :5]


def generate_jet_chunk(label: str, n: int, seed: int, config: JetConfig, progress: object = None) -> JetChunk:
    """Generate n labelled jets of one class with a Pythia seed; deterministic in (label, n, seed, config)."""
    if label not in CLASS_NAMES:
        raise SpecError(f"unknown jet class {label!r}; accepted: {', '.join(CLASS_NAMES)}")
    if config.constituents_from not in CONSTITUENT_SOURCES:
        raise DataError(f"constituents from {config.constituents_from!r}; accepted: {', '.join(CONSTITUENT_SOURCES)}")
    pythia = make_pythia(config.pythia_settings(label), seed, config.e_cm)
    rng = np.random.default_rng(seed)
    columns = np.zeros((n, len(JET_COLUMNS)), dtype=np.float32)
    consts = np.zeros((n, config.n_constituents, len(PARTICLE_FEATURE_NAMES)), dtype=np.float32)
    label_col = JET_COLUMNS.index(f"j_{label}")
    done = tried = 0
    while done < n:
        tried += 1
        if tried > 200 * n + 1000:
            raise DataError(f"class {label}: only {done} of {n} jets after {tried} events; check the pT window")
        if not pythia.next():
            continue
        parts = _visible(pythia.event, config)
        candidates = _truth_candidates(pythia.process, label)
        if not candidates or len(parts) == 0:
            continue
        rows = _select_jet(parts, candidates, rng, config)
        if rows is None:
            continue
        jet = parts[rows]
        jet = jet[np.argsort(-np.hypot(jet[:, PX], jet[:, PY]), kind="stable")]
        values = jet_columns(jet, config)
        for j, name in enumerate(JET_COLUMNS):
            if name in values:
                columns[done, j] = values[name]
        columns[done, label_col] = 1.0
        feats = constituent_features(jet)[: config.n_constituents]
        consts[done, : len(feats)] = feats
        done += 1
        if progress is not None:
            progress(1)  # type: ignore[operator]
    return JetChunk(columns=columns, constituents=consts, events_tried=tried)
