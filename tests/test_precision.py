"""FixedPrecision: parser/printer round trip, and quantize() against the real ap_fixed headers (g++)."""

from __future__ import annotations

import importlib.util
import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

from codesign import tools
from codesign.errors import SpecError
from codesign.precision import FixedPrecision, Overflow, Rounding


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ap_fixed<16,6>", FixedPrecision(16, 6)),
        ("fixed<8,1,RND_CONV,SAT>", FixedPrecision(8, 1, True, Rounding.RND_CONV, Overflow.SAT)),
        ("ap_ufixed<6,3,AP_RND,AP_SAT>", FixedPrecision(6, 3, False, Rounding.RND, Overflow.SAT)),
        ("ap_int<8>", FixedPrecision(8, 8, True)),
        ("uint<4>", FixedPrecision(4, 4, False)),
        (" ap_fixed< 10 , -2 > ", FixedPrecision(10, -2)),
    ],
)
def test_parse(text, expected):
    assert FixedPrecision.parse(text) == expected
    assert FixedPrecision.parse(expected.to_hls()) == expected


@pytest.mark.parametrize("bad", ["ap_fixd<16,6>", "ap_fixed<16>", "ap_fixed<a,b>", "ap_fixed<8,2,AP_FOO>", "16,6"])
def test_parse_rejects_with_accepted_forms(bad):
    with pytest.raises(SpecError, match="accepted"):
        FixedPrecision.parse(bad)


def test_qkeras_mapping_counts_the_sign_bit():
    p = FixedPrecision.from_qkeras({"class_name": "quantized_bits", "config": {"bits": 6, "integer": 0}})
    assert (p.width, p.integer, p.signed) == (6, 1, True)
    assert p.qkeras_args() == (6, 0)
    r = FixedPrecision.from_qkeras({"class_name": "quantized_relu", "config": {"bits": 6, "integer": 3}})
    assert (r.width, r.integer, r.signed) == (6, 3, False)
    with pytest.raises(SpecError, match="quantized_bits, quantized_relu"):
        FixedPrecision.from_qkeras({"class_name": "quantized_po2", "config": {"bits": 4}})


def test_range_and_edges():
    p = FixedPrecision(8, 3)
    assert p.lsb == 2**-5
    assert p.min_value == -4.0 and p.max_value == 4.0 - 2**-5
    edges = p.grid_edges()
    assert p.on_grid(edges) and edges.min() == p.min_value and edges.max() == p.max_value


def _ap_types_dir() -> Path | None:
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "templates" / "vivado" / "ap_types"
    return path if path.is_dir() else None


TYPES = [
    FixedPrecision(w, i, s, r, o)
    for (w, i), s, r, o in itertools.product(
        [(8, 3), (6, 0), (10, 12)],
        [True, False],
        [Rounding.TRN, Rounding.RND, Rounding.RND_CONV, Rounding.RND_ZERO, Rounding.TRN_ZERO, Rounding.RND_INF,
         Rounding.RND_MIN_INF],
        [Overflow.WRAP, Overflow.SAT, Overflow.SAT_SYM, Overflow.SAT_ZERO],
    )
]


@pytest.mark.skipif(shutil.which("g++") is None or _ap_types_dir() is None, reason="needs g++ and hls4ml's ap_types")
def test_quantize_matches_ap_fixed_bit_for_bit(tmp_path):
    """Cast the same doubles with the real ap_fixed (compiled with g++) and with FixedPrecision.quantize."""
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(0, 6, 400), np.arange(-40, 40) * 0.03125 + 2**-7, [0.5, -0.5, 1.5, -2.5]])
    values = np.round(values * 2**12) / 2**12  # exact in double and in the C++ literal below
    lines = ["#include <cstdio>", '#include "ap_fixed.h"', f"static const double X[{len(values)}] = {{"]
    lines.append(",".join(repr(float(v)) for v in values) + "};")
    lines.append("int main() {")
    for t in TYPES:
        lines.append(f"  for (double x : X) {{ {t.to_hls()} q = x; std::printf(\"%.17g\\n\", q.to_double()); }}")
    lines.append("  return 0; }")
    src = tmp_path / "cast.cpp"
    src.write_text("\n".join(lines))
    tools.run(["g++", "-O0", "-std=c++14", f"-I{_ap_types_dir()}", "cast.cpp", "-o", "cast"], cwd=tmp_path,
              log=tmp_path / "gxx.log", timeout_s=300)  # fmt: skip
    out = tools.run(["./cast"], cwd=tmp_path, log=tmp_path / "run.log", timeout_s=60).stdout.split()
    got = np.array([float(v) for v in out]).reshape(len(TYPES), len(values))
    for row, t in zip(got, TYPES, strict=True):
        expected = t.quantize(values)
        bad = np.flatnonzero(expected != row)
        assert bad.size == 0, f"{t.to_hls()}: x={values[bad[0]]} ap_fixed={row[bad[0]]} ours={expected[bad[0]]}"


def test_parse_field_is_the_one_parse_and_each_caller_keeps_its_bound():
    """spec.py and score_spec.py share precision.parse_field; the spec refuses I > W, the score W > 52."""
    import pydantic

    from codesign.precision import FixedPrecision, parse_field
    from codesign.score_spec import ScoreSpec
    from codesign.spec import _parse_precision

    p = FixedPrecision.parse("ap_fixed<16,6>")
    assert parse_field(p) is p and parse_field("ap_fixed<16,6>") == p
    for bad in (16, "ap_fixed<16"):
        with pytest.raises(ValueError):
            parse_field(bad)
    assert _parse_precision("ap_fixed<60,10>").width == 60  # no width bound in the spec
    with pytest.raises(ValueError, match="more integer bits"):
        _parse_precision("ap_fixed<8,10>")
    assert ScoreSpec(input_precision="ap_fixed<8,10>").input_precision.integer == 10  # no I <= W bound in the score
    with pytest.raises(pydantic.ValidationError, match="wider than 52 bits"):
        ScoreSpec(input_precision="ap_fixed<60,10>")
