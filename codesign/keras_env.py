"""Prepare the Keras stack before TensorFlow, QKeras or hls4ml are imported.

hls4ml 1.3 and QKeras 0.9 need the Keras-2 API: TensorFlow 2.21 ships Keras 3 by default, so we select
tf-keras (``TF_USE_LEGACY_KERAS=1``) and alias ``keras`` to it, otherwise hls4ml picks its Keras-3 parser
and QKeras fails to import. hls4ml 1.3 still calls ``np.product`` (removed in numpy 2) when it reads
power-of-two quantizers; we restore it as an alias of ``np.prod``.

Import this module (``from codesign import keras_env``) before any of those packages; every module of
codesign that touches Keras does so through :func:`keras`.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_ready = False


def setup() -> None:
    """Select tf-keras, alias it as ``keras`` and patch numpy for hls4ml; idempotent."""
    global _ready
    if _ready:
        return
    import numpy as np

    if not hasattr(np, "product"):
        np.product = np.prod  # type: ignore[attr-defined]
    import tf_keras

    sys.modules["keras"] = tf_keras
    _ready = True


def keras():
    """Return the tf-keras module after :func:`setup`."""
    setup()
    return sys.modules["keras"]
