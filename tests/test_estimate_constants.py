"""The estimator's constants package: one name, one place, patched where the estimator reads it."""

from __future__ import annotations

import re
from pathlib import Path

from codesign.estimate import constants as K
from codesign.estimate.constants import area, stream, timing

ROOT = Path(__file__).resolve().parents[1]
SUBMODULES = (area, stream, timing)


def _names(module) -> set[str]:
    return {k for k in vars(module) if k.isupper()}


def test_each_constant_defined_once_and_exported():
    """No name in two submodules (a star import would let the later one win silently); the package has all."""
    seen: dict[str, str] = {}
    for m in SUBMODULES:
        for name in _names(m):
            assert name not in seen, f"{name} defined in {seen[name]} and {m.__name__}"
            seen[name] = m.__name__
    assert set(seen) == _names(K)
    for name, where in seen.items():
        assert getattr(K, name) == getattr(__import__(where, fromlist=["x"]), name), name


def test_nothing_reads_a_submodule():
    """The estimator, benchmarks and tests patch ``constants.NAME``: a reader of ``constants.timing.NAME`` or of
    a name imported from the package would keep the unpatched value."""
    pattern = re.compile(r"from codesign\.estimate\.constants(\.\w+)? import (?!\*)|constants\.(area|stream|timing)\.")
    offenders = []
    for folder in ("codesign", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.parent.name == "constants" and path.parent.parent.name == "estimate":
                continue
            for i, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def _record(io_type: str) -> dict:
    from codesign.estimate.calibration_set import load_records

    recs = load_records(ROOT / "codesign" / "estimate" / "calibration")
    return next(r for r in recs if r.get("io_type") == [io_type] and r["repo"] in STOCK_PICK[io_type])


#: One stock record per io type from the carried calibration copy, whose estimate the patches below move.
STOCK_PICK = {"io_parallel": ("ArgyKokk/hls4ml_MLP_estimator",), "io_stream": ("abdennour-GUESSOUM/Lenet5-hls4ml",)}


def test_patch_reaches_the_estimator(monkeypatch):
    """A constant of each submodule, patched on the package, moves the figure it prices (the estimator reads
    the package at call time, not a copy)."""
    from codesign.estimate import estimate_record

    par, st = _record("io_parallel"), _record("io_stream")
    base_par, base_st = estimate_record(par), estimate_record(st)
    monkeypatch.setattr(K, "TOP_CYCLES_PER_BOUNDARY", K.TOP_CYCLES_PER_BOUNDARY + 10)  # timing
    monkeypatch.setattr(K, "LUT_PER_SUM_BIT", 2 * K.LUT_PER_SUM_BIT)  # area
    monkeypatch.setattr(K, "STREAM_CONV_WINDOW_CYCLES", K.STREAM_CONV_WINDOW_CYCLES + 10)  # stream
    new_par, new_st = estimate_record(par), estimate_record(st)
    assert new_par["latency_max_cycles"] > base_par["latency_max_cycles"]
    assert new_par["LUT"] > base_par["LUT"]
    assert new_st["latency_max_cycles"] > base_st["latency_max_cycles"]
