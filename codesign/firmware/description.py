"""A plain, frozen description of the firmware as configured: what the emulator runs and ``codesign check`` reads.

One :class:`LayerDesc` per layer of the converted hls4ml model (topological order): its hls4ml class, the
names of the tensors it reads, its output shape per sample, its types as :class:`FixedPrecision` value
objects (``result``, ``accum``, ``weight``, ``bias``, ``scale``, ``table``...), its weights as the integer
codes the firmware holds, and its scalar attributes. :func:`from_graph` reads an hls4ml ``ModelGraph``
handed over by :mod:`codesign.hls` (this module imports nothing from hls4ml); :meth:`save`/:meth:`load`
keep it next to the project (``codesign_firmware.npz``), so a project on disk can be emulated without hls4ml.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.firmware.fixed import EmulationError, from_float
from codesign.precision import FixedPrecision

FILE_NAME = "codesign_firmware.npz"
FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class LayerDesc:
    """One firmware layer: kind, input tensor names, output shape, types, weight codes and attributes."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    output: str
    shape: tuple[int, ...]
    types: dict[str, FixedPrecision | None]
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)

    def type(self, key: str) -> FixedPrecision:
        """The layer's ``key`` type (e.g. ``result``); a clear error when it is missing or not fixed-point."""
        p = self.types.get(key)
        if p is None:
            raise EmulationError(
                f"layer '{self.name}' ({self.kind}): its {key} type is missing or not ap_fixed/ap_int "
                f"({self.attrs.get('raw_types', {}).get(key, 'absent')}); the emulator needs fixed-point types"
            )
        return p

    def all_outputs(self) -> tuple[str, ...]:
        """Every tensor the layer writes (an io_stream Clone writes one copy per reader)."""
        return tuple(self.attrs.get("outputs") or (self.output,))

    def types_hls(self) -> dict[str, str | None]:
        """The layer's types as C++ strings (``None`` for a type that is not fixed-point)."""
        return {k: (p.to_hls() if p is not None else None) for k, p in self.types.items()}


