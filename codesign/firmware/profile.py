"""Overflow profiling: per layer, the values the firmware's types must hold on given inputs, against their range.

For each layer the emulator supplies the layer's real inputs (as the firmware computes them); the values
before each cast are then formed in float64: a dense/conv layer's exact sums (``accum``: what ``accum_t``
must hold) and its accumulator after ``accum_t`` (``result``: what the cast to ``result_t`` receives), an
activation's input, a pooling layer's sum and mean, a BatchNorm's ``x * scale + bias``. Each row counts the
values outside the type's range (an overflow: saturated or wrapped in the firmware) and suggests the
narrowest type with the same fractional bits, sign and modes that holds the observed range.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.firmware import graph_kernels, pooling
from codesign.firmware.description import FirmwareDescription, LayerDesc
from codesign.firmware.emulator import Tensor, conv1d_windows, run
from codesign.firmware.fixed import EmulationError, to_float
from codesign.firmware.kernels import conv2d_windows
from codesign.firmware.resource import dense_weights
from codesign.precision import FixedPrecision, Overflow


@dataclass(frozen=True)
class RangeRow:
    """One quantity of one layer: its type, the observed range, the overflow count, a suggested type."""

    layer: str
    kind: str
    quantity: str
    type: str
    type_min: float
    type_max: float
    observed_min: float
    observed_max: float
    n_values: int
    n_overflow: int
    suggested: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for report.json."""
        return asdict(self)


def suggest(p: FixedPrecision, lo: float, hi: float) -> FixedPrecision:
    """The narrowest type with ``p``'s fractional bits, sign and modes whose range holds [lo, hi]."""
    f = p.fractional
    need = max(abs(lo), hi + p.lsb) if p.signed else hi + p.lsb
    if need <= 0:
        integer = 1 - f if p.signed else -f + 1
    else:
        integer = math.ceil(math.log2(need)) + (1 if p.signed else 0)
        if p.signed and -(2.0 ** (integer - 1)) > lo:
            integer += 1
    integer = max(integer, 1 - f)  # width >= 1
    return replace(p, width=integer + f, integer=integer)


def _row(layer: LayerDesc, quantity: str, p: FixedPrecision, v: np.ndarray) -> RangeRow:
    v = np.asarray(v, dtype=np.float64)
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    over = int(np.count_nonzero((v < p.min_value) | (v > p.max_value)))
    return RangeRow(
        layer.name, layer.kind, quantity, p.to_hls(), p.min_value, p.max_value, lo, hi, int(v.size), over,
        suggest(p, lo, hi).to_hls(),
    )  # fmt: skip


def _values(t: Tensor) -> np.ndarray:
    return to_float(t.codes, t.prec)


def _dense_rows(layer: LayerDesc, x: np.ndarray) -> list[RangeRow]:
    w = to_float(dense_weights(layer), layer.type("weight"))  # (n_in, n_out) whatever the strategy's layout
    b = to_float(layer.weights["bias"], layer.type("bias")) if "bias" in layer.weights else 0.0
    sums = x @ w + b
    ap = layer.type("accum")
    try:
        after = ap.quantize(sums)  # accum_t's overflow applied to the exact sum
    except SpecError:  # wider than float64 can emulate: only the exact sums are profiled
        return [_row(layer, "accum", ap, sums)]
    return [_row(layer, "accum", ap, sums), _row(layer, "result", layer.type("result"), after)]


