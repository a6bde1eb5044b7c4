"""LSTM / GRU layers, old and capped convolutions, Resource-strategy registers: the estimator's structure.

The two recurrent fixtures are the firmware text hls4ml 1.3 wrote (Vitis backend, xcvu13p, 5 ns) for a
Keras ``Input((5, 3)) -> LSTM(4) | GRU(4) -> Dense(2)``: ``hls4ml13_lstm_io_parallel_latency`` (io_parallel,
Latency) and ``hls4ml13_gru_io_stream_resource`` (io_stream, Resource); build files, parameters.h, defines.h,
myproject.cpp and the weight headers only.
"""

import copy
import json
import math
from pathlib import Path

from codesign.estimate import constants as K
from codesign.estimate import estimate_project
from codesign.estimate.design import LayerCall, build_calls
from codesign.estimate.hardware import Clock, delay_factor, dsp_delay_factor, make_clock, sum_width
from codesign.estimate.kernels.tables import index_luts
from codesign.estimate.layers import ActivationEstimator, Context, ConvEstimator, DenseEstimator, predict_layer
from codesign.estimate.network import estimate_settings
from codesign.estimate.recurrent import cell
from codesign.estimate.settings import read_project, settings_from_record
from codesign.parts import resolve_part
from codesign.precision import FixedPrecision

FIX = Path(__file__).parent / "fixtures"
LSTM = FIX / "hls4ml13_lstm_io_parallel_latency"
GRU = FIX / "hls4ml13_gru_io_stream_resource"
SLOW = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2020.1", 1.0)


def _recurrent(est):
    return next(x for x in est.per_layer if x.kind.startswith(("lstm", "gru", "bidirectional")))


def _with(settings: dict, config: str, **values) -> dict:
    s = copy.deepcopy(settings)
    for layer in s["layers"]:
        if layer.get("config") == config:
            layer.update(values)
    return s


def test_lstm_and_gru_projects_are_estimated_with_an_assumed_band():
    for path, kind in ((LSTM, "lstm/static"), (GRU, "gru/stream")):
        est = estimate_project(path)
        rnn = _recurrent(est)
        assert rnn.kind == kind and rnn.declined is None
        assert None not in (est.lut, est.ff, est.dsp, est.latency_cycles, est.ii_cycles)
        assert rnn.lut > 0 and rnn.ff > 0 and rnn.latency_cycles > 5  # five time steps, one after the other
        assert "assumed" in est.interval_basis and est.interval["lut"][0] < est.lut < est.interval["lut"][1]


def test_static_time_loop_runs_step_after_step_and_restarts_when_done():
    s = read_project(LSTM)
    five, ten = estimate_settings(s), estimate_settings(_with(s, "config2", n_sequence=10))
    a, b = _recurrent(five), _recurrent(ten)
    # each step: the cell, then one cycle for the loop's next call; the last step without it
    step = (a.latency_cycles + 1) // 5
    assert a.latency_cycles == 5 * step - 1 and b.latency_cycles == 10 * step - 1
    assert a.ii_cycles == a.latency_cycles + 1 and a.sequential
    # the static cell is one piece of hardware whatever the sequence length
    assert (a.lut, a.ff, a.dsp, a.bram_18k) == (b.lut, b.ff, b.dsp, b.bram_18k)


def _layer(settings: dict):
    call = next(c for c in build_calls(settings) if c.function == "lstm_stack")
    return predict_layer(call, SLOW)


def test_unrolled_time_loop_is_n_sequence_cells_at_ii_one():
    s = read_project(LSTM)
    static, unrolled = _layer(s), _layer(_with(s, "config2", use_static="false"))
    assert unrolled.kind == "lstm/unrolled" and unrolled.ii_cycles == 1 and not unrolled.sequential
    assert unrolled.latency_cycles == static.latency_cycles
    # resources: the static cell's, computed without rounding, times n_sequence (rounded once)
    for f in ("lut", "ff", "dsp", "bram_18k"):
        assert abs(getattr(unrolled, f) - 5 * getattr(static, f)) <= 5


