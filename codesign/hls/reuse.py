"""The reuse factors of a converted model: the value asked against the value hls4ml wrote into the firmware.

hls4ml 1.3 keeps any reuse factor of a Latency-strategy layer as given, but moves one that a Resource-strategy
layer cannot take (it must divide the layer's ``n_in * n_out``, with conditions on ``n_in`` and ``n_out``) to the
closest valid value, with only a printed warning. Here a value set for one layer (the spec's
``hls.layers.<layer>.reuse_factor``, an hls4ml config's ``LayerName.<layer>.ReuseFactor``) is refused when
hls4ml would change it or when it exceeds the layer's ``n_in * n_out``; the model-wide value, which every layer
receives, is applied as hls4ml chooses per layer, each change written as a note (the value asked, the value
used), and refused only when it exceeds every layer's ``n_in * n_out``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codesign.errors import SpecError

#: how many valid values on either side of the asked one an error lists
NEAR = 3


@dataclass(frozen=True)
class ReuseKeys:
    """Where the user wrote the reuse factors: the model-wide key and the per-layer key of each route."""

    model: str  # e.g. "hls.reuse_factor"
    layer: str  # e.g. "hls.layers.{}.reuse_factor"


SPEC_KEYS = ReuseKeys("hls.reuse_factor", "hls.layers.{}.reuse_factor")
HLS4ML_KEYS = ReuseKeys("HLSConfig.Model.ReuseFactor", "HLSConfig.LayerName.{}.ReuseFactor")


def _multiplier_size(graph: Any, layer: Any) -> tuple[int, int] | None:
    """The ``(n_in, n_out)`` hls4ml validates a layer's reuse factor against, or None for a layer without one."""
    try:
        size = graph.config.backend.get_layer_mult_size(layer)
    except Exception:  # hls4ml raises for every layer without multipliers (activations, merges, ...)
        return None
    if isinstance(size, tuple) and len(size) >= 2 and all(isinstance(v, int) and v > 0 for v in size[:2]):
        return int(size[0]), int(size[1])
    return None


def near(valid: list[int], asked: int) -> str:
    """The valid values around ``asked``: up to ``NEAR`` on either side, '...' where more are left out."""
    below = [v for v in valid if v < asked]
    above = [v for v in valid if v > asked]
    shown = [str(v) for v in below[-NEAR:] + above[:NEAR]]
    return ", ".join((["..."] if len(below) > NEAR else []) + shown + (["..."] if len(above) > NEAR else []))


def check_reuse_factors(graph: Any, model_rf: int, per_layer: set[str], keys: ReuseKeys, notes: list[str]) -> dict:
    """Compare every multiplier layer's reuse factor as asked with the one hls4ml will write; refuse or note as the
    module docstring says. Returns ``{layer: reuse factor in the firmware}`` for the layers with multipliers."""
    used_by: dict[str, int] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for layer in graph.get_layers():
        size = _multiplier_size(graph, layer)
        used = layer.get_attr("reuse_factor")
        if size is None or used is None:
            continue
        n_in, n_out = size
        sizes[layer.name], used_by[layer.name] = size, int(used)
        asked = int(graph.config.get_reuse_factor(layer))
        own = layer.name in per_layer
        if own and (int(used) != asked or asked > n_in * n_out):
            valid = graph.config.backend.get_valid_reuse_factors(n_in, n_out)
            what = f"hls4ml would silently use {used}" if int(used) != asked else f"at most {n_in * n_out}"
            raise SpecError(
                f"{keys.layer.format(layer.name)} {asked} is not valid for layer '{layer.name}' ({what}); valid for "
                f"its {n_in} x {n_out} weights: {near(valid, asked)} (n_in x n_out = {n_in * n_out})"
            )
        if int(used) != asked:
            asked_by = keys.model if asked == model_rf else "a LayerType ReuseFactor"
            notes.append(
                f"{asked_by} {asked}: layer '{layer.name}' ({n_in} x {n_out} = {n_in * n_out} weights, strategy "
                f"{layer.get_attr('strategy')}) cannot take it; hls4ml uses {used}, the closest valid value, in the "
                f"firmware (parameters.h), and the estimate uses {used}"
            )
    shared = [name for name in sizes if name not in per_layer]
    if shared and all(model_rf > n_in * n_out for n_in, n_out in sizes.values()):
        name = max(sizes, key=lambda n: sizes[n][0] * sizes[n][1])
        n_in, n_out = sizes[name]
        raise SpecError(
            f"{keys.model}: {model_rf} exceeds every layer's n_in x n_out (the largest: layer '{name}', "
            f"{n_in} x {n_out} = {n_in * n_out}); accepted: 1 to {n_in * n_out}"
        )
    return used_by
