"""What every per-layer estimator shares: the :class:`Context`, width/rounding helpers, the io_stream wrapper."""

from __future__ import annotations

from dataclasses import dataclass

from codesign.estimate.hardware import Clock
from codesign.precision import FixedPrecision


@dataclass(frozen=True)
class Context:
    """What every layer estimator needs besides the layer: clock, DSP family, multiplier impl, tool."""

    clock: Clock
    dsp_family: str
    mul_impl: str
    tool: str | None
    tool_version: str | None
    delay_factor: float = 1.0


def width_of(p: FixedPrecision | None, default: int = 16) -> int:
    """The width of a precision, or ``default`` where the type is unknown."""
    return p.width if p is not None else default


def rint(x: float) -> int:
    """Round a resource count to the nearest integer."""
    return int(round(x))
