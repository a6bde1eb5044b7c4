"""Names and keys of the public HDF5 layouts (hls4ml LHC jet data set, ADC2021 L1 anomaly data set).

Jets (Zenodo "hls4ml_LHCjet_*" files): ``jets`` [N, F] float with one column per ``jetFeatureNames``
entry, the last six being the one-hot labels ``j_g j_q j_w j_z j_t j_undef``; ``jetConstituentList``
[N, n_const, n_feat] with ``particleFeatureNames`` naming the last axis (the public files carry one
extra trailing name, ``j1_pdgid``, with no column: readers use the first n_feat names).

L1 events (ADC2021): ``Particles`` [N, 19, 4] with ``Particles_Names`` = Pt, Eta, Phi, Class and
``Particles_Classes`` naming the object classes 1..4; rows 0 MET, 1-4 electrons, 5-8 muons, 9-18 jets,
zero-padded, pT-ordered within each class.
"""

from __future__ import annotations

# --- jets -------------------------------------------------------------------------------------------
JETS_KEY = "jets"
JET_FEATURE_NAMES_KEY = "jetFeatureNames"
CONSTITUENTS_KEY = "jetConstituentList"
PARTICLE_FEATURE_NAMES_KEY = "particleFeatureNames"

CLASS_NAMES: tuple[str, ...] = ("g", "q", "w", "z", "t")
LABEL_COLUMNS: tuple[str, ...] = ("j_g", "j_q", "j_w", "j_z", "j_t")
UNDEF_COLUMN = "j_undef"

# The 16 high-level features of the hls4ml jet-tagging paper (Duarte et al. 2018), in its order.
HLF_NAMES: tuple[str, ...] = (
    "j_zlogz",
    "j_c1_b0_mmdt",
    "j_c1_b1_mmdt",
    "j_c1_b2_mmdt",
    "j_c2_b1_mmdt",
    "j_c2_b2_mmdt",
    "j_d2_b1_mmdt",
    "j_d2_b2_mmdt",
    "j_d2_a1_b1_mmdt",
    "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt",
    "j_m2_b2_mmdt",
    "j_n2_b1_mmdt",
    "j_n2_b2_mmdt",
    "j_mass_mmdt",
    "j_multiplicity",
)

# Extra jet-level columns we compute (public names), written before the HLF.
KINEMATIC_NAMES: tuple[str, ...] = (
    "j_pt",
    "j_eta",
    "j_mass",
    "j_tau1_b1",
    "j_tau2_b1",
    "j_tau3_b1",
    "j_tau1_b2",
    "j_tau2_b2",
    "j_tau3_b2",
    "j_tau32_b1",
    "j_tau32_b2",
)

JET_COLUMNS: tuple[str, ...] = KINEMATIC_NAMES + HLF_NAMES + LABEL_COLUMNS + (UNDEF_COLUMN,)
# The compact selection (``--jet-features hlf``): jet kinematics, the 16 HLF and the labels.
HLF_JET_COLUMNS: tuple[str, ...] = ("j_pt", "j_eta", "j_mass") + HLF_NAMES + LABEL_COLUMNS + (UNDEF_COLUMN,)

# Per-constituent features of the public files, in their order.
PARTICLE_FEATURE_NAMES: tuple[str, ...] = (
    "j1_px",
    "j1_py",
    "j1_pz",
    "j1_e",
    "j1_erel",
    "j1_pt",
    "j1_ptrel",
    "j1_eta",
    "j1_etarel",
    "j1_etarot",
    "j1_phi",
    "j1_phirel",
    "j1_phirot",
    "j1_deltaR",
    "j1_costheta",
    "j1_costhetarel",
)

# --- L1 events --------------------------------------------------------------------------------------
PARTICLES_KEY = "Particles"
PARTICLES_NAMES_KEY = "Particles_Names"
PARTICLES_CLASSES_KEY = "Particles_Classes"
PROCESS_KEY = "Process"
PROCESS_NAMES_KEY = "Process_Names"
SUBPROCESS_KEY = "Subprocess"
SUBPROCESS_NAMES_KEY = "Subprocess_Names"
WEIGHTS_KEY = "Weights"  # per-event float64 weights (ours; absent from the public files: all 1)

L1_FEATURE_NAMES: tuple[str, ...] = ("Pt", "Eta", "Phi", "Class")
L1_CLASS_NAMES: tuple[str, ...] = ("MET_class_1", "Four_Ele_class_2", "Four_Mu_class_3", "Ten_Jet_class_4")
N_L1_OBJECTS = 19
N_ELECTRONS, N_MUONS, N_JETS = 4, 4, 10
MET_SLOT = 0
ELECTRON_SLOTS = slice(1, 1 + N_ELECTRONS)
MUON_SLOTS = slice(5, 5 + N_MUONS)
JET_SLOTS = slice(9, 9 + N_JETS)
TYPE_MET, TYPE_ELECTRON, TYPE_MUON, TYPE_JET = 1, 2, 3, 4

L1_PROCESSES: tuple[str, ...] = ("background", "ato4l", "lq_btau", "h_tautau", "hpm_taunu")
BACKGROUND = "background"

# --- metadata attributes ----------------------------------------------------------------------------
ATTR_COMMAND = "codesign_command"
ATTR_VERSION = "codesign_version"
ATTR_GENERATOR = "generator"
ATTR_CONFIG = "generation_config"
# Set when a writer opens a file and removed as its last act: a file that still carries it was cut short (Ctrl-C, a
# killed process, a full disk) and is refused by every reader.
ATTR_INCOMPLETE = "codesign_incomplete"
