"""Whole-design estimate: walk the layer calls, then compose latency/II/resources for io_parallel or io_stream.

The top function is either one pipeline (``#pragma HLS PIPELINE``) or a DATAFLOW region (:func:`top_style`).

io_parallel, PIPELINE: its latency is the longest path through the call graph, each call its latency, each
boundary on the path a register (:mod:`codesign.estimate.call_graph`): for a chain of calls, the sum of the
layers' latencies plus a register per call boundary; branches run side by side. Its II is
the largest layer II (:func:`pipeline_interval`): hls4ml writes the pragma without ``II=`` (except for
``resource_unrolled`` layers, where it asks for the largest reuse factor), so the tool aims at II = 1 and
reports the II its slowest sub-function allows. Every stock io_parallel PIPELINE record of the calibration
set whose report lists its layer modules says so (41 of 42; the exception is Vivado HLS 2016.4,
fastmachinelearning/hls4ml reuse 4: II 7 over layers at II 4 and 3). A Latency-strategy dense layer asks for
II = RF and is reported at min(RF, latency + 1) (kernels.dense.DotProductModel), so where a layer's schedule is
shorter than its reuse factor the design's II follows the layer's latency, which with RF > 1 depends on how
many products the weight values leave as true multiplications (ArgyKokk RF = 100: II 16-49 for RF 100).

DATAFLOW (io_stream; io_parallel with a multi-partition convolution or a Resource-strategy layer, as
hls4ml's ``SetPipelineStyle`` picks): the II is the slowest process's, plus the ap_done/ap_start handshake
cycle for a process whose function is not pipelined (:func:`dataflow_interval`). The latency of io_stream is
approximated by the slowest process's interval plus every process's fill depth (latency beyond its interval)
and one cycle per FIFO hop (a region of one process: that process's latency); that of io_parallel by the sum of the layers' (arrays passed as ping-pong
buffers: one process after the other).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

from codesign.errors import DataError, SpecError
from codesign.estimate import constants as K
from codesign.estimate.call_graph import boundary_cycles, call_cycles, pipeline_latency
from codesign.estimate.design import LayerCall, build_calls, output_size
from codesign.estimate.hardware import (
    combinational_run_cycles,
    delay_factor,
    dsp_delay_factor,
    dsp_full_reg,
    hls_family,
    make_clock,
    mul_impl,
)
from codesign.estimate.kernels.multiplexers import port_read_mux_delta
from codesign.estimate.layers import Context, predict_layer
from codesign.estimate.record_check import TOOL_VERSION
from codesign.estimate.result import Estimate, LayerEstimate
from codesign.estimate.settings import read_project, settings_from_record
from codesign.estimate.top_ports import input_port_ff, reads_top_input
from codesign.estimate.uncertainty import design_kind, interval
from codesign.parts import Part, part_from_totals, resolve_part

VERSION = "0.1"
#: Calibration records behind the constants: the stock records with per-module csynth reports (556 layer
#: figures from 14 repositories; see constants/ for which constant came from which).
N_FIT_RECORDS = 67
SOURCE = f"codesign-estimator {VERSION} (analytical, fitted on {N_FIT_RECORDS} calibration records)"


def _sum(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else int(sum(values))  # type: ignore[arg-type]


def _fifo_bram(depth: int, width: int) -> int:
    """BRAM18 of one FIFO: shallow ones are shift registers in LUTs, deep ones 512 x 36 BRAM words."""
    if depth <= K.FIFO_SRL_MAX_DEPTH or width <= 0:
        return 0
    return math.ceil(width / 36) * math.ceil(depth / 512)


def _with_fifos(calls: list, per_layer: list[LayerEstimate]) -> list[LayerEstimate]:
    """Add each io_stream layer's output FIFO (depth = output pixels, as hls4ml sizes them) to its BRAM."""
    out = []
    for i, (call, est) in enumerate(zip(calls, per_layer, strict=True)):
        if est.bram_18k is None or i + 1 >= len(calls):
            out.append(est)
            continue
        c = call.num
        depth = int((c("out_height", 1) or 1) * (c("out_width", 1) or 1)) if c("n_filt") is not None else 1
        nxt = calls[i + 1]
        width = nxt.pack * (nxt.input.width if nxt.input is not None else 16)
        extra = _fifo_bram(depth, width)
        out.append(replace(est, bram_18k=est.bram_18k + extra) if extra else est)
    return out


