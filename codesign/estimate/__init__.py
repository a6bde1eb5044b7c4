"""Analytical latency/resource estimator for hls4ml firmware (what Vivado/Vitis HLS C-synthesis reports).

Modules: ``settings`` (project/record -> settings), ``design`` (settings -> layer calls), ``hardware``
(clock, multiplier mapping, adder trees), ``constants`` (fitted constants and their sources), ``layers``
(per-layer estimator classes), ``network`` (whole-design composition), ``result`` (frozen results).
Accuracy: ``benchmarks/estimator_accuracy.py`` (leave-one-repository-out on ../shared/calibration).

Declined (figures None, with the reason; totals then None too): layer functions without a model (recurrent
layers, attention, einsum, custom ``nnet::`` kernels, user-modified ``*_me`` kernels), configs missing the
sizes a model needs, settings without ``top_calls`` (no firmware), parts outside the table with no
``available`` totals. Known weak spots: HGQ projects (declared weight widths are upper bounds, so LUT/DSP
come out high), Vitis HLS 2021.1 dense layers with more than ~8k weights (reported far deeper than the
model), reuse factors above n_in, io_stream resource-strategy latency and BRAM.
"""

from codesign.estimate.network import estimate_project, estimate_record, estimate_settings
from codesign.estimate.result import Estimate, LayerEstimate

__all__ = ["Estimate", "LayerEstimate", "estimate_project", "estimate_record", "estimate_settings"]
