"""Keys that hls4ml's ``config_from_keras_model`` writes for one kind of layer, checked against that layer.

- ``Algorithm`` (an UpSampling1D/2D, as hls4ml's Resize): hls4ml 1.3 reads it and resizes with it, so it must be
  the Keras layer's own interpolation; on any other layer it is refused.
- ``Precision: {beta, gamma, mean, variance}`` (a QBatchNormalization, one entry per quantizer): hls4ml 1.3 does not
  read them (its BatchNormalization folds the stored values into ``scale`` and ``bias``); codesign stores the four
  values already quantized by the layer's own quantizers (``hls.prepare``), so a type is accepted where it is that
  quantizer's, or hls4ml's stand-in (the Model default) for a quantizer it cannot map (``quantized_po2``); another
  type would be dropped, and is refused. They are removed from the entry hls4ml gets.
- ``Precision: {param}`` (written ``auto`` for every activation layer): the type of a parametrized activation's
  alpha / theta / PReLU slopes, which hls4ml 1.3 reads (``param_t``) and the emulator takes from parameters.h; a
  type on another layer would be dropped, and is refused. The same for an LSTM/GRU's ``recurrent_weight`` and
  ``recurrent_bias`` types, and its ``static`` flag (test_rnn.py), a Bidirectional's per-direction types and an
  Embedding's ``embeddings`` type (test_embed.py).
"""

from __future__ import annotations

from typing import Any

from codesign.errors import SpecError
from codesign.precision import FixedPrecision

BATCHNORM_PRECISION_KEYS = ("beta", "gamma", "mean", "variance")
RESIZE_CLASSES = ("UpSampling1D", "UpSampling2D")
# the layers hls4ml 1.3 converts to a ParametrizedActivation / PReLU, which hold a param_t
PARAM_CLASSES = ("ELU", "LeakyReLU", "ThresholdedReLU", "PReLU")
PARAM_ACTIVATIONS = ("elu", "leaky_relu")
# the recurrent layers: their recurrent_weight / recurrent_bias types and 'static' (one cell instance for all steps)
RECURRENT_CLASSES = ("LSTM", "GRU", "QLSTM", "QGRU", "Bidirectional")
# a Bidirectional's per-direction types, which hls4ml 1.3 reads and the emulator takes from parameters.h
BIDIRECTIONAL_PRECISION_KEYS = tuple(f"{d}_{k}" for d in ("forward", "backward")
                                     for k in ("weight", "bias", "recurrent_weight", "recurrent_bias"))  # fmt: skip


def _same_type(a: FixedPrecision, b: FixedPrecision) -> bool:
    return (a.width, a.integer, a.signed) == (b.width, b.integer, b.signed)


def _class_name(layer: Any) -> str | None:
    return type(layer).__name__ if layer is not None else None


def _interpolation(layer: Any) -> str:
    return str(getattr(layer, "interpolation", "nearest")).lower()


def check_algorithm(value: Any, layer: Any, where: str) -> None:
    """``Algorithm`` on an UpSampling layer equal to its own interpolation, else a SpecError naming both."""
    cls = _class_name(layer)
    if cls not in RESIZE_CLASSES:
        raise SpecError(f"{where}.Algorithm: applies to {' / '.join(RESIZE_CLASSES)} layers only (this is {cls})")
    own = _interpolation(layer)
    if str(value).strip().lower() != own:
        raise SpecError(
            f"{where}.Algorithm: {value!r}: hls4ml 1.3 would resize with it while the Keras layer interpolates "
            f"'{own}', so the firmware would compute another layer (accepted: {own}, or leave it out)"
        )


