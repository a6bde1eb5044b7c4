"""The one package that imports hls4ml: Keras/QKeras model -> hls4ml project whose firmware is bit-exact.

Its modules, by responsibility (every public name is importable from ``codesign.hls``):
:mod:`~codesign.hls.project` (the written project, ctypes compile/predict), :mod:`~codesign.hls.prepare`
(model surgery before conversion), :mod:`~codesign.hls.config` (the HLSConfig from the quantizers, the
pooling-type fix), :mod:`~codesign.hls.conversion` (conversion and its checks), :mod:`~codesign.hls.user_config`
(a user's plain hls4ml YAML config), :mod:`~codesign.hls.trace` (per-layer trace for ``codesign check``),
:mod:`~codesign.hls.stock` (a model written with hls4ml's default configuration, unchanged, for comparisons with
hls4ml's own synthesis reports).

Precisions are not guessed: hls4ml's ``granularity="name"`` configuration already reads every QKeras
quantizer, and this package fixes what hls4ml 1.3 gets wrong or leaves ambiguous, recording each change in
:attr:`HlsProject.notes`:

- a final softmax or sigmoid is removed before conversion, so the firmware's output is the logits that
  the bit-accuracy check compares (the LUT softmax is not needed for an argmax trigger, nor the LUT sigmoid for
  a cut, which is a cut on the logit), unless a user's hls4ml config has a LayerName entry for it: then it
  stays, with the user's table types, and the check compares its outputs with :mod:`codesign.softmax_twin` /
  :mod:`codesign.sigmoid_twin` (hls4ml's table computations redone in numpy);
- a ``QActivation(quantized_bits)`` that follows an ``auto``-precision layer is dropped by hls4ml's
  linear-activation optimizer without its quantizer: its type is copied onto the producer and its
  ``_linear`` layer;
- the input type is the given input precision (data must be snapped to its grid);
- pruning wrappers are stripped and the model is rebuilt from its config with copied weights
  (``strip_pruning`` output cannot be sliced).

codesign's own hls4ml extension layers (:mod:`codesign.hls_ext`, e.g. the interaction network's edge layers)
are registered with hls4ml when this package is imported.

Next to each project it writes the firmware description (``codesign_firmware.npz``, :mod:`codesign.firmware`):
every layer's types and weight codes as configured, which the fixed-point emulator runs without hls4ml.

The compiled library is built by :mod:`~codesign.hls.library_build`: ``build_lib.sh``'s g++ steps and flags
through :mod:`codesign.tools` (checked exit code, log, timeout) instead of hls4ml's unchecked ``compile``, with
the firmware object kept for codesign's testbench to link (a non-template script is run as written), and can take
the precompiled header of :mod:`~codesign.hls.pch` (the invariant headers, shared by a scan's points through its
step cache; byte-identical objects); ``predict`` runs in a thread
with a large stack because unrolled weights live on the stack in C-simulation. :func:`build_trace` compiles
a copy of a written project's firmware with hls4ml's per-layer trace for ``codesign check --trace``.
"""

from __future__ import annotations

from codesign import keras_env, modelio

keras_env.setup()

import hls4ml  # noqa: E402  (keras_env.setup must run first; the submodules below rely on it)

from codesign import hls_ext  # noqa: E402  (registers codesign's extension layers with hls4ml)

hls_ext.register_all()

from codesign.hls.config import POOLING_LAYERS, build_hls_config  # noqa: E402
from codesign.hls.conversion import convert  # noqa: E402
from codesign.hls.prepare import final_softmax_name, prepare_model, require_convertible  # noqa: E402
from codesign.hls.project import (  # noqa: E402
    BACKENDS,
    COMPILE_TIMEOUT_S,
    DEFAULT_INPUT_PRECISION,
    IO_SIDECAR,
    IO_TYPES,
    PREDICT_STACK_BYTES,
    STRATEGIES,
    HlsProject,
    TopPort,
    on_big_stack,
)
from codesign.hls.stock import STOCK_BACKENDS, write_stock_project  # noqa: E402
from codesign.hls.trace import LayerTrace, TraceBuild, build_trace  # noqa: E402
from codesign.hls.user_config import HLS_CONFIG_KEYS, MODEL_KEYS, _read_tb_data, convert_from_hls4ml_config  # noqa: E402

load_keras_model = modelio.load_model  # the loader users of this module know; it lives in modelio


def versions() -> dict[str, str]:
    """Version of hls4ml (the only place that imports it)."""
    return {"hls4ml": getattr(hls4ml, "__version__", "unknown")}


__all__ = [
    "BACKENDS", "COMPILE_TIMEOUT_S", "DEFAULT_INPUT_PRECISION", "HLS_CONFIG_KEYS", "HlsProject", "IO_SIDECAR",
    "IO_TYPES", "LayerTrace", "MODEL_KEYS", "POOLING_LAYERS", "PREDICT_STACK_BYTES", "STOCK_BACKENDS", "STRATEGIES",
    "TopPort",
    "TraceBuild", "_read_tb_data", "build_hls_config", "build_trace", "convert", "convert_from_hls4ml_config",
    "final_softmax_name", "load_keras_model", "on_big_stack", "prepare_model", "require_convertible", "versions",
    "write_stock_project",
]
