"""The 40 MHz Level-1 trigger budget: does an estimate (or a report) fit the time and the part?

Checks, each with its value, limit, pass/fail and margin:

- ``ii``: initiation interval x clock period <= 25 ns x time-multiplexing period (a new event every bunch
  crossing, or every ``tm_period`` crossings in a time-multiplexed design);
- ``latency_ns``: latency in ns <= the latency budget (only when a budget is given);
- one per resource named in ``max_fraction`` (``lut``, ``ff``, ``dsp``, ``bram_18k``, ``uram``): used <=
  fraction x part total.

A check whose figure the estimate does not have (the estimator declined a layer, so the total is null)
fails closed: ``pass`` is False, ``status`` is ``"unknown"`` and ``reason`` says why. A design is never
declared to fit on a number nobody computed.

Where the estimate carries intervals (``Estimate.interval``: the estimator's 16th-84th percentile band), each
check carries its value's interval, and ``straddles`` (with a note) says when it reaches both sides of the
limit: the verdict is then within the estimator's error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from codesign.errors import SpecError
from codesign.parts import RESOURCES, Part

BUNCH_CROSSING_NS = 25.0


@dataclass(frozen=True)
class Check:
    """One budget check: value against limit, with the absolute and relative margin."""

    name: str
    value: float | None
    limit: float
    passed: bool
    unit: str
    reason: str | None = None
    #: the estimate's 16th-84th percentile interval of the value (same unit), when the estimate carries one
    interval: tuple[float, float] | None = None

    @property
    def straddles(self) -> bool:
        """True when the value's interval reaches both sides of the limit: the verdict could go either way."""
        return self.interval is not None and self.interval[0] <= self.limit < self.interval[1]

    @property
    def margin(self) -> float | None:
        """limit - value (positive: room left), None when the value is unknown."""
        return None if self.value is None else self.limit - self.value

    @property
    def relative_margin(self) -> float | None:
        """(limit - value) / limit, None when the value is unknown or the limit is zero."""
        if self.value is None or self.limit == 0:
            return None
        return (self.limit - self.value) / self.limit

    @property
    def status(self) -> str:
        """``pass``, ``fail`` or ``unknown``."""
        if self.value is None:
            return "unknown"
        return "pass" if self.passed else "fail"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form of the check."""
        return {
            "name": self.name,
            "value": _num(self.value),
            "limit": _num(self.limit),
            "pass": self.passed,
            "margin": _num(self.margin),
            "relative_margin": _num(self.relative_margin),
            "unit": self.unit,
            "status": self.status,
            "reason": self.reason,
            "interval": None if self.interval is None else [_num(x) for x in self.interval],
            "straddles": self.straddles,
        }


    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Check:
        """Read back :meth:`to_dict`."""
        iv = d.get("interval")
        return cls(d["name"], d.get("value"), d["limit"], bool(d["pass"]), d.get("unit", ""), d.get("reason"),
                   None if iv is None else (float(iv[0]), float(iv[1])))  # fmt: skip


@dataclass(frozen=True)
class BudgetVerdict:
    """Outcome of :func:`judge`: overall pass, the checks, and the clock the design could run at.

    ``achievable_clock_ns`` is the clock period the estimate expects the logic to close at (set when the
    estimate carries an ``estimated_clock_ns``); ``max_period_for_timing_ns`` the longest period at which the
    estimated cycle counts still meet the II and latency checks.
    """

    passed: bool
    checks: tuple[Check, ...]
    part: str
    clock_ns: float
    tm_period: int
    achievable_clock_ns: float | None
    max_period_for_timing_ns: float | None
    notes: tuple[str, ...] = ()
    #: which figures were judged: "hls_estimate" (codesign's estimator) or "rtl" (codesign build --rtl)
    basis: str = "hls_estimate"
    #: where each check's figure came from, (check, source) pairs (set for the RTL basis)
    figures: tuple[tuple[str, str], ...] = ()

    def check(self, name: str) -> Check:
        """The check called ``name``."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def objectives(self) -> dict[str, float | None]:
        """Each check's value, to minimise in a scan (II and latency in ns, resources in units of the part)."""
        return {c.name: c.value for c in self.checks}

    def constraints(self) -> dict[str, float | None]:
        """Each check's relative margin, (limit - value) / limit: feasible where >= 0, unknown as None.

        A Pareto scan keeps the points whose constraints are all >= 0 and ranks them on :meth:`objectives`.
        """
        return {c.name: c.relative_margin for c in self.checks}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BudgetVerdict:
        """Read back :meth:`to_dict` (a report.json's ``budget``)."""
        return cls(
            bool(d["pass"]), tuple(Check.from_dict(c) for c in d.get("checks") or ()), d.get("part", ""),
            float(d.get("clock_ns") or 0.0), int(d.get("tm_period") or 1), d.get("achievable_clock_ns"),
            d.get("max_period_for_timing_ns"), tuple(d.get("notes") or ()), d.get("basis", "hls_estimate"),
            tuple((d.get("figures") or {}).items()),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: ``{"pass", "checks": [...], "part", "clock_ns", ...}``."""
        return {
            "pass": self.passed,
            "checks": [c.to_dict() for c in self.checks],
            "part": self.part,
            "clock_ns": self.clock_ns,
            "tm_period": self.tm_period,
            "achievable_clock_ns": _num(self.achievable_clock_ns),
            "max_period_for_timing_ns": _num(self.max_period_for_timing_ns),
            "notes": list(self.notes),
            "basis": self.basis,
            "figures": dict(self.figures),
        }


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    if isinstance(x, int):
        return x
    return float(round(x, 6))


def _get(estimate: Any, key: str) -> Any:
    if isinstance(estimate, dict):
        return estimate.get(key)
    return getattr(estimate, key, None)


def judge(
    estimate: Any,
    part: Part,
    *,
    clock_ns: float,
    tm_period: int = 1,
    latency_limit_ns: float | None,
    max_fraction: dict[str, float],
) -> BudgetVerdict:
    """Judge an estimate (an ``Estimate`` or its dict) against the L1 timing budget and the part's resources."""
    if clock_ns is None or not clock_ns > 0:
        raise SpecError(f"budget: clock_ns must be > 0, got {clock_ns}")
    if int(tm_period) != tm_period or tm_period < 1:
        raise SpecError(f"budget: tm_period must be an integer >= 1, got {tm_period}")
    if latency_limit_ns is not None and not latency_limit_ns > 0:
        raise SpecError(f"budget: latency_limit_ns must be > 0 or null, got {latency_limit_ns}")
    for key, frac in max_fraction.items():
        if key.lower() not in RESOURCES:
            raise SpecError(f"budget: unknown resource '{key}' in max_fraction (accepted: {', '.join(RESOURCES)})")
        if not 0 < frac:
            raise SpecError(f"budget: max_fraction['{key}'] must be > 0, got {frac}")

    checks: list[Check] = []
    notes: list[str] = []
    ii = _get(estimate, "ii_cycles")
    ii_limit = BUNCH_CROSSING_NS * tm_period
    if ii is None:
        checks.append(Check("ii", None, ii_limit, False, "ns", "initiation interval unknown (estimate declined)"))
    else:
        ii_ns = float(ii) * clock_ns
        checks.append(
            Check(
                "ii",
                ii_ns,
                ii_limit,
                ii_ns <= ii_limit + 1e-9,
                "ns",
                f"II {ii} cycles x {clock_ns:g} ns <= 25 ns x {tm_period}",
            )
        )

    latency_cycles = _get(estimate, "latency_cycles")
    latency_ns = _get(estimate, "latency_ns")
    if latency_ns is None and latency_cycles is not None:
        latency_ns = float(latency_cycles) * clock_ns
    if latency_limit_ns is not None:
        if latency_ns is None:
            checks.append(
                Check("latency_ns", None, latency_limit_ns, False, "ns", "latency unknown (estimate declined)")
            )
        else:
            checks.append(
                Check(
                    "latency_ns",
                    float(latency_ns),
                    float(latency_limit_ns),
                    float(latency_ns) <= latency_limit_ns + 1e-9,
                    "ns",
                )
            )

    for key, frac in max_fraction.items():
        res = key.lower()
        used = _get(estimate, res)
        limit = frac * part.total(res)
        if used is None:
            checks.append(Check(res, None, limit, False, res.upper(), f"{res} unknown (estimate declined)"))
        else:
            checks.append(
                Check(
                    res,
                    float(used),
                    limit,
                    float(used) <= limit + 1e-9,
                    res.upper(),
                    f"<= {frac:.0%} of {part.name} ({part.total(res)})",
                )
            )

    # The slowest clock period that still meets the timing checks with the estimated cycle counts.
    bounds = []
    if ii is not None and ii > 0:
        bounds.append(ii_limit / float(ii))
    if latency_limit_ns is not None and latency_cycles:
        bounds.append(latency_limit_ns / float(latency_cycles))
    max_period = min(bounds) if bounds else None
    if max_period is not None and max_period < clock_ns:
        notes.append(
            f"with these cycle counts the timing budget needs a clock period <= {max_period:.3g} ns "
            f"({1000.0 / max_period:.0f} MHz), shorter than the target {clock_ns:g} ns"
        )
    # The estimator may say the logic cannot close timing at the target (its estimated clock is longer).
    achievable = _get(estimate, "estimated_clock_ns")
    achievable = float(achievable) if achievable is not None else None
    if achievable is not None and achievable > clock_ns:
        notes.append(
            f"the target clock {clock_ns:g} ns is too tight: the estimate reaches about {achievable:.3g} ns "
            f"({1000.0 / achievable:.0f} MHz); at that clock II x clock = "
            + (f"{float(ii) * achievable:.3g} ns" if ii is not None else "unknown")
        )
    checks = _with_intervals(checks, _get(estimate, "interval") or {}, clock_ns)
    for c in checks:
        if c.straddles:
            notes.append(
                f"{c.name}: the estimate's 16-84 % interval {c.interval[0]:.6g}-{c.interval[1]:.6g} {c.unit} "
                f"straddles the limit {c.limit:.6g}: '{c.status}' is within the estimator's error"
            )
    if any(c.status == "unknown" for c in checks):
        notes.append("checks marked 'unknown' fail closed: the estimator declined part of the design")
    passed = all(c.passed for c in checks)
    return BudgetVerdict(
        passed,
        tuple(checks),
        part.name,
        float(clock_ns),
        int(tm_period),
        achievable,
        None if max_period is None or math.isinf(max_period) else max_period,
        tuple(notes),
    )


def _with_intervals(checks: list[Check], interval: dict, clock_ns: float) -> list[Check]:
    """Attach the estimate's interval (``Estimate.interval``) to each check, in the check's unit."""
    out = []
    for c in checks:
        if c.name == "ii":
            iv = interval.get("ii_cycles")
            iv = None if iv is None else (float(iv[0]) * clock_ns, float(iv[1]) * clock_ns)
        elif c.name == "latency_ns":
            cyc = interval.get("latency_cycles")
            iv = interval.get("latency_ns") or (None if cyc is None else (cyc[0] * clock_ns, cyc[1] * clock_ns))
        else:
            iv = interval.get(c.name)
        out.append(replace(c, interval=None if iv is None or c.value is None else (float(iv[0]), float(iv[1]))))
    return out
