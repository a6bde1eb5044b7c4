"""L1 budget verdict: II and latency against the 25 ns crossing, resources against part fractions."""

import json

import pytest

from codesign.budget import judge
from codesign.errors import SpecError
from codesign.parts import resolve_part

VU9P = resolve_part("xcvu9p")


def _est(**kw):
    base = {
        "latency_cycles": 10,
        "latency_ns": 50.0,
        "ii_cycles": 1,
        "lut": 100000,
        "ff": 20000,
        "dsp": 2000,
        "bram_18k": 4,
        "uram": 0,
    }
    base.update(kw)
    return base


def test_fits():
    v = judge(_est(), VU9P, clock_ns=5.0, latency_limit_ns=100.0, max_fraction={"lut": 0.5, "dsp": 0.5})
    assert v.passed
    names = [c.name for c in v.checks]
    assert names == ["ii", "latency_ns", "lut", "dsp"]
    ii = v.check("ii")
    assert ii.value == 5.0 and ii.limit == 25.0 and ii.margin == 20.0 and ii.relative_margin == pytest.approx(0.8)
    assert v.check("dsp").limit == pytest.approx(0.5 * 6840)
    d = v.to_dict()
    json.dumps(d)
    assert d["pass"] is True and {"name", "value", "limit", "pass", "margin", "unit"} <= set(d["checks"][0])


def test_ii_with_time_multiplexing():
    est = _est(ii_cycles=10)
    assert not judge(est, VU9P, clock_ns=5.0, latency_limit_ns=None, max_fraction={}).passed
    v = judge(est, VU9P, clock_ns=5.0, tm_period=2, latency_limit_ns=None, max_fraction={})
    assert v.passed and v.check("ii").limit == 50.0


def test_latency_and_resource_fail_with_negative_margin():
    v = judge(
        _est(latency_ns=120.0, latency_cycles=24, dsp=6000),
        VU9P,
        clock_ns=5.0,
        latency_limit_ns=100.0,
        max_fraction={"dsp": 0.5},
    )
    assert not v.passed
    assert v.check("latency_ns").margin == -20.0
    assert v.check("dsp").margin == pytest.approx(3420 - 6000)
    # 100 ns / 24 cycles: the longest period that would meet the latency budget
    assert v.max_period_for_timing_ns == pytest.approx(100.0 / 24)


def test_unknown_fails_closed():
    v = judge(_est(lut=None, ii_cycles=None), VU9P, clock_ns=5.0, latency_limit_ns=None, max_fraction={"lut": 0.9})
    assert not v.passed
    assert v.check("lut").status == "unknown" and not v.check("lut").passed and "declined" in v.check("lut").reason
    assert v.check("ii").status == "unknown"


def test_achievable_clock_when_target_too_tight():
    v = judge(_est(estimated_clock_ns=4.2), VU9P, clock_ns=3.0, latency_limit_ns=None, max_fraction={})
    assert v.achievable_clock_ns == pytest.approx(4.2)
    assert any("too tight" in n for n in v.notes)


def test_bad_arguments():
    with pytest.raises(SpecError, match="unknown resource"):
        judge(_est(), VU9P, clock_ns=5.0, latency_limit_ns=None, max_fraction={"luts": 0.5})
    with pytest.raises(SpecError, match="clock_ns"):
        judge(_est(), VU9P, clock_ns=0.0, latency_limit_ns=None, max_fraction={})


def test_objectives_and_constraints_for_a_scan():
    v = judge(_est(lut=700000, ff=None), VU9P, clock_ns=5.0, latency_limit_ns=100.0,
              max_fraction={"lut": 0.5, "ff": 0.5})  # fmt: skip
    assert v.objectives() == {"ii": 5.0, "latency_ns": 50.0, "lut": 700000.0, "ff": None}
    c = v.constraints()
    assert c["ii"] == pytest.approx(0.8) and c["latency_ns"] == pytest.approx(0.5)
    assert c["lut"] == pytest.approx((0.5 * VU9P.lut - 700000) / (0.5 * VU9P.lut)) and c["lut"] < 0
    assert c["ff"] is None and not v.passed  # unknown: neither feasible nor ranked
