"""Pileup overlay of L1 events (codesign.data.pileup): the drawn minimum-bias events are appended exactly, the
pool is seeded, every generated event goes through it, and files with other pileup settings are not reused."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.data.pileup import PileupOverlay
from codesign.errors import DataError

SIZES = (3, 1, 2)
CHARGED = (np.array([True, False, True]), np.array([False]), np.array([True, True]))


def _pool():
    """Three hand-made pool events, each row tagged by its event number in the PDG-id column."""
    return PileupOverlay(2.5, tuple(np.full((n, 5), float(i)) for i, n in enumerate(SIZES)), CHARGED)


def test_overlay_appends_the_drawn_pool_events_in_order():
    hard = np.arange(10.0).reshape(2, 5)
    got = _pool().overlay(hard, np.random.default_rng(11))
    rng = np.random.default_rng(11)  # the same draws done by hand: k ~ Poisson(mu), then k indices
    k = int(rng.poisson(2.5))
    picks = rng.integers(0, 3, size=k)
    want = np.concatenate([hard, *[np.full((SIZES[i], 5), float(i)) for i in picks]])
    assert k > 0
    np.testing.assert_array_equal(got, want)
    tagged, charged = _pool().overlay_tagged(hard, np.random.default_rng(11))  # the same draws, with the charges
    np.testing.assert_array_equal(tagged, want)
    np.testing.assert_array_equal(charged, np.concatenate([[False, False], *[CHARGED[i] for i in picks]]))


def test_overlay_without_interactions_returns_the_hard_event():
    hard = np.ones((4, 5))
    pool = PileupOverlay(0.0, _pool().events, CHARGED)
    assert pool.overlay(hard, np.random.default_rng(0)) is hard
    assert not pool.overlay_tagged(hard, np.random.default_rng(0))[1].any()


def test_a_pool_needs_one_charge_flag_per_particle():
    with pytest.raises(DataError, match="one charge flag per particle"):
        PileupOverlay(1.0, _pool().events, CHARGED[:2])
    with pytest.raises(DataError, match="one charge flag per particle"):
        PileupOverlay(1.0, _pool().events, (CHARGED[0], CHARGED[0], CHARGED[2]))


def test_bad_pileup_settings_are_refused():
    with pytest.raises(DataError, match="pileup mean"):
        PileupOverlay.generate(-1.0, 10, 1, 13000.0)
    with pytest.raises(DataError, match="at least 1 event"):
        PileupOverlay.generate(5.0, 0, 1, 13000.0)


def test_pool_is_seeded_whatever_the_generator_made_before():
    pytest.importorskip("pythia8mc")
    from codesign.data import pileup

    a = PileupOverlay.generate(5.0, 3, 7, 13000.0)
    PileupOverlay.generate(5.0, 2, 8, 13000.0)  # the process's generator moves on ...
    b = PileupOverlay.generate(5.0, 3, 7, 13000.0)  # ... and the same seed gives the same pool again
    assert len(a.events) == 3 and len(pileup._GENERATORS) == 1
    for x, y in zip(a.events, b.events, strict=True):
        np.testing.assert_array_equal(x, y)
    ids = np.abs(np.concatenate(a.events)[:, 4]).astype(int)
    assert not np.isin(ids, (12, 14, 16)).any()  # neutrinos are not visible
    # Pythia's charges against a hand-written table of the long-lived particles a minimum-bias event leaves
    charged_ids, neutral_ids = (11, 13, 211, 321, 2212, 3112, 3222, 3312, 3334), (22, 130, 310, 2112, 3122, 3322)
    assert np.isin(ids, charged_ids + neutral_ids).all()
    np.testing.assert_array_equal(np.concatenate(a.charged), np.isin(ids, charged_ids))
    assert np.concatenate(a.charged).any() and not np.concatenate(a.charged).all()


def test_every_generated_event_is_reconstructed_with_its_pileup(monkeypatch):
    pytest.importorskip("pythia8mc")
    import codesign.data.l1 as l1

    seen = []
    real_overlay, real_reconstruct = PileupOverlay.overlay_tagged, l1.reconstruct

    def overlay_tagged(self, particles, rng):
        out = real_overlay(self, particles, rng)
        seen.append((len(particles), out))
        return out

    def reconstruct(particles, model, rng, mitigation, charged_pileup):
        # the detector gets the overlaid event, not the hard one, its charged-pileup mask and the mitigation
        assert seen and particles is seen[-1][1][0] and charged_pileup is seen[-1][1][1] and mitigation == "chs-area"
        return real_reconstruct(particles, model, rng, mitigation, charged_pileup)

    monkeypatch.setattr(PileupOverlay, "overlay_tagged", overlay_tagged)
    monkeypatch.setattr(l1, "reconstruct", reconstruct)
    config = l1.L1Config(pileup=20.0, pileup_pool=30, pileup_mitigation="chs-area")
    chunk = l1.generate_l1_chunk("w_lnu", 4, 5, config)
    assert chunk.particles.shape == (4, 19, 4) and len(seen) >= 4
    added = [len(out[0]) - n for n, out in seen]
    assert min(added) > 0  # P(no interaction | mu 20) is 2e-9
    assert all(not out[1][:n].any() and out[1][n:].any() for n, out in seen)  # only pileup is tagged


def test_reuse_refuses_a_file_with_other_pileup(tmp_path):
    pytest.importorskip("pythia8mc")
    from codesign.data.l1 import L1Config
    from codesign.data.production import produce_l1

    per = {"background": 4}
    first = produce_l1(tmp_path / "a.h5", 4, ("background",), 3, L1Config(), 1, per, progress=False, chunk_size=4)
    with pytest.raises(DataError, match="'pileup'"):
        produce_l1(tmp_path / "b.h5", 4, ("background",), 3, L1Config(pileup=5.0, pileup_pool=3), 1, per,
                   progress=False, chunk_size=4, reuse=first)  # fmt: skip


def test_cli_refuses_a_pool_without_pileup(tmp_path):
    from click.testing import CliRunner

    from codesign.cli import main

    res = CliRunner().invoke(main, ["data", "l1", "--n", "2", "--out", str(tmp_path / "x.h5"), "--pileup-pool", "10"])
    assert res.exit_code == 2 and "--pileup-pool needs --pileup" in res.output
