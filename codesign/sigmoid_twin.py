"""A numpy twin of hls4ml's table sigmoid (``nnet_activation.h``: ``init_sigmoid_table`` / ``sigmoid``, io_parallel).

When a user's hls4ml config keeps the final sigmoid in the firmware, its outputs are a table lookup, not
``1 / (1 + exp(-x))``. This module redoes that lookup from the emitted project's own types and table size
(read from ``firmware/parameters.h`` and ``defines.h``, so it checks what was built):

- the table covers [-8, 8): entry ``i`` is the sigmoid of ``in_val = float(16.0 * (i - N / 2.0) / N)``
  computed as ``1.0 / (1 + expf(-in_val))`` (the C library's ``expf``, ``1 + e`` in float32, the quotient in
  double, returned as float32), then cast to ``table_t`` with its rounding and overflow modes: the emulator's
  :func:`codesign.firmware.tables.sigmoid_table`;
- an input ``x`` reads entry ``trunc(x * N / 16) + 8 * N / 16`` (the C++ ``int`` conversion truncates toward
  zero), clipped to ``[0, N - 1]``; the entry is cast to the result type.

Only the io_parallel kernel is covered; :func:`read_config` refuses an io_stream one (``nnet_activation_stream.h``),
and the conversion then leaves the sigmoid out and says so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codesign.final_heads import UnsupportedHead, cast, emitted_activation, refuse_stream
from codesign.firmware.files import resolve_type
from codesign.precision import FixedPrecision


@dataclass(frozen=True)
class SigmoidConfig:
    """The emitted sigmoid's parameters and types (C++ type strings)."""

    layer: str
    n_in: int
    table_size: int
    input_t: str
    result_t: str
    table_t: str

    def to_dict(self) -> dict:
        """JSON-able form (for the project sidecar and report.json)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SigmoidConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)


class UnsupportedSigmoid(UnsupportedHead):
    """The emitted sigmoid is not one this twin reproduces (the message says why)."""


CONFIG = SigmoidConfig


def read_config(project_path: Path, layer: str) -> SigmoidConfig:
    """Parse the sigmoid of ``layer`` from the emitted firmware (parameters.h, defines.h, the top function)."""
    struct, local, const, defines, top = emitted_activation(project_path, layer, UnsupportedSigmoid, "activation")
    call = re.search(rf"nnet::(\w+)<\s*(\w+)\s*,\s*(\w+)\s*,\s*{re.escape(struct)}\s*>", top)
    if call is None or call.group(1) != "sigmoid":
        found = f"nnet::{call.group(1)}" if call else "no call"
        raise UnsupportedSigmoid(f"{found} with {struct} in the top function (the twin covers nnet::sigmoid)")
    refuse_stream("sigmoid", call.groups()[1:], defines, UnsupportedSigmoid)
    table_size = int(const("table_size"))
    if table_size < 1:
        raise UnsupportedSigmoid(f"sigmoid table of {table_size} entries")
    return SigmoidConfig(
        layer=layer,
        n_in=int(const("n_in")),
        table_size=table_size,
        input_t=resolve_type(call.group(2), defines),
        result_t=resolve_type(call.group(3), defines),
        table_t=resolve_type(local["table_t"], defines),
    )


def table(cfg: SigmoidConfig) -> np.ndarray:
    """``init_sigmoid_table``: the table's entries (values of ``table_t``), float64."""
    from codesign.firmware import fixed, tables

    table_t = FixedPrecision.parse(cfg.table_t)
    return fixed.to_float(tables.sigmoid_table(cfg.table_size, table_t), table_t)


def indices(cfg: SigmoidConfig, x: np.ndarray) -> np.ndarray:
    """The table entry each input reads: ``trunc(x * N / 16) + 8 * N / 16`` (integer division), clipped to the table."""
    n = cfg.table_size
    data_round = np.trunc(np.asarray(x, dtype=np.float64) * n / 16.0).astype(np.int64)
    return np.clip(data_round + (8 * n) // 16, 0, n - 1)


def apply(cfg: SigmoidConfig, logits: np.ndarray) -> np.ndarray:
    """The firmware's sigmoid outputs for ``logits`` (values of the sigmoid's input type), float64."""
    x = np.asarray(logits, dtype=np.float64).reshape(len(logits), -1)
    if x.shape[1] != cfg.n_in:
        raise UnsupportedSigmoid(f"sigmoid of {cfg.n_in} values applied to {x.shape[1]}")
    return cast(FixedPrecision.parse(cfg.result_t), table(cfg)[indices(cfg, x)])


def describe(cfg: SigmoidConfig) -> str:
    """The kept sigmoid in a conversion note: table, output type."""
    return f"table {cfg.table_size} x {cfg.table_t} over [-8, 8), output {cfg.result_t}"
