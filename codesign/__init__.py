"""codesign: FPGA trigger inference compiler and codesign toolkit for the 40 MHz L1 trigger.

``codesign.build(spec, part=..., out=...)`` builds one spec and returns a :class:`codesign.api.BuildResult`;
it is imported on first use, so ``import codesign`` stays cheap (no TensorFlow).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["BuildResult", "build", "check", "__version__"]


def __getattr__(name: str):
    """Lazy exports: ``build`` and ``BuildResult`` from :mod:`codesign.api`."""
    if name in ("build", "BuildResult"):
        from codesign import api

        return getattr(api, name)
    raise AttributeError(f"module 'codesign' has no attribute {name!r}")


def check(build_dir, *, n=None, junit=None, trace=False, seed=0, workers=None, progress=None):
    """Check a finished build's firmware bit for bit; returns a frozen ``CheckResult`` (see
    :func:`codesign.firmware.check.check`)."""
    from codesign.firmware.check import check as _check

    return _check(build_dir, n=n, junit=junit, trace=trace, seed=seed, workers=workers, progress=progress)
