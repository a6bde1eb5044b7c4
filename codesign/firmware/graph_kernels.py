"""Emulator kernels of codesign's interaction-network extension layers (``nnet_codesign_graph.h``).

``EdgePairSum``: per edge (r, s) the exact sum ``recv[r] + send[s]`` (the kernel's ``accum_t`` holds it), a ReLU
when the layer has one, cast to ``result_t``. ``ReceiverSum``: each receiver's N - 1 incoming edges summed
exactly in ``accum_t``, cast to ``result_t``. Edges are receiver-major (:func:`codesign.hls_ext.interaction.edge_index`).
"""

from __future__ import annotations

import numpy as np

from codesign.firmware.fixed import cast, check_width, frac, to_float

KINDS = ("EdgePairSum", "ReceiverSum")


def _edges(n: int) -> tuple[np.ndarray, np.ndarray]:
    recv = np.repeat(np.arange(n), n - 1)
    send = np.array([k if k < r else k + 1 for r in range(n) for k in range(n - 1)], dtype=np.int64)
    return recv, send


def exact_sums(layer, ins) -> tuple[np.ndarray, int]:
    """Integer codes of the layer's exact sums (ReLU applied for an EdgePairSum with one) and their fractional bits."""
    n = int(layer.attrs["n_nodes"])
    if layer.kind == "EdgePairSum":
        f = max(frac(t.prec) for t in ins)
        check_width(max(t.prec.width + f - frac(t.prec) for t in ins) + 1, f"layer '{layer.name}'")
        a, b = (t.codes.astype(np.int64) << (f - frac(t.prec)) for t in ins)
        recv, send = _edges(n)
        v = a[:, recv, :] + b[:, send, :]
        return (np.maximum(v, 0) if layer.attrs.get("relu") else v), f
    x = ins[0]
    check_width(x.prec.width + int(np.ceil(np.log2(max(n - 1, 1)))), f"layer '{layer.name}'")
    rows, _, d = x.codes.shape
    return x.codes.astype(np.int64).reshape(rows, n, n - 1, d).sum(axis=2), frac(x.prec)


def run(layer, ins):
    """The layer's output tensor (same class as its inputs: the emulator's Tensor)."""
    v, f = exact_sums(layer, ins)
    rp = layer.type("result")
    return type(ins[0])(cast(v, f, rp), rp)


def exact_values(layer, ins) -> np.ndarray:
    """Float64 values of the exact sums the result type must hold (for the overflow profile)."""
    v, f = exact_sums(layer, ins)
    return v.astype(np.float64) / 2.0**f if v.size else to_float(v, ins[0].prec)
