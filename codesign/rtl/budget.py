"""The 40 MHz budget judged on the RTL's figures: da4ml's pipeline for II and latency, yosys for the resources.

Without yosys, LUT and FF are da4ml's own estimate (labelled so); DSP and block RAM are zero when the traced graph
has no multiplier and no lookup table (da4ml then emits adders, comparators and registers only), else unknown,
and an unknown check fails closed as in :func:`codesign.budget.judge`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from codesign import budget

YOSYS = "yosys synth_xilinx -family xcup"


def figures(rtl: dict) -> tuple[dict[str, Any], dict[str, str]]:
    """(figures for :func:`codesign.budget.judge`, the source of each) from a report's ``rtl`` section."""
    clock = rtl["clock_ns"]
    timing = f"RTL: da4ml pipeline for {clock:g} ns (clock cycles)"
    out: dict[str, Any] = {"ii_cycles": rtl["ii_cycles"], "latency_cycles": rtl["latency_cycles"],
                           "latency_ns": rtl["latency_ns"]}  # fmt: skip
    src = {"ii": timing, "latency_ns": timing}
    synthesized = rtl.get("lut") is not None
    est = rtl.get("da4ml_estimate") or {}
    for key in ("lut", "ff"):
        out[key] = rtl[key] if synthesized else est.get(key)
        src[key] = f"RTL: {YOSYS}" if synthesized else "RTL: da4ml's own estimate (yosys missing)"
    ops = rtl.get("operators") or {}
    adders_only = ops.get("multipliers") == 0 and ops.get("lookup_tables") == 0
    for key in ("dsp", "bram_18k", "uram"):
        if synthesized:
            out[key], src[key] = rtl.get(key), f"RTL: {YOSYS}"
        elif adders_only:
            out[key], src[key] = 0, "RTL: none (da4ml emitted adders only: no multiplier, no lookup table)"
        else:
            out[key], src[key] = None, "RTL: unknown without yosys (the design has multipliers or lookup tables)"
    return out, src


def judge(
    rtl: dict, part: Any, *, tm_period: int, latency_limit_ns: float | None, max_fraction: dict[str, float]
) -> budget.BudgetVerdict:
    """The budget verdict on the RTL figures (``basis`` "rtl", ``figures`` naming each check's source)."""
    figs, src = figures(rtl)
    verdict = budget.judge(figs, part, clock_ns=rtl["clock_ns"], tm_period=tm_period,
                           latency_limit_ns=latency_limit_ns, max_fraction=max_fraction)  # fmt: skip
    used = tuple((c.name, src.get(c.name, "RTL")) for c in verdict.checks)
    return replace(verdict, basis="rtl", figures=used)
