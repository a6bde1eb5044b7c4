"""The io_parallel top's calls as a data-flow graph, and its longest path: the latency of a pipelined top.

hls4ml's io_parallel top is one ``#pragma HLS PIPELINE`` over its layer calls. HLS schedules a pipelined region
as soon as each operation's operands are ready (as-soon-as-possible scheduling of the data-flow graph), so two
calls that read nothing of each other, the branches of a Concatenate / Add / Multiply, the receiver and sender
terms of the interaction network, the several inputs of a multi-input model, run side by side: the top's
latency is its longest path through the calls, not their sum. Each call reads the arrays earlier calls wrote
(:attr:`~codesign.estimate.design.LayerCall.reads`, ``writes``); the top's input ports have no producer.

The graph is read from a project's call arguments (``top_call_vars``: the arrays the top declares, an ``auto&``
in-place variable standing for the array it names; the last one is the array the call writes). A calibration record
carries no variables, and its data type names stand for them where they name one producer each (hls4ml writes one
result type per layer: ``layer4_t``) and every type without a producer is an input (``input_t``, ``input2_t``,
``input_1_t``, as hls4ml names the input types). Where the graph cannot be read so (a call that reads an array nobody
wrote, an array or type written twice, a call without data arrays) the calls are taken as one chain in program
order: the sum, which is also what a sequential design's graph gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import pairwise

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import combinational_run_cycles
from codesign.estimate.kernels.common import Context
from codesign.estimate.result import LayerEstimate

#: hls4ml's names for the element types of the top's input arrays (a record carries no signature)
_INPUT_TYPE = re.compile(r"input(?:_?\d+)?_t")


def _sources(settings: dict) -> Callable[[str], bool]:
    """Whether a name without a producer is one of the top's inputs: a signature's input array (a project's
    ``top_input_names``), else one of its input types (``top_input_types``, or hls4ml's ``input<N>_t``)."""
    if settings.get("top_call_vars"):
        names = set(settings.get("top_input_names") or ())
        return names.__contains__
    types = set(settings.get("top_input_types") or ())
    return lambda name: name in types if types else bool(_INPUT_TYPE.fullmatch(name))


def predecessors(settings: dict, calls: Sequence[LayerCall], casts: Sequence[bool]) -> list[tuple[int, ...]] | None:
    """For each call, the calls whose output it reads (indices, in program order); None where the graph cannot be
    read from the settings (module docstring). A cast (an HGQ quantizer, inlined into its neighbours: no call
    boundary of its own; ``casts``; 0 cycles) passes its producer on: its readers' predecessor is the call before it."""
    is_input = _sources(settings)
    producer: dict[str, int] = {}
    written = [c.writes for c in calls]
    if len(set(written)) != len(written) or any(not w for w in written):
        return None
    preds: list[tuple[int, ...]] = []
    for i, call in enumerate(calls):
        if not call.reads or call.writes in call.reads:
            return None
        mine: list[int] = []
        for name in call.reads:
            if name in producer:
                p = producer[name]
                mine.extend(preds[p] if casts[p] else [p])
            elif not is_input(name):
                return None
        preds.append(tuple(sorted(set(mine))))
        producer[call.writes] = i
    return preds


def longest_path(
    preds: Sequence[tuple[int, ...]],
    node_cycles: Sequence[int],
    edge_cycles: Callable[[int, int], int],
    skip: Sequence[bool],
) -> tuple[int, list[int]]:
    """The longest path through the call graph: (its cycles, its calls in order). A call costs ``node_cycles``, a
    boundary between a call and one that reads it ``edge_cycles(producer, reader)``; the ``skip`` calls (casts)
    are on no path (their readers' predecessors pass over them: :func:`predecessors`). Of two paths as long, the
    one ending later is taken, so a chain gives every call in program order."""
    best: list[int | None] = [None] * len(preds)
    back: list[int | None] = [None] * len(preds)
    for i, ps in enumerate(preds):
        if skip[i]:
            continue
        start, via = 0, None
        for p in ps:
            if best[p] is None:
                continue
            t = int(best[p]) + edge_cycles(p, i)  # type: ignore[arg-type]
            if via is None or t > start:
                start, via = t, p
        best[i], back[i] = start + node_cycles[i], via
    ends = [i for i, b in enumerate(best) if b is not None]
    if not ends:
        return 0, []
    end = max(ends, key=lambda i: (best[i], i))
    path = [end]
    while back[path[-1]] is not None:
        path.append(back[path[-1]])  # type: ignore[arg-type]
    return int(best[end]), path[::-1]  # type: ignore[arg-type]


def boundary_cycles(prev: LayerEstimate, cur: LayerEstimate) -> int:
    """Register cycles at the boundary between a call and one that reads its output (constants): none between two
    combinational (0-cycle) calls, which chain into one stage."""
    return 0 if prev.latency_cycles == 0 and cur.latency_cycles == 0 else K.TOP_CYCLES_PER_BOUNDARY


def call_cycles(x: LayerEstimate, ii: int | None, ctx: Context) -> int:
    """Cycles the pipelined top adds at a call of its own (constants: Vitis HLS, 7-series, II = 1, a dense call)."""
    if ii == 1 and ctx.vitis and ctx.delay_factor >= 1.0 and x.kind.startswith("dense"):
        return K.TOP_CYCLES_II1_PER_DENSE
    return 0


def pipeline_latency(settings: dict, calls: list[LayerCall], per_layer: list[LayerEstimate], ii: int,
                     ctx: Context) -> tuple[int, list[int]]:  # fmt: skip
    """Latency of an io_parallel PIPELINE top: its longest path through the call graph (estimate.call_graph), each
    call its latency and the cycles it adds (:func:`call_cycles`), each boundary on the path its register
    (:func:`boundary_cycles`); with the calls on that path. Every overhead term is a register at a call or at a
    boundary, so it counts where it lies on the path; parallel branches hold theirs side by side. A chain (or a
    graph that cannot be read) gives every call: the sum of the layers' latencies plus the top's overhead.
    """
    casts = [x.kind == "cast" for x in per_layer]
    preds = predecessors(settings, calls, casts)
    if preds is None:  # the calls in program order, casts passed over as predecessors() does
        real = [i for i, c in enumerate(casts) if not c]
        preds = [()] * len(calls)
        for a, b in pairwise(real):
            preds[b] = (a,)
    node = [int(x.latency_cycles or 0) + (0 if x.kind == "cast" else call_cycles(x, ii, ctx)) for x in per_layer]
    cycles, path = longest_path(preds, node, lambda a, b: boundary_cycles(per_layer[a], per_layer[b]), casts)
    if K.TOP_CHAIN_COMBINATIONAL:
        on_path = [per_layer[i] for i in path]
        runs = [(x.latency_cycles == 0, x.chain_ns) for x in on_path]
        cycles += combinational_run_cycles(runs, ctx.clock.effective_ns)
    return cycles, path


__all__ = ["boundary_cycles", "call_cycles", "longest_path", "pipeline_latency", "predecessors"]
