"""The one module that imports hls4ml: Keras/QKeras model -> hls4ml project whose firmware is bit-exact.

Precisions are not guessed: hls4ml's ``granularity="name"`` configuration already reads every QKeras
quantizer, and this module fixes what hls4ml 1.3 gets wrong or leaves ambiguous, recording each change in
:attr:`HlsProject.notes`:

- a final softmax is removed before conversion, so the firmware's output is the pre-softmax logits that
  the bit-accuracy check compares (the LUT softmax is not needed for an argmax trigger), unless a user's
  hls4ml config has a LayerName entry for it: then it stays, with the user's table types, and the check
  compares its outputs with :mod:`codesign.softmax_twin` (hls4ml's table computation redone in numpy);
- a ``QActivation(quantized_bits)`` that follows an ``auto``-precision layer is dropped by hls4ml's
  linear-activation optimizer without its quantizer: its type is copied onto the producer and its
  ``_linear`` layer;
- the input type is the given input precision (data must be snapped to its grid);
- pruning wrappers are stripped and the model is rebuilt from its config with copied weights
  (``strip_pruning`` output cannot be sliced).

codesign's own hls4ml extension layers (:mod:`codesign.hls_ext`, e.g. the interaction network's edge layers)
are registered with hls4ml when this module is imported.

Next to each project it writes the firmware description (``codesign_firmware.npz``, :mod:`codesign.firmware`):
every layer's types and weight codes as configured, which the fixed-point emulator runs without hls4ml.

The compiled library is built by running the project's ``build_lib.sh`` through :mod:`codesign.tools`
(checked exit code, log, timeout) instead of hls4ml's unchecked ``compile``; ``predict`` runs in a thread
with a large stack because unrolled weights live on the stack in C-simulation. :func:`build_trace` compiles
a copy of a written project's firmware with hls4ml's per-layer trace for ``codesign check --trace``.
"""

from __future__ import annotations

import ctypes
import json
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from codesign import exact_types, hgq, keras_env, model_safety, modelio, safe_names
from codesign.errors import ConversionError, SpecError, ToolError
from codesign.firmware import description as fw_description
from codesign.precision import FixedPrecision
from codesign.spec import HLS4ML_CONFIG_KEYS as CONFIG_KEYS
from codesign.spec import HLS4ML_LEGACY_KEYS as LEGACY_KEYS
from codesign.tools import run as run_tool

keras_env.setup()

import hls4ml  # noqa: E402  (keras_env.setup must run first)

from codesign import hls_ext  # noqa: E402  (registers codesign's extension layers with hls4ml)

hls_ext.register_all()

load_keras_model = modelio.load_model  # the loader users of this module know; it lives in modelio

BACKENDS = ("Vivado", "Vitis")
IO_TYPES = ("io_parallel", "io_stream")
STRATEGIES = ("Latency", "Resource")
DEFAULT_INPUT_PRECISION = FixedPrecision.parse("ap_fixed<16,6>")
IO_SIDECAR = "codesign_io.json"
PREDICT_STACK_BYTES = 1 << 30  # unrolled weights are stack arrays in C-simulation


