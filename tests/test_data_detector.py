"""The L1 detector model on hand-made events with resolution and inefficiency switched off."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("fastjet")

from codesign.data.detector import DetectorModel, could_fire, reconstruct, relative_isolation  # noqa: E402

EXACT = DetectorModel(
    electron_efficiency=1.0, muon_efficiency=1.0, electron_res_const=0.0, electron_res_stoch=0.0,
    muon_res_const=0.0, muon_res_linear=0.0, jet_res_const=0.0, jet_res_stoch=0.0, met_res_stoch=0.0,
)


def _particle(pt, eta, phi, pid, m=0.0):
    px, py, pz = pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta)
    return [px, py, pz, math.sqrt(px * px + py * py + pz * pz + m * m), pid]


def test_isolation_by_hand():
    parts = np.array([_particle(40, 0, 0, 11), _particle(4, 0.1, 0.1, 211), _particle(10, 1.0, 0, 211)])
    # Only the 4 GeV pion is inside Delta R < 0.3 of the electron.
    assert relative_isolation(parts, np.array([0]), 0.3)[0] == pytest.approx(0.1)


def test_objects_slots_met_and_trigger():
    parts = np.array([
        _particle(50, 0.5, 0.0, 11),  # isolated electron: triggers
        _particle(20, -1.0, 2.0, -13),  # isolated muon
        _particle(30, 1.5, -2.0, 11),  # second electron
        _particle(8, 2.3, 1.0, 13),  # muon outside |eta| < 2.1: dropped, not in jets either
        _particle(60, -0.5, -1.0, 211), _particle(40, -0.55, -1.05, 22),  # one jet of 100 GeV
        _particle(12, 3.0, 2.5, 211),  # below the 15 GeV jet threshold
        _particle(25, 0.0, 3.0, 12),  # neutrino: only in MET
    ])
    out, fired = reconstruct(parts, EXACT, np.random.default_rng(0))
    assert fired
    assert out.shape == (19, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out[1, :3], [50, 0.5, 0.0], atol=1e-4)
    np.testing.assert_allclose(out[2, :3], [30, 1.5, -2.0], atol=1e-4)
    assert list(out[1:5, 3]) == [2, 2, 0, 0]
    np.testing.assert_allclose(out[5, :3], [20, -1.0, 2.0], atol=1e-4)
    assert list(out[5:9, 3]) == [3, 0, 0, 0]
    assert out[9, 3] == 4 and out[9, 0] == pytest.approx(100.0, rel=1e-3)
    assert np.all(out[10:, 3] == 0)
    visible = parts[parts[:, 4] != 12]
    met = -visible[:, :2].sum(axis=0)
    np.testing.assert_allclose(out[0], [np.hypot(*met), 0.0, np.arctan2(met[1], met[0]), 1], rtol=1e-5, atol=1e-5)


def test_soft_or_non_isolated_leptons_do_not_trigger():
    soft = np.array([_particle(15, 0, 0, 11), _particle(50, 1, 2, 211)])
    assert not could_fire(soft, EXACT)
    assert not reconstruct(soft, EXACT, np.random.default_rng(0))[1]
    buried = np.array([_particle(30, 0, 0, 13), _particle(40, 0.05, 0.05, 211)])
    assert could_fire(buried, EXACT)
    out, fired = reconstruct(buried, EXACT, np.random.default_rng(0))
    assert not fired and np.all(out[5:9, 3] == 0)
