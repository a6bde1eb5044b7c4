"""The physics plots write real PNG files from several labelled score sets."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from codesign.physics_plots import plot_anomaly_roc, plot_classifier_roc, plot_score_distributions  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plots_are_png(tmp_path):
    rng = np.random.default_rng(0)
    true = rng.integers(0, 5, 500)
    scores = rng.random((500, 5)) + np.eye(5)[true]
    paths = [
        plot_classifier_roc(np.eye(5)[true], {"float": scores, "firmware": scores + 0.01}, "gqwzt", tmp_path / "roc.png"),
        plot_anomaly_roc(
            {"float": rng.normal(0, 1, 2000), "quantized": rng.normal(0, 1, 2000)},
            {"float": {"ato4l": rng.normal(2, 1, 300)}, "quantized": {"ato4l": rng.normal(2, 1, 300)}},
            tmp_path / "sub" / "ad_roc.png",
        ),
        plot_score_distributions(rng.normal(0, 1, 2000), {"ato4l": rng.normal(2, 1, 300)}, tmp_path / "dist.png"),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == PNG_MAGIC
        assert path.stat().st_size > 5000
