"""Pileup mitigation of L1 events (codesign.data.pileup_mitigation) on hand-made events: charged-hadron
subtraction in and out of the tracker, FastJet's grid-median rho against a numpy grid and hand-set tiles, jets
with a known active area and rho, rho-corrected isolation, and the refusals (config, CLI, reuse)."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("fastjet")

from codesign.data import pileup_mitigation as PU  # noqa: E402
from codesign.data.detector import DetectorModel, reconstruct, relative_isolation  # noqa: E402
from codesign.errors import DataError  # noqa: E402

EXACT = DetectorModel(
    electron_efficiency=1.0, muon_efficiency=1.0, electron_res_const=0.0, electron_res_stoch=0.0,
    muon_res_const=0.0, muon_res_linear=0.0, jet_res_const=0.0, jet_res_stoch=0.0, met_res_stoch=0.0,
)
DPHI = 2 * math.pi / 13  # FastJet's rho grid: 0.5 in rapidity, 2 pi / 13 in azimuth
TILE_AREA = 0.5 * DPHI


def _particle(pt, eta, phi, pid):
    px, py, pz = pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta)
    return [px, py, pz, math.sqrt(px * px + py * py + pz * pz), pid]


def _eta(parts):
    return np.arcsinh(parts[:, 2] / np.hypot(parts[:, 0], parts[:, 1]))


def test_chs_removes_charged_pileup_inside_the_tracker_only():
    eta = np.array([0.0, 2.4, 2.6, -2.49, 1.0, -3.0])
    charged_pu = np.array([True, True, True, True, False, False])
    np.testing.assert_array_equal(PU.chs_keep(eta, charged_pu), [False, False, True, False, True, True])
    with pytest.raises(DataError, match="charged-pileup mask"):
        PU.chs_keep(eta, charged_pu[:3])


def test_chs_in_the_detector_model():
    parts = np.array([
        _particle(40, 0.0, 0.0, 11),  # hard electron
        _particle(30, 0.1, 0.0, 211),  # charged pileup next to it: spoils its isolation unless removed
        _particle(5, 0.0, 0.2, 22),  # neutral pileup in its cone: stays (isolation 5 / 40)
        _particle(20, 3.0, 2.0, 211),  # charged pileup outside the tracker: stays, a 20 GeV jet
        _particle(25, -1.0, -2.0, -211),  # charged pileup in the tracker far away: removed (no jet)
    ])
    charged_pu = np.array([False, True, False, True, True])
    out, fired = reconstruct(parts, EXACT, np.random.default_rng(0), "none", charged_pu)
    assert not fired  # isolation 35 / 40
    out, fired = reconstruct(parts, EXACT, np.random.default_rng(0), "chs", charged_pu)
    assert fired
    np.testing.assert_allclose(out[1, :3], [40, 0, 0], atol=1e-5)
    assert list(out[1:5, 3]) == [2, 0, 0, 0]
    assert out[9, 3] == 4 and out[10, 3] == 0  # one jet: the forward charged pileup
    np.testing.assert_allclose(out[9, :3], [20, 3.0, 2.0], rtol=1e-5)
    met = -parts[:, :2].sum(axis=0)  # MET is not mitigated: every particle, charged pileup included
    np.testing.assert_allclose(out[0, :3], [np.hypot(*met), 0.0, np.arctan2(met[1], met[0])], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="charged-pileup mask"):
        reconstruct(parts, EXACT, np.random.default_rng(0), "chs")


def _numpy_grid_rho(parts, abs_lo, abs_hi):
    """An independent grid median: 20 x 13 cells over |y| < 5, the cells whose centre has lo <= |y| <= hi."""
    pt = np.hypot(parts[:, 0], parts[:, 1])
    y = 0.5 * np.log((parts[:, 3] + parts[:, 2]) / (parts[:, 3] - parts[:, 2]))
    phi = np.remainder(np.arctan2(parts[:, 1], parts[:, 0]), 2 * math.pi)
    inside = np.abs(y) < 5.0
    sums = np.zeros((20, 13))
    np.add.at(sums, (((y[inside] + 5.0) / 0.5).astype(int), (phi[inside] / DPHI).astype(int) % 13), pt[inside])
    centres = np.abs(-4.75 + 0.5 * np.arange(20))
    rows = (centres >= abs_lo) & (centres <= abs_hi)
    return float(np.median(sums[rows].ravel() / TILE_AREA))


def test_rho_is_the_median_cell_density_in_each_region():
    parts, central, forward = [], [], []
    for iy in range(20):
        for iphi in range(13):
            y, phi = -4.75 + 0.5 * iy, (iphi + 0.5) * DPHI
            if abs(y) < 2.5:
                central.append(1.0 + 0.1 * len(central))
                parts.append(_particle(central[-1], y, phi, 22))
            elif abs(y) < 4.5:
                forward.append(3.0 if len(forward) % 3 else 7.0)
                parts.append(_particle(forward[-1], y, phi, 22))
            else:
                parts.append(_particle(100.0, y, phi, 22))  # outside both regions
    parts = np.array(parts)
    rho = PU.Rho.measure(parts)
    assert len(central) == 130 and len(forward) == 104
    assert rho.central == pytest.approx(np.median(central) / TILE_AREA, rel=1e-12)
    assert rho.forward == pytest.approx(3.0 / TILE_AREA, rel=1e-12)
    np.testing.assert_array_equal(rho.at(np.array([0.0, -2.49, 2.5, -3.9])), [rho.central] * 2 + [rho.forward] * 2)
    # a random event: FastJet's estimator against the numpy grid
    rng = np.random.default_rng(3)
    noise = np.array([_particle(p, e, f, 22) for p, e, f in zip(
        rng.exponential(1.0, 3000), rng.uniform(-4.9, 4.9, 3000), rng.uniform(-math.pi, math.pi, 3000), strict=True)])
    rho = PU.Rho.measure(noise)
    assert rho.central == pytest.approx(_numpy_grid_rho(noise, 0.0, 2.5), rel=1e-12)
    assert rho.forward == pytest.approx(_numpy_grid_rho(noise, 2.5, 4.5), rel=1e-12)
    assert rho.central > 0 and rho.forward > 0


def _ghost_area(eta, phi, radius=0.4, ghost_area=0.01, rap_max=4.9):
    """Active area of a lone hard particle: FastJet's ghost grid cells (no scatter) within radius, counted."""
    nrap, nphi = math.ceil(rap_max / math.sqrt(ghost_area)), math.ceil(2 * math.pi / math.sqrt(ghost_area))
    drap, dphi = rap_max / nrap, 2 * math.pi / nphi
    raps, phis = np.meshgrid((np.arange(-nrap, nrap) + 0.5) * drap, (np.arange(nphi) + 0.5) * dphi, indexing="ij")
    d_phi = np.remainder(phis - phi + math.pi, 2 * math.pi) - math.pi
    return int(((raps - eta) ** 2 + d_phi**2 < radius**2).sum()) * drap * dphi


