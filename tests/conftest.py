"""Fixtures shared by test modules."""

from __future__ import annotations

import pytest

from codesign import tools


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
