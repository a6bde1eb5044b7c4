"""Readers against small files written by hand with h5py in the public layouts, and their error messages."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from codesign.data import HLF_NAMES, read_jets, read_l1, write_jets, write_l1
from codesign.errors import DataError

# Column order of the public hls4ml_LHCjet files (53 features, then the 6 label columns).
PUBLIC_JET_NAMES = (
    "j_ptfrac j_pt j_eta j_mass j_tau1_b1 j_tau2_b1 j_tau3_b1 j_tau1_b2 j_tau2_b2 j_tau3_b2 j_tau32_b1 j_tau32_b2 "
    "j_zlogz j_c1_b0 j_c1_b1 j_c1_b2 j_c2_b1 j_c2_b2 j_d2_b1 j_d2_b2 j_d2_a1_b1 j_d2_a1_b2 j_m2_b1 j_m2_b2 "
    "j_n2_b1 j_n2_b2 j_tau1_b1_mmdt j_tau2_b1_mmdt j_tau3_b1_mmdt j_tau1_b2_mmdt j_tau2_b2_mmdt j_tau3_b2_mmdt "
    "j_tau32_b1_mmdt j_tau32_b2_mmdt j_c1_b0_mmdt j_c1_b1_mmdt j_c1_b2_mmdt j_c2_b1_mmdt j_c2_b2_mmdt "
    "j_d2_b1_mmdt j_d2_b2_mmdt j_d2_a1_b1_mmdt j_d2_a1_b2_mmdt j_m2_b1_mmdt j_m2_b2_mmdt j_n2_b1_mmdt "
    "j_n2_b2_mmdt j_mass_trim j_mass_mmdt j_mass_prun j_mass_sdb2 j_mass_sdm1 j_multiplicity "
    "j_g j_q j_w j_z j_t j_undef"
).split()
PUBLIC_PARTICLE_NAMES = (
    "j1_px j1_py j1_pz j1_e j1_erel j1_pt j1_ptrel j1_eta j1_etarel j1_etarot j1_phi j1_phirel j1_phirot "
    "j1_deltaR j1_costheta j1_costhetarel j1_pdgid"  # one name more than there are columns, as in the real files
).split()
# The column indices that hls4ml tutorials hard-code for the 16 HLF.
TUTORIAL_HLF_INDEX = [12, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 48, 52]


def _public_jets_file(path, n=6, n_const=10):
    rng = np.random.default_rng(0)
    table = rng.random((n, 59)).astype(np.float32)
    table[:, 53:] = 0.0
    table[np.arange(n), 53 + np.arange(n) % 5] = 1.0
    constituents = rng.random((n, n_const, 16)).astype(np.float32)
    with h5py.File(path, "w") as f:
        f["jets"] = table
        f["jetFeatureNames"] = np.array([s.encode() for s in PUBLIC_JET_NAMES])
        f["jetConstituentList"] = constituents
        f["particleFeatureNames"] = np.array([s.encode() for s in PUBLIC_PARTICLE_NAMES])
        f["jetImage"] = np.zeros((n, 4, 4), np.float32)
    return table, constituents


def test_public_layout_is_read(tmp_path):
    path = tmp_path / "jetImage_7_150p_0_10000.h5"
    table, constituents = _public_jets_file(path)
    assert len(PUBLIC_JET_NAMES) == 59
    sample = read_jets(path, n_constituents=8)
    np.testing.assert_array_equal(sample.hlf, table[:, TUTORIAL_HLF_INDEX])
    np.testing.assert_array_equal(sample.labels, table[:, 53:58])
    np.testing.assert_array_equal(sample.constituents, constituents[:, :8])
    assert sample.constituent_names == tuple(PUBLIC_PARTICLE_NAMES[:16])
    assert sample.hlf_names == HLF_NAMES
    assert list(sample.class_index) == [0, 1, 2, 3, 4, 0]
    assert read_jets(path).constituents is None


def test_our_writer_round_trips_in_the_public_columns(tmp_path):
    names = ("j_pt", *HLF_NAMES, "j_g", "j_q", "j_w", "j_z", "j_t", "j_undef")
    table = np.zeros((5, len(names)), np.float32)
    table[:, 1:17] = np.arange(16)
    table[np.arange(5), 17 + np.arange(5)] = 1.0
    consts = np.ones((5, 4, 2), np.float32)
    path = write_jets(tmp_path / "ours.h5", table, names, consts, ("j1_ptrel", "j1_etarel"), {"codesign_command": "x"})
    sample = read_jets(path, 4)
    np.testing.assert_array_equal(sample.hlf, table[:, 1:17])
    assert sample.constituent_names == ("j1_ptrel", "j1_etarel")
    with pytest.raises(DataError, match="already exists"):
        write_jets(path, table, names, consts, ("j1_ptrel", "j1_etarel"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.__delitem__("jetFeatureNames"), "missing key 'jetFeatureNames'"),
        (lambda f: f["jets"].__setitem__((2, 12), np.nan), "NaN/Inf"),
        (lambda f: f["jets"].__setitem__((1, 53), 1.0), "one-hot"),
        (lambda f: f.__delitem__("jetConstituentList"), "missing key 'jetConstituentList'"),
    ],
)
def test_bad_jet_files_name_file_and_key(tmp_path, mutate, message):
    path = tmp_path / "bad.h5"
    _public_jets_file(path)
    with h5py.File(path, "a") as f:
        mutate(f)
    with pytest.raises(DataError, match=message) as err:
        read_jets(path, n_constituents=4)
    assert str(path) in str(err.value)


def test_missing_hlf_column_and_too_many_constituents(tmp_path):
    path = tmp_path / "cut.h5"
    _public_jets_file(path)
    with h5py.File(path, "a") as f:
        names = [n.replace("j_mass_mmdt", "j_mass_other").encode() for n in PUBLIC_JET_NAMES]
        del f["jetFeatureNames"]
        f["jetFeatureNames"] = np.array(names)
    with pytest.raises(DataError, match="j_mass_mmdt"):
        read_jets(path)
    ok = tmp_path / "ok.h5"
    _public_jets_file(ok, n_const=10)
    with pytest.raises(DataError, match=r"holds 10 constituents per jet; asked for 32 \(accepted 1..10\)"):
        read_jets(ok, n_constituents=32)


def test_missing_or_foreign_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_jets(tmp_path / "nope.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(DataError, match="not a readable HDF5"):
        read_l1(tmp_path / "text.h5")


def _public_l1_file(path, n=7):
    rng = np.random.default_rng(1)
    particles = np.zeros((n, 19, 4))
    particles[:, 0] = np.c_[rng.random(n) * 50, np.zeros(n), rng.uniform(-3, 3, n), np.ones(n)]
    particles[:, 1, :] = np.c_[30 + rng.random(n), rng.normal(size=n), rng.uniform(-3, 3, n), 2 * np.ones(n)]
    particles[:, 9, :] = np.c_[40 + rng.random(n), rng.normal(size=n), rng.uniform(-3, 3, n), 4 * np.ones(n)]
    with h5py.File(path, "w") as f:
        f["Particles"] = particles
        f["Particles_Names"] = np.array([b"Pt", b"Eta", b"Phi", b"Class"])
        f["Particles_Classes"] = np.array([b"MET_class_1", b"Four_Ele_class_2", b"Four_Mu_class_3", b"Ten_Jet_class_4"])
    return particles


def test_public_l1_layout_is_read(tmp_path):
    path = tmp_path / "Ato4l_lepFilter_13TeV.h5"
    particles = _public_l1_file(path)
    sample = read_l1(path)
    np.testing.assert_array_equal(sample.particles, particles.astype(np.float32))
    assert len(sample.select("ato4l")) == 7 and len(sample.background()) == 0
    assert sample.flat().shape == (7, 57)
    other = tmp_path / "mystery.h5"
    _public_l1_file(other)
    assert read_l1(other, process="background").signal_names == ()


def test_l1_round_trip_and_bad_class(tmp_path):
    particles = np.zeros((4, 19, 4), np.float32)
    particles[:, 0, 3] = 1
    path = write_l1(tmp_path / "l1.h5", particles, np.array([0, 1, 1, 3]), ("background", "ato4l", "lq_btau", "h_tautau"))
    sample = read_l1(path)
    assert sample.signal_names == ("ato4l", "h_tautau")
    assert len(sample.select("ato4l")) == 2
    bad = tmp_path / "bad.h5"
    particles[1, 3, 3] = 7
    write_l1(bad, particles, np.zeros(4, int), ("background",))
    with pytest.raises(DataError, match="Class must be 0"):
        read_l1(bad)
    with h5py.File(tmp_path / "shape.h5", "w") as f:
        f["Particles"] = np.zeros((3, 18, 4))
    with pytest.raises(DataError, match=r"expected \[N, 19, 4\]"):
        read_l1(tmp_path / "shape.h5")


def test_data_info_on_a_file_whose_jets_is_a_group_says_so_and_lists_its_datasets(tmp_path):
    """A file with a group named 'jets' (its arrays under it) is neither layout: the message names the group and the
    datasets by path, where it said "it has []" (the top level holds no dataset)."""
    from codesign.data.summary import summarize

    path = tmp_path / "grouped.h5"
    with h5py.File(path, "w") as f:
        f.create_group("jets").create_dataset("x", data=np.zeros((3, 3)))
        f.create_dataset("extra", data=np.zeros(2))
    with pytest.raises(DataError, match=r"'jets' is a group, not a dataset; its datasets: (jets/x, extra|extra, jets/x)$"):
        summarize(path)
