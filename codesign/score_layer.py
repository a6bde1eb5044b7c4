"""The anomaly score as a Keras layer: the last layer of an anomaly model's firmware.

``AnomalyScore(kind, precisions...)([a, b])`` takes [z_mean, z_log_var] (VAE) or [inputs, reconstruction] (AE)
and outputs one number per event. Its ``call`` is the float formula (what the float and quantized stages report);
the firmware computes it in fixed point (:mod:`codesign.hls_ext.anomaly_score`, C++ in
``firmware_templates/nnet_anomaly_score.h``) and :mod:`codesign.reference.score` is that computation in numpy,
bit for bit. The layer's config carries the kind and types (:class:`codesign.score_spec.ScoreSpec`).
"""

from __future__ import annotations

from codesign import keras_env
from codesign.score_spec import ScoreSpec, parse_score

keras = keras_env.keras()
import tensorflow as tf  # noqa: E402  (after keras_env: selects tf-keras)

LAYER_NAME = "anomaly_score"


@keras.utils.register_keras_serializable(package="codesign")
class AnomalyScore(keras.layers.Layer):
    """One anomaly score per event from two equally shaped inputs; float formula here, fixed point in firmware."""

    def __init__(self, kind: str = "rz", input_precision: str | None = None, table_input: str | None = None,
                 table_precision: str | None = None, accum_precision: str | None = None,
                 result_precision: str | None = None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        given = {"kind": kind, "input_precision": input_precision, "table_input": table_input,
                 "table_precision": table_precision, "accum_precision": accum_precision,
                 "result_precision": result_precision}  # fmt: skip
        self.score = parse_score({k: v for k, v in given.items() if v is not None}, f"layer '{self.name}'")
        self.kind = self.score.kind.value

    def call(self, inputs):
        a, b = inputs
        a = tf.cast(a, tf.float32)
        b = tf.cast(b, tf.float32)
        if self.kind == "rz":
            terms = tf.square(a) * tf.exp(-b)
        elif self.kind == "mu2":
            terms = tf.square(a)
        elif self.kind == "kl":
            terms = 0.5 * (tf.square(a) + tf.exp(b) - 1.0 - b)
        else:
            terms = tf.square(a - b)
        return tf.reduce_sum(terms, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        """(batch, 1)."""
        return (input_shape[0][0], 1)

    def get_config(self) -> dict:
        """Keras serialisation config: the kind and the fixed-point types as strings."""
        return {**super().get_config(), **self.score.layer_config("ae" if self.kind == "sse" else "vae")}


def score_spec_of(layer) -> ScoreSpec:
    """The ScoreSpec of an AnomalyScore layer (kind resolved)."""
    return layer.score


def is_score_layer(layer) -> bool:
    """True for the anomaly-score layer."""
    return type(layer).__name__ == "AnomalyScore"
