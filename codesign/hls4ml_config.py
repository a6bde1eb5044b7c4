"""A user's plain hls4ml YAML config, checked before conversion: every setting is applied or refused.

hls4ml itself drops what it does not know (a misspelled layer name, a LayerType no layer has, an unknown
key): codesign refuses those with a message naming the key and what is accepted. Paths resolve as
hls4ml resolves them (the working directory), then against the config's folder, naming both when neither
holds the file. This module checks; :func:`codesign.hls.convert_from_hls4ml_config` converts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codesign.errors import SpecError
from codesign.hls4ml_layer_keys import BATCHNORM_PRECISION_KEYS, BIDIRECTIONAL_PRECISION_KEYS
from codesign.hls4ml_values import check_hls4ml_spelling, check_strategy_spelling
from codesign.precision import FixedPrecision
from codesign.safe_names import UNSIGNED_MAX

# per-layer keys hls4ml 1.3 reads (compared in snake_case, as hls4ml converts them), and where they apply
LAYER_KEYS = (
    "precision", "reuse_factor", "strategy", "trace", "table_size", "table_t", "conv_implementation",
    "parallelization_factor", "exp_table_t", "inv_table_t", "inv_inp_t", "accum_t", "implementation", "skip",
    "algorithm", "static",
)  # fmt: skip
# 'algorithm' (an UpSampling's, as config_from_keras_model writes it) and 'static' (an LSTM/GRU's) are checked
# against their layer in hls4ml_layer_keys
# 'skip' (hls4ml's SkipSoftmax, written as Skip: false by config_from_keras_model): true leaves the softmax out
SOFTMAX_ONLY_KEYS = ("exp_table_t", "inv_table_t", "inv_inp_t", "implementation", "skip")
PRECISION_KEYS = (
    "default", "result", "accum", "weight", "bias", "table", "exp_table", "inv_table", "inv_inp", "scale",
    "depthwise", "pointwise", "param", "recurrent_weight", "recurrent_bias", *BIDIRECTIONAL_PRECISION_KEYS,
    "embeddings",
)  # fmt: skip
# a HardActivation's (QKeras quantized_tanh/sigmoid) types, which hls4ml's config writer lists and 1.3 does not read
HARD_ACTIVATION_KEYS = ("slope", "shift")
LAYER_STRATEGIES = ("Latency", "Resource")
SOFTMAX_IMPLEMENTATIONS = ("stable", "latency", "argmax", "legacy")


def snake(key: str) -> str:
    """hls4ml's convert_to_snake_case: ``ReuseFactor`` -> ``reuse_factor``, ``exp_table_t`` unchanged."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", str(key)).lower().replace("__", "_")


def resolve_path(value: Any, key: str, config_path: Path) -> Path:
    """A model/data path of the config: absolute, or relative to the working directory (as hls4ml) then the config's folder."""
    p = Path(str(value))
    tried = [p] if p.is_absolute() else [Path.cwd() / p, Path(config_path).parent / p]
    for t in dict.fromkeys(x.resolve() for x in tried):
        if t.exists():
            return t
    raise SpecError(
        f"{config_path}: {key} '{value}' not found (tried {' and '.join(str(t) for t in dict.fromkeys(tried))}; "
        "relative paths are read from the working directory, as hls4ml does, then from the config's folder)"
    )


