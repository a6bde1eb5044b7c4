"""Parameters and FLOPs of a zoo model, counted layer by layer from its Keras graph.

Convention (say it next to every figure): a multiply-add is 2 FLOPs, so a dot product of n terms with its bias
is 2n FLOPs (the bias add takes the place of the first add); every other addition is 1 FLOP (pooling sums,
the interaction network's edge and receiver sums) and a mean's division is 1 FLOP per output; activations,
concatenation and reshapes are 0. Weights are counted dense: a pruned zero costs as much as any weight (the
firmware skips zeros, the count does not). Parameters are the trainable and non-trainable weights of the model.
"""

from __future__ import annotations

import math
from typing import Any

FREE = ("InputLayer", "Activation", "QActivation", "ReLU", "Flatten", "Reshape", "Permute", "Concatenate", "Dropout")


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in t.shape[1:])


def layer_flops(layer: Any) -> int:
    """FLOPs of one layer per sample under the module's convention; a layer it does not know raises ValueError."""
    cls = type(layer).__name__
    if cls in FREE:
        return 0
    out = _shape(layer.output)
    ins = layer.input if isinstance(layer.input, list) else [layer.input]
    in_shape = _shape(ins[0])
    if cls in ("Dense", "QDense", "Conv1D", "QConv1D"):
        if cls.endswith("Conv1D") and int(layer.kernel_size[0]) != 1:
            raise ValueError(f"layer '{layer.name}': Conv1D with kernel {layer.kernel_size} is not counted here")
        n_in, n_out = in_shape[-1], out[-1]
        positions = math.prod(out[:-1])
        return positions * 2 * n_in * n_out
    if cls in ("GlobalAveragePooling1D",):
        n, c = in_shape
        return n * c  # n - 1 adds and one division per channel
    if cls in ("GlobalMaxPooling1D",):
        n, c = in_shape
        return (n - 1) * c
    if cls == "EdgePairSum":
        return math.prod(out)
    if cls == "ReceiverSum":
        n, d = out
        return n * (n - 2) * d
    raise ValueError(f"layer '{layer.name}' ({cls}): no FLOP count for this layer class")


def count(model: Any) -> dict[str, int]:
    """``{"params": ..., "flops": ...}`` of a Keras model (per sample, see the module's convention)."""
    return {"params": int(model.count_params()), "flops": int(sum(layer_flops(lyr) for lyr in model.layers))}