def test_non_static_cell_under_a_dataflow_top_is_one_cell_called_step_after_step():
    """Only a PIPELINE top unrolls the time loop (it and both cell functions carry no pragma of their own): in
    io_stream, under a DATAFLOW top, ``use_static = false`` is one cell called every step, as the static one."""
    s = read_project(GRU)
    static = _recurrent(estimate_settings(s))
    non_static = _recurrent(estimate_settings(_with(s, "config2", use_static="false")))
    assert (non_static.lut, non_static.ff, non_static.dsp, non_static.bram_18k) == (
        static.lut, static.ff, static.dsp, static.bram_18k)  # fmt: skip
    assert (non_static.latency_cycles, non_static.ii_cycles, non_static.sequential) == (
        static.latency_cycles, static.ii_cycles, True)  # fmt: skip


def test_gru_reads_one_stream_word_per_step():
    s = read_project(GRU)
    a = _recurrent(estimate_settings(s))
    b = _recurrent(estimate_settings(_with(s, "config2", n_sequence=7)))
    assert (b.latency_cycles + 1) * 5 == (a.latency_cycles + 1) * 7


def test_recurrent_without_its_dense_configs_is_refused_by_name():
    s = read_project(LSTM)
    s["layers"] = [x for x in s["layers"] if x.get("config") not in ("config2_1", "config2_2")]
    est = estimate_settings(s)
    rnn = next(x for x in est.per_layer if x.kind == "lstm")
    assert "configN_1, configN_2" in rnn.declined and est.lut is None


def _conv(cfg: dict, function: str = "conv_1d_cl") -> LayerCall:
    p = FixedPrecision.parse("ap_fixed<16,6>")
    base = {"weight_t": "ap_fixed<16,6>", "accum_t": "ap_fixed<32,12>", "reuse_factor": 1, "n_zeros": 0}
    return LayerCall("c", function, {**base, **cfg}, p, p, "io_parallel")


def test_old_conv_1d_geometry_names_read_as_the_new_ones():
    old = _conv({"y_in": 8, "y_filt": 3, "y_out": 6, "n_chan": 4, "n_filt": 5}, "conv_1d")
    new = _conv({"in_width": 8, "filt_width": 3, "out_width": 6, "n_chan": 4, "n_filt": 5}, "conv_1d")
    a, b = ConvEstimator().predict(old, SLOW), ConvEstimator().predict(new, SLOW)
    assert a.declined is None and (a.latency_cycles, a.lut, a.ff, a.dsp) == (b.latency_cycles, b.lut, b.ff, b.dsp)


def test_conv_dsp_capped_by_the_kernels_multiplier_limit():
    geo = {"in_width": 34, "filt_width": 3, "n_chan": 16, "n_filt": 16, "out_width": 32, "n_partitions": 1}
    one = ConvEstimator().predict(_conv({**geo, "out_width": 1, "in_width": 3}), SLOW)
    many = ConvEstimator().predict(_conv(geo), SLOW)
    limit = 3 * 16 * 16  # the kernel's products / RF 1
    assert one.dsp < limit and many.dsp == limit  # 32 pixels x one.dsp would exceed it
    rf4 = ConvEstimator().predict(_conv({**geo, "reuse_factor": 4}), SLOW)
    assert rf4.dsp == math.ceil(limit / 4)