def on_big_stack(fn: Any, name: str) -> Any:
    """``fn()`` in a thread with a 1 GiB stack (hls4ml's compiled library keeps unrolled weights on the stack);
    its exception is re-raised here."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["out"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["err"] = exc

    old = threading.stack_size()
    threading.stack_size(PREDICT_STACK_BYTES)
    try:
        t = threading.Thread(target=work, name=name)
        t.start()
    finally:
        threading.stack_size(old)
    t.join()
    if "err" in box:
        raise box["err"]
    return box["out"]
COMPILE_TIMEOUT_S = 1800.0

# Keys of a plain hls4ml YAML config that codesign understands (hls4ml's own names).
HLS_CONFIG_KEYS = ("Model", "LayerType", "LayerName")
MODEL_KEYS = ("Precision", "ReuseFactor", "Strategy", "BramFactor", "TraceOutput")


def _pcheck(value: str, accepted: tuple[str, ...], what: str) -> str:
    for a in accepted:
        if str(value).lower() == a.lower():
            return a
    raise SpecError(f"{what} '{value}' is not supported (accepted: {', '.join(accepted)})")


@dataclass(frozen=True)
class TopPort:
    """One argument of the generated top function, as the testbench must declare and fill it."""

    name: str
    type_name: str
    size: int
    definition: str
    precision: FixedPrecision | None


@dataclass(frozen=True, eq=False)
class HlsProject:
    """A written hls4ml project: where it is, its types, the config as written, and what codesign adjusted."""

    path: Path
    project_name: str
    backend: str
    io_type: str
    part: str
    clock_ns: float
    input_precision: FixedPrecision | None
    output_precision: FixedPrecision | None
    layer_precisions: dict[str, dict[str, FixedPrecision]]
    config: dict[str, Any]
    notes: tuple[str, ...]
    inputs: tuple[TopPort, ...]
    outputs: tuple[TopPort, ...]
    keras_model: Any = field(default=None, repr=False)
    final_softmax: dict | None = None  # softmax_twin.SoftmaxConfig.to_dict() when the firmware ends in a softmax
    _graph: Any = field(default=None, repr=False)
    _state: dict = field(default_factory=dict, repr=False)

    @property
    def softmax_removed(self) -> bool:
        """True when codesign left a final softmax out of the firmware (its outputs are then logits)."""
        return any(n.startswith(("final softmax layer '", "softmax activation of final layer '")) for n in self.notes)

    @property
    def n_inputs(self) -> int:
        """Number of input values per sample (all inputs flattened)."""
        return sum(p.size for p in self.inputs)

    @property
    def n_outputs(self) -> int:
        """Number of output values per sample (all outputs flattened)."""
        return sum(p.size for p in self.outputs)

    def compile(self) -> Path:
        """Build the ctypes library with the project's build_lib.sh (checked, logged) and load it."""
        if self._graph is None:
            raise ToolError(f"{self.path}: this project was loaded from disk; convert it again to compile it")
        if "lib" in self._state:
            return self._state["lib"]
        graph = self._graph
        stamp = graph.config.get_config_value("Stamp")
        run_tool(
            ["bash", "build_lib.sh"],
            cwd=self.path,
            log=self.path / "logs" / "build_lib.log",
            timeout_s=COMPILE_TIMEOUT_S,
        )
        lib = self.path / "firmware" / f"{self.project_name}-{stamp}.so"
        if not lib.exists():
            raise ToolError(f"build_lib.sh finished but {lib} is missing; log: {self.path / 'logs/build_lib.log'}")
        graph._top_function_lib = ctypes.cdll.LoadLibrary(str(lib))
        self._state["lib"] = lib
        return lib

    def predict(self, x: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
        """Run hls4ml's compiled C-simulation on float64 inputs; returns float64 (one array per output)."""
        if "lib" not in self._state:
            self.compile()
        xs = x if isinstance(x, (list, tuple)) else [x]
        xs = [np.ascontiguousarray(np.asarray(a, dtype=np.float64)) for a in xs]
        n = xs[0].shape[0]
        xs = [a.reshape(n, -1) for a in xs]
        arg = xs if len(xs) > 1 else xs[0]
        y = on_big_stack(lambda: self._graph.predict(arg), "hls4ml-predict")
        ys = y if isinstance(y, list) else [y]
        ys = [np.asarray(a, dtype=np.float64).reshape(n, -1) for a in ys]
        return ys if len(self.outputs) > 1 else ys[0]

    def firmware_description(self) -> fw_description.FirmwareDescription:
        """The firmware as configured (layers, types, weight codes), written next to the project at conversion."""
        return fw_description.FirmwareDescription.load(self.path / fw_description.FILE_NAME)

    def summary(self) -> dict[str, Any]:
        """JSON-able description: types as C++ strings, notes, ports."""
        return {
            "path": str(self.path),
            "project_name": self.project_name,
            "backend": self.backend,
            "io_type": self.io_type,
            "part": self.part,
            "clock_ns": self.clock_ns,
            "input_precision": self.input_precision.to_hls() if self.input_precision else None,
            "output_precision": self.output_precision.to_hls() if self.output_precision else None,
            "layer_precisions": {
                ln: {k: p.to_hls() for k, p in types.items()} for ln, types in self.layer_precisions.items()
            },
            "notes": list(self.notes),
            "inputs": [_port_dict(p) for p in self.inputs],
            "outputs": [_port_dict(p) for p in self.outputs],
            "final_softmax": self.final_softmax,
        }

    @classmethod
    def load(cls, path: Path) -> HlsProject:
        """Re-open a project written by :func:`convert` (no ctypes predict; C-simulation via csim works)."""
        path = Path(path)
        side = path / IO_SIDECAR
        if not side.exists():
            raise SpecError(f"{path} is not a project written by codesign (missing {IO_SIDECAR})")
        d = json.loads(side.read_text())

        def prec(s: str | None) -> FixedPrecision | None:
            return FixedPrecision.parse(s) if s else None

        return cls(
            path=path,
            project_name=d["project_name"],
            backend=d["backend"],
            io_type=d["io_type"],
            part=d["part"],
            clock_ns=float(d["clock_ns"]),
            input_precision=prec(d["input_precision"]),
            output_precision=prec(d["output_precision"]),
            layer_precisions={
                ln: {k: FixedPrecision.parse(v) for k, v in t.items()} for ln, t in d["layer_precisions"].items()
            },
            config=_read_written_config(path),
            notes=tuple(d["notes"]),
            inputs=tuple(_port_from(p) for p in d["inputs"]),
            outputs=tuple(_port_from(p) for p in d["outputs"]),
            final_softmax=d.get("final_softmax"),
        )


def _port_dict(p: TopPort) -> dict[str, Any]:
    return {
        "name": p.name,
        "type_name": p.type_name,
        "size": p.size,
        "definition": p.definition,
        "precision": p.precision.to_hls() if p.precision else None,
    }


def _port_from(d: dict[str, Any]) -> TopPort:
    return TopPort(
        d["name"],
        d["type_name"],
        int(d["size"]),
        d["definition"],
        FixedPrecision.parse(d["precision"]) if d["precision"] else None,
    )


# ---------------------------------------------------------------------------------------------- model loading
def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------- model preparation
def _layer_class(layer: Any) -> str:
    return type(layer).__name__


def _clone(model: Any, final_linear: str | None = None) -> Any:
    """Fresh copy of ``model`` with copied weights (optionally one layer's activation made linear).

    Layer by layer through ``clone_model``: rebuilding the whole model from its JSON config fails for
    ``QActivation(quantizer_object)`` (its config holds the object, which JSON turns into a dict that
    QActivation does not deserialize), and pruning-stripped models cannot be sliced directly.
    """
    keras = keras_env.keras()

    def clone_layer(layer: Any) -> Any:
        cfg = layer.get_config()
        if layer.name == final_linear:
            cfg["activation"] = "linear"
        return layer.__class__.from_config(cfg)

    new = keras.models.clone_model(model, clone_function=clone_layer)
    for layer in new.layers:
        try:
            src = model.get_layer(layer.name)
        except ValueError:
            continue
        if src.get_weights():
            layer.set_weights(src.get_weights())
    return new


def _strip_pruning(model: Any, notes: list[str]) -> Any:
    if not any(_layer_class(lyr) == "PruneLowMagnitude" for lyr in model.layers):
        return model
    import tensorflow_model_optimization as tfmot

    stripped = tfmot.sparsity.keras.strip_pruning(model)
    notes.append("pruning wrappers stripped (tfmot.strip_pruning) before conversion")
    return stripped


def _is_softmax_layer(layer: Any) -> bool:
    cls = _layer_class(layer)
    if cls == "Softmax":
        return True
    if cls in ("Activation", "QActivation"):
        act = layer.get_config().get("activation")
        return str(act) == "softmax"
    return False


def _strip_final_softmax(model: Any, notes: list[str]) -> Any:
    """Remove a softmax at a single-output model's end so the firmware outputs logits."""
    keras = keras_env.keras()
    if len(model.outputs) != 1:
        return model
    last = model.layers[-1]
    if _is_softmax_layer(last):
        inbound = _producer(last)
        if inbound is None:
            return model
        fresh = _clone(model)
        new = keras.Model(fresh.inputs, fresh.get_layer(inbound.name).output, name=model.name)
        notes.append(
            f"final softmax layer '{last.name}' removed: the firmware outputs the logits of "
            f"'{inbound.name}', which the bit-accuracy check compares (apply softmax/argmax downstream)"
        )
        return new
    act = getattr(last, "activation", None)
    if getattr(act, "__name__", None) == "softmax":
        new = _clone(model, final_linear=last.name)
        notes.append(f"softmax activation of final layer '{last.name}' replaced by linear: the firmware outputs logits")
        return new
    return model


def _prequantize_nd_dense(model: Any, notes: list[str]) -> Any:
    """Store quantized weights in QDense layers on 3-D+ input (hls4ml's dense->conv pass drops their quantizers).

    The layer's types already come from its quantizers; only the weight values were left unquantized
    (the firmware then truncated and wrapped the float weights). Quantizing quantized weights is the
    identity, so the model's outputs do not change.
    """
    targets = [
        lyr for lyr in model.layers if _layer_class(lyr) == "QDense" and len(getattr(lyr, "input_shape", ()) or ()) > 2
    ]
    if not targets:
        return model
    import tensorflow as tf

    model = _clone(model)
    for src in targets:
        lyr = model.get_layer(src.name)
        ws = lyr.get_weights()
        kq = getattr(lyr, "kernel_quantizer_internal", None)
        bq = getattr(lyr, "bias_quantizer_internal", None)
        if kq is not None:
            ws[0] = np.asarray(kq(tf.constant(ws[0])))
        if bq is not None and len(ws) > 1:
            ws[1] = np.asarray(bq(tf.constant(ws[1])))
        lyr.set_weights(ws)
        notes.append(
            f"QDense '{src.name}' on input of shape {tuple(src.input_shape[1:])}: hls4ml 1.3 converts it to a pointwise "
            "convolution without its quantizers, so its weights were stored already quantized "
            "(QConv1D(kernel_size=1) avoids this)"
        )
    return model


def final_softmax_name(model: Any) -> str | None:
    """Name of a separate softmax layer at the end of a single-output model, or None."""
    if len(model.outputs) != 1 or not model.layers:
        return None
    last = model.layers[-1]
    return last.name if _is_softmax_layer(last) and _producer(last) is not None else None


def prepare_model(model: Any, keep_final_softmax: bool = False) -> tuple[Any, list[str]]:
    """Strip pruning wrappers and a final softmax (unless kept), pre-quantize N-D QDense weights; returns model and notes."""
    notes: list[str] = []
    model = _strip_pruning(model, notes)
    if not keep_final_softmax:
        model = _strip_final_softmax(model, notes)
    model = _prequantize_nd_dense(model, notes)
    return model, notes


# ---------------------------------------------------------------------------------------------- configuration
def _prec_str(v: Any) -> str:
    return v.to_hls() if isinstance(v, FixedPrecision) else str(v)


def _producer(layer: Any) -> Any | None:
    nodes = layer.inbound_nodes
    if not nodes:
        return None
    inbound = nodes[0].inbound_layers
    if isinstance(inbound, list):
        return inbound[0] if len(inbound) == 1 else None
    return inbound


def _quantizer_of(layer: Any) -> Any | None:
    q = getattr(layer, "quantizer", None)
    if q is None:
        q = getattr(layer, "activation", None)
    return q


def _merge_layer(dst: dict, src: dict) -> None:
    for k, v in src.items():
        if k == "Precision" and isinstance(v, dict):
            dst.setdefault("Precision", {})
            if not isinstance(dst["Precision"], dict):
                dst["Precision"] = {"result": dst["Precision"]}
            for pk, pv in v.items():
                dst["Precision"][pk] = _prec_str(pv)
        elif k == "Precision":
            dst.setdefault("Precision", {})
            if isinstance(dst["Precision"], dict):
                for pk in list(dst["Precision"]) or ["result"]:
                    if pk in ("weight", "bias", "result", "accum"):
                        dst["Precision"][pk] = _prec_str(v)
            else:
                dst["Precision"] = _prec_str(v)
        else:
            dst[k] = v


def _apply_model_reuse(cfg: dict) -> None:
    """Give every layer the model's reuse factor and strategy.

    ``config_from_keras_model(granularity="name")`` writes ``ReuseFactor: 1`` into each layer's entry, and a
    layer's entry wins over ``Model``: without this, a model-level reuse factor never reaches the firmware.
    Per-layer settings (the spec's ``hls.layers``, an hls4ml config's ``LayerName``) are merged afterwards.
    """
    model = cfg["Model"]
    for entry in cfg["LayerName"].values():
        if "ReuseFactor" in entry:
            entry["ReuseFactor"] = int(model["ReuseFactor"])
        if "Strategy" in entry:
            entry["Strategy"] = model["Strategy"]


def build_hls_config(
    model: Any,
    *,
    backend: str,
    strategy: str,
    reuse_factor: int,
    input_precision: FixedPrecision,
    layer_overrides: dict | None,
    hls_config: dict | None,
    notes: list[str],
) -> dict:
    """hls4ml HLSConfig with per-layer precisions from the QKeras quantizers plus codesign's fixes."""
    default = input_precision.to_hls()
    user_model = (hls_config or {}).get("Model", {}) or {}
    if "Precision" in user_model:
        up = user_model["Precision"]
        default = _prec_str(up.get("default", default) if isinstance(up, dict) else up)
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=backend, default_precision=default)
    cfg["Model"]["ReuseFactor"] = int(reuse_factor)
    cfg["Model"]["Strategy"] = strategy
    for k, v in user_model.items():
        if k in ("ReuseFactor", "Strategy", "BramFactor", "TraceOutput"):
            cfg["Model"][k] = v
    layers = cfg["LayerName"]
    _apply_model_reuse(cfg)

    # input type: the grid the data is snapped to (Sequential models do not list their InputLayer)
    input_names = {lyr.name for lyr in model.layers if _layer_class(lyr) == "InputLayer"}
    for t in model.inputs:
        node = getattr(t, "node", None)
        if node is not None and getattr(node, "layer", None) is not None:
            input_names.add(node.layer.name)
    for name in input_names:
        if name in layers:
            prec = layers[name].setdefault("Precision", {})
            if isinstance(prec, dict):
                prec["result"] = input_precision.to_hls()
            else:
                layers[name]["Precision"] = {"result": input_precision.to_hls()}

    # QActivation(quantized_bits) after an auto-typed producer: hls4ml drops it with its quantizer
    for lyr in model.layers:
        if _layer_class(lyr) != "QActivation":
            continue
        q = _quantizer_of(lyr)
        qname = type(q).__name__
        if qname != "quantized_bits":
            continue
        prod = _producer(lyr)
        if prod is None or prod.name not in layers:
            continue
        ptype = FixedPrecision.from_qkeras(q).to_hls()
        pprec = layers[prod.name].setdefault("Precision", {})
        if isinstance(pprec, dict) and pprec.get("result", "auto") == "auto":
            pprec["result"] = ptype
            lin = f"{prod.name}_linear"
            if lin in layers:
                layers[lin].setdefault("Precision", {})["result"] = ptype
            notes.append(
                f"QActivation '{lyr.name}' ({q}) would be dropped by hls4ml without its quantizer: "
                f"its type {ptype} was set as the result of '{prod.name}'"
            )

    # quantized_relu(3, 3) and the like: hls4ml types them ap_uint<3> (no rounding, no saturation)
    exact_types.fix_integer_activations(model, layers, notes)
    # quantized_bits(3, 3) weights: hls4ml types them ap_int<3>; codesign.hls_ext.qkeras_weight_types retypes them
    notes.extend(exact_types.weight_type_notes(model))

    # user's per-type then per-name settings (explicit user choices win; noted since they may cost exactness)
    if hls_config:
        from codesign.hls4ml_config import layer_type_names

        by_type = hls_config.get("LayerType", {}) or {}
        keras_layers = {lyr.name: lyr for lyr in model.layers}
        for lname, entry in layers.items():
            lyr = keras_layers.get(lname)
            if lyr is None:
                continue
            for cls in layer_type_names(lyr, _is_softmax_layer(lyr)):
                if cls in by_type:
                    _merge_layer(entry, by_type[cls])
                    notes.append(f"LayerType '{cls}' settings from the user's config applied to '{lname}'")
        for lname, entry in (hls_config.get("LayerName", {}) or {}).items():
            if lname not in layers:
                raise SpecError(
                    f"HLSConfig.LayerName '{lname}' is not a layer of the model (layers: {', '.join(sorted(layers))})"
                )
            _merge_layer(layers[lname], entry)
            notes.append(f"user's HLSConfig.LayerName settings applied to '{lname}': {entry}")
    if layer_overrides:
        for lname, entry in layer_overrides.items():
            if lname not in layers:
                raise SpecError(
                    f"layer override '{lname}' is not a layer of the model (layers: {', '.join(sorted(layers))})"
                )
            _merge_layer(layers[lname], entry)
            notes.append(f"layer override applied to '{lname}': {entry}")
    return cfg


