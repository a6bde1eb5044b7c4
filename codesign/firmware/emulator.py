"""Bit-exact fixed-point emulator of hls4ml io_parallel and io_stream firmware, vectorised over samples.

It runs a :class:`~codesign.firmware.description.FirmwareDescription` (the firmware as configured) and
reproduces what the C++ kernels of hls4ml 1.3 compute: the dense arithmetic is in :mod:`.dense`, one kernel
per layer kind in :mod:`.kernels`, the value type in :mod:`.tensor`; casts quantize with the target's
rounding mode, then apply its overflow mode (:mod:`.fixed`). This module checks the description and the
inputs and runs the layers in order, in blocks of samples.

A layer kind or setting the emulator does not reproduce raises :class:`EmulationError` naming the layer.

Public API: :func:`emulate` (outputs) and :func:`emulate_layers` (every layer's output, for a trace).
"""

from __future__ import annotations

import numpy as np

from codesign.firmware.dense import dense_codes
from codesign.firmware.description import FirmwareDescription
from codesign.firmware.fixed import EmulationError, from_float
from codesign.firmware.kernels import KERNELS, STREAM_ACTIVATIONS, STREAM_KERNELS, conv1d_windows
from codesign.firmware.tensor import Tensor

__all__ = ["KERNELS", "STREAM_KERNELS", "CHUNK_ROWS", "EmulationError", "Tensor", "conv1d_windows", "dense_codes", "emulate",
           "emulate_layers", "kernels", "run"]  # fmt: skip

CHUNK_ROWS = 8192  # samples per block through the whole network


def _inputs(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> list[np.ndarray]:
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(xs) != len(desc.inputs):
        raise EmulationError(f"the firmware has {len(desc.inputs)} input(s), got {len(xs)} array(s)")
    out = []
    for name, a in zip(desc.inputs, xs, strict=True):
        layer = desc.layer(name)
        a = np.asarray(a, dtype=np.float64)
        n = a.shape[0]
        if a.reshape(n, -1).shape[1] != int(np.prod(layer.shape)):
            raise EmulationError(
                f"input '{name}' takes {int(np.prod(layer.shape))} values per sample, got {a.shape[1:]}"
            )
        if n != xs[0].shape[0]:
            raise EmulationError(f"input '{name}' has {n} samples, the first input {xs[0].shape[0]}")
        out.append(a.reshape(n, *layer.shape))
    return out


def kernels(desc: FirmwareDescription) -> dict:
    """The kernel of each layer kind for the firmware's io type."""
    if desc.io_type == "io_parallel":
        return KERNELS
    if desc.io_type == "io_stream":
        return STREAM_KERNELS
    raise EmulationError(f"io_type '{desc.io_type}' is not emulated (accepted: io_parallel, io_stream)")


def _check(desc: FirmwareDescription) -> None:
    known = kernels(desc)
    for layer in desc.layers:
        if layer.kind == "Input":
            continue
        if "unsupported" in layer.attrs:
            raise EmulationError(f"layer '{layer.name}' ({layer.kind}): {layer.attrs['unsupported']}")
        if layer.kind not in known:
            where = " in io_stream" if desc.io_type == "io_stream" and layer.kind in KERNELS else ""
            raise EmulationError(
                f"layer '{layer.name}' is an hls4ml {layer.kind}, which the emulator does not know{where} "
                f"(accepted{where}: {', '.join(sorted(known))})"
            )
        act = str(layer.attrs.get("activation", "")).lower()
        if desc.io_type == "io_stream" and layer.kind == "Activation" and act not in STREAM_ACTIVATIONS:
            raise EmulationError(
                f"layer '{layer.name}': activation '{act}' in io_stream is not emulated "
                f"(accepted in io_stream: {', '.join(STREAM_ACTIVATIONS)})"
            )


def _run_rows(desc: FirmwareDescription, xs: list[np.ndarray]) -> dict[str, Tensor]:
    known = kernels(desc)
    values: dict[str, Tensor] = {}
    by_layer: dict[str, Tensor] = {}
    for name, a in zip(desc.inputs, xs, strict=True):
        layer = desc.layer(name)
        p = layer.type("result")
        values[layer.output] = by_layer[layer.name] = Tensor(from_float(a, p), p)
    for layer in desc.layers:
        if layer.kind == "Input":
            continue
        try:
            ins = [values[i] for i in layer.inputs]
        except KeyError as exc:
            raise EmulationError(f"layer '{layer.name}' reads {exc}, which no earlier layer produced") from None
        by_layer[layer.name] = known[layer.kind](layer, ins)
        for name in layer.all_outputs():
            values[name] = by_layer[layer.name]
    return by_layer


def run(
    desc: FirmwareDescription, x: np.ndarray | list[np.ndarray], *, keep: set[str] | None = None
) -> dict[str, Tensor]:
    """Every layer's output tensor (codes and type), keyed by layer name, inputs included (or only ``keep``).

    Samples go through in blocks of :data:`CHUNK_ROWS`, so each pass over an intermediate array stays in cache.
    """
    _check(desc)
    xs = _inputs(desc, x)
    n = xs[0].shape[0]
    parts: dict[str, list[Tensor]] = {}
    for s in range(0, max(n, 1), CHUNK_ROWS):
        for name, t in _run_rows(desc, [a[s : s + CHUNK_ROWS] for a in xs]).items():
            if keep is None or name in keep:
                parts.setdefault(name, []).append(t)
    return {
        name: ts[0] if len(ts) == 1 else Tensor(np.concatenate([t.codes for t in ts]), ts[0].prec)
        for name, ts in parts.items()
    }


def emulate_layers(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> dict[str, np.ndarray]:
    """Every layer's output as float64 values of shape (n, *layer shape), keyed by layer name."""
    return {name: t.values() for name, t in run(desc, x).items()}


def emulate(desc: FirmwareDescription, x: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """The firmware's outputs on float64 inputs ``x``: one (n, size) array, or a list for several outputs."""
    out_layers = [desc.layer(name) for name in desc.outputs]
    values = run(desc, x, keep={lyr.name for lyr in out_layers})
    outs = [values[lyr.name].values().reshape(values[lyr.name].codes.shape[0], -1) for lyr in out_layers]
    return outs if len(outs) > 1 else outs[0]
