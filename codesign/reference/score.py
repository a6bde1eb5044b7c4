"""The firmware's anomaly score (``firmware_templates/nnet_anomaly_score.h``) redone in numpy, bit for bit.

The inputs (exact float64 values) are cast to their types by :meth:`FixedPrecision.quantize`; from there every value
is an int64 code at a known power-of-two scale, so products and sums are exact; each cast is
:meth:`FixedPrecision.cast_codes` with the type's own rounding and overflow. The order of the casts is the C++'s:
inputs to ``input_precision`` (the log-variance to ``table_input``), then per term ``acc = cast(acc + term)``,
then the result type. :func:`table_values` is the table codesign writes into the firmware as the layer's weights.
"""

from __future__ import annotations

import numpy as np

from codesign.errors import ReferenceUnavailableError
from codesign.precision import FixedPrecision
from codesign.score_spec import ScoreSpec


def table_values(spec: ScoreSpec) -> np.ndarray:
    """T(v) on every code of ``table_input`` (offset binary order: index 0 is the most negative value), as stored."""
    kind = spec.kind.value
    if kind not in ("rz", "kl"):
        return np.zeros(2)  # no table: the C++ still takes a (two-entry, unused) array
    p = spec.table_input
    v = p.min_value + np.arange(2**p.width, dtype=np.float64) * p.lsb
    with np.errstate(over="ignore"):
        t = np.exp(-v) if kind == "rz" else 0.5 * (np.expm1(v) - v)
    return spec.table_precision.quantize(t)


def _to_codes(values: np.ndarray, p: FixedPrecision) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float64) * 2.0**p.fractional).astype(np.int64)


def score(spec: ScoreSpec, a: np.ndarray, b: np.ndarray, where: str = "anomaly score") -> np.ndarray:
    """The firmware's score of each row of ``a`` [n, k] and ``b`` [n, k] (values on their firmware grids), [n, 1]."""
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    if a.shape != b.shape:
        raise ReferenceUnavailableError(f"{where}: inputs of shapes {a.shape} and {b.shape} differ")
    kind = spec.kind.value
    ip, ap = spec.input_precision, spec.accum_precision
    fi, fa = ip.fractional, ap.fractional
    # a float64 value cast to a type is one exact rounding (FixedPrecision.quantize): the firmware's cast of it
    ca = _to_codes(ip.quantize(a), ip)
    if kind == "sse":
        cb = _to_codes(ip.quantize(b), ip)
    elif kind in ("rz", "kl"):
        tp = spec.table_precision
        cl = _to_codes(spec.table_input.quantize(b), spec.table_input)
        index = cl + (1 << (spec.table_input.width - 1))  # two's complement -> offset binary
        table = _to_codes(table_values(spec), tp)
        ct, ft = table[index], tp.fractional
    acc = np.zeros(len(a), dtype=np.int64)
    for i in range(a.shape[1]):
        sq = ca[:, i] * ca[:, i]  # scale 2 * fi
        if kind == "mu2":
            term, fterm = sq, 2 * fi
        elif kind == "sse":
            d = ca[:, i] - cb[:, i]
            term, fterm = d * d, 2 * fi
        elif kind == "rz":
            term, fterm = sq * ct[:, i], 2 * fi + ft
        else:  # kl: half * mu^2 + T, summed exactly before the cast
            fterm = max(2 * fi + 1, ft)
            term = (sq << (fterm - 2 * fi - 1)) + (ct[:, i] << (fterm - ft))
        f = max(fa, fterm)
        acc = ap.cast_codes((acc << (f - fa)) + (term << (f - fterm)), f)
    out = spec.result_precision.cast_codes(acc, fa)
    return (out.astype(np.float64) * 2.0 ** (-spec.result_precision.fractional)).reshape(-1, 1)
