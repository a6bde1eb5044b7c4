"""Per-layer comparison of the firmware (hls4ml's trace) with the reference's per-layer outputs.

The reference side is a mapping from layer name to per-layer outputs, so its source can change without
touching the comparison: for a quantized model :func:`reference_layers` (``codesign.reference.forward_layers``
with hls4ml's names: a layer's own activation is split off as ``<layer>_<activation>``, the layer's own name
holding its output before the activation); for a float model the emulator's ``emulate_layers`` of the
firmware as the build configured it (hls4ml's layer names already).

A QDense/QConv1D/QConv2D whose kernel quantizer is ``quantized_bits`` with an ``alpha`` (QKeras stores
``'auto_po2'`` when it is left out) is two layers in hls4ml: the layer on the unscaled kernel, without its bias,
then the ApplyAlpha ``<layer>_alpha`` (the per-channel scale and the bias). The reference then holds the same two:
``<layer>`` the unscaled sum, ``<layer>_alpha`` the scaled sum plus bias (the model's pre-activation output), so
each is compared with its like.

A traced layer agrees when its values equal the reference's, or equal the reference cast to the layer's
result type as the build configured it (the firmware rounds there by design, e.g. a Dense whose result
type is the next quantizer's). Layers with no reference counterpart are listed, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from codesign.precision import FixedPrecision


def reference_layers(model: Any, x: np.ndarray, types: Any = None) -> dict[str, np.ndarray]:
    """Per-layer float64 reference outputs, keyed as hls4ml names the layers (see the module docstring)."""
    from codesign import reference
    from codesign.reference.layers import weights

    out = reference.forward_layers(model, x, types=types, split_activations=True)
    for layer in model.layers:
        scale = alpha_scale(layer)
        if scale is None or layer.name not in out:
            continue
        _, bias = weights(layer)
        scaled = out[layer.name]
        # scaled = sum * 2**e + bias exactly (the reference checks it), so the difference and the division are exact
        out[f"{layer.name}_alpha"] = scaled
        out[layer.name] = (scaled - (0.0 if bias is None else bias)) / scale
    return out


_ALPHA_LAYERS = ("QDense", "QConv1D", "QConv2D")  # the layers hls4ml 1.3's qkeras_factorize_alpha splits


def alpha_scale(layer: Any) -> np.ndarray | None:
    """QKeras' per-output-channel scale of a layer hls4ml splits into the layer and an ApplyAlpha (its kernel's
    ``quantized_bits`` has an alpha other than 1/None), float64; None for any other layer."""
    from codesign.reference.quantizers import quantizer_config

    q = getattr(layer, "kernel_quantizer_internal", None)
    if type(layer).__name__ not in _ALPHA_LAYERS or q is None:
        return None
    name, c = quantizer_config(q)
    if name != "quantized_bits" or c.get("alpha") in (None, 1, 1.0):
        return None
    import tensorflow as tf

    q(tf.constant(np.asarray(layer.get_weights()[0], dtype=np.float32)))  # QKeras sets its scale on a call
    return np.ravel(np.asarray(q.scale, dtype=np.float64))


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
    kind: str | None = None  # hls4ml's layer class (Dense, Activation, ...)

    def describe(self) -> str:
        """One line a person reads."""
        types = ", ".join(f"{k} {v}" for k, v in self.types.items()) + (f"; hls4ml {self.kind}" if self.kind else "")
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
    kinds: dict[str, str] | None = None,
) -> tuple[LayerVerdict, ...]:
    """Verdict for each traced layer in firmware order (``sample_ids``: the check-input index of each row;
    ``kinds``: hls4ml's class of each layer)."""
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
    return tuple(replace(v, kind=(kinds or {}).get(v.name)) for v in out)


def first_differing(verdicts: tuple[LayerVerdict, ...] | None) -> dict | None:
    """report.json's ``first_mismatch.layer``: the first traced layer (firmware order) whose output differs,
    its hls4ml class and types, and the reference vs firmware value where it first differs; None if none does."""
    verdicts = tuple(verdicts or ())
    for i, v in enumerate(verdicts):
        if v.status != "differs":
            continue
        f = v.first or {}
        return {
            "name": v.name, "hls4ml_class": v.kind, "types": dict(v.types), "built_result": v.built_result,
            "sample": f.get("sample"), "element": f.get("index"), "reference": f.get("expected"),
            "firmware": f.get("got"), "n_mismatch": v.n_mismatch, "n_traced": v.n_samples,
            # layers before it that equal the reference only once rounded to their result type: where a type set
            # too narrow shows first (the next layer's input is then off the reference)
            "rounded_before": [u.name for u in verdicts[:i] if u.status == "rounded"],
            "describe": v.describe(),
        }  # fmt: skip
    return None