def layer_rows(layer: LayerDesc, ins: list[Tensor]) -> list[RangeRow]:
    """Rows for one layer given its input tensors (empty for layers without a cast that can overflow)."""
    kind = layer.kind
    if kind == "Dense":
        x = _values(ins[0])
        return _dense_rows(layer, x.reshape(x.shape[0], -1))
    if kind in ("Conv1D", "PointwiseConv1D"):
        return _dense_rows(layer, conv1d_windows(layer, _values(ins[0])))
    if kind in ("Activation", "ReLU"):
        act = str(layer.attrs.get("activation", "")).lower()
        x = _values(ins[0])
        if act == "relu":
            return [_row(layer, "result", layer.type("result"), np.maximum(x, 0))]
        if act == "linear":
            return [_row(layer, "result", layer.type("result"), x)]
        return []  # table activations: the table's entries are the output
    if kind in ("Conv2D", "PointwiseConv2D"):
        return _dense_rows(layer, conv2d_windows(layer, _values(ins[0])))
    if kind in pooling.KINDS:
        cells, length = pooling.windows(layer, ins[0])
        x = to_float(cells, ins[0].prec)
        if str(layer.attrs.get("pool_op", "")).lower() == "average":
            s = x.sum(axis=-1)
            return [_row(layer, "accum", layer.type("accum"), s),
                    _row(layer, "result", layer.type("result"), s / length)]  # fmt: skip
        return [_row(layer, "result", layer.type("result"), x.max(axis=-1))]
    if kind == "BatchNormalization":
        x = _values(ins[0])
        s = to_float(layer.weights["scale"], layer.type("scale")).ravel()
        b = to_float(layer.weights["bias"], layer.type("bias")).ravel()
        flat = x.reshape(x.shape[0], -1)
        reps = flat.shape[1] // s.size
        return [_row(layer, "result", layer.type("result"), flat * np.tile(s, reps) + np.tile(b, reps))]
    if kind == "Merge":
        a, b = (_values(t) for t in ins)
        op = str(layer.attrs.get("op", "")).lower()
        fn = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "maximum": np.maximum,
              "minimum": np.minimum, "average": lambda u, v: (u + v) / 2}.get(op)  # fmt: skip
        return [_row(layer, "result", layer.type("result"), fn(a, b))] if fn else []
    if kind == "HAnomalyScore":
        from codesign.firmware.score_kernel import range_inputs

        return [_row(layer, q, p, v) for q, (p, v) in range_inputs(layer, ins).items()]
    if kind in graph_kernels.KINDS:
        return [_row(layer, "result", layer.type("result"), graph_kernels.exact_values(layer, ins))]
    if kind in ("Concatenate", "Transpose"):
        return [_row(layer, "result", layer.type("result"), np.concatenate([_values(t).ravel() for t in ins]))]
    return []


def profile(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> list[RangeRow]:
    """Range rows of every layer on inputs ``x``, in layer order (raises EmulationError like the emulator)."""
    tensors = run(desc, x)
    by_output = {out: t for name, t in tensors.items() for out in desc.layer(name).all_outputs()}
    rows: list[RangeRow] = []
    for layer in desc.layers:
        if layer.kind == "Input":
            continue
        rows += layer_rows(layer, [by_output[i] for i in layer.inputs])
    return rows


def overflow_report(desc: FirmwareDescription | None, x: Any, inputs: str) -> dict[str, Any]:
    """report.json's ``overflow`` entry: the rows, which inputs they were measured on, and the layers that
    overflow; ``{available: false, reason}`` when the emulator cannot run the firmware."""
    if desc is None:
        return {"available": False, "reason": "no firmware description"}
    try:
        rows = profile(desc, x)
    except EmulationError as exc:
        return {"available": False, "reason": str(exc)}
    overflowing = sorted({f"{r.layer} ({r.quantity})" for r in rows if r.n_overflow})
    details = [detail(r) for r in rows if r.n_overflow]
    return {"inputs": inputs, "rows": [r.to_dict() for r in rows], "overflowing": overflowing, "details": details}


# what the firmware does with a value outside its type, by the type's overflow mode
_BEHAVIOUR = {
    Overflow.WRAP: "wrapped (wrong by a multiple of the type's range)",
    Overflow.SAT: "saturated (clipped to the type's limit)",
    Overflow.SAT_SYM: "saturated (clipped to the type's symmetric limit)",
    Overflow.SAT_ZERO: "set to zero",
}


def detail(r: RangeRow) -> str:
    """One overflowing quantity in words: how many values, what the firmware does with them, the type that holds
    them. A saturating activation result is a clip: what a QKeras quantized activation (e.g. ``quantized_relu(9)``'s
    cap at 1) does too, so the firmware is right; for a float model it is where the firmware departs from it."""
    mode = FixedPrecision.parse(r.type).overflow
    share = f"{r.n_overflow:,} of {r.n_values:,} values ({100.0 * r.n_overflow / max(r.n_values, 1):.3g} %)"
    return f"{r.layer} ({r.quantity}): {share} {_BEHAVIOUR[mode]}; {r.suggested} would hold them"