POOLING_LAYERS = (
    "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
    "AveragePooling1D", "AveragePooling2D",
)  # fmt: skip


def _pool_types(in_prec: FixedPrecision, n: int, average: bool) -> tuple[FixedPrecision, FixedPrecision, bool]:
    """(accum, result, exact) for a global pooling over ``n`` values of ``in_prec``.

    hls4ml's average sums in ``accum_t`` then divides by ``n`` in ``accum_t``: the sum needs
    ceil(log2 n) more integer bits and, for n = 2**k, the quotient k more fractional bits, then it is
    exact. For other n the mean has no finite binary expansion, so no type makes it exact.
    """
    if not average:
        return in_prec, in_prec, True
    k = max(0, int(np.ceil(np.log2(n))))
    exact = (1 << k) == n
    accum = FixedPrecision(in_prec.width + 2 * k, in_prec.integer + k, in_prec.signed)
    result = FixedPrecision(in_prec.width + k, in_prec.integer, in_prec.signed)
    return accum, result, exact


def _fix_pooling(model: Any, cfg: dict, graph: Any, notes: list[str]) -> bool:
    """Give global pooling layers accum/result types that hold the exact sum and mean; True if changed."""
    changed = False
    for lyr in model.layers:
        cls = _layer_class(lyr)
        if cls not in POOLING_LAYERS or lyr.name not in cfg["LayerName"]:
            continue
        try:
            node = graph.graph[lyr.name]
            in_prec = FixedPrecision.parse(str(node.get_input_variable().type.precision))
        except Exception:
            notes.append(
                f"pooling layer '{lyr.name}': input type unknown, types left to hls4ml (exactness not guaranteed)"
            )
            continue
        if cls.startswith("Global"):
            n = int(np.prod(lyr.input_shape[1:-1]))
        else:
            n = int(np.prod(lyr.pool_size))
        accum, result, exact = _pool_types(in_prec, n, "Average" in cls)
        prec = cfg["LayerName"][lyr.name].setdefault("Precision", {})
        if not isinstance(prec, dict):
            continue
        want = {"accum": accum.to_hls(), "result": result.to_hls()}
        if any(prec.get(k) != v for k, v in want.items()):
            prec.update(want)
            changed = True
            msg = f"pooling layer '{lyr.name}' over {n} values of {in_prec.to_hls()}: accum {want['accum']}, result {want['result']}"
            if not exact:
                msg += f" (average over {n}, not a power of two: the mean is rounded, NOT bit-exact with a float reference)"
            notes.append(msg)
    return changed


