"""Per-layer estimator classes: each ``predict(call, ctx)`` returns a frozen :class:`LayerEstimate`.

They follow what the hls4ml 1.3 kernels (``templates/vivado/nnet_utils``) unroll:

- ``nnet_dense_latency.h``: every non-zero product of the weight matrix is a multiplier (zeros are skipped at
  compile time), with ``ALLOCATION mul limit = multiplier_limit`` when ``reuse_factor > 1``; the sums are
  unrolled adder trees whose levels the scheduler packs into cycles (``hardware.chain_cycles``); the function
  asks for PIPELINE II = reuse factor, and reports II = min(RF, latency + 1) when its schedule is shorter.
- ``nnet_dense_resource.h``: ``block_factor = ceil(n_in*n_out/RF)`` multipliers (zeros included) reused RF times,
  weights in a ROM of depth RF; II = RF.
- ``nnet_activation.h``: ReLU is a compare-and-select; sigmoid/tanh/softmax read lookup tables.
- ``nnet_batchnorm.h``: one product and one sum per element.
- ``nnet_conv*_stream.h`` / ``nnet_conv*_latency.h``: a dense kernel over the receptive field, reused for every
  output pixel (io_stream: one input pixel per kernel interval through a line buffer).
- ``nnet_pooling*.h``, ``nnet_merge*.h``: comparators / adders per element; concatenation is wiring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall, is_recurrent
from codesign.estimate.hardware import Clock, MultiplierMap, chain_cycles, sum_width, tree_levels
from codesign.estimate.result import LayerEstimate, declined
from codesign.precision import FixedPrecision


@dataclass(frozen=True)
class Context:
    """What every layer estimator needs besides the layer: clock, DSP family, multiplier impl, tool."""

    clock: Clock
    dsp_family: str
    mul_impl: str
    tool: str | None
    tool_version: str | None
    delay_factor: float = 1.0


def _w(p: FixedPrecision | None, default: int = 16) -> int:
    return p.width if p is not None else default


def _i(x: float) -> int:
    return int(round(x))


def _rounds_convergent(inp: FixedPrecision | None, out: FixedPrecision | None) -> bool:
    """Whether an element-wise output rounds convergently (``AP_RND_CONV``) and drops fraction bits to do so."""
    if inp is None or out is None or out.rounding.value != "AP_RND_CONV":
        return False
    return out.width - out.integer < inp.width - inp.integer


def _quantizing_cast(inp: FixedPrecision | None, out: FixedPrecision | None) -> bool:
    """Whether an element-wise output cast saturates away integer bits or rounds away fraction bits."""
    if inp is None or out is None:
        return False
    saturates = out.overflow.value != "AP_WRAP" and out.integer < inp.integer
    rounds = out.rounding.value not in ("AP_TRN", "AP_TRN_ZERO") and out.width - out.integer < inp.width - inp.integer
    return saturates or rounds


class DotProductModel:
    """A bank of ``n_out`` dot products of ``n_in`` terms with constant weights (the core of dense/conv)."""

    multipliers = MultiplierMap()

    @staticmethod
    def allocated_mults(nnz: int, dsp_fraction: float, impl: str) -> float:
        """Products that stay ``mul`` operations (counted by ALLOCATION) after HLS folds trivial constants.

        With ``config_op mul -impl dsp|fabric`` the products stay multiplications bound to that resource: the
        saturating share measured with ``-impl dsp`` (constants.DSP_FORCED_FRACTION/SATURATION; the RF = 100
        ``-impl fabric`` intervals of ArgyKokk are within 10 % of the ``-impl dsp`` ones). With the default
        mapping HLS turns narrow constant products into shift-adds that ALLOCATION does not count: only the
        DSP share is left (MuhammadAshraful's 6-bit conv at RF 128 keeps II 2 per partition).
        """
        if impl in ("dsp", "fabric"):
            return nnz * K.DSP_FORCED_FRACTION / (1.0 + nnz / K.DSP_FORCED_SATURATION)
        return nnz * dsp_fraction

    def predict(
        self,
        n_in: int,
        n_out: int,
        nnz: int,
        wd: int,
        ww: int,
        acc_w: int,
        rf: int,
        ctx: Context,
        *,
        zeros_skipped: bool = True,
        n_shift: int = 0,
    ) -> LayerEstimate:
        """Latency, II and resources of the bank; ``nnz`` non-zero products (``n_shift`` of them by +-2^k weights,
        known in project mode: shifts, never on a DSP nor under the ALLOCATION limit), reuse factor ``rf``."""
        rf = max(1, rf)
        terms = max(1, round(nnz / max(n_out, 1)))
        sw = sum_width(wd, ww, terms, acc_w)
        mults_per_cycle = math.ceil(nnz / rf) if zeros_skipped else math.ceil(n_in * n_out / rf)
        cost = self.multipliers.predict(wd, ww, ctx.dsp_family, ctx.mul_impl)
        if zeros_skipped:
            # constant products: only the fraction HLS maps to DSPs counts against the ALLOCATION limit
            slices = cost.dsp / cost.dsp_fraction if cost.dsp_fraction > 0 else 0.0
            # the true multiplications (products HLS does not turn into shift-adds); with a forced mapping
            # (-impl dsp or fabric) their share saturates with the layer size (constants.py)
            mults = max(0, nnz - n_shift)  # +-2^k weights are shifts (codesign.estimate.weights)
            true_mults = mults * cost.dsp_fraction
            if ctx.mul_impl in ("dsp", "fabric"):
                true_mults = min(mults, nnz * K.DSP_FORCED_FRACTION / (1.0 + nnz / K.DSP_FORCED_SATURATION))
            dsp = min(true_mults, mults_per_cycle) * slices if ctx.mul_impl != "fabric" else 0.0
            # -impl fabric: the products -impl dsp puts on DSPs become LUT multipliers (constants)
            lut_mults = min(true_mults, mults_per_cycle) if ctx.mul_impl == "fabric" else 0.0
        else:
            # Resource strategy: weights come from a ROM, so the products are true multipliers
            # (weights in a ROM): narrow ones still go to LUTs (constants.RESOURCE_DSP_MIN_WIDTH)
            true_mults = float(n_in * n_out)
            on_dsp = ctx.mul_impl == "dsp" or (ctx.mul_impl == "auto" and max(wd, ww) >= K.RESOURCE_DSP_MIN_WIDTH)
            dsp = mults_per_cycle * self.multipliers.slices(wd, ww, ctx.dsp_family) * on_dsp
        # The product, then one adder per tree level, chained into cycles (hardware.chain_cycles). The levels
        # are log2 of the mean fan-in, rounded: HLS balances uneven trees and drops the pruned terms.
        levels = round(math.log2(terms)) if terms > 1 else 0
        dsp_path = ctx.mul_impl == "dsp" or (ctx.mul_impl == "auto" and cost.dsp_fraction >= 0.25)
        t_mul = K.T_MUL_DSP_NS if dsp_path else K.T_MUL_LUT_NS
        # each input word drives the n_out products it appears in: its net delay grows with that fan-out
        t_mul += K.T_FANOUT_NS * math.log2(max(n_out, 1))
        slices_per_product = self.multipliers.slices(wd, ww, ctx.dsp_family)
        if dsp_path and slices_per_product > 1:
            # a product wider than the DSP ports is a cascade of partial products summed by adders
            t_mul += K.T_ADD_NS * math.ceil(math.log2(slices_per_product))
        ops = [t_mul * ctx.delay_factor] + [K.T_ADD_NS * ctx.delay_factor] * levels
        depth = max(1, chain_cycles(ops, ctx.clock.effective_ns))
        if zeros_skipped and (ctx.tool or "").startswith("Vitis") and n_in * n_out > K.VITIS_BALANCE_MAX_WEIGHTS:
            # Vitis HLS leaves the accumulation of a very large layer as the chain the source writes
            # (``acc[j] += mult[i][j]``): one adder per non-zero term, about two per cycle (constants)
            depth = max(depth, math.ceil(terms * K.T_CHAIN_ADD_NS * ctx.delay_factor / ctx.clock.effective_ns))
        depth = depth if nnz else 0
        ii = rf
        latency = max(depth, ii - 1)
        if zeros_skipped and rf > 1 and nnz:
            # Latency strategy with a reuse factor: ``ALLOCATION mul limit=multiplier_limit`` lets at most
            # ``limit`` multiplications issue per cycle, so the last of the M products that stay
            # multiplications issues in cycle ceil(M / limit) - 1, then the rest of the adder tree
            # (constants.ALLOC_TAIL_OFFSET). The kernel asks for PIPELINE II = RF, but a schedule shorter than
            # that is reported with II = latency + 1 (ArgyKokk RF = 2 and RF = 100 layers, whatever n_in).
            limit = max(1, math.ceil(n_in * n_out / rf) - (n_in * n_out - nnz) // rf)
            allocated = min(max(0, nnz - n_shift), self.allocated_mults(nnz, cost.dsp_fraction, ctx.mul_impl))
            issue = math.ceil(allocated / limit)
            latency = max(depth, issue - 1 + max(0, depth - K.ALLOC_TAIL_OFFSET))
            ii = min(rf, latency + 1)
        # Latency strategy: the adder trees stay fully unrolled whatever the reuse factor (only the
        # multipliers are shared, through ALLOCATION); Resource strategy: one accumulator per multiplier.
        sums = nnz if zeros_skipped else mults_per_cycle
        if zeros_skipped:
            lut = sums * K.LUT_PER_SUM_BIT * sw + lut_mults * wd * ww * K.LUT_PER_MULT_BIT2
        else:
            lut = sums * K.LUT_PER_SUM_BIT * sw * cost.lut
        if rf > 1 and not zeros_skipped:  # operand multiplexers in front of the reused multipliers
            lut += mults_per_cycle * wd * rf / K.MUX_INPUTS_PER_LUT
        # Registers: where the product does not share a cycle with the first adder level (7-series clocks:
        # T_MUL + T_ADD > the effective period), the first cycle boundary falls right after the products and
        # holds every one of them, so a layer of any depth >= 1 carries the full FF_PER_SUM_BIT (the later,
        # halving partial sums are in that constant). Where the product chains with adder levels (UltraScale+
        # delays), the first register sits further down the tree, on fewer values: the depth ramp.
        product_registered = levels > 0 and ops[0] + ops[1] > ctx.clock.effective_ns + 1e-9
        if product_registered and latency >= 1:
            stages = 1.0
        else:
            stages = min(latency, K.FF_SATURATION_STAGES) / K.FF_SATURATION_STAGES
        ff = sums * K.FF_PER_SUM_BIT * sw * stages
        mul_cycles = math.ceil(ops[0] / ctx.clock.effective_ns - 1e-9)
        if dsp and mul_cycles > 1 and not (ctx.tool or "").startswith("Vitis"):
            # Vivado HLS binds a product longer than a cycle to a pipelined multiplier core whose stage
            # registers it counts as fabric FFs (constants.FF_PIPELINED_MUL_PER_BIT); Vitis HLS absorbs them
            # into the DSP slice (its mul instances report 0 FF)
            ff += (dsp / slices_per_product) * (mul_cycles - 1) * (wd + ww) * K.FF_PIPELINED_MUL_PER_BIT
        return LayerEstimate("", "", latency, ii, _i(lut), _i(ff), _i(dsp), 0)


class DenseEstimator:
    """``nnet::dense`` (Latency or Resource strategy, any reuse factor, pruned weights)."""

    core = DotProductModel()

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one dense layer."""
        n_in, n_out = call.num("n_in"), call.num("n_out")
        if not n_in or not n_out:
            return declined(call.name, "dense", "n_in / n_out missing from the config")
        n_in, n_out = int(n_in), int(n_out)
        rf = int(call.num("reuse_factor", 1) or 1)
        n_zeros = int(call.num("n_zeros", 0) or 0)
        nnz = int(call.num("n_nonzeros", n_in * n_out - n_zeros) or 0)
        strategy = str(call.config.get("strategy", "latency")).lower()
        if call.function.lower().startswith("dense_large"):
            # hls4ml <= 0.4 named its reuse kernel ``dense_large`` (no strategy field): the Resource strategy
            strategy = "resource"
        wd, ww = _w(call.input), _w(call.prec("weight_t"))
        acc = _w(call.prec("accum_t"), wd + ww + 8)
        resource = strategy.startswith("resource")
        shifts = int(call.num("n_shift", 0) or 0)
        # at RF = 1 the ReuseLoop is a single iteration: every weight index is a constant, so HLS folds the
        # weights into the products as in the Latency strategy (zeros vanish, narrow products leave the DSPs)
        constant_weights = not resource or rf <= 1
        est = self.core.predict(
            n_in, n_out, max(nnz, 0), wd, ww, acc, rf, ctx, zeros_skipped=constant_weights, n_shift=shifts
        )
        bram = 0
        latency = est.latency_cycles
        ff = est.ff
        if resource:
            block = math.ceil(n_in * n_out / rf)
            if rf > 1:
                # the ReuseLoop keeps what lives across its RF iterations in registers: the input array (read
                # by a different multiplier each iteration), the n_out accumulators, and per multiplier its
                # operands and product, each carried through the loop's pipeline stages (constants)
                sw = sum_width(wd, ww, n_in, acc)
                bits = n_in * wd + n_out * acc + block * (wd + ww + sw)
                ff = _i(bits * K.FF_RESOURCE_PER_BIT)
            # weights in a ROM of depth RF and width block*ww, which the kernel binds to BRAM at RF > 1
            # (``#pragma HLS RESOURCE variable=weights core=ROM_nP_BRAM``): 512 x 36 words per BRAM18
            if rf > 1:
                bram = math.ceil(block * ww / 36) * math.ceil(rf / 512)
            # RF > 1: the ReuseLoop's pipeline fills and drains around its RF issues; RF = 1: no loop is left
            if rf > 1:
                latency = reuse_loop_cycles(n_in, n_out, rf, wd, ww, ctx)
        ii = est.ii_cycles
        sequential = False
        if call.io_type == "io_stream":
            # the input array arrives as ceil(n_in / pack) stream words before the products can finish
            words = math.ceil(n_in / max(call.pack, 1))
            ii = max(ii or 1, words)
            latency = (latency or 0) + words
        elif resource and rf > 1 and not (ctx.tool or "").startswith("Vitis"):
            # ``nnet_dense_resource.h`` pipelines its ReuseLoop (II = 1, ``rewind``) of RF iterations. Vivado HLS
            # honours ``rewind``: the function restarts every RF cycles, II = RF, while the previous call drains
            # (every Resource dense layer at RF > 1 of Vivado HLS 2019.2-2020.1 in the calibration set:
            # GuillaumeDerville, Gabriele-bot PYNQ_IA and ALVEO-PYNQ_ML, nicologhielmetti: 32 of 32)
            ii = rf
        elif resource:
            # Vitis HLS does not rewind that loop, and at RF = 1 there is no loop to rewind: the function takes
            # its next input once it has finished, II = latency (MuhammadAshraful, Vitis 2024.1: dense_resource
            # module latency 106-107, interval 106-107, its inner loop instance at II = RF 104; GuillaumeDerville,
            # Vivado HLS 2020.1, RF = 1: interval = latency in 5 of 5 layers)
            ii = latency
            sequential = True
        return LayerEstimate(
            call.name, f"dense/{strategy}", latency, ii, est.lut, ff, est.dsp, bram, sequential=sequential
        )


def reuse_loop_cycles(n_in: int, n_out: int, rf: int, wd: int, ww: int, ctx: Context) -> int:
    """Latency of ``nnet_dense_resource.h``'s ReuseLoop at RF > 1: RF - 1 issues plus one iteration's depth.

    An iteration reads a weight word from the ROM and an input through its multiplexer
    (constants.RESOURCE_ITER_BASE_CYCLES), multiplies, and adds its products into their accumulators: with
    RF <= n_in (``dense_resource_rf_leq_nin``) each accumulator takes ``multscale`` = block / n_out products per
    iteration, a tree of ceil(log2(multscale + 1)) adders (the accumulator is one of its terms); with RF > n_in one
    product per accumulator. The product and the adders chain into cycles as in the unrolled kernel.
    """
    block = math.ceil(n_in * n_out / rf)
    multscale = max(1, block // max(n_out, 1)) if rf <= n_in else 1
    levels = math.ceil(math.log2(multscale + 1))
    on_dsp = ctx.mul_impl == "dsp" or (ctx.mul_impl == "auto" and max(wd, ww) >= K.RESOURCE_DSP_MIN_WIDTH)
    t_mul = K.T_MUL_DSP_NS if on_dsp else K.T_MUL_LUT_NS
    # as in the unrolled kernel, the input word read in an iteration drives the n_out products it appears in
    t_mul += K.T_FANOUT_NS * math.log2(max(n_out, 1))
    ops = [t_mul * ctx.delay_factor] + [K.T_ADD_NS * ctx.delay_factor] * levels
    return rf - 1 + K.RESOURCE_ITER_BASE_CYCLES + chain_cycles(ops, ctx.clock.effective_ns)


class ConvEstimator:
    """``nnet::conv_1d_cl`` / ``conv_2d_cl`` (and pointwise/depthwise) in io_parallel and io_stream."""

    core = DotProductModel()

    #: hls4ml 0.0.x (``nnet::conv_1d``, base ``conv_config``) named the 1D geometry after the y axis
    OLD_NAMES = {"in_width": "y_in", "filt_width": "y_filt", "out_width": "y_out"}

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one convolution layer."""
        if any(old in call.config and new not in call.config for new, old in self.OLD_NAMES.items()):
            cfg = dict(call.config)
            for new, old in self.OLD_NAMES.items():
                cfg.setdefault(new, cfg.get(old))
            call = replace(call, config=cfg)
        c = call.num
        n_chan, n_filt = c("n_chan"), c("n_filt")
        fh, fw = c("filt_height", 1), c("filt_width")
        if n_chan is None or n_filt is None or fw is None:
            return declined(call.name, "conv", "convolution geometry missing from the config")
        oh, ow = c("out_height", 1), c("out_width")
        if ow is None:
            return declined(call.name, "conv", "output size missing from the config")
        ih, iw = c("in_height", 1), c("in_width", ow)
        depthwise = "depthwise" in call.function
        k_in = int(fh * fw * (1 if depthwise else n_chan))
        n_out = int(n_chan if depthwise else n_filt)
        rf = int(c("reuse_factor", 1) or 1)
        n_zeros = int(c("n_zeros", 0) or 0)
        nnz = max(k_in * n_out - n_zeros, 1)
        wd, ww = _w(call.input), _w(call.prec("weight_t"))
        acc = _w(call.prec("accum_t"), wd + ww + 8)
        strategy = str(call.config.get("strategy", "latency")).lower()
        kern = self.core.predict(
            k_in, n_out, nnz, wd, ww, acc, rf, ctx, zeros_skipped=not strategy.startswith("resource"),
            n_shift=int(c("n_shift", 0) or 0),
        )  # fmt: skip
        pixels = int(oh * ow)
        if call.io_type == "io_stream":
            # one input pixel per cycle through the line buffer; a kernel evaluation every kernel II cycles
            # (RF, or less where the Latency-strategy kernel finishes sooner: DotProductModel)
            per_pixel = max(1, kern.ii_cycles or rf)
            if strategy.startswith("resource"):
                # the Resource kernel is called once per pixel and not overlapped with the next call: its RF
                # issues plus its fill/drain and the call around it (constants.STREAM_RESOURCE_PIXEL_CYCLES)
                per_pixel = rf + K.STREAM_RESOURCE_PIXEL_CYCLES
            ii = int(ih * iw * per_pixel)
            latency = ii + (kern.latency_cycles or 0) + K.STREAM_EXTRA_CYCLES
            lut = (kern.lut or 0) + int(fh * fw * n_chan * wd * K.WINDOW_LUT_PER_BIT)
            ff = (kern.ff or 0) + int(fh * fw * n_chan * wd)
            row_bits = iw * n_chan * wd
            bram = math.ceil((fh - 1) * row_bits / 18432) if fh > 1 and row_bits > K.LINEBUFFER_BRAM_MIN_BITS else 0
            return LayerEstimate(call.name, "conv/stream", latency, ii, lut, ff, kern.dsp, bram)
        partitions = int(c("n_partitions", 1) or 1)
        if "_large" in call.function:
            # hls4ml <= 0.4 ``conv_2d_large_cl``: im2col, then one dense_large kernel called for each output
            # pixel in turn (filipemlins/nas-hls4ml: one kernel's DSPs, not one per pixel)
            partitions = pixels
        copies = max(1, pixels // max(partitions, 1))
        # the output pixels are computed in n_partitions sequential groups, each at the kernel's interval
        ii = partitions * (kern.ii_cycles or rf)
        latency = (kern.latency_cycles or 0) + ii
        # ``nnet_conv*_latency.h`` pipelines its PartitionLoop (II = RF, rewind), not the function: with more
        # than one partition the function takes its next input once it has finished, II = latency
        # (MuhammadAshraful, Vitis 2024.1, 676 partitions: PartitionLoop 676 x II 2, module latency 1353,
        # interval 1353; hls4ml then writes a DATAFLOW top, whose II is 1354, network.dataflow_interval)
        sequential = partitions > 1
        if sequential:
            ii = latency
        dsp = (kern.dsp or 0) * copies
        if call.function.endswith("_cl") and not strategy.startswith("resource") and "_large" not in call.function:
            # ``#pragma HLS ALLOCATION operation instances=mul limit=mult_config::multiplier_limit``: the
            # kernel's limit (its products / RF) holds for all the pixels of a partition together, so the
            # multiplications on DSPs cannot outnumber it (the latency/II effect is not modelled: no report)
            limit = math.ceil(k_in * n_out / max(rf, 1)) - n_zeros // max(rf, 1)
            dsp = min(dsp, max(limit, 1) * self.core.multipliers.slices(wd, ww, ctx.dsp_family))
        return LayerEstimate(
            call.name,
            "conv/parallel",
            latency,
            ii,
            (kern.lut or 0) * copies,
            (kern.ff or 0) * copies,
            dsp,
            0,
            sequential=sequential,
        )


class ActivationEstimator:
    """ReLU-like (compare/select), table-based (sigmoid, tanh, softmax ...) activations."""

    SIMPLE = (
        "relu",
        "leaky_relu",
        "thresholded_relu",
        "relu6",
        "relu1",
        "hard_sigmoid",
        "hard_tanh",
        "linear",
        "binary_tanh",
        "ternary_tanh",
        "clipped_relu",
        "prelu",
        "elu_simple",
    )
    TABLE = ("sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "gelu", "swish")

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one activation layer."""
        n = int(call.num("n_in", 0) or 0)
        if n <= 0:
            return declined(call.name, call.function, "n_in missing from the activation config")
        f = call.function.lower()
        wo = _w(call.output, _w(call.input))
        stream = call.io_type == "io_stream"
        if f == "linear":
            return LayerEstimate(call.name, "linear", 0, 1, 0, 0, 0, 0)
        if f in self.SIMPLE or f.startswith("relu"):
            t_relu = K.T_RELU_NS + (K.T_RND_CONV_NS if _rounds_convergent(call.input, call.output) else 0.0)
            lat = 0 if ctx.clock.effective_ns >= t_relu * ctx.delay_factor and not stream else 1
            per_bit = K.LUT_PER_RELU_BIT
            if _quantizing_cast(call.input, call.output):
                vitis = (ctx.tool or "").startswith("Vitis")
                per_bit += K.RELU_CAST_LUT_PER_BIT_VITIS if vitis else K.RELU_CAST_LUT_PER_BIT
            lut = n * _w(call.input) * per_bit
            ff = n * wo if lat else 0
            if stream:  # one stream word (pack elements) per cycle, plus the FIFO handshake logic
                lut = call.pack * _w(call.input) * K.STREAM_LUT_PER_BIT
                ff = call.pack * _w(call.input) * K.STREAM_FF_PER_BIT
            return self._stream(call, n, LayerEstimate(call.name, f, lat, 1, _i(lut), _i(ff), 0, 0), stream)
        if f.startswith("softmax"):
            table = int(call.num("exp_table_size", call.num("table_size", 1024)) or 1024)
            tw = _w(call.prec("exp_table_t"), 18)
            per = math.ceil(table * tw / 18432)
            bram = n * per  # one exp-table copy per element (the inverse table shares the last)
            lat = self.softmax_cycles(n, str(call.config.get("implementation", "stable")), ctx)
            lut = n * K.LUT_PER_SOFTMAX_ELEMENT
            ff = n * K.FF_PER_SOFTMAX_ELEMENT
            dsp = 0 if ctx.mul_impl == "fabric" else n  # exp x 1/sum products
            return self._stream(
                call, n, LayerEstimate(call.name, "softmax", lat, 1, _i(lut), _i(ff), dsp, bram), stream
            )
        if f in self.TABLE:
            table = int(call.num("table_size", 1024) or 1024)
            tw = _w(call.prec("table_t"), 18)
            bram = math.ceil(n / 2) * math.ceil(table * tw / 18432)
            # index arithmetic (shift, offset, clip) into the table address, then the ROM read, whose
            # registered output is one more cycle (constants.TABLE_ROM_READ_CYCLES)
            lat = max(1, ctx.clock.cycles(K.T_TABLE_LOOKUP_NS * ctx.delay_factor)) + K.TABLE_ROM_READ_CYCLES
            lut = n * K.LUT_PER_TABLE_LOOKUP
            ff = n * wo
            return self._stream(call, n, LayerEstimate(call.name, f, lat, 1, _i(lut), _i(ff), 0, bram), stream)
        return declined(call.name, f, f"activation '{call.function}' is not modelled")

    @staticmethod
    def softmax_cycles(n: int, implementation: str, ctx: Context) -> int:
        """Cycles of ``nnet::softmax`` as its operations chain (``nnet_activation.h``, see constants).

        Stable: a max tree of ceil(log2 n) compare-select levels, x - max, the exp table read, a sum tree of
        ceil(log2 n) adder levels, the 1/sum table read, the exp x 1/sum product. The latency variant skips the
        max tree and the subtraction.
        """
        levels = math.ceil(math.log2(n)) if n > 1 else 0
        t_mul = K.T_SOFTMAX_MUL_FABRIC_NS if ctx.mul_impl == "fabric" else K.T_SOFTMAX_MUL_NS
        ops: list[float] = []
        if "latency" not in implementation:
            ops += [K.T_MAX_LEVEL_NS] * levels + [K.T_ADD_NS]
        ops += [K.T_TABLE_READ_NS] + [K.T_ADD_NS] * levels + [K.T_TABLE_READ_NS, t_mul]
        cycles = chain_cycles([d * ctx.delay_factor for d in ops], ctx.clock.effective_ns)
        registers = round(K.SOFTMAX_TABLE_REGISTERS * min(1.0, ctx.delay_factor))
        return max(1, cycles + registers)

    @staticmethod
    def _stream(call: LayerCall, n: int, est: LayerEstimate, stream: bool) -> LayerEstimate:
        if not stream:
            return est
        # io_stream: one packed array (a pixel's channels) per cycle
        ii = max(1, math.ceil(n / max(call.pack, 1)))
        return LayerEstimate(
            est.name, est.kind + "/stream", (est.latency_cycles or 0) + ii, ii, est.lut, est.ff, est.dsp, est.bram_18k
        )


class BatchNormEstimator:
    """``nnet::normalize``: one product and one sum per element."""

    multipliers = MultiplierMap()

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one batch-normalisation layer."""
        n = int(call.num("n_in", 0) or 0)
        if n <= 0:
            return declined(call.name, "batchnorm", "n_in missing from the config")
        rf = int(call.num("reuse_factor", 1) or 1)
        wd, ws = _w(call.input), _w(call.prec("scale_t"))
        wo = _w(call.output, wd + ws)
        cost = self.multipliers.predict(wd, ws, ctx.dsp_family, ctx.mul_impl)
        per_cycle = math.ceil(n / rf)
        # a one-term dot product (scale x + bias) whose last stage chains into the next layer's first cycle,
        # as a ReLU's does: ArgyKokk's io_parallel batchnorm layers take 0 cycles at 4.38 ns, at RF 1, 2 and
        # 100 alike, and (as the latency dense kernel) report II = latency + 1 when that is below the RF
        one_term = math.floor(K.T_MUL_LUT_NS * ctx.delay_factor / ctx.clock.effective_ns + K.STAGE_ROUNDING)
        lat = max(0, one_term - 1)
        ii = min(rf, lat + 1)
        lut = per_cycle * (cost.lut + K.LUT_PER_SUM_BIT * wo)
        ff = n * wo if lat else 0
        est = LayerEstimate(call.name, "batchnorm", lat, ii, _i(lut), _i(ff), _i(per_cycle * cost.dsp), 0)
        if call.io_type == "io_stream":
            return ActivationEstimator._stream(call, n, est, True)
        return est


class PoolingEstimator:
    """``nnet::pooling1d_cl`` / ``pooling2d_cl`` / global pooling: comparators or adders per window."""

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one pooling layer."""
        c = call.num
        n_filt = c("n_filt")
        if n_filt is None:
            return declined(call.name, "pooling", "n_filt missing from the pooling config")
        one_d = "1d" in call.function or c("in_height") is None and c("pool_height") is None
        if call.function.startswith("global_pooling"):
            # the whole input is one window; one output per channel
            ih, iw = (1, c("n_in")) if one_d else (c("in_height"), c("in_width"))
            if iw is None or ih is None:
                return declined(call.name, "pooling", "global pooling input size missing from the config")
            ph, pw, oh, ow = ih, iw, 1, 1
        elif one_d:
            iw, ow, pw = c("n_in"), c("n_out"), c("pool_width")
            ih = oh = ph = 1
            if iw is None or ow is None or pw is None:
                return declined(call.name, "pooling", "pooling geometry missing from the config")
        else:
            ph, pw = c("pool_height"), c("pool_width")
            ih, iw, oh, ow = c("in_height"), c("in_width"), c("out_height"), c("out_width")
            if None in (ph, pw, oh, ow):
                return declined(call.name, "pooling", "pooling geometry missing from the config")
            ih = ih if ih is not None else oh * ph
            iw = iw if iw is not None else ow * pw
        w = _w(call.input)
        window = int(ph * pw)
        if call.io_type == "io_stream":
            ii = int(ih * iw) * K.POOL_STREAM_CYCLES_PER_PIXEL
            lut = n_filt * window * w * K.WINDOW_LUT_PER_BIT
            return LayerEstimate(
                call.name, "pooling/stream", ii + K.STREAM_EXTRA_CYCLES, ii, _i(lut), _i(n_filt * window * w), 0, 0
            )
        n_out = int(oh * ow * n_filt)
        lut = n_out * (window - 1) * w * K.LUT_PER_COMPARE_BIT
        lat = ctx.clock.cycles(tree_levels(window) * K.T_COMPARE_NS * ctx.delay_factor)
        return LayerEstimate(call.name, "pooling", lat, 1, _i(lut), _i(n_out * w if lat else 0), 0, 0)


class MergeEstimator:
    """``nnet::add/subtract/multiply/average/maximum/minimum`` (element-wise) and ``concatenate`` (wiring)."""

    multipliers = MultiplierMap()

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Estimate one merge layer."""
        f = call.function.lower()
        n = int(call.num("n_elem", 0) or call.num("n_elem1_0", 0) or 0)
        if f.startswith("concatenate"):
            lat = 0 if call.io_type != "io_stream" else max(n, 1)
            return LayerEstimate(call.name, "concatenate", lat, max(1, lat), 0, 0, 0, 0)
        if n <= 0:
            return declined(call.name, f, "n_elem missing from the merge config")
        w = _w(call.output, _w(call.input))
        if f == "multiply":
            cost = self.multipliers.predict(_w(call.input), _w(call.input), ctx.dsp_family, ctx.mul_impl)
            dsp, lut = n * cost.dsp, n * (cost.lut + w)
        else:
            dsp, lut = 0.0, n * w * K.LUT_PER_COMPARE_BIT
        lat = ctx.clock.cycles(K.T_ADD_NS) if f != "multiply" else ctx.clock.cycles(K.T_MUL_DSP_NS)
        est = LayerEstimate(call.name, f, lat, 1, _i(lut), n * w if lat else 0, _i(dsp), 0)
        if call.io_type == "io_stream":
            return ActivationEstimator._stream(call, n, est, True)
        return est


class CastEstimator:
    """HGQ / fixed-point quantizer calls (``nnet::h_quantize<in_t, out_t>``): an element-wise type cast.

    hls4ml generates them without a config struct; the cast is wiring plus rounding/saturation logic that HLS
    folds into the neighbouring layer, so it adds no cycle and is counted as no resource.
    """

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """A cast costs no cycle and (to first order) no resource."""
        return LayerEstimate(call.name, "cast", 0, 1, 0, 0, 0, 0)


class PassThroughEstimator:
    """Layout-only calls (zero padding, flatten, reshape, repack in io_stream)."""

    def predict(self, call: LayerCall, ctx: Context) -> LayerEstimate:
        """Padding/repacking streams move one element per cycle; in io_parallel they are wiring."""
        if call.io_type != "io_stream":
            return LayerEstimate(call.name, call.function, 0, 1, 0, 0, 0, 0)
        c = call.num
        n = int((c("out_height", 1) or 1) * (c("out_width", 0) or c("n_out", 0) or c("size", 0) or 1))
        return LayerEstimate(call.name, call.function, n + 1, n, K.STREAM_COPY_LUT, K.STREAM_COPY_FF, 0, 0)


_DENSE = DenseEstimator()
_CONV = ConvEstimator()
_ACT = ActivationEstimator()
_BN = BatchNormEstimator()
_POOL = PoolingEstimator()
_MERGE = MergeEstimator()
_PASS = PassThroughEstimator()
_CAST = CastEstimator()


def estimator_for(call: LayerCall):
    """The estimator class for a layer call, or None when the layer is not modelled."""
    f = call.function.lower()
    base = str(call.config.get("base", ""))
    if is_recurrent(call.function, call.config):
        from codesign.estimate.recurrent import RecurrentEstimator  # recurrent builds on the classes here

        return RecurrentEstimator()
    if f.startswith("dense") or f == "compute_layer":  # compute_layer: the dense kernel of hls4ml <= 0.1
        return _DENSE
    if f.startswith(("conv_1d", "conv_2d", "conv1d", "conv2d", "pointwise_conv", "depthwise_conv")):
        return _CONV
    if f.startswith(("pooling", "global_pooling")):
        return _POOL
    if f in ("normalize", "normalize_bias") or base == "batchnorm_config" and f.startswith("normalize"):
        return _BN
    if f.startswith(("add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate")):
        return _MERGE
    if f.startswith(
        ("zeropad", "flatten", "reshape", "repack", "transpose", "resize_nearest", "clone_stream", "clone")
    ):
        return _PASS
    if not call.config and ("quantize" in f or "quantizer" in f):
        return _CAST
    if (
        base == "activ_config"
        or f in ActivationEstimator.SIMPLE
        or f in ActivationEstimator.TABLE
        or f.startswith("softmax")
    ):
        return _ACT
    return None


def predict_layer(call: LayerCall, ctx: Context) -> LayerEstimate:
    """Estimate one layer call, or decline it with a reason when it is not modelled."""
    est = estimator_for(call)
    config = call.config.get("config") if call.config else None
    if call.function.lower().endswith("_me"):
        # a user's modified copy of a stock kernel (relu_me, zeropad2d_cl_me, ...): its code is not hls4ml's
        out = declined(call.name, call.function, f"'nnet::{call.function}' is a user-modified kernel, not hls4ml's")
    elif est is None:
        kind = call.function
        what = "no config struct" if not call.config else f"config base '{call.config.get('base')}'"
        out = declined(call.name, kind, f"layer function 'nnet::{call.function}' ({what}) is not modelled")
    else:
        out = est.predict(call, ctx)
    return replace(out, config=config) if config else out