def _top_overhead(per_layer: list[LayerEstimate], ii: int | None, ctx: Context) -> int:
    """Cycles the pipelined io_parallel top adds to the sum of its layers' latencies along one chain of calls."""
    # casts (HGQ quantizers) are inlined into their neighbours: no call boundary of their own
    per_layer = [x for x in per_layer if x.kind != "cast"]
    extra = sum(boundary_cycles(prev, cur) for prev, cur in pairwise(per_layer))
    if K.TOP_CHAIN_COMBINATIONAL:  # runs of 0-cycle calls: registers where their chained delay fills the period
        runs = [(x.latency_cycles == 0, x.chain_ns) for x in per_layer]
        extra += combinational_run_cycles(runs, ctx.clock.effective_ns)
    return extra + sum(call_cycles(x, ii, ctx) for x in per_layer)


def _output_array(call: LayerCall) -> tuple[int, int]:
    """Elements and element width of the array a layer passes to the next (16 bits where the type is unknown)."""
    n = output_size(call.config) or int(call.num("n_in", 0) or 0)
    return n, call.output.width if call.output is not None else 16


def _with_boundary_registers(calls: list[LayerCall], per_layer: list[LayerEstimate]) -> list[LayerEstimate]:
    """Add to each io_parallel layer the register the top puts on its output at a call boundary.

    Same boundaries as :func:`_top_overhead`: one per call, none between two 0-cycle calls, none for casts.
    The top report's "Register" FF row is this sum of output bits (ArgyKokk 448 predicted vs 421-442
    reported, jet_tagging 3152 vs 3085-3116, mnist 3808 vs 3808-3851, fastmachinelearning/hls4ml 1170 vs
    1182, kimhaneal11 3088 vs 3003; HGQ and MinhNguy3n lower, their declared widths being upper bounds).
    """
    idx = [i for i, x in enumerate(per_layer) if x.kind != "cast"]
    out = list(per_layer)
    for a, b in pairwise(idx):
        x, y = per_layer[a], per_layer[b]
        if x.ff is None or (x.latency_cycles == 0 and y.latency_cycles == 0):
            continue
        n, width = _output_array(calls[a])
        out[a] = replace(x, ff=x.ff + n * width)
    return out


def _with_dataflow_channels(calls: list[LayerCall], per_layer: list[LayerEstimate]) -> list[LayerEstimate]:
    """Add to each io_parallel DATAFLOW process the channels of its output array: one FIFO per element (constants)."""
    out = list(per_layer)
    for i in range(len(calls) - 1):
        x = out[i]
        if x.lut is None or x.ff is None:
            continue
        n, width = _output_array(calls[i])
        lut = n * (K.DATAFLOW_CHANNEL_DEPTH * width + K.DATAFLOW_CHANNEL_LUT)
        out[i] = replace(x, lut=x.lut + lut, ff=x.ff + n * K.DATAFLOW_CHANNEL_FF)
    return out


