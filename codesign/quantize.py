"""Quantization with QKeras: the float model as a QKeras model, quantization-aware training, quantized weights.

:func:`to_qkeras` keeps the topology and layer names and swaps, layer by layer:

- ``Dense`` -> ``QDense`` and ``Conv1D`` -> ``QConv1D`` with ``quantized_bits(bits, integer, alpha=1)``
  kernel and bias quantizers (``alpha=1``: no per-channel scale, so hls4ml reproduces it bit for bit);
- ReLU -> ``QActivation(quantized_relu(activation_bits, activation_integer))``; a ReLU fused into a
  Dense/Conv1D becomes that layer's ``quantized_relu`` activation;
- BatchNormalization is folded into the Dense/Conv1D before it (:mod:`codesign.fold`);
- a final softmax or sigmoid stays (a float ``Activation``, or the output layer's own activation); the logits
  layer's output is not quantized (hls4ml sizes it
  exactly from the weight and input types), so the logits can be compared bit for bit.

Per-layer overrides (``quantize.layers``) are keyed by layer name: ``bits``/``integer`` on a Dense/Conv1D
layer, ``activation_bits``/``activation_integer`` on a ReLU layer or on the layer that feeds it.

:func:`qat` fine-tunes with the pruning mask held: after every batch the masked kernel entries are set back
to exactly zero, and at the end the quantized kernels are checked to be zero there.
"""

from __future__ import annotations

import numpy as np

from codesign import distill, keras_env
from codesign.errors import InternalError, SpecError
from codesign.fold import WEIGHT_LAYERS, fold_batchnorm, producers
from codesign.prune import masks, prunable_layers, sparsity_of
from codesign.reference.graph import FINAL_HEADS
from codesign.train import TrainResult, compile_model, fit, seed_everything

keras = keras_env.keras()
from qkeras import QActivation, QConv1D, QDense, quantized_bits, quantized_relu  # noqa: E402
from qkeras.utils import _add_supported_quantized_objects  # noqa: E402

# non-trainable Dense/Conv1D layers (fixed 0/1 matrices in a user's model): exact in quantized_bits(2, 1) (values -2..1).
FIXED_QUANTIZER = (2, 1)
# weightless layers whose fused activation is a ReLU made quantized_relu like a Dense/Conv1D's
ACT_LAYERS = ("EdgePairSum",)


def custom_objects() -> dict:
    """QKeras and codesign layer classes, for ``keras.models.load_model`` of a quantized model."""
    from codesign.zoo import CUSTOM_OBJECTS

    objs = dict(CUSTOM_OBJECTS)
    _add_supported_quantized_objects(objs)
    return objs


def _is_relu(layer) -> bool:
    cls = type(layer).__name__
    if cls == "ReLU":
        cfg = layer.get_config()
        if cfg.get("max_value") is not None or cfg.get("negative_slope", 0) or cfg.get("threshold", 0):
            raise SpecError(
                f"layer {layer.name!r}: ReLU with max_value/negative_slope/threshold has no quantized_relu "
                f"mapping here (accepted: a plain ReLU)"
            )
        return True
    return cls == "Activation" and layer.get_config()["activation"] == "relu"


def _check_overrides(model, q) -> None:
    layers = {layer.name: layer for layer in model.layers}
    relu_after = {prod for name, prod in producers(model).items() if _is_relu(layers[name])}
    for name, lq in q.layers.items():
        key = f"quantize.layers.{name}"
        if name not in layers:
            accepted = [n for n, layer in layers.items() if type(layer).__name__ in WEIGHT_LAYERS or _is_relu(layer)]
            raise SpecError(f"{key}: no layer named {name!r} in the model (accepted: {', '.join(accepted)})")
        layer = layers[name]
        has_weights = type(layer).__name__ in WEIGHT_LAYERS
        weight_keys = (lq.bits, lq.integer, lq.bias_bits, lq.bias_integer)
        if any(v is not None for v in weight_keys) and not (has_weights and layer.trainable):
            raise SpecError(
                f"{key}: bits/integer (and bias_bits/bias_integer) set a kernel/bias quantizer; {name!r} is a {type(layer).__name__} "
                f"without trainable weights (give activation_bits/activation_integer for an activation)"
            )
        fused_relu = (has_weights or type(layer).__name__ in ACT_LAYERS) and layer.get_config().get("activation") == "relu"
        if (lq.activation_bits is not None or lq.activation_integer is not None) and not (
            _is_relu(layer) or name in relu_after or fused_relu
        ):
            raise SpecError(
                f"{key}: activation_bits/activation_integer apply to a ReLU or the layer feeding one; "
                f"{name!r} is neither (the logits output stays unquantized so that hls4ml sizes it exactly)"
            )


