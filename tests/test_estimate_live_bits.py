"""Latency, ninth round: the candidate that keeps only the product bits reaching a wrapping ``accum_t``
(constants.PRODUCT_LIVE_BITS, off in the shipped estimate: docs/estimator.md, ninth round)."""

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock
from codesign.estimate.kernels.common import live_operand_widths
from codesign.estimate.layers import Context, predict_layer
from codesign.precision import FixedPrecision
from tests.benchmark_module import load_benchmark

#: Vivado HLS 2018.3 on a Virtex-7 -2 part (delay factor 1.0) at 5 ns, 12.5 %: freaksie's tmp/lbnl designs.
V7 = Context(Clock(5.0, 0.625), "DSP48E1", "auto", "Vivado HLS", "2018.3", 1.0)


def _dense(x: str, w: str, acc: str, n_in: int = 2, n_out: int = 8) -> LayerCall:
    cfg = {"n_in": n_in, "n_out": n_out, "reuse_factor": 1, "n_zeros": 0, "weight_t": w, "accum_t": acc}
    return LayerCall("fc", "dense", cfg, FixedPrecision.parse(x), FixedPrecision.parse(acc), "io_parallel")


def test_hook_off_keeps_the_declared_widths():
    assert not K.PRODUCT_LIVE_BITS
    assert live_operand_widths(_dense("ap_fixed<32,32>", "ap_fixed<18,4>", "ap_fixed<18,4>")) == (32, 18)


def test_live_bits_by_hand(monkeypatch):
    monkeypatch.setattr(K, "PRODUCT_LIVE_BITS", True)
    # freaksie tmp/lbnl 3e107a974a: integer input (F = 0), weight F = 14, accumulator I = 4: data bits at 2^18 and up
    # land at 2^4 and up, above the accumulator's MSB: 4 + 0 + 14 = 18 live bits of the 32
    assert live_operand_widths(_dense("ap_fixed<32,32>", "ap_fixed<18,4>", "ap_fixed<18,4>")) == (18, 18)
    # the common 16-bit configuration keeps every bit (6 + 10 + 10 = 26 > 16)
    assert live_operand_widths(_dense("ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>")) == (16, 16)
    # a narrow accumulator prunes the weight too: 2 + 6 + 3 = 11 bits
    assert live_operand_widths(_dense("ap_fixed<8,2>", "ap_fixed<12,9>", "ap_fixed<8,2>")) == (8, 11)
    # a saturating accumulator reads every bit for its overflow detection
    assert live_operand_widths(_dense("ap_fixed<32,32>", "ap_fixed<18,4>", "ap_fixed<18,4,AP_TRN,AP_SAT>")) == (32, 18)


def test_live_bits_moves_freaksies_first_layer(monkeypatch):
    """The 2x8 layer in 4.375 ns cycles: 32 x 18 bits is two DSP48E1 slices and a cascade adder (3.5 + 0.1 x
    log2(8) + 2.8 = 6.6 ns: a pipelined core of 2 cycles, then the adder level: 3); 18 x 18 is one slice (3.8 ns,
    then the adder, 6.6 ns in all: one boundary, 1 cycle). Reported: 1."""
    call = _dense("ap_fixed<32,32>", "ap_fixed<18,4>", "ap_fixed<18,4>")
    assert predict_layer(call, V7).latency_cycles == 3
    with load_benchmark("latency_rules").variant("product-live-bits"):
        assert predict_layer(call, V7).latency_cycles == 1