def port_read_cycles(call: LayerCall, ctx: Context) -> int:
    """Cycles a Resource dense layer at RF > 1 adds when it reads the top's reshaped input port (Vivado HLS).

    Its ``data[in_index]`` is a variable part-select of the n_in x width-bit input word: a shifter of
    ceil(log2(n_in x width)) levels in every ReuseLoop iteration (constants.PORT_SHIFT_CYCLES_PER_LEVEL).
    """
    if call.io_type != "io_parallel" or ctx.vitis:
        return 0
    strategy = str(call.config.get("strategy", "latency")).lower()
    if not (call.function.lower().startswith("dense") and strategy.startswith("resource")):
        return 0
    n_in, rf = int(call.num("n_in", 0) or 0), int(call.num("reuse_factor", 1) or 1)
    if rf <= 1 or n_in <= 1:
        return 0
    width = call.input.width if call.input is not None else 16
    return K.PORT_SHIFT_CYCLES_PER_LEVEL * math.ceil(math.log2(n_in * width))


def port_shifter_area(call: LayerCall, ctx: Context) -> tuple[int, int]:
    """LUT and FF of the shifters :func:`port_read_cycles` describes: one per input word an iteration reads
    (counted in the first layer's figures)."""
    if not port_read_cycles(call, ctx):
        return 0, 0
    n_in, rf = int(call.num("n_in", 0) or 0), int(call.num("reuse_factor", 1) or 1)
    width = call.input.width if call.input is not None else 16
    bits = n_in * width
    reads = math.ceil(n_in / rf) if rf <= n_in else 1
    lut = reads * bits * math.ceil(math.log2(bits)) * K.PORT_SHIFT_LUT_PER_BIT_LEVEL
    return int(round(lut)), int(round(reads * bits * K.PORT_SHIFT_FF_PER_BIT))


_TOP_PRAGMA = re.compile(r"#pragma\s+HLS\s+(PIPELINE|DATAFLOW)\b(.*)", re.IGNORECASE)


def top_style(settings: dict, calls: list[LayerCall]) -> tuple[str, int | None]:
    """How the top function schedules its layer calls: ("pipeline" | "dataflow", the II PIPELINE asks for).

    From the top function's ``#pragma HLS PIPELINE [II=n]`` / ``DATAFLOW`` line when the settings have it
    (``top_pragmas``); otherwise by the rule hls4ml's ``SetPipelineStyle`` pass applies with the default
    ``PipelineStyle: auto`` (``backends/vivado/passes/pipeline_style.py``, hls4ml 1.x): DATAFLOW for io_stream,
    for a Conv1D/Conv2D with ``n_partitions != 1`` and for any Resource-strategy layer; PIPELINE with II = the
    largest reuse factor for ``resource_unrolled`` layers; PIPELINE otherwise.
    """
    for line in settings.get("top_pragmas") or []:
        m = _TOP_PRAGMA.search(str(line))
        if m and m.group(1).upper() == "DATAFLOW":
            return "dataflow", None
        if m and not re.match(r"\s*off\b", m.group(2), re.IGNORECASE):
            ii = re.search(r"\bII\s*=\s*(\d+)", m.group(2), re.IGNORECASE)
            return "pipeline", int(ii.group(1)) if ii else None
    if any(c.io_type == "io_stream" for c in calls):
        return "dataflow", None
    conv = ("conv_1d", "conv_2d", "conv1d", "conv2d", "pointwise_conv", "depthwise_conv")
    if any(c.function.lower().startswith(conv) and int(c.num("n_partitions", 1) or 1) != 1 for c in calls):
        return "dataflow", None
    strategies = [str(c.config.get("strategy", "latency")).lower() for c in calls]
    if any(st == "resource" for st in strategies):
        return "dataflow", None
    if any(st == "resource_unrolled" for st in strategies):
        return "pipeline", max(int(c.num("reuse_factor", 1) or 1) for c in calls)
    return "pipeline", None