def test_jets_lose_rho_times_area_and_isolation_the_cone_area():
    hard = [
        _particle(60, 0.123, 0.31, 211),  # central jet
        _particle(50, 3.21, 2.9, 211),  # forward jet
        _particle(30, -1.0, 5 * DPHI, 13),  # trigger muon at a cell corner (no background within 0.3)
        _particle(18, -0.95, 5 * DPHI + 0.05, 22),  # in the muon's cone: isolation 18 / 30 > 0.5 unless corrected
    ]
    s_central, s_forward = 4.0, 6.0  # background: one photon at each cell centre, far from the hard particles
    background = []
    for iy in range(1, 19):
        for iphi in range(13):
            y, phi = -4.75 + 0.5 * iy, (iphi + 0.5) * DPHI
            near = [math.hypot(y - h[0], math.remainder(phi - h[1], 2 * math.pi)) < 0.9
                    for h in ((0.123, 0.31), (3.21, 2.9), (-1.0, 5 * DPHI))]  # fmt: skip
            if not any(near):
                background.append(_particle(s_central if abs(y) < 2.5 else s_forward, y, phi, 22))
    parts = np.array(hard + background)
    rho_c, rho_f = s_central / TILE_AREA, s_forward / TILE_AREA
    rho = PU.Rho.measure(parts)
    assert rho.central == pytest.approx(rho_c, rel=1e-12) and rho.forward == pytest.approx(rho_f, rel=1e-12)
    no_pu = np.zeros(len(parts), dtype=bool)

    out, fired = reconstruct(parts, EXACT, np.random.default_rng(0), "chs", no_pu)
    assert not fired  # without the area correction the muon is not isolated
    out, fired = reconstruct(parts, EXACT, np.random.default_rng(0), "chs-area", no_pu)
    assert fired
    np.testing.assert_allclose(out[5, :3], [30, -1.0, 5 * DPHI], rtol=1e-5)
    want_central = 60 - rho_c * _ghost_area(0.123, 0.31)
    want_forward = 50 - rho_f * _ghost_area(3.21, 2.9)
    np.testing.assert_allclose(out[9, :3], [want_central, 0.123, 0.31], rtol=1e-5)
    np.testing.assert_allclose(out[10, :3], [want_forward, 3.21, 2.9], rtol=1e-5)
    assert want_forward < want_central and out[11, 3] == 0  # the photon's jet falls below 15 GeV: 2 jets
    # the isolation sum by hand: 18 GeV less rho x pi 0.3^2, over 30 GeV
    iso = relative_isolation(parts, np.array([2]), 0.3, rho_c * math.pi * 0.09)
    assert iso[0] == pytest.approx((18 - rho_c * math.pi * 0.09) / 30, rel=1e-12) and iso[0] < 0.5
    assert relative_isolation(parts, np.array([2]), 0.3, 100.0)[0] == 0.0  # floored at 0