def _pick(value, default):
    return default if value is None else value


def to_qkeras(float_model, q):
    """The QKeras version of ``float_model`` at the QuantizeSpec ``q``, float weights copied in.

    BatchNormalization layers are folded into the Dense/Conv1D before them first (:func:`fold_batchnorm`).
    """
    float_model = fold_batchnorm(float_model)
    _check_overrides(float_model, q)
    feeds = producers(float_model)
    none = type("NoOverride", (), dict.fromkeys(
        ("bits", "integer", "bias_bits", "bias_integer", "activation_bits", "activation_integer")))  # fmt: skip

    def weight_quantizers(layer):
        if not layer.trainable:
            bits, integer = FIXED_QUANTIZER
            bbits, binteger = bits, integer
        else:
            bits, integer, bbits, binteger = q.weight_bits(layer.name)
        return {
            "kernel_quantizer": quantized_bits(bits, integer, alpha=1),
            "bias_quantizer": quantized_bits(bbits, binteger, alpha=1),
        }

    def act_quantizer(layer):
        own = q.layers.get(layer.name, none)
        feed = q.layers.get(feeds.get(layer.name, ""), none)
        bits = _pick(own.activation_bits, _pick(feed.activation_bits, q.act_bits))
        integer = _pick(own.activation_integer, _pick(feed.activation_integer, q.act_integer))
        return quantized_relu(bits, integer)

    def clone_fn(layer):
        cls = type(layer).__name__
        cfg = layer.get_config()
        if cls in WEIGHT_LAYERS:
            # A fused ReLU becomes the layer's quantized_relu activation (hls4ml splits it out again).
            act = act_quantizer(layer) if cfg["activation"] == "relu" else None
            if cfg["activation"] in FINAL_HEADS:
                act = cfg["activation"]  # an output's (checked below): left out of the firmware, its logits compared
            common = {"use_bias": cfg["use_bias"], "name": layer.name, "trainable": layer.trainable, "activation": act}
            if cls == "Dense":
                return QDense(cfg["units"], **common, **weight_quantizers(layer))
            return QConv1D(
                cfg["filters"], cfg["kernel_size"], strides=cfg["strides"], padding=cfg["padding"],
                **common, **weight_quantizers(layer),
            )  # fmt: skip
        if cls in ACT_LAYERS and cfg.get("activation") == "relu":
            # a weightless layer with a fused ReLU (the interaction network's EdgePairSum) gets the quantized_relu
            return layer.__class__.from_config({**cfg, "activation": act_quantizer(layer)})
        if _is_relu(layer):
            return QActivation(act_quantizer(layer), name=layer.name)
        if cls == "Activation" and cfg["activation"] not in ("softmax", "sigmoid", "linear"):
            raise SpecError(
                f"layer {layer.name!r}: activation {cfg['activation']!r} has no QKeras mapping here "
                f"(accepted: relu -> quantized_relu, softmax, sigmoid and linear kept)"
            )
        return layer.__class__.from_config(cfg)

    outputs = set(float_model.output_names)
    for layer in float_model.layers:
        act = layer.get_config().get("activation") if type(layer).__name__ in WEIGHT_LAYERS else "linear"
        if act not in ("linear", "relu") and not (act in FINAL_HEADS and layer.name in outputs):
            raise SpecError(
                f"layer {layer.name!r}: fused activation {act!r}; put it in its own Activation layer (accepted fused: "
                "relu -> quantized_relu, linear, and softmax or sigmoid on an output layer, which the firmware leaves "
                "out so the logits before it can be compared bit for bit)"
            )
    qmodel = keras.models.clone_model(float_model, clone_function=clone_fn)
    for layer in qmodel.layers:
        layer.set_weights(float_model.get_layer(layer.name).get_weights())
    return qmodel


