"""Constant additions placed inside the shift-add trees (codesign.rtl.constants): a constant matrix product plus a
bias, built by da4ml's own ``y + bias`` and by constants.add, equal numpy's float64 ``x @ W + b`` on every input
of a small grid; an adder shared by two outputs is never rebuilt; the rounding half joins the bias's constant
addition (constants.merge) without a new operation."""

from __future__ import annotations

import itertools

import numpy as np

from tests.test_rtl import needs_rtl

# 3 inputs (signed, 3 integer and 2 fractional bits), 4 outputs; columns 0 and 1 share terms, so da4ml's solver
# shares adders between them; 8-bit-like weights and biases on finer grids than the inputs
W = np.array([[0.75, 0.75, -0.5, 0.0], [0.375, 0.375, 0.25, 1.5], [-0.125, 0.625, 0.0, 0.875]])
B = np.array([0.3125, -1.0 / 128, 2.5, -0.71875])


def _codes() -> np.ndarray:
    v = np.arange(-32, 32) * 0.25
    return np.array(list(itertools.product(v, v, v[::3])))


def _trace(add_bias):
    from da4ml.trace import FixedVariableArrayInput, HWConfig

    inp = FixedVariableArrayInput((3,), HWConfig(1, -1, -1))
    return inp, add_bias(inp.quantize(1, 3, 2) @ W)


def _ops(inp, y):
    from da4ml.trace import comb_trace

    return comb_trace(inp, y).ops


def _const_add_bits(ops) -> int:
    """Carry-chain bits of the constant additions: the result's width above the constant's last set bit."""
    from da4ml.types import minimal_kif

    bits = 0
    for op in ops:
        if op.opcode == 4:
            d = abs(int(op.data))
            bits += max(sum(minimal_kif(op.qint)) - ((d & -d).bit_length() - 1), 0)
    return bits


@needs_rtl
def test_bias_placed_in_the_tree_equals_float64_without_duplicating_adders():
    from da4ml.trace import FixedVariableArray, comb_trace

    from codesign.rtl import constants

    def placed(y):
        fo = constants.fanout(list(y._vars.ravel()))
        placements = constants.Placements()
        nodes, stack = {}, list(y._vars)
        while stack:
            u = stack.pop()
            if u.id not in nodes:
                nodes[u.id] = u
                stack.extend(u._from)
        placed.shared = sum(u.opr == "vadd" and fo[i] > 1 for i, u in nodes.items())
        out = np.array(
            [constants.add(v, float(b), fo, placements) for v, b in zip(y._vars, B, strict=True)], dtype=object
        )
        return FixedVariableArray(out, y.solver_options, hwconf=y.hwconf)

    x = _codes()
    inp, y_root = _trace(lambda y: y + B)
    inp2, y_placed = _trace(placed)
    for i, y in ((inp, y_root), (inp2, y_placed)):
        np.testing.assert_array_equal(comb_trace(i, y).predict(x, n_threads=1), x @ W + B)
    assert placed.shared  # the solver shares adders between outputs here: those must not be rebuilt
    root, moved = _ops(inp, y_root), _ops(inp2, y_placed)
    # each rebuilt adder replaces one that feeds nothing else: as many adders and constant additions as before
    assert [op.opcode in (0, 1) for op in moved].count(True) == [op.opcode in (0, 1) for op in root].count(True)
    assert [op.opcode for op in moved].count(4) == [op.opcode for op in root].count(4)
    assert _const_add_bits(moved) < _const_add_bits(root)


@needs_rtl
def test_rounding_half_joins_the_bias_without_a_new_operation():
    from da4ml.trace import comb_trace

    from codesign.rtl import constants

    inp, y = _trace(lambda y: y + B)
    base = [op.opcode for op in comb_trace(inp, y).ops].count(4)  # constant additions
    merged = np.array([constants.merge(v, 2.0**-6, constants.Placements()) for v in y._vars], dtype=object)
    assert all(m is not None for m in merged)
    from da4ml.trace import FixedVariableArray

    out = FixedVariableArray(merged, y.solver_options, hwconf=y.hwconf)
    assert [op.opcode for op in comb_trace(inp, out).ops].count(4) == base
    x = _codes()
    np.testing.assert_array_equal(comb_trace(inp, out).predict(x, n_threads=1), x @ W + B + 2.0**-6)
    no_bias = (inp.quantize(1, 3, 2) @ W)._vars[2]
    assert constants.merge(no_bias, 0.5, constants.Placements()) is None  # no constant addition to join


@needs_rtl
def test_each_graph_keeps_its_own_rebuilt_adders():
    """The adders that placing one graph's biases rebuilt are recorded in that graph's Placements alone: tracing
    another model meanwhile (a second build in the same process) leaves the record as it was, another graph's
    record does not see them, and the rounding half still joins the bias through them."""
    from da4ml.trace import FixedVariableArray, comb_trace

    from codesign.rtl import constants, trace
    from tests.test_rtl import PREC, tie_mlp

    mine = constants.Placements()

    def placed(y):
        fo = constants.fanout(list(y._vars.ravel()))
        out = np.array([constants.add(v, float(b), fo, mine) for v, b in zip(y._vars, B, strict=True)], dtype=object)
        return FixedVariableArray(out, y.solver_options, hwconf=y.hwconf)

    inp, y = _trace(placed)
    rebuilt = [v for v in y._vars if v.id in mine.side]  # outputs whose bias went down the tree: merge reads these
    assert rebuilt and all(v.opr == "vadd" for v in rebuilt)
    before = dict(mine.side)
    trace.trace(tie_mlp(), PREC)  # another graph, traced between this one's bias placement and its rounding
    assert mine.side == before
    assert all(constants.merge(v, 2.0**-6, constants.Placements()) is None for v in rebuilt)
    merged = np.array([constants.merge(v, 2.0**-6, mine) for v in y._vars], dtype=object)
    assert all(m is not None for m in merged)
    out = FixedVariableArray(merged, y.solver_options, hwconf=y.hwconf)
    x = _codes()
    np.testing.assert_array_equal(comb_trace(inp, out).predict(x, n_threads=1), x @ W + B + 2.0**-6)
