"""Products timed as DSP48E2 stages (codesign/rtl/timing.py) and the score's DSP-sized products and accumulation
(codesign/rtl/score.py): the cut products equal numpy's integer products, every product then fits one slice and
sits alone in its pipeline stage, retiming changes latencies only (da4ml's interpreter gives the same outputs), and
a saturating accumulation traced as a tree equals the numpy twin of the firmware's loop.
"""

from __future__ import annotations

import numpy as np
import pytest

from codesign import compare, reference
from tests import hls_models
from tests.test_rtl import needs_rtl
from tests.test_rtl_score import PREC, score_model

CLOCK = 5.0


def _traced_product(qa: tuple[int, int, int], qb: tuple[int, int, int]):
    """(inputs, x * y through score.dsp_product) for inputs of kif ``qa`` and ``qb``."""
    from da4ml.trace import FixedVariableArray, FixedVariableArrayInput, HWConfig

    from codesign.rtl.score import dsp_product

    inp = FixedVariableArrayInput((2,), HWConfig(1, -1, -1))
    x, y = inp[0:1].quantize(*qa), inp[1:2].quantize(*qb)
    arr = np.empty(1, dtype=object)
    arr[0] = dsp_product(x._vars[0], y._vars[0])
    return inp, FixedVariableArray(arr, x.solver_options, hwconf=x.hwconf)


def _codes(kif: tuple[int, int, int], n: int, rng) -> np.ndarray:
    """``n`` integer codes of a (k, i, f) type: both ends, zero, +-1 and uniform draws."""
    k, i, f = kif
    lo, hi = (-(2 ** (i + f)) if k else 0), 2 ** (i + f) - 1
    edges = np.array([lo, hi, 0, 1, -1 if k else 2, lo + 1, hi - 1], dtype=np.int64)
    return np.concatenate([edges, rng.integers(lo, hi + 1, n - len(edges), dtype=np.int64)])


PAIRS = [((0, 9, 18), (0, 18, 8)),  # the VAE's mu^2 x exp(-logvar): 27 x 26 bits unsigned
         ((1, 12, 15), (1, 10, 9)),  # signed 28 x 20
         ((1, 4, 9), (0, 30, -10)),  # a 14-bit signed operand times a 20-bit coarse one: fits as it is
         ((0, 20, 0), (1, 18, 0))]  # 21 x 19 signed: both need the 27-bit port, one is cut


@needs_rtl
@pytest.mark.parametrize(("qa", "qb"), PAIRS)
def test_dsp_product_equals_the_integer_product_and_each_piece_fits_one_slice(qa, qb):
    from da4ml.trace import comb_trace

    from codesign.rtl import timing

    rng = np.random.default_rng(7)
    ca, cb = _codes(qa, 3000, rng), _codes(qb, 3000, rng)
    rng.shuffle(cb)
    x = np.stack([ca * 2.0 ** -qa[2], cb * 2.0 ** -qb[2]], axis=1)
    inp, out = _traced_product(qa, qb)
    comb = comb_trace(inp, out)
    got = comb.predict(x, n_threads=1).ravel()
    want = (ca * cb).astype(np.float64) * 2.0 ** -(qa[2] + qb[2])  # exact: every product is below 2**53
    assert np.max(np.abs(ca * cb)) < 2**53
    np.testing.assert_array_equal(got, want)
    muls = [op for op in comb.ops if op.opcode == 7]
    assert muls and all(timing.fits_one_dsp(comb.ops[op.id0].qint, comb.ops[op.id1].qint) for op in muls)
    fits = timing.fits_one_dsp((ca.min(), ca.max(), 1.0), (cb.min(), cb.max(), 1.0))
    assert len(muls) == 1 if fits else len(muls) > 1


def _vae_comb():
    from da4ml.trace import comb_trace

    from codesign.rtl import trace

    model = score_model("vae", "rz")
    inp, out = trace.trace(model, PREC)
    return model, comb_trace(inp, out)


