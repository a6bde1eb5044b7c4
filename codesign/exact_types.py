"""Fixed-point types that hold a layer's result exactly where hls4ml 1.3's type inference falls back to its default.

hls4ml infers exact accumulator types for fixed-point weights, but a power-of-two (``quantized_po2``) kernel is
an exponent type it cannot reason about, so its accumulator and result get the default precision
(``ap_fixed<16,6>``) and overflow or truncate. A product ``x * 2**e`` of a value on an ``ap_fixed<W,I>``
grid needs ``I + e_max`` integer and ``W - I - e_min`` fractional bits; ``n`` of them summed need
``ceil(log2 n)`` more integer bits, and the bias one more. The same holds for hls4ml's ApplyAlpha layer, the
per-channel power-of-two scale of ``quantized_bits(alpha="auto_po2")`` kernels. And an activation quantizer
with no fractional bits is typed ``ap_int``/``ap_uint`` by hls4ml, which neither rounds nor saturates.

These functions read the hls4ml graph object or configuration they are given (duck-typed); :mod:`codesign.hls` calls them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from codesign.errors import SpecError
from codesign.precision import FixedPrecision, Overflow, Rounding, halving_shift, is_power_of_two


def po2_exponents(kernel: np.ndarray) -> tuple[int, int]:
    """(smallest, largest) exponent of a kernel of powers of two (zeros are not stored by quantized_po2)."""
    k = np.abs(np.asarray(kernel, dtype=np.float64))
    k = k[k != 0]
    if k.size == 0:
        return 0, 0
    _, e = np.frexp(k)
    return int(np.min(e)) - 1, int(np.max(e)) - 1


def po2_accum(
    in_prec: FixedPrecision, emin: int, emax: int, n_ops: int, bias: FixedPrecision | None
) -> FixedPrecision:
    """The type of sum_i x_i * (+-2**e_i) (+ bias) for n_ops products with e in [emin, emax], exactly."""
    integer = in_prec.integer + (0 if in_prec.signed else 1) + emax + math.ceil(math.log2(max(n_ops, 1)))
    frac = in_prec.fractional - emin
    if bias is not None:
        integer = max(integer, bias.integer + (0 if bias.signed else 1)) + 1
        frac = max(frac, bias.fractional)
    return FixedPrecision(integer + frac, integer, True)


def fix_po2(model: Any, cfg: dict, graph: Any, notes: list[str], owned: set[str]) -> bool:
    """Exact accum/result types for layers with power-of-two kernels (hls4ml gives them the default); True if changed.

    A result type the user set is kept; ``owned`` collects the layers whose types this function set.
    """
    changed = False
    for lyr in model.layers:
        kq = getattr(lyr, "kernel_quantizer_internal", None)
        if type(kq).__name__ != "quantized_po2" or lyr.name not in cfg["LayerName"]:
            continue
        prec = cfg["LayerName"][lyr.name].setdefault("Precision", {})
        if not isinstance(prec, dict) or (prec.get("result", "auto") != "auto" and lyr.name not in owned):
            continue
        try:
            node = graph.graph[lyr.name]
            in_prec = FixedPrecision.parse(str(node.get_input_variable().type.precision))
            bias = FixedPrecision.parse(str(node.types["bias_t"].precision)) if lyr.use_bias else None
        except Exception:
            notes.append(f"power-of-two layer '{lyr.name}': input type unknown, hls4ml's default types kept")
            continue
        import tensorflow as tf

        kernel = np.asarray(kq(tf.constant(lyr.get_weights()[0])))
        emin, emax = po2_exponents(kernel)
        accum = po2_accum(in_prec, emin, emax, int(np.prod(kernel.shape[:-1])), bias).to_hls()
        lin = cfg["LayerName"].get(f"{lyr.name}_linear")
        lin_prec = lin.setdefault("Precision", {}) if isinstance(lin, dict) else {}
        if prec.get("accum") != accum or prec.get("result") != accum or lin_prec.get("result", accum) != accum:
            # the split-off linear activation keeps its own (default) type once the result is set: set it too
            prec.update({"accum": accum, "result": accum})
            if isinstance(lin_prec, dict) and lin is not None:
                lin_prec["result"] = accum
            owned.add(lyr.name)
            changed = True
            notes.append(
                f"power-of-two layer '{lyr.name}' (exponents {emin}..{emax}) on {in_prec.to_hls()}: accum and result "
                f"{accum} (hls4ml 1.3 would use the default precision, which overflows or truncates)"
            )
    return changed


def fix_alpha(graph: Any, notes: list[str], ap_type: Callable[[str], Any]) -> None:
    """Exact result types for hls4ml's ApplyAlpha layers (the power-of-two scale of quantized_bits(alpha='auto_po2')).

    hls4ml 1.3 inserts them during conversion with their precision forced to 'auto', which falls back to the
    default precision (the scale is an exponent type it cannot reason about); no config reaches them, so the
    type is set on the converted graph before it is written (``ap_type``: string to the backend's type).
    """
    for node in list(graph.get_layers()):
        if node.class_name != "ApplyAlpha":
            continue
        _restore_po2_scale(node, notes)
        res = alpha_result(node)
        if res is None:
            notes.append(f"scale layer '{node.name}': types unknown, hls4ml's default result type kept")
            continue
        emin, emax = po2_exponents(node.weights["scale"].data)
        node.get_output_variable().type.precision = ap_type(res.to_hls())
        notes.append(
            f"scale layer '{node.name}' (hls4ml's ApplyAlpha for alpha='auto_po2', scales 2**{emin}..2**{emax}): "
            f"result {res.to_hls()} (hls4ml 1.3 would use the default precision, which overflows or truncates)"
        )


def alpha_result(node: Any) -> FixedPrecision | None:
    """The exact result type of hls4ml's ApplyAlpha ``node`` (x * 2**e + bias, QKeras' own scales), None if a type is
    unknown."""
    var = node.weights["scale"]
    scales = np.asarray(getattr(var, "data_unquantized", var.data), dtype=np.float64)
    if not (scales.size and all(is_power_of_two(v) for v in scales.ravel())):
        scales = np.asarray(var.data, dtype=np.float64)
    try:
        in_prec = FixedPrecision.parse(str(node.get_input_variable().type.precision))
        bias = FixedPrecision.parse(str(node.types["bias_t"].precision))
    except Exception:
        return None
    emin, emax = po2_exponents(scales)
    return po2_accum(in_prec, emin, emax, 1, bias)


def _restore_po2_scale(node: Any, notes: list[str]) -> None:
    """Write QKeras' own power-of-two scales into hls4ml's ApplyAlpha where its exponent quantizer clipped them.

    hls4ml 1.3 (``QKerasFactorizeAlpha``) stores the scales through ``quantized_po2(bits)`` with ``bits`` =
    max |log2 scale| + 1 (at least 2), whose largest exponent is below that bound: a scale of 2 among scales
    {1/2 .. 2} is written as 1, and the firmware's products are half the model's. The exact scales come back, in an
    exponent type wide enough for them.
    """
    var = node.weights["scale"]
    stored = np.asarray(var.data, dtype=np.float64)
    true = np.asarray(getattr(var, "data_unquantized", stored), dtype=np.float64).reshape(stored.shape)
    if np.array_equal(stored, true) or not (true.size and all(is_power_of_two(v) for v in true.ravel())):
        return
    var.data = true
    emin, emax = po2_exponents(true)
    width = 1 + max(1, math.ceil(math.log2(max(-emin, emax + 1, 1))))
    precision = var.type.precision
    if getattr(precision, "width", width) < width:
        precision.width = width
    bad = int(np.sum(stored != true))
    notes.append(
        f"scale layer '{node.name}': hls4ml 1.3 stored {bad} of its {true.size} power-of-two scales clipped "
        f"(its exponent quantizer stops below 2**{emax}); QKeras' scales 2**{emin}..2**{emax} written instead"
    )


_INT_TYPE = re.compile(r"^\s*(?:ap_)?(u?)int<\s*(\d+)\s*>\s*$")


def activation_quantizers(model: Any) -> list[tuple[str, Any]]:
    """(hls4ml layer name, QKeras quantizer) of every activation quantizer: a QActivation's, or a fused one.

    hls4ml splits a QDense/QConv's quantizer activation into its own layer named ``<layer>_<quantizer class>``.
    """
    out = []
    for lyr in model.layers:
        cls = type(lyr).__name__
        if cls == "QActivation":
            out.append((lyr.name, getattr(lyr, "quantizer", None)))
        elif cls.startswith("Q"):
            act = getattr(lyr, "activation", None)
            if act is not None and hasattr(act, "get_config") and not isinstance(act, type):
                out.append((f"{lyr.name}_{type(act).__name__}", act))
    return [(name, q) for name, q in out if type(q).__name__ in ("quantized_relu", "quantized_bits")]


def fix_integer_activations(model: Any, layers: dict, notes: list[str]) -> None:
    """Round and saturate activation quantizers with no fractional bits, as QKeras does.

    hls4ml 1.3 (``config_from_keras_model``) types an activation quantizer whose integer bits fill or exceed
    its width (``quantized_relu(3, 3)``, ``quantized_bits(3, 2)``) as a plain ``ap_uint``/``ap_int<I>``, which
    truncates and wraps where QKeras rounds half to even and saturates (and, for more integer bits than
    bits, keeps a step of 1 where QKeras' step is ``2**(integer - bits)``). Such a result becomes
    ``ap_[u]fixed<bits, I, AP_RND_CONV, AP_SAT>``, hls4ml's own integer bits I with QKeras' grid.
    """
    for name, q in activation_quantizers(model):
        prec = (layers.get(name) or {}).get("Precision")
        if not isinstance(prec, dict):
            continue
        m = _INT_TYPE.match(str(prec.get("result", "")))
        if not m:
            continue
        bits = int(q.get_config()["bits"])
        fixed = FixedPrecision(bits, int(m.group(2)), not m.group(1), Rounding.RND_CONV, Overflow.SAT)
        notes.append(
            f"layer '{name}': {q} has no fractional bits; hls4ml typed its result {prec['result']} "
            f"(truncates and wraps), set to {fixed.to_hls()} (rounds half to even and saturates, as QKeras)"
        )
        prec["result"] = fixed.to_hls()


def fix_symmetric_activations(model: Any, layers: dict, notes: list[str]) -> None:
    """``quantized_bits`` activations typed on QKeras' grid where hls4ml 1.3's type is another one.

    ``symmetric=True`` clips at ``-max``: ``AP_SAT_SYM`` (hls4ml's ``AP_SAT`` reaches ``-2**(I-1)``, which QKeras
    never outputs). ``keep_negative=False`` is QKeras' unsigned grid ``ap_ufixed<bits, integer>`` (hls4ml types it
    signed, one fractional bit short).
    """
    for name, q in activation_quantizers(model):
        c = q.get_config()
        symmetric, unsigned = bool(c.get("symmetric")), not c.get("keep_negative", True)
        if type(q).__name__ != "quantized_bits" or not (symmetric or unsigned):
            continue
        prec = (layers.get(name) or {}).get("Precision")
        if not isinstance(prec, dict):
            continue
        try:
            now = FixedPrecision.parse(str(prec.get("result")))
        except SpecError:
            now = FixedPrecision.from_qkeras(q)
        fixed = FixedPrecision.from_qkeras(q) if unsigned else replace(now, overflow=Overflow.SAT_SYM)
        if fixed != now:
            why = "keeps no negative values" if unsigned else "is symmetric"
            notes.append(f"layer '{name}': {q} {why}; result typed {fixed.to_hls()} (hls4ml: {now.to_hls()})")
        prec["result"] = fixed.to_hls()


# the parse keys where hls4ml 1.3's Keras handlers keep a QDense/QConv/QRNN's weight quantizers, by Keras attribute
WEIGHT_QUANTIZER_KEYS = {
    "kernel_quantizer": "weight_quantizer", "bias_quantizer": "bias_quantizer",
    "depthwise_quantizer": "depthwise_quantizer", "pointwise_quantizer": "pointwise_quantizer",
    "recurrent_quantizer": "recurrent_weight_quantizer",
}  # fmt: skip


def exact_weight_type(config: dict) -> tuple[FixedPrecision, str] | None:
    """(the weight type that holds a ``quantized_bits`` grid exactly, hls4ml 1.3's type) where hls4ml's is wrong.

    hls4ml 1.3 (``QKerasQuantizer._get_type``) types ``quantized_bits(bits, integer)`` weights as
    ``ap_int<bits>`` when ``integer == bits``, where QKeras' grid has a step of 2 and a range of
    [-2**bits, 2**bits - 2] (``quantized_bits(3, 3)``: -8..6, which ``ap_int<3>`` wraps): they become
    ``ap_fixed<bits, bits + 1>``. ``integer > bits`` already gets ``ap_fixed<bits, integer + 1>`` (right);
    ``keep_negative=False`` is left to the reference, which refuses it. ``config``: the quantizer's Keras config
    (``{"class_name", "config"}``). None when hls4ml's type is right or not corrected here.
    """
    if not isinstance(config, dict) or config.get("class_name") != "quantized_bits":
        return None
    c = config.get("config") or {}
    bits, integer = int(c.get("bits", 8)), int(c.get("integer", 0))
    if bits < 2 or integer != bits or not bool(c.get("keep_negative", True)):
        return None  # 1 bit is hls4ml's binary (xnor) path, not a fixed-point grid
    return FixedPrecision(bits, bits + 1, True), f"ap_int<{bits}>"


def weight_type_notes(model: Any) -> list[str]:
    """One note per QKeras weight quantizer whose hls4ml 1.3 type :func:`exact_weight_type` corrects."""
    notes = []
    for lyr in model.layers:
        cfg = lyr.get_config() if type(lyr).__name__.startswith("Q") else {}
        for attr in WEIGHT_QUANTIZER_KEYS:
            fixed = exact_weight_type(cfg.get(attr))
            if fixed is not None:
                c = cfg[attr]["config"]
                notes.append(
                    f"layer '{lyr.name}': {attr} quantized_bits({c.get('bits')},{c.get('integer')}) would be typed "
                    f"{fixed[1]} by hls4ml 1.3 (wraps QKeras' grid, step 2); typed {fixed[0].to_hls()}"
                )
    return notes


def relu_type(in_prec: FixedPrecision) -> FixedPrecision:
    """The type that holds ``max(x, 0)`` of every ``x`` of ``in_prec`` exactly.

    A signed ``ap_fixed<W,I>`` gives ``ap_ufixed<W-1,I-1>`` (the same integer and fractional bits without the
    sign); an unsigned (or one-bit) input keeps its own grid. No value is rounded or clipped, so the modes go.
    """
    if in_prec.signed and in_prec.width >= 2:
        return FixedPrecision(in_prec.width - 1, in_prec.integer - 1, False)
    return FixedPrecision(in_prec.width, in_prec.integer, in_prec.signed)


def leaky_relu_type(in_prec: FixedPrecision, shift: int) -> FixedPrecision:
    """The type that holds ``x if x > 0 else x * 2**-shift`` of every ``x`` of ``in_prec`` exactly.

    A signed ``ap_fixed<W,I>`` gives ``ap_fixed<W+shift,I>``: the positive side keeps its bits, the negative side is
    at most ``2**(I-1-shift)`` in magnitude and needs ``shift`` more fractional bits. An unsigned input has no
    negative side and keeps its own grid.
    """
    if in_prec.signed:
        return FixedPrecision(in_prec.width + shift, in_prec.integer, True)
    return FixedPrecision(in_prec.width, in_prec.integer, False)


def _float_relu_kind(node: Any) -> tuple[str, int] | None:
    """('relu', 0) or ('leaky relu', k) for a float relu / LeakyReLU(2**-k) layer of hls4ml's graph, else None."""
    if node.class_name == "Activation" and str(node.get_attr("activation", "")).lower() == "relu":
        return "relu", 0
    if str(node.get_attr("activation", "")).lower() == "leakyrelu":  # hls4ml's ParametrizedActivation
        shift = halving_shift(node.get_attr("activ_param", 0.0))
        return ("leaky relu", shift) if shift is not None else None
    return None


def _say(notes: list[str], name: str, text: str, what: str = "relu") -> None:
    """One note per relu layer: a later conversion pass replaces the earlier note (its input type may change)."""
    head = f"float {what} '{name}'"
    notes[:] = [n for n in notes if not n.startswith(head + ":")]
    notes.append(f"{head}: {text}")


def fix_float_relu(cfg: dict, graph: Any, notes: list[str], owned: set[str]) -> bool:
    """Exact result types for float ReLUs (``Activation("relu")``, ``ReLU()``, ``Dense(activation="relu")``) and
    float ``LeakyReLU(2**-k)`` (k >= 1).

    hls4ml 1.3 gives a float activation's ``auto`` result the default precision (``ap_fixed<16,6>``), which cuts
    large values and rounds fine ones, while QKeras computes relu on the exact (unquantized) output of the layer
    before. relu is exact in its input's type: the result becomes :func:`relu_type` of the resolved input type.
    hls4ml's ``leaky_relu`` kernel multiplies a negative input by the slope in full precision (its ``param_t`` holds a
    power of two exactly) and assigns it to the result type: :func:`leaky_relu_type` holds it exactly. Other slopes
    are not typed here (the reference refuses them).
    A quantized relu (``quantized_relu``) carries its quantizer's type and is not touched; a result type the user
    set is kept (a note says when it is not the exact one). ``owned`` collects the layers this function typed.
    True if a type changed (the layers after it must be converted again).
    """
    changed = False
    for node in graph.get_layers():
        kind = _float_relu_kind(node)
        if kind is None:
            continue
        what, shift = kind
        entry = cfg["LayerName"].get(node.name)
        if not isinstance(entry, dict):
            entry = cfg["LayerName"][node.name] = {}
        prec = entry.get("Precision", {})
        asked = prec.get("result", "auto") if isinstance(prec, dict) else prec
        try:
            in_prec = FixedPrecision.parse(str(node.get_input_variable().type.precision))
        except (SpecError, AttributeError):
            _say(
                notes,
                node.name,
                "input type unknown, its result type left as configured (exactness not guaranteed)",
                what,
            )
            continue
        want = leaky_relu_type(in_prec, shift) if shift else relu_type(in_prec)
        form = (
            f"its input {in_prec.to_hls()} with {shift} more fractional bits"
            if shift
            else "the unsigned form of its input"
        )
        if asked not in (None, "auto") and node.name not in owned:
            try:
                kept = FixedPrecision.parse(str(asked))
            except SpecError:
                continue  # the user's config checks report a precision that does not parse
            if kept != want:
                _say(notes, node.name, f"result {kept.to_hls()} from the user's config kept; {want.to_hls()} ({form}"
                                       f"{'' if shift else ' ' + in_prec.to_hls()}) would hold it exactly", what)  # fmt: skip
            continue
        if asked == want.to_hls():
            continue
        if not isinstance(entry.get("Precision"), dict):
            entry["Precision"] = {}
        entry["Precision"]["result"] = want.to_hls()
        owned.add(node.name)
        changed = True
        slope = f" (slope 2**-{shift})" if shift else ""
        _say(notes, node.name, f"result {want.to_hls()}, {what}{slope} of its input {in_prec.to_hls()} exactly (hls4ml "
                               "1.3 would use the default precision, which cuts large values and rounds fine ones)", what)  # fmt: skip
    return changed
