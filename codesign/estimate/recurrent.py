"""LSTM, GRU and bidirectional layers (``nnet_recurrent.h``, hls4ml 0.7 to 1.3): cells of two dense products per step.

What the kernels do (``lstm_stack`` / ``gru_stack``, io_parallel and io_stream):

- one *cell* per time step: ``dense(x_t, W)`` (``configN_1``, n_in x G n_state, G = 4 for LSTM, 3 for GRU) and
  ``dense(h_{t-1}, U)`` (``configN_2``, n_state x G n_state), the gate sums, the recurrent activation on
  (G - 1) n_state values (``<act>_configN_recr``), the activation on n_state (LSTM: twice, on the candidate and
  on the new cell state), and 3 n_state element-wise products of two variables (LSTM: c x i, s x f, o x tanh(s);
  GRU: r x (U h)_h, h~ x (1 - z), h x z), which are true multiplications (no constant operand);
- the time loop: each step needs the previous step's state, so the steps run one after the other whatever the
  mode. ``use_static`` (hls4ml's default) keeps the state in static variables of one cell function: one cell
  in hardware, reused every step, which takes the next sequence only once the last step is done (II = latency,
  like a Resource-strategy layer). Vivado HLS pipelines that cell only under a pipelined top; under a DATAFLOW
  top (io_stream, any Resource-strategy layer) it is a state machine, its sub-function calls one after the
  other, as Vitis HLS leaves it in any top. ``use_static = false`` under a PIPELINE top unrolls the loop into
  n_sequence cells (resources x n_sequence) that the top can restart every II (the largest reuse factor); under a
  DATAFLOW top the loop stays, one cell called every step as the static one, and each step's input is sliced out
  of the top's reshaped input word with variable shifts (:func:`input_slice_luts`);
- ``bidirectional_stack`` (hls4ml 1.3): a forward and a backward cell (each an LSTM or a GRU) called in every
  step on independent data, so side by side: the step is the slower cell's, the resources both cells'.

The dense products, the activations and their constants are those of :mod:`codesign.estimate.kernels` (the
per-kernel rules measured on the dense and activation reports); the composition is counted from the kernel
source. No report of a stock hls4ml LSTM / GRU is in the calibration set; seven stock GRU reports (one repository,
Vivado HLS 2019.2, Resource strategy) are kept apart as a check (``benchmarks/data/recurrent_reports.jsonl``,
``benchmarks/recurrent_reports.py``): the Vivado HLS state-machine cell and its time loop were read from one of
their designs' module reports and checked on the others. The uncertainty band for recurrent designs is still an
assumption (``uncertainty.ASSUMED_BANDS``), said so in the estimate's ``interval_basis``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall, element_precision, eval_constant
from codesign.estimate.kernels.activation import ActivationEstimator
from codesign.estimate.kernels.common import Context, variable_product_on_dsp, width_of
from codesign.estimate.kernels.dense import DenseEstimator
from codesign.estimate.result import LayerEstimate, declined

#: gates per cell: LSTM i, f, c, o; GRU z, r, h
GATES = {"lstm": 4, "gru": 3}


def _truthy(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("false", "0", "no")


@dataclass(frozen=True)
class Cell:
    """One time step's hardware: the cycles of its critical path, its resources, its dense products' II."""

    step: int
    lut: float
    ff: float
    dsp: float
    bram: int
    dense_ii: int


def cell(kind: str, n_state: int, parts: dict, call: LayerCall, ctx: Context) -> Cell | str:
    """The cell of an LSTM or GRU time step from its dense and activation configs, or why it cannot be."""
    mult1, mult2 = parts.get("mult1"), parts.get("mult2")
    if mult1 is None or mult2 is None:
        return "the recurrent layer's dense configs (configN_1, configN_2) are missing"
    g = GATES[kind]
    acc = element_precision(call.config.get("accum_t")) or element_precision(mult1.get("accum_t"))
    acc_w = width_of(acc, 16)
    out_p = call.output or acc
    io = "io_parallel"  # the cell works on arrays in both io types; the stream is read around it
    dense = DenseEstimator()
    d1 = dense.predict(LayerCall(call.name, "dense", mult1, call.input, acc, io), ctx)
    d2 = dense.predict(LayerCall(call.name, "dense", mult2, out_p, acc, io), ctx)
    act = ActivationEstimator()
    acts = []
    for key, n, default, times in (
        ("act_recr", (g - 1) * n_state, "sigmoid", 1),
        ("act", n_state, "tanh", 2 if kind == "lstm" else 1),
    ):
        cfg = {**(parts.get(key) or {}), "n_in": n}
        fn = str(cfg.pop("function", None) or default)
        est = act.predict(LayerCall(call.name, fn, cfg, acc, acc, io), ctx)
        acts += [est] * times
    pieces = [d1, d2, *acts]
    missing = [x for x in pieces if x.latency_cycles is None]
    if missing:
        return f"part of the cell is not modelled: {missing[0].declined}"
    # the 3 n_state products of two variables (no constant operand): true multiplications, on DSPs when the
    # wider operand reaches the width the Resource strategy's ROM-fed products need (same rule)
    n_prod = 3 * n_state
    on_dsp = variable_product_on_dsp(acc_w, ctx)
    prod_dsp = n_prod * (math.ceil(acc_w / 18) ** 2 if on_dsp else 0)
    prod_lut = 0 if on_dsp else n_prod * acc_w * acc_w * K.LUT_PER_MULT_BIT2
    t_mul = K.T_MUL_DSP_NS * ctx.dsp_factor if on_dsp else K.T_MUL_LUT_NS * ctx.delay_factor
    t_add = K.T_ADD_NS * ctx.delay_factor
    mul_add = max(1, ctx.clock.cycles(t_mul + t_add))  # a product and the sum it feeds, registered
    gate_add = max(1, ctx.clock.cycles(t_add))
    # gate sums (G n_state) and the state update's adds, one LUT per bit each
    add_lut = (g + 2) * n_state * acc_w * K.LUT_PER_COMPARE_BIT
    # the critical path of one step: both products of the state (the input one runs beside it), the gate
    # sum, the recurrent activation, then (LSTM) c x i + s x f, tanh(s), o x tanh(s); (GRU) r x Uh, + Wx,
    # tanh, the (1 - z) h~ + z h mix
    step = max(int(d1.latency_cycles or 0), int(d2.latency_cycles or 0)) + gate_add
    step += int(acts[0].latency_cycles or 0) + mul_add
    if kind == "lstm":
        step += int(acts[1].latency_cycles or 0) + int(acts[2].latency_cycles or 0) + mul_add
    else:
        step += gate_add + int(acts[1].latency_cycles or 0) + mul_add
    if ctx.vitis:
        # Vitis HLS leaves the cell function unpipelined: its sub-function calls (the dense pair, then each
        # activation) run one after the other, each ending on a registered state (constants.RECURRENT_...)
        step += (1 + len(acts)) * K.RECURRENT_CALL_CYCLES
    elif ctx.top_style == "dataflow":
        # Vivado HLS under a DATAFLOW top: the cell (no PIPELINE pragma in hls4ml's lstm_static / gru_static)
        # stays a state machine, its calls one after the other as with Vitis HLS, but the gate sums ride on the
        # products' DSP adders (mac_muladd): the dense pair, each activation, two product stages, a state per
        # call (constants.RECURRENT_FSM_...)
        step = max(int(d1.latency_cycles or 0), int(d2.latency_cycles or 0))
        step += sum(int(x.latency_cycles or 0) for x in acts) + 2 * mul_add
        step += (1 + len(acts)) * K.RECURRENT_CALL_CYCLES
    else:
        # Vivado HLS pipelines the cell as one function: the table reads take a cycle each and the products
        # are DSP multiply-adds of one cycle, the gate sums folded into them (constants.RECURRENT_...)
        step = max(int(d1.latency_cycles or 0), int(d2.latency_cycles or 0)) + len(acts) + 2
    return Cell(
        step=step,
        lut=sum(int(x.lut or 0) for x in pieces) + prod_lut + add_lut,
        # registers: each step's state (h; LSTM also s) and the activated gates it waits on, besides the parts'
        ff=sum(int(x.ff or 0) for x in pieces) + (g + (2 if kind == "lstm" else 1)) * n_state * acc_w,
        dsp=sum(int(x.dsp or 0) for x in pieces) + prod_dsp,
        bram=sum(int(x.bram_18k or 0) for x in pieces),
        dense_ii=max(int(d1.ii_cycles or 1), int(d2.ii_cycles or 1)),
    )


def input_slice_luts(n_seq: int, n_in: int, width: int) -> int:
    """LUTs of the variable shifters with which a rolled time loop copies each step's input out of the top's
    reshaped input word (``data[j + iloop * n_in]``): one shift of the whole n_seq x n_in x width word per input
    element, priced flat (constants.RECURRENT_SLICE_SHIFT_LUT); where the element width is a power of two and
    constants.RECURRENT_SLICE_POW2_FORM, a second shift and two gates over the word's bits per element. 0 for a
    single step (the index is a constant)."""
    if n_seq <= 1 or n_in <= 0:
        return 0
    per_input = K.RECURRENT_SLICE_SHIFT_LUT
    if K.RECURRENT_SLICE_POW2_FORM and width > 0 and width & (width - 1) == 0:
        per_input = 2 * K.RECURRENT_SLICE_SHIFT_LUT + 2 * n_seq * n_in * width
    return n_in * per_input


class RecurrentEstimator:
    """``nnet::lstm_stack`` / ``gru_stack`` / ``bidirectional_stack`` (io_parallel and io_stream, Latency and
    Resource strategies)."""

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one LSTM, GRU or bidirectional layer from its config struct and the structs it names."""
        f = call.function.lower()
        base = str(call.config.get("base", ""))
        c = call.num
        n_in, n_seq = c("n_in"), int(c("n_sequence", 1) or 1)
        if f.startswith("bidirectional") or base == "bidirectional_config":
            kind = "bidirectional"
            cells = []
            for d in ("forward", "backward"):
                parts = call.parts.get(d)
                if parts is None:
                    return declined(call.name, kind, f"the {d} layer's config (configN_{d}) is missing")
                layer = parts["layer"]
                sub_kind = "lstm" if int(eval_constant(layer, "n_mult", 4) or 4) == 4 else "gru"
                n_state = eval_constant(layer, "n_state")
                if not n_state:
                    return declined(call.name, kind, f"n_state missing from the {d} layer's config")
                cells.append(cell(sub_kind, int(n_state), parts, call, ctx))
        else:
            kind = "lstm" if f.startswith("lstm") or base.startswith("lstm") else "gru"
            n_state = c("n_state", c("n_out"))
            if not n_in or not n_state:
                return declined(call.name, kind, "n_in / n_state missing from the recurrent config")
            cells = [cell(kind, int(n_state), call.parts, call, ctx)]
        if not n_in:
            return declined(call.name, kind, "n_in missing from the recurrent config")
        reasons = [x for x in cells if isinstance(x, str)]
        if reasons:
            return declined(call.name, kind, reasons[0])
        ok = [x for x in cells if isinstance(x, Cell)]
        # a bidirectional layer runs its forward and backward cells side by side in every step
        per_step = max(max(x.step for x in ok), max(x.dense_ii for x in ok))
        words = 1
        if call.io_type == "io_stream":
            # io_stream: each step reads its input vector as ceil(n_in / pack) words (one per cycle) and
            # writes its state, inside the same time loop
            words = math.ceil(int(n_in) / max(call.pack, 1))
            per_step = max(per_step, words)
        # the time loop is not pipelined: each iteration calls the cell and takes one more cycle to start the
        # next (constants.RECURRENT_STEP_CYCLES), the last one without it; around a Vivado HLS state-machine
        # cell, a state to slice the step's input and one to call the cell, and an exit state
        # (constants.RECURRENT_FSM_LOOP_CYCLES, RECURRENT_FSM_EXIT_CYCLES)
        fsm = not ctx.vitis and ctx.top_style == "dataflow"
        if fsm:
            latency = n_seq * (per_step + K.RECURRENT_FSM_LOOP_CYCLES) + K.RECURRENT_FSM_EXIT_CYCLES
        else:
            latency = n_seq * (per_step + K.RECURRENT_STEP_CYCLES) - K.RECURRENT_STEP_CYCLES
        # ``use_static = false`` gives n_seq cells only where the time loop is unrolled, and only a PIPELINE top
        # unrolls it (the loop and both cell functions have no pragma of their own): under a DATAFLOW top (io_stream,
        # or a Resource-strategy layer) the non-static cell is one instance called step after step, as the static one
        static = _truthy(call.config.get("use_static"), True) or ctx.top_style == "dataflow"
        copies = 1 if static else n_seq
        if static and fsm:
            # the stack function is not pipelined: its interval is its latency, and the DATAFLOW top restarts it
            # one handshake cycle after it is done (network.dataflow_interval adds that cycle)
            ii, sequential = latency, True
        elif static:
            # the stack function is not pipelined: it takes the next sequence once it is done
            ii, sequential = latency + 1, True
        else:
            ii = max(max(x.dense_ii for x in ok), n_seq * words if words > 1 else 1)
            sequential = False
        suffix = "/stream" if call.io_type == "io_stream" else ("/static" if static else "/unrolled")
        lut = sum(x.lut for x in ok) * copies
        if fsm and call.io_type == "io_parallel":
            # the rolled time loop slices each step's input out of the reshaped input word with variable shifts
            lut += input_slice_luts(n_seq, int(n_in), width_of(call.input, 16))
        return LayerEstimate(
            call.name, kind + suffix, latency, ii, round(lut),
            round(sum(x.ff for x in ok) * copies), round(sum(x.dsp for x in ok) * copies),
            sum(x.bram for x in ok) * copies, sequential=sequential,
        )  # fmt: skip
