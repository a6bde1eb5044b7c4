"""Register (FF) and area rules: what the Resource ReuseLoop registers per multiplier, the io_parallel
convolution's fill_buffer and output registers, and which tools count a pipelined multiplier core's registers.

Each expected figure is counted here from the rule's structure (products, widths, partitions), not read back
from the estimator, and compared exactly.
"""

import math

import pytest

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import make_clock, mul_core_registers_in_fabric
from codesign.estimate.kernels.dense import accum_cast_bits
from codesign.estimate.layers import Context, ConvEstimator, DenseEstimator, DotProductModel
from codesign.precision import FixedPrecision

CLOCK = make_clock(5.0, None, "Vivado HLS")
SEVEN = Context(CLOCK, "DSP48E1", "auto", "Vivado HLS", "2020.1", 1.0)


def _sum_bits(wd: int, ww: int, terms: int, acc: int) -> int:
    """Partial-sum width: product width plus one bit per doubling of the terms, capped by the accumulator."""
    growth, span = 0, 1
    while span < terms:
        span *= 2
        growth += 1
    return min(acc, wd + ww + growth)


def _resource(
    n_in: int, n_out: int, rf: int, bits: int, wbits: int, acc: str = "ap_fixed<24,10>", io_type: str = "io_parallel"
) -> LayerCall:
    cfg = {"n_in": n_in, "n_out": n_out, "reuse_factor": rf, "strategy": "resource", "n_zeros": 0,
           "weight_t": f"ap_fixed<{wbits},2>", "accum_t": acc}  # fmt: skip
    out = FixedPrecision.parse("ap_fixed<12,4>")
    return LayerCall("d", "dense", cfg, FixedPrecision.parse(f"ap_fixed<{bits},3>"), out, io_type)


@pytest.mark.parametrize(
    ("bits", "wbits", "acc", "ctx", "operands"),
    [
        (6, 6, "ap_fixed<24,10>", SEVEN, False),  # narrow: a LUT product, chained with its add
        (16, 8, "ap_fixed<24,10>", SEVEN, False),  # one slice, free cast: the operands feed the slice's ports
        (16, 8, "ap_fixed<24,10,AP_RND,AP_SAT>", SEVEN, True),  # the cast rounds and saturates (Berk-Bilgin)
        (16, 8, "ap_fixed<24,10,AP_TRN,AP_SAT>", SEVEN, True),  # the sums saturate
        (30, 8, "ap_fixed<24,10>", SEVEN, True),  # 30 bits > the DSP48E1's 25-bit port: a two-slice cascade
        (26, 8, "ap_fixed<24,10>", SEVEN, True),  # 26 > 25 on DSP48E1 ...
        (26, 8, "ap_fixed<24,10>", Context(CLOCK, "DSP48E2", "auto", "Vivado HLS", "2020.1", 1.0), False),  # ... not > 27
        (6, 6, "ap_fixed<24,10>", Context(CLOCK, "DSP48E1", "dsp", "Vivado HLS", "2020.1", 1.0), False),  # -impl dsp
    ],
)
def test_resource_loop_registers_operands_only_for_cascades_and_quantizing_casts(bits, wbits, acc, ctx, operands):
    """ReuseLoop registers: input array, accumulators and each multiplier's partial sum; a DSP product registers its
    two operands in fabric only where it cascades over several slices or the accumulator cast rounds or saturates
    (constants.RESOURCE_DSP_OPERAND_REGISTERS off: the GRU reports' 16x16 products into a truncating, wrapping
    accum_t register the product alone). Vivado HLS 2020.1, io_parallel: two copies of the input array and a 12-bit
    return register per output besides."""
    n_in, n_out, rf, acc_w = 32, 16, 8, 24
    block = math.ceil(n_in * n_out / rf)
    est = DenseEstimator().predict(_resource(n_in, n_out, rf, bits, wbits, acc=acc), ctx)
    sw = _sum_bits(bits, wbits, n_in, acc_w)
    per_mult = sw + (bits + wbits if operands else 0)
    expected = 2 * n_in * bits + n_out * acc_w + block * per_mult + n_out * 12
    assert est.ff == round(expected * K.FF_RESOURCE_PER_BIT)


def test_resource_operand_registers_switch_restores_the_old_count(monkeypatch):
    """RESOURCE_DSP_OPERAND_REGISTERS on: every DSP product registers its operands again (the count before)."""
    monkeypatch.setattr(K, "RESOURCE_DSP_OPERAND_REGISTERS", True)
    est = DenseEstimator().predict(_resource(32, 16, 8, 16, 8), SEVEN)
    expected = 2 * 32 * 16 + 16 * 24 + 64 * (24 + 24) + 16 * 12
    assert est.ff == round(expected * K.FF_RESOURCE_PER_BIT)


