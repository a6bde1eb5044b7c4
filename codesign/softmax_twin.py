"""A numpy twin of hls4ml's table softmax (``nnet_activation.h``: ``softmax_stable`` / ``softmax_latency``).

When a user's hls4ml config keeps the final softmax in the firmware, its outputs are a table computation,
not ``exp(x)/sum(exp(x))``. This module redoes that computation from the emitted project's own types and
table sizes (read from ``firmware/parameters.h`` and ``defines.h``, so it checks what was built), so the
bit-accuracy check can compare the softmax outputs exactly:

- the tables are filled as the C++ does at start-up: the address is the top ``N = ceil(log2(size))`` bits
  of the table's address type, the float32 value of that address (times ``exp_scale``, negated for the
  stable form) goes through ``exp`` (float32, correctly rounded here) or ``1/x``, and is cast to the table
  type with its rounding and overflow modes;
- inputs are looked up by their top ``N`` bits (stable: of ``inp_norm_t(x_max - x)``), summed in
  ``accum_t`` with the same balanced adder tree (``reduce`` in nnet_common.h), cast to ``inv_inp_t``,
  the inverse is looked up, and each ``exp * inv`` is cast to the result type.

Only the ``stable`` and ``latency`` implementations over the last axis are covered, in io_parallel (one slice) and
io_stream (``nnet_activation_stream.h``: each packet, one slice, as io_parallel computes a slice); :func:`read_config`
refuses the others, and the conversion then leaves the softmax out and says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codesign.final_heads import UnsupportedHead, cast, emitted_activation
from codesign.firmware.files import resolve_type
from codesign.precision import FixedPrecision

IMPLEMENTATIONS = ("stable", "latency")


@dataclass(frozen=True)
class SoftmaxConfig:
    """The emitted softmax's parameters and types (C++ type strings)."""

    layer: str
    implementation: str
    n_slice: int
    exp_table_size: int
    inv_table_size: int
    exp_scale: float
    input_t: str
    result_t: str
    exp_table_t: str
    inv_table_t: str
    accum_t: str
    inv_inp_t: str
    inp_norm_t: str | None

    def to_dict(self) -> dict:
        """JSON-able form (for the project sidecar and report.json)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SoftmaxConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)


class UnsupportedSoftmax(UnsupportedHead):
    """The emitted softmax is not one this twin reproduces (the message says why)."""


CONFIG = SoftmaxConfig


def read_config(project_path: Path, layer: str) -> SoftmaxConfig:
    """Parse the softmax of ``layer`` from the emitted firmware (parameters.h, defines.h, the top function)."""
    struct, local, const, defines, top = emitted_activation(project_path, layer, UnsupportedSoftmax, "softmax")
    impl = const("implementation").rsplit("::", 1)[-1]
    n_in, n_slice = int(const("n_in")), int(const("n_slice"))
    if impl not in IMPLEMENTATIONS:
        raise UnsupportedSoftmax(f"softmax implementation '{impl}' (the exact twin covers: {', '.join(IMPLEMENTATIONS)})")
    call = re.search(rf"nnet::softmax\w*<\s*(\w+)\s*,\s*(\w+)\s*,\s*{re.escape(struct)}\s*>", top)
    if call is None:
        raise UnsupportedSoftmax(f"no call of nnet::softmax with {struct} in the top function")
    inp_norm = local.get("inp_norm_t")
    (input_t, packet), (result_t, _) = (_stream_element(resolve_type(t, defines)) for t in call.groups())
    # io_parallel computes one slice; io_stream (nnet_activation_stream.h) each packet as io_parallel computes a
    # slice, whatever n_slice says (a (8, 8, 3) input: packets of 3 channels, n_slice 192)
    if packet is not None and n_in % packet == 0:
        n_slice = packet
    elif n_in != n_slice:
        raise UnsupportedSoftmax(f"softmax over {n_in} values in slices of {n_slice} (the twin covers one slice)")
    return SoftmaxConfig(
        layer=layer,
        implementation=impl,
        n_slice=n_slice,
        exp_table_size=int(const("exp_table_size")),
        inv_table_size=int(const("inv_table_size")),
        exp_scale=float(const("exp_scale").rstrip("f")),
        input_t=input_t,
        result_t=result_t,
        exp_table_t=resolve_type(local["exp_table_t"], defines),
        inv_table_t=resolve_type(local["inv_table_t"], defines),
        accum_t=resolve_type(local["accum_t"], defines),
        inv_inp_t=resolve_type(local["inv_inp_t"], defines),
        inp_norm_t=resolve_type(inp_norm, defines) if inp_norm else None,
    )


def _stream_element(type_name: str) -> tuple[str, int | None]:
    """An io_stream packet type ``nnet::array<T, N>`` as (T, N); another type as (itself, None)."""
    m = re.fullmatch(r"\s*nnet::array\s*<\s*(.+)\s*,\s*([0-9*\s]+)>\s*", type_name)
    if m is None:
        return type_name, None
    return m.group(1).strip(), math.prod(int(v) for v in m.group(2).split("*"))


def _top_bits(p: FixedPrecision, x: np.ndarray, n: int) -> np.ndarray:
    """``x(W-1, W-N)``: the top ``n`` bits of the two's-complement representation, as table indices."""
    raw = np.round(np.asarray(x, dtype=np.float64) * 2.0**p.fractional).astype(np.int64)
    bits = np.mod(raw, 1 << p.width)
    return (bits >> (p.width - n)).astype(np.int64)


