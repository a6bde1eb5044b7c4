"""QKeras quantizers and Keras activations on da4ml arrays, as :func:`codesign.reference.apply_quantizer` defines them.

QKeras rounds half to even and saturates; da4ml's own ``quantize`` rounds half up, so the rounding is built
from da4ml's truncation and the parity bit (see :func:`round_half_even`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.reference.quantizers import quantizer_config

NAMES = ("", "linear", "relu", "quantized_relu", "quantized_bits")
ACTIVATIONS = ", ".join(NAMES[1:])


def round_half_even(v: Any, k: int, i: int, f: int, overflow: str) -> Any:
    """One da4ml variable quantized to (k, i, f) with QKeras' rounding (half to even) and saturation."""
    lsb = 2.0**-f
    step = float(v.step)
    if v.low == v.high:  # a constant: exact in float64
        val = float(v.low)
        q = float(np.round(val / lsb)) * lsb
        lo = -(2.0**i) * k if overflow == "SAT" else -(2.0**i - lsb) * k
        return v.from_const(min(max(q, lo), 2.0**i - lsb), hwconf=v.hwconf)
    if step >= lsb:  # already on the output grid: only saturation
        return v.quantize(k, i, f, overflow, "TRN")
    # floor(v / lsb) has parity b; half to even == floor(v + lsb/2 - step + b * step), b in {0, 1}
    b = v.quantize(0, 1 - f, f, "WRAP", "TRN")  # the bit of weight lsb: 0 or lsb
    w = v + (lsb / 2 - step) + b * (step / lsb)
    return w.quantize(k, i, f, overflow, "TRN")


def apply(q: Any, x: Any, where: str) -> Any:
    """Apply a QKeras quantizer or Keras activation name to a da4ml array; SpecError naming ``where`` otherwise."""
    from da4ml.trace import FixedVariableArray

    name, c = quantizer_config(q)
    if q is None or name in ("linear", ""):
        return x
    if name == "relu":
        return x.relu()
    if name == "quantized_bits":
        if c.get("alpha") not in (None, 1, 1.0) or c.get("use_stochastic_rounding"):
            raise SpecError(f"{where}: quantized_bits needs alpha=1 and no stochastic rounding for the RTL route")
        bits, integer = int(c["bits"]), int(c.get("integer", 0))
        k = int(bool(c.get("keep_negative", True)))
        f = bits - k - integer
        overflow = "SAT_SYM" if c.get("symmetric") and k else "SAT"
    elif name == "quantized_relu":
        if c.get("use_sigmoid") or c.get("negative_slope") or c.get("use_stochastic_rounding"):
            raise SpecError(f"{where}: quantized_relu with sigmoid/negative_slope/stochastic rounding is not supported")
        bits, integer = int(c["bits"]), int(c.get("integer", 0))
        k, f, overflow = 0, bits - integer, "SAT"
    else:
        raise SpecError(f"{where}: activation/quantizer '{name or q}' is not supported by the RTL route "
                        f"(accepted: {ACTIVATIONS})")  # fmt: skip
    flat = [round_half_even(v, k, integer, f, overflow) for v in x._vars.ravel()]
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return FixedVariableArray(arr.reshape(x._vars.shape), x.solver_options, hwconf=x.hwconf)
