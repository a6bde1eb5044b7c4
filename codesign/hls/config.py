"""The hls4ml HLSConfig: per-layer precisions from the QKeras quantizers, the user's settings, the pooling-type fix."""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign import exact_types, keras_env
from codesign.errors import SpecError
from codesign.precision import FixedPrecision

keras_env.setup()

import hls4ml  # noqa: E402  (keras_env.setup must run first)

from codesign.hls.prepare import (  # noqa: E402
    _is_softmax_layer,
    _layer_class,
    _producer,
)


def _prec_str(v: Any) -> str:
    return v.to_hls() if isinstance(v, FixedPrecision) else str(v)


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
    input_precisions: dict[str, FixedPrecision] | None = None,
) -> dict:
    """hls4ml HLSConfig with per-layer precisions from the QKeras quantizers plus codesign's fixes; every input layer
    gets ``input_precision`` unless ``input_precisions`` names its own."""
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
            own = (input_precisions or {}).get(name, input_precision).to_hls()
            prec = layers[name].setdefault("Precision", {})
            if isinstance(prec, dict):
                prec["result"] = own
            else:
                layers[name]["Precision"] = {"result": own}

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

    # QDense(activation=quantized_bits(...)): hls4ml splits the activation out as '<layer>_quantized_bits', then its
    # linear-activation optimizer drops it with its type, leaving the layer's auto result (the unquantized sum)
    for lyr in model.layers:
        q = getattr(lyr, "activation", None)
        if _layer_class(lyr) == "QActivation" or type(q).__name__ != "quantized_bits" or lyr.name not in layers:
            continue
        ptype = FixedPrecision.from_qkeras(q).to_hls()
        pprec = layers[lyr.name].setdefault("Precision", {})
        if isinstance(pprec, dict) and pprec.get("result", "auto") == "auto":
            pprec["result"] = ptype
            notes.append(f"'{lyr.name}' activation {q} would be dropped by hls4ml with its type: its result is {ptype}")

    # quantized_relu(3, 3) and the like: hls4ml types them ap_uint<3> (no rounding, no saturation)
    exact_types.fix_integer_activations(model, layers, notes)
    exact_types.fix_symmetric_activations(model, layers, notes)
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
    # hls4ml infers only a Dot's result type and asserts on an 'auto' accum (its own config_from_keras_model writes
    # one): the accum is left to the first pass, then set by _fix_dot
    for lyr in model.layers:
        prec = layers.get(lyr.name, {}).get("Precision")
        if _layer_class(lyr) == "Dot" and isinstance(prec, dict) and prec.get("accum") == "auto":
            del prec["accum"]
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


def user_set_types(model: Any, hls_config: dict | None, layer_overrides: dict | None) -> dict[str, set[str]]:
    """The per-layer ``Precision`` keys (``accum``, ``result`` ...) the user set: in an hls4ml config's LayerName or
    LayerType sections or the spec's ``hls.layers``; codesign's own type fixes leave them as given."""
    from codesign.hls4ml_config import layer_type_names

    out: dict[str, set[str]] = {}

    def add(name: str, entry: Any) -> None:
        prec = (entry or {}).get("Precision") if isinstance(entry, dict) else None
        keys = set(prec) if isinstance(prec, dict) else ({"result"} if prec is not None else set())
        if keys:
            out.setdefault(name, set()).update(keys)

    by_type = (hls_config or {}).get("LayerType", {}) or {}
    for lyr in model.layers:
        for cls in layer_type_names(lyr, _is_softmax_layer(lyr)):
            add(lyr.name, by_type.get(cls))
    for name, entry in {**((hls_config or {}).get("LayerName") or {}), **(layer_overrides or {})}.items():
        add(name, entry)
    return out