def _check_precision(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in HARD_ACTIVATION_KEYS:  # config_from_keras_model writes them 'auto' for a quantized_tanh/sigmoid
                if str(v).strip().lower() != "auto":
                    raise SpecError(
                        f"{where}.Precision.{k}: {v!r} is not read by hls4ml 1.3, which sets a hard activation's "
                        "slope and shift types itself (HardActivation.initialize) (accepted: auto, or leave it out)"
                    )
                continue
            if k == "dw_output":  # the key of later hls4ml versions' test_qkeras.py separable convolutions
                raise SpecError(
                    f"{where}.Precision: key 'dw_output' is not read by hls4ml 1.3, which splits a SeparableConv1D/2D "
                    "into a '<layer>_depthwise' and a '<layer>_pointwise' layer before it reads types, both with the "
                    f"layer's own entries (result, accum) (accepted: {', '.join(PRECISION_KEYS)})"
                )
            if k in BATCHNORM_PRECISION_KEYS:  # a QBatchNormalization's: checked against its layer
                _check_precision(v, f"{where}.Precision.{k}")
                continue
            if k not in PRECISION_KEYS:
                raise SpecError(f"{where}.Precision: unknown key '{k}' (accepted: {', '.join(PRECISION_KEYS)})")
            _check_precision(v, f"{where}.Precision.{k}")
        return
    if str(value).strip().lower() != "auto":
        try:
            FixedPrecision.parse(str(value))
        except SpecError as exc:
            raise SpecError(f"{where}: bad precision '{value}': {exc}") from None
    check_hls4ml_spelling(str(value), where)


def positive_int(value: Any, where: str) -> int:
    """An integer from 1 to a C++ unsigned's largest (ReuseFactor, table_size: hls4ml writes them into
    ``static const unsigned`` fields), or a SpecError naming ``where``. A string ('1024') reached hls4ml as text
    and failed its conversion; 10**30 was not a C++ value."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= UNSIGNED_MAX:
        raise SpecError(f"{where}: {value!r} is not an integer >= 1 (accepted: e.g. 1, 2, 4, at most {UNSIGNED_MAX}: "
                        "hls4ml writes it as a C++ unsigned; a number without quotes)")  # fmt: skip
    return value


def check_layer_entry(entry: Any, where: str, is_softmax: bool, notes: list[str]) -> dict:
    """Validate one LayerName/LayerType entry; returns it with a softmax's legacy ``Strategy: Stable`` read as its implementation."""
    if entry is None:
        return {}
    if not isinstance(entry, dict):
        raise SpecError(f"{where}: must be a mapping of settings (accepted: {', '.join(LAYER_KEYS)})")
    out = dict(entry)
    for key, value in entry.items():
        k = snake(key)
        if k not in LAYER_KEYS:
            raise SpecError(f"{where}: unknown key '{key}' (accepted: {', '.join(LAYER_KEYS)}, or CamelCase forms)")
        if k in SOFTMAX_ONLY_KEYS and not is_softmax:
            raise SpecError(f"{where}: '{key}' applies to a Softmax layer only")
        if k == "precision":
            _check_precision(value, where)
        elif k in ("exp_table_t", "inv_table_t", "inv_inp_t", "accum_t", "table_t"):
            _check_precision(value, f"{where}.{key}")
        elif k in ("reuse_factor", "table_size", "parallelization_factor"):
            positive_int(value, f"{where}.{key}")
        elif k == "implementation" and str(value).lower() not in SOFTMAX_IMPLEMENTATIONS:
            raise SpecError(f"{where}.{key}: '{value}' (accepted: {', '.join(SOFTMAX_IMPLEMENTATIONS)})")
        elif k == "strategy":
            v = str(value)
            if is_softmax and v.lower() in SOFTMAX_IMPLEMENTATIONS and v.lower() != "latency":
                # older hls4ml selected the softmax implementation with Strategy; 1.3 reads 'implementation'
                out.pop(key)
                out["implementation"] = v.lower()
                notes.append(f"{where}: Strategy '{v}' read as the softmax implementation '{v.lower()}'")
            elif v.lower() not in [s.lower() for s in LAYER_STRATEGIES]:
                accepted = LAYER_STRATEGIES + (SOFTMAX_IMPLEMENTATIONS[1:] if is_softmax else ())
                raise SpecError(f"{where}.{key}: '{value}' (accepted: {', '.join(accepted)})")
            else:
                check_strategy_spelling(v, LAYER_STRATEGIES, f"{where}.{key}")
        elif k in ("trace", "skip") and not isinstance(value, bool):
            raise SpecError(f"{where}.{key}: must be true or false, got {value!r}")
    return _table_types_from_precision(out, where, is_softmax, notes)


# table types hls4ml 1.3 reads only from their own '<name>_t' key: under Precision it ignores them silently and
# keeps these defaults (FPGABackend / VivadoBackend attribute maps)
TABLE_PRECISIONS = {"table": "ap_fixed<18,8>", "exp_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
                    "inv_table": "ap_fixed<18,8,AP_RND,AP_SAT>", "inv_inp": "ap_fixed<18,8,AP_RND,AP_SAT>"}  # fmt: skip


def _table_types_from_precision(entry: dict, where: str, is_softmax: bool, notes: list[str]) -> dict:
    """``Precision: {table: T}`` (as hls4ml's config_from_keras_model writes it) as the ``table_t: T`` key hls4ml
    reads; hls4ml 1.3 would leave the table at its default type."""
    pkey = next((k for k in entry if snake(k) == "precision"), None)
    prec = entry.get(pkey) if pkey is not None else None
    if not isinstance(prec, dict) or not any(k in prec for k in TABLE_PRECISIONS):
        return entry
    out, kept = dict(entry), dict(prec)
    for name in TABLE_PRECISIONS:
        if name not in prec:
            continue
        if name != "table" and not is_softmax:
            raise SpecError(f"{where}.Precision.{name}: applies to a Softmax layer only")
        value = kept.pop(name)
        if str(value).strip().lower() == "auto" or FixedPrecision.parse(str(value)) == FixedPrecision.parse(
            TABLE_PRECISIONS[name]
        ):
            continue  # hls4ml's default: nothing to move
        given = next((v for k, v in entry.items() if snake(k) == f"{name}_t"), None)
        if given is not None:
            if FixedPrecision.parse(str(given)) != FixedPrecision.parse(str(value)):
                raise SpecError(f"{where}: Precision.{name} '{value}' and {name}_t '{given}' disagree (give one)")
            continue
        out[f"{name}_t"] = value
        notes.append(f"{where}: Precision.{name} '{value}' applied as {name}_t (hls4ml 1.3 reads the table type "
                     f"only from {name}_t and would leave the default)")  # fmt: skip
    out[pkey] = kept
    return out


def skips_softmax(entry: Any) -> bool:
    """True when a (checked) softmax entry says ``Skip: true``: hls4ml then removes the softmax from the firmware."""
    return isinstance(entry, dict) and any(snake(k) == "skip" and v is True for k, v in entry.items())


def layer_type_names(layer: Any, is_softmax: bool) -> tuple[str, ...]:
    """The LayerType keys that select ``layer``: its Keras class and hls4ml's name for it (QDense -> Dense)."""
    cls = type(layer).__name__
    names = [cls]
    if len(cls) > 1 and cls[0] == "Q" and cls[1].isupper():
        names.append(cls[1:])
    if is_softmax:
        names.append("Softmax")
    if cls == "ReLU":
        names.append("Activation")
    return tuple(dict.fromkeys(names))