def test_resource_dense_registers_follow_the_reuse_loop():
    p8 = FixedPrecision.parse("ap_fixed<8,3>")
    cfg = {"n_in": 14, "n_out": 8, "reuse_factor": 14, "strategy": "resource", "weight_t": "ap_fixed<6,1>",
           "accum_t": "ap_fixed<20,8>", "n_zeros": 0}  # fmt: skip
    est = DenseEstimator().predict(LayerCall("d", "dense", cfg, p8, p8, "io_parallel"), SLOW)
    block = math.ceil(14 * 8 / 14)
    # 8 x 6-bit products stay in LUTs (RESOURCE_DSP_MIN_WIDTH): no operand registers, only the partial sum;
    # Vivado HLS 2020.1 holds the input array twice (rewind, phi) and returns each 8-bit output from a register
    bits = 2 * 14 * 8 + 8 * 20 + block * sum_width(8, 6, 14, 20) + 8 * 8
    assert est.ff == round(bits * K.FF_RESOURCE_PER_BIT)
    # RF = 1: no loop, the Latency-strategy register rule
    rf1 = DenseEstimator().predict(LayerCall("d", "dense", {**cfg, "reuse_factor": 1}, p8, p8, "io_parallel"), SLOW)
    assert rf1.ff != round((14 * 8 + 8 * 20 + 112 * (8 + 6 + sum_width(8, 6, 14, 20))) * K.FF_RESOURCE_PER_BIT)


def _dense16(tool: str, clock: Clock, grade_factor: float, version: str | None = None) -> tuple:
    p16 = FixedPrecision.parse("ap_fixed<16,6>")
    cfg = {"n_in": 16, "n_out": 4, "reuse_factor": 1, "strategy": "latency", "weight_t": "ap_fixed<16,6>",
           "accum_t": "ap_fixed<16,6>", "n_zeros": 0}  # fmt: skip
    ctx = Context(clock, "DSP48E1", "auto", tool, version, grade_factor)
    return DenseEstimator().predict(LayerCall("d", "dense", cfg, p16, p16, "io_parallel"), ctx), ctx


def test_vivado_counts_the_registers_of_a_multi_cycle_dsp_multiplier_vitis_2021_does_not():
    clock = Clock(5.0, 0.625)
    # speed grade -1 (x1.2): a 16x16 DSP product does not fit 4.375 ns, a multi-cycle multiplier core
    vivado, ctx = _dense16("Vivado HLS", clock, 1.2, "2020.1")
    vitis, _ = _dense16("Vitis HLS", clock, 1.2, "2021.1")
    t_mul = (K.T_MUL_DSP_NS + K.T_FANOUT_NS * math.log2(4)) * 1.2
    cycles = math.ceil(t_mul / clock.effective_ns)
    assert cycles == 2 and vivado.dsp == vitis.dsp > 0
    # per DSP multiplier, (cycles - 1) stages of both operands (the DSP count is rounded: within one product)
    per_mul = (cycles - 1) * 32 * K.FF_PIPELINED_MUL_PER_BIT
    assert abs((vivado.ff - vitis.ff) - vivado.dsp * per_mul) <= per_mul
    # Vitis HLS from VITIS_MUL_CORE_FF_FROM_YEAR on (and a Vitis release not given) counts them as Vivado HLS does
    for version in ("2024.2", "2025.1", None):
        later, _ = _dense16("Vitis HLS", clock, 1.2, version)
        assert later.ff - vitis.ff == vivado.ff - vitis.ff
    # a -3 grade part (x1.0): the product fits a cycle, no core registers in either tool
    fast_vivado, _ = _dense16("Vivado HLS", clock, 1.0, "2020.1")
    for version in ("2021.1", "2025.1"):
        assert _dense16("Vitis HLS", clock, 1.0, version)[0].ff == fast_vivado.ff


def test_stream_resource_conv_takes_rf_plus_the_call_per_input_pixel():
    p = FixedPrecision.parse("ap_fixed<16,6>")
    cfg = {"in_height": 10, "in_width": 10, "n_chan": 4, "n_filt": 4, "filt_height": 3, "filt_width": 3,
           "out_height": 8, "out_width": 8, "reuse_factor": 36, "strategy": "resource", "n_zeros": 0,
           "weight_t": "ap_fixed<16,6>", "accum_t": "ap_fixed<32,12>"}  # fmt: skip
    est = ConvEstimator().predict(LayerCall("c", "conv_2d_cl", cfg, p, p, "io_stream"), SLOW)
    assert est.ii_cycles == 10 * 10 * (36 + K.STREAM_RESOURCE_PIXEL_CYCLES)


