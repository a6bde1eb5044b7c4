"""``nnet::anomaly_score`` (codesign's score layer, ``firmware_templates/nnet_anomaly_score.h``): an analytical
estimate, NOT fitted on synthesis records (none exist for this kernel yet); its LayerEstimate kind says so.

Per latent dimension (``n_in``): one variable x variable square (``input_t`` x ``input_t``), for ``rz`` one more
product of the square with the table entry, for ``rz``/``kl`` a ROM of ``table_size`` x ``table_t`` read in
parallel (LUT ROM: 64 bits per LUT6 plus the wide multiplexer, counted as ~1.3 LUT per 64 bits), then a chain of
``n_in`` additions in ``accum_t``. Variable x variable products do not fold like constant weights: every one is
counted at its full DSP slice count.
"""

from __future__ import annotations

import math

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import MultiplierMap, chain_cycles
from codesign.estimate.result import LayerEstimate, declined

KIND = "anomaly_score (analytical, not calibrated)"
ROM_LUT_PER_64_BITS = 1.3  # one LUT6 holds 64 bits; the F7/F8 muxes and the select tree add about a third


class AnomalyScoreEstimator:
    """The anomaly score: squares, table reads, products and an accumulation chain."""

    def predict(self, call: LayerCall, ctx) -> LayerEstimate:
        """Estimate one score layer."""
        n, kind = int(call.num("n_in", 0) or 0), int(call.num("kind", -1) or 0)
        w_in, w_t, w_acc = (p.width if p is not None else None for p in (call.prec("input_t"), call.prec("table_t"),
                                                                          call.prec("accum_t")))  # fmt: skip
        if n <= 0 or None in (w_in, w_t, w_acc):
            return declined(call.name, KIND, "n_in / input_t / table_t / accum_t missing from the score's config")
        slices = MultiplierMap.slices
        dsp = n * slices(w_in, w_in, ctx.dsp_family)
        # the ops are 7-series delays scaled by the logic factor below; a DSP product scales with the DSP factor
        t_mul = K.T_MUL_DSP_NS * ctx.dsp_factor / ctx.delay_factor
        ops = [t_mul]
        lut = n * w_acc  # the accumulation chain
        if kind in (1, 2):  # rz, kl: table reads
            size = int(call.num("table_size", 0) or 0)
            lut += n * w_t * ROM_LUT_PER_64_BITS * max(1, math.ceil(size / 64))
            ops.append(K.T_TABLE_READ_NS)
        if kind == 1:  # rz: square x table entry
            dsp += n * slices(2 * w_in, w_t, ctx.dsp_family)
            ops.append(t_mul)
        if kind == 3:  # sse: the difference before the square
            lut += n * (w_in + 1)
            ops.insert(0, K.T_ADD_NS)
        ops += [K.T_ADD_NS] * n  # the accumulation is a chain in the order of the loop
        lat = max(1, chain_cycles([d * ctx.delay_factor for d in ops], ctx.clock.effective_ns))
        return LayerEstimate(call.name, KIND, lat, 1, int(round(lut)), int(lat * w_acc), int(dsp), 0)
