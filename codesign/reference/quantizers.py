"""QKeras quantizers and Keras activations applied by their definitions in float64, or refused.

Each definition is the QKeras 0.9 source's arithmetic with exact operands: a value times a power of two,
``np.round`` (half to even, as ``tf.round``) and a clip. A quantizer whose firmware (hls4ml 1.3) does
something else, or whose QKeras result depends on more than the value (stochastic rounding, a scale
taken from the batch), raises :class:`ReferenceUnavailableError` naming the layer and why.

Kernel and bias quantizers (:func:`quantize_weights`) are applied once to the stored float32 weights;
activation quantizers (:func:`apply_quantizer`) to float64 sums, which may be wider than float32 holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.errors import ReferenceUnavailableError
from codesign.precision import is_power_of_two

ACTIVATIONS = (
    "linear, relu, quantized_bits(alpha=1), quantized_relu (negative_slope 0 or a power of two < 1), quantized_tanh, "
    "quantized_sigmoid (QKeras' hard sigmoid, not symmetric)"
)
# what to do with a float activation the firmware cannot compute as the model does
QUANTIZE_IT = (
    "; replace it with QActivation('quantized_relu(bits, integer)') or QActivation('quantized_bits(bits, integer)'), "
    "whose grid the firmware computes exactly"
)
WEIGHT_QUANTIZERS = "quantized_bits(alpha=1 or None), quantized_po2 (no max_value above 1, no stochastic rounding)"


def quantizer_config(q: Any) -> tuple[str, dict]:
    """(class name, config) of a QKeras quantizer object, or (name, {}) of a Keras activation / its name."""
    if q is None:
        return "", {}
    if isinstance(q, str):
        return q, {}
    get = getattr(q, "get_config", None)
    if get is not None and not isinstance(q, type):
        return type(q).__name__, get()
    return getattr(q, "__name__", str(q)), {}


def _refuse(where: str, why: str) -> ReferenceUnavailableError:
    return ReferenceUnavailableError(f"{where}: {why}")


def _require_full_noise(name: str, c: dict, where: str) -> None:
    """QKeras returns (1 - qnoise_factor) * x + qnoise_factor * q(x): below 1 the model is not quantized there."""
    qn = c.get("qnoise_factor", 1.0)
    if qn is not None and float(np.asarray(qn)) != 1.0:
        raise _refuse(
            where,
            f"{name}(qnoise_factor={float(np.asarray(qn))}): QKeras outputs a mix of the unquantized and the quantized "
            "value, which no fixed-point firmware reproduces (hls4ml ignores the factor); set qnoise_factor=1 (the end "
            "of a QNoise schedule) and re-save the model",
        )


def _auto_po2_weights(q: Any, w: np.ndarray, where: str) -> np.ndarray:
    """quantized_bits(alpha="auto_po2") on weights: QKeras' own values (a power-of-two scale per output channel)."""
    import tensorflow as tf

    vals = np.asarray(q(tf.constant(np.asarray(w, dtype=np.float32))), dtype=np.float64)
    scale = np.asarray(q.scale, dtype=np.float64)
    if not all(is_power_of_two(float(v)) for v in np.ravel(scale)):
        raise _refuse(where, "quantized_bits(alpha='auto_po2') gave a scale that is not a power of two")
    return vals


def _quantized_bits(c: dict, x: np.ndarray, where: str, weights: bool) -> np.ndarray:
    alpha = c.get("alpha")
    if alpha not in (None, 1, 1.0):
        why = "per-channel scale (ApplyAlpha)" if weights else "a scale taken from each batch"
        raise _refuse(where, f"quantized_bits with alpha={alpha!r} has no exact reference ({why}); use alpha=1")
    if c.get("use_stochastic_rounding"):
        raise _refuse(where, "quantized_bits with stochastic rounding has no exact reference")
    bits, integer = int(c["bits"]), int(c.get("integer", 0))
    keep_negative = bool(c.get("keep_negative", True))
    symmetric = int(bool(c.get("symmetric", False)))
    unsigned_bits = bits - int(keep_negative)
    if unsigned_bits <= 0:
        raise _refuse(where, "1-bit quantized_bits (binary) has no exact reference here")
    if not keep_negative and weights:
        # hls4ml types them ap_fixed<bits, integer+1> (signed), one fractional bit short of QKeras' grid
        raise _refuse(
            where, "quantized_bits(keep_negative=False) weights: hls4ml 1.3 types them signed with one fractional bit less"
        )
    m, m_i = 2.0**unsigned_bits, 2.0**integer
    p = np.round(x * (m / m_i))  # numpy rounds half to even, as tf.round
    # an activation with keep_negative=False stops at 0 (codesign types it ap_ufixed<bits, integer>)
    return np.clip(p, (-m + symmetric) if keep_negative else 0.0, m - 1) * (m_i / m)