@pytest.mark.parametrize(
    ("tool", "version", "io_type", "bits"),
    [
        # 32 x 16 at RF 8, 16-bit data x 8-bit weights on DSPs (one slice, truncating accum_t: no operand
        # registers), 24-bit accumulator, 12-bit outputs: block 64 multipliers, each a 24-bit partial sum
        # (16 + 8 + 5 growth, capped at 24); 16 accumulators of 24 bits; the input array is 32 x 16 = 512 bits
        ("Vivado HLS", "2020.1", "io_parallel", 2 * 512 + 384 + 64 * 24 + 16 * 12),  # rewind + phi, return regs
        ("Vivado HLS", "2019.2", "io_parallel", 0 * 512 + 384 + 64 * 24),  # the argument array, unregistered
        ("Vivado HLS", "2019.2", "io_stream", 2 * 512 + 384 + 64 * 24),  # the array read from the stream
        ("Vivado HLS", "2020.1", "io_stream", 2 * 512 + 384 + 64 * 24),  # no return registers in io_stream
        ("Vitis HLS", "2023.1", "io_parallel", 1 * 512 + 384 + 64 * 24),  # no rewind: one copy
        ("Vivado HLS", None, "io_parallel", 0 * 512 + 384 + 64 * 24),  # unknown version: the older rule
    ],
)
def test_resource_loop_registers_by_tool_version(tool, version, io_type, bits):
    """Copies of the input array and return registers of the Resource ReuseLoop per tool version and io type
    (constants.RESOURCE_INPUT_COPIES_REWIND, RESOURCE_REWIND_REGISTERS_FROM); hand-counted bits."""
    ctx = Context(make_clock(5.0, None, tool), "DSP48E1", "auto", tool, version, 1.0)
    est = DenseEstimator().predict(_resource(32, 16, 8, 16, 8, io_type=io_type), ctx)
    assert est.ff == round(bits * K.FF_RESOURCE_PER_BIT)


def _conv(partitions: int, implementation: bool = True, strategy: str = "latency") -> LayerCall:
    cfg = {"in_height": 10, "in_width": 10, "n_chan": 2, "filt_height": 3, "filt_width": 3, "n_filt": 4,
           "out_height": 8, "out_width": 8, "reuse_factor": 1, "n_zeros": 0, "strategy": strategy,
           "n_partitions": partitions, "weight_t": "ap_fixed<8,2>", "accum_t": "ap_fixed<20,8>"}  # fmt: skip
    if implementation:
        cfg["implementation"] = "conv_implementation::linebuffer"
    out = FixedPrecision.parse("ap_fixed<10,4>")
    return LayerCall("c", "conv_2d_cl", cfg, FixedPrecision.parse("ap_fixed<12,4>"), out, "io_parallel")


def test_partitioned_convolution_costs_its_fill_buffer_and_output_registers():
    """hls4ml >= 0.7 conv_2d_latency_cl with 64 partitions of one pixel: each of the 3 x 3 x 2 buffer words
    selects one of 64 input words (12 bits), and the 8 x 8 x 4 outputs (10 bits) are held in registers."""
    conv = ConvEstimator()
    est = conv.predict(_conv(64), SEVEN)
    kern = DotProductModel().predict(18, 4, 72, 12, 8, 20, 1, SEVEN)
    assert est.lut == kern.lut + round(18 * 1 * 12 * 64 * K.FILL_BUFFER_LUT_PER_INPUT_BIT)
    assert est.ff == kern.ff + 8 * 8 * 4 * 10
    # MuhammadAshraful's report (3 x 3 x 1 words of 6 bits, 676 partitions): 31977 LUT in fill_buffer
    assert abs(conv.fill_buffer_luts(9, 1, 6, 676) - 31977) / 31977 < 0.01


@pytest.mark.parametrize("call", [_conv(1), _conv(64, implementation=False)])
def test_fill_buffer_only_where_the_kernel_has_one(call):
    """One partition (the whole image at once) or an hls4ml < 0.7 config (no conv_implementation): the kernel's
    own figures, one copy per pixel of a partition."""
    est = ConvEstimator().predict(call, SEVEN)
    kern = DotProductModel().predict(18, 4, 72, 12, 8, 20, 1, SEVEN)
    copies = 64 // int(call.config["n_partitions"])
    assert (est.lut, est.ff) == (kern.lut * copies, kern.ff * copies)