@dataclass(frozen=True, eq=False)
class FirmwareDescription:
    """The whole firmware: layers in order, the input and output tensor names, io type and strategy."""

    layers: tuple[LayerDesc, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    io_type: str = "io_parallel"

    def layer(self, name: str) -> LayerDesc:
        """The layer called ``name`` (its output tensor has the same name for hls4ml layers)."""
        for lyr in self.layers:
            if lyr.name == name or name in lyr.all_outputs():
                return lyr
        raise SpecError(f"no layer '{name}' in the firmware (layers: {', '.join(x.name for x in self.layers)})")

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> Path:
        """Write to ``path`` (an ``.npz`` holding the weight codes and a JSON header), atomically."""
        path = Path(path)
        meta = {
            "format": FORMAT_VERSION,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "io_type": self.io_type,
            "layers": [
                {
                    "name": lyr.name,
                    "kind": lyr.kind,
                    "inputs": list(lyr.inputs),
                    "output": lyr.output,
                    "shape": list(lyr.shape),
                    "types": lyr.types_hls(),
                    "weights": sorted(lyr.weights),
                    "attrs": lyr.attrs,
                }
                for lyr in self.layers
            ],
        }
        arrays = {f"{i}/{k}": w for i, lyr in enumerate(self.layers) for k, w in lyr.weights.items()}
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, __meta__=np.array(json.dumps(meta)), **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> FirmwareDescription:
        """Read a description written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise SpecError(f"{path}: no firmware description (written by codesign's conversion since the emulator)")
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["__meta__"]))
                arrays = {k: z[k] for k in z.files if k != "__meta__"}
        except (OSError, ValueError, KeyError) as exc:
            raise SpecError(f"{path}: not a readable firmware description ({exc}); convert the model again") from exc
        if meta.get("format") != FORMAT_VERSION:
            raise SpecError(f"{path}: firmware description format {meta.get('format')} (this codesign reads {FORMAT_VERSION})")
        layers = []
        for i, d in enumerate(meta["layers"]):
            layers.append(
                LayerDesc(
                    name=d["name"],
                    kind=d["kind"],
                    inputs=tuple(d["inputs"]),
                    output=d["output"],
                    shape=tuple(d["shape"]),
                    types={k: (FixedPrecision.parse(v) if v else None) for k, v in d["types"].items()},
                    weights={k: arrays[f"{i}/{k}"] for k in d["weights"]},
                    attrs=d["attrs"],
                )
            )
        return cls(tuple(layers), tuple(meta["inputs"]), tuple(meta["outputs"]), meta.get("io_type", "io_parallel"))


# ---------------------------------------------------------------------------------------------- from hls4ml
def _precision(p: Any) -> FixedPrecision | None:
    try:
        return FixedPrecision.parse(str(p))
    except SpecError:
        return None


def _jsonable(v: Any) -> Any:
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (np.integer, np.floating, np.bool_)):
        return v.item()
    if isinstance(v, (list, tuple)) and all(isinstance(e, (bool, int, float, str, np.integer, np.floating)) for e in v):
        return [e.item() if hasattr(e, "item") else e for e in v]
    if hasattr(v, "name") and type(v).__name__.endswith("Enum"):
        return str(v.name)
    return None


def _weight_codes(var: Any, prec: FixedPrecision | None, where: str) -> np.ndarray:
    """The codes the firmware holds: hls4ml prints each weight as text, the C++ reads it as a double and casts it."""
    if prec is None:
        raise EmulationError(f"{where}: weight type {var.type.precision} is not ap_fixed/ap_int")
    bases = {c.__name__ for c in type(var.type.precision).__mro__}
    if not bases & {"FixedPrecisionType", "IntegerPrecisionType"} or bases & {"ExponentPrecisionType", "XnorPrecisionType"}:
        # binary/power-of-two weights use other product kernels (and po2 ones are written as {sign, exponent})
        raise EmulationError(f"{where}: weight type {type(var.type.precision).__name__} is not ap_fixed/ap_int")
    try:
        values = np.array([float(s) for s in var], dtype=np.float64).reshape(var.data.shape)
    except ValueError:  # e.g. power-of-two weights, which hls4ml writes as {sign, exponent} pairs
        raise EmulationError(f"{where}: weights of type {var.type.precision} are not written as plain numbers; "
                             "the emulator does not run them") from None  # fmt: skip
    return from_float(values, prec)


def from_graph(graph: Any) -> FirmwareDescription:
    """Describe a converted hls4ml ``ModelGraph`` (duck-typed: layers, types, weights, attributes)."""
    layers = []
    for layer in graph.get_layers():
        raw_types = {k.removesuffix("_t"): str(t.precision) for k, t in layer.types.items()}
        types = {k: _precision(v) for k, v in raw_types.items()}
        attrs: dict[str, Any] = {}
        for k, v in layer.attributes.items():
            j = _jsonable(v)
            if j is not None and k not in ("trace", "reuse_factor_expr"):
                attrs[k] = j
        attrs["raw_types"] = raw_types
        weights = {}
        for wname, var in layer.weights.items():
            try:
                weights[wname] = _weight_codes(var, _precision(var.type.precision), f"layer '{layer.name}' {wname}")
                types.setdefault(wname, _precision(var.type.precision))
            except (EmulationError, SpecError) as exc:
                attrs.setdefault("unsupported", str(exc))
        out = layer.get_output_variable()
        if len(layer.outputs) > 1:
            attrs["outputs"] = [str(o) for o in layer.outputs]
        layers.append(
            LayerDesc(
                name=layer.name,
                kind=layer.class_name,
                inputs=tuple(layer.inputs),
                output=layer.outputs[0],
                shape=tuple(int(s) for s in out.shape),
                types=types,
                weights=weights,
                attrs=attrs,
            )
        )
    io_type = str(graph.config.get_config_value("IOType") or "io_parallel")
    return FirmwareDescription(tuple(layers), tuple(graph.inputs), tuple(graph.outputs), io_type)
