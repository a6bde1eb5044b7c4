"""Fixtures shared by test modules, and the worker count of `make test` (pytest-xdist's ``-n auto``)."""

from __future__ import annotations

import os

import pytest

from codesign import tools

MAX_AUTO_WORKERS = 8  # each worker holds TensorFlow + hls4ml (~1 GB); more rarely pays on a bigger machine


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: absent when xdist is not installed
def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: the cores this process may use (its affinity mask, capped), not psutil's physical cores."""
    env = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise pytest.UsageError(f"PYTEST_XDIST_AUTO_NUM_WORKERS={env!r}: expected a whole number of workers") from None
    return max(1, min(tools.cpu_count(), MAX_AUTO_WORKERS))


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the xdist_group marks (--dist loadgroup)
def pytest_collection_modifyitems(config, items) -> None:
    """Keep a module whose own fixtures are module-scoped on one xdist worker, so each is built once, not per worker."""
    for item in items:
        if _uses_own_shared_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def _uses_own_shared_fixture(item) -> bool:
    """Whether the test uses a fixture its own module defines with a scope wider than one test."""
    info = getattr(item, "_fixtureinfo", None)
    module = getattr(item, "module", None)
    if info is None or module is None:
        return False
    return any(d.scope != "function" and getattr(d.func, "__module__", None) == module.__name__
               for defs in info.name2fixturedefs.values() for d in defs)  # fmt: skip


@pytest.fixture
def gxx_calls(monkeypatch):
    """The argv of every external command codesign runs (the real commands still run)."""
    calls: list[tuple[str, ...]] = []
    real = tools.run

    def spy(argv, **kw):
        calls.append(tuple(str(a) for a in argv))
        return real(argv, **kw)

    monkeypatch.setattr(tools, "run", spy)
    return calls