def _quantized_relu(c: dict, x: np.ndarray, where: str) -> np.ndarray:
    if c.get("use_sigmoid") or c.get("use_stochastic_rounding"):
        raise _refuse(where, "quantized_relu with use_sigmoid/stochastic rounding has no exact reference")
    if c.get("relu_upper_bound") is not None and not c.get("is_quantized_clip", True):
        raise _refuse(where, "quantized_relu with relu_upper_bound has no exact reference (hls4ml ignores the bound)")
    ns = float(c.get("negative_slope", 0.0) or 0.0)
    if ns and not (0 < ns < 1 and is_power_of_two(ns)):
        raise _refuse(
            where,
            f"quantized_relu(negative_slope={ns}): hls4ml multiplies by the slope rounded to an 8-bit constant; "
            "exact only for a power of two below 1 (0.5, 0.25, ...)",
        )
    bits, integer = int(c["bits"]), int(c.get("integer", 0))
    m, m_i = 2.0 ** (bits - (ns != 0.0)), 2.0**integer
    p = x * (m / m_i)
    xq = np.clip(np.round(p), 0.0, m - 1) * (m_i / m)
    if ns:
        # QKeras: m_i * ns * clip(round(p * ns) / (ns * m), -1, 0): the negative side stops at -ns * m_i
        xq = xq + np.clip(np.round(p * ns), -ns * m, 0.0) * (m_i / m)
    return xq


def _hard_tanh_sigmoid(name: str, c: dict, x: np.ndarray, where: str) -> np.ndarray:
    """quantized_tanh / quantized_sigmoid with QKeras' default hard sigmoid ``clip(x / 2 + 1 / 2, 0, 1)``.

    QKeras: ``clip(round(p * m) / m, lo, 1 - 1 / m)`` with ``p`` = ``2 * hard_sigmoid(x) - 1`` (``m = 2**(bits-1)``,
    ``lo = -1``) or ``hard_sigmoid(x)`` (``m = 2**bits``, ``lo = 0``). hls4ml 1.3's HardActivation computes ``p``
    exactly (slope and shift 0.5) and casts it to ``ap_[u]fixed<bits, 1 | 0, AP_RND_CONV, AP_SAT>``: the same values.
    """
    if c.get("use_real_tanh") or c.get("use_real_sigmoid"):
        raise _refuse(where, f"{name} with the real tanh/sigmoid: hls4ml evaluates it with a lookup table")
    if c.get("use_stochastic_rounding") or c.get("symmetric"):
        raise _refuse(where, f"{name} with stochastic rounding or symmetric=True has no exact reference here")
    bits = int(c.get("bits", 8))
    p = np.clip(0.5 * x + 0.5, 0.0, 1.0)
    if name == "quantized_tanh":
        m, lo, p = 2.0 ** (bits - 1), -1.0, 2.0 * p - 1.0
    else:
        m, lo = 2.0**bits, 0.0
    return np.clip(np.round(p * m) / m, lo, 1.0 - 1.0 / m)


