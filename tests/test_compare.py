"""compare_exact and grid_inputs on plain arrays (no conversion): the verdict must be able to fail."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.compare import Verification, agreement, compare_exact, grid_inputs
from codesign.errors import SpecError
from codesign.precision import FixedPrecision


def test_identical_arrays_are_exact():
    a = np.arange(12, dtype=np.float64).reshape(4, 3) / 8
    v = compare_exact(a, a.copy(), reference="self")
    assert v.exact and v.n_mismatch == 0 and v.first_mismatch is None and v.n_samples == 4
    assert v.to_dict()["reference"] == "self"


def test_one_lsb_difference_is_found_with_its_position():
    a = np.zeros((5, 3))
    b = a.copy()
    b[3, 2] = 2.0**-20  # far below float32 resolution of 1.0, still a mismatch
    b[4, 0] = -1.0
    v = compare_exact(a, b, reference="zeros")
    assert not v.exact and v.n_mismatch == 2 and v.max_abs_diff == 1.0
    assert v.first_mismatch == {"index": 3, "output": 2, "expected": 0.0, "got": 2.0**-20}
    assert "sample 3 output 2" in v.describe()


def test_nan_never_matches_and_shapes_must_agree():
    a = np.ones((2, 2))
    b = a.copy()
    b[0, 1] = np.nan
    assert not compare_exact(a, b, reference="r").exact
    with pytest.raises(SpecError, match="shape"):
        compare_exact(a, np.ones((2, 3)), reference="r")


def test_multi_output_lists_are_compared_together():
    a = [np.zeros((3, 2)), np.ones((3, 1))]
    b = [np.zeros((3, 2)), np.array([[1.0], [1.0], [0.5]])]
    v = compare_exact(a, b, reference="heads")
    assert v.first_mismatch["index"] == 2 and v.first_mismatch["output"] == 2


def test_agreement_reports_argmax():
    f = np.array([[1.0, 2.0], [3.0, 0.0]])
    w = np.array([[1.0, 2.5], [0.0, 3.0]])
    r = agreement(f, w)
    assert r["argmax_agreement"] == 0.5 and r["max_abs_diff"] == 3.0 and "exact" not in r


def test_library_and_testbench_disagreeing_is_never_exact():
    ref = np.array([[1.0, 2.0], [3.0, 4.0]])
    same = compare_exact(ref, ref, reference="ref")
    other = compare_exact(ref + [[0.0, 0.0], [0.0, 2.0**-8]], ref, reference="library")
    v = Verification(bit_accuracy=same, ctypes_vs_csim=other, agreement=None, no_reference_reason=None)
    assert v.exact is False and v.to_dict()["exact"] is False
    assert v.to_dict()["library_vs_testbench"]["first_mismatch"] == {"index": 1, "output": 1, "expected": 4.00390625, "got": 4.0}
    # a float model: no reference, but the two C-simulation paths still have to agree
    f = Verification(bit_accuracy=None, ctypes_vs_csim=other, agreement={"max_abs_diff": 0.0}, no_reference_reason="float")
    assert f.exact is False
    ok = Verification(bit_accuracy=None, ctypes_vs_csim=same, agreement={"max_abs_diff": 0.0}, no_reference_reason="float")
    assert ok.exact is None and ok.to_dict()["exact"] is None
    assert Verification(bit_accuracy=same, ctypes_vs_csim=same, agreement=None, no_reference_reason=None).exact is True


@pytest.mark.parametrize("text", ["ap_fixed<16,6>", "ap_ufixed<8,3>", "ap_fixed<10,2,AP_RND_CONV,AP_SAT>"])
def test_grid_inputs_are_on_the_grid_and_reach_the_edges(text):
    p = FixedPrecision.parse(text)
    x = grid_inputs(p, (7,), 400, seed=3)
    assert x.shape == (400, 7) and x.dtype == np.float64
    assert p.on_grid(x)
    assert x.min() == p.min_value and x.max() == p.max_value
    assert np.any(np.all(x == p.max_value, axis=1)) and np.any(np.all(x == p.min_value, axis=1))
    assert len(np.unique(x)) > 100  # not only edges
    np.testing.assert_array_equal(x, grid_inputs(p, (7,), 400, seed=3))
