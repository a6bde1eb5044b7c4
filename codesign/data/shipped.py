"""Paths of the data sample shipped with codesign (the embedded default of the build and of CI tests)."""

from __future__ import annotations

from codesign.resources import shipped_path

SHIPPED_DIR = shipped_path("models", "data")
SHIPPED_JETS = SHIPPED_DIR / "jets.h5"
SHIPPED_L1 = SHIPPED_DIR / "l1.h5"
