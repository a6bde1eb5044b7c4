"""io_stream designs of one stream word: the hls4ml >= 1.0 dense step and single-word element-wise layers by tool.

hls4ml's own C-synthesis baselines of such designs (Dense on one input, then one activation word; figures in
benchmarks/data/hls4ml_baselines.json) report II 1 on Vivado HLS 2020.1 and II = the activation's latency + 1 on
Vitis HLS 2023.1 / 2024.1, where a sequential dense process gave II 3 on both.
"""

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from codesign.estimate import constants as K
from codesign.estimate import estimate_project
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.kernels.activation import ActivationEstimator
from codesign.estimate.kernels.common import stream_word_cycles
from codesign.estimate.kernels.dense import DenseEstimator, DotProductModel
from codesign.estimate.layers import Context
from codesign.estimate.network import dataflow_interval
from codesign.estimate.settings import parse_layer_configs, read_project
from codesign.parts import resolve_part
from codesign.precision import FixedPrecision

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "hls4ml13_vivado_stream_dense_relu"
BASELINES = ROOT / "benchmarks" / "data" / "hls4ml_baselines.json"
PART = "xcvu13p-flga2577-2-e"
VIVADO = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vivado HLS", "2020.1", 0.2)
VITIS = replace(VIVADO, tool="Vitis HLS", tool_version="2024.1", clock=Clock(5.0, 1.35))
P16 = FixedPrecision.parse("ap_fixed<16,6>")


def _dense(kernel: str | None = "DenseLatency", out_pack: int = 64, strategy: str = "latency") -> LayerCall:
    cfg = {"n_in": 1, "n_out": 64, "reuse_factor": 1, "strategy": strategy, "n_zeros": 0, "n_nonzeros": 64,
           "weight_t": "ap_fixed<16,6>", "bias_t": "ap_fixed<16,6>", "accum_t": "ap_fixed<16,6>"}  # fmt: skip
    if kernel:
        cfg["kernel"] = kernel
    return LayerCall("Dense", "dense", cfg, P16, P16, "io_stream", pack=1, out_pack=out_pack)


def _relu(pack: int) -> LayerCall:
    return LayerCall("relu", "relu", {"n_in": 64}, P16, P16, "io_stream", pack=pack, out_pack=pack)


def _baseline(name: str) -> dict:
    return next(b for b in json.loads(BASELINES.read_text())["baselines"] if b["name"] == name)


def test_the_kernel_alias_of_hls4ml_1_is_read_from_the_config_struct():
    text = (FIXTURE / "firmware" / "parameters.h").read_text()
    layers = {x["config"]: x for x in parse_layer_configs(text, {})}
    assert layers["config2"]["kernel"] == "DenseLatency"
    assert "kernel" not in layers["relu_config4"]
    old = re.sub(r"\n\s*template<[^>]*>\n\s*using kernel[^\n]*", "", text)  # an hls4ml 0.x struct
    assert "using kernel" not in old
    assert "kernel" not in {x["config"]: x for x in parse_layer_configs(old, {})}["config2"]


@pytest.mark.parametrize("ctx", [VIVADO, VITIS], ids=["vivado", "vitis"])
def test_single_word_dense_of_hls4ml_1_is_the_pipelined_kernel(ctx):
    kern = DotProductModel().predict(1, 64, 64, 16, 16, 16, 1, ctx, shared_index=True)
    est = DenseEstimator().predict(_dense(), ctx)
    assert (est.latency_cycles, est.ii_cycles, est.sequential) == (kern.latency_cycles, kern.ii_cycles, False)
    # hls4ml 0.x (no kernel alias), a read/write loop (4 output words) or the Resource strategy: a sequential
    # function that reads its word first, as before
    for call in (_dense(kernel=None), _dense(out_pack=16), _dense(strategy="resource")):
        old = DenseEstimator().predict(call, ctx)
        assert old.sequential and old.ii_cycles == old.latency_cycles
        assert old.latency_cycles >= kern.latency_cycles + 1


def test_sequential_single_word_dense_reads_and_writes_in_states_of_their_own():
    """hls4ml 0.x (abdennour, Vitis 2023.2: a 3-cycle dense function around its 1-cycle kernel instance): the one
    word's read, the kernel, the write; several words keep the loop form (words + kernel + STREAM_LOOP_CYCLES)."""
    kern = DotProductModel().predict(1, 64, 64, 16, 16, 16, 1, VITIS, shared_index=True)
    one = DenseEstimator().predict(_dense(kernel=None), VITIS)
    assert one.latency_cycles == kern.latency_cycles + 1 + K.STREAM_DENSE_WORD_STATES == 1 + kern.latency_cycles + 1
    wide = replace(_dense(kernel=None), config={**_dense().config, "n_in": 4, "n_nonzeros": 256}, pack=1)
    kern4 = DotProductModel().predict(4, 64, 256, 16, 16, 16, 1, VITIS, shared_index=True)
    four = DenseEstimator().predict(wide, VITIS)
    assert four.latency_cycles == 4 + kern4.latency_cycles + K.STREAM_LOOP_CYCLES


def test_single_word_elementwise_is_a_function_pipeline_on_vivado_and_sequential_on_vitis():
    for ctx, sequential in ((VIVADO, False), (VITIS, True)):
        one = ActivationEstimator().predict(_relu(64), ctx)
        lat = stream_word_cycles(ctx)  # read, compare-select and write of the one word
        assert (one.latency_cycles, one.sequential) == (lat, sequential)
        assert one.ii_cycles == (lat if sequential else 1)
        # several words: a loop inside a function that is not pipelined, on both tools
        four = ActivationEstimator().predict(_relu(16), ctx)
        assert four.sequential and four.ii_cycles == four.latency_cycles > 4


@pytest.fixture
def vitis_project(tmp_path) -> Path:
    """The fixture (hls4ml 1.3, Dense(64) on one input + ReLU, io_stream) written for Vitis HLS."""
    proj = tmp_path / "p"
    shutil.copytree(FIXTURE, proj)
    cfg = proj / "hls4ml_config.yml"
    cfg.write_text(cfg.read_text().replace("Backend: Vivado", "Backend: Vitis", 1))
    return proj


def test_tiny_stream_design_against_hls4ml_baselines(vitis_project):
    """II from the rules (Vivado: every process pipelined, II 1; Vitis: the sequential ReLU's latency + 1) equals
    the II hls4ml's committed reports give; the latency stays within 2 cycles of them."""
    part = resolve_part(PART)
    vivado = estimate_project(FIXTURE, part, "2020.1")
    vitis = estimate_project(vitis_project, part, "2024.1")
    assert read_project(vitis_project)["hls_tool"] == "Vitis HLS"
    relu = vitis.per_layer[-1]
    assert relu.sequential and dataflow_interval(list(vitis.per_layer)) == relu.latency_cycles + 1
    assert vivado.ii_cycles == 1 and vitis.ii_cycles == relu.latency_cycles + 1
    for est, name in ((vivado, "test_keras_api_test_activations_io_stream-Vivado-relu"),
                      (vitis, "test_keras_api_test_activations_io_stream-Vitis-relu")):  # fmt: skip
        rep = _baseline(name)
        assert est.ii_cycles == rep["IntervalMax"]
        assert abs(est.latency_cycles - rep["WorstLatency"]) <= 2
