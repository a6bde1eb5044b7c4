"""The ordered steps of ``codesign build`` (:func:`default_steps`); each is thin glue over the module that does the work.

The steps live in :mod:`codesign.steps` by stage: ``model`` (data, model, training, pruning, quantization),
``firmware`` (conversion, C-simulation), ``verify`` (bit accuracy, metrics), ``results`` (estimate, budget,
synthesis, RTL, report), with shared helpers in ``common``; they are importable from here as before.

Where-is-what: data (:mod:`codesign.datasets`), models (:mod:`codesign.zoo`), training
(:mod:`codesign.train`), pruning (:mod:`codesign.prune`), QKeras (:mod:`codesign.quantize`), hls4ml
(:mod:`codesign.hls`), g++ (:mod:`codesign.csim`), bit-accuracy (:mod:`codesign.compare`), physics
metrics (:mod:`codesign.metrics`), estimator (:mod:`codesign.estimate`), budget (:mod:`codesign.budget`),
reports (:mod:`codesign.report`).
"""

from __future__ import annotations

from codesign.pipeline import Step
from codesign.steps.common import _user_model_is_source
from codesign.steps.firmware import (
    NO_DATA_INPUTS,
    Convert,
    CSim,
    _check_inputs,
    _conv_overrides,
    _firmware_keras_model,
    _layer_overrides,
)  # fmt: skip
from codesign.steps.model import (
    BuildModel,
    LoadData,
    Prune,
    Quantize,
    TrainFloat,
    _with_sparsity,
    check_before_training,
    check_layer_names,
)
from codesign.steps.results import Budget, Estimate, Report, Rtl, Synthesize
from codesign.steps.verify import Compare, bootstrap_settings, stage_metrics, stage_scores

# the helpers named "codesign.build_steps:<name>" in the steps' ``code`` (their cache keys) resolve here
__all__ = [
    "NO_DATA_INPUTS", "Budget", "BuildModel", "CSim", "Compare", "Convert", "Estimate", "LoadData", "Prune", "Quantize",
    "Report", "Rtl", "Synthesize", "TrainFloat", "_check_inputs", "_conv_overrides", "_firmware_keras_model",
    "_layer_overrides", "_user_model_is_source", "_with_sparsity", "bootstrap_settings", "check_layer_names",
    "check_before_training", "default_steps", "stage_metrics", "stage_scores",
]


def default_steps(synth: bool = False, rtl: bool = False) -> list[Step]:
    """The ordered build."""
    steps: list[Step] = [LoadData(), BuildModel(), TrainFloat(), Prune(), Quantize(), Convert(), CSim(),
                         Compare(), Estimate(), Budget()]  # fmt: skip
    if synth:
        steps.append(Synthesize())
    if rtl:
        steps.append(Rtl())
    steps.append(Report())
    return steps

