"""Pareto front of scan points: the feasible points no other feasible point dominates."""

from __future__ import annotations

from collections.abc import Sequence


def dominates(a: Sequence[float], b: Sequence[float], directions: Sequence[str]) -> bool:
    """True when ``a`` is at least as good as ``b`` in every objective and better in one (min/max per objective)."""
    better = False
    for x, y, d in zip(a, b, directions, strict=True):
        if d == "max":
            x, y = -x, -y
        if x > y:
            return False
        if x < y:
            better = True
    return better


def pareto_front(values: Sequence[Sequence[float]], directions: Sequence[str]) -> list[int]:
    """Indices of the non-dominated rows of ``values`` (ties: equal rows are all on the front), in input order."""
    return [i for i, v in enumerate(values) if not any(dominates(w, v, directions) for j, w in enumerate(values) if j != i)]
