"""hls4ml 1.3's Resource-strategy Dense (``nnet_dense_resource.h``) and Conv1D/Conv2D (``conv_1d/2d_resource_cl``,
the same loops per output pixel; io_stream's windows go through ``nnet_dense_resource.h``) as the Latency dense
arithmetic of reordered inputs.

Both strategies cast each product ``data * weight`` to ``accum_t`` and add it to an ``accum_t`` accumulator that
starts at the bias, then cast the sum to ``result_t``; they differ in the order of the additions and in how the
weights are stored:

- hls4ml transposes a Resource layer's weights (``ApplyResourceStrategy``): the firmware holds ``w[o][i]`` (a
  convolution's ``w[f][h][w][c]``);
- ``dense_resource_rf_leq_nin`` (RF <= n_in, RF divides n_in) adds, for every output, the inputs in the order
  ``ir + k * RF`` for ``ir`` in ``0..RF-1`` then ``k`` in ``0..n_in/RF-1``;
- ``dense_resource_rf_gt_nin_rem0`` (RF a multiple of n_in) adds each output's inputs in input order.

Reordering the inputs (and the weight rows with them) therefore gives the same sums step by step, also for a
saturating accumulator whose partial sums overflow. hls4ml picks a valid reuse factor before writing the project
(``set_closest_reuse_factor``); other factors, and the ``resource_unrolled``/``compressed`` kernels, are refused.
"""

from __future__ import annotations

import numpy as np

from codesign.firmware.description import LayerDesc
from codesign.firmware.fixed import EmulationError

STRATEGIES = ("latency", "resource")
# a PointwiseConv1D/2D (a 1-wide convolution, or a Dense on a (steps, features) input) runs conv_1d/2d_resource_cl in
# io_parallel and its pixels through the dense_resource kernel in io_stream (pointwise_mult_buffer): the convolution's
# arithmetic with a window of one pixel, its weights transposed as a Conv1D's/Conv2D's
RESOURCE_KINDS = ("Dense", "Conv1D", "Conv2D", "PointwiseConv1D", "PointwiseConv2D")


def strategy(layer: LayerDesc, resource_kinds: tuple[str, ...] = RESOURCE_KINDS) -> str:
    """The layer's strategy in lower case; an error naming the layer unless it is emulated for its kind."""
    s = str(layer.attrs.get("strategy", "latency")).lower()
    accepted = STRATEGIES if layer.kind in resource_kinds else ("latency",)
    if s not in accepted:
        raise EmulationError(f"layer '{layer.name}' ({layer.kind}): strategy '{s}' is not emulated "
                             f"(accepted: {', '.join(a.capitalize() for a in accepted)})")  # fmt: skip
    return s


def dense_weights(layer: LayerDesc) -> np.ndarray:
    """A Dense or convolution layer's weight codes as (n_in, n_out), whichever layout its strategy stores them in
    (a convolution's n_in is its window, ordered (filter row, filter column, channel))."""
    w = np.asarray(layer.weights["weight"])
    if strategy(layer) != "resource":
        return w.reshape(-1, w.shape[-1])
    if layer.attrs.get("_weights_transposed") is not True or w.ndim < 2:
        raise EmulationError(f"layer '{layer.name}': Resource strategy without hls4ml's transposed (n_out, ...) "
                             f"weights ('_weights_transposed' not set, weights {w.shape}): their order is unknown")  # fmt: skip
    return w.reshape(w.shape[0], -1).T  # (F, W, C) / (F, H, W, C) as hls4ml transposes a convolution's


def resource_dense(layer: LayerDesc, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """(weights as (n_in, n_out) rows in the order the kernel adds them, that input order) of a Resource Dense."""
    w = dense_weights(layer)
    if w.shape[0] != n_in:
        raise EmulationError(f"layer '{layer.name}': input has {n_in} values, weights {w.shape}")
    n_out = w.shape[1]
    rf = int(layer.attrs.get("reuse_factor", 1))
    if layer.kind != "Dense" and rf > n_in:
        raise EmulationError(f"layer '{layer.name}' ({layer.kind}): Resource strategy with reuse factor {rf} above "
                             f"its {n_in} window inputs is not emulated (hls4ml's conv_*_resource_cl asserts RF <= "
                             "n_in in io_parallel)")  # fmt: skip
    if 1 <= rf <= n_in and n_in % rf == 0:  # dense_resource_rf_leq_nin
        order = np.arange(n_in).reshape(n_in // rf, rf).T.ravel()
    elif rf > n_in and rf % n_in == 0 and (n_in * n_out) % rf == 0:  # dense_resource_rf_gt_nin_rem0
        order = np.arange(n_in)
    else:
        raise EmulationError(f"layer '{layer.name}': Resource strategy with reuse factor {rf} for {n_in} inputs x "
                             f"{n_out} outputs is not emulated (hls4ml's valid factors: RF dividing {n_in}, or a "
                             f"multiple of {n_in} dividing {n_in * n_out})")  # fmt: skip
    return w[order], order
