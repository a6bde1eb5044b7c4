"""Pythia8 generation of L1 trigger events (ADC2021 layout): a single-lepton-triggered SM mix and 4 signals.

Background mixture. The ADC2021 background (Govorkova et al., Sci. Data 9 (2022) 118) is W -> l nu
59.2 %, QCD multijet 33.8 %, Z -> l l 6.7 %, ttbar 0.3 %. With ``include_qcd`` these are the fractions of
the background's summed event *weights* (``Weights`` in the file); without it QCD is left out and the
rest renormalised (W 89.4 %, Z 10.1 %, ttbar 0.45 %, every weight 1).

QCD (``qcd_bb``) is made efficiently by heavy-flavour enrichment, since a QCD event passes a 23 GeV
single-lepton trigger almost only through a semileptonic b (or c) decay: b-bbar at pT-hat > 20 GeV with
every b hadron forced to decay to e or mu. Each event's weight is the product, over the b hadrons that
decayed in it, of the semileptonic branching fraction its forcing removed (so events with more b
hadrons count less, as they would unforced). Even so only ~0.6 % of the events pass the isolated-lepton
trigger; to spend the CPU where it matters, each parton-level event (hard process, showers, MPI: most of
the time) is hadronised ``qcd_rehadronize`` times with fresh fragmentation and decays, each try weighted
1 / qcd_rehadronize. Kept events of one parton-level event are correlated (same hard kinematics).
Every event, background or signal, must pass the single-lepton trigger of
:mod:`codesign.data.detector` (kept events only; ``events_tried`` counts all generated events).

Signals (masses as in ADC2021): A -> 4 leptons (m = 50 GeV; Pythia's CP-odd A has no ZZ coupling, so the
CP-even H0 state, id 35, is used: gg -> H0 -> Z* Z* -> 4 l, l = e, mu), leptoquark pairs with LQ -> b tau
(m = 80 GeV), h0 -> tau tau (gg -> h, m = 60 GeV) and H+- -> tau nu (f fbar' -> H+-, m = 60 GeV).
Taus decay inclusively.

Pileup (``pileup`` > 0): minimum-bias interactions overlaid on each event before the detector model, see
:mod:`codesign.data.pileup`; ``pileup_mitigation`` (none, chs, chs-area) is applied in the detector model, see
:mod:`codesign.data.pileup_mitigation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from codesign.data import layouts as L
from codesign.data.detector import LEPTON_PRESELECTION, DetectorModel, could_fire, reconstruct
from codesign.data.pileup import PileupOverlay
from codesign.data.pileup_mitigation import check_mitigation
from codesign.data.pythia import final_state, has_final_lepton, make_pythia
from codesign.errors import DataError, SpecError

B_HADRONS = (511, 521, 531, 541, 5122, 5132, 5232, 5332)
QCD = "qcd_bb"

# ADC2021 background fractions. QCD is left out of the default mixture (see the module docstring): the
# other fractions are renormalised. ``L1Config(include_qcd=True)`` restores the ADC2021 mixture.
ADC2021_MIXTURE: dict[str, float] = {"w_lnu": 0.592, "qcd_bb": 0.338, "z_ll": 0.067, "ttbar": 0.003}
BACKGROUND_MIXTURE: dict[str, float] = {k: v / (1.0 - 0.338) for k, v in ADC2021_MIXTURE.items() if k != "qcd_bb"}

PROCESS_SETTINGS: dict[str, tuple[str, ...]] = {
    "w_lnu": ("WeakSingleBoson:ffbar2W = on", "24:onMode = off", "24:onIfAny = 11 13 15"),
    "z_ll": (
        "WeakSingleBoson:ffbar2gmZ = on",
        "WeakZ0:gmZmode = 2",
        "23:onMode = off",
        "23:onIfAny = 11 13 15",
    ),
    "ttbar": ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"),
    "qcd_bb": (
        "HardQCD:hardbbbar = on",
        "PhaseSpace:pTHatMin = 20",
        *[s for b in B_HADRONS for s in (f"{b}:onMode = off", f"{b}:onIfAny = 11 13")],
    ),
    "ato4l": (
        "Higgs:useBSM = on",
        "HiggsBSM:gg2H2 = on",
        "35:m0 = 50",
        "35:mMin = 45",
        "35:mMax = 55",
        "35:onMode = off",
        "35:onIfMatch = 23 23",
        "23:mMin = 1",
        "23:onMode = off",
        "23:onIfAny = 11 13",
        "WeakZ0:gmZmode = 2",
    ),
    "lq_btau": (
        "LeptoQuark:gg2LQLQbar = on",
        "LeptoQuark:qqbar2LQLQbar = on",
        "42:m0 = 80",
        # b tau+ has charge 2/3: give the leptoquark that charge and that one decay channel.
        "42:chargeType = 2",
        "42:0:products = 5 -15",
    ),
    "h_tautau": ("HiggsSM:gg2H = on", "25:m0 = 60", "25:onMode = off", "25:onIfAny = 15"),
    "hpm_taunu": ("Higgs:useBSM = on", "HiggsBSM:ffbar2H+- = on", "37:m0 = 60", "37:onMode = off", "37:onIfAny = 15"),
}

SUBPROCESS_NAMES: tuple[str, ...] = (*ADC2021_MIXTURE, *[p for p in L.L1_PROCESSES if p != L.BACKGROUND])


@dataclass(frozen=True)
class L1Config:
    """Settings of L1 event generation: the detector model and the collision energy."""

    detector: DetectorModel = field(default_factory=DetectorModel)
    e_cm: float = 13000.0
    include_qcd: bool = False  # use the full ADC2021 mixture (fractions of the summed weights), with qcd_bb
    qcd_rehadronize: int = 10  # hadronisations of each QCD parton-level event (1: plain generation)
    pileup: float = 0.0  # mean number of minimum-bias interactions overlaid on each event (Poisson; 0: none)
    pileup_pool: int = 1000  # minimum-bias events generated per chunk and drawn from (codesign.data.pileup)
    pileup_mitigation: str = "none"  # none | chs | chs-area (codesign.data.pileup_mitigation); needs pileup > 0

    def __post_init__(self) -> None:
        """Refuse an unknown pileup mitigation, or one asked for without pileup."""
        check_mitigation(self.pileup_mitigation, self.pileup)

    def pileup_overlay(self, seed: int) -> PileupOverlay | None:
        """The chunk's pileup pool (None without pileup)."""
        if self.pileup == 0:
            return None
        return PileupOverlay.generate(self.pileup, self.pileup_pool, seed, self.e_cm)

    @property
    def background_mixture(self) -> dict[str, float]:
        """Fractions of the background sub-processes."""
        return dict(ADC2021_MIXTURE) if self.include_qcd else dict(BACKGROUND_MIXTURE)


