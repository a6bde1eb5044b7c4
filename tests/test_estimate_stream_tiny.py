"""io_stream designs of one stream word: single-word element-wise layers by tool.

hls4ml's own C-synthesis baselines of such designs (Dense on one input, then one activation word; figures in
benchmarks/data/hls4ml_baselines.json) report II = the activation's latency + 1 on Vitis HLS 2023.1 / 2024.1.
"""

from dataclasses import replace

from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.kernels.activation import ActivationEstimator
from codesign.estimate.kernels.common import stream_word_cycles
from codesign.estimate.layers import Context
from codesign.precision import FixedPrecision

VIVADO = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vivado HLS", "2020.1", 0.2)
VITIS = replace(VIVADO, tool="Vitis HLS", tool_version="2024.1", clock=Clock(5.0, 1.35))
P16 = FixedPrecision.parse("ap_fixed<16,6>")


def _relu(pack: int) -> LayerCall:
    return LayerCall("relu", "relu", {"n_in": 64}, P16, P16, "io_stream", pack=pack)


def test_single_word_elementwise_is_a_function_pipeline_on_vivado_and_sequential_on_vitis():
    for ctx, sequential in ((VIVADO, False), (VITIS, True)):
        one = ActivationEstimator().predict(_relu(64), ctx)
        lat = stream_word_cycles(ctx)  # read, compare-select and write of the one word
        assert (one.latency_cycles, one.sequential) == (lat, sequential)
        assert one.ii_cycles == (lat if sequential else 1)
        # several words: a loop inside a function that is not pipelined, on both tools
        four = ActivationEstimator().predict(_relu(16), ctx)
        assert four.sequential and four.ii_cycles == four.latency_cycles > 4