# ---------------------------------------------------------------------------------------------- conversion
def _parse_type(t: Any) -> FixedPrecision | None:
    try:
        return FixedPrecision.parse(str(t.precision))
    except Exception:
        return None


def _ports(variables: list[Any]) -> tuple[TopPort, ...]:
    out = []
    for v in variables:
        out.append(
            TopPort(
                name=v.name,
                type_name=v.type.name,
                size=int(np.prod(v.shape)),
                definition=v.definition_cpp(),
                precision=_parse_type(v.type),
            )
        )
    return tuple(out)


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that reads hls4ml's ``!keras_model`` tag as the saved model's path."""


_ConfigLoader.add_constructor("!keras_model", lambda loader, node: loader.construct_scalar(node))


def _read_written_config(path: Path) -> dict[str, Any]:
    f = path / "hls4ml_config.yml"
    if not f.exists():
        return {}
    with open(f) as fh:
        return yaml.load(fh, Loader=_ConfigLoader) or {}


def _check_reference_types(inputs: tuple[TopPort, ...], outputs: tuple[TopPort, ...], notes: list[str]) -> None:
    for p in inputs + outputs:
        if p.precision is not None and p.precision.width > 53:
            notes.append(
                f"'{p.name}' is {p.precision.to_hls()}: wider than a float64 mantissa, so its values are "
                "not exactly representable in float64 and an exact comparison may fail"
            )


def _rows(a: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """One row per sample, all arrays (inputs or outputs) flattened side by side, as hls4ml's .dat files hold them."""
    parts = a if isinstance(a, (list, tuple)) else [a]
    n = len(parts[0])
    return np.concatenate([np.asarray(p, dtype=np.float64).reshape(n, -1) for p in parts], axis=1)


