"""Firmware with several inputs (a model taking two tensors, e.g. constituents and high-level features): the
check's inputs drawn on each input's own type, their edge cases, and how ``csim/csim_results.npz`` stores them.

One input is stored as ``inputs`` (as before); several as ``inputs_0``, ``inputs_1``, ... in the firmware's port
order (the model's input order), each of shape ``(n, *that input's shape)``. Each input is drawn on its own
firmware input type (the top function's port type) with its own random stream, so that two inputs of one shape and
type never receive the same values (an exchange of the two would go unnoticed otherwise).

Edge cases of several inputs: every input at once at its type's zero, minimum, maximum, +1 LSB, -1 LSB (an unsigned
input stays at 0 there), max - 1 LSB and min + 1 LSB; for each input, the values that maximise (and minimise) each
unit of the first weighted layer that reads that input alone, the other inputs at zero; and random mixes of each
input's two extremes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.precision import FixedPrecision

INPUTS_KEY = "inputs"
MAX_EXACT_WIDTH = 52  # the check's inputs are drawn in float64: exact for types of at most this many bits


def data_refused(where: str, names: Sequence[str], source: str) -> SpecError:
    """The refusal of a spec with data for a model with several inputs (its data hold one input array)."""
    return SpecError(
        f"{where}: the model has {len(names)} inputs ({', '.join(names)}) and the spec gives data ({source}), which "
        "holds one input array per sample (accepted: such a model as a `model.file` without `data`, or in an hls4ml "
        "config: its firmware is checked bit for bit on random inputs on each input's grid; or a model with one "
        "input, the inputs concatenated into one tensor before it)"
    )


def inputs_entries(x: np.ndarray | Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """``csim_results.npz`` entries of the check's inputs: ``inputs`` for one array, ``inputs_<i>`` for several."""
    if isinstance(x, (list, tuple)):
        return {f"{INPUTS_KEY}_{i}": np.asarray(a) for i, a in enumerate(x)}
    return {INPUTS_KEY: np.asarray(x)}


def stored_inputs(stored: Mapping[str, Any], where: str) -> np.ndarray | list[np.ndarray]:
    """The check's inputs as :func:`inputs_entries` stored them (an old single-input folder's ``inputs`` included);
    ``where`` names the file in the error when there are none."""
    keys = list(stored.keys())
    if INPUTS_KEY in keys:
        return np.asarray(stored[INPUTS_KEY])
    several = []
    while f"{INPUTS_KEY}_{len(several)}" in keys:
        several.append(np.asarray(stored[f"{INPUTS_KEY}_{len(several)}"]))
    if not several:
        raise SpecError(f"{where}: no '{INPUTS_KEY}' (one input) nor '{INPUTS_KEY}_0', '{INPUTS_KEY}_1', ... (several "
                        f"inputs) entry; it has {sorted(keys)}: rerun `codesign build` for this folder")  # fmt: skip
    return several


def input_types(ports: Sequence[Any], model: Any, where: str) -> list[FixedPrecision]:
    """Each firmware input's fixed-point type (its top-function port), checked against the model's inputs: the
    same names in the same order, each type at most 52 bits wide."""
    names = [t.name.split(":")[0] for t in model.inputs]
    ports_named = [p.name for p in ports]
    if names != ports_named:
        raise SpecError(f"{where}: the firmware's inputs {ports_named} are not the model's inputs {names} in order "
                        "(a bug in the conversion: the check cannot tell which array goes to which port)")  # fmt: skip
    types = []
    for p in ports:
        if p.precision is None:
            raise SpecError(f"{where}: firmware input '{p.name}' has no fixed-point type ({p.definition}); the check "
                            "draws each input on its type's grid (accepted: an ap_fixed/ap_int input type)")  # fmt: skip
        require_drawable(p.name, p.precision, f"{where}: ")
        types.append(p.precision)
    return types


def require_drawable(name: str, precision: FixedPrecision | None, prefix: str = "") -> None:
    """SpecError when a firmware input's type is wider than float64 holds exactly: the check's inputs are drawn on
    its grid in float64."""
    if precision is not None and precision.width > MAX_EXACT_WIDTH:
        raise SpecError(
            f"{prefix}the firmware input '{name}' is {precision.to_hls()}: codesign draws the check's inputs on its "
            f"grid in float64, exact for types of at most {MAX_EXACT_WIDTH} bits (accepted: an input type of at most "
            f"{MAX_EXACT_WIDTH} bits, e.g. the input layer's Precision.result in the hls4ml config, or Model.Precision)"
        )


def input_shapes(model: Any) -> list[tuple[int, ...]]:
    """Each model input's sample shape."""
    return [tuple(int(d) for d in t.shape[1:]) for t in model.inputs]


def describe_types(names: Sequence[str], types: Sequence[FixedPrecision]) -> str:
    """'in_a ap_fixed<16,6>, in_b ap_fixed<8,3>'."""
    return ", ".join(f"{n} {t.to_hls()}" for n, t in zip(names, types, strict=True))


