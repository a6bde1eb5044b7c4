"""Hardware primitives of the model: the clock budget, multiplier mapping, adder trees and registers.

Every constant sits in :mod:`codesign.estimate.constants` with the records it was fitted on. The structure
(what hls4ml unrolls, what the HLS scheduler registers) is here:

- HLS schedules operations into clock cycles of ``clock - uncertainty`` ns (the default uncertainty is
  27 % of the period in Vitis HLS and 12.5 % in Vivado HLS, and hls4ml's build script sets the same).
- A product of a data word (``wd`` bits) and a constant weight (``ww`` bits) goes to a DSP slice only when
  both operands are wide: narrow constant products are cheaper as shift-and-add logic, and HLS folds
  them into the adder tree. ``config_op mul -impl dsp|fabric`` forces the choice. A product wider than
  the DSP's ports (25x18 for DSP48E1, 27x18 for DSP48E2) takes more than one slice.
- A dot product of ``n`` terms is a balanced adder tree of ``ceil(log2 n)`` levels whose adders are as wide
  as the partial sums (never wider than the accumulator type). The scheduler puts as many levels in a
  cycle as fit; each cycle boundary registers the live partial sums.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from codesign.estimate import constants as K


@dataclass(frozen=True)
class Clock:
    """Target clock and the effective time per cycle HLS schedules into."""

    period_ns: float
    uncertainty_ns: float

    @property
    def effective_ns(self) -> float:
        """Time per cycle available to logic."""
        return max(self.period_ns - self.uncertainty_ns, 0.1 * self.period_ns)

    def cycles(self, delay_ns: float) -> int:
        """Register stages needed to cover a combinational delay (0 when it fits with the next op)."""
        return max(0, math.ceil(delay_ns / self.effective_ns - 1e-9))


def is_vitis(tool: str | None) -> bool:
    """Whether the HLS tool is Vitis HLS (not Vivado HLS): where their schedules or bindings differ."""
    return (tool or "").startswith("Vitis")


def make_clock(period_ns: float, uncertainty: str | float | None, tool: str | None) -> Clock:
    """Clock from the target period and the tcl uncertainty setting (``"27%"`` or ns), tool default otherwise."""
    unc_ns = None
    if isinstance(uncertainty, (int, float)):
        unc_ns = float(uncertainty)
    elif isinstance(uncertainty, str):
        m = re.match(r"\s*([\d.]+)\s*(%?)", uncertainty)
        if m:
            unc_ns = float(m.group(1)) * period_ns / 100.0 if m.group(2) else float(m.group(1))
    if unc_ns is None:
        frac = K.VITIS_DEFAULT_UNCERTAINTY if is_vitis(tool) else K.VIVADO_DEFAULT_UNCERTAINTY
        unc_ns = frac * period_ns
    return Clock(float(period_ns), unc_ns)


_ULTRASCALE_PLUS = ("virtexuplus", "kintexuplus", "alveo", "zynquplus", "zynquplusRFSOC")


#: parts.py's family names that the HLS reports print under another "Product family": the Alveo cards are Virtex
#: UltraScale+ devices (xcu250, xcu50, xcu55c: virtexuplus in every report under ../shared/calibration/raw)
_HLS_FAMILY = {"alveo": "virtexuplus"}


def hls_family(family: str | None) -> str | None:
    """The device family as the HLS reports name it (``alveo`` -> ``virtexuplus``; the others as parts.py names them)."""
    return _HLS_FAMILY.get(family, family) if family else None


def speed_grade(full_name: str) -> int | None:
    """Speed grade of a full part string (``xc7z020-clg400-1`` -> 1, ``xcu250-figd2104-2L-e`` -> 2)."""
    m = re.search(r"-(\d)(?:LV|L|E|I)?(?:-[a-zA-Z])?$", full_name.strip())
    return int(m.group(1)) if m else None


def _family_grade_factor(family: str, full_name: str, ultrascale_plus: float, ultrascale: float, grade_1: float) -> float:
    """A 7-series (-2) delay scaled by the device family's factor and, on speed grade -1, the grade's factor."""
    if family in _ULTRASCALE_PLUS:
        base = ultrascale_plus
    elif family == "kintexu":
        base = ultrascale
    else:
        base = 1.0
    return base * (grade_1 if speed_grade(full_name) == 1 else 1.0)


def delay_factor(family: str, full_name: str) -> float:
    """Scale of the 7-series (-2) logic delays for a device family and speed grade (see constants)."""
    return _family_grade_factor(family, full_name, K.DELAY_FACTOR_ULTRASCALE_PLUS, K.DELAY_FACTOR_ULTRASCALE,
                                K.DELAY_FACTOR_SPEED_GRADE_1)


def tool_year(version: str | None) -> int | None:
    """The release year of an HLS tool version string (``2019.2`` -> 2019), None when it has none."""
    m = re.match(r"\s*(\d{4})", str(version or ""))
    return int(m.group(1)) if m else None


def tool_release(version: str | None) -> tuple[int, int | None] | None:
    """Year and minor release of an HLS tool version string (``2024.1`` -> (2024, 1), ``2019.2.1`` -> (2019, 2),
    ``2023`` -> (2023, None)); None when it names no year."""
    m = re.match(r"\s*(\d{4})(?:\.(\d+))?", str(version or ""))
    if not m:
        return None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) is not None else None)


def in_release_window(version: str | None, first: tuple[int, int], last: tuple[int, int]) -> bool:
    """Whether a tool version lies in the releases ``first``..``last`` (inclusive); a version naming only its year
    counts when every release of that year does; an unknown version does not."""
    rel = tool_release(version)
    if rel is None:
        return False
    year, minor = rel
    if minor is None:
        return (year, 1) >= first and (year, 99) <= last
    return first <= (year, minor) <= last


def mul_impl(tcl_lines: list[str] | None) -> str:
    """The ``config_op mul -impl`` choice of the build script: ``dsp``, ``fabric`` or ``auto``."""
    for line in tcl_lines or []:
        m = re.search(r"config_op\s+mul\b.*-impl\s+(\w+)", line)
        if m:
            impl = m.group(1).lower()
            return "fabric" if impl in ("fabric", "lut") else ("dsp" if impl.startswith("dsp") else "auto")
    return "auto"


def dsp_full_reg(tcl_lines: list[str] | None) -> bool:
    """Whether the build script leaves ``config_schedule -enable_dsp_full_reg`` at the tools' default (true): False
    where it sets it false (hls4ml's build scripts do from about 0.6 on)."""
    for line in tcl_lines or []:
        m = re.search(r"config_schedule\b.*-enable_dsp_full_reg(?:\s*=\s*|\s+)(\w+)", line)
        if m:
            return m.group(1).lower() not in ("false", "0", "off", "no")
    return True


@dataclass(frozen=True)
class MultiplierCost:
    """Expected cost of one constant-coefficient product: DSP slices and the LUT factor on its adder tree."""

    dsp: float
    lut: float
    dsp_fraction: float


class MultiplierMap:
    """DSP-vs-LUT mapping of a data x constant-weight product by operand widths, DSP family and impl."""

    @staticmethod
    def slices(wd: int, ww: int, dsp_family: str) -> int:
        """DSP slices of one full product: a wider operand than the ports takes several slices."""
        a_port, b_port = (25, 18) if dsp_family == "DSP48E1" else (27, 18)
        hi, lo = max(wd, ww), min(wd, ww)
        return math.ceil(hi / a_port) * math.ceil(lo / b_port)

    def predict(self, wd: int, ww: int, dsp_family: str, impl: str = "auto") -> MultiplierCost:
        """Expected DSP slices and LUTs of one product of a ``wd``-bit word and a ``ww``-bit constant."""
        # the product's effective width: the narrower operand, weighted up by the wider one (constants)
        lo, hi = min(wd, ww), max(wd, ww)
        width = lo ** (1.0 - K.DSP_WIDTH_HI_WEIGHT) * hi**K.DSP_WIDTH_HI_WEIGHT
        slices = self.slices(wd, ww, dsp_family)
        if impl == "fabric":
            frac = 0.0
        elif impl == "dsp":
            frac = K.DSP_FORCED_FRACTION  # small-layer share; DotProductModel applies the size saturation
        else:
            frac = K.DSP_MAX_FRACTION / (1.0 + math.exp(-(width - K.DSP_WIDTH_CENTER) / K.DSP_WIDTH_SCALE))
        # LUTs of the products are counted with the adder tree they merge into (see DotProductModel); a
        # forced fabric mapping builds real LUT multipliers and scales that tree (FABRIC_LUT_FACTOR).
        lut_factor = K.FABRIC_LUT_FACTOR if impl == "fabric" else 1.0
        return MultiplierCost(dsp=frac * slices, lut=lut_factor, dsp_fraction=frac)


def sum_width(wd: int, ww: int, n_terms: int, acc_width: int) -> int:
    """Width of the partial sums of a dot product: product width plus growth, capped by the accumulator."""
    growth = math.ceil(math.log2(max(n_terms, 1))) if n_terms > 1 else 0
    return max(1, min(acc_width, wd + ww + growth))


def chain_cycles(delays_ns: list[float], effective_ns: float, *, registered_inputs: bool = True) -> int:
    """Register boundaries a chain of dependent operations crosses when HLS packs it into cycles.

    Each operation starts in the current cycle if it still fits there, else at the next cycle boundary. One
    longer than a cycle is a multi-cycle operation (a pipelined DSP or LUT multiplier): with ``registered_inputs``
    it gets registered inputs and spans ceil(delay / period) cycles, its result arriving that far into its last
    cycle; without, it starts where the chain stands and crosses the boundaries its delay reaches (a core that
    registers its product only: :func:`mul_inputs_registered`).
    """
    cycles, used = 0, 0.0
    for d in delays_ns:
        if used + d <= effective_ns + 1e-9:
            used += d
        elif d > effective_ns and not registered_inputs:
            k = math.ceil((used + d) / effective_ns - 1e-9) - 1
            cycles += k
            used = used + d - k * effective_ns
        elif d > effective_ns:
            k = math.ceil(d / effective_ns - 1e-9)
            cycles += k
            used = d - (k - 1) * effective_ns
        else:
            cycles += 1
            used = d
    return cycles


def combinational_run_cycles(calls: list[tuple[bool, tuple[float, ...]]], effective_ns: float) -> int:
    """Registers a pipelined caller puts inside its runs of combinational calls, given as (combinational, delays).

    HLS schedules a combinational call's operations in the caller's cycles, so a run of such calls is one chain of
    their operations' delays (:func:`chain_cycles`): a register only where the accumulated delay fills the period.
    """
    cycles, run = 0, []
    for combinational, delays in [*calls, (False, ())]:
        if combinational:
            run.extend(delays)
        else:
            cycles, run = cycles + chain_cycles(run, effective_ns), []
    return cycles


def mul_inputs_registered(tool: str | None, constant_operand: bool = False) -> bool:
    """Whether the tool's pipelined multiplier core registers its inputs before the product (constants); a
    ``constant_operand`` product is an unrolled kernel's (a weight of the Latency strategy, shared or not)."""
    if is_vitis(tool):
        return K.MUL_INPUTS_REGISTERED_VITIS
    return K.MUL_INPUTS_REGISTERED_VIVADO_CONSTANT if constant_operand else K.MUL_INPUTS_REGISTERED_VIVADO


def vivado_or_vitis_from(tool: str | None, version: str | None, year: int) -> bool:
    """Whether a rule Vivado HLS always follows holds for this tool: any Vivado HLS, Vitis HLS from release ``year``
    on (an unknown Vitis release counts as a current one)."""
    if not is_vitis(tool):
        return True
    release = tool_year(version)
    return release is None or release >= year


def mul_core_registers_in_fabric(tool: str | None, version: str | None) -> bool:
    """Whether the tool counts a pipelined DSP multiplier core's stage registers as fabric FFs
    (constants.FF_PIPELINED_MUL_PER_BIT): Vivado HLS always; Vitis HLS from VITIS_MUL_CORE_FF_FROM_YEAR on;
    Vitis HLS 2021.1 keeps them in the DSP slice."""
    return vivado_or_vitis_from(tool, version, K.VITIS_MUL_CORE_FF_FROM_YEAR)


def tree_levels(n_terms: int) -> int:
    """Levels of a balanced adder tree over ``n_terms`` inputs."""
    return math.ceil(math.log2(n_terms)) if n_terms > 1 else 0



def dsp_delay_factor(family: str, full_name: str) -> float:
    """Scale of the 7-series (-2) DSP multiplier delay T_MUL_DSP_NS for a device family and speed grade (constants)."""
    return _family_grade_factor(family, full_name, K.DSP_DELAY_FACTOR_ULTRASCALE_PLUS, K.DSP_DELAY_FACTOR_ULTRASCALE,
                                K.DSP_DELAY_FACTOR_SPEED_GRADE_1)


def multiplier_latency(
    wa: int, wb: int, on_dsp: bool, clock: Clock, family: str, full_name: str, tool: str | None = None
) -> int:  # fmt: skip
    """Register stages of a ``wa`` x ``wb`` multiplier core (its name's stage count minus one) as the model schedules
    it (chain_cycles): none when the product fits the effective period, else registered inputs and
    ceil(delay / period) cycles; a product wider than the DSP ports adds its cascade's adders."""
    if on_dsp:
        slices = MultiplierMap.slices(wa, wb, "DSP48E2" if family in _ULTRASCALE_PLUS or family == "kintexu" else "DSP48E1")
        d = K.T_MUL_DSP_NS * dsp_delay_factor(family, full_name)
        d += K.T_ADD_NS * math.ceil(math.log2(slices)) * delay_factor(family, full_name) if slices > 1 else 0.0
    else:
        d = K.T_MUL_LUT_NS * delay_factor(family, full_name)
    return chain_cycles([d], clock.effective_ns, registered_inputs=mul_inputs_registered(tool))