def test_sizes_written_as_defines_evaluate_through_them():
    s = read_project(LSTM)
    old = _with(s, "config2_1", n_out="N_OUT_2 * 4")
    old["defines"] = {**(old.get("defines") or {}), "N_OUT_2": 4}
    a, b = estimate_settings(s), estimate_settings(old)
    assert (a.lut, a.ff, a.dsp, a.latency_cycles) == (b.lut, b.ff, b.dsp, b.latency_cycles)
    old["defines"] = {}
    assert estimate_settings(old).lut is None  # without the define the size is unknown, not guessed


def test_bidirectional_runs_its_two_cells_side_by_side():
    # Bidirectional(LSTM(4), backward_layer=GRU(3)) -> Dense(2), hls4ml 1.3 (fixture hls4ml13_bidirectional_io_parallel)
    s = read_project(FIX / "hls4ml13_bidirectional_io_parallel")
    bi = _recurrent(estimate_settings(s))
    assert bi.kind == "bidirectional/static" and bi.declined is None
    call = next(c for c in build_calls(s) if c.function == "bidirectional_stack")
    fwd = cell("lstm", 4, call.parts["forward"], call, SLOW)
    bwd = cell("gru", 3, call.parts["backward"], call, SLOW)
    one = predict_layer(call, SLOW)
    assert one.latency_cycles == 5 * (max(fwd.step, bwd.step, fwd.dense_ii, bwd.dense_ii) + 1) - 1
    assert one.dsp == round(fwd.dsp + bwd.dsp) and one.bram_18k == fwd.bram + bwd.bram
    # without its backward layer's config the layer is refused by name
    s["layers"] = [x for x in s["layers"] if x.get("config") != "config2_backward"]
    assert "backward layer's config" in _recurrent(estimate_settings(s)).declined


def test_cell_schedule_per_tool():
    s = read_project(LSTM)
    call = next(c for c in build_calls(s) if c.function == "lstm_stack")
    vivado = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vivado HLS", "2020.1", 0.2)
    vitis = Context(Clock(5.0, 0.625), "DSP48E2", "auto", "Vitis HLS", "2023.1", 0.2)
    a, b = cell("lstm", 4, call.parts, call, vivado), cell("lstm", 4, call.parts, call, vitis)
    acc = FixedPrecision.parse(call.parts["mult1"]["accum_t"])
    dense = max(
        DenseEstimator().predict(LayerCall("d", "dense", call.parts[k], p, acc, "io_parallel"), vivado).latency_cycles
        for k, p in (("mult1", call.input), ("mult2", call.output))
    )
    # Vivado HLS: one pipeline, the dense pair then a cycle per table read (3) and per product stage (2)
    assert a.step == dense + 3 + 2
    # Vitis HLS: the unpipelined cell, whose four sub-function calls each add a state
    table = ActivationEstimator().predict(LayerCall("t", "sigmoid", {"n_in": 12}, acc, acc, "io_parallel"), vitis)
    assert b.step >= dense + 3 * table.latency_cycles + 4 * K.RECURRENT_CALL_CYCLES
    # the same area but for the table activations' index compares, which Vitis HLS 2023.1 prices as adders
    # (kernels.tables): 12 sigmoid elements (3 gates x 4) and 2 x 4 tanh ones
    extra = {f: index_luts(f, acc, 1024, vitis) - index_luts(f, acc, 1024, vivado) for f in ("sigmoid", "tanh")}
    assert extra["sigmoid"] > 0 and extra["tanh"] > 0
    assert (b.lut - a.lut, a.dsp) == (12 * extra["sigmoid"] + 2 * 4 * extra["tanh"], b.dsp)


