"""The emulator's value: integer codes (one row per sample) and their fixed-point type."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codesign.firmware.fixed import to_float
from codesign.precision import FixedPrecision


@dataclass(frozen=True)
class Tensor:
    """Integer codes (one row per sample) and their type."""

    codes: np.ndarray
    prec: FixedPrecision

    def values(self) -> np.ndarray:
        """Float64 values."""
        return to_float(self.codes, self.prec)