def test_mitigation_settings_are_checked():
    from codesign.data.l1 import L1Config

    with pytest.raises(DataError, match="needs pileup"):
        L1Config(pileup_mitigation="chs")
    with pytest.raises(DataError, match="accepted: none, chs, chs-area"):
        L1Config(pileup=5.0, pileup_mitigation="puppi")
    assert L1Config(pileup=5.0, pileup_mitigation="chs-area").pileup_mitigation == "chs-area"
    with pytest.raises(ValueError, match="accepted"):
        reconstruct(np.zeros((0, 5)), EXACT, np.random.default_rng(0), "area")


def test_cli_refuses_a_mitigation_without_pileup(tmp_path):
    from click.testing import CliRunner

    from codesign.cli import main

    args = ["data", "l1", "--n", "2", "--out", str(tmp_path / "x.h5"), "--pileup-mitigation", "chs"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "needs --pileup above 0" in res.output
    assert not (tmp_path / "x.h5").exists()


def test_reuse_refuses_a_file_with_another_mitigation(tmp_path, monkeypatch):
    pytest.importorskip("pythia8mc")
    from codesign.data.l1 import L1Config
    from codesign.data.pileup import PileupOverlay
    from codesign.data.production import produce_l1

    # a hand-made pool instead of Pythia's minimum bias (its generator takes 5-50 s to set up)
    pool = (np.array([_particle(2.0, 0.5, 1.0, 211), _particle(1.0, -3.0, 2.0, 22)]),)
    monkeypatch.setattr(PileupOverlay, "generate", classmethod(
        lambda cls, mu, size, seed, e_cm: cls(mu, pool, (np.array([True, False]),))))
    per = {"background": 4}
    first = produce_l1(tmp_path / "a.h5", 4, ("background",), 3, L1Config(pileup=5.0, pileup_pool=3), 1, per,
                       progress=False, chunk_size=4)  # fmt: skip
    for mode in ("chs", "chs-area"):
        with pytest.raises(DataError, match="'pileup_mitigation' is 'none', this run's is '" + mode):
            produce_l1(tmp_path / f"{mode}.h5", 4, ("background",), 3, L1Config(pileup=5.0, pileup_pool=3,
                       pileup_mitigation=mode), 1, per, progress=False, chunk_size=4, reuse=first)  # fmt: skip