def build_inputs(types: Sequence[FixedPrecision], shapes: Sequence[tuple[int, ...]], n: int) -> tuple[list, int]:
    """The build's check inputs without data, per input: ``n`` N(0,1) stand-ins on its grid, then ``n`` random grid
    inputs with its type's edges (:func:`codesign.compare.grid_inputs`); and how many leading rows are stand-ins."""
    from codesign import compare

    normal_rng = np.random.default_rng(1)
    out = []
    for i, (p, shape) in enumerate(zip(types, shapes, strict=True)):
        normal = p.quantize(np.clip(normal_rng.normal(0.0, 1.0, size=(n,) + shape), p.min_value, p.max_value))
        out.append(np.concatenate([normal, compare.grid_inputs(p, shape, n, seed=(0, i))], axis=0))
    return out, n


_JOINT: tuple[tuple[str, Callable[[FixedPrecision], float]], ...] = (
    ("zeros", lambda p: 0.0),
    ("min", lambda p: p.min_value),
    ("max", lambda p: p.max_value),
    ("+1 LSB", lambda p: p.lsb),
    ("-1 LSB", lambda p: -p.lsb if p.signed else 0.0),
    ("max - 1 LSB", lambda p: p.max_value - p.lsb),
    ("min + 1 LSB", lambda p: p.min_value + p.lsb),
)


def first_kernels(model: Any, names: Sequence[str], shapes: Sequence[tuple[int, ...]]) -> dict[str, np.ndarray | None]:
    """Per input, the kernel (n_features, n_units) of the first weighted layer that reads that input alone (through
    weightless layers), or None (a layer shared between inputs, or a first layer of another shape)."""
    reach: dict[str, set[str]] = {}
    seen: set[str] = set()
    out: dict[str, np.ndarray | None] = {n: None for n in names}
    features = {n: s[-1] if s else 1 for n, s in zip(names, shapes, strict=True)}
    for layer in model.layers:
        if layer.name in out:
            reach[layer.name] = {layer.name}
            continue
        nodes = getattr(layer, "inbound_nodes", None) or []
        if len(nodes) != 1:
            reach[layer.name] = set(names)
            continue
        ib = nodes[0].inbound_layers
        srcs = list(ib) if isinstance(ib, (list, tuple)) else [ib]
        reach[layer.name] = set().union(*(reach.get(s.name, set(names)) for s in srcs)) if srcs else set(names)
        weights = layer.get_weights() if hasattr(layer, "get_weights") else []
        if not weights or len(reach[layer.name]) != 1:
            continue
        (src,) = reach[layer.name]
        if src in seen:
            continue
        seen.add(src)
        k = np.asarray(weights[0], dtype=np.float64)
        if k.ndim >= 2 and k.shape[-2] == features[src]:
            out[src] = k.reshape(-1, k.shape[-2], k.shape[-1])[0]  # a convolution's first tap
    return out


def edge_cases(model: Any, names: Sequence[str], types: Sequence[FixedPrecision], shapes: Sequence[tuple[int, ...]],
               seed: int, max_unit_cases: int, n_random: int) -> tuple[list[np.ndarray], tuple[str, ...]]:  # fmt: skip
    """Edge cases of several inputs (the module docstring): one array per input, and a label per case."""
    cases: list[tuple[str, list[Any]]] = []
    for what, value in _JOINT:
        if what == "-1 LSB" and not any(p.signed for p in types):
            continue
        vals = [value(p) for p in types]
        cases.append((f"every input {what} (" + ", ".join(f"{n} {v:g}" for n, v in zip(names, vals, strict=True))
                      + ")", vals))  # fmt: skip
    kernels = first_kernels(model, names, shapes)
    for i, name in enumerate(names):
        kernel = kernels[name]
        if kernel is None:
            continue
        lo, hi = types[i].min_value, types[i].max_value
        for unit in range(min(kernel.shape[1], max_unit_cases)):
            up = np.where(kernel[:, unit] > 0, hi, lo)
            for what, v in (("max", up), ("min", np.where(up == hi, lo, hi))):
                vals: list[Any] = [0.0] * len(names)
                vals[i] = np.broadcast_to(v, shapes[i])
                cases.append((f"{what} sum of unit {unit} of the first layer reading '{name}' (other inputs 0)", vals))
    rng = np.random.default_rng(seed)
    for k in range(n_random):
        cases.append((f"random mix of each input's min and max #{k}",
                      [rng.choice([p.min_value, p.max_value], size=s) for p, s in zip(types, shapes, strict=True)]))  # fmt: skip
    xs = []
    for i, (p, shape) in enumerate(zip(types, shapes, strict=True)):
        x = np.stack([np.broadcast_to(np.asarray(vals[i], dtype=np.float64), shape) for _, vals in cases])
        if not p.on_grid(x):
            raise SpecError(f"edge cases of input '{names[i]}' are not on its grid {p.to_hls()} (a bug in codesign "
                            "check)")  # fmt: skip
        xs.append(x)
    return xs, tuple(label for label, _ in cases)


def random_inputs(
    types: Sequence[FixedPrecision], shapes: Sequence[tuple[int, ...]], n: int, seed: int
) -> list[np.ndarray]:
    """``n`` random grid inputs per input (:func:`codesign.compare.grid_inputs`), each input its own stream."""
    from codesign import compare

    return [compare.grid_inputs(p, s, n, seed=(seed, i)) for i, (p, s) in enumerate(zip(types, shapes, strict=True))]
