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


def valid_reuse_factors(n_in: int, n_out: int) -> list[int]:
    """The reuse factors hls4ml 1.3's Resource strategy keeps for a layer of ``n_in x n_out`` weights (its
    ``FPGABackend._validate_reuse_factor`` rule, written out here so a spec is checked before any training)."""
    size, out = n_in * n_out, []
    for rf in range(1, size + 1):
        if size % rf:
            continue
        limit = -(-size // min(n_in, rf))  # the multipliers of one pass
        if (limit % n_out == 0 or rf >= n_in) and (rf % n_in == 0 or rf < n_in):
            out.append(rf)
    return out


def closest(valid: list[int], asked: int) -> int:
    """The valid value hls4ml moves ``asked`` to: the nearest, the smaller one on a tie."""
    return min(valid, key=lambda v: (abs(v - asked), v))


def _rank2_dense_sizes(model: Any) -> dict[str, tuple[int, int]]:
    """``{layer: (n_in, n_out)}`` of the Keras model's Dense / QDense layers on flat inputs, as hls4ml sizes them."""
    sizes = {}
    for layer in model.layers:
        shape = getattr(getattr(layer, "input", None), "shape", None)
        if type(layer).__name__ in ("Dense", "QDense") and shape is not None and len(shape) == 2:
            sizes[layer.name] = (int(shape[-1]), int(layer.units))
    return sizes


def check_spec_reuse_factors(model: Any, hls: Any) -> None:
    """Refuse, before any training, a spec's reuse factor that :func:`check_reuse_factors` would refuse at
    conversion: a layer's own value that hls4ml would move (Resource) or that exceeds its ``n_in * n_out``, and a
    model-wide value above every layer's. Dense layers on flat inputs only (their sizes are the Keras model's);
    other layers are checked at conversion."""
    sizes = _rank2_dense_sizes(model)
    for name, entry in hls.layers.items():
        if entry.reuse_factor is None or name not in sizes:
            continue
        (n_in, n_out), asked = sizes[name], int(entry.reuse_factor)
        resource = (entry.strategy or hls.strategy) == "Resource"
        valid = valid_reuse_factors(n_in, n_out)
        used = closest(valid, asked) if resource and asked not in valid else asked
        if used != asked or asked > n_in * n_out:
            what = f"hls4ml would silently use {used}" if used != asked else f"at most {n_in * n_out}"
            raise SpecError(
                f"{SPEC_KEYS.layer.format(name)} {asked} is not valid for layer '{name}' ({what}); valid for its "
                f"{n_in} x {n_out} weights: {near(valid, asked)} (n_in x n_out = {n_in * n_out})"
            )
    with_kernel = [layer.name for layer in model.layers if getattr(layer, "kernel", None) is not None]
    own = {n for n, entry in hls.layers.items() if entry.reuse_factor is not None}
    if with_kernel and set(with_kernel) <= set(sizes) and set(sizes) - own:  # every multiplier layer is sized here
        if all(hls.reuse_factor > n_in * n_out for n_in, n_out in sizes.values()):
            name = max(sizes, key=lambda n: sizes[n][0] * sizes[n][1])
            n_in, n_out = sizes[name]
            raise SpecError(f"{SPEC_KEYS.model}: {hls.reuse_factor} exceeds every layer's n_in x n_out (the largest: "
                            f"layer '{name}', {n_in} x {n_out} = {n_in * n_out}); accepted: 1 to {n_in * n_out}")  # fmt: skip


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
