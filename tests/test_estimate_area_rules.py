"""LUT/FF rules: the reshaped-input-port shifters, quantizing ReLU casts, Resource at RF = 1, DATAFLOW channels."""

from dataclasses import replace

from codesign.estimate import constants as K
from codesign.estimate import estimate_record
from codesign.estimate.calibration_set import load_records
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.layers import Context, predict_layer
from codesign.estimate.network import _with_dataflow_channels, port_shifter_area
from codesign.estimate.result import LayerEstimate
from codesign.precision import FixedPrecision

#: Vivado HLS 2020.1 on xc7z020-1 (delay factor 1.2) at 5 ns with 12.5 % uncertainty: GuillaumeDerville's setting.
VIVADO = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2020.1", 1.2)
VITIS = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vitis HLS", "2022.1", 1.2)


def _dense(n_in: int, rf: int, strategy: str = "resource", bits: int = 16, n_out: int = 8) -> LayerCall:
    cfg = {"n_in": n_in, "n_out": n_out, "reuse_factor": rf, "strategy": strategy, "weight_t": "ap_fixed<8,1>",
           "accum_t": "ap_fixed<16,6>"}  # fmt: skip
    return LayerCall("enc1", "dense", cfg, FixedPrecision.parse(f"ap_fixed<{bits},6>"), None, "io_parallel")


def _shifter_lut(bits: int) -> float:
    """One shifter's LUTs, levels counted by doubling (independent of math.log2)."""
    levels, span = 0, 1
    while span < bits:
        span *= 2
        levels += 1
    return bits * levels * K.PORT_SHIFT_LUT_PER_BIT_LEVEL


def test_port_shifters_cost_one_shifter_per_input_word_read_per_iteration():
    # GuillaumeDerville enc1 (14 x 16 bits) at RF 2: 7 lshr_224ns cores, 2599 LUT each in the per-module report
    lut, _ = port_shifter_area(_dense(14, 2), VIVADO)
    assert lut == round(7 * _shifter_lut(224))
    assert abs(lut - 7 * 2599) / (7 * 2599) < 0.02
    # RF 14 and RF 56 (> n_in): one word read per iteration, one shifter
    assert port_shifter_area(_dense(14, 14), VIVADO)[0] == port_shifter_area(_dense(14, 56), VIVADO)[0] == lut // 7
    # Gabriele-bot PYNQ_IA fc1 (16 x 16 bits, RF 8), not used for the constant: 2 shifters of 2983 LUT reported
    lut, _ = port_shifter_area(_dense(16, 8, n_out=64), VIVADO)
    assert abs(lut - 2 * 2983) / (2 * 2983) < 0.02
    # no shifter where the latency rule has none: RF = 1, Latency strategy, Vitis HLS
    for call, ctx in ((_dense(14, 1), VIVADO), (_dense(14, 2, "latency"), VIVADO), (_dense(14, 2), VITIS)):
        assert port_shifter_area(call, ctx) == (0, 0)


def test_port_shifters_are_added_to_the_first_layer_only():
    recs = [r for r in load_records() if r["id"] == "GuillaumeDerville/Strage-Umons::hls4ml_dse_rf16::fb1a8b4e36"]
    assert len(recs) == 1
    with_rule = estimate_record(recs[0])["LUT"]
    old = K.PORT_SHIFT_LUT_PER_BIT_LEVEL
    try:
        K.PORT_SHIFT_LUT_PER_BIT_LEVEL = 0.0
        without = estimate_record(recs[0])["LUT"]
    finally:
        K.PORT_SHIFT_LUT_PER_BIT_LEVEL = old
    assert with_rule - without == round(_shifter_lut(14 * 16))  # enc1 at RF 14: one shifter