# Stock hls4ml GRU designs with their C-synthesis reports: benchmarks/data/recurrent_reports.jsonl
# (uw-acme/HLS4ML_VS_MANUAL, Vivado HLS 2019.2, xcu250, Resource strategy, DATAFLOW top; provenance next to it).
RECORDS = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "recurrent_reports.jsonl"


def _records() -> dict[str, dict]:
    recs = [json.loads(line) for line in RECORDS.read_text().splitlines() if line.strip()]
    return {f"{Path(r['project_dir']).name.split('_')[0]} {r['precisions']['input']}": r for r in recs}


def _gru_call(rec: dict, style: str):
    s = settings_from_record(rec)
    part = resolve_part(s["part"])
    ctx = Context(make_clock(5.0, None, s["hls_tool"]), part.dsp_family, "auto", s["hls_tool"], s["hls_tool_version"],
                  delay_factor(part.family, part.full_name), dsp_delay_factor(part.family, part.full_name),
                  top_style=style)  # fmt: skip
    return next(c for c in build_calls(s) if c.function == "gru_stack"), ctx


def test_vivado_cell_under_a_dataflow_top_is_a_state_machine():
    rec = _records()["toptagging ap_fixed<16,6>"]
    call, fsm = _gru_call(rec, "dataflow")
    _, piped = _gru_call(rec, "pipeline")
    acc = FixedPrecision.parse(call.parts["mult1"]["accum_t"])
    d = [DenseEstimator().predict(LayerCall("d", "dense", call.parts[k], p, acc, "io_parallel"), fsm).latency_cycles
         for k, p in (("mult1", call.input), ("mult2", call.output))]  # fmt: skip
    acts = [ActivationEstimator().predict(LayerCall("a", fn, {**call.parts[k], "n_in": n}, acc, acc, "io_parallel"),
                                          fsm).latency_cycles
            for k, fn, n in (("act_recr", "sigmoid", 40), ("act", "tanh", 20))]  # fmt: skip
    a, b = cell("gru", 20, call.parts, call, fsm), cell("gru", 20, call.parts, call, piped)
    # the dense pair side by side, each activation, two product stages (1-cycle DSP multiply-adds here), a state
    # per call (dense pair, sigmoid, tanh)
    assert a.step == max(d) + sum(acts) + 2 + 3 * K.RECURRENT_CALL_CYCLES
    # under a pipelined top the cell is one pipeline, as before
    assert b.step == max(d) + 2 + 2
    layer = predict_layer(call, fsm)
    # the time loop: the cell plus its input slice and call states per step, then the exit state; the DATAFLOW
    # top adds the restart handshake to the interval
    assert layer.latency_cycles == 20 * (a.step + K.RECURRENT_FSM_LOOP_CYCLES) + K.RECURRENT_FSM_EXIT_CYCLES
    assert layer.ii_cycles == layer.latency_cycles and layer.sequential
    assert predict_layer(call, piped).latency_cycles == 20 * (b.step + 1) - 1


def test_stock_gru_reports_16_bit_time_loops_land_on_the_reported_cycles():
    # toptagging's module reports gave the counts; ftag's and quickdraw's were not read: every 16-bit design's
    # GRU module latency is the reported one (the 4- and 18-bit runs are 1-3 cycles a step off: docs/estimator.md)
    for key in ("toptagging ap_fixed<16,6>", "ftag ap_fixed<16,6>", "quickdraw ap_fixed<16,6>"):
        rec = _records()[key]
        est = estimate_settings(settings_from_record(rec))
        gru = _recurrent(est)
        assert gru.latency_cycles == rec["recurrent_module"]["latency_max_cycles"], key
        assert gru.dsp == rec["recurrent_module"]["DSP"] and gru.bram_18k == rec["recurrent_module"]["BRAM_18K"], key
        assert abs(est.ii_cycles - rec["interval_max"]) <= 1, key


