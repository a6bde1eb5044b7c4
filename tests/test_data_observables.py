"""Jet observables against hand-computed small cases and a brute-force loop implementation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from codesign.data import observables as obs


def _brute_ecfs(pt, rap, phi, beta):
    """Loop-over-triplets reference: (e2, e3, _1e3, _2e3) straight from the definitions."""
    z = np.asarray(pt, float) / np.sum(pt)

    def dr(a, b):
        dphi = (phi[a] - phi[b] + math.pi) % (2 * math.pi) - math.pi
        return math.hypot(rap[a] - rap[b], dphi)

    e2 = sum(z[a] * z[b] * dr(a, b) ** beta for a, b in itertools.combinations(range(len(z)), 2))
    e3 = v1 = v2 = 0.0
    for a, b, c in itertools.combinations(range(len(z)), 3):
        d = sorted([dr(a, b), dr(a, c), dr(b, c)])
        w = z[a] * z[b] * z[c]
        e3 += w * (d[0] * d[1] * d[2]) ** beta
        v1 += w * d[0] ** beta
        v2 += w * (d[0] * d[1]) ** beta
    return e2, e3, v1, v2


def test_two_particles_by_hand():
    # pT 3 and 1 at Delta R = 0.5: z = 0.75, 0.25; e2 = 0.1875 d^beta; no triplets.
    values = obs.ecfs(np.array([3.0, 1.0]), np.array([0.0, 0.3]), np.array([0.0, 0.4]))
    assert values[1.0].e2 == pytest.approx(0.1875 * 0.5)
    assert values[2.0].e2 == pytest.approx(0.1875 * 0.25)
    assert values[1.0].e3 == 0.0 and values[2.0].e3_v2 == 0.0
    ratios = obs.ecf_ratios(np.array([3.0, 1.0]), np.array([0.0, 0.3]), np.array([0.0, 0.4]))
    assert ratios["j_c1_b0"] == pytest.approx(0.1875)
    assert ratios["j_d2_b1"] == 0.0  # e3 = 0: no three-prong structure


def test_equilateral_triangle_by_hand():
    # Equal pT at the corners of an equilateral triangle of side d: z = 1/3.
    d = 0.4
    rap = np.array([0.0, d, d / 2])
    phi = np.array([0.0, 0.0, d * math.sqrt(3) / 2])
    r = obs.ecf_ratios(np.ones(3), rap, phi)
    for beta in (1, 2):
        db = d**beta
        assert r[f"j_c1_b{beta}"] == pytest.approx(db / 3)
        assert r[f"j_c2_b{beta}"] == pytest.approx(db / 3)
        assert r[f"j_d2_b{beta}"] == pytest.approx(1.0)
        assert r[f"j_m2_b{beta}"] == pytest.approx(1.0 / 9.0)
        assert r[f"j_n2_b{beta}"] == pytest.approx(1.0 / 3.0)
    assert r["j_c1_b0"] == pytest.approx(1.0 / 3.0)
    # D2^(alpha=1, beta=2) = e3^(1) / (e2^(2))^(3/2) with e3^(1) = d^3/27 and e2^(2) = d^2/3.
    assert r["j_d2_a1_b2"] == pytest.approx((d**3 / 27) / (d**2 / 3) ** 1.5)
    assert r["j_d2_a1_b1"] == pytest.approx(r["j_d2_b1"])


def test_right_triangle_unequal_pt_by_hand():
    # A(0,0) z=0.5, B(0.3,0) z=0.3, C(0,0.4) z=0.2: sides AB 0.3, AC 0.4, BC 0.5.
    v = obs.ecfs(np.array([0.5, 0.3, 0.2]), np.array([0.0, 0.3, 0.0]), np.array([0.0, 0.0, 0.4]))[1.0]
    assert v.e2 == pytest.approx(0.15 * 0.3 + 0.10 * 0.4 + 0.06 * 0.5)  # 0.115
    assert v.e3 == pytest.approx(0.03 * 0.3 * 0.4 * 0.5)  # 0.0018
    assert v.e3_v1 == pytest.approx(0.03 * 0.3)  # smallest angle
    assert v.e3_v2 == pytest.approx(0.03 * 0.3 * 0.4)  # two smallest angles


def test_phi_wraps_around():
    v = obs.ecfs(np.array([1.0, 1.0]), np.array([0.0, 0.0]), np.array([math.pi - 0.1, -math.pi + 0.1]))[1.0]
    assert v.e2 == pytest.approx(0.25 * 0.2)


@pytest.mark.parametrize("n", [3, 7, 25])
def test_ecfs_match_loop_reference(n):
    rng = np.random.default_rng(n)
    pt, rap, phi = rng.exponential(10.0, n), rng.normal(0, 0.3, n), rng.normal(3.0, 0.3, n)
    fast = obs.ecfs(pt, rap, phi)
    for beta in obs.BETAS:
        ref = _brute_ecfs(pt, rap, phi, beta)
        got = (fast[beta].e2, fast[beta].e3, fast[beta].e3_v1, fast[beta].e3_v2)
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-15)


def test_zlogz_and_nsubjettiness_by_hand():
    assert obs.zlogz(np.ones(4)) == pytest.approx(-math.log(4))
    assert obs.zlogz(np.array([5.0])) == 0.0
    pt, rap, phi = np.array([3.0, 1.0]), np.array([0.0, 0.3]), np.array([0.0, 0.4])
    # One axis on the hard particle: tau1 = 1 * 0.5^beta / (4 * R0^beta).
    assert obs.nsubjettiness(pt, rap, phi, rap[:1], phi[:1], 1.0, 0.8) == pytest.approx(0.5 / (4 * 0.8))
    assert obs.nsubjettiness(pt, rap, phi, rap[:1], phi[:1], 2.0, 0.8) == pytest.approx(0.25 / (4 * 0.64))
    assert obs.nsubjettiness(pt, rap, phi, rap, phi, 1.0, 0.8) == 0.0


def test_invariant_mass_by_hand():
    # Two massless 100 GeV particles back to back in the transverse plane: m = 200 GeV.
    assert obs.invariant_mass(np.array([100.0, -100.0]), np.zeros(2), np.zeros(2), np.array([100.0, 100.0])) == pytest.approx(200.0)


def test_jet_columns_nsubjettiness_by_hand():
    pytest.importorskip("fastjet")
    from codesign.data.jets import JetConfig, jet_columns

    # Two massless 100 GeV particles at y = +-0.1, phi = 0: the one-axis jet direction is y = 0, and the
    # two exclusive-kT axes are the particles themselves.
    rows = []
    for y in (0.1, -0.1):
        rows.append([100.0, 0.0, 100.0 * math.sinh(y), 100.0 * math.cosh(y)])
    cols = jet_columns(np.array(rows), JetConfig())
    assert cols["j_tau1_b1"] == pytest.approx(2 * 100 * 0.1 / (200 * 0.8))
    assert cols["j_tau1_b2"] == pytest.approx(2 * 100 * 0.01 / (200 * 0.64))
    assert cols["j_tau2_b1"] == pytest.approx(0.0, abs=1e-12)
    assert cols["j_multiplicity"] == 2.0
    assert cols["j_mass_mmdt"] == pytest.approx(cols["j_mass"])  # z = 0.5 passes the mMDT cut
    assert cols["j_zlogz"] == pytest.approx(math.log(0.5))


def test_mmdt_drops_a_soft_wide_particle_and_keeps_two_hard_prongs():
    pytest.importorskip("fastjet")
    from codesign.data.clustering import mmdt_groom

    def p4(pt, y, phi):
        return [pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(y), pt * math.cosh(y)]

    # Prongs of 100 and 80 GeV 0.3 apart (z = 0.44 > 0.1) and a 2 GeV particle 0.7 away (z = 0.011).
    parts = np.array([p4(100, 0.0, 0.0), p4(80, 0.3, 0.0), p4(2, -0.5, 0.5)])
    assert mmdt_groom(parts, 0.1).tolist() == [0, 1]
    # With a 15 GeV third particle (z = 0.077) it is still groomed away; at z_cut = 0.05 it stays.
    parts[2] = p4(15, -0.5, 0.5)
    assert mmdt_groom(parts, 0.1).tolist() == [0, 1]
    assert mmdt_groom(parts, 0.05).tolist() == [0, 1, 2]
    # A lone hard prong with a soft companion grooms down to the hard particle.
    assert mmdt_groom(np.array([p4(100, 0, 0), p4(5, 0.2, 0)]), 0.1).tolist() == [0]
