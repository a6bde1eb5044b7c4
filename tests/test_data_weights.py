"""Event weights (L1 QCD mixture), the jets' boson-production options and L1 inputs that never saturate."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from codesign.data import read_l1, write_l1
from codesign.data.jets import BOSON_PROCESSES, JetConfig
from codesign.data.l1 import ADC2021_MIXTURE, SUBPROCESS_NAMES
from codesign.data.production import jet_config_from_options, mixture_weights
from codesign.errors import DataError, SpecError
from codesign.precision import FixedPrecision


def test_mixture_weights_give_each_component_its_fraction_of_the_summed_weight():
    rng = np.random.default_rng(0)
    names = ("w_lnu", "qcd_bb", "z_ll", "ttbar")
    counts = {"w_lnu": 700, "qcd_bb": 50, "z_ll": 80, "ttbar": 5}
    sub = np.concatenate([np.full(c, SUBPROCESS_NAMES.index(k)) for k, c in counts.items()] + [np.full(9, 5)])
    raw = np.where(sub == SUBPROCESS_NAMES.index("qcd_bb"), rng.uniform(0.001, 0.01, len(sub)), 1.0)
    w = mixture_weights(raw, sub, SUBPROCESS_NAMES, ADC2021_MIXTURE)
    n_bkg = sum(counts.values())
    for name in names:
        mask = sub == SUBPROCESS_NAMES.index(name)
        assert w[mask].sum() == pytest.approx(ADC2021_MIXTURE[name] * n_bkg, rel=1e-12)
        # within a component the generation weights keep their ratios
        assert np.allclose(w[mask] / raw[mask], w[mask][0] / raw[mask][0], rtol=1e-12)
    assert np.all(w[sub == 5] == 1.0)  # a signal event weighs 1
    with pytest.raises(DataError, match="finite"):
        mixture_weights(np.where(sub == 0, np.nan, raw), sub, SUBPROCESS_NAMES, ADC2021_MIXTURE)


def test_weights_round_trip_through_the_l1_file_and_follow_subsets(tmp_path):
    n = 12
    particles = np.zeros((n, 19, 4), np.float32)
    particles[:, 0] = (30.0, 0.0, 0.5, 1)
    process = np.array([0] * 8 + [1] * 4)
    weights = np.linspace(0.5, 2.0, n)
    path = write_l1(tmp_path / "w.h5", particles, process, ("background", "ato4l"), weights=weights)
    sample = read_l1(path)
    assert sample.weights.dtype == np.float64
    np.testing.assert_array_equal(sample.weights, weights)
    np.testing.assert_array_equal(sample.background().event_weights, weights[:8])
    unweighted = write_l1(tmp_path / "u.h5", particles, process, ("background", "ato4l"))
    assert read_l1(unweighted).weights is None
    np.testing.assert_array_equal(read_l1(unweighted).event_weights, np.ones(n))
    with h5py.File(path, "r+") as fh:
        fh["Weights"][0] = -1.0
    with pytest.raises(DataError, match="Weights"):
        read_l1(path)


def test_boson_process_settings_and_refusals():
    w = {p: JetConfig(boson_process=p).pythia_settings("w") for p in BOSON_PROCESSES}
    assert "HiggsBSM:gg2H2 = on" in w["scalar"] and "35:onIfMatch = 24 -24" in w["scalar"]
    assert "NewGaugeBoson:ffbar2Wprime = on" in w["wprime"]
    assert "WeakBosonAndParton:qqbar2Wg = on" in w["vjet"]
    # the resonance's mass window covers twice the jet pT window; the pT-hat window is not used for it
    assert "35:mMin = 1440" in w["scalar"] and "35:mMax = 2640" in w["scalar"]
    assert not any(s.startswith("PhaseSpace:pTHat") for s in w["scalar"])
    narrow = JetConfig(parton_pt=1000.0)
    assert narrow.pythia_settings("g")[-2:] == ("PhaseSpace:pTHatMin = 990", "PhaseSpace:pTHatMax = 1010")
    assert "35:mMin = 1980" in narrow.pythia_settings("z")
    with pytest.raises(DataError, match="boson process"):
        JetConfig(boson_process="nope").pythia_settings("w")
    with pytest.raises(DataError, match="--parton-pt"):
        jet_config_from_options(800.0, 1200.0, 8, "scalar", 1300.0)


def test_l1_inputs_use_log_pt_and_never_saturate_the_input_type(tmp_path):
    """A rarely filled slot (4th muon in 1 event of 400) gets a floored spread: every physical value, up to
    pT = 6.5 TeV, stays inside ap_fixed<16,6> after standardisation (z-scores sent it to +-32 before)."""
    from codesign.datasets import load_dataset
    from codesign.l1_inputs import HEADROOM, physical_bounds
    from codesign.spec import DataSpec, Family

    rng = np.random.default_rng(1)
    n = 400
    particles = np.zeros((n, 19, 4), np.float32)
    particles[:, 0] = np.stack([rng.uniform(5, 80, n), np.zeros(n), rng.uniform(-3, 3, n), np.ones(n)], 1)
    particles[:, 5] = np.stack([rng.uniform(24, 90, n), rng.uniform(-2, 2, n), rng.uniform(-3, 3, n), np.full(n, 3)], 1)
    particles[0, 8] = (30.0, 1.0, 1.0, 3)  # the only 4th muon
    sig = np.zeros((3, 19, 4), np.float32)
    sig[:, 5:9] = (6500.0, -2.1, np.pi, 3)  # extreme but physical muons in every muon slot
    weights = np.r_[rng.uniform(0.5, 3.0, n), np.ones(3)]
    path = write_l1(tmp_path / "l1.h5", np.concatenate([particles, sig]), np.r_[np.zeros(n, int), np.ones(3, int)],
                    ("background", "ato4l"), weights=weights)  # fmt: skip
    precision = FixedPrecision.parse("ap_fixed<16,6>")
    spec = DataSpec(path=str(path), n_train=300, n_test=100, seed=3)
    data = load_dataset(spec, Family.VAE, precision)
    assert data.feature_names[:3] == ("logpt_0", "eta_0", "phi_0")
    limit = precision.max_value
    assert np.abs(data.signals["ato4l"]).max() < limit  # not clipped
    bound_std = (physical_bounds("log") + np.abs(data.mean)) / (HEADROOM * limit)
    assert np.all(data.std >= bound_std - 1e-12)
    # the test rows' weights are the file's background weights, in the test rows' order
    order = np.random.default_rng(3).permutation(n)
    np.testing.assert_array_equal(data.weights_test, weights[order[300:400]])
    np.testing.assert_array_equal(data.weights_train, weights[order[:300]])
    # the inputs are log(1 + pT): the MET slot of the first test row
    expected = (np.log1p(particles[order[300], 0, 0]) - data.mean[0]) / data.std[0]
    assert data.x_test[0, 0] == pytest.approx(expected, abs=2.0**-10)
    linear = load_dataset(DataSpec(path=str(path), n_train=300, n_test=100, seed=3, pt_scale="linear"), Family.VAE,
                          precision)  # fmt: skip
    assert linear.feature_names[0] == "pt_0" and np.abs(linear.signals["ato4l"]).max() < limit


def test_l1_slot_never_filled_gets_the_floored_spread_as_a_slot_filled_once(tmp_path):
    """The 4th electron's slot: empty in every training row, or filled in one; both get the physical floor."""
    from codesign.datasets import load_dataset
    from codesign.l1_inputs import HEADROOM, physical_bounds
    from codesign.spec import DataSpec, Family

    rng = np.random.default_rng(4)
    n = 400
    particles = np.zeros((n, 19, 4), np.float32)
    particles[:, 0] = np.stack([rng.uniform(5, 80, n), np.zeros(n), rng.uniform(-3, 3, n), np.ones(n)], 1)
    particles[:, 1] = np.stack([rng.uniform(24, 90, n), rng.uniform(-2, 2, n), rng.uniform(-3, 3, n), np.full(n, 2)], 1)
    sig = np.zeros((2, 19, 4), np.float32)
    sig[:, 1:5] = (40.0, 0.5, 1.0, 2)  # four electrons
    precision = FixedPrecision.parse("ap_fixed<16,6>")
    limit = HEADROOM * float(precision.max_value)
    order = np.random.default_rng(0).permutation(n)
    spreads = {}
    for case in ("empty", "once"):
        rows = particles.copy()
        if case == "once":
            rows[order[0], 4] = (3.0, 0.01, 0.01, 2)  # one soft 4th electron in a training row
        path = write_l1(tmp_path / f"{case}.h5", np.concatenate([rows, sig]), np.r_[np.zeros(n, int), np.ones(2, int)],
                        ("background", "ato4l"))  # fmt: skip
        data = load_dataset(DataSpec(path=str(path), n_train=300, n_test=100, seed=0), Family.VAE, precision)
        slot = [data.feature_names.index(f"{k}_4") for k in ("logpt", "eta", "phi")]
        spreads[case] = data.std[slot]
        floor = (physical_bounds("log")[slot] + np.abs(data.mean[slot])) / limit
        np.testing.assert_allclose(data.std[slot], floor, rtol=1e-12)  # below the floor either way: the floor
    np.testing.assert_allclose(spreads["empty"], spreads["once"], rtol=1e-3)