def stream_top_mismatch(settings: dict) -> str:
    """Why a project whose layer configs say io_stream but whose top function is a PIPELINE is not estimated.

    hls4ml writes an io_stream top as a DATAFLOW region over ``hls::stream`` FIFOs; a ``#pragma HLS PIPELINE`` top
    passes arrays (io_parallel), so the configs and the top describe two designs and neither estimate is the one
    synthesised. The one calibration record like this (mbavier/HLS4ML_VerilogAndC conv2dRolled: io_stream in
    hls4ml_config.yml and parameters.h, an io_parallel ``myproject.cpp``) reports 8 cycles at II 1, a PIPELINE
    top, where its configs read as a stream design give 10245.
    """
    pragma = next((" ".join(p.split()) for p in settings.get("top_pragmas") or [] if _TOP_PRAGMA.search(str(p))), "")
    return (
        f"{settings.get('id') or 'project'}: the layer configs say io_stream but the top function has '{pragma}' "
        "and no DATAFLOW (an io_parallel top over arrays); accepted: a project hls4ml wrote for one io_type "
        "(regenerate it with IOType io_stream, or io_parallel throughout)"
    )


def pipeline_interval(per_layer: list[LayerEstimate], requested: int | None, latency: int) -> int:
    """II of a PIPELINE top: its slowest layer's, or the II the pragma asks for if that is larger.

    A requested II longer than the pipeline's depth (latency + 1) is reported as the depth, as the dense
    kernels' ``PIPELINE II=RF`` is when their schedule is shorter (kernels.dense.DotProductModel).
    """
    ii = max(int(x.ii_cycles or 1) for x in per_layer) if per_layer else 1
    if requested and requested > ii:
        ii = max(ii, min(requested, latency + 1))
    return ii


def dataflow_interval(per_layer: list[LayerEstimate]) -> int:
    """II of a DATAFLOW top: the slowest process's, a non-pipelined one's plus its handshake cycle.

    A process whose function is not pipelined (``LayerEstimate.sequential``) is restarted only after its
    ap_done, one cycle after its last state: the region's II is that process's interval (= its latency) + 1.
    Every DATAFLOW record of the calibration set with per-process figures shows it (56 of 56, Vivado HLS
    2019.1 to Vitis HLS 2024.1, io_stream and io_parallel, stock and custom): top II = the slowest process's
    reported interval + 1 where that interval is its latency, and = that interval where the process is
    pipelined (interval < latency).
    """
    if not per_layer:
        return 1
    return max(int(x.ii_cycles or 1) + (1 if x.sequential else 0) for x in per_layer)


def stream_latency(per_layer: list[LayerEstimate], ii: int) -> int:
    """Latency of an io_stream DATAFLOW top: its II, every process's fill depth and one cycle per FIFO hop.

    A process's fill is its ``fill_cycles`` where it gives one (a sequential convolution: its pixel
    pipeline's depth), else its latency beyond its interval; the sequential process that sets the pace has
    its fill inside its latency (= its interval) already.

    One process: no FIFO hop, and its handshake separates calls (the II), so the latency is its own (hls4ml's
    DepthwiseConv1D / 2D io_stream baselines, Vivado 2020.1 and Vitis 2024.1: 35 / II 36, 1028 / II 1029).
    """
    lat = [int(x.latency_cycles or 0) for x in per_layer]
    if len(per_layer) == 1:
        return lat[0]
    iis = [int(x.ii_cycles or 0) for x in per_layer]
    depths = [x.fill_cycles if x.fill_cycles is not None else max(a - b, 0)
              for x, a, b in zip(per_layer, lat, iis, strict=True)]  # fmt: skip
    slowest = max(range(len(per_layer)), key=lambda i: max(iis[i], 1) + per_layer[i].sequential)
    if per_layer[slowest].fill_cycles is not None:
        depths[slowest] = 0
    return int(ii) + sum(depths) + len(per_layer)