def convert(
    model: Any,
    *,
    backend: str,
    io_type: str,
    strategy: str,
    reuse_factor: int,
    clock_ns: float,
    part: str,
    input_precision: FixedPrecision | None,
    output_dir: Path,
    project_name: str = "myproject",
    clock_uncertainty: str | float | None = None,
    tb_inputs: np.ndarray | None = None,
    tb_outputs: np.ndarray | None = None,
    layer_overrides: dict | None = None,
    hls_config: dict | None = None,
    keep_final_softmax: bool = False,
) -> HlsProject:
    """Convert a Keras/QKeras model into a written hls4ml project whose firmware is bit-exact by construction.

    ``keep_final_softmax``: a final softmax layer stays in the firmware (its outputs are then checked with
    :mod:`codesign.softmax_twin`); if the twin cannot reproduce it, the model is converted again without it.
    """
    args = {k: v for k, v in locals().items() if k not in ("model", "keep_final_softmax")}
    original_model = model
    softmax_name = final_softmax_name(model) if keep_final_softmax else None
    backend = _pcheck(backend, BACKENDS, "hls backend")
    io_type = _pcheck(io_type, IO_TYPES, "hls io_type")
    strategy = _pcheck(strategy, STRATEGIES, "hls strategy")
    if int(reuse_factor) < 1:
        raise SpecError(f"hls reuse_factor must be >= 1, got {reuse_factor}")
    if not part or str(part).lower() == "none":
        raise SpecError("no FPGA part given (the project's build_prj.tcl needs one, e.g. xcvu9p-flga2104-2L-e)")
    part = safe_names.part_text(part)
    project_name = safe_names.project_name(project_name, "project name")
    clock_uncertainty = safe_names.clock_uncertainty(clock_uncertainty, "clock uncertainty")
    model_safety.require_firmware_safe(model)
    scores = [lyr.name for lyr in model.layers if _layer_class(lyr) == "AnomalyScore"]
    if scores and io_type != "io_parallel":
        raise SpecError(f"layer(s) {', '.join(scores)} (AnomalyScore): the score's firmware is io_parallel only; "
                        f"hls.io_type {io_type!r} (accepted: io_parallel)")  # fmt: skip
    hgq.require_proxy(model)
    safe_names.layer_names(model)
    if hls_config:
        safe_names.config_strings(hls_config, "hls4ml config")
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)

    model, notes = prepare_model(model, keep_final_softmax=softmax_name is not None)
    if input_precision is None:
        input_precision = DEFAULT_INPUT_PRECISION
        notes.append(
            f"no input precision given: inputs are {input_precision.to_hls()} (snap data to this grid for exactness)"
        )
    cfg = build_hls_config(
        model,
        backend=backend,
        strategy=strategy,
        reuse_factor=reuse_factor,
        input_precision=input_precision,
        layer_overrides=layer_overrides,
        hls_config=hls_config,
        notes=notes,
    )
    tb_in = tb_out = None
    if tb_inputs is not None:
        tb_in = str(output_dir / "tb_input_features.npy")
        np.save(tb_in, _rows(tb_inputs))
    if tb_outputs is not None:
        tb_out = str(output_dir / "tb_output_predictions.npy")
        np.save(tb_out, _rows(tb_outputs))

    extra = {} if clock_uncertainty is None else {"clock_uncertainty": clock_uncertainty}

    def _convert() -> Any:
        try:
            g = hls4ml.converters.convert_from_keras_model(
                model,
                hls_config=cfg,
                output_dir=str(output_dir),
                project_name=project_name,
                backend=backend,
                io_type=io_type,
                part=part,
                clock_period=clock_ns,
                input_data_tb=tb_in,
                output_data_tb=tb_out,
                **extra,
            )
        except Exception as exc:
            raise ConversionError(f"hls4ml could not convert the model: {type(exc).__name__}: {_short(exc)}") from exc
        if g is None:
            raise ConversionError("hls4ml returned no model for this configuration")
        return g

    graph = _convert()
    if hls_config is not None:
        _check_reuse_factors(graph)
    # pooling and power-of-two layer types depend on their input's resolved type: read it from a pass, then
    # convert again (a fixed layer can change the input type of the next one: at most one pass per layer)
    po2_owned: set[str] = set()
    for _ in range(len(model.layers)):
        changed = False
        if any(_layer_class(lyr) in POOLING_LAYERS for lyr in model.layers):
            changed = _fix_pooling(model, cfg, graph, notes)
        changed = exact_types.fix_po2(model, cfg, graph, notes, po2_owned) or changed
        if not changed:
            break
        graph = _convert()
    exact_types.fix_alpha(graph, notes, _ap_type(graph))
    graph.write()
    try:
        fw_description.from_graph(graph).save(output_dir / fw_description.FILE_NAME)
    except Exception as exc:  # the emulator is a second check: its absence is reported, never fatal
        (output_dir / fw_description.FILE_NAME).unlink(missing_ok=True)
        notes.append(f"firmware description not written, so the emulator cannot check this project: {_short(exc)}")
    final_softmax = None
    if softmax_name is not None:
        from codesign import softmax_twin

        try:
            final_softmax = softmax_twin.read_config(output_dir, softmax_name).to_dict()
        except softmax_twin.UnsupportedSoftmax as exc:
            user = dict(args["hls_config"] or {})
            user["LayerName"] = {k: v for k, v in (user.get("LayerName") or {}).items() if k != softmax_name}
            stripped = convert(original_model, **{**args, "hls_config": user}, keep_final_softmax=False)
            why = (
                f"final softmax '{softmax_name}' of the user's config NOT kept: codesign cannot build an exact "
                f"reference for it ({exc}), so its settings are not applied: the firmware outputs the logits and "
                "those are checked bit for bit"
            )
            return replace(stripped, notes=(why, *stripped.notes))
        notes.append(
            f"final softmax '{softmax_name}' kept in the firmware as the user's config asks "
            f"({final_softmax['implementation']} implementation, exp table {final_softmax['exp_table_size']} x "
            f"{final_softmax['exp_table_t']}, inverse table {final_softmax['inv_table_size']} x "
            f"{final_softmax['inv_table_t']}, output {final_softmax['result_t']}); its outputs are checked against "
            "hls4ml's table softmax redone in numpy (codesign/softmax_twin.py) on the exact logits"
        )
    inputs = _ports(graph.get_input_variables())
    outputs = _ports(graph.get_output_variables())
    _check_reference_types(inputs, outputs, notes)
    layer_precisions: dict[str, dict[str, FixedPrecision]] = {}
    for layer in graph.get_layers():
        types = {}
        for tname, t in layer.types.items():
            fp = _parse_type(t)
            if fp is not None:
                types[tname.removesuffix("_t")] = fp
        layer_precisions[layer.name] = types
    project = HlsProject(
        path=output_dir,
        project_name=project_name,
        backend=backend,
        io_type=io_type,
        part=str(part),
        clock_ns=float(clock_ns),
        input_precision=inputs[0].precision if len(inputs) == 1 else input_precision,
        output_precision=outputs[0].precision if len(outputs) == 1 else None,
        layer_precisions=layer_precisions,
        config=_read_written_config(output_dir),
        notes=tuple(notes),
        inputs=inputs,
        outputs=outputs,
        keras_model=model,
        final_softmax=final_softmax,
        _graph=graph,
    )
    (output_dir / IO_SIDECAR).write_text(json.dumps(project.summary(), indent=1))
    _check_tcl(project)
    return project