def test_pt_scale_is_refused_for_jet_data():
    from codesign.data import SHIPPED_JETS
    from codesign.datasets import load_dataset
    from codesign.spec import DataSpec, Family

    if not SHIPPED_JETS.is_file():
        pytest.skip("shipped jets sample not present")
    with pytest.raises(SpecError, match="pt_scale"):
        load_dataset(DataSpec(source="jets_hlf", n_train=10, n_test=10, pt_scale="log"), Family.MLP, None)


def test_weighted_background_reaches_the_metrics():
    """The dataset's test-row weights (``weights_test``) weight the background in every stage's anomaly metrics."""
    from types import SimpleNamespace

    from codesign import metrics
    from codesign.metrics_stages import event_weights, stage_metrics

    rng = np.random.default_rng(0)
    bkg, sig = rng.normal(size=400), rng.normal(1.0, size=100)
    w = rng.uniform(0.1, 5.0, size=400)
    data = SimpleNamespace(task="anomaly", x_test=np.zeros((400, 2)), weights_test=w, signals={"s": np.zeros((100, 2))})
    got_w, per_signal = event_weights(data)
    np.testing.assert_array_equal(got_w, w)
    assert per_signal == {}
    out = stage_metrics(data, {"float": {"background": bkg, "s": sig}})
    want = metrics.anomaly_metrics(bkg, {"s": sig}, weights=w).to_dict()
    unweighted = metrics.anomaly_metrics(bkg, {"s": sig}).to_dict()
    assert out["float"]["signals"]["s"]["auc"] == want["signals"]["s"]["auc"]
    assert want["signals"]["s"]["auc"] != unweighted["signals"]["s"]["auc"]


