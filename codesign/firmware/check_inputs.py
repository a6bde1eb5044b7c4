"""The inputs ``codesign check`` runs: the build's data (or a sample of it), and edge cases reported apart.

Every input is on the input type's grid (the firmware would round anything else, the reference would not).
Edge cases: all zeros; every input at the type's minimum, maximum, +1 LSB, -1 LSB, max - 1 LSB and
min + 1 LSB; for each unit of the first weighted layer, the inputs at the extreme that maximises (and the
one that minimises) its sum, which drives that layer's accumulator and the types after it to their limits
(and past them when they are too narrow); and a few random mixes of the two extremes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.precision import FixedPrecision

MAX_UNIT_CASES = 32  # first-layer units given their own extreme inputs (two each)
N_RANDOM_EXTREMES = 8


@dataclass(frozen=True)
class CheckInputs:
    """The main inputs (data first, then random grid inputs) and the labelled edge cases."""

    x: np.ndarray | list[np.ndarray]  # one array per input for firmware with several
    n_data: int
    n_random: int
    source: str  # how the main inputs were chosen, one line
    edge_x: np.ndarray | list[np.ndarray]
    edge_labels: tuple[str, ...]


def _first_kernel(model: Any, n_features: int) -> np.ndarray | None:
    """The kernel (n_features, n_units) of the first weighted layer reading the input, or None."""
    for layer in model.layers:
        weights = layer.get_weights() if hasattr(layer, "get_weights") else []
        if not weights:
            continue
        k = np.asarray(weights[0], dtype=np.float64)
        if k.ndim >= 2 and k.shape[-2] == n_features:
            return k.reshape(-1, k.shape[-2], k.shape[-1])[0]  # a convolution's first tap
        return None
    return None


def edge_cases(model: Any, precision: FixedPrecision, shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Edge-case inputs of one input type and shape, each with a label saying what it is."""
    lo, hi, lsb = precision.min_value, precision.max_value, precision.lsb
    cases: list[tuple[str, float | np.ndarray]] = [("zeros", 0.0), (f"all min ({lo:g})", lo), (f"all max ({hi:g})", hi),
                                                   (f"all +1 LSB ({lsb:g})", lsb)]  # fmt: skip
    if precision.signed:
        cases.append((f"all -1 LSB ({-lsb:g})", -lsb))
    cases += [(f"all max - 1 LSB ({hi - lsb:g})", hi - lsb), (f"all min + 1 LSB ({lo + lsb:g})", lo + lsb)]
    kernel = _first_kernel(model, shape[-1])
    if kernel is not None:
        for unit in range(min(kernel.shape[1], MAX_UNIT_CASES)):
            up = np.where(kernel[:, unit] > 0, hi, lo)
            cases.append((f"max sum of first-layer unit {unit}", np.broadcast_to(up, shape)))
            cases.append((f"min sum of first-layer unit {unit}", np.broadcast_to(np.where(up == hi, lo, hi), shape)))
    rng = np.random.default_rng(seed)
    for i in range(N_RANDOM_EXTREMES):
        cases.append((f"random mix of min and max #{i}", rng.choice([lo, hi], size=shape)))
    x = np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for _, v in cases])
    if not precision.on_grid(x):
        raise SpecError(f"edge cases are not on the input grid {precision.to_hls()} (a bug in codesign check)")
    return x, tuple(label for label, _ in cases)


# The inputs as drawn, snapped to the grid, joined with the edge cases, written as the testbench's text, and the
# firmware's and the reference's outputs are held at once (float64)
CHECK_COPIES = 6


def check_memory(n: int, shape: tuple[int, ...], flag: str = "--n", given: int | None = None) -> None:
    """Refuse ``n`` inputs that cannot fit in this machine's memory, before any is drawn (a MemoryError, exit 7).
    ``flag`` names the setting and ``given`` its value when it asks for ``n / given`` inputs per unit."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    per_input = 8 * int(np.prod(shape, dtype=np.int64))
    given = n if given is None else given
    if CHECK_COPIES * n * per_input > total:
        most = total // (CHECK_COPIES * per_input) * given // n
        raise SpecError(f"{flag} {given:,}: {n:,} inputs of shape {shape} take {n * per_input / 1e9:,.1f} GB, and the "
                        f"check holds about {CHECK_COPIES} copies of them, more than this machine's "
                        f"{total / 1e9:,.1f} GB (accepted: {flag} at most {most:,} here)")  # fmt: skip


def choose_inputs(
    data: np.ndarray | None,
    precision: FixedPrecision,
    shape: tuple[int, ...],
    model: Any,
    *,
    n: int | None,
    default_n: int,
    seed: int,
) -> CheckInputs:
    """The check's inputs: ``n`` rows of ``data`` (all when ``n`` is None, a seeded sample when fewer), topped
    up with random grid inputs when ``n`` exceeds the data or there is none; plus the edge cases."""
    from codesign import compare

    parts, n_data, n_random = [], 0, 0
    if data is not None and len(data):
        data = np.asarray(data, dtype=np.float64).reshape((len(data),) + shape)
        if n is None or n >= len(data):
            parts.append(data)
            n_data = len(data)
            source = f"all {n_data} data inputs the build C-simulated"
        else:
            pick = np.sort(np.random.default_rng(seed).choice(len(data), size=n, replace=False))
            parts.append(data[pick])
            n_data = n
            source = f"{n} of the build's {len(data)} data inputs (sampled with seed {seed})"
        if n is not None and n > n_data:
            n_random = n - n_data
            source += f", plus {n_random} random inputs on the input grid"
    else:
        n_random = default_n if n is None else n
        source = f"{n_random} random inputs on the input grid {precision.to_hls()} (the build has no data)"
    if n_random:
        parts.append(compare.grid_inputs(precision, shape, n_random, seed=seed))
    x = np.concatenate(parts, axis=0)
    if not precision.on_grid(x):
        raise SpecError(
            f"the build's data inputs are not on the input grid {precision.to_hls()}; rebuild the project "
            "(codesign build snaps data to the grid)"
        )
    edge_x, labels = edge_cases(model, precision, shape, seed)
    return CheckInputs(x, n_data, n_random, source, edge_x, labels)


def choose_several(model: Any, ports: Any, *, n: int | None, default_n: int, seed: int, where: str) -> CheckInputs:
    """The check's inputs of firmware with several inputs (top-function ``ports``): ``n`` random inputs on each
    input's own grid (a build of such a model has no data), plus their edge cases
    (:mod:`codesign.firmware.several_inputs`)."""
    from codesign.firmware import several_inputs as several

    names = [p.name for p in ports]
    types = several.input_types(ports, model, where)
    shapes = several.input_shapes(model)
    n_random = default_n if n is None else n
    x = several.random_inputs(types, shapes, n_random, seed)
    source = (f"{n_random} random inputs on each input's grid ({several.describe_types(names, types)}; the build has "
              "no data)")  # fmt: skip
    edge_x, labels = several.edge_cases(model, names, types, shapes, seed, MAX_UNIT_CASES, N_RANDOM_EXTREMES)
    return CheckInputs(x, 0, n_random, source, edge_x, labels)
