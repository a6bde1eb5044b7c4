"""Layers hls4ml 1.3 converts only in some forms, and layers codesign's check cannot drive, refused by name.

Checked before any training (:func:`require_layer_settings`, called by ``require_convertible``):

- ``LayerNormalization``: hls4ml 1.3's converter takes a sequence input ``(steps, features)`` normalised over the
  features only, with ``center`` and ``scale`` and ``0 < epsilon < 0.1``; on a flat input, another axis or an epsilon
  of 0.1 or more it raised (an internal error, exit 7, after any training), and without ``center``/``scale`` it
  failed reading the missing beta/gamma (exit 5).
- ``Embedding``: its input is an integer index, while codesign checks the firmware on inputs drawn on the input
  type's grid (fractions, negatives, the range edges), on which the model's own predict fails (exit 7 after the
  conversion and the C-simulation, "indices[0,3] = -1 is not in [0, 10)").
- A merge layer (``Concatenate``, ``Add``, ...) called on a list of one input, which Keras accepts as the identity:
  hls4ml 1.3's converter raised IndexError (Concatenate) or AssertionError (Add, Average, Maximum): exit 7.
- A ``QSeparableConv1D/2D`` whose pointwise ``quantized_bits`` has ``alpha='auto_po2'`` (QKeras sets
  it whenever ``alpha`` is left out): hls4ml 1.3 splits the layer into a depthwise and a pointwise convolution and
  then fails factoring the pointwise scale out ("unsupported operand type(s) for +: 'NoneType' and 'str'", exit 5).
- A ``quantized_po2`` bias quantizer: hls4ml 1.3 stores the bias as a power-of-two exponent, which its Dense/Conv
  kernels cannot add (g++: "no matching function for call to ap_fixed<29, 11>::ap_fixed(config2::bias_t&)", exit 5).
- A leaky ``quantized_relu(bits, integer, negative_slope=s)`` (a QActivation or a layer's own activation): QKeras
  stops the negative side at ``-s * 2**integer`` (-1 for s=0.25, integer 2), hls4ml 1.3's leaky relu only at its
  result type's range (-4): the build ended ``bit-exact: NO`` after training and C-simulation whenever a sum fell
  below ``-2**integer``. No result type gives both QKeras' positive range and its negative stop.

Checked after the conversion, before the project is written (:func:`require_weights_inside`): ``BramFactor``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import SpecError


def _layer_norm_unread(layer: Any) -> list[str]:
    """What hls4ml 1.3's LayerNormalization converter fails on, as ``key=value`` phrases."""
    cfg = layer.get_config()
    shape = layer.input_shape[0] if isinstance(layer.input_shape, list) else layer.input_shape
    why = []
    if len(shape) != 3:
        why.append(f"an input of shape {tuple(shape[1:])} (hls4ml 1.3 takes (steps, features) only)")
    else:
        axis = cfg.get("axis", -1)
        axes = [int(axis)] if isinstance(axis, int) else [int(a) for a in axis]  # tf-keras: a ListWrapper
        if [a % 3 for a in axes] != [2]:
            why.append(f"axis={axes[0] if len(axes) == 1 else axes} (hls4ml 1.3 normalises over the last axis only)")
    why.extend(f"{k}=False (hls4ml 1.3 reads a {w} it does not have)" for k, w in (("center", "beta"), ("scale", "gamma"))
               if not cfg.get(k, True))  # fmt: skip
    eps = float(cfg.get("epsilon", 1e-3))
    if not 0 < eps < 0.1:
        why.append(f"epsilon={eps:g} (hls4ml 1.3 takes 0 < epsilon < 0.1)")
    return why


MERGES = ("Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot")


def _n_inputs(layer: Any) -> int:
    return len(layer.input) if isinstance(layer.input, (list, tuple)) else 1


def _pointwise_auto_po2(layer: Any) -> bool:
    q = layer.get_config().get("pointwise_quantizer") if type(layer).__name__.startswith("QSeparableConv") else None
    return isinstance(q, dict) and (q.get("config") or {}).get("alpha") == "auto_po2"


def _po2_bias(layer: Any) -> bool:
    q = layer.get_config().get("bias_quantizer")
    name = q.get("class_name") if isinstance(q, dict) else q
    return isinstance(name, str) and name.startswith("quantized_po2")


def _leaky_quantized_relu(layer: Any) -> str | None:
    """The layer's quantized_relu with a negative_slope other than 0, as QKeras writes it; None otherwise."""
    from codesign.reference.layers import activation_of
    from codesign.reference.quantizers import quantizer_config

    q = getattr(layer, "quantizer", None) if type(layer).__name__ == "QActivation" else activation_of(layer)
    name, c = quantizer_config(q)
    if name != "quantized_relu" or not float(c.get("negative_slope") or 0.0):
        return None
    return f"quantized_relu({c.get('bits')}, {c.get('integer')}, negative_slope={float(c['negative_slope']):g})"


