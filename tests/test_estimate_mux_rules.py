"""Resource-strategy multiplexer LUT rules against hand counts of the per-module reports' Multiplexer tables."""

from dataclasses import replace

from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.kernels.multiplexers import (
    mux_luts,
    operand_mux_luts,
    port_read_mux_delta,
    rewind_mux_luts,
    stream_wrapper_luts,
)
from codesign.estimate.layers import Context, predict_layer
from codesign.precision import FixedPrecision

VIVADO = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2020.1", 1.2)
VIVADO_2016 = replace(VIVADO, tool_version="2016.4")
VITIS = replace(VIVADO, tool="Vitis HLS", tool_version="2022.1")


def _dense(n_in: int, n_out: int, rf: int, io: str = "io_parallel", pack: int = 1, strategy: str = "resource"):
    cfg = {"n_in": n_in, "n_out": n_out, "reuse_factor": rf, "strategy": strategy, "weight_t": "ap_fixed<7,1>",
           "accum_t": "ap_fixed<16,6>"}  # fmt: skip
    return LayerCall("fc", "dense", cfg, FixedPrecision.parse("ap_fixed<16,6>"), None, io, pack=pack)


def test_vivado_prices_a_multiplexer_by_its_inputs():
    # the report's rows: 2:1 -> 9, 3:1 -> 15, 4:1 -> 21, 5:1 -> 27, 6:1 -> 33 LUT, whatever the width
    assert [mux_luts(k) for k in range(2, 7)] == [9, 15, 21, 27, 33]


def test_rewind_multiplexers_from_hand_counts():
    # Gabriele-bot PYNQ_IA fc2 (64 x 32, RF 32, io_parallel): per input 30, per output 2 x 9, control 3 x 15 + 3 x 9,
    # ap_done 9 = 1920 + 576 + 72 + 9; the report's table: 2193 (its input rows are 9 + 15 = 24, not 30)
    lut = rewind_mux_luts(_dense(64, 32, 32), 64, 32, 32, VIVADO)
    assert lut == 64 * 30 + 32 * 18 + 72 + 9 == 2577
    assert abs(lut - 2193) / 2193 < 0.2
    # nicologhielmetti fc1 in io_stream (16 x 64, RF 64 > n_in): the kernel adds a 3:1 accumulator phi per output and
    # the input index (15 + 9); the wrapper a 2:1 blocking mux per input and output element, 21 + 9 + 9 of control:
    # 480 + 1152 + 72 + 64 x 15 + 24 + 80 x 9 + 39 = 3447; reported 3543
    kernel = 16 * 30 + 64 * 18 + 72 + 64 * 15 + 24
    wrapper = (16 + 64) * 9 + 21 + 18
    lut = rewind_mux_luts(_dense(16, 64, 64, "io_stream", pack=16), 16, 64, 64, VIVADO)
    assert lut == kernel + wrapper == 3447
    assert abs(lut - 3543) / 3543 < 0.05
    # a layer reading the top's reshaped port has one input word instead of n_in elements
    assert rewind_mux_luts(_dense(14, 8, 14), 14, 8, 14, VIVADO, reads_port=True) == 30 + 8 * 18 + 72 + 9
    # none at RF 1, under Vitis HLS (no rewind, priced by width) or Vivado HLS 2016.4 (priced by width)
    assert rewind_mux_luts(_dense(64, 32, 1), 64, 32, 1, VIVADO) == 0
    assert rewind_mux_luts(_dense(64, 32, 32), 64, 32, 32, VITIS) == 0
    assert rewind_mux_luts(_dense(64, 32, 32), 64, 32, 32, VIVADO_2016) == 0


def test_operand_multiplexers_shared_where_the_index_does_not_depend_on_the_multiplier():
    # RF a multiple of n_in: data[ir mod n_in] for every multiplier, one 64:1 mux of 7 bits, 16 LUT per bit
    assert operand_mux_luts(64, 32, 64, 7) == 7 * 16
    assert operand_mux_luts(32, 32, 64, 7) == 7 * 8
    # RF < n_in: one RF:1 multiplexer per multiplier of the block factor (64 x 32 / 32 = 64)
    assert operand_mux_luts(64, 32, 32, 16) == 64 * 16 * 32 / 4
    # RF > n_in, not a multiple: per multiplier, over the n_in elements it can read (block 3, 6:1)
    assert operand_mux_luts(6, 4, 8, 8) == 3 * 8 * 6 / 4
    # convolutions keep the RF:1-per-multiplier form
    assert operand_mux_luts(64, 32, 64, 7, shared_index=False) == 32 * 7 * 64 / 4


def test_port_reading_layer_trades_its_operand_and_input_muxes_for_the_shifter():
    call = _dense(14, 8, 14)
    delta = port_read_mux_delta(call, VIVADO)
    assert delta == (30 - 14 * 30) - round(16 * 14 / 4)  # 13 fewer inputs, no 14:1 operand mux (16 bits x 3.5)
    assert port_read_mux_delta(_dense(14, 8, 1), VIVADO) == 0


def test_dense_layer_lut_carries_the_rewind_multiplexers_only_for_resource_at_rf_above_1():
    on = predict_layer(_dense(64, 32, 32), VIVADO).lut
    off = predict_layer(_dense(64, 32, 32), VITIS).lut
    assert on - off == 2577
    lat = _dense(64, 32, 32, strategy="latency")
    assert predict_layer(lat, VIVADO).lut == predict_layer(lat, VITIS).lut


def test_stream_wrapper_handshake_multiplexers():
    # kendermag relu, 16 elements in one word: the report's Multiplexer table is 306 = 16 x 18 + 18
    relu = LayerCall("r", "relu", {"n_in": 16}, FixedPrecision.parse("ap_fixed<16,6>"), None, "io_stream", pack=16)
    assert stream_wrapper_luts(relu, 0.0, 16) == 306
    # over several words the loop adds its state machine (4:1) and two pipeline enables: 10 per word, 40 elements
    relu10 = replace(relu, config={"n_in": 40}, pack=10)
    assert stream_wrapper_luts(relu10, 0.0, 40) == 10 * 18 + 18 + 21 + 18

