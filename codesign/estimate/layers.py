"""Which estimator a layer call goes to (:func:`estimator_for`, :func:`predict_layer`), and the public names of
the per-layer estimator classes: each ``predict(call, ctx)`` returns a frozen :class:`LayerEstimate`.

The classes follow what the hls4ml 1.3 kernels (``templates/vivado/nnet_utils``) unroll, one module per kernel
family in :mod:`codesign.estimate.kernels`: ``dense`` (the dot-product bank and ``nnet::dense``), ``conv``,
``activation`` (ReLU-like and table-based, softmax), ``elementwise`` (batchnorm, pooling, merge, casts, layout),
``graph`` (codesign's interaction-network extension kernels);
LSTM/GRU cells are :mod:`codesign.estimate.recurrent`.
"""

from __future__ import annotations

from dataclasses import replace

from codesign.estimate.design import LayerCall, is_recurrent
from codesign.estimate.kernels.activation import ActivationEstimator
from codesign.estimate.kernels.common import Context
from codesign.estimate.kernels.conv import ConvEstimator
from codesign.estimate.kernels.dense import DenseEstimator, DotProductModel, reuse_loop_cycles
from codesign.estimate.kernels.elementwise import (
    BatchNormEstimator,
    CastEstimator,
    MergeEstimator,
    PassThroughEstimator,
    PoolingEstimator,
    ThresholdEstimator,
)
from codesign.estimate.kernels.graph import FUNCTIONS as GRAPH_FUNCTIONS
from codesign.estimate.kernels.graph import GraphEstimator
from codesign.estimate.recurrent import RecurrentEstimator
from codesign.estimate.result import LayerEstimate, declined

__all__ = [
    "ActivationEstimator",
    "BatchNormEstimator",
    "CastEstimator",
    "Context",
    "ConvEstimator",
    "DenseEstimator",
    "DotProductModel",
    "MergeEstimator",
    "PassThroughEstimator",
    "PoolingEstimator",
    "ThresholdEstimator",
    "estimator_for",
    "predict_layer",
    "reuse_loop_cycles",
]

_DENSE = DenseEstimator()
_CONV = ConvEstimator()
_ACT = ActivationEstimator()
_BN = BatchNormEstimator()
_POOL = PoolingEstimator()
_MERGE = MergeEstimator()
_PASS = PassThroughEstimator()
_CAST = CastEstimator()
_GRAPH = GraphEstimator()
_THRESHOLD = ThresholdEstimator()


def estimator_for(call: LayerCall):
    """The estimator class for a layer call, or None when the layer is not modelled."""
    f = call.function.lower()
    base = str(call.config.get("base", ""))
    if is_recurrent(call.function, call.config):
        return RecurrentEstimator()
    if base == "anomaly_score_config":
        from codesign.estimate.kernels.score import AnomalyScoreEstimator

        return AnomalyScoreEstimator()
    if f.startswith("dense") or f == "compute_layer":  # compute_layer: the dense kernel of hls4ml <= 0.1
        return _DENSE
    if f.startswith(("conv_1d", "conv_2d", "conv1d", "conv2d", "pointwise_conv", "depthwise_conv")):
        return _CONV
    if f.startswith(("pooling", "global_pooling")):
        return _POOL
    if f in GRAPH_FUNCTIONS:
        return _GRAPH
    if f in ("normalize_binary_tanh", "normalize_ternary_tanh"):
        return _THRESHOLD
    if f in ("normalize", "normalize_bias") or base == "batchnorm_config" and f.startswith("normalize"):
        return _BN
    if f.startswith(("add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate")):
        return _MERGE
    if f.startswith(
        ("zeropad", "flatten", "reshape", "repack", "transpose", "resize_nearest", "clone_stream", "clone")
    ):
        return _PASS
    if not call.config and ("quantize" in f or "quantizer" in f):
        return _CAST
    if (
        base == "activ_config"
        or f in ActivationEstimator.SIMPLE
        or f in ActivationEstimator.TABLE
        or f.startswith("softmax")
    ):
        return _ACT
    return None


def predict_layer(call: LayerCall, ctx: Context) -> LayerEstimate:
    """Estimate one layer call, or decline it with a reason when it is not modelled."""
    est = estimator_for(call)
    config = call.config.get("config") if call.config else None
    if call.function.lower().endswith("_me"):
        # a user's modified copy of a stock kernel (relu_me, zeropad2d_cl_me, ...): its code is not hls4ml's
        out = declined(call.name, call.function, f"'nnet::{call.function}' is a user-modified kernel, not hls4ml's")
    elif est is None:
        kind = call.function
        what = "no config struct" if not call.config else f"config base '{call.config.get('base')}'"
        out = declined(call.name, kind, f"layer function 'nnet::{call.function}' ({what}) is not modelled")
    else:
        out = est.predict(call, ctx)
    return replace(out, config=config) if config else out
