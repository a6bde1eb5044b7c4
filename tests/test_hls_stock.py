"""Stock hls4ml projects (codesign.hls.stock) and the hls4ml baseline data that benchmarks/hls4ml_baselines.py reads."""

from __future__ import annotations

import json

import pytest
from benchmark_module import ROOT, load_benchmark

from codesign import hls
from codesign.estimate.settings import read_project


@pytest.fixture(scope="module")
def stock_project(tmp_path_factory):
    """A Dense + ReLU model written for Vitis, io_stream, Resource, xcvu9p at 4 ns (none of them hls4ml's default)."""
    import keras

    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    x = keras.layers.Dense(3, name="fc")(inp)
    out = keras.layers.Activation("relu", name="act")(x)
    path = tmp_path_factory.mktemp("stock") / "prj"
    hls.write_stock_project(
        keras.Model(inp, out),
        path,
        backend="Vitis",
        io_type="io_stream",
        part="xcvu9p-flga2104-2L-e",
        clock_ns=4.0,
        strategy="Resource",
    )
    return path


def test_stock_project_carries_every_setting(stock_project):
    """Each setting given reaches the written project: part and clock (project.tcl), backend, io_type, strategy."""
    s = read_project(stock_project)
    assert s["part"] == "xcvu9p-flga2104-2L-e"
    assert s["target_clock_ns"] == 4.0
    assert s["hls_tool"] == "Vitis HLS"
    assert s["io_type"] == ["io_stream"]
    assert s["strategy"] == ["resource"]
    assert [c.split("<")[0] for c in s["top_calls"] if "load_weights" not in c] == ["nnet::dense", "nnet::relu"]


def test_stock_project_is_not_codesign_conversion(stock_project):
    """No codesign sidecar: the project is hls4ml's own output, not the bit-exact conversion's."""
    assert not (stock_project / "codesign_firmware.npz").exists()
    assert (stock_project / "firmware" / "parameters.h").exists()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"backend": "Quartus", "io_type": "io_parallel"}, "backend 'Quartus'"),
        ({"backend": "Vivado", "io_type": "io_serial"}, "io_type 'io_serial'"),
    ],
)
def test_stock_project_refuses_what_it_cannot_write(tmp_path, kw, message):
    """A backend or io_type outside the accepted ones is refused by name, before hls4ml is called."""
    with pytest.raises(ValueError, match=message):
        hls.write_stock_project(object(), tmp_path / "p", part="xcvu13p-flga2577-2-e", clock_ns=5.0, **kw)


def test_baseline_data_is_complete():
    """Every baseline names its source file and commit, a test model the script builds, and whole-number figures."""
    bench = load_benchmark("hls4ml_baselines")
    data = json.loads((ROOT / "benchmarks" / "data" / "hls4ml_baselines.json").read_text())
    assert data["provenance"]["repo"] == "fastmachinelearning/hls4ml"
    names = set()
    for base in data["baselines"]:
        bench.test_case(base)
        assert base["path"] == f"test/pytest/baselines/{base['tool']}/{base['tool_version']}/{base['name']}.json"
        assert len(base["commit"]) == 40 and int(base["commit"], 16) >= 0
        assert base["WorstLatency"] >= base["BestLatency"] >= 0 and base["IntervalMax"] >= base["IntervalMin"] >= 1
        for key in ("LUT", "FF", "DSP", "BRAM_18K"):
            assert isinstance(base[key], int) and base[key] >= 0
        names.add((base["tool"], base["tool_version"], base["name"]))
    assert len(names) == len(data["baselines"])


def test_baseline_test_case_names_the_bad_key():
    """A baseline whose test model is unknown is refused naming the baseline, the key and what is accepted."""
    bench = load_benchmark("hls4ml_baselines")
    with pytest.raises(ValueError, match=r"baseline 'x', key test.layer 'gelu': accepted are relu"):
        bench.test_case({"name": "x", "test": {"kind": "activations", "io_type": "io_parallel", "layer": "gelu"}})
    with pytest.raises(ValueError, match=r"key test.kind 'lstm'"):
        bench.test_case({"name": "x", "test": {"kind": "lstm", "io_type": "io_parallel"}})