def _check_reuse_factors(graph: Any) -> None:
    """A user's ReuseFactor that hls4ml would silently replace (it prints a warning and picks the closest) is refused."""
    for layer in graph.get_layers():
        try:
            asked = int(graph.config.get_reuse_factor(layer))
        except Exception:
            continue
        used = layer.get_attr("reuse_factor")
        if used is None or int(used) == asked:
            continue
        n_in, n_out = layer.get_attr("n_in"), layer.get_attr("n_out")
        valid = ""
        if n_in and n_out:
            rfs = graph.config.backend.get_valid_reuse_factors(int(n_in), int(n_out))
            valid = f"; valid for its {n_in} x {n_out} weights: {', '.join(map(str, rfs))}"
        raise SpecError(
            f"HLSConfig: ReuseFactor {asked} is not valid for layer '{layer.name}' (hls4ml would silently use "
            f"{used}){valid}; set it per layer under LayerName.{layer.name}.ReuseFactor"
        )


def _ap_type(graph: Any) -> Any:
    """A function from an ``ap_fixed`` string to the backend's precision type object, ready to be written."""
    from hls4ml.backends.fpga.fpga_types import APTypeConverter

    def convert(text: str) -> Any:
        return APTypeConverter().convert(graph.config.backend.convert_precision_string(text))

    return convert


def _check_tcl(project: HlsProject) -> None:
    """The written project must set the part and clock (hls4ml silently writes 'None' otherwise).

    hls4ml 1.3 sets them in ``project.tcl``, which ``build_prj.tcl`` sources; a header comment in
    ``build_prj.tcl`` repeats them for whoever opens that file to run the build.
    """
    tcl = project.path / "project.tcl"
    if not tcl.exists():
        raise ToolError(f"hls4ml did not write {tcl}")
    text = tcl.read_text()
    if f'set part "{project.part}"' not in text:
        raise ToolError(f'{tcl} does not set part "{project.part}"; hls4ml wrote:\n{text[:400]}')
    if not re.search(r"^set clock_period\s+\S+", text, re.MULTILINE):
        raise ToolError(f"{tcl} does not set clock_period; hls4ml wrote:\n{text[:400]}")
    build = project.path / "build_prj.tcl"
    if build.exists():
        body = build.read_text()
        header = (
            f"# codesign: part {project.part}, clock {project.clock_ns:g} ns ({project.backend} backend), "
            "set in project.tcl which this script sources.\n"
            f"# Run: {'vitis_hls' if project.backend == 'Vitis' else 'vivado_hls'} -f build_prj.tcl "
            '"csim=1 synth=1 cosim=0 export=0"\n'
        )
        if not body.startswith("# codesign:"):
            build.write_text(header + body)


# ---------------------------------------------------------------------------------------------- user hls4ml configs
def convert_from_hls4ml_config(
    config: dict,
    config_path: Path,
    output_dir_override: Path | None = None,
    part: str | None = None,
    trust: bool = False,
) -> HlsProject:
    """Convert a user's plain hls4ml YAML config (KerasJson+KerasH5 / KerasH5 / KerasModel) through :func:`convert`.

    ``part`` (the full part name codesign resolved, ``--part`` winning over the config's ``Part``) is the
    part written to the project; without it the config's ``Part`` is resolved (short names accepted).
    ``trust`` (``--trust-model-code``) loads model files that would run code; see :mod:`codesign.model_safety`.
    """
    from codesign import parts
    config_path = Path(config_path)
    where = str(config_path)
    if not isinstance(config, dict):
        raise SpecError(f"{where}: an hls4ml config must be a mapping of keys (accepted: {', '.join(CONFIG_KEYS)})")
    cfg = dict(config)
    notes: list[str] = []
    for legacy, new in LEGACY_KEYS.items():
        if legacy in cfg:
            if new in cfg and cfg[new] != cfg[legacy]:
                raise SpecError(f"{where}: both '{legacy}' (legacy) and '{new}' are set and differ; keep '{new}'")
            cfg[new] = cfg.pop(legacy)
            notes.append(f"legacy key '{legacy}' read as '{new}' (hls4ml 1.3 ignores it and writes part None)")
    unknown = [k for k in cfg if k not in CONFIG_KEYS]
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(repr(k) for k in unknown)} "
            f"(accepted: {', '.join(CONFIG_KEYS + tuple(LEGACY_KEYS))})"
        )
    from codesign import hls4ml_config as hc

    def rel(v: Any, key: str) -> Path:
        return hc.resolve_path(v, key, config_path)

    hls_cfg = cfg.get("HLSConfig", {}) or {}
    if not isinstance(hls_cfg, dict):
        raise SpecError(f"{where}: HLSConfig must be a mapping (keys: {', '.join(HLS_CONFIG_KEYS)})")
    bad = [k for k in hls_cfg if k not in HLS_CONFIG_KEYS]
    if bad:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(repr(k) for k in bad)} in HLSConfig "
            f"(accepted: {', '.join(HLS_CONFIG_KEYS)})"
        )
    mcfg = hls_cfg.get("Model", {}) or {}
    if not isinstance(mcfg, dict):
        raise SpecError(f"{where}: HLSConfig.Model must be a mapping (keys: {', '.join(MODEL_KEYS)})")
    bad = [k for k in mcfg if k not in MODEL_KEYS]
    if bad:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(repr(k) for k in bad)} in HLSConfig.Model "
            f"(accepted: {', '.join(MODEL_KEYS)})"
        )
    reuse = hc.positive_int(mcfg.get("ReuseFactor", 1), f"{where}: HLSConfig.Model.ReuseFactor")
    if "Precision" in mcfg:
        hc.check_layer_entry({"Precision": mcfg["Precision"]}, f"{where}: HLSConfig.Model", False, notes)
    try:
        clock_ns = float(cfg.get("ClockPeriod", 5.0))
    except (TypeError, ValueError):
        raise SpecError(f"{where}: ClockPeriod must be a number of ns, got {cfg.get('ClockPeriod')!r}") from None
    if not 0.1 <= clock_ns <= 1000:
        raise SpecError(f"{where}: ClockPeriod {clock_ns:g} ns is outside 0.1..1000 ns")
    if part is None:
        if "Part" not in cfg:
            raise SpecError(f"{where}: no 'Part' (e.g. xcvu9p-flga2104-2L-e); hls4ml would write part None")
        part = parts.resolve_part(str(cfg["Part"])).full_name
    elif "Part" in cfg and parts.resolve_part(str(cfg["Part"])).full_name != part:
        notes.append(f"part {part} (from --part) used instead of the config's Part {cfg['Part']}")
    project_name = safe_names.project_name(cfg.get("ProjectName", "myproject"), f"{where}: ProjectName")
    clock_uncertainty = safe_names.clock_uncertainty(cfg.get("ClockUncertainty"), where)
    safe_names.config_strings(hls_cfg, where)
    loaded: list[str] = []
    if "KerasModel" in cfg and not isinstance(cfg["KerasModel"], (str, Path)):
        model = cfg["KerasModel"]
    elif "KerasModel" in cfg:
        model = modelio.load_model(rel(cfg["KerasModel"], "KerasModel"), trust=trust, notes=loaded)
    elif "KerasJson" in cfg:
        weights = rel(cfg["KerasH5"], "KerasH5") if "KerasH5" in cfg else None
        model = modelio.load_model(json_path=rel(cfg["KerasJson"], "KerasJson"), weights_path=weights,
                                   trust=trust, notes=loaded)  # fmt: skip
    elif "KerasH5" in cfg:
        model = modelio.load_model(rel(cfg["KerasH5"], "KerasH5"), trust=trust, notes=loaded)
    else:
        raise SpecError(f"{where}: no model: set KerasJson + KerasH5, KerasH5 or KerasModel")
    model_safety.require_firmware_safe(model, where)
    notes += model_safety.trust_notes(trust, loaded)

    softmax_name = final_softmax_name(model)
    hls_cfg = _checked_layer_settings(hls_cfg, model, softmax_name, where, notes)
    input_precision = None
    # the user's default precision is the input grid unless the input layer says otherwise
    if "Precision" in mcfg:
        p = mcfg["Precision"]
        text = p.get("default") if isinstance(p, dict) else p
        input_precision = FixedPrecision.parse(text) if text else None
        if input_precision is not None:
            notes.append(
                f"Model.Precision {input_precision.to_hls()} used for the input and float layers only; "
                "quantized layers keep the types of their QKeras quantizers (granularity 'name')"
            )
    for lname, entry in (hls_cfg.get("LayerName", {}) or {}).items():
        if lname in _input_layer_names(model):
            pr = (entry or {}).get("Precision")
            if pr is not None:
                input_precision = FixedPrecision.parse(pr.get("result") if isinstance(pr, dict) else pr)
    # hls4ml writes OutputDir relative to the working directory
    out_dir = output_dir_override or Path(str(cfg.get("OutputDir", "my-hls-test")))
    tb = {}
    for key, arg in (("InputData", "tb_inputs"), ("OutputPredictions", "tb_outputs")):
        if key in cfg:
            tb[arg] = _read_tb_data(rel(cfg[key], key), where, key, _flat_width(model, key == "InputData"))
            notes.append(f"{key} {cfg[key]} written as the emitted project's own testbench data (Vivado/Vitis csim)")
    keep_softmax = softmax_name is not None and softmax_name in (hls_cfg.get("LayerName") or {})
    project = convert(
        model,
        backend=cfg.get("Backend", "Vivado"),
        io_type=cfg.get("IOType", "io_parallel"),
        strategy=mcfg.get("Strategy", "Latency"),
        reuse_factor=reuse,
        clock_ns=clock_ns,
        part=part,
        input_precision=input_precision,
        output_dir=Path(out_dir),
        project_name=project_name,
        clock_uncertainty=clock_uncertainty,
        hls_config=hls_cfg,
        keep_final_softmax=keep_softmax,
        **tb,
    )
    sm = project.final_softmax
    asked = ((hls_cfg.get("LayerName") or {}).get(sm["layer"]) or {}) if sm else {}
    want = next((v for k, v in asked.items() if hc.snake(k) == "table_size"), None)
    if sm and want is not None and (sm["exp_table_size"], sm["inv_table_size"]) != (int(want), int(want)):
        notes.append(
            f"softmax '{sm['layer']}': table_size {want} asked, hls4ml emitted exp table {sm['exp_table_size']} and "
            f"inverse table {sm['inv_table_size']} entries (it caps a table at 2**bits of its address type)"
        )
    project = replace(project, notes=tuple(notes) + project.notes)
    (project.path / IO_SIDECAR).write_text(json.dumps(project.summary(), indent=1))
    return project