def estimate_settings(settings: dict, part: Part | None = None) -> Estimate:
    """Estimate a design from its settings structure (see :mod:`codesign.estimate.settings`)."""
    if part is None:
        try:
            part = resolve_part(settings["part"])
        except SpecError:
            if not settings.get("available"):
                raise
            # a record of a part outside the table: the totals its report printed describe it
            part = part_from_totals(settings["part"], settings["available"])
    clock_ns = settings.get("target_clock_ns")
    if not clock_ns:
        raise DataError(f"{settings.get('id')}: no target clock period in the settings")
    tool = settings.get("hls_tool")
    clock = make_clock(float(clock_ns), settings.get("clock_uncertainty"), tool)
    ctx = Context(
        clock=clock,
        dsp_family=part.dsp_family,
        mul_impl=mul_impl(settings.get("tcl_config_lines")),
        tool=tool,
        tool_version=settings.get("hls_tool_version"),
        delay_factor=delay_factor(part.family, part.full_name),
        dsp_delay_factor=dsp_delay_factor(part.family, part.full_name),
        dsp_full_reg=dsp_full_reg(settings.get("tcl_config_lines")),
        family=hls_family(part.family),
    )
    calls = build_calls(settings)
    if not calls:
        return Estimate(None, None, None, None, None, None, None, None, (), SOURCE)
    stream = any(c.io_type == "io_stream" for c in calls)
    style, requested_ii = top_style(settings, calls)
    if stream and style == "pipeline":
        raise DataError(stream_top_mismatch(settings))
    ctx = replace(ctx, top_style=style)
    per_layer: list[LayerEstimate] = [predict_layer(c, ctx) for c in calls]
    if K.DENSE_COMBINATIONAL_LAST and style == "pipeline" and not stream:  # (constants)
        dense = [i for i, c in enumerate(calls) if c.function.lower().startswith("dense")]
        if dense:
            per_layer[dense[-1]] = predict_layer(calls[dense[-1]], replace(ctx, combinational_dense=True))
    for i in [i for i, c in enumerate(calls) if reads_top_input(settings, i, c)]:  # one per input port
        extra = port_read_cycles(calls[i], ctx)
        if extra and per_layer[i].latency_cycles is not None:
            per_layer[i] = replace(per_layer[i], latency_cycles=per_layer[i].latency_cycles + extra)
        if extra and per_layer[i].lut is not None:
            # the layer reads the port through shifters instead of its operand multiplexers; their stage and
            # output registers count too (constants.PORT_SHIFT_FF_PER_BIT)
            shift_lut, shift_ff = port_shifter_area(calls[i], ctx)
            first = per_layer[i]
            lut = max(0, first.lut + shift_lut + port_read_mux_delta(calls[i], ctx))
            per_layer[i] = replace(first, lut=lut, ff=(first.ff or 0) + shift_ff)
    lat = [x.latency_cycles for x in per_layer]
    iis = [x.ii_cycles for x in per_layer]
    on_path: tuple[str, ...] = ()
    if any(v is None for v in lat):
        latency = None
        ii = None
    elif stream:
        # DATAFLOW: the slowest process sets the pace; every other process adds only its fill depth
        ii = dataflow_interval(per_layer)
        latency = stream_latency(per_layer, ii)
    elif style == "dataflow":
        # io_parallel DATAFLOW: the layer arrays become ping-pong buffers, one process after the other
        ii = dataflow_interval(per_layer)
        latency = int(sum(lat)) + _top_overhead(per_layer, ii, ctx)  # type: ignore[arg-type]
    else:
        layer_ii = max(int(v or 1) for v in iis) if iis else 1
        latency, path = pipeline_latency(settings, calls, per_layer, layer_ii, ctx)
        on_path = tuple(per_layer[i].name for i in path)
        ii = pipeline_interval(per_layer, requested_ii, latency)
    if stream:
        per_layer = _with_fifos(calls, per_layer)
    elif style == "dataflow":
        per_layer = _with_dataflow_channels(calls, per_layer)
    elif latency is not None:
        per_layer = _with_boundary_registers(calls, per_layer)
    port_ff = input_port_ff(settings, calls, style)  # the top's own input register, counted with the first layer
    if port_ff and per_layer[0].ff is not None:
        per_layer[0] = replace(per_layer[0], ff=per_layer[0].ff + port_ff)
    lut = _sum([x.lut for x in per_layer])
    ff = _sum([x.ff for x in per_layer])
    dsp = _sum([x.dsp for x in per_layer])
    bram = _sum([x.bram_18k for x in per_layer])
    latency_ns = None if latency is None else round(latency * clock.period_ns, 3)
    kind = design_kind(sorted({c.io_type for c in calls}), [str(c.config.get("strategy", "latency")) for c in calls])
    basis = f"16th-84th percentile of held-out residuals, {kind} designs" if kind else None
    if any(x.kind.startswith(("lstm", "gru", "bidirectional")) for x in per_layer):
        kind = "recurrent"
        basis = "assumed band (no LSTM/GRU C-synthesis report in the calibration set): uncertainty.ASSUMED_BANDS"
    figures = {"latency_cycles": latency, "ii_cycles": ii, "lut": lut, "ff": ff, "dsp": dsp, "bram_18k": bram}
    bands = {k: interval(k, kind, v) for k, v in figures.items()}
    cycles = bands["latency_cycles"]
    bands["latency_ns"] = None if cycles is None else (round(cycles[0] * clock.period_ns, 3),
                                                       round(cycles[1] * clock.period_ns, 3))  # fmt: skip
    return Estimate(
        latency, latency_ns, ii, lut, ff, dsp, bram, 0 if bram is not None else None, tuple(per_layer), SOURCE,
        bands, basis, on_path,
    )  # fmt: skip