@needs_rtl
def test_retime_gives_each_product_a_stage_of_its_own_and_keeps_the_outputs():
    from da4ml.trace import to_pipeline

    from codesign.rtl import timing

    model, comb = _vae_comb()
    new, n = timing.retime(comb, CLOCK, hls_models.PART)
    muls = [i for i, op in enumerate(comb.ops) if op.opcode == 7]
    assert n == len(muls) >= 4  # two squares, two (cut) products with the exp table per latent dimension
    old_lat = max(comb.ops[i].latency for i in comb.out_idxs)
    new_lat = max(new.ops[i].latency for i in new.out_idxs)
    assert new_lat < old_lat, (new_lat, old_lat)
    for i in muls:  # starts at a stage boundary at or after its operands, ends one clock later
        op = new.ops[i]
        assert op.latency % CLOCK == 0 and op.latency - CLOCK >= max(new.ops[op.id0].latency, new.ops[op.id1].latency)
    for i, (a, b) in enumerate(zip(comb.ops, new.ops, strict=True)):
        assert (a.id0, a.id1, a.opcode, a.data, a.qint) == (b.id0, b.id1, b.opcode, b.data, b.qint), i
    pipe = to_pipeline(new, CLOCK, retiming=False, verbose=False)
    n_alone = 0
    for stage in pipe.solutions:
        for i, op in enumerate(stage.ops):
            if op.opcode != 7:
                continue
            assert stage.ops[op.id0].opcode == -1 and stage.ops[op.id1].opcode == -1  # operands from registers
            wires, users = {i}, []  # the product and its bit slices (opcode 3: wires, no logic)
            for j, o in enumerate(stage.ops):
                if o.opcode in (-1, 5):  # stage inputs (id0 indexes the registers) and constants
                    continue
                if {o.id0, o.id1} & wires or (o.opcode in (6, -6) and o.data & 0xFFFFFFFF in wires):
                    (wires.add(j) if o.opcode == 3 and o.latency == op.latency else users.append(o))
            assert users == [], users  # it goes straight to the stage's output registers
            n_alone += 1
    assert n_alone == n
    x = compare.grid_inputs(PREC, (6,), 3000, seed=5).reshape(3000, -1)
    np.testing.assert_array_equal(new.predict(x, n_threads=1), comb.predict(x, n_threads=1))
    ref = np.asarray(reference.reference_outputs(model, x.reshape(-1, 6)), np.float64).reshape(len(x), -1)
    np.testing.assert_array_equal(new.predict(x, n_threads=1), ref)


@needs_rtl
@pytest.mark.parametrize(("part", "clock", "why"), [
    ("xc7z020-clg400-1", CLOCK, "7-series: DSP48E1, no DS923 figure"),
    (hls_models.PART, 3.0, "a clock shorter than the slowest DSP48E2 multiply (3.29 ns)"),
])  # fmt: skip
def test_retime_keeps_da4mls_model_where_the_data_sheet_figure_does_not_apply(part, clock, why):
    from codesign.rtl import timing

    _, comb = _vae_comb()
    new, n = timing.retime(comb, clock, part)
    assert n == 0 and new is comb, why


def test_dsp_timed_on_every_ultrascale_plus_family_and_not_elsewhere():
    """The Alveo cards are Virtex UltraScale+ devices and the RFSoC parts Zynq UltraScale+ ones (DSP48E2 at the
    data sheets' 3.29 ns); 7-series (DSP48E1) and UltraScale parts keep da4ml's model."""
    from codesign.rtl import timing

    for part in ("xcvu9p", "xcu250", "xcu55c", "xczu49dr", "xczu9eg", "xcku15p"):
        assert timing.dsp_timed(part, 5.0), part
        assert not timing.dsp_timed(part, 3.0), part
    for part in ("xc7z020", "xc7vx690t"):
        assert not timing.dsp_timed(part, 5.0), part


@needs_rtl
def test_retime_leaves_a_graph_without_products_alone():
    from da4ml.trace import comb_trace

    from codesign.rtl import timing, trace

    inp, out = trace.trace(hls_models.qmlp(6), PREC)
    comb = comb_trace(inp, out)
    new, n = timing.retime(comb, CLOCK, hls_models.PART)
    assert n == 0 and new is comb


@needs_rtl
def test_saturating_accumulation_as_a_tree_equals_the_twin():
    """A narrow AP_TRN/AP_SAT accumulator that saturates on part of the inputs: the tree equals the firmware loop."""
    from da4ml.trace import comb_trace

    from codesign.rtl import trace

    model = score_model("vae", "rz", accum_precision="ap_ufixed<16,6,AP_TRN,AP_SAT>",
                        result_precision="ap_ufixed<12,6,AP_TRN,AP_SAT>")  # fmt: skip
    x = compare.grid_inputs(PREC, (6,), 3000, seed=13)
    inp, out = trace.trace(model, PREC)
    got = comb_trace(inp, out).predict(x.reshape(len(x), -1), n_threads=1)
    ref = np.asarray(reference.reference_outputs(model, x), np.float64).reshape(len(x), -1)
    np.testing.assert_array_equal(got, ref)
    top = 2.0**6 - 2.0**-6
    assert 100 < np.sum(ref == top) < len(x) - 100  # saturated and unsaturated inputs both present
