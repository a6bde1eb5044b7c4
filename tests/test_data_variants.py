"""Generator options for the jet-gap study (boson decay flavours) and the variant benchmark's parsing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codesign.data.hdf5io import write_jets
from codesign.data.jets import BOSON_DECAYS, BOSON_WIDTHS, JetConfig
from codesign.data.layouts import HLF_JET_COLUMNS
from codesign.data.production import jet_config_from_options
from codesign.errors import DataError
from tests.benchmark_module import load_benchmark

ROOT = Path(__file__).resolve().parents[1]


def _benchmark():
    return load_benchmark("jets_variants")


def test_boson_decays_switch_off_b_for_the_boson_classes_only():
    light = JetConfig(boson_decays="udsc")
    for label in ("w", "z"):
        settings = light.pythia_settings(label)
        on = max(i for i, s in enumerate(settings) if "onIfAny" in s)
        off = [i for i, s in enumerate(settings) if s.endswith("offIfAny = 5")]
        assert off and min(off) > on  # applied after the hadronic selection, so it is not undone
        assert set(JetConfig().pythia_settings(label)) < set(settings)
    assert light.pythia_settings("t") == JetConfig().pythia_settings("t")
    assert not any("offIfAny" in s for s in JetConfig().pythia_settings("z"))
    assert set(BOSON_DECAYS) == {"udscb", "udsc"}
    with pytest.raises(DataError, match="boson decays 'udsb'"):
        JetConfig(boson_decays="udsb").pythia_settings("z")
    with pytest.raises(DataError, match="--boson-decays"):
        jet_config_from_options(800.0, 1200.0, 8, "scalar", None, "bb")
    assert jet_config_from_options(800.0, 1200.0, 8, boson_decays="udsc").boson_decays == "udsc"


def test_boson_width_zero_forces_the_pole_mass_for_the_boson_classes_only():
    zero = JetConfig(boson_width="zero")
    for label in ("w", "z"):
        assert {"24:doForceWidth = on", "24:mWidth = 0.001", "23:mWidth = 0.001"} <= set(zero.pythia_settings(label))
    assert zero.pythia_settings("t") == JetConfig().pythia_settings("t")
    assert set(BOSON_WIDTHS) == {"natural", "zero"}
    with pytest.raises(DataError, match="boson width 'narrow'"):
        JetConfig(boson_width="narrow").pythia_settings("w")
    with pytest.raises(DataError, match="--boson-width"):
        jet_config_from_options(800.0, 1200.0, 8, boson_width="none")


def test_pythia_honours_the_decay_and_width_options():
    """Real Pythia (gg -> H2 -> ZZ, 30 events, no showers): udsc gives no Z -> b bbar where the default
    does; zero width puts every Z at the pole, where the natural width spreads them."""
    pytest.importorskip("pythia8mc")
    from codesign.data.pythia import make_pythia

    def z_decays(config: JetConfig) -> tuple[set[int], np.ndarray]:
        pythia = make_pythia(config.pythia_settings("z") + ("PartonLevel:all = off",), seed=3)
        ids: set[int] = set()
        masses = []
        for _ in range(30):
            assert pythia.next()
            for p in pythia.process:
                if p.id() == 23 and p.daughter1() > 0 and pythia.process[p.daughter1()].id() != 23:
                    ids.update(abs(pythia.process[d].id()) for d in range(p.daughter1(), p.daughter2() + 1))
                    masses.append(p.m())
        return ids, np.array(masses)

    ids, masses = z_decays(JetConfig())
    assert 5 in ids and np.ptp(masses) > 5.0
    ids, _ = z_decays(JetConfig(boson_decays="udsc"))
    assert ids <= {1, 2, 3, 4}
    _, masses = z_decays(JetConfig(boson_width="zero"))
    assert len(masses) == 60 and np.ptp(masses) < 0.1 and abs(np.median(masses) - 91.19) < 0.05


def _toy_file(path: Path, pt: float, shift: float) -> Path:
    rng = np.random.default_rng(int(pt))
    n = 40
    cols = np.zeros((n, len(HLF_JET_COLUMNS)), np.float32)
    cols[:, 0] = np.linspace(pt - 100, pt + 100, n)
    cols[:, 3:19] = rng.normal(size=(n, 16)) + shift
    cols[np.arange(n), 19 + np.arange(n) % 5] = 1.0
    return write_jets(path, cols, HLF_JET_COLUMNS, None, ())


def test_variant_spec_swaps_one_class_and_cuts_pt(tmp_path):
    bench = _benchmark()
    a = _toy_file(tmp_path / "a.h5", 1000.0, 0.0)
    b = _toy_file(tmp_path / "b.h5", 1500.0, 50.0)
    name, hlf, y, pt = bench.load_variant(f"mix={a}+z:{b}@950-1600")
    assert name == "mix"
    z = y == 3
    # z jets come from b (features shifted by 50, pT 1400-1600), the others from a, all inside the cut
    assert z.any() and np.all(hlf[z].mean(axis=1) > 40) and np.all(hlf[~z].mean(axis=1) < 10)
    assert np.all((pt >= 950) & (pt <= 1600)) and pt[z].min() >= 1400
    assert np.bincount(y, minlength=5)[[0, 1, 2, 4]].tolist() == [6, 6, 6, 6]  # 950-1100 of a: 30 jets
    with pytest.raises(SystemExit, match="CLASS:FILE"):
        bench.load_variant(f"bad={a}+x:{b}")


def test_variant_picks_are_paired_and_w_vs_z_auc_sees_the_separation():
    bench = _benchmark()
    y = np.repeat(np.arange(5), 30)
    fewer_z = np.r_[y[y != 3], np.full(10, 3)]
    a, b = bench.balanced(y, 8, 0), bench.balanced(fewer_z, 8, 0)
    # the g jets picked do not depend on how many Z jets the variant has
    np.testing.assert_array_equal(a[:8], b[:8])
    rng = np.random.default_rng(0)
    hlf = rng.normal(size=(len(y), 3))
    hlf[y == 3, 0] += 8.0  # Z separable from everything, W like g / q / t
    r = bench.score(hlf, y, 0, False, folds=3)["gbt"]
    assert r["auc_w_vs_z"] > 0.9 and r["auc"]["z"] > 0.9
    assert r["auc"]["w"] < 0.85 and r["z_to_w"] == pytest.approx(0.0, abs=0.05)