def test_port_shifter_registers_are_added_to_the_first_layer():
    """The shifter's stage and output registers (PORT_SHIFT_FF_PER_BIT per bit of the 224-bit port word) count in
    the design's FF: GuillaumeDerville's enc1 at RF 14 reads one word per iteration, one shifter."""
    recs = [r for r in load_records() if r["id"] == "GuillaumeDerville/Strage-Umons::hls4ml_dse_rf16::fb1a8b4e36"]
    assert len(recs) == 1
    with_rule = estimate_record(recs[0])["FF"]
    old = K.PORT_SHIFT_FF_PER_BIT
    try:
        K.PORT_SHIFT_FF_PER_BIT = 0.0
        without = estimate_record(recs[0])["FF"]
    finally:
        K.PORT_SHIFT_FF_PER_BIT = old
    assert with_rule - without == round(14 * 16 * K.PORT_SHIFT_FF_PER_BIT)
    assert port_shifter_area(_dense(14, 2), VIVADO)[1] == round(7 * 224 * K.PORT_SHIFT_FF_PER_BIT)  # 7 at RF 2


def _relu(inp: str, out: str, n: int = 8) -> LayerCall:
    return LayerCall("r", "relu", {"n_in": n}, FixedPrecision.parse(inp), FixedPrecision.parse(out), "io_parallel")


def test_quantizing_relu_cast_costs_luts_per_input_bit():
    # GuillaumeDerville relu, 8 elements, 19 -> 8 bits RND_CONV + SAT: 775 LUT reported
    q = predict_layer(_relu("ap_fixed<19,8>", "ap_ufixed<8,2,AP_RND_CONV,AP_SAT>"), VIVADO).lut
    assert q == round(8 * 19 * (K.LUT_PER_RELU_BIT + K.RELU_CAST_LUT_PER_BIT))
    assert abs(q - 775) / 775 < 0.1
    # nicologhielmetti relu_1 (not used): 64 elements, 16 -> 7 bits AP_RND + AP_SAT, 6155 LUT reported
    q = predict_layer(_relu("ap_fixed<16,6>", "ap_fixed<7,1,AP_RND,AP_SAT>", 64), VIVADO).lut
    assert abs(q - 6155) / 6155 < 0.15  # 5427 predicted
    # no cast cost where nothing is rounded or saturated away
    plain = predict_layer(_relu("ap_fixed<16,6>", "ap_fixed<16,6>"), VIVADO).lut
    assert plain == round(8 * 16 * K.LUT_PER_RELU_BIT)
    assert predict_layer(_relu("ap_fixed<16,6>", "ap_fixed<16,6,AP_RND,AP_SAT>"), VIVADO).lut == plain
    assert predict_layer(_relu("ap_fixed<19,8>", "ap_ufixed<8,2>"), VIVADO).lut == round(8 * 19 * K.LUT_PER_RELU_BIT)
    # Vitis HLS maps the same cast into fewer LUTs
    vitis = predict_layer(_relu("ap_fixed<16,6>", "ap_ufixed<6,0,AP_RND_CONV,AP_SAT>"), VITIS).lut
    assert vitis == round(8 * 16 * (K.LUT_PER_RELU_BIT + K.RELU_CAST_LUT_PER_BIT_VITIS))


def test_quantizing_linear_cast_costs_the_casts_luts():
    """nnet::linear is wires unless its output cast rounds or saturates bits away (a QActivation('quantized_bits')):
    then the cast's share of a quantizing ReLU, without the compare (it was priced 0 LUT)."""

    def linear(inp: str, out: str) -> LayerCall:
        return LayerCall(
            "q", "linear", {"n_in": 8}, FixedPrecision.parse(inp), FixedPrecision.parse(out), "io_parallel"
        )

    cast = predict_layer(linear("ap_fixed<16,6>", "ap_fixed<9,5,AP_RND_CONV,AP_SAT>"), VIVADO)
    assert cast.lut == round(8 * 16 * K.RELU_CAST_LUT_PER_BIT) > 0
    relu = predict_layer(_relu("ap_fixed<16,6>", "ap_fixed<9,5,AP_RND_CONV,AP_SAT>"), VIVADO)
    assert cast.lut < relu.lut and cast.latency_cycles == relu.latency_cycles
    vitis = predict_layer(linear("ap_fixed<16,6>", "ap_fixed<9,5,AP_RND_CONV,AP_SAT>"), VITIS).lut
    assert vitis == round(8 * 16 * K.RELU_CAST_LUT_PER_BIT_VITIS)
    # nothing rounded or saturated away: wires
    for out in ("ap_fixed<16,6>", "ap_fixed<18,7>", "ap_fixed<9,5>"):  # the last truncates and wraps: no logic
        assert predict_layer(linear("ap_fixed<16,6>", out), VIVADO).lut == 0, out


