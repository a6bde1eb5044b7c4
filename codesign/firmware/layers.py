"""Per-layer comparison of the firmware (hls4ml's trace) with the reference's per-layer outputs.

The reference side is one function, :func:`reference_layers`, so its source can change without touching
the comparison: it uses ``codesign.reference.forward_layers`` when that exists, else a float64 forward pass
over the model that keeps every layer's output, built on ``codesign.reference.forward``. Both give one
array per Keras layer (its output, activation included). hls4ml splits a layer's own activation into a
layer of its own named ``<layer>_<activation>``, so that name gets the activated output and the layer's
own name its output before the activation.

A traced layer agrees when its values equal the reference's, or equal the reference cast to the layer's
result type as the build configured it (the firmware rounds there by design, e.g. a Dense whose result
type is the next quantizer's). Layers with no reference counterpart are listed, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from codesign.errors import ReferenceUnavailableError, SpecError
from codesign.precision import FixedPrecision

LINEAR = ("linear", "", "None")


def _activation_name(layer: Any) -> str:
    """hls4ml's suffix for a layer's own activation: the Keras name or the QKeras quantizer's class."""
    a = getattr(layer, "activation", None)
    if a is None:
        return ""
    if hasattr(a, "get_config"):
        return type(a).__name__
    return str(getattr(a, "__name__", a))


def _walk_layers(model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """Float64 output of every layer (activation included), in the model's order; single-input graphs."""
    from codesign import reference

    if len(model.inputs) != 1:
        raise ReferenceUnavailableError(f"the per-layer reference takes single-input models; this one has {len(model.inputs)}")
    values: dict[str, np.ndarray] = {}
    first = None
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "InputLayer":
            values[layer.name] = np.asarray(x, dtype=np.float64).reshape((len(x),) + tuple(model.input_shape[1:]))
            first = layer.name
            continue
        nodes = layer.inbound_nodes
        ib = nodes[0].inbound_layers if nodes else []
        ins = list(ib) if isinstance(ib, (list, tuple)) else [ib]
        if len(ins) != 1:
            raise ReferenceUnavailableError(f"layer '{layer.name}' has {len(ins)} inputs; the per-layer reference takes one")
        src = values[ins[0].name] if ins and ins[0].name in values else values.get(first, np.asarray(x, np.float64))
        try:
            values[layer.name] = reference.forward(layer, src)
        except SpecError as exc:
            raise ReferenceUnavailableError(str(exc)) from None
    return values


def reference_layers(model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """Per-layer float64 reference outputs, keyed as hls4ml names the layers (see the module docstring)."""
    from codesign import reference

    source = getattr(reference, "forward_layers", None)
    keras_out = source(model, x) if source is not None else _walk_layers(model, x)
    out = dict(keras_out)
    by_name = {layer.name: layer for layer in model.layers}
    for name, value in keras_out.items():
        layer = by_name.get(name)
        act = _activation_name(layer) if layer is not None else ""
        if act in LINEAR or type(layer).__name__ in ("Activation", "QActivation", "ReLU"):
            continue
        nodes = layer.inbound_nodes
        ib = nodes[0].inbound_layers if nodes else []
        ins = list(ib) if isinstance(ib, (list, tuple)) else [ib]
        if len(ins) == 1 and ins[0].name in keras_out:
            out[f"{name}_{act}"] = value
            out[name] = reference.forward(layer, keras_out[ins[0].name], linear=True)
    return out


@dataclass(frozen=True)
class LayerVerdict:
    """One traced firmware layer against the reference."""

    name: str
    status: str  # "exact" | "rounded" (equal after the cast to its result type) | "differs" | "no counterpart"
    types: dict[str, str]  # role -> C++ type as the firmware defines it now (ap_fixed<W,I>)
    built_result: str | None  # the result type the build configured
    n_mismatch: int = 0
    n_samples: int = 0
    first: dict | None = None  # {sample, index, expected, got}

    def describe(self) -> str:
        """One line a person reads."""
        types = ", ".join(f"{k} {v}" for k, v in self.types.items())
        if self.status == "differs":
            f = self.first or {}
            changed = ""
            if self.built_result and self.types.get("result") and self.types["result"] != self.built_result:
                changed = f" (the build configured result {self.built_result})"
            return (f"layer '{self.name}' ({types}){changed}: {self.n_mismatch} of {self.n_samples} traced samples "
                    f"differ; first at sample {f.get('sample')} element {f.get('index')}: expected "
                    f"{f.get('expected')!r}, got {f.get('got')!r}")  # fmt: skip
        if self.status == "no counterpart":
            return f"layer '{self.name}' ({types}): no reference counterpart of that name (not compared)"
        extra = " after rounding to its result type" if self.status == "rounded" else ""
        return f"layer '{self.name}' ({types}): equal on {self.n_samples} traced samples{extra}"


def compare_layers(
    traced: dict[str, np.ndarray],
    order: tuple[str, ...],
    reference: dict[str, np.ndarray],
    types: dict[str, dict[str, str]],
    built_results: dict[str, FixedPrecision | None],
    sample_ids: np.ndarray,
) -> tuple[LayerVerdict, ...]:
    """Verdict for each traced layer in firmware order (``sample_ids``: the check-input index of each row)."""
    out = []
    for name in order:
        got = traced[name]
        n = len(got)
        built = built_results.get(name)
        built_text = built.to_hls() if built is not None else None
        if name not in reference:
            out.append(LayerVerdict(name, "no counterpart", types.get(name, {}), built_text, n_samples=n))
            continue
        got2 = got.reshape(n, -1)
        ref2 = np.asarray(reference[name], dtype=np.float64).reshape(n, -1)
        if got2.shape != ref2.shape:
            out.append(LayerVerdict(name, "differs", types.get(name, {}), built_text, n, n,
                                    {"sample": int(sample_ids[0]), "index": None, "expected": f"shape {ref2.shape[1:]}",
                                     "got": f"shape {got2.shape[1:]}"}))  # fmt: skip
            continue
        if np.array_equal(got2, ref2):
            out.append(LayerVerdict(name, "exact", types.get(name, {}), built_text, n_samples=n))
            continue
        cast = built.quantize(ref2) if built is not None and built.width <= 52 else ref2
        bad = ~((got2 == ref2) | (got2 == cast))
        rows = np.flatnonzero(bad.any(axis=1))
        if rows.size == 0:
            out.append(LayerVerdict(name, "rounded", types.get(name, {}), built_text, n_samples=n))
            continue
        i = int(rows[0])
        j = int(np.flatnonzero(bad[i])[0])
        first = {"sample": int(sample_ids[i]), "index": j, "expected": float(cast[i, j]), "got": float(got2[i, j])}
        out.append(LayerVerdict(name, "differs", types.get(name, {}), built_text, int(rows.size), n, first))
    return tuple(out)