def _fix_pooling(model: Any, cfg: dict, graph: Any, notes: list[str], user_set: dict[str, set[str]] | None = None) -> bool:
    """Give pooling layers accum/result types that hold the exact sum and mean; True if changed. A type the user
    set (``user_set``: layer -> Precision keys) is kept, with a note naming the exact one when it differs."""
    changed = False
    user_set = user_set or {}
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
        kept = {k: prec[k] for k in want if k in user_set.get(lyr.name, set()) and k in prec}
        for k, v in kept.items():
            del want[k]
            if str(v) != (accum if k == "accum" else result).to_hls():
                msg = (f"pooling layer '{lyr.name}': your {k} type {v} kept; "
                       f"{(accum if k == 'accum' else result).to_hls()} holds the exact value")  # fmt: skip
                if msg not in notes:
                    notes.append(msg)
        if any(prec.get(k) != v for k, v in want.items()):
            prec.update(want)
            changed = True
            types = ", ".join(f"{k} {v}" for k, v in want.items())
            msg = f"pooling layer '{lyr.name}' over {n} values of {in_prec.to_hls()}: {types}"
            if not exact:
                msg += f" (average over {n}, not a power of two: the mean is rounded, NOT bit-exact with a float reference)"
            notes.append(msg)
    return changed


def _dot_accum(a: FixedPrecision, b: FixedPrecision, n: int) -> FixedPrecision:
    """The type that holds every product of ``a`` and ``b`` and every partial sum of ``n`` of them exactly: both
    widths and integer bits plus ceil(log2 n), signed if either is (hls4ml's own inference of a Dot's result type;
    a signed times an unsigned product lies in (-2**(Ia+Ib-1), 2**(Ia+Ib-1)), which Ia + Ib signed bits hold)."""
    k = max(0, int(np.ceil(np.log2(n))))
    return FixedPrecision(a.width + b.width + k, a.integer + b.integer + k, a.signed or b.signed)


def _fix_dot(model: Any, cfg: dict, graph: Any, notes: list[str], user_set: dict[str, set[str]]) -> bool:
    """Give each Dot layer the accum type that holds its exact sum (:func:`_dot_accum` of its input types); True if
    changed. hls4ml 1.3's ``dot1d`` casts every product to ``accum_t`` and sums there, but infers only ``result_t``.
    A user's accum type is kept (a user's 'auto' is this one)."""
    changed = False
    for lyr in model.layers:
        if _layer_class(lyr) != "Dot" or lyr.name not in cfg["LayerName"]:
            continue
        prec = cfg["LayerName"][lyr.name].setdefault("Precision", {})
        if not isinstance(prec, dict) or ("accum" in user_set.get(lyr.name, set()) and "accum" in prec):
            continue
        try:
            node = graph.graph[lyr.name]
            a, b = (node.get_input_variable(i) for i in node.inputs)
            want = _dot_accum(FixedPrecision.parse(str(a.type.precision)), FixedPrecision.parse(str(b.type.precision)),
                              int(np.prod(a.shape))).to_hls()  # fmt: skip
        except (KeyError, SpecError, AttributeError, ValueError):
            notes.append(f"Dot layer '{lyr.name}': input types unknown, accum left to hls4ml (not proven exact)")
            continue
        if prec.get("accum") != want:
            prec["accum"] = want
            changed = True
            notes.append(f"Dot layer '{lyr.name}': accum {want} holds every product and partial sum exactly")
    return changed


def note_unsigned_max_padding(graph: Any, notes: list[str]) -> None:
    """A warning note per padded max pooling over an unsigned input: hls4ml pads with ``pad_val`` (the code with only
    bit W-1 set), which is the mid-range value of an unsigned type, not -inf as Keras pads, so the firmware's maxima
    at the borders differ from the model's wherever the window's real values are all below it."""
    for node in graph.get_layers():
        at = getattr(node, "attributes", {})
        if node.class_name not in ("Pooling1D", "Pooling2D") or str(at.get("pool_op", "")).lower() != "max":
            continue
        if not any(int(at.get(k, 0) or 0) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")):
            continue
        try:
            p = FixedPrecision.parse(str(node.get_input_variable().type.precision))
        except (SpecError, AttributeError):
            continue
        if not p.signed:
            pad = 2.0 ** (p.integer - 1)
            notes.append(f"WARNING: max pooling layer '{node.name}' is padded and its input {p.to_hls()} is unsigned: "
                         f"hls4ml pads with {pad:g} (its pad_val), not -inf as Keras does, so border outputs below "
                         f"{pad:g} differ from the model's (use padding 'valid', or a signed input type)")  # fmt: skip
