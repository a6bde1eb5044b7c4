"""codesign: FPGA trigger inference compiler and codesign toolkit for the 40 MHz L1 trigger."""

from __future__ import annotations

__version__ = "0.1.0"


def check(build_dir, *, n=None, junit=None, trace=False, seed=0, workers=None, progress=None):
    """Check a finished build's firmware bit for bit; returns a frozen ``CheckResult`` (see
    :func:`codesign.firmware.check.check`)."""
    from codesign.firmware.check import check as _check

    return _check(build_dir, n=n, junit=junit, trace=trace, seed=seed, workers=workers, progress=progress)