def _input_layer_names(model: Any) -> set[str]:
    names = {lyr.name for lyr in model.layers if _layer_class(lyr) == "InputLayer"}
    for t in model.inputs:
        node = getattr(t, "node", None)
        if node is not None and getattr(node, "layer", None) is not None:
            names.add(node.layer.name)
    return names


def _checked_layer_settings(hls_cfg: dict, model: Any, softmax_name: str | None, where: str, notes: list[str]) -> dict:
    """HLSConfig with every LayerName/LayerType entry validated: unknown layers, types or keys are refused."""
    from codesign import hls4ml_config as hc

    out = dict(hls_cfg)
    names = {lyr.name: lyr for lyr in model.layers} | {n: None for n in _input_layer_names(model)}
    by_name = hls_cfg.get("LayerName") or {}
    if not isinstance(by_name, dict):
        raise SpecError(f"{where}: HLSConfig.LayerName must be a mapping of layer names")
    checked = {}
    for lname, entry in by_name.items():
        if lname not in names and not (str(lname).endswith("_linear") and str(lname)[:-7] in names):
            raise SpecError(
                f"{where}: HLSConfig.LayerName '{lname}' is not a layer of the model (layers: {', '.join(sorted(names))})"
            )
        lyr = names.get(lname)
        checked[lname] = hc.check_layer_entry(
            entry, f"{where}: HLSConfig.LayerName.{lname}", lyr is not None and _is_softmax_layer(lyr), notes
        )
    if by_name:
        out["LayerName"] = checked
    by_type = hls_cfg.get("LayerType") or {}
    if not isinstance(by_type, dict):
        raise SpecError(f"{where}: HLSConfig.LayerType must be a mapping of layer classes")
    known: dict[str, bool] = {}
    for lyr in model.layers:
        for t in hc.layer_type_names(lyr, _is_softmax_layer(lyr)):
            known[t] = known.get(t, False) or _is_softmax_layer(lyr)
    checked = {}
    for tname, entry in by_type.items():
        if tname not in known:
            raise SpecError(
                f"{where}: HLSConfig.LayerType '{tname}' matches no layer of the model "
                f"(layer types here: {', '.join(sorted(known))})"
            )
        checked[tname] = hc.check_layer_entry(entry, f"{where}: HLSConfig.LayerType.{tname}", known[tname], notes)
    if by_type:
        out["LayerType"] = checked
    return out


def _flat_width(model: Any, inputs: bool) -> int:
    """Numbers per sample over all the model's inputs (or outputs)."""
    tensors = model.inputs if inputs else model.outputs
    return int(sum(np.prod([d for d in t.shape[1:]]) for t in tensors))