def check_tool_version(version: str | None, where: str) -> str | None:
    """``version`` when it names an HLS release (``2024.1``, ``2019.2.1``); SpecError naming ``where`` otherwise."""
    if version is not None and not (isinstance(version, str) and TOOL_VERSION.fullmatch(version.strip())):
        raise SpecError(f"{where}: {version!r} is not an HLS tool release (accepted: a release such as 2024.1 or "
                        "2019.2.1)")  # fmt: skip
    return version.strip() if version is not None else None


def report_tool_version(csynth) -> str | None:
    """The release a synthesis report names (``CsynthReport.tool_version``, e.g. ``2020.1``), None without one."""
    m = TOOL_VERSION.match(str(getattr(csynth, "tool_version", None) or "").strip())
    return m.group(0) if m else None


def estimate_project(project_dir: Path, part: Part | None = None, tool_version: str | None = None) -> Estimate:
    """Estimate an hls4ml project directory (read from its files; ``part`` overrides the project's part).

    ``tool_version``: the release of the HLS tool (the project's backend: Vivado HLS or Vitis HLS) that synthesises
    it, e.g. ``"2024.1"``; the estimator's version-gated rules follow it (docs/estimator.md). None: no release is
    known, and each such rule takes the default it documents.
    """
    settings = read_project(project_dir)
    settings["hls_tool_version"] = check_tool_version(tool_version, "tool version")
    return estimate_settings(settings, part)


_RESULT_KEYS = (
    ("latency_max_cycles", "latency_cycles"),
    ("interval_max", "ii_cycles"),
    ("LUT", "lut"),
    ("FF", "ff"),
    ("DSP", "dsp"),
    ("BRAM_18K", "bram_18k"),
)


def estimate_record(record: dict) -> dict:
    """Predict one calibration-schema record from its settings only: the ``--records`` output line."""
    out: dict = {"id": record.get("id")}
    try:
        est = estimate_settings(settings_from_record(record))
    except Exception as exc:  # noqa: BLE001 - one bad record must not stop a batch; the reason is reported
        for key, _ in _RESULT_KEYS:
            out[key] = None
        out["declined"] = f"{type(exc).__name__}: {exc}"
        return out
    for key, attr in _RESULT_KEYS:
        out[key] = getattr(est, attr)
    if not est.per_layer:
        out["declined"] = "no nnet:: layer calls in the settings (top_calls empty: no firmware to read)"
    elif est.declined:
        out["declined"] = "; ".join(est.declined)
    return out