@dataclass(frozen=True)
class L1Chunk:
    """Triggered events of one (sub-)process from one seeded Pythia run."""

    particles: np.ndarray  # [n, 19, 4] float32
    subprocess: np.ndarray  # [n] int codes into SUBPROCESS_NAMES
    events_tried: int
    weights: np.ndarray | None = None  # [n] float64 generation weights (None: all 1)


def generate_l1_chunk(label: str, n: int, seed: int, config: L1Config, progress: object = None) -> L1Chunk:
    """Generate n triggered events of one sub-process; deterministic in (label, n, seed, config)."""
    if label not in PROCESS_SETTINGS:
        raise SpecError(f"unknown L1 process {label!r}; accepted: {', '.join(PROCESS_SETTINGS)}")
    if label == QCD:
        return _generate_qcd_chunk(n, seed, config, progress)
    pythia = make_pythia(PROCESS_SETTINGS[label], seed, config.e_cm)
    pileup = config.pileup_overlay(seed)
    rng = np.random.default_rng(seed)
    out = np.zeros((n, L.N_L1_OBJECTS, 4), dtype=np.float32)
    done = tried = 0
    while done < n:
        tried += 1
        if tried > 2000 * n + 10000:
            raise DataError(f"{label}: only {done} of {n} events passed the trigger after {tried} events")
        if pythia.next() and _keep_if_fired(pythia.event, config, rng, out, done, progress, pileup):
            done += 1
    return L1Chunk(out, np.full(n, SUBPROCESS_NAMES.index(label), dtype=np.int64), tried)


