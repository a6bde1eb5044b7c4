"""LSTM and GRU layers (``nnet_recurrent.h``, hls4ml 0.7 to 1.3): a cell of two dense products, run per time step.

What the kernels do (``lstm_stack`` / ``gru_stack``, io_parallel and io_stream):

- one *cell* per time step: ``dense(x_t, W)`` (``configN_1``, n_in x G n_state, G = 4 for LSTM, 3 for GRU) and
  ``dense(h_{t-1}, U)`` (``configN_2``, n_state x G n_state), the gate sums, the recurrent activation on
  (G - 1) n_state values (``<act>_configN_recr``), the activation on n_state (LSTM: twice, on the candidate and
  on the new cell state), and 3 n_state element-wise products of two variables (LSTM: c x i, s x f, o x tanh(s);
  GRU: r x (U h)_h, h~ x (1 - z), h x z), which are true multiplications (no constant operand);
- the time loop: each step needs the previous step's state, so the steps run one after the other whatever the
  mode. ``use_static`` (hls4ml's default) keeps the state in static variables of one cell function: one cell
  in hardware, reused every step, which takes the next sequence only once the last step is done (II = latency,
  like a Resource-strategy layer). ``use_static = false`` unrolls the loop into n_sequence cells (resources x
  n_sequence) that a pipelined top can restart every II (the largest reuse factor).

The dense products, the activations and their constants are those of :mod:`codesign.estimate.layers` (the
per-kernel rules measured on the dense and activation reports); the composition is counted from the kernel
source. No report of a stock hls4ml LSTM / GRU is in the calibration set, so nothing here was checked against
one: the uncertainty band for recurrent designs is an assumption (``uncertainty.ASSUMED_BANDS``), said so in
the estimate's ``interval_basis``.
"""

from __future__ import annotations

import math
from typing import Any

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall, element_precision
from codesign.estimate.layers import ActivationEstimator, Context, DenseEstimator
from codesign.estimate.result import LayerEstimate, declined

#: gates per cell: LSTM i, f, c, o; GRU z, r, h
GATES = {"lstm": 4, "gru": 3}


def _truthy(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("false", "0", "no")


def _w(p, default: int) -> int:
    return p.width if p is not None else default


class RecurrentEstimator:
    """``nnet::lstm_stack`` / ``gru_stack`` (io_parallel and io_stream, Latency and Resource strategies)."""

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one LSTM or GRU layer from its config struct and the structs it names."""
        f = call.function.lower()
        base = str(call.config.get("base", ""))
        kind = "lstm" if f.startswith("lstm") or base.startswith("lstm") else "gru"
        if "bidirectional" in f:
            return declined(call.name, kind, "bidirectional recurrent layers are not modelled")
        c = call.num
        n_in, n_state = c("n_in"), c("n_state", c("n_out"))
        n_seq = int(c("n_sequence", 1) or 1)
        if not n_in or not n_state:
            return declined(call.name, kind, "n_in / n_state missing from the recurrent config")
        mult1, mult2 = call.parts.get("mult1"), call.parts.get("mult2")
        if mult1 is None or mult2 is None:
            return declined(call.name, kind, "the recurrent layer's dense configs (configN_1, configN_2) are missing")
        n_in, n_state, g = int(n_in), int(n_state), GATES[kind]
        acc = element_precision(call.config.get("accum_t")) or element_precision(mult1.get("accum_t"))
        acc_w = _w(acc, 16)
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
            cfg = {**(call.parts.get(key) or {}), "n_in": n}
            fn = str(cfg.pop("function", None) or default)
            est = act.predict(LayerCall(call.name, fn, cfg, acc, acc, io), ctx)
            acts += [est] * times
        parts = [d1, d2, *acts]
        missing = [p for p in parts if p.latency_cycles is None]
        if missing:
            return declined(call.name, kind, f"part of the cell is not modelled: {missing[0].declined}")
        # the 3 n_state products of two variables (no constant operand): true multiplications, on DSPs when the
        # wider operand reaches the width the Resource strategy's ROM-fed products need (same rule)
        n_prod = 3 * n_state
        on_dsp = ctx.mul_impl == "dsp" or (ctx.mul_impl == "auto" and acc_w >= K.RESOURCE_DSP_MIN_WIDTH)
        prod_dsp = n_prod * (math.ceil(acc_w / 18) ** 2 if on_dsp else 0)
        prod_lut = 0 if on_dsp else n_prod * acc_w * acc_w * K.LUT_PER_MULT_BIT2
        t_mul = (K.T_MUL_DSP_NS if on_dsp else K.T_MUL_LUT_NS) * ctx.delay_factor
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
        static = _truthy(call.config.get("use_static"), True)
        copies = 1 if static else n_seq
        lut = sum(int(p.lut or 0) for p in parts) + prod_lut + add_lut
        # registers: each step's state (h; LSTM also s) and the activated gates it waits on, besides the parts'
        ff = sum(int(p.ff or 0) for p in parts) + (g + (2 if kind == "lstm" else 1)) * n_state * acc_w
        dsp = sum(int(p.dsp or 0) for p in parts) + prod_dsp
        bram = sum(int(p.bram_18k or 0) for p in parts)
        # a step can only start once the dense products accept a new input (their II, RF with the Resource
        # strategy) and once the previous step's state is there
        per_step = max(step, int(d1.ii_cycles or 1), int(d2.ii_cycles or 1))
        words = 1
        if call.io_type == "io_stream":
            # io_stream: each step reads its input vector as ceil(n_in / pack) words (one per cycle) and
            # writes its state, inside the same time loop
            words = math.ceil(n_in / max(call.pack, 1))
            per_step = max(per_step, words)
        latency = n_seq * per_step + 1  # + the output copy of the last state
        if static:
            ii, sequential = latency, True
        else:
            ii = max(int(d1.ii_cycles or 1), int(d2.ii_cycles or 1), n_seq * words if words > 1 else 1)
            sequential = False
        suffix = "/stream" if call.io_type == "io_stream" else ("/static" if static else "/unrolled")
        return LayerEstimate(
            call.name, kind + suffix, latency, ii, round(lut * copies), round(ff * copies), round(dsp * copies),
            bram * copies, sequential=sequential,
        )  # fmt: skip