def _index_value(p: FixedPrecision, n: int, size: int) -> np.ndarray:
    """``softmax_real_val_from_idx``: the float32 value of the type with its top ``n`` bits set to i."""
    raw = np.arange(size, dtype=np.int64) << (p.width - n)
    if p.signed:
        raw = np.where(raw >= 1 << (p.width - 1), raw - (1 << p.width), raw)
    return (raw.astype(np.float64) * 2.0 ** (-p.fractional)).astype(np.float32)


def _address_bits(p: FixedPrecision, size: int, what: str) -> int:
    n = max(1, math.ceil(math.log2(size))) if size > 1 else 0
    if n > p.width:
        raise UnsupportedSoftmax(f"{what} table of {size} entries addressed by {p.to_hls()} ({p.width} bits)")
    return n


def _reduce_add(values: list[np.ndarray], acc: FixedPrecision) -> np.ndarray:
    """nnet::reduce with Op_add<accum_t>: a balanced tree, each sum cast to accum_t."""
    n = len(values)
    if n == 1:
        return values[0]
    if n == 2:
        return cast(acc, values[0] + values[1])
    left = 1 << int(math.floor(math.log2(n - 1)))
    return cast(acc, _reduce_add(values[:left], acc) + _reduce_add(values[left:], acc))


def apply(cfg: SoftmaxConfig, logits: np.ndarray) -> np.ndarray:
    """The firmware's softmax outputs for ``logits`` (values of the softmax's input type), float64."""
    t = {k: FixedPrecision.parse(v) for k, v in asdict(cfg).items() if k.endswith("_t") and v}
    x = np.asarray(logits, dtype=np.float64).reshape(len(logits), -1)
    if x.shape[1] % cfg.n_slice:
        raise UnsupportedSoftmax(f"softmax of {cfg.n_slice} values applied to {x.shape[1]}")
    rows = len(x)
    x = x.reshape(-1, cfg.n_slice)  # io_stream: one slice per packet
    stable = cfg.implementation == "stable"
    addr_t = t["inp_norm_t"] if stable else t["input_t"]
    n_exp = _address_bits(addr_t, cfg.exp_table_size, "exp")
    arg = _index_value(addr_t, n_exp, cfg.exp_table_size) * np.float32(cfg.exp_scale)
    if stable:
        arg = -arg
    exp_table = cast(t["exp_table_t"], np.exp(arg.astype(np.float64)).astype(np.float32).astype(np.float64))
    n_inv = _address_bits(t["inv_inp_t"], cfg.inv_table_size, "inverse")
    with np.errstate(divide="ignore"):
        inv = (np.float32(1.0) / _index_value(t["inv_inp_t"], n_inv, cfg.inv_table_size)).astype(np.float64)
    inv_table = cast(t["inv_table_t"], inv)

    if stable:
        x_max = x.max(axis=1, keepdims=True)
        idx = _top_bits(addr_t, cast(addr_t, x_max - x), n_exp)
    else:
        idx = _top_bits(addr_t, x, n_exp)
    exp_res = cast(t["accum_t"], exp_table[idx])
    total = _reduce_add([exp_res[:, i] for i in range(cfg.n_slice)], t["accum_t"])
    exp_sum = cast(t["inv_inp_t"], total)
    inv_sum = inv_table[_top_bits(t["inv_inp_t"], exp_sum, n_inv)]
    return cast(t["result_t"], exp_res * inv_sum[:, None]).reshape(rows, -1)


def describe(cfg: SoftmaxConfig) -> str:
    """The kept softmax in a conversion note: implementation, tables, output type."""
    return (f"{cfg.implementation} implementation, exp table {cfg.exp_table_size} x {cfg.exp_table_t}, inverse "
            f"table {cfg.inv_table_size} x {cfg.inv_table_t}, output {cfg.result_t}")  # fmt: skip
