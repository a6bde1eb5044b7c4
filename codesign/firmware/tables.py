"""Lookup tables of hls4ml's table activations, built as ``nnet_activation.h`` builds them in C-simulation.

The C++ computes each entry in ``float`` with the C library (``expf``, ``tanh``) and casts it to
``table_t``; the same C library functions are called here through ctypes, so the entries are the same
bits as the g++ C-simulation's (numpy's own ``exp`` may differ from glibc's in the last place).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import numpy as np

from codesign.firmware.fixed import EmulationError, from_float
from codesign.precision import FixedPrecision


@lru_cache(maxsize=1)
def _libm() -> ctypes.CDLL:
    name = ctypes.util.find_library("m")
    if name is None:
        raise EmulationError("the C math library (libm) was not found: table activations cannot be emulated exactly")
    lib = ctypes.CDLL(name)
    lib.expf.restype, lib.expf.argtypes = ctypes.c_float, [ctypes.c_float]
    lib.tanh.restype, lib.tanh.argtypes = ctypes.c_double, [ctypes.c_double]
    lib.log.restype, lib.log.argtypes = ctypes.c_double, [ctypes.c_double]
    return lib


def _in_vals(n: int, half_range: float) -> np.ndarray:
    """``float in_val = 2 * R * (ii - float(N) / 2.0) / float(N)`` (double arithmetic, stored as float)."""
    ii = np.arange(n, dtype=np.float64)
    return (2 * half_range * (ii - float(np.float32(n)) / 2.0) / float(np.float32(n))).astype(np.float32)


def sigmoid_table(size: int, table_t: FixedPrecision) -> np.ndarray:
    """Codes of ``init_sigmoid_table``: ``(table_t)(float)(1.0 / (1 + expf(-x)))`` over x in [-8, 8)."""
    lib = _libm()
    vals = []
    for x in _in_vals(size, 8.0):
        e = np.float32(lib.expf(float(-x)))
        denom = np.float32(np.float32(1) + e)  # 1 + float is float
        vals.append(float(np.float32(1.0 / float(denom))))  # 1.0 / float is double, returned as float
    return from_float(np.array(vals), table_t)


def tanh_table(size: int, table_t: FixedPrecision) -> np.ndarray:
    """Codes of ``init_tanh_table``: ``(table_t) tanh((double) x)`` over x in [-4, 4)."""
    lib = _libm()
    vals = [lib.tanh(float(x)) for x in _in_vals(size, 4.0)]
    return from_float(np.array(vals), table_t)


def _negative_in_vals(n: int) -> np.ndarray:
    """``float in_val = -8.0 * ii / float(N)`` (double arithmetic, stored as float): ELU's and SELU's [-8, 0]."""
    return (-8.0 * np.arange(n, dtype=np.float64) / float(np.float32(n))).astype(np.float32)


def activation_table(act: str, size: int, table_t: FixedPrecision) -> np.ndarray:
    """Codes of ``init_<act>_table`` for softplus, softsign (over [-8, 8)), elu and selu (over [-8, 0]): each
    ``<act>_fcn_float`` as the C++ computes it (``std::exp`` of a float is ``expf``, the rest in double), returned as
    a float and cast to ``table_t``."""
    lib = _libm()
    if act in ("softplus", "softsign"):
        xs = _in_vals(size, 8.0)
    elif act in ("elu", "selu"):
        xs = _negative_in_vals(size)
    else:
        raise EmulationError(f"no lookup table for activation '{act}' (accepted: softplus, softsign, elu, selu)")
    vals = []
    for x in xs:
        x = float(x)
        if act == "softplus":
            v = lib.log(float(np.float32(lib.expf(x))) + 1.0)
        elif act == "softsign":
            v = x / (abs(x) + 1.0)
        elif act == "elu":
            v = float(np.float32(lib.expf(x))) - 1.0
        else:
            e = float(np.float32(lib.expf(x)))
            v = 1.0507009873554804934193349852946 * (1.6732632423543772848170429916717 * (e - 1.0))
        vals.append(float(np.float32(v)))  # the function returns a float
    return from_float(np.array(vals), table_t)


def table_index(codes: np.ndarray, frac: int, size: int, span: int) -> np.ndarray:
    """``index = int(x * size / span) + size / 2`` clipped to the table, with C's truncation toward zero."""
    num = codes * size  # value * size * 2**frac
    den = span << frac if frac >= 0 else span
    if frac < 0:
        num = num << (-frac)
    q = np.abs(num) // den
    q = np.where(num < 0, -q, q)
    return np.clip(q + (size // 2), 0, size - 1)
