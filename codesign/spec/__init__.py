"""The build spec: YAML parsed once, at the edge, into frozen typed objects.

Two inputs are accepted by :func:`load_spec`:

- a codesign spec (``name``, ``data``, ``model``, ``train``, ``prune``, ``quantize``, ``hls``, ``budget``);
- a plain hls4ml YAML config as users already write it (``KerasJson``/``KerasH5``/``KerasModel``,
  ``OutputDir``, ``HLSConfig`` ...), detected by its keys and kept as a validated dict for the
  conversion step (:mod:`codesign.hls` owns its semantics).

Every error names the file, the key path, the bad value and what is accepted. Unknown keys are errors.

Modules, by spec section: ``fields`` (the strict base model, shared field types), ``training`` (data, model,
train, prune), ``quantize``, ``hls``, ``build`` (budget, check, metrics, the whole BuildSpec and its cross-field check),
``hls4ml_yaml`` (a plain hls4ml config), ``load`` (reading a file). Everything is re-exported here.
"""

from codesign.spec.build import BudgetSpec, BuildSpec, CheckSpec, MetricsSpec, check_spec_consistency
from codesign.spec.fields import CLOCK_NS_RANGE, SEED_MAX, Fraction, PathStr, Precision, Seed, Size, _parse_precision
from codesign.spec.hls import Backend, HlsLayerSpec, HlsSpec, LayerPrecisionSpec
from codesign.spec.hls4ml_yaml import (
    HLS4ML_CONFIG_KEYS,
    HLS4ML_KEYS,
    HLS4ML_LEGACY_KEYS,
    Hls4mlConfig,
    is_hls4ml_config,
)
from codesign.spec.load import _resolve_paths, load_spec, parse_spec
from codesign.spec.quantize import LayerQuant, QuantizeSpec
from codesign.spec.training import DataSource, DataSpec, Family, ModelSpec, PruneSpec, TrainSpec

__all__ = [
    "CLOCK_NS_RANGE", "HLS4ML_CONFIG_KEYS", "HLS4ML_KEYS", "HLS4ML_LEGACY_KEYS", "SEED_MAX", "Backend",
    "BudgetSpec", "BuildSpec", "CheckSpec", "DataSource", "DataSpec", "Family", "Fraction", "Hls4mlConfig",
    "HlsLayerSpec", "HlsSpec", "LayerPrecisionSpec", "LayerQuant", "MetricsSpec", "ModelSpec", "PathStr",
    "Precision", "PruneSpec", "QuantizeSpec", "Seed", "Size", "TrainSpec", "_parse_precision", "_resolve_paths",
    "check_spec_consistency", "is_hls4ml_config", "load_spec", "parse_spec",
]  # fmt: skip
