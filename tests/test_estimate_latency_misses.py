"""benchmarks/latency_misses.py: where a held-out latency miss lies, and that its list accounts for the
benchmark's latency figure exactly."""

import pytest

from tests.benchmark_module import load_benchmark


@pytest.fixture(scope="module")
def lm():
    return load_benchmark("latency_misses")


def test_label_names_the_part_carrying_the_miss(lm):
    parts = {lm.PARTS[0]: -1, lm.PARTS[1]: 0, lm.PARTS[2]: -3}
    assert lm.label(parts) == "top function"
    assert lm.label({lm.PARTS[0]: 5, lm.PARTS[1]: -4, lm.PARTS[2]: 0}) == "matched layers"
    assert lm.label(None) == "no raw report"


def test_worst_layer_kind(lm):
    def layer(function, pred, rep, rf=1, strategy="latency"):
        return {"function": function, "pred": pred, "rep": rep, "reuse_factor": rf, "strategy": strategy}

    layers = [layer("dense", 3, 2), layer("dense", 20, 28, rf=100), layer("softmax", 7, 9), layer("relu", 0, None)]
    assert lm.worst_layer(layers) == "dense/latency RF>1"
    assert lm.worst_layer([layer("softmax", 7, 9), layer("dense", 3, 3)]) == "softmax"
    assert lm.worst_layer([layer("dense", 3, 3), layer("relu", 1, None)]) is None


def test_misses_account_for_the_benchmark_figure(lm):
    """1 - (capped weight of the listed misses) / (total weight) is the benchmark's latency-within-2 figure,
    computed there by accuracy_figures.figures; on the records carried in the package (no raw/ reports)."""
    from codesign.estimate.calibration_set import CARRIED

    res = lm.misses(CARRIED, 2)
    missed = sum(r["weight"] for r in res["rows"])
    assert res["rows"] and all(abs(r["pred"] - r["act"]) > 2 for r in res["rows"])
    assert 1 - missed / res["total_weight"] == pytest.approx(res["lat_within2"], abs=1e-12)
    assert {r["where"] for r in res["rows"]} == {"no raw report"}
