"""Error bars: capped weights, weighted quantiles, intervals on an estimate, and the budget's straddle flag."""

import itertools

import pytest

from codesign.budget import judge
from codesign.estimate import uncertainty as U
from codesign.parts import resolve_part


def _expanded_quantile(values, counts, q):
    """The same quantile on the sample with each value repeated ``count`` times (integer weights)."""
    sample = sorted(itertools.chain.from_iterable([v] * c for v, c in zip(values, counts, strict=True)))
    k = max(0, -(-int(round(q * len(sample) * 1000)) // 1000) - 1)  # ceil(q * n) - 1 without float drift
    return sample[k]


@pytest.mark.parametrize("q", [0.16, 0.5, 0.84, 0.9])
def test_weighted_quantile_equals_the_expanded_sample(q):
    values = [3.0, -1.0, 7.5, 2.0, 2.0, 10.0, 0.5]
    counts = [1, 4, 2, 3, 1, 5, 2]
    assert U.weighted_quantile(values, [float(c) for c in counts], q) == _expanded_quantile(values, counts, q)


def test_capped_weights_limit_each_repository():
    repos = ["a"] * 35 + ["b"] * 2 + ["c"]
    w = U.capped_weights(repos, cap=5)
    assert sum(w[:35]) == pytest.approx(5.0) and w[35:] == [1.0, 1.0, 1.0]
    # a 35-record sweep at error 0.1 and three single records at 1.0: capped, the median is the sweep's,
    # but the 90th percentile is no longer the sweep's too
    errs = [0.1] * 35 + [1.0, 1.0, 1.0]
    assert U.weighted_quantile(errs, [1.0] * 38, 0.9) == 0.1
    assert U.weighted_quantile(errs, w, 0.9) == 1.0


def test_interval_from_a_band():
    band = U.BANDS[("io_parallel latency", "lut")]
    lo, hi = U.interval("lut", "io_parallel latency", 10000)
    assert (lo, hi) == (int(10000 * band[0]), -(-10000 * band[1] // 1))
    clo, chi = U.interval("latency_cycles", "io_parallel latency", 10)
    cband = U.BANDS[("io_parallel latency", "latency_cycles")]
    assert (clo, chi) == (max(0, 10 + cband[0]), 10 + cband[1])  # cycles: a difference, not a ratio
    assert U.interval("lut", None, 10000) is None and U.interval("lut", "io_parallel latency", None) is None
    assert U.design_kind(["io_parallel"], ["latency", "Resource"]) == "io_parallel resource"
    assert U.design_kind(["io_parallel", "io_stream"], []) is None


def test_budget_says_when_the_interval_straddles_a_limit():
    part = resolve_part("xcvu9p")
    est = {
        "latency_cycles": 10, "latency_ns": 50.0, "ii_cycles": 1, "lut": 100_000, "ff": 1000, "dsp": 10,
        "interval": {"lut": (80_000, 130_000), "ff": (900, 1200), "ii_cycles": (1, 1), "latency_cycles": (8, 25)},
    }  # fmt: skip
    v = judge(est, part, clock_ns=5.0, latency_limit_ns=100.0, max_fraction={"lut": 110_000 / part.lut, "ff": 0.5})
    lut, ff, lat = v.check("lut"), v.check("ff"), v.check("latency_ns")
    assert lut.passed and lut.straddles and lut.to_dict()["straddles"] is True
    assert not ff.straddles and ff.to_dict()["interval"] == [900.0, 1200.0]
    assert lat.interval == (40.0, 125.0) and lat.straddles
    assert any(n.startswith("lut: the estimate's 16-84 % interval") for n in v.notes)
    # without intervals (a C-synthesis report) nothing straddles
    plain = judge({k: x for k, x in est.items() if k != "interval"}, part, clock_ns=5.0, latency_limit_ns=100.0,
                  max_fraction={"lut": 0.1})  # fmt: skip
    assert not any(c.straddles for c in plain.checks) and plain.check("lut").interval is None


def test_benchmark_runs_on_the_carried_records(capsys):
    """A fresh clone (no ../shared): the benchmark reads codesign/estimate/calibration and reports per repository."""

    from codesign.estimate.calibration_set import CARRIED, load_records
    from tests.benchmark_module import load_benchmark

    bench = load_benchmark("estimator_accuracy")
    assert bench.main(["--calibration", str(CARRIED)]) == 0
    out = capsys.readouterr().out
    recs = load_records(CARRIED)
    target = [r for r in recs if "custom_or_modified_hls4ml" not in r["flags"] and r["io_type"] == ["io_parallel"]]
    repos = sorted({r["repo"] for r in target})
    assert f"{len(recs)} records from {CARRIED}" in out
    assert all(f"  {repo[:50]}" in out for repo in repos) and "per-layer section needs" in out
