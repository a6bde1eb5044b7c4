"""Constant additions (a layer's bias, a quantizer's rounding half) placed where they cost the fewest LUTs.

da4ml adds a constant to a variable as its own adder, at the root of the shift-add tree that computed it: a
carry chain over the sum's full width above the constant's last set bit (yosys counts one LUT per bit; da4ml's
own estimate counts only the constant's bits). ``x + c`` where ``x = a + b`` equals ``(a + c) + b``: the constant
can go down the tree to a narrower operand, as long as the adders it passes through feed nothing else (they are
rebuilt around the new operand; a shared one would be duplicated). :func:`add` does that, greedily, for the
outputs of one constant matrix product (``fanout`` from :func:`fanout`); :func:`merge` then adds a second
constant (the rounding half) to the same constant addition, where da4ml folds the two into one, at no cost.

Which operand of each rebuilt adder holds the constant addition is what :func:`merge` reads of :func:`add`'s work:
it is kept in a :class:`Placements` that the caller creates for one traced graph and passes to both (no state
lives in this module, so two graphs traced in one process, even at once, never see each other's adders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import log2
from typing import Any


@dataclass
class Placements:
    """The adders :func:`add` rebuilt in one traced graph: node id -> which operand (0 or 1) holds the constant
    addition; :func:`merge` reads it. One per traced graph (:func:`codesign.rtl.trace` makes it)."""

    side: dict[Any, int] = field(default_factory=dict)


def fanout(outputs: list[Any]) -> dict[Any, int]:
    """{node id: how many distinct adders (and outputs) use it} over the graph below ``outputs``."""
    count: dict[Any, int] = {}
    seen: set[Any] = set()
    stack = list(outputs)
    for v in outputs:
        count[v.id] = count.get(v.id, 0) + 1
    while stack:
        v = stack.pop()
        if v.id in seen:
            continue
        seen.add(v.id)
        for u in v._from:
            count[u.id] = count.get(u.id, 0) + 1
            stack.append(u)
    return count


def _frac_bits(c: float) -> int:
    """f such that 2**-f is the last set bit of ``c`` (negative for a multiple of 2, 4, ...)."""
    f = 0
    while (c * 2.0**f) % 1:
        f += 1
    while f > -64 and (c * 2.0 ** (f - 1)) % 1 == 0:
        f -= 1
    return f


def _cost(v: Any, c: float) -> int:
    """Bits of the carry chain that adds ``c`` to ``v``: from the coarser of the two last bits to v's top bit."""
    k, i, f = v.kif
    return int(k) + i + min(f, _frac_bits(c))


def _scale(v: Any) -> float | None:
    """``v`` = scale * (first operand + second operand) for a da4ml addition view; None when not a power of two."""
    s = float(v._factor / v._from[0]._factor)
    if s == 0 or log2(abs(s)) % 1:
        return None
    return s


def _best(v: Any, c: float, fanout: dict[Any, int]) -> tuple[int, list[int]]:
    """(cost, operand path) of the cheapest place for ``c`` in v's tree, through adders that feed nothing else."""
    here = (_cost(v, c), [])
    if v.opr != "vadd" or fanout.get(v.id, 0) != 1 or (s := _scale(v)) is None:
        return here
    best = here
    for side, u in enumerate(v._from):
        cost, path = _best(u, c / s, fanout)
        if cost < best[0]:
            best = (cost, [side, *path])
    return best


def add(v: Any, c: float, fanout: dict[Any, int], placed: Placements) -> Any:
    """``v + c``, the constant added at the operand of v's adder tree where it costs least (see the module); the
    adders it rebuilds are recorded in ``placed``."""
    if c == 0:
        return v
    return _add_on(v, c, _best(v, c, fanout)[1], placed)


def _add_on(v: Any, c: float, path: list[int], placed: Placements) -> Any:
    if not path:
        return v + c
    s = _scale(v)
    a, b = v._from
    return _rebuild(a, b, path[0], _add_on((a, b)[path[0]], c / s, path[1:], placed), s, placed)


def merge(v: Any, c: float, placed: Placements) -> Any | None:
    """``v + c`` when ``v`` holds a constant addition that ``c`` joins at no cost (``v`` a constant addition, or an
    adder rebuilt by :func:`add` around one, as recorded in ``placed``); None otherwise."""
    if v.opr == "cadd":
        return v + c
    side = placed.side.get(v.id)
    if v.opr != "vadd" or side is None or (s := _scale(v)) is None:
        return None
    a, b = v._from
    inner = merge((a, b)[side], c / s, placed)
    return None if inner is None else _rebuild(a, b, side, inner, s, placed)


def _rebuild(a: Any, b: Any, side: int, inner: Any, s: float, placed: Placements) -> Any:
    """s * (a + b) with operand ``side`` replaced by ``inner``; records which operand of the new adder it is."""
    out = (inner + b if side == 0 else a + inner) * s
    placed.side[out.id] = 0 if out._from[0].id == inner.id else 1  # da4ml may swap the operands (a negative factor)
    return out
