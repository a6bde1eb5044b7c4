"""Prepare the Keras stack before TensorFlow, QKeras or hls4ml are imported.

hls4ml 1.3 and QKeras 0.9 need the Keras-2 API: TensorFlow 2.21 ships Keras 3 by default, so we select
tf-keras (``TF_USE_LEGACY_KERAS=1``) and alias ``keras`` to it, otherwise hls4ml picks its Keras-3 parser
and QKeras fails to import. hls4ml 1.3 still calls ``np.product`` (removed in numpy 2) when it reads
power-of-two quantizers; we restore it as an alias of ``np.prod``.

Import this module (``from codesign import keras_env``) before any of those packages; every module of
codesign that touches Keras does so through :func:`keras`.

TensorFlow's start-up lines (absl/CUDA probing: ``I0000 ... cudart_stub``, ``E0000 ... cuInit``) are written
by C++ straight to file descriptor 2, past Python's logging: :func:`setup` points fd 2 at a temporary file
while it imports TensorFlow and probes the devices, and keeps the text for the build log
(:func:`startup_log`). Python exceptions are not affected; codesign's own warnings come later and show.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "2")

_ready = False
_captured: list[str] = []


@contextlib.contextmanager
def captured_stderr():
    """Send file descriptor 2 (C++ and Python stderr) to a temporary file; its text goes to :func:`startup_log`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
            if text.strip():
                _captured.append(text)


def startup_log() -> str:
    """What TensorFlow and friends printed on fd 2 while :func:`setup` imported them (for the build log)."""
    return "".join(_captured)


def setup() -> None:
    """Select tf-keras, alias it as ``keras`` and patch numpy for hls4ml; idempotent."""
    global _ready
    if _ready:
        return
    import numpy as np

    if not hasattr(np, "product"):
        np.product = np.prod  # type: ignore[attr-defined]
    with captured_stderr():
        import tensorflow as tf
        import tf_keras

        tf.config.list_physical_devices()  # the CUDA probe prints its E0000 lines now, into the capture
    sys.modules["keras"] = tf_keras
    _ready = True


def keras():
    """Return the tf-keras module after :func:`setup`."""
    setup()
    return sys.modules["keras"]