def apply_quantizer(q: Any, x: np.ndarray, where: str) -> np.ndarray:
    """Apply a QKeras activation quantizer (object) or Keras activation (name/function) to float64 values."""
    name, c = quantizer_config(q)
    if name in ("linear", ""):
        return x
    _require_full_noise(name, c, where)
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "quantized_bits":
        return _quantized_bits(c, x, where, weights=False)
    if name == "quantized_relu":
        return _quantized_relu(c, x, where)
    if name == "softmax":
        raise _refuse(
            where, "softmax inside the model has no exact fixed-point reference (hls4ml uses lookup tables); a final "
            "softmax is left out of the firmware and its logits compared",
        )
    if name in ("quantized_po2", "quantized_relu_po2"):
        raise _refuse(where, f"{name} as an activation: hls4ml 1.3 types it as a fixed-point value, not a power of two")
    if name in ("quantized_tanh", "quantized_sigmoid"):
        return _hard_tanh_sigmoid(name, c, x, where)
    if name in ("tanh", "sigmoid", "hard_sigmoid", "hard_tanh"):
        final = " (a sigmoid or softmax at a model output is left out of the firmware and its logits compared)"
        hard = "" if name.startswith("hard") else f", or QActivation('quantized_{name}(bits)') (QKeras' hard {name})"
        raise _refuse(
            where,
            f"{name} inside the model: hls4ml evaluates it with a lookup table or a hard approximation that QKeras "
            f"does not share{final if name in ('sigmoid', 'tanh') else ''}{QUANTIZE_IT}{hard}",
        )
    raise _refuse(
        where, f"activation/quantizer '{name or q}' has no exact float64 reference (supported: {ACTIVATIONS}){QUANTIZE_IT}"
    )


def _po2_weights(q: Any, w: np.ndarray, where: str) -> np.ndarray:
    c = q.get_config()
    if c.get("use_stochastic_rounding") or c.get("quadratic_approximation"):
        raise _refuse(where, "quantized_po2 with stochastic rounding/quadratic approximation has no exact reference")
    if c.get("max_value") is not None and float(c["max_value"]) > 1:
        raise _refuse(where, "quantized_po2(max_value > 1) has no exact reference here")
    import tensorflow as tf

    # QKeras' own float32 arithmetic defines the weights (its log2 rounding is float32); hls4ml calls it too
    vals = np.asarray(q(tf.constant(np.asarray(w, dtype=np.float32))), dtype=np.float64)
    bad = [v for v in vals.ravel() if not is_power_of_two(float(v))]
    if bad:
        raise _refuse(where, f"quantized_po2 gave {bad[0]!r}, not a power of two (the firmware stores only +-2**k)")
    return vals


def quantize_weights(q: Any, w: np.ndarray, where: str) -> np.ndarray:
    """A layer's kernel or bias after its QKeras quantizer (None: left as is), in float64."""
    if q is None:
        return w
    name, c = quantizer_config(q)
    _require_full_noise(name, c, where)
    if name == "quantized_bits" and c.get("alpha") == "auto_po2" and not c.get("use_stochastic_rounding"):
        return _auto_po2_weights(q, w, where)
    if name == "quantized_bits":
        return _quantized_bits(c, w, where, weights=True)
    if name == "quantized_po2":
        return _po2_weights(q, w, where)
    raise _refuse(where, f"weight quantizer '{name}' has no exact reference (supported: {WEIGHT_QUANTIZERS})")


def frac_bits(a: np.ndarray) -> int:
    """Fractional bits needed to hold every (finite) value of ``a`` exactly (0 for integers)."""
    f = np.asarray(a, dtype=np.float64)
    f = f[np.isfinite(f) & (f != 0)]
    if f.size == 0:
        return 0
    _, e = np.frexp(np.abs(f))
    return int(max(0, np.max(sig_bits(f) - e)))


def sig_bits(a: np.ndarray) -> np.ndarray:
    """Significant bits of each value of ``a`` (0 for zero): a product is exact when the two counts add to <= 53."""
    f = np.abs(np.asarray(a, dtype=np.float64))
    m, _ = np.frexp(np.where(np.isfinite(f), f, 0.0))
    mi = (m * 2.0**53).astype(np.int64)
    nz = mi != 0
    tz = np.zeros(mi.shape, dtype=np.int64)
    tz[nz] = np.log2(mi[nz] & -mi[nz]).astype(np.int64)
    return np.where(nz, 53 - tz, 0)