def batchnorm_precisions(precision: dict, layer: Any, model_default: FixedPrecision | None, where: str,
                         notes: list[str]) -> dict:  # fmt: skip
    """``precision`` without its beta/gamma/mean/variance keys, each checked against ``layer``'s quantizer."""
    keys = [k for k in BATCHNORM_PRECISION_KEYS if k in precision]
    if not keys:
        return precision
    cls = _class_name(layer)
    if cls != "QBatchNormalization":
        raise SpecError(
            f"{where}.Precision: key(s) {', '.join(keys)} are read by hls4ml 1.3 on no layer; config_from_keras_model "
            f"writes them for a QBatchNormalization's quantizers only (this is {cls}; accepted: leave them out)"
        )
    out = dict(precision)
    for key in keys:
        text = str(out.pop(key))
        at = f"{where}.Precision.{key}"
        if text.strip().lower() == "auto":
            continue
        given = FixedPrecision.parse(text)
        quantizer = getattr(layer, f"{key}_quantizer_internal", None)
        if quantizer is None:
            raise SpecError(f"{at}: '{text}' is not read by hls4ml 1.3 and the layer has no {key}_quantizer that "
                            "would give the stored value this type (accepted: leave it out, or set the quantizer)")  # fmt: skip
        try:
            own, stand_in = FixedPrecision.from_qkeras(quantizer), False
        except SpecError:
            own, stand_in = model_default, True
        if own is None or not _same_type(given, own):
            accepted = own.to_hls() if own is not None else "leave it out"
            raise SpecError(
                f"{at}: '{text}' is not read by hls4ml 1.3; codesign stores the layer's {key} quantized by its own "
                f"{key}_quantizer ({quantizer}), which this type does not describe (accepted: {accepted}, or leave "
                "it out)"
            )
        if stand_in:
            notes.append(f"{at}: '{text}' (hls4ml's stand-in for the {key}_quantizer {quantizer}, which it cannot "
                         f"map) is not read by hls4ml 1.3; the stored {key} is quantized by that quantizer itself")  # fmt: skip
    return out


def _owns(key: str, layer: Any) -> bool:
    cls = _class_name(layer)
    if key.startswith(("forward_", "backward_")):
        return cls == "Bidirectional"
    if key == "embeddings":
        return cls == "Embedding"
    if key == "param":
        act = str(getattr(getattr(layer, "activation", None), "__name__", "")).lower()
        return cls in PARAM_CLASSES or (cls == "Activation" and act in PARAM_ACTIVATIONS)
    return cls in RECURRENT_CLASSES


def check_param(precision: dict, layer: Any, where: str) -> None:
    """A ``param`` / ``recurrent_weight`` / ``recurrent_bias`` type other than ``auto`` only where hls4ml reads it."""
    for key, what in (("param", f"a parametrized activation ({', '.join(PARAM_CLASSES)}, Activation('elu' / "
                                "'leaky_relu'))"), ("recurrent_weight", "an LSTM / GRU"), ("recurrent_bias", "an LSTM / GRU"),
                      *((k, "a Bidirectional layer") for k in BIDIRECTIONAL_PRECISION_KEYS),
                      ("embeddings", "an Embedding")):  # fmt: skip
        text = precision.get(key)
        if text is None or str(text).strip().lower() == "auto" or _owns(key, layer):
            continue
        cls = _class_name(layer)
        raise SpecError(f"{where}.Precision.{key}: '{text}' is read by hls4ml 1.3 only for {what}; this is {cls} "
                        "(accepted: auto, or leave it out)")  # fmt: skip


def check_static(value: Any, layer: Any, where: str) -> None:
    """``static`` (an LSTM/GRU's, as hls4ml's test_rnn.py sets it): true or false, on a recurrent layer only."""
    if not isinstance(value, bool):
        raise SpecError(f"{where}.static: must be true or false, got {value!r}")
    cls = _class_name(layer)
    if cls not in RECURRENT_CLASSES:
        raise SpecError(f"{where}.static: read by hls4ml 1.3 only for {', '.join(RECURRENT_CLASSES)} layers; this "
                        f"is {cls} (accepted: leave it out)")  # fmt: skip
