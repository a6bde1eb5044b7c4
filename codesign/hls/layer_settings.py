"""Layers hls4ml 1.3 converts only in some forms, and layers codesign's check cannot drive, refused by name.

Checked before any training (:func:`require_layer_settings`, called by ``require_convertible``):

- ``LayerNormalization``: hls4ml 1.3's converter takes a sequence input ``(steps, features)`` normalised over the
  features only, with ``center`` and ``scale`` and ``0 < epsilon < 0.1``; on a flat input, another axis or an epsilon
  of 0.1 or more it raised (an internal error, exit 7, after any training), and without ``center``/``scale`` it
  failed reading the missing beta/gamma (exit 5).
- ``Embedding``: its input is an integer index, while codesign checks the firmware on inputs drawn on the input
  type's grid (fractions, negatives, the range edges), on which the model's own predict fails (exit 7 after the
  conversion and the C-simulation, "indices[0,3] = -1 is not in [0, 10)").
"""

from __future__ import annotations

from typing import Any

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


def require_layer_settings(model: Any, source: str) -> None:
    """SpecError naming every LayerNormalization hls4ml 1.3 cannot convert and every Embedding (see the module
    docstring)."""
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
