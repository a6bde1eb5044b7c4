"""Physics checks on the shipped sample (real Pythia8 + FastJet output): mass peaks, q/g differences, L1 content."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.data import SHIPPED_JETS, SHIPPED_L1, read_attrs, read_jets, read_l1
from codesign.data.summary import mass_peak

pytestmark = pytest.mark.skipif(not SHIPPED_JETS.is_file(), reason="shipped jets sample not present")


@pytest.fixture(scope="module")
def jets():
    return read_jets(SHIPPED_JETS, n_constituents=32)


def test_groomed_mass_peaks_are_ordered_at_the_boson_and_top_masses(jets):
    mass = jets.feature("j_mass_mmdt")
    cls = jets.class_index
    peaks = {name: mass_peak(mass[cls == jets.class_names.index(name)])[0] for name in ("w", "z", "t")}
    assert peaks["w"] < peaks["z"] < peaks["t"]
    assert peaks["w"] == pytest.approx(80.4, abs=6.0)
    assert peaks["z"] == pytest.approx(91.2, abs=6.0)
    assert peaks["t"] == pytest.approx(172.5, abs=10.0)
    # Light-quark and gluon jets have no peak there: few of them fall in a window around the W mass.
    in_window = {n: np.mean(np.abs(mass[cls == jets.class_names.index(n)] - 80.4) < 10.0) for n in jets.class_names}
    assert in_window["w"] > 0.5
    assert in_window["w"] > 3 * max(in_window["g"], in_window["q"])


def test_gluon_jets_are_wider_and_have_more_constituents_than_quark_jets(jets):
    g, q = jets.class_index == 0, jets.class_index == 1
    mult = jets.feature("j_multiplicity")
    assert mult[g].mean() > 1.1 * mult[q].mean()
    # Width: pT-weighted mean Delta R of the leading constituents to the jet axis.
    names = jets.constituent_names
    ptrel, dr = jets.constituents[:, :, names.index("j1_ptrel")], jets.constituents[:, :, names.index("j1_deltaR")]
    width = (ptrel * dr).sum(axis=1) / ptrel.sum(axis=1)
    assert width[g].mean() > width[q].mean()
    assert jets.feature("j_c1_b1_mmdt")[g].mean() > jets.feature("j_c1_b1_mmdt")[q].mean()


def test_shipped_jets_are_balanced_and_record_their_command(jets):
    counts = jets.labels.sum(axis=0)
    assert counts.min() == counts.max()
    assert np.all(np.isfinite(jets.hlf))
    assert read_attrs(SHIPPED_JETS)["codesign_command"].startswith("codesign data jets ")


@pytest.mark.skipif(not SHIPPED_L1.is_file(), reason="shipped L1 sample not present")
def test_shipped_l1_sample_holds_background_and_every_signal():
    sample = read_l1(SHIPPED_L1)
    assert set(sample.signal_names) == {"ato4l", "lq_btau", "h_tautau", "hpm_taunu"}
    bkg, ato4l = sample.background(), sample.select("ato4l")
    n_leptons = lambda s: np.sum(np.isin(s.particles[:, 1:9, 3], (2, 3)), axis=1)  # noqa: E731
    # A -> 4 leptons has many more reconstructed leptons than the W/Z/ttbar background.
    assert n_leptons(ato4l).mean() > n_leptons(bkg).mean() + 1.0
    # W -> l nu dominates the background: sizeable MET.
    assert np.median(bkg.particles[:, 0, 0]) > 15.0
    assert read_attrs(SHIPPED_L1)["codesign_command"].startswith("codesign data l1 ")


def test_a_fresh_generation_has_the_boson_and_top_peaks_and_wider_gluons(tmp_path):
    """The generator as it is now (not only the shipped file made by an earlier version): 300 new jets."""
    pytest.importorskip("pythia8mc")
    from codesign.data.jets import JetConfig
    from codesign.data.production import produce_jets

    path = produce_jets(tmp_path / "fresh.h5", 300, 11, JetConfig(n_constituents=32), 2,
                        ("j1_ptrel", "j1_deltaR"), "float32", ("g", "q", "w", "z", "t"), progress=False,
                        chunk_size=30)  # fmt: skip
    fresh = read_jets(path, n_constituents=32)
    mass, cls = fresh.feature("j_mass_mmdt"), fresh.class_index
    median = {n: float(np.median(mass[cls == fresh.class_names.index(n)])) for n in fresh.class_names}
    assert median["w"] < median["z"] < median["t"]
    assert median["w"] == pytest.approx(80.4, abs=8.0) and median["z"] == pytest.approx(91.2, abs=8.0)
    assert median["t"] == pytest.approx(172.5, abs=25.0)
    mult = fresh.feature("j_multiplicity")
    assert mult[cls == 0].mean() > 1.1 * mult[cls == 1].mean()
    ptrel, dr = fresh.constituents[:, :, 0], fresh.constituents[:, :, 1]
    width = (ptrel * dr).sum(axis=1) / ptrel.sum(axis=1)
    assert width[cls == 0].mean() > width[cls == 1].mean()