@pytest.mark.slow
def test_qcd_chunk_is_weighted_by_its_forced_decays():
    """Two triggered QCD b-bbar events (a few CPU-seconds): weight = product of open semileptonic fractions of
    the decayed b hadrons / rehadronisations, each b hadron's fraction being in (0.1, 0.3)."""
    pytest.importorskip("pythia8mc")
    from codesign.data.l1 import L1Config, generate_l1_chunk

    chunk = generate_l1_chunk("qcd_bb", 2, 7, L1Config(include_qcd=True, qcd_rehadronize=4))
    assert chunk.weights.shape == (2,)
    per_b = chunk.weights * 4
    n_b = np.round(np.log(per_b) / np.log(0.18))  # at least one b hadron decayed in a b-bbar event
    assert np.all(n_b >= 1)
    assert np.all((per_b <= 0.3**n_b) & (per_b >= 0.1**n_b))
    leptons = np.isin(chunk.particles[:, 1:9, 3], (2, 3)) & (chunk.particles[:, 1:9, 0] > 23.0)
    assert np.all(leptons.any(axis=1))  # each passed the single-lepton trigger


def test_qcd_options_need_with_qcd_and_the_summary_shows_the_weight_mixture(tmp_path):
    import click
    from click.testing import CliRunner

    from codesign.cli.data import register
    from codesign.data.summary import l1_summary

    @click.group()
    def main() -> None:
        """Test group."""

    register(main)
    result = CliRunner().invoke(main, ["data", "l1", "--n", "5", "--out", str(tmp_path / "x.h5"), "--n-qcd", "2"])
    assert result.exit_code == 2 and "--with-qcd" in result.output
    n = 6
    particles = np.zeros((n, 19, 4), np.float32)
    sub = np.array([0, 0, 0, 1, 1, 1])  # w_lnu, qcd_bb
    w = np.array([0.5, 0.5, 0.5, 2.0, 2.0, 0.5])
    path = write_l1(tmp_path / "m.h5", particles, np.zeros(n, int), ("background",), sub, SUBPROCESS_NAMES, weights=w)
    mix = l1_summary(path)["per_process"]["background"]
    assert mix["mixture"] == {"w_lnu": 0.5, "qcd_bb": 0.5}
    assert mix["weight_mixture"]["qcd_bb"] == pytest.approx(4.5 / 6.0)
