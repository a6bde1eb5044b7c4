"""Analytical latency/resource estimator for hls4ml firmware (what Vivado/Vitis HLS C-synthesis reports).

Modules: ``settings`` (project/record -> settings), ``design`` (settings -> layer calls), ``hardware``
(clock, multiplier mapping, adder trees), ``constants`` (fitted constants and their sources), ``layers``
(per-layer estimator classes), ``recurrent`` (LSTM/GRU), ``network`` (whole-design composition), ``result``
(frozen results).
Accuracy: ``benchmarks/estimator_accuracy.py`` (leave-one-repository-out on ../shared/calibration, or the
records carried in ``calibration/``); each estimate's ``interval`` is the band of those held-out residuals
(``uncertainty``). Project mode reads the weight values (``weights``): +-2^k products are shifts.

LSTM, GRU and bidirectional layers (``recurrent``: io_parallel and io_stream, Latency and Resource, static and unrolled) are
composed per time step from the dense and activation models; no stock LSTM/GRU report is in the calibration
set, so their interval is an assumed band, said so in ``interval_basis``.

Declined (figures None, with the reason; totals then None too): layer functions without a model
(attention, einsum, layer normalisation, custom ``nnet::`` kernels,
user-modified ``*_me`` kernels), configs missing the sizes a model needs, settings without ``top_calls`` (no
firmware), parts outside the table with no ``available`` totals. Known weak spots: hls4ml 0.x designs whose
kernels were not pipelined (filipemlins/nas-hls4ml, Vivado HLS 2018.3: 7 million cycles, every layer function
sequential; LUT/FF 60-70x over); HGQ projects (declared weight widths are upper bounds, so LUT/DSP
come out high); Latency-strategy reuse factors above 1, whose schedule depends on how many products stay
multiplications, which the weight values decide (ArgyKokk RF = 100: latency off by 5-35 %); DSP counts with
``config_op mul -impl dsp`` (same cause, 30-40 % per layer); Vitis HLS dense layers above 8192 weights
(modelled as unbalanced chains from two layers of one repository); 7-series speed grade -1 parts with Vitis
2024.2 (MinhNguy3n: dense layers 2-3x deeper than modelled); Virtex-7 with Vivado HLS 2018.3 (freaksie:
two adder levels per cycle, one cycle shallower than modelled); the n_in:1 input multiplexer per multiplier of
some Vivado HLS Resource layers (PYNQ_IA's non-first layers 2.8-5.8x LUT low) and FF of very narrow (2-4 bit)
Resource layers (up to 4.6x high); the Latency strategy's registers at RF > 1 (ArgyKokk's RF 2 and 100 designs
0.66-0.92x of the estimate); io_parallel CNNs with Vitis 2024.1 (MuhammadAshraful: ``fill_buffer`` and the
output registers are modelled from that one report, the rest of its top, 278k FF, is not: LUT 0.4x, FF 0.15x);
io_stream Latency-strategy convolutions at RF > 1,
whose window depth follows the weight values (RishThakkar RF 128-256: 0.35-0.55x latency), and io_stream BRAM;
small Vivado HLS Resource layers' multiplexers and index counters (GuillaumeDerville 0.05-0.3x LUT per layer: no
rule held on other repositories, docs/estimator.md); the latency effect of the
convolution kernel's ALLOCATION limit; a Resource dense layer reading the top's input port is modelled with
Vivado HLS's shifter (``network.port_read_cycles``) only, no Vitis HLS report showing it; the ``rf_gt_nin_rem0``
Resource kernel's iteration is 4 or 5 cycles at equal sizes (GuillaumeDerville), modelled as 4.
"""

from codesign.estimate.network import (
    check_tool_version,
    estimate_project,
    estimate_record,
    estimate_settings,
    report_tool_version,
)
from codesign.estimate.result import Estimate, LayerEstimate

__all__ = [
    "Estimate",
    "LayerEstimate",
    "check_tool_version",
    "estimate_project",
    "estimate_record",
    "estimate_settings",
    "report_tool_version",
]
