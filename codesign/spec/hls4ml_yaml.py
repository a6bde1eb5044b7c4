"""A plain hls4ml YAML config given instead of a codesign spec: how it is recognised, which top-level keys are read."""

from __future__ import annotations

from typing import Any

from codesign.spec.fields import PathStr, _Strict

# The top-level keys of an hls4ml YAML config that codesign reads (the conversion in codesign/hls/
# follows them); legacy keys are read under their current name.
HLS4ML_CONFIG_KEYS = (
    "KerasJson", "KerasH5", "KerasModel", "OutputDir", "ProjectName", "Part", "ClockPeriod",
    "ClockUncertainty", "IOType", "Backend", "HLSConfig", "InputData", "OutputPredictions",
)  # fmt: skip
HLS4ML_LEGACY_KEYS = {"XilinxPart": "Part"}
HLS4ML_KEYS = set(HLS4ML_CONFIG_KEYS) | set(HLS4ML_LEGACY_KEYS)
_HLS4ML_MARKERS = {"KerasJson", "KerasH5", "KerasModel", "HLSConfig", "OutputDir"}


class Hls4mlConfig(_Strict):
    """A user's plain hls4ml YAML config, validated for its top-level keys; the rest is hls4ml's."""

    path: PathStr
    config: dict[str, Any]


def is_hls4ml_config(raw: dict) -> bool:
    """True when a YAML mapping looks like an hls4ml config rather than a codesign spec."""
    return bool(_HLS4ML_MARKERS & set(raw))
