"""Pipeline timing of the RTL graph: da4ml's latency units, and variable products timed as DSP48E2 slices.

**What a da4ml latency unit is** (da4ml 0.6.0 source: ``FixedVariable.get_cost_and_latency`` and the C++
``cost_add`` of its CMVM core). codesign traces with ``HWConfig(adder_size=1, carry_size=-1)``; with
``carry_size < 0`` ``cost_add`` returns a delay of ``ceil(bits / 65535)`` = 1, so:

- an addition, subtraction, minimum or maximum of any width (one carry chain) is 1 unit (its cost: its bits);
- a multiplexer on a sign bit (opcode 6) and a bit reduction or bitwise operation (opcodes 9, 10) are 1 unit;
- a table lookup (opcode 8) with a ``b``-bit index is ``max(b - 6, 1)`` units (LUT6 levels);
- a variable x variable product (opcode 7) of ``b0`` x ``b1`` bits is ``max(b0, b1)`` units: a chain of
  shift-and-add adders, one per bit of the wider operand;
- truncations, wraps, shifts and ReLU are wires (0 units).

**Units per ns.** da4ml's own command line pairs ``--latency-cutoff 5`` with ``--clock-period 5``
(``da4ml/_cli/convert.py`` defaults), i.e. one adder level (carry chain plus routing) per ns, and codesign
pipelines with ``latency_cutoff = clock_ns`` (:func:`codesign.rtl.sim.write`). That is da4ml's assumption,
not a measured figure: the UltraScale+ data sheets' switching tables (DS923 for Virtex UltraScale+) give
DSP, block RAM, clock and I/O figures but no CLB or carry-chain delays that we could find.

**Variable products are DSP48E2 slices, not adder chains.** da4ml writes a product as one Verilog ``*``
(its ``multiplier`` module), which synthesis maps to DSP48E2 slices (yosys counts them in ``rtl.dsp``), and its
pipeline puts the whole product in the one stage where its modelled latency ends: the ``max(b0, b1)`` units
charged before that only add empty register stages. A product whose operands fit one DSP48E2 multiplier
(27 x 18 bits signed, an unsigned operand counting one bit more) is timed here by the data sheet instead:
DS923 v1.20 (Virtex UltraScale+, Table "DSP48 Slice Switching Characteristics") gives FMAX_NOPIPELINEREG,
a multiply without the MREG/ADREG pipeline registers, as 483 / 410 / 338 MHz for speed grades -3 / -2 / -1
and 323 MHz for -2 at VCCINT 0.72 V; DS925, DS931 and DS930 (Zynq, Artix, Spartan UltraScale+) list 304 MHz
for -1 at 0.72 V, the slowest figure: 3.29 ns. Where that fits the clock, such a product gets a stage of its
own: it starts at the next stage boundary after its operands and takes the whole clock period (``clock_ns``
units), so nothing else is in series with it inside the stage (the stage's registers can be the slice's
A/B/P registers, the FMAX_NOPIPELINEREG configuration). Everything else keeps da4ml's own delay. Other
families (7-series DSP48E1, UltraScale), a shorter clock and wider products keep da4ml's model unchanged.
"""

from __future__ import annotations

import math
from typing import Any

from codesign.errors import SpecError
from codesign.parts import resolve_part

DSP_FMAX_NOPIPELINEREG_MHZ = 304.0  # slowest UltraScale+ figure (DS925/DS931/DS930, -1 at 0.72 V; DS923 VU+: 323)
DSP_NS = 1000.0 / DSP_FMAX_NOPIPELINEREG_MHZ  # 3.29 ns
#: UltraScale+ (DSP48E2, the data sheets above); parts.py names the Alveo cards (Virtex UltraScale+ devices, DS923)
#: and the RFSoC parts (Zynq UltraScale+, DS926) apart
DSP_FAMILIES = ("virtexuplus", "kintexuplus", "zynquplus", "alveo", "zynquplusRFSOC")
DSP_A_BITS, DSP_B_BITS = 27, 18  # the DSP48E2 multiplier's signed operand widths
MUL, CONST, INPUT, MUX = 7, 5, -1, (6, -6)


def dsp_bits(qint: Any) -> int:
    """Signed bits an operand of interval ``qint`` takes on a DSP port (unsigned values need one bit more)."""
    from da4ml.types import QInterval, minimal_kif

    k, i, f = minimal_kif(QInterval(*qint))
    return int(i + f) + 1  # k + i + f signed, i + f + 1 when unsigned: the sign bit either way


def fits_one_dsp(q0: Any, q1: Any) -> bool:
    """Whether a product of operands with intervals ``q0``, ``q1`` fits one DSP48E2 multiplier (27 x 18 signed)."""
    a, b = sorted((dsp_bits(q0), dsp_bits(q1)), reverse=True)
    return a <= DSP_A_BITS and b <= DSP_B_BITS


def dsp_timed(part: str, clock_ns: float) -> bool:
    """Whether products on ``part`` at ``clock_ns`` are timed as DSP48E2 stages (UltraScale+, clock >= 3.29 ns)."""
    try:
        family = resolve_part(part).family
    except SpecError:  # a part codesign does not know: da4ml's model, as before
        return False
    return family in DSP_FAMILIES and float(clock_ns) >= DSP_NS


def _deps(op: Any) -> list[int]:
    if op.opcode in (INPUT, CONST):
        return []
    ids = [op.id0, op.id1] + ([op.data & 0xFFFFFFFF] if op.opcode in MUX else [])
    return [int(i) for i in ids if i >= 0]


def retime(comb: Any, clock_ns: float, part: str) -> tuple[Any, int]:
    """(``comb`` with every one-DSP product timed as a stage of its own, number of such products).

    Each operation keeps da4ml's own delay (its latency less its latest non-constant operand's); a product
    that fits one DSP48E2 starts at the first stage boundary at or after its operands and ends one clock later.
    A constant is placed with its earliest consumer. ``comb`` is returned unchanged when nothing is retimed.
    """
    if not dsp_timed(part, clock_ns):
        return comb, 0
    ops, clk = comb.ops, float(clock_ns)
    deps = [[d for d in _deps(op) if ops[d].opcode != CONST] for op in ops]
    new: list[float] = []
    n_dsp = 0
    for op, dd in zip(ops, deps, strict=True):
        base_old = max((ops[d].latency for d in dd), default=0.0)
        base = max((new[d] for d in dd), default=0.0)
        if op.opcode == MUL and fits_one_dsp(ops[op.id0].qint, ops[op.id1].qint):
            start = math.ceil(base / clk - 1e-9) * clk
            new.append(start + clk)
            n_dsp += 1
        elif op.opcode in (INPUT, CONST):
            new.append(float(op.latency))
        else:
            new.append(base + float(op.latency) - base_old)
    if n_dsp == 0:
        return comb, 0
    placed: dict[int, float] = {}
    for i, op in enumerate(ops):  # constants take the earliest consumer's latency (da4ml puts them with it)
        for d in _deps(op):
            if ops[d].opcode == CONST:
                placed[d] = min(placed.get(d, new[i]), new[i])
    for d, lat in placed.items():
        new[d] = lat
    ops = [op._replace(latency=float(lat)) for op, lat in zip(ops, new, strict=True)]
    return comb._replace(ops=ops), n_dsp