def require_layer_settings(model: Any, source: str) -> None:
    """SpecError naming every LayerNormalization hls4ml 1.3 cannot convert, every Embedding, every merge of one
    input and every QKeras quantizer setting its conversion fails on (see the module docstring)."""
    sep = [f"'{lyr.name}' ({type(lyr).__name__})" for lyr in model.layers if _pointwise_auto_po2(lyr)]
    if sep:
        raise SpecError(
            f"{source}: layer(s) {', '.join(sep)}: pointwise_quantizer quantized_bits with alpha='auto_po2' (QKeras' "
            "value when alpha is left out): hls4ml 1.3 splits the layer and then fails factoring the pointwise "
            "power-of-two scale out; accepted: pointwise_quantizer quantized_bits(..., alpha=1)"
        )
    po2 = [f"'{lyr.name}' ({type(lyr).__name__})" for lyr in model.layers if _po2_bias(lyr)]
    if po2:
        raise SpecError(
            f"{source}: layer(s) {', '.join(po2)}: bias_quantizer quantized_po2: hls4ml 1.3 stores the bias as a "
            "power-of-two exponent, which its Dense/Conv kernels cannot add (g++ fails); accepted: a quantized_bits "
            "bias_quantizer"
        )
    leaky = [f"'{lyr.name}' ({type(lyr).__name__}, {q})" for lyr in model.layers
             if (q := _leaky_quantized_relu(lyr))]  # fmt: skip
    if leaky:
        raise SpecError(
            f"{source}: layer(s) {', '.join(leaky)}: QKeras stops the negative side at -negative_slope * 2**integer, "
            "hls4ml 1.3's leaky relu only at its result type's range, so the firmware would differ from the model "
            "wherever an input falls below -2**integer; accepted: quantized_relu with negative_slope 0, or a float "
            "LeakyReLU with a power-of-two slope (0.5, 0.25, ...)"
        )
    lone = [f"'{lyr.name}' ({type(lyr).__name__})" for lyr in model.layers
            if type(lyr).__name__ in MERGES and _n_inputs(lyr) < 2]  # fmt: skip
    if lone:
        raise SpecError(
            f"{source}: layer(s) {', '.join(lone)}: a merge called on one input (Keras passes it through; hls4ml 1.3's "
            "converter expects two or more and fails); accepted: a merge of two or more inputs, or the layer left "
            "out (on one input it is the identity)"
        )
    bad = [f"'{lyr.name}' (LayerNormalization, {'; '.join(why)})" for lyr in model.layers
           if type(lyr).__name__ == "LayerNormalization" and (why := _layer_norm_unread(lyr))]  # fmt: skip
    if bad:
        raise SpecError(
            f"{source}: layer(s) {', '.join(bad)}: hls4ml 1.3's converter fails on it; accepted: LayerNormalization "
            "of a (steps, features) input over the last axis, center=True, scale=True, 0 < epsilon < 0.1"
        )
    emb = [f"'{lyr.name}' (Embedding)" for lyr in model.layers if type(lyr).__name__ == "Embedding"]
    if emb:
        raise SpecError(
            f"{source}: layer(s) {', '.join(emb)}: an Embedding reads integer indices, and codesign checks the firmware "
            "on inputs drawn on the input type's grid (fractions, negative values, the range edges), on which the "
            "model itself cannot run; accepted: one-hot inputs into a Dense (the same product), or the embedding "
            "applied to the data before the model"
        )


def require_weights_inside(graph: Any, hls_config: dict | None) -> None:
    """SpecError when the config's ``Model.BramFactor`` made hls4ml move weight arrays out of the firmware.

    hls4ml makes every weight array with more values than ``BramFactor`` a port of the top function (memory
    outside the firmware, its values written by the caller): the C-simulation testbench calls the top function with
    its input and output only (g++ stopped with "too few arguments", exit 5), and the emulator and the estimate
    read the weights as constants of the firmware.
    """
    ports = [(layer.name, wname, int(np.prod(w.shape))) for layer in graph.get_layers()
             for wname, w in layer.weights.items() if str(getattr(w, "storage", "")).lower() == "bram"]  # fmt: skip
    if not ports:
        return
    bf = ((hls_config or {}).get("Model") or {}).get("BramFactor")
    largest = max(n for _, _, n in ports)
    listed = ", ".join(f"'{name}' {wname} ({n} values)" for name, wname, n in ports)
    raise SpecError(
        f"HLSConfig.Model.BramFactor {bf}: hls4ml makes every weight array of more values a port of the top "
        f"function (memory outside the firmware): {listed}; codesign C-simulates, emulates and estimates firmware "
        f"that holds its weights (accepted: a BramFactor of at least {largest}, the largest weight array, or none)"
    )
