"""The interaction network's EdgePairSum and ReceiverSum on da4ml arrays, as :mod:`codesign.reference.layers` computes them.

Both layers only add (da4ml sums are exact): ``EdgePairSum`` gives per edge (r, s) ``recv[r] + send[s]`` and then
the layer's activation (linear, relu or a quantized_relu, by :mod:`codesign.rtl.quantizers`, as the reference
applies it); ``ReceiverSum`` gives per receiver the exact sum of its N - 1 incoming edges (the reference casts
neither sum). Edges are receiver-major (:func:`codesign.hls_ext.interaction.edge_index`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.reference.layers import activation_of
from codesign.rtl import constants, quantizers

KINDS = ("EdgePairSum", "ReceiverSum")


def _refuse(layer: Any, why: str) -> SpecError:
    return SpecError(f"layer '{layer.name}' ({type(layer).__name__}) is not supported by the RTL route (--rtl): {why}")


def _edges(n: int) -> tuple[np.ndarray, np.ndarray]:
    recv = np.repeat(np.arange(n), n - 1)
    send = np.array([k if k < r else k + 1 for r in range(n) for k in range(n - 1)], dtype=np.int64)
    return recv, send


def forward(layer: Any, xs: list[Any], placed: constants.Placements, *, linear: bool = False) -> Any:
    """The layer's output (da4ml array, no batch axis) for its inputs ``xs``; ``linear``: without the activation;
    ``placed``: the graph's rebuilt adders, for the activation's rounding (:mod:`codesign.rtl.constants`)."""
    if type(layer).__name__ == "EdgePairSum":
        if len(xs) != 2 or xs[0].shape != xs[1].shape or xs[0].ndim != 2:
            raise _refuse(layer, f"inputs of shapes {[x.shape for x in xs]} (accepted: two (N, D) arrays)")
        recv, send = _edges(int(xs[0].shape[0]))
        y = xs[0][recv] + xs[1][send]
        return y if linear else quantizers.apply(activation_of(layer), y, f"layer '{layer.name}' (EdgePairSum)", placed)
    if len(xs) != 1:
        raise _refuse(layer, f"{len(xs)} inputs where one is expected")
    n, x = int(layer.get_config()["n_nodes"]), xs[0]
    if x.ndim != 2 or n < 2 or x.shape[0] != n * (n - 1):
        raise _refuse(layer, f"input of shape {x.shape} is not (n_nodes * (n_nodes - 1), D) for n_nodes = {n}")
    return np.sum(x.reshape(n, n - 1, x.shape[1]), axis=1)
