"""The report's plots: one ROC panel per signal with the stages as lines, the R_z histogram on a log axis, unique
resource-plot rows, weights in the curves, and mplhep's style while the figures are drawn."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mplhep")

from codesign import metrics, physics_plots, report_plots  # noqa: E402

STAGES = ("float", "pruned", "quantized", "firmware")
SIGNALS = ("ato4l", "lq_btau", "h_tautau", "hpm_taunu")


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions save, with the rcParams in force while saving."""
    import matplotlib

    kept: list = []
    real = physics_plots._save

    def keep(fig, path):
        kept.append((fig, dict(matplotlib.rcParams)))
        return real(fig, path)

    monkeypatch.setattr(physics_plots, "_save", keep)
    return kept


def _rz(rng, n, scale):
    """An R_z-like score: a sum of squares, exactly 0 for a few events, spanning decades."""
    out = scale * np.sum(rng.normal(size=(n, 3)) ** 2, axis=1)
    out[:5] = 0.0
    return out


def test_anomaly_roc_has_one_panel_per_signal_with_the_stages_as_lines(tmp_path, figures):
    rng = np.random.default_rng(0)
    background = {s: rng.normal(0, 1, 1000) for s in STAGES}
    signals = {s: {k: rng.normal(1 + i, 1, 100) for i, k in enumerate(SIGNALS)} for s in STAGES}
    path = physics_plots.plot_anomaly_roc(background, signals, tmp_path / "roc.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    fig, rc = figures[0]
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == list(SIGNALS)
    for ax in panels:
        assert ax.get_xscale() == "log"
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert [t.split(" (AUC")[0] for t in legend[:4]] == list(STAGES)
        assert legend[4] == f"FPR 1e-5 = {metrics.rate_at_fpr_khz(1e-5):.3g} kHz"
    assert rc["xtick.direction"] == "in" and rc["xtick.minor.visible"]  # mplhep's CMS style was in force


def test_weights_reach_the_roc_curves(tmp_path, figures):
    rng = np.random.default_rng(1)
    bkg, sig = rng.normal(0, 1, 2000), rng.normal(1, 1, 300)
    w = np.exp(bkg)  # the background's tail weighs more: the weighted AUC is lower
    physics_plots.plot_anomaly_roc({"float": bkg}, {"float": {"s": sig}}, tmp_path / "roc.png", weights=w)
    legend = [t.get_text() for t in figures[0][0].axes[0].get_legend().get_texts()]
    truth = np.r_[np.zeros(2000, bool), np.ones(300, bool)]
    weighted = metrics.roc_auc(truth, np.r_[bkg, sig], np.r_[w, np.ones(300)])
    assert legend[0] == f"float (AUC {weighted:.3f})"
    assert f"{weighted:.3f}" != f"{metrics.roc_auc(truth, np.r_[bkg, sig]):.3f}"


def test_rz_histogram_is_on_a_log_axis(tmp_path, figures):
    rng = np.random.default_rng(2)
    bkg, sig = _rz(rng, 5000, 0.05), {"ato4l": _rz(rng, 500, 5.0)}
    physics_plots.plot_score_distributions(bkg, sig, tmp_path / "scores.png", xlabel="R_z")
    ax = figures[0][0].axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["background", "ato4l"] and legend[2].startswith("10 values < ")  # the zeros, said so
    edges, is_log = physics_plots.score_edges([bkg, sig["ato4l"]], 60, None)
    assert is_log and np.allclose(np.diff(np.log(edges)), np.log(edges[1] / edges[0]))
    # a score with negative values stays on a linear axis
    physics_plots.plot_score_distributions(rng.normal(0, 1, 500), {"s": rng.normal(2, 1, 50)}, tmp_path / "n.png")
    assert figures[1][0].axes[0].get_xscale() == "linear"


def test_resource_rows_stay_unique_when_a_layer_is_named_like_a_numbered_one():
    names = ["dense", "dense (1)", "dense", "relu", "relu"]
    labels = report_plots.unique_labels(names)
    assert len(set(labels)) == len(names)
    assert labels == ["dense (2)", "dense (1)", "dense (3)", "relu (1)", "relu (2)"]
