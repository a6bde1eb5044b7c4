"""Analytical latency/resource estimator for hls4ml firmware (what Vivado/Vitis HLS C-synthesis reports).

Modules: ``settings`` (project/record -> settings), ``design`` (settings -> layer calls), ``hardware``
(clock, multiplier mapping, adder trees), ``constants`` (fitted constants and their sources), ``layers``
(per-layer estimator classes), ``network`` (whole-design composition), ``result`` (frozen results).
"""

from codesign.estimate.network import estimate_project, estimate_record, estimate_settings
from codesign.estimate.result import Estimate, LayerEstimate

__all__ = ["Estimate", "LayerEstimate", "estimate_project", "estimate_record", "estimate_settings"]
