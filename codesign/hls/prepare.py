"""Model preparation before conversion: pruning wrappers stripped, a final softmax or sigmoid removed, N-d Dense
pre-quantized."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np

from codesign import keras_env
from codesign.errors import ReferenceUnavailableError, SpecError
from codesign.hls.activations import require_activation_kernels
from codesign.hls.layer_settings import require_layer_settings
from codesign.hls.recurrent import require_recurrent_settings
from codesign.reference.graph import fused_head_of, head_of
from codesign.reference.layers import SUPPORTED, refuse


def _layer_class(layer: Any) -> str:
    return type(layer).__name__


def _clone(model: Any, final_linear: str | Collection[str] | None = None) -> Any:
    """Fresh copy of ``model`` with copied weights (optionally some layers' activation made linear).

    Layer by layer through ``clone_model``: rebuilding the whole model from its JSON config fails for
    ``QActivation(quantizer_object)`` (its config holds the object, which JSON turns into a dict that
    QActivation does not deserialize), and pruning-stripped models cannot be sliced directly.
    """
    keras = keras_env.keras()
    linear = {final_linear} if isinstance(final_linear, str) else set(final_linear or ())

    def clone_layer(layer: Any) -> Any:
        cfg = layer.get_config()
        if layer.name in linear:
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
    return head_of(layer) == "softmax"


def _strip_final_heads(model: Any, notes: list[str]) -> Any:
    """Remove a softmax or sigmoid at the end of every output so the firmware outputs logits (each output of a
    multi-output model too: the reference compares logits there, and a kept softmax was judged a mismatch)."""
    keras = keras_env.keras()
    outs = [model.get_layer(n) for n in model.output_names]
    separate = {lyr.name: p for lyr in outs if head_of(lyr) and (p := _producer(lyr)) is not None}
    fused = {lyr.name: h for lyr in outs if lyr.name not in separate and (h := fused_head_of(lyr))}
    if not separate and not fused:
        return model
    _require_layers_before_head(model, "the model")
    new = _clone(model, final_linear=fused)
    if separate:
        tensors = [new.get_layer(separate[lyr.name].name if lyr.name in separate else lyr.name).output for lyr in outs]
        new = keras.Model(new.inputs, tensors if len(tensors) > 1 else tensors[0], name=model.name)
    for name, producer in separate.items():
        head = head_of(model.get_layer(name))
        notes.append(
            f"final {head} layer '{name}' removed: the firmware outputs the logits of "
            f"'{producer.name}', which the bit-accuracy check compares ({_DOWNSTREAM[head]})"
        )
    notes.extend(
        f"{head} activation of final layer '{n}' replaced by linear: the firmware outputs logits ({_DOWNSTREAM[head]})"
        for n, head in fused.items()
    )
    return new


_DOWNSTREAM = {
    "softmax": "apply softmax/argmax downstream",
    "sigmoid": "sigmoid is monotonic: a cut on the probability is the same cut on the logit, log(p / (1 - p))",
}


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


# QBatchNormalization's parameters, their quantizers, and the Keras flag that gives the layer the parameter
_QBN_PARAMS = (("gamma", "gamma", "scale"), ("beta", "beta", "center"), ("moving_mean", "mean", None),
               ("moving_variance", "variance", None))  # fmt: skip


def _prequantize_batchnorm(model: Any, notes: list[str]) -> Any:
    """Store a QBatchNormalization's gamma, beta, moving mean and variance already quantized by its own quantizers.

    hls4ml 1.3 converts it as a BatchNormalization of the stored float values and ignores the quantizers (its
    ``BatchNormalization.initialize``), while QKeras normalises with the quantized values: the firmware computed
    another normalisation than the model. QKeras' quantizers are idempotent, so storing q(w) leaves the model's
    outputs unchanged; a quantizer that is not (q(q(w)) != q(w)) is left alone and the reference refuses the layer.
    """
    targets = [lyr for lyr in model.layers if _layer_class(lyr) == "QBatchNormalization"]
    if not targets:
        return model
    import tensorflow as tf

    model = _clone(model)
    for src in targets:
        lyr = model.get_layer(src.name)
        names = [w.name.split("/")[-1].split(":")[0] for w in lyr.weights]
        ws = dict(zip(names, lyr.get_weights(), strict=True))
        changed = []
        for wname, qname, flag in _QBN_PARAMS:
            q = getattr(lyr, f"{qname}_quantizer_internal", None)
            if q is None or wname not in ws or (flag and not getattr(lyr, flag, True)):
                continue
            qw = np.asarray(q(tf.constant(ws[wname])))
            if not np.array_equal(np.asarray(q(tf.constant(qw))), qw):
                continue  # not idempotent: storing it would change the model
            if not np.array_equal(qw, ws[wname]):
                ws[wname] = qw
                changed.append(qname)
        if changed:
            lyr.set_weights([ws[n] for n in names])
            notes.append(
                f"QBatchNormalization '{src.name}': hls4ml 1.3 ignores its quantizers and normalises with the stored "
                f"float values, so its {', '.join(changed)} were stored already quantized (the model's outputs do not "
                "change; the firmware then rounds scale and bias to its types as for a BatchNormalization)"
            )
    return model


# identity at inference, unknown to hls4ml 1.3 ("Unsupported layer type"): converted as a Dropout, which it skips
INFERENCE_IDENTITY = ("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
                      "AlphaDropout", "ActivityRegularization")  # fmt: skip
# wrappers and layers that prepare_model replaces or removes before hls4ml sees them
_PREPARED = ("PruneLowMagnitude", "Dropout", *INFERENCE_IDENTITY)
_ADVICE = {
    "Normalization": "apply the normalisation to the data before the model (or fold it into the first Dense/Conv)",
    "Rescaling": "apply the scaling to the data before the model (or fold it into the first Dense/Conv)",
    "CategoryEncoding": "encode the data before the model",
}
# parsed by hls4ml 1.3, but its Vivado and Vitis backends have no kernel for them (only Quartus/oneAPI do): the
# generated C++ leaves the layer out and the next layer reads an array nothing wrote
_NO_KERNEL = ("SimpleRNN", "QSimpleRNN")
# hls4ml computes a recurrent layer's tanh/sigmoid from lookup tables (and asserts on QKeras' quantized ones)
_QKERAS_RECURRENT = ("QLSTM", "QGRU")
# QKeras folds the BatchNormalization into the quantized kernel at every call; hls4ml 1.3 parses the layer as one dict
# merged from a QConv2D's and a BatchNormalization's: the reference has no layer to compare with (it refused after the
# C-simulation, exit 6). (QDepthwiseConv2DBatchnorm has no hls4ml converter: require_convertible names it.)
_QKERAS_FOLDED = ("QConv2DBatchnorm",)
_NO_REFERENCE = f"no exact float64 reference for this layer class (accepted: {', '.join(SUPPORTED)})"  # as forward's


def _float_activation_name(layer: Any) -> str | None:
    """The Keras activation a ``QActivation("relu")`` holds (a function, not a QKeras quantizer), else None."""
    if _layer_class(layer) != "QActivation":
        return None
    q = getattr(layer, "quantizer", None)
    if q is None or hasattr(q, "get_config"):
        return None
    name = getattr(q, "__name__", "")
    return name if name and "binary" not in name and "ternary" not in name else None


def _plain_layers(model: Any, notes: list[str]) -> Any:
    """``QActivation(<Keras activation>)`` as the ``Activation`` it is, and inference-identity layers as ``Dropout``:
    hls4ml 1.3 refuses both ("Unsupported QKeras activation: unknown", "Unsupported layer type"); the model's
    outputs do not change."""
    keras = keras_env.keras()
    acts = {lyr.name: a for lyr in model.layers if (a := _float_activation_name(lyr))}
    idents = {lyr.name: _layer_class(lyr) for lyr in model.layers if _layer_class(lyr) in INFERENCE_IDENTITY}
    # hls4ml 1.3 names a Softmax layer's config struct 'Softmax_config<i>' and calls it as 'softmax_config<i>' (g++
    # fails); over the last axis it is Activation('softmax'), which it writes consistently
    softmax = [lyr.name for lyr in model.layers if _layer_class(lyr) == "Softmax"
               and lyr.get_config().get("axis", -1) in (-1, len(lyr.output_shape) - 1)]  # fmt: skip
    acts.update(dict.fromkeys(softmax, "softmax"))
    if not acts and not idents:
        return model

    def clone_layer(layer: Any) -> Any:
        if layer.name in acts:
            return keras.layers.Activation(acts[layer.name], name=layer.name)
        if layer.name in idents:
            return keras.layers.Dropout(0.0, name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    new = keras.models.clone_model(model, clone_function=clone_layer)
    for layer in new.layers:
        src = model.get_layer(layer.name)
        if src.get_weights():
            layer.set_weights(src.get_weights())
    notes.extend(f"QActivation '{n}' holds the float activation '{a}', not a QKeras quantizer: converted as "
                 f"Activation('{a}') (hls4ml 1.3 refuses it in a QActivation)" for n, a in acts.items()
                 if n not in softmax)  # fmt: skip
    notes.extend(f"Softmax layer '{n}' converted as Activation('softmax'), the same function (hls4ml 1.3 writes a "
                 "Softmax layer's C++ call with a config name it does not define)" for n in softmax)  # fmt: skip
    notes.extend(f"layer '{n}' ({c}) is the identity at inference: converted as a Dropout, which hls4ml skips"
                 for n, c in idents.items())  # fmt: skip
    return new


def require_convertible(
    model: Any, source: str = "the model", ignore: Collection[str] = (), strips_heads: bool = False
) -> None:
    """SpecError naming every layer whose class hls4ml 1.3 has no converter for (it raised 'Unsupported layer type'
    from deep inside the conversion), with what to do instead. ``ignore``: classes that do not go to firmware (the
    VAE's sampling); HGQ layers are left to :func:`codesign.hgq.require_proxy`, which says what to give instead."""
    from hls4ml.converters.keras_v2_to_hls import get_supported_keras_layers

    known = set(get_supported_keras_layers()) | set(_PREPARED) | set(ignore)
    bad = [lyr for lyr in model.layers if _layer_class(lyr) not in known and "hgq" not in type(lyr).__module__.lower()]
    if bad:
        named = ", ".join(f"'{lyr.name}' ({_layer_class(lyr)})" for lyr in bad)
        advice = "; ".join(dict.fromkeys(_ADVICE[c] for lyr in bad if (c := _layer_class(lyr)) in _ADVICE))
        raise SpecError(
            f"{source}: layer(s) {named}: hls4ml 1.3 has no converter for this layer class, so it cannot go to "
            f"firmware; {advice + ', or ' if advice else ''}remove or replace it with a layer hls4ml converts "
            "(Dense/Conv, pooling, Reshape, Activation, QKeras layers ...) and re-save the model"
        )
    _require_kernels_as_written(model, source)
    if strips_heads:  # a spec's model: its final softmax/sigmoid never goes to firmware
        _require_layers_before_head(model, source)


def _require_layers_before_head(model: Any, source: str) -> None:
    """SpecError for a final softmax/sigmoid fed by the input: left out of the firmware, nothing would remain (a Keras
    error, exit 7, when the model was cut)."""
    for lyr in (model.get_layer(n) for n in model.output_names):
        if head_of(lyr) and _layer_class(_producer(lyr)) == "InputLayer":
            raise SpecError(f"{source}: final {head_of(lyr)} layer '{lyr.name}' is the model's only layer: codesign "
                            "leaves it out of the firmware, which outputs and checks the logits, and none would remain "
                            "(accepted: a model with layers before it; an hls4ml config keeps a final softmax with a "
                            "LayerName entry and the stable or latency implementation)")  # fmt: skip


def _require_kernels_as_written(model: Any, source: str) -> None:
    """SpecError for a SimpleRNN (no Vivado/Vitis kernel: its firmware output would be uninitialised memory), a
    normalized Dot (hls4ml reads neither ``normalize`` nor ``axes``) and a bilinear UpSampling2D (converted as
    nearest), ReferenceUnavailableError for a QKeras QLSTM/QGRU (no exact reference; hls4ml refuses its quantized
    activations)."""

    def named(classes: tuple[str, ...]) -> str:
        return ", ".join(f"'{lyr.name}' ({_layer_class(lyr)})" for lyr in model.layers if _layer_class(lyr) in classes)

    no_kernel, recurrent = named(_NO_KERNEL), named(_QKERAS_RECURRENT)
    if no_kernel:
        raise SpecError(
            f"{source}: layer(s) {no_kernel}: hls4ml 1.3's Vivado and Vitis backends have no SimpleRNN kernel "
            "(only its Quartus and oneAPI backends do): the generated C++ leaves the layer out and the next layer "
            "reads values nothing computed; accepted recurrent layers: LSTM or GRU (io_parallel or io_stream)"
        )
    normalized = [lyr.name for lyr in model.layers if _layer_class(lyr) == "Dot" and lyr.get_config().get("normalize")]
    if normalized:
        raise SpecError(
            f"{source}: layer(s) {', '.join(repr(n) for n in normalized)} (Dot): normalize=True, which hls4ml 1.3 "
            "ignores (its dot1d sums the plain products); accepted: Dot(axes=1) of two vectors, normalize=False "
            "(normalize the inputs with layers before it if needed)"
        )
    interp = [f"'{lyr.name}' ({_layer_class(lyr)}, interpolation='{lyr.get_config().get('interpolation')}')"
              for lyr in model.layers if _layer_class(lyr) == "UpSampling2D"
              and lyr.get_config().get("interpolation", "nearest") != "nearest"]  # fmt: skip
    if interp:
        raise SpecError(
            f"{source}: layer(s) {', '.join(interp)}: hls4ml 1.3's Vivado and Vitis backends resize by nearest "
            "neighbour only (its config_from_keras_model writes 'Algorithm: nearest', so the layer was converted as "
            "a nearest-neighbour upsampling, not as the model computes it); accepted: interpolation='nearest'"
        )
    ignored = [f"'{lyr.name}' ({_layer_class(lyr)}, {why})" for lyr in model.layers if (why := _ignored_setting(lyr))]
    if ignored:
        raise SpecError(
            f"{source}: layer(s) {', '.join(ignored)}: hls4ml 1.3 does not read this setting, so its firmware would "
            "compute another layer than the model's (a wrong shape, or the next layer reading memory nothing wrote); "
            "accepted: dilation_rate 1, groups 1, BatchNormalization over the last axis"
        )
    require_recurrent_settings(model, source)
    require_activation_kernels(model, source)
    require_layer_settings(model, source)
    for lyr in model.layers:
        if _layer_class(lyr) in _QKERAS_FOLDED:
            raise ReferenceUnavailableError(
                f"{source}: {refuse(lyr, _NO_REFERENCE)}; refused before any training or conversion; accepted: a "
                "QConv2D followed by its own QBatchNormalization or BatchNormalization layer"
            )
    if recurrent:
        raise ReferenceUnavailableError(
            f"{source}: layer(s) {recurrent}: a QKeras recurrent layer has no exact reference: hls4ml "
            "1.3 computes its tanh/sigmoid from lookup tables, not as QKeras does (and refuses QKeras' quantized "
            "activations in it); accepted: a float Keras LSTM/GRU in a float model (its firmware is then checked bit "
            "for bit against codesign's fixed-point emulator of its types)"
        )


def _ignored_setting(layer: Any) -> str | None:
    """A Keras setting hls4ml 1.3's converters do not read, as ``key=value``: a convolution's ``dilation_rate`` or
    ``groups`` other than 1, a BatchNormalization's ``axis`` other than the last."""
    cfg = layer.get_config()
    if "Conv" in _layer_class(layer):
        dil = cfg.get("dilation_rate", 1)
        if any(int(d) != 1 for d in (dil if isinstance(dil, (list, tuple)) else [dil])):
            return f"dilation_rate={dil}"
        if int(cfg.get("groups", 1) or 1) != 1:
            return f"groups={cfg['groups']}"
    if "BatchNormalization" in _layer_class(layer):
        axis = cfg.get("axis", -1)
        axes = [int(axis)] if isinstance(axis, int) else [int(a) for a in axis]  # tf-keras: a ListWrapper
        rank = len(layer.input_shape) if not isinstance(layer.input_shape, list) else len(layer.input_shape[0])
        if [a % rank for a in axes] != [rank - 1]:
            return f"axis={axes[0] if len(axes) == 1 else axes}"
    return None


def final_head_name(model: Any, head: str = "softmax") -> str | None:
    """hls4ml's name for the ``head`` ('softmax' or 'sigmoid') ending a single-output model: the separate layer's
    name, or ``<layer>_<head>`` for the output layer's own activation (hls4ml splits it out under that name)."""
    if len(model.outputs) != 1 or not model.layers:
        return None
    last = model.get_layer(model.output_names[0])
    if head_of(last) == head and _producer(last) is not None:
        return last.name
    return f"{last.name}_{head}" if fused_head_of(last) == head else None


def split_activation_names(model: Any) -> dict[str, Any]:
    """``{hls4ml's name of a fused activation (``<layer>_<activation>``): the layer}``, e.g. ``out_sigmoid``."""
    from codesign.reference.quantizers import quantizer_config

    out = {}
    for lyr in model.layers:
        if head_of(lyr) is not None or _layer_class(lyr) in ("Activation", "QActivation", "InputLayer"):
            continue
        act = getattr(lyr, "activation", None)
        name = quantizer_config(act if hasattr(act, "get_config") else getattr(act, "__name__", act))[0] if act else ""
        if name and name != "linear":
            out[f"{lyr.name}_{name}"] = lyr
    return out


def final_softmax_name(model: Any) -> str | None:
    """Name of a separate softmax layer at the end of a single-output model, or None."""
    return final_head_name(model, "softmax")


def prepare_model(model: Any, keep_final_softmax: bool = False) -> tuple[Any, list[str]]:
    """Strip pruning wrappers and a final softmax/sigmoid (unless kept), convert a QActivation holding a Keras
    activation and inference-identity layers to what hls4ml reads, pre-quantize N-D QDense weights and
    QBatchNormalization parameters; returns model and notes."""
    notes: list[str] = []
    model = _strip_pruning(model, notes)
    if not keep_final_softmax:
        model = _strip_final_heads(model, notes)
    model = _plain_layers(model, notes)
    model = _prequantize_nd_dense(model, notes)
    model = _prequantize_batchnorm(model, notes)
    return model, notes


def _producer(layer: Any) -> Any | None:
    nodes = layer.inbound_nodes
    if not nodes:
        return None
    inbound = nodes[0].inbound_layers
    if isinstance(inbound, list):
        return inbound[0] if len(inbound) == 1 else None
    return inbound