def _dense_acc(acc: str, rf: int = 1, strategy: str = "latency") -> LayerCall:
    cfg = {"n_in": 16, "n_out": 4, "reuse_factor": rf, "strategy": strategy, "n_zeros": 8,
           "weight_t": "ap_fixed<8,1>", "accum_t": acc}  # fmt: skip
    return LayerCall("d", "dense", cfg, FixedPrecision.parse("ap_fixed<16,6>"), None, "io_parallel")


@pytest.mark.parametrize(
    ("acc", "bits"),
    [
        ("ap_fixed<24,10>", 0),  # hls4ml's default: truncating, wrapping
        ("ap_fixed<24,10,AP_RND,AP_SAT>", 24 + 24),  # 24-bit product (21 fraction bits) rounded and saturated
        ("ap_fixed<24,10,AP_TRN,AP_SAT>", 24),  # only the sums saturate (the 7-bit product integer part fits)
        ("ap_fixed<24,5,AP_TRN,AP_SAT>", 24 + 24),  # the product's 7 integer bits saturate into 5
        ("ap_fixed<24,10,AP_RND_CONV,AP_WRAP>", 24),  # only the product's cast rounds
        ("ap_fixed<40,10,AP_RND,AP_WRAP>", 0),  # accum_t keeps every fraction bit: nothing to round
    ],
)
def test_accumulator_casts_cost_where_accum_t_quantizes(acc, bits):
    """Each product is cast to accum_t and each sum cast back: input bits of the quantizing casts, counted from
    the 16-bit (6 integer) data x 8-bit (1 integer) weight product, 24 bits with 7 integer bits."""
    assert accum_cast_bits(_dense_acc(acc)) == bits


def test_accumulator_casts_priced_as_relu_casts_per_product():
    """Latency strategy: one cast set per non-zero product (64 - 8 zeros); Resource at RF 4: per multiplier
    (64 / 4); LUTs per bit as the quantizing ReLU output cast of the same tool."""
    plain, sat = "ap_fixed<24,10>", "ap_fixed<24,10,AP_RND,AP_SAT>"
    vitis = Context(CLOCK, "DSP48E1", "auto", "Vitis HLS", "2022.1", 1.0)
    # Resource at RF 4 (16 DSP multipliers of 16 x 8 bits, 24-bit sums and accumulators, 4 outputs): the quantizing
    # cast also registers each multiplier's 16 + 8 operand bits (constants.RESOURCE_DSP_OPERAND_REGISTERS); Vivado
    # HLS 2020.1 holds two copies of the 16 x 16 input bits and 4 x 24 return bits, Vitis HLS one copy, no return
    plain_bits = {SEVEN: 2 * 256 + 96 + 96 + 16 * 24, vitis: 256 + 96 + 16 * 24}
    for ctx, per_bit in ((SEVEN, K.RELU_CAST_LUT_PER_BIT), (vitis, K.RELU_CAST_LUT_PER_BIT_VITIS)):
        for rf, strategy, products in ((1, "latency", 56), (4, "resource", 16)):
            a = DenseEstimator().predict(_dense_acc(plain, rf, strategy), ctx)
            b = DenseEstimator().predict(_dense_acc(sat, rf, strategy), ctx)
            assert b.lut - a.lut == round(products * 48 * per_bit)
            assert (b.dsp, b.latency_cycles) == (a.dsp, a.latency_cycles)
            if strategy == "latency":
                assert b.ff == a.ff
            else:
                bits = plain_bits[ctx]
                assert a.ff == round(bits * K.FF_RESOURCE_PER_BIT)
                assert b.ff == round((bits + 16 * (16 + 8)) * K.FF_RESOURCE_PER_BIT)


@pytest.mark.parametrize(
    ("tool", "version", "counted"),
    [
        ("Vivado HLS", "2019.2", True),  # camillaMiao: 67 FF per 2-cycle 16x16 core
        ("Vivado HLS", None, True),
        ("Vitis HLS", "2021.1", False),  # ArgyKokk: 3-cycle cores, 0 FF
        ("Vitis HLS", "2024.2", True),  # MinhNguy3n: mul_11s_7s_18_2_0 47 FF, mul_12s_8s_19_2_0 51 FF
        ("Vitis HLS", "2025.1", True),  # Thifjj/Iris_hls4ml_pynqZ2: mul_16s_*_2_0 67 FF
        ("Vitis HLS", None, True),  # a release not given counts as a current one
    ],
)
def test_multiplier_core_registers_by_tool_version(tool, version, counted):
    assert mul_core_registers_in_fabric(tool, version) is counted
    year = int(version[:4]) if version else None
    if tool == "Vitis HLS" and year is not None:
        assert counted == (year >= K.VITIS_MUL_CORE_FF_FROM_YEAR)
