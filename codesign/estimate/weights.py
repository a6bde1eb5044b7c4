"""Read the weight values hls4ml writes (``firmware/weights/w<N>.h``) and count the products they make.

A product with a constant weight of 0 disappears (hls4ml already counts those: ``n_zeros``); one with a weight
of +-2^k is a shift, which HLS never puts on a DSP slice nor counts against an ``ALLOCATION`` limit on ``mul``.
The rest stay true multiplications. Records of the calibration set carry no weight values (only the zero
counts), so this count is used in project mode only.
"""

from __future__ import annotations

import re
from pathlib import Path

from codesign.errors import DataError
from codesign.firmware.files import PO2_PAIR, po2_value
from codesign.precision import is_power_of_two

_INIT = re.compile(r"=\s*\{([^{}]*)\}\s*;", re.S)
# quantized_po2 weights (hls4ml's ExponentWeightVariable): ``exponent_weight2_t w2[N] = {{1.0, -3}, {0.0, 0}, ...};``
# each entry is {sign, log2|w|} with sign 1 for w >= 0 and 0 for w < 0
_INIT_PAIRS = re.compile(r"=\s*\{((?:\s*\{[^{}]*\}\s*,?)*)\s*\}\s*;", re.S)


def parse_values(path: Path) -> list[float]:
    """The values of the array initializer in an hls4ml weights header (``weight2_t w2[N] = {...};``; power-of-two
    weights as ``{sign, exponent}`` pairs)."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as exc:
        raise DataError(f"cannot read weights header {path}: {exc}") from None
    m = _INIT.search(text)
    pairs = _INIT_PAIRS.search(text) if not m else None
    if pairs:
        try:
            return [po2_value(sg, e) for sg, e in PO2_PAIR.findall(pairs.group(1))]
        except ValueError as exc:
            raise DataError(f"{path}: a power-of-two weight is not a {{sign, exponent}} pair of numbers ({exc})") from None
    if not m:
        raise DataError(f"{path}: no '= {{...}};' array initializer (not an hls4ml weights header)")
    try:
        return [float(v) for v in m.group(1).replace("\n", " ").split(",") if v.strip()]
    except ValueError as exc:
        raise DataError(f"{path}: a weight value is not a number ({exc})") from None


#: True for +-2^k (any integer k): a product with it is a shift, not a multiplication
is_shift = is_power_of_two


def count_products(values: list[float]) -> dict[str, int]:
    """``n_weights``, ``n_zeros``, ``n_shift`` (+-2^k) and ``n_mult`` (the true multiplications) of a layer."""
    zeros = sum(v == 0 for v in values)
    shifts = sum(is_shift(v) for v in values)
    return {"n_weights": len(values), "n_zeros": zeros, "n_shift": shifts, "n_mult": len(values) - zeros - shifts}


def layer_weight_counts(firmware: Path, config: str) -> dict[str, int] | None:
    """The product counts of the layer whose config struct is ``config<N>`` (weights in ``weights/w<N>.h``)."""
    m = re.fullmatch(r"config(\d+)", config)
    if not m:
        return None
    path = Path(firmware) / "weights" / f"w{m.group(1)}.h"
    return count_products(parse_values(path)) if path.exists() else None
