"""The RTL quantizers (codesign.rtl.quantizers) vs the float64 reference on every input code: QKeras' round half
to even and saturation, for signed and unsigned inputs wider and narrower than the output, with and without bits
below the half bit (the sticky OR), unscaled and scaled by a power of two (as a layer output can be: da4ml 0.6.0's
msb_mux shortcut picked the wrong bit there), through da4ml's own interpreter of the traced graph."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from codesign import reference
from tests.test_rtl import needs_rtl

INPUTS = [(1, 5, 6), (1, 3, 3), (0, 4, 5), (1, 2, 7), (1, 0, 4), (0, 1, 2)]  # (signed, integer, fractional)
QUANTIZERS = ["quantized_relu(4,2)", "quantized_relu(3,0)", "quantized_relu(8,3)", "quantized_relu(6,6)",
              "quantized_bits(4,1,alpha=1)", "quantized_bits(4,1,alpha=1,symmetric=1)", "quantized_bits(6,4,alpha=1)",
              "quantized_bits(8,2,alpha=1)", "quantized_bits(3,0,alpha=1)"]  # fmt: skip


def _codes(k: int, i: int, f: int) -> np.ndarray:
    return np.arange(-k * 2 ** (i + f), 2 ** (i + f)) * 2.0**-f


@needs_rtl
@pytest.mark.parametrize("spec", QUANTIZERS)
def test_every_input_code_is_quantized_as_the_reference(spec):
    import qkeras
    from da4ml.trace import FixedVariableArrayInput, HWConfig, comb_trace

    from codesign.rtl import constants, quantizers

    q = eval(spec, {**vars(qkeras)})  # a QKeras quantizer object, as a QActivation holds it
    checked = 0
    for (k, i, f), scale in itertools.product(INPUTS, (1.0, 0.25)):
        x = _codes(k, i, f) * scale
        inp = FixedVariableArrayInput((1,), HWConfig(1, -1, -1))
        out = quantizers.apply(q, inp.quantize(k, i, f) * scale, spec, constants.Placements())
        got = comb_trace(inp, out).predict(x[:, None] / scale, n_threads=1)[:, 0]
        want = reference.apply_quantizer(q, x, spec)
        np.testing.assert_array_equal(got, want, err_msg=f"{spec} on ({k}, {i}, {f}) inputs x {scale}")
        checked += int(np.sum(want != x))  # inputs the quantizer changes: rounded or saturated
    assert checked > 0


# constants a bias can add: on the input grid, finer than it, negative, and one that is minus the half (the sum
# then loses its constant); with the inputs of INPUTS they put values on and off the output grid and on ties
CONSTANTS = [0.3125, -0.171875, 1.0 / 128, -1.5, -1.0 / 64]


@needs_rtl
@pytest.mark.parametrize("spec", QUANTIZERS)
def test_a_constant_addition_is_rounded_as_the_reference(spec):
    """``x + c`` (a layer's bias) takes the rounding's half into its constant and clears the last bit at an odd
    tie instead of incrementing (quantizers._round_from_half_up): equal to the reference on every input code."""
    import qkeras
    from da4ml.trace import FixedVariableArrayInput, HWConfig, comb_trace

    from codesign.rtl import constants, quantizers

    q = eval(spec, {**vars(qkeras)})
    ties = 0
    for (k, i, f), scale, c in itertools.product(INPUTS, (1.0, 0.25), CONSTANTS):
        x = _codes(k, i, f) * scale + c
        inp = FixedVariableArrayInput((1,), HWConfig(1, -1, -1))
        v = inp.quantize(k, i, f) * scale + c
        assert all(e.opr == "cadd" for e in v._vars.ravel())  # the path under test
        out = quantizers.apply(q, v, spec, constants.Placements())
        got = comb_trace(inp, out).predict((x[:, None] - c) / scale, n_threads=1)[:, 0]
        want = reference.apply_quantizer(q, x, spec)
        np.testing.assert_array_equal(got, want, err_msg=f"{spec} on ({k}, {i}, {f}) inputs x {scale} + {c}")
        lsb = 2.0 ** -(int(q.bits) - int(q.integer) - int("bits" in spec and q.keep_negative))
        ties += int(np.sum(np.abs(x / lsb - np.floor(x / lsb) - 0.5) == 0))
    assert ties > 0  # round-half ties were among the inputs
