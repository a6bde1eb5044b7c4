"""Estimates of codesign's interaction-network extension kernels (``firmware_templates/nnet_codesign_graph.h``).

Both kernels are unrolled additions with no multiplier: ``edge_pair_sum`` one adder (and a ReLU select) per
edge and feature, ``receiver_sum`` a balanced adder tree over the N - 1 edges into each receiver per feature.
They are costed with the same constants as hls4ml's element-wise merges and pooling sums (one LUT per adder
bit, ``T_ADD_NS`` per tree level); no synthesis record of them exists yet, so their share of the estimate is
a model, not a calibration.
"""

from __future__ import annotations

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import chain_cycles, tree_levels
from codesign.estimate.kernels.common import Context
from codesign.estimate.result import LayerEstimate, declined

FUNCTIONS = ("edge_pair_sum", "receiver_sum")


class GraphEstimator:
    """``nnet::edge_pair_sum`` / ``nnet::receiver_sum``: adders only."""

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one edge-building or receiver-summing layer."""
        n, d = call.num("n_nodes"), call.num("n_feat")
        if not n or not d or call.io_type == "io_stream":
            why = "io_stream is not supported by the kernel" if call.io_type == "io_stream" else "n_nodes/n_feat missing"
            return declined(call.name, call.function, why)
        n, d = int(n), int(d)
        acc = call.prec("accum_t") or call.output
        w = acc.width if acc is not None else 16
        w_out = call.output.width if call.output is not None else w
        if call.function == "edge_pair_sum":
            adders, levels, n_out = n * (n - 1) * d, 1, n * (n - 1) * d
            lut = adders * (w + w_out)  # the adder and the ReLU/saturation select per output
        else:
            adders, levels, n_out = n * d * (n - 2), tree_levels(n - 1), n * d
            lut = adders * w
        lat = chain_cycles([K.T_ADD_NS * ctx.delay_factor] * levels, ctx.clock.effective_ns) if levels else 0
        ff = n_out * w_out if lat else 0
        return LayerEstimate(call.name, call.function, lat, 1, int(round(lut * K.LUT_PER_COMPARE_BIT)), ff, 0, 0)