def test_every_stock_recurrent_record_is_estimated():
    for key, rec in _records().items():
        est = estimate_settings(settings_from_record(rec))
        assert not est.declined and est.latency_cycles and _recurrent(est).kind == "gru/static", key


def test_vivado_chains_the_table_index_into_the_read_on_ultrascale_only():
    acc = FixedPrecision.parse("ap_fixed<16,6>")
    cfg = {"n_in": 8, "table_size": 1024, "table_t": "ap_fixed<18,8>"}

    def lat(tool: str, factor: float, io: str = "io_parallel") -> int:
        ctx = Context(
            Clock(5.0, 0.625), "DSP48E2", "auto", tool, "2019.2" if tool == "Vivado HLS" else "2022.1", factor
        )
        return ActivationEstimator().predict(LayerCall("s", "sigmoid", cfg, acc, acc, io), ctx).latency_cycles

    # Vivado HLS on UltraScale+: index arithmetic and ROM read in the read's registered cycle
    assert lat("Vivado HLS", 0.2) == K.TABLE_CHAINED_READ_CYCLES == 1
    # 7-series Vivado HLS and Vitis HLS keep the arithmetic's cycle before the registered read
    assert lat("Vivado HLS", 1.0) == 1 + K.TABLE_ROM_READ_CYCLES
    assert lat("Vitis HLS", 0.2) == 1 + K.TABLE_ROM_READ_CYCLES
    # io_stream activations (no such report read) keep the arithmetic's cycle too
    assert lat("Vivado HLS", 0.2, "io_stream") >= 1 + K.TABLE_ROM_READ_CYCLES


def _sum_cells(call, ctx) -> int:
    """The LUTs of the layer's cell alone (dense pair, activations, state products, gate sums)."""
    return round(cell("gru", int(call.num("n_state")), call.parts, call, ctx).lut)


def test_rolled_time_loop_slices_each_step_input_with_variable_shifts():
    """gru_stack's ``data[j + iloop * n_in]`` under a Vivado HLS DATAFLOW top: per input element one shift of the
    whole n_seq x n_in x width word at RECURRENT_SLICE_SHIFT_LUT; a power-of-two width (16 bits) adds a second shift
    and two word-wide gates. Counted by hand for toptagging (20 steps x 6 inputs): 16,6 -> 6 x (2 x 2171 + 2 x 1920);
    18,8 -> 6 x 2171 (the reports: 49695 and 13167 LUT of Expression)."""
    assert K.RECURRENT_SLICE_SHIFT_LUT == 2171
    for key, per_input in (
        ("toptagging ap_fixed<16,6>", 2 * 2171 + 2 * 20 * 6 * 16),
        ("toptagging ap_fixed<18,8>", 2171),
    ):
        call, fsm = _gru_call(_records()[key], "dataflow")
        assert predict_layer(call, fsm).lut == _sum_cells(call, fsm) + 6 * per_input, key


def test_no_input_slice_where_the_time_loop_is_unrolled_or_on_vitis(monkeypatch):
    """A pipelined top unrolls the time loop (constant indices: no shifter); Vitis HLS (no report read) and the
    second form switched off are left out or priced as one shift."""
    rec = _records()["toptagging ap_fixed<16,6>"]
    call, piped = _gru_call(rec, "pipeline")
    assert predict_layer(call, piped).lut == _sum_cells(call, piped)
    vitis = Context(make_clock(5.0, None, "Vitis HLS"), "DSP48E2", "auto", "Vitis HLS", "2023.1", 0.2,
                    top_style="dataflow")  # fmt: skip
    assert predict_layer(call, vitis).lut == _sum_cells(call, vitis)
    call, fsm = _gru_call(rec, "dataflow")
    monkeypatch.setattr(K, "RECURRENT_SLICE_POW2_FORM", False)
    assert predict_layer(call, fsm).lut == _sum_cells(call, fsm) + 6 * 2171