def _read_tb_data(path: Path, where: str, key: str, width: int | None = None) -> np.ndarray:
    """A testbench data file of an hls4ml config: ``.npy`` or whitespace-separated text (``.dat``/``.txt``), finite,
    with ``width`` numbers per sample (the model's inputs or outputs; a final softmax counts as output)."""
    if not path.is_file():
        raise SpecError(f"{where}: {key} file {path} does not exist (accepted: a .npy file or a .dat/.txt text file)")
    try:
        data = np.load(path, allow_pickle=False) if path.suffix == ".npy" else np.loadtxt(path, ndmin=2)
        data = np.asarray(data, dtype=np.float64)
    except (OSError, ValueError, TypeError) as exc:
        raise SpecError(f"{where}: {key} file {path} could not be read as .npy or text numbers: {exc}") from None
    if data.ndim == 0 or data.size == 0:
        raise SpecError(f"{where}: {key} file {path} holds no samples (accepted: one sample per row)")
    if not np.isfinite(data).all():
        bad = np.argwhere(~np.isfinite(data))[0].tolist()
        raise SpecError(f"{where}: {key} file {path} holds NaN/Inf (first at index {bad}; accepted: finite numbers)")
    rows = data.reshape(len(data), -1) if data.ndim > 1 else data.reshape(1, -1)
    if width is not None and rows.shape[1] != width:
        raise SpecError(f"{where}: {key} file {path} has {rows.shape[1]} numbers per sample but the model has {width} "
                        f"(accepted: one row of {width} numbers per sample)")  # fmt: skip
    return data


def versions() -> dict[str, str]:
    """Version of hls4ml (the only place that imports it)."""
    return {"hls4ml": getattr(hls4ml, "__version__", "unknown")}


# ---------------------------------------------------------------------------------------------- per-layer trace
_TRACE_BLOCK = re.compile(r"#ifndef __SYNTHESIS__\n(?:\s*nnet::save_layer_output<[^\n]*\n)+#endif\n")


@dataclass(frozen=True)
class LayerTrace:
    """hls4ml's per-layer C-simulation outputs (``ModelGraph.trace``) of a project's firmware."""

    outputs: dict[str, np.ndarray]  # hls4ml layer name -> (n_samples, *shape), float64
    order: tuple[str, ...]  # traced layers in firmware order
    type_names: dict[str, dict[str, str]]  # layer -> {"result": "layer4_t", "accum": ..., "weight": ...}
    top_matches: bool  # the project's top function equals hls4ml's for its config (trace hooks aside)
    path: Path
    classes: dict[str, str] = field(default_factory=dict)  # layer -> hls4ml class (Dense, Activation, ...)


@dataclass(frozen=True, eq=False)
class TraceBuild:
    """A compiled copy of a project's firmware with hls4ml's trace hooks (from :func:`build_trace`)."""

    graph: Any
    top_matches: bool
    path: Path

    def trace(self, x: np.ndarray) -> LayerTrace:
        """Every traced layer's output for ``x`` (float64 rows on the input grid)."""
        import contextlib
        import io

        def work() -> Any:
            with contextlib.redirect_stdout(io.StringIO()):  # "Recompiling ... with tracing": it does not here
                return self.graph.trace(np.ascontiguousarray(np.asarray(x, dtype=np.float64)))

        _, traced = on_big_stack(work, "hls4ml-trace")
        order, types, classes = [], {}, {}
        for layer in self.graph.get_layers():
            if layer.name not in traced:
                continue
            order.append(layer.name)
            classes[layer.name] = str(layer.class_name)
            types[layer.name] = {"result": layer.get_output_variable().type.name}
            for tname, t in layer.types.items():
                role = tname.removesuffix("_t")
                if role in ("accum", "weight", "bias", "table"):
                    types[layer.name][role] = t.name
        outputs = {k: np.asarray(v, dtype=np.float64) for k, v in traced.items()}
        return LayerTrace(outputs, tuple(order), types, self.top_matches, self.path, classes)


def build_trace(project_dir: Path, model: Any, work_dir: Path, weights_dir: Path | None = None) -> TraceBuild:
    """Compile the firmware in ``project_dir``, as it is now, with hls4ml's per-layer trace enabled.

    hls4ml writes trace hooks only when it writes a project, so ``model`` (the model as converted) is
    converted again with the written config and tracing on into ``work_dir``; the project's own firmware
    files (weights, ``defines.h``, ``parameters.h``, kernels) are copied over it, with ``weights_dir``'s
    ``.txt`` files (the synthesized values) when given, so edits made after the build are traced. Only
    the top function is hls4ml's: :attr:`TraceBuild.top_matches` says whether it equals the project's.
    """
    import shutil

    project_dir, work_dir = Path(project_dir).resolve(), Path(work_dir).resolve()
    written = _read_written_config(project_dir)
    if not written.get("HLSConfig"):
        raise SpecError(f"{project_dir}: no hls4ml_config.yml written by hls4ml; convert the model again")
    cfg = json.loads(json.dumps(written["HLSConfig"]))
    for entry in (cfg.get("LayerName") or {}).values():
        entry["Trace"] = True
    shutil.rmtree(work_dir, ignore_errors=True)
    extra = {"clock_uncertainty": written["ClockUncertainty"]} if written.get("ClockUncertainty") else {}
    name = str(written.get("ProjectName", "myproject"))
    try:
        graph = hls4ml.converters.convert_from_keras_model(
            model, hls_config=cfg, output_dir=str(work_dir), project_name=name, backend=written.get("Backend"),
            io_type=written.get("IOType"), part=written.get("Part"), clock_period=written.get("ClockPeriod"), **extra,
        )  # fmt: skip
    except Exception as exc:
        raise SpecError(f"hls4ml could not convert the model again for the trace: {_short(exc)}") from exc
    graph.config.trace_output = True
    graph.write()
    src_fw, dst_fw = project_dir / "firmware", work_dir / "firmware"
    for f in src_fw.rglob("*"):
        rel = f.relative_to(src_fw)
        if f.is_file() and "ap_types" not in rel.parts and f.suffix != ".so" and rel.as_posix() != f"{name}.cpp":
            (dst_fw / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst_fw / rel)
    for f in Path(weights_dir).glob("*.txt") if weights_dir is not None else ():
        shutil.copyfile(f, dst_fw / "weights" / f.name)
    traced_top = (dst_fw / f"{name}.cpp").read_text()
    own_top = (src_fw / f"{name}.cpp").read_text() if (src_fw / f"{name}.cpp").is_file() else ""
    run_tool(["bash", "build_lib.sh"], cwd=work_dir, log=work_dir / "logs" / "build_lib.log", timeout_s=COMPILE_TIMEOUT_S)
    lib = dst_fw / f"{name}-{graph.config.get_config_value('Stamp')}.so"
    if not lib.exists():
        raise ToolError(f"build_lib.sh finished but {lib} is missing; log: {work_dir / 'logs/build_lib.log'}")
    graph._top_function_lib = ctypes.cdll.LoadLibrary(str(lib))
    graph.compile = lambda: None  # trace() would write the project again and lose the copied firmware
    return TraceBuild(graph, _TRACE_BLOCK.sub("", traced_top) == own_top, work_dir)