def _keep_if_fired(
    event: object, config: L1Config, rng: np.random.Generator, out: np.ndarray, row: int, progress: object,
    pileup: PileupOverlay | None = None,
) -> bool:
    """Reconstruct a generated event (with its pileup overlaid) and, if it fires the trigger, store its objects in
    out[row] and count it.

    The pre-selection looks at the hard event only: a pileup interaction (soft QCD) practically never holds an
    electron or muon above 0.75 x the trigger threshold, so an event whose trigger lepton would come from pileup
    is not generated."""
    detector = config.detector
    if not has_final_lepton(event, LEPTON_PRESELECTION * detector.trigger_lepton_pt):
        return False  # the same events as could_fire drops (its threshold), found before copying the particles
    particles = final_state(event)
    if not could_fire(particles, detector):
        return False
    charged_pileup = None
    if pileup is not None:
        particles, charged_pileup = pileup.overlay_tagged(particles, rng)
    objects, fired = reconstruct(particles, detector, rng, config.pileup_mitigation, charged_pileup)
    if not fired:
        return False
    out[row] = objects
    if progress is not None:
        progress(1)  # type: ignore[operator]
    return True


def open_fractions(pythia: object, ids: tuple[int, ...]) -> dict[int, float]:
    """Branching fraction left open by the decay settings, per particle id (1 where nothing is closed)."""
    out = {}
    for pdg in ids:
        entry = pythia.particleData.particleDataEntryPtr(pdg)  # type: ignore[attr-defined]
        total = opened = 0.0
        for i in range(entry.sizeChannels()):
            channel = entry.channel(i)
            total += channel.bRatio()
            opened += channel.bRatio() * (channel.onMode() > 0)
        out[pdg] = opened / total if total > 0 else 1.0
    return out


def forced_decay_weight(event: object, fractions: dict[int, float]) -> float:
    """Product of the open branching fractions of the hadrons that decayed in an event.

    A B0 / Bs that oscillates appears twice (the second copy is its only daughter); only the copy that
    decays to other particles counts.
    """
    weight = 1.0
    for p in event:  # type: ignore[attr-defined]
        pdg = p.idAbs()
        if pdg not in fractions or p.isFinal():
            continue
        daughters = p.daughterList()
        if len(daughters) == 1 and event[daughters[0]].idAbs() in fractions:  # type: ignore[index]
            continue
        weight *= fractions[pdg]
    return weight


def _generate_qcd_chunk(n: int, seed: int, config: L1Config, progress: object = None) -> L1Chunk:
    """n triggered QCD b-bbar events with forced semileptonic b decays, each parton-level event hadronised
    ``config.qcd_rehadronize`` times; weights = forced-decay weight / qcd_rehadronize."""
    import pythia8mc

    tries = config.qcd_rehadronize
    if tries < 1:
        raise DataError(f"qcd_rehadronize must be at least 1 (got {tries})")
    pythia = make_pythia((*PROCESS_SETTINGS[QCD], "HadronLevel:all = off"), seed, config.e_cm)
    pileup = config.pileup_overlay(seed)
    fractions = open_fractions(pythia, B_HADRONS)
    rng = np.random.default_rng(seed)
    out = np.zeros((n, L.N_L1_OBJECTS, 4), dtype=np.float32)
    weights = np.zeros(n, dtype=np.float64)
    done = tried = 0
    while done < n:
        if tried > 2000 * n + 10000:
            raise DataError(f"{QCD}: only {done} of {n} events passed the trigger after {tried} events")
        if not pythia.next():
            tried += 1
            continue
        parton_level = pythia8mc.Event(pythia.event)
        for attempt in range(tries):
            if done == n:
                break
            tried += 1
            if attempt:
                pythia.event.assign(parton_level)
            if pythia.forceHadronLevel(False) and _keep_if_fired(
                pythia.event, config, rng, out, done, progress, pileup
            ):
                weights[done] = forced_decay_weight(pythia.event, fractions) / tries
                done += 1
    return L1Chunk(out, np.full(n, SUBPROCESS_NAMES.index(QCD), dtype=np.int64), tried, weights)