class _HoldMask(keras.callbacks.Callback):
    """Set the masked kernel entries back to exactly zero after every batch."""

    def __init__(self, variables_and_masks):
        super().__init__()
        self.pairs = variables_and_masks

    def apply(self) -> None:
        for var, mask in self.pairs:
            var.assign(var * mask)

    def on_train_batch_end(self, batch, logs=None):
        self.apply()


def _mask_pairs(qmodel, mask_from) -> list:
    pairs = []
    for name, mask in masks(mask_from).items():
        try:
            layer = qmodel.get_layer(name)
        except ValueError:
            raise SpecError(f"pruning mask: layer {name!r} of the pruned model is not in the quantized model") from None
        if tuple(layer.kernel.shape) != mask.shape:
            raise SpecError(
                f"pruning mask: layer {name!r} kernel shape {tuple(layer.kernel.shape)} != mask shape {mask.shape}"
            )
        pairs.append((layer.kernel, mask.astype(np.float32)))
    return pairs


def qat(qmodel, data, q, train, mask_from=None, teacher=None) -> TrainResult:
    """Quantization-aware training for ``q.epochs`` epochs; zeros of ``mask_from`` (pruned float) stay zero.

    With ``q.distill`` the QAT model fits ``teacher``'s (the float model's) outputs (:mod:`codesign.distill`)."""
    seed_everything(train.seed)
    hold = _HoldMask(_mask_pairs(qmodel, mask_from) if mask_from is not None else [])
    hold.apply()
    task = getattr(data, "task", "classification")
    if getattr(q, "distill", False):
        if teacher is None:
            raise InternalError("quantize.distill: QAT was given no float model to distill from")
        data = distill.fit_set(data, q.distill_widen, int(train.seed))
        student, y, loss = distill.student_and_targets(teacher, qmodel, data, task, key="quantize.distill")
        student.compile(optimizer=keras.optimizers.Adam(learning_rate=float(train.learning_rate)), loss=loss)
    else:
        student, y = qmodel, None
        compile_model(qmodel, task, train.learning_rate)
    result = fit(student, data, train, int(q.epochs), callbacks=[hold], y=y)
    if student is not qmodel:
        compile_model(qmodel, task, train.learning_rate)
    hold.apply()
    if mask_from is not None:
        qw = quantized_weights(qmodel)
        for name, mask in masks(mask_from).items():
            leaked = int(np.count_nonzero(qw[name][0][~mask]))
            if leaked:
                raise InternalError(f"QAT broke the pruning mask of layer {name!r}: {leaked} pruned weights non-zero")
    return TrainResult(model=qmodel, history=result.history, epochs_run=result.epochs_run, seconds=result.seconds)


def quantized_weights(qmodel) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """(kernel, bias) of every QDense/QConv1D after their quantizers, as float64, by layer name."""
    out = {}
    for layer in qmodel.layers:
        kq = getattr(layer, "kernel_quantizer_internal", None)
        if kq is None:
            continue
        kernel = np.asarray(kq(layer.kernel).numpy(), dtype=np.float64)
        bias = None
        if getattr(layer, "use_bias", False):
            bq = layer.bias_quantizer_internal
            b = bq(layer.bias) if bq is not None else layer.bias
            bias = np.asarray(b.numpy(), dtype=np.float64)
        out[layer.name] = (kernel, bias)
    return out


def quantized_sparsity(qmodel) -> dict:
    """Fraction of exact-zero quantized kernel entries per prunable layer and in total."""
    qw = quantized_weights(qmodel)
    return sparsity_of({name: qw[name][0] for name in prunable_layers(qmodel) if name in qw})