def test_resource_layer_at_rf1_costs_its_products_as_constant_weight_products():
    # RF = 1: every weight index is a constant, so the Resource layer's products are the Latency layer's
    res, lat = predict_layer(_dense(14, 1), VIVADO), predict_layer(_dense(14, 1, "latency"), VIVADO)
    assert (res.dsp, res.lut) == (lat.dsp, lat.lut)
    # GuillaumeDerville enc1 (16-bit data x 8-bit weights) at RF 1 reports 8 DSPs, not one per product (112)
    assert res.dsp <= 8
    # at RF > 1 the weights come from a ROM: true multipliers, on DSPs for 16-bit data
    assert predict_layer(_dense(14, 2), VIVADO).dsp == 14 * 8 // 2


def test_dataflow_channels_add_depth_times_bits_and_handshake_per_element():
    calls = [
        LayerCall("fc1", "dense", {"n_in": 16, "n_out": 64}, None, FixedPrecision.parse("ap_fixed<16,6>"), "io_parallel"),
        LayerCall("relu1", "relu", {"n_in": 64}, None, FixedPrecision.parse("ap_fixed<6,1>"), "io_parallel"),
        LayerCall("fc2", "dense", {"n_in": 64, "n_out": 5}, None, FixedPrecision.parse("ap_fixed<16,6>"), "io_parallel"),
    ]  # fmt: skip
    base = [LayerEstimate(c.name, "x", 1, 1, 100, 10, 0, 0) for c in calls]
    out = _with_dataflow_channels(calls, base)
    depth, hand, ffc = K.DATAFLOW_CHANNEL_DEPTH, K.DATAFLOW_CHANNEL_LUT, K.DATAFLOW_CHANNEL_FF
    assert [x.lut for x in out] == [100 + 64 * (depth * 16 + hand), 100 + 64 * (depth * 6 + hand), 100]
    assert [x.ff for x in out] == [10 + 64 * ffc, 10 + 64 * ffc, 10]  # the last output is the top's port
    assert out[0] == replace(base[0], lut=out[0].lut, ff=out[0].ff)


def test_dataflow_record_lut_is_close_to_its_report():
    # nicologhielmetti cpp_nn_v1 (Vivado HLS 2019.2, Resource strategy, DATAFLOW top): 35327 LUT reported
    recs = [r for r in load_records() if r["id"] == "nicologhielmetti/hls4ml-pynq::cpp_nn_v1::98fc3b0010"]
    assert len(recs) == 1
    assert abs(estimate_record(recs[0])["LUT"] - 35327) / 35327 < 0.15


def test_binary_and_ternary_thresholds_are_priced_as_comparators():
    """hls4ml folds a (Q)BatchNormalization into the binary/ternary QActivation after it (test_binary_cnn.py):
    nnet::normalize_binary_tanh was declined, and with it every figure of the model's estimate."""

    def thresh(fn: str, io: str = "io_parallel") -> LayerCall:
        out = "ap_uint<1>" if "binary" in fn else "ap_int<2>"
        return LayerCall("bnbt", fn, {"n_in": 64, "base": "batchnorm_quantized_tanh_config"},
                         FixedPrecision.parse("ap_fixed<16,6>"), FixedPrecision.parse(out), io)  # fmt: skip

    binary = predict_layer(thresh("normalize_binary_tanh"), VIVADO)
    assert binary.declined is None and binary.lut == 64 * 16 * K.LUT_PER_COMPARE_BIT and binary.dsp == 0
    ternary = predict_layer(thresh("normalize_ternary_tanh"), VIVADO)
    assert ternary.lut == 2 * binary.lut and ternary.latency_cycles == binary.latency_cycles
    assert predict_layer(thresh("normalize_binary_tanh", "io_stream"), VIVADO).declined is None
