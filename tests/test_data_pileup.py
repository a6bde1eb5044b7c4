"""Pileup overlay of L1 events (codesign.data.pileup): the drawn minimum-bias events are appended exactly, the
pool is seeded, every generated event goes through it, and files with other pileup settings are not reused."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.data.pileup import PileupOverlay
from codesign.errors import DataError


def _pool():
    """Three hand-made pool events, each row tagged by its event number in the PDG-id column."""
    return PileupOverlay(2.5, tuple(np.full((n, 5), float(i)) for i, n in enumerate((3, 1, 2))))


def test_overlay_appends_the_drawn_pool_events_in_order():
    hard = np.arange(10.0).reshape(2, 5)
    got = _pool().overlay(hard, np.random.default_rng(11))
    rng = np.random.default_rng(11)  # the same draws done by hand: k ~ Poisson(mu), then k indices
    k = int(rng.poisson(2.5))
    picks = rng.integers(0, 3, size=k)
    want = np.concatenate([hard, *[np.full(((3, 1, 2)[i], 5), float(i)) for i in picks]])
    assert k > 0
    np.testing.assert_array_equal(got, want)


def test_overlay_without_interactions_returns_the_hard_event():
    hard = np.ones((4, 5))
    assert PileupOverlay(0.0, _pool().events).overlay(hard, np.random.default_rng(0)) is hard


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


def test_every_generated_event_is_reconstructed_with_its_pileup(monkeypatch):
    pytest.importorskip("pythia8mc")
    import codesign.data.l1 as l1

    seen = []
    real_overlay, real_reconstruct = PileupOverlay.overlay, l1.reconstruct

    def overlay(self, particles, rng):
        out = real_overlay(self, particles, rng)
        seen.append((len(particles), out))
        return out

    def reconstruct(particles, model, rng):
        assert seen and particles is seen[-1][1]  # the detector gets the overlaid event, not the hard one
        return real_reconstruct(particles, model, rng)

    monkeypatch.setattr(PileupOverlay, "overlay", overlay)
    monkeypatch.setattr(l1, "reconstruct", reconstruct)
    chunk = l1.generate_l1_chunk("w_lnu", 4, 5, l1.L1Config(pileup=20.0, pileup_pool=30))
    assert chunk.particles.shape == (4, 19, 4) and len(seen) >= 4
    added = [len(out) - n for n, out in seen]
    assert min(added) > 0  # P(no interaction | mu 20) is 2e-9


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
