"""Error bars of an estimate: the spread of the estimator's held-out residuals, and the statistics behind it.

Every design estimate carries, per figure, the interval between the 16th and 84th percentiles of what the
C-synthesis reports said relative to the estimate, measured by leave-one-repository-out on the calibration
records (``benchmarks/estimator_accuracy.py --bands`` prints the table below from the records in force; each
repository's weight is capped at CAP_RECORDS records, so one sweep cannot set the band). Resources use the
ratio reported / estimated (LUT 10000 with a band of 0.8-1.3 gives 8000-13000); io_parallel latency and II
use the difference in cycles; io_stream latency and II the ratio (their errors scale with the pixel count).

The band is a statement about designs like the calibration records (stock hls4ml, the tools and parts listed
in constants/), not a guarantee: a design unlike them can fall outside it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

#: No repository counts for more than this many records in a weighted statistic.
CAP_RECORDS = 5
#: The percentiles of the band.
BAND = (0.16, 0.84)
#: Figures whose band is a difference in cycles in io_parallel designs (a ratio elsewhere).
ADDITIVE = ("latency_cycles", "ii_cycles")

#: (design kind, figure) -> (low, high, records, repositories): from ``benchmarks/estimator_accuracy.py --bands`` on
#: the 222 calibration records of December 2026 (stock designs the estimator covers; repository-capped); the
#: latency and II rows after the softmax and io_stream loop rules (constants.SOFTMAX_MIN_DELAY_FACTOR, STREAM_LOOP_CYCLES),
#: the io_stream ones after the stream-convolution pixel-loop rules (constants.STREAM_CONV_*), the io_stream LUT row after the
#: stream-pooling rule (constants.POOL_STREAM_*), the dsp rows after the effective-width DSP curve (constants.DSP_WIDTH_*;
#: a design estimated at 0 DSPs has no ratio and is not in them), the io_parallel resource latency row after the rem0
#: index read (constants.REM0_INDEX_READ_CYCLES), the io_parallel resource and io_stream FF rows after the Resource
#: loop's registers by tool version (constants.RESOURCE_INPUT_COPIES_REWIND) and its DSP operands
#: (constants.RESOURCE_DSP_OPERAND_REGISTERS), the lut rows after the adder price by tool
#: version (constants.ADDER_LUT_OFFSET_BITS), the io_stream rows without the record whose io_stream configs sit under an
#: io_parallel top (network.stream_top_mismatch: refused).
BANDS: dict[tuple[str, str], tuple[float, float, int, int]] = {
    ('io_parallel latency', 'bram_18k'): (1.0, 1.6, 49, 7),
    ('io_parallel latency', 'dsp'): (0.673, 1.138, 36, 9),
    ('io_parallel latency', 'ff'): (0.681, 1.268, 55, 11),
    ('io_parallel latency', 'ii_cycles'): (0.0, 0.0, 55, 11),
    ('io_parallel latency', 'latency_cycles'): (-2.0, 10.0, 55, 11),
    ('io_parallel latency', 'lut'): (0.786, 1.232, 55, 11),
    ('io_parallel resource', 'bram_18k'): (0.841, 1.0, 11, 5),
    ('io_parallel resource', 'dsp'): (0.982, 1.0, 11, 5),
    ('io_parallel resource', 'ff'): (0.847, 1.356, 12, 5),
    ('io_parallel resource', 'ii_cycles'): (0.0, 0.0, 12, 5),
    ('io_parallel resource', 'latency_cycles'): (-3.0, 1.0, 12, 5),
    ('io_parallel resource', 'lut'): (0.967, 1.336, 12, 5),
    ('io_stream', 'bram_18k'): (1.182, 4.286, 29, 13),
    ('io_stream', 'dsp'): (0.687, 1.287, 31, 13),
    ('io_stream', 'ff'): (0.821, 2.003, 31, 13),
    ('io_stream', 'ii_cycles'): (0.955, 1.03, 31, 13),
    ('io_stream', 'latency_cycles'): (0.954, 1.035, 31, 13),
    ('io_stream', 'lut'): (0.877, 1.495, 31, 13),
}


#: Design kinds with no calibration report to measure a band on: an assumed band, said so in the estimate's
#: ``interval_basis`` (ratios for every figure). Recurrent (LSTM/GRU) designs: the cell is composed of the
#: dense and activation models (bands above about 0.6-1.5), the composition itself is unchecked, so the
#: assumed band is twice as wide on each side, and a third wider for the cycle count of the time loop.
ASSUMED_BANDS: dict[tuple[str, str], tuple[float, float]] = {
    ("recurrent", "lut"): (0.5, 2.0),
    ("recurrent", "ff"): (0.5, 2.0),
    ("recurrent", "dsp"): (0.5, 2.0),
    ("recurrent", "bram_18k"): (0.5, 2.0),
    ("recurrent", "latency_cycles"): (0.67, 1.5),
    ("recurrent", "ii_cycles"): (0.67, 1.5),
}


def capped_weights(repos: Sequence[str], cap: int = CAP_RECORDS) -> list[float]:
    """One weight per item: 1, or cap / n for the items of a repository with n > cap items."""
    count: dict[str, int] = defaultdict(int)
    for r in repos:
        count[r] += 1
    return [min(1.0, cap / count[r]) for r in repos]


def weighted_quantile(values: Sequence[float], weights: Sequence[float], q: float) -> float | None:
    """The q-quantile of weighted values: the smallest value whose cumulative weight reaches q of the total."""
    pairs = sorted((v, w) for v, w in zip(values, weights, strict=True) if w > 0 and not math.isnan(v))
    if not pairs:
        return None
    total = sum(w for _, w in pairs)
    acc = 0.0
    for v, w in pairs:
        acc += w
        if acc >= q * total - 1e-12:
            return v
    return pairs[-1][0]


def design_kind(io_types: Sequence[str], strategies: Sequence[str]) -> str | None:
    """The population a band describes: ``io_stream``, ``io_parallel resource`` (any Resource-strategy layer:
    a DATAFLOW of reused multipliers) or ``io_parallel latency``; None for a mix of io types."""
    if len(set(io_types)) != 1:
        return None
    if io_types[0] != "io_parallel":
        return str(io_types[0])
    resource = any(str(s).lower().startswith("resource") for s in strategies)
    return "io_parallel resource" if resource else "io_parallel latency"


def residual(figure: str, kind: str, pred: float | None, act: float | None) -> float | None:
    """The residual a band is made of: act - pred (io_parallel cycles) or act / pred (the rest)."""
    if pred is None or act is None or not isinstance(act, (int, float)):
        return None
    if figure in ADDITIVE and kind.startswith("io_parallel"):
        return float(act) - float(pred)
    if pred <= 0:
        return None
    return float(act) / float(pred)


def bands_from(rows: Iterable[tuple[str, str, str, float]]) -> dict[tuple[str, str], tuple[float, float, int, int]]:
    """Bands from (repository, design kind, figure, residual) rows: capped-weight 16th-84th percentiles."""
    by_key: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for repo, kind, figure, res in rows:
        by_key[(kind, figure)].append((repo, res))
    out = {}
    for key, items in sorted(by_key.items()):
        repos = [r for r, _ in items]
        vals = [v for _, v in items]
        w = capped_weights(repos)
        lo, hi = (weighted_quantile(vals, w, q) for q in BAND)
        if lo is not None and hi is not None:
            out[key] = (round(lo, 3), round(hi, 3), len(items), len(set(repos)))
    return out


def interval(figure: str, kind: str | None, value: int | float | None) -> tuple[int, int] | None:
    """The 16th-84th percentile interval around an estimated figure, or None without a band or a value."""
    band = (BANDS.get((kind, figure)) or ASSUMED_BANDS.get((kind, figure))) if kind else None
    if value is None or band is None:
        return None
    lo, hi = band[0], band[1]
    if figure in ADDITIVE and kind.startswith("io_parallel"):
        a, b = value + lo, value + hi
        floor = 1 if figure == "ii_cycles" else 0
        return (max(floor, math.floor(a)), max(floor, math.ceil(b)))
    return (max(0, math.floor(value * lo)), math.ceil(value * hi))
