"""benchmarks/latency_groups.py: the held-out latency figure split by tool, family, layer kind, strategy and RF, and
that every single-valued split accounts for the benchmark's figure exactly."""

import pytest

from tests.benchmark_module import load_benchmark


@pytest.fixture(scope="module")
def lg():
    return load_benchmark("latency_groups")


def test_kind_of_layer_functions(lg):
    assert lg.kind_of("dense_latency") == "Dense"
    assert lg.kind_of("compute_layer") == "Dense"
    assert lg.kind_of("conv_1d_cl") == "Conv1D"
    assert lg.kind_of("conv_2d_large_cl") == "Conv2D"
    assert lg.kind_of("pooling2d_cl") == "pooling"
    assert lg.kind_of("lstm_static") == "GRU/LSTM"
    assert lg.kind_of("softmax") == "softmax"
    assert lg.kind_of("leaky_relu") == "activation"
    assert lg.kind_of("h_dense_2_relu_quantizer") == "HGQ quantizer"
    assert lg.kind_of("hept") == "other"


def test_rf_band_takes_the_largest_reuse_factor(lg):
    assert lg.rf_band(None) == "RF 1"
    assert lg.rf_band([1, 1]) == "RF 1"
    assert lg.rf_band([1, 8]) == "RF 2-8"
    assert lg.rf_band([64, 2]) == "RF 9-64"
    assert lg.rf_band([65]) == "RF > 64"


def test_tool_era(lg):
    assert lg.tool_era({"hls_tool": "Vitis HLS", "hls_tool_version": "2022.2"}) == "Vitis HLS 2022.2 and later"
    assert lg.tool_era({"hls_tool": "Vitis HLS", "hls_tool_version": "2021.1"}) == "Vitis HLS before 2022.2"
    assert lg.tool_era({"hls_tool": "Vivado HLS", "hls_tool_version": "2020.1"}) == "Vivado HLS 2019.1-2020.1"
    assert lg.tool_era({"hls_tool": "Vivado HLS", "hls_tool_version": "2018.3"}) == "Vivado HLS before 2019.1"
    assert lg.tool_era({"hls_tool": "Vivado HLS"}) == "Vivado HLS version?"


def test_group_table_counts_weights_and_signs(lg):
    def row(repo, weight, err, version):
        attrs = lg.attributes({"hls_tool": version.split(" 20")[0], "hls_tool_version": version[-6:], "part": "?"},
                              ["dense", "relu"], err, 2)  # fmt: skip
        return {"repo": repo, "weight": weight, "err": err, "miss": abs(err) > 2, "attrs": attrs}

    rows = [row("a", 1.0, 0, "Vivado HLS 2020.1"), row("a", 0.5, -5, "Vivado HLS 2020.1"),
            row("b", 1.0, 4, "Vitis HLS 2024.2")]  # fmt: skip
    t = lg.group_table(rows)
    viv = t["tool"]["Vivado HLS"]
    assert (viv["records"], viv["repos"], viv["weight"], viv["short"], viv["long"]) == (2, ["a"], 1.5, 0.5, 0.0)
    assert viv["within"] == pytest.approx(1 / 1.5)
    assert t["tool version"]["Vitis HLS 2024.2"]["within"] == 0.0
    assert t["miss sign"]["long (pred > rep)"]["weight"] == 1.0
    assert t["layer kind"]["Dense"]["records"] == 3 and t["layer kind"]["activation"]["records"] == 3


def test_groups_account_for_the_benchmark_figure(lg):
    """In every single-valued dimension the groups' capped weights add up to the total and their within-2 weights to
    the benchmark's latency-within-2 figure (accuracy_figures.figures); on the records carried in the package."""
    from codesign.estimate.calibration_set import CARRIED

    res = lg.collect(CARRIED, 2)
    total = res["total_weight"]
    assert res["rows"] and total > 0
    for dim in ("tool", "tool version", "tool era", "family", "strategy", "reuse factor", "miss sign"):
        groups = res["groups"][dim].values()
        assert sum(g["weight"] for g in groups) == pytest.approx(total, abs=1e-9)
        within = sum(g["weight"] * g["within"] for g in groups) / total
        assert within == pytest.approx(res["lat_within2"], abs=1e-12), dim
    missed = sum(r["weight"] for r in res["rows"] if r["miss"])
    assert 1 - missed / total == pytest.approx(res["lat_within2"], abs=1e-12)
