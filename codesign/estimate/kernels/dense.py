"""Dense kernels: the dot-product bank shared with convolutions (:class:`DotProductModel`) and ``nnet::dense``.

- ``nnet_dense_latency.h``: every non-zero product of the weight matrix is a multiplier (zeros are skipped at
  compile time), with ``ALLOCATION mul limit = multiplier_limit`` when ``reuse_factor > 1``; the sums are
  unrolled adder trees whose levels the scheduler packs into cycles (``hardware.chain_cycles``); the function
  asks for PIPELINE II = reuse factor, and reports II = min(RF, latency + 1) when its schedule is shorter.
- ``nnet_dense_resource.h``: ``block_factor = ceil(n_in*n_out/RF)`` multipliers (zeros included) reused RF times,
  weights in a ROM of depth RF; II = RF.
"""

from __future__ import annotations

import math

from codesign.estimate import constants as K
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import (
    MultiplierMap,
    chain_cycles,
    mul_core_registers_in_fabric,
    mul_inputs_registered,
    sum_width,
    tool_year,
)
from codesign.estimate.kernels.common import (
    Context,
    adder_lut_offset,
    live_operand_widths,
    rint,
    stream_words,
    variable_product_on_dsp,
    width_of,
)
from codesign.estimate.kernels.multiplexers import operand_mux_luts, rewind_mux_luts
from codesign.estimate.result import LayerEstimate, declined


def forced_share(nnz: int) -> float:
    """Products of a bank of ``nnz`` that stay multiplications under ``config_op mul -impl dsp|fabric``: a share
    that saturates with the layer size (constants.DSP_FORCED_FRACTION / DSP_FORCED_SATURATION)."""
    return nnz * K.DSP_FORCED_FRACTION / (1.0 + nnz / K.DSP_FORCED_SATURATION)


def product_delay_ns(on_dsp: bool, n_out: int, ctx: Context) -> float:
    """Delay on the device of one product (DSP or LUT multiplier) whose input word drives the ``n_out`` products it
    appears in: its net delay grows with that fan-out (constants.T_FANOUT_NS); a DSP product scales with the
    device's DSP factor (hardware.dsp_delay_factor), the rest with its logic factor."""
    fanout = K.T_FANOUT_NS * math.log2(max(n_out, 1)) * ctx.delay_factor
    if on_dsp:
        return K.T_MUL_DSP_NS * ctx.dsp_factor + fanout
    return K.T_MUL_LUT_NS * ctx.delay_factor + fanout


def post_adder_levels(dsp_path: bool, levels: int, ctx: Context) -> int:
    """Adder levels a DSP product absorbs (its post-adder) where ``-enable_dsp_full_reg=false`` lets HLS chain them
    (constants.DSP_POSTADDER_CHAIN_*): one, else none."""
    chains = K.DSP_POSTADDER_CHAIN_VITIS if ctx.vitis else K.DSP_POSTADDER_CHAIN_VIVADO
    return 1 if chains and dsp_path and levels > 0 and not ctx.dsp_full_reg else 0


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
            return forced_share(nnz)
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
        shared_index: bool = False,
    ) -> LayerEstimate:
        """Latency, II and resources of the bank; ``nnz`` non-zero products (``n_shift`` of them by +-2^k weights,
        known in project mode: shifts, never on a DSP nor under the ALLOCATION limit), reuse factor ``rf``;
        ``shared_index``: the reused multipliers read ``data[in_index]`` as ``nnet_dense_resource.h`` indexes it
        (multiplexers.operand_mux_luts), else each has its own RF:1 operand multiplexer."""
        rf = max(1, rf)
        terms = max(1, round(nnz / max(n_out, 1)))
        sw = sum_width(wd, ww, terms, acc_w)
        mults_per_cycle = math.ceil(nnz / rf) if zeros_skipped else math.ceil(n_in * n_out / rf)
        cost = self.multipliers.predict(wd, ww, ctx.dsp_family, ctx.mul_impl)
        if zeros_skipped:
            # constant products: only the fraction HLS maps to DSPs counts against the ALLOCATION limit
            slices = cost.dsp / cost.dsp_fraction if cost.dsp_fraction > 0 else 0.0
            # the true multiplications (products HLS does not turn into shift-adds); with a forced mapping
            # (-impl dsp or fabric) their share saturates with the layer size (constants)
            mults = max(0, nnz - n_shift)  # +-2^k weights are shifts (codesign.estimate.weights)
            true_mults = mults * cost.dsp_fraction
            if ctx.mul_impl in ("dsp", "fabric"):
                true_mults = min(mults, forced_share(nnz))
            dsp = min(true_mults, mults_per_cycle) * slices if ctx.mul_impl != "fabric" else 0.0
            # -impl fabric: the products -impl dsp puts on DSPs become LUT multipliers (constants)
            lut_mults = min(true_mults, mults_per_cycle) if ctx.mul_impl == "fabric" else 0.0
        else:
            # Resource strategy: weights come from a ROM, so the products are true multipliers
            # (weights in a ROM): narrow ones still go to LUTs (constants.RESOURCE_DSP_MIN_WIDTH)
            true_mults = float(n_in * n_out)
            on_dsp = variable_product_on_dsp(max(wd, ww), ctx)
            dsp = mults_per_cycle * self.multipliers.slices(wd, ww, ctx.dsp_family) * on_dsp
        # The product, then one adder per tree level, chained into cycles (hardware.chain_cycles). The levels
        # are log2 of the mean fan-in, rounded: HLS balances uneven trees and drops the pruned terms.
        levels = round(math.log2(terms)) if terms > 1 else 0
        dsp_path = ctx.mul_impl == "dsp" or (ctx.mul_impl == "auto" and cost.dsp_fraction >= 0.25)
        t_mul = product_delay_ns(dsp_path, n_out, ctx)
        slices_per_product = self.multipliers.slices(wd, ww, ctx.dsp_family)
        if dsp_path and slices_per_product > 1:
            # a product wider than the DSP ports is a cascade of partial products summed by adders
            t_mul += K.T_ADD_NS * math.ceil(math.log2(slices_per_product)) * ctx.delay_factor
        ops = [t_mul] + [K.T_ADD_NS * ctx.delay_factor] * levels
        registered = mul_inputs_registered(ctx.tool, constant_operand=zeros_skipped)
        chained = ops[: len(ops) - post_adder_levels(dsp_path, levels, ctx)]
        depth = chain_cycles(chained, ctx.clock.effective_ns, registered_inputs=registered)
        # a bank whose whole chain fits one cycle: combinational where DENSE_COMBINATIONAL_MAX_LEVELS says so (constants),
        # its delays left for the top to chain with its neighbours'; else at least one cycle
        max_levels = K.DENSE_COMBINATIONAL_MAX_LEVELS
        allowed = ctx.combinational_dense or (max_levels is not None and levels <= max_levels)
        combinational = allowed and depth == 0 and zeros_skipped and rf == 1 and nnz > 0
        depth = depth if combinational else max(1, depth)
        if zeros_skipped and ctx.vitis and n_in * n_out > K.VITIS_BALANCE_MAX_WEIGHTS:
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
            # (Vivado HLS overlaps one cycle less of the tree: constants.ALLOC_TAIL_OFFSET_VIVADO)
            offset = K.ALLOC_TAIL_OFFSET if ctx.vitis else K.ALLOC_TAIL_OFFSET_VIVADO
            latency = max(depth, issue - 1 + max(0, depth - offset))
            ii = min(rf, latency + 1)
        # Latency strategy: the adder trees stay fully unrolled whatever the reuse factor (only the
        # multipliers are shared, through ALLOCATION); Resource strategy: one accumulator per multiplier.
        sums = nnz if zeros_skipped else mults_per_cycle
        if zeros_skipped:
            lut = sums * K.LUT_PER_SUM_BIT * (sw + adder_lut_offset(ctx)) + lut_mults * wd * ww * K.LUT_PER_MULT_BIT2
        else:
            lut = sums * K.LUT_PER_SUM_BIT * (sw + adder_lut_offset(ctx, "accumulator")) * cost.lut
        if rf > 1 and not zeros_skipped:  # operand multiplexers in front of the reused multipliers
            lut += operand_mux_luts(n_in, n_out, rf, wd, shared_index)
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
        if dsp and mul_cycles > 1 and mul_core_registers_in_fabric(ctx.tool, ctx.tool_version):
            # HLS binds a product longer than a cycle to a pipelined multiplier core whose stage registers it
            # counts as fabric FFs (constants.FF_PIPELINED_MUL_PER_BIT): Vivado HLS and Vitis HLS >= 2022;
            # Vitis HLS 2021.1 absorbs them into the DSP slice (its mul instances report 0 FF)
            ff += (dsp / slices_per_product) * (mul_cycles - 1) * (wd + ww) * K.FF_PIPELINED_MUL_PER_BIT
        chain_ns = tuple(chained) if combinational and latency == 0 else ()
        return LayerEstimate("", "", latency, ii, rint(lut), rint(ff), rint(dsp), 0, chain_ns=chain_ns)


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
        wd, ww = live_operand_widths(call)
        acc = width_of(call.prec("accum_t"), width_of(call.input) + width_of(call.prec("weight_t")) + 8)
        resource = strategy.startswith("resource")
        shifts = int(call.num("n_shift", 0) or 0)
        # at RF = 1 the ReuseLoop is a single iteration: every weight index is a constant, so HLS folds the
        # weights into the products as in the Latency strategy (zeros vanish, narrow products leave the DSPs)
        constant_weights = not resource or rf <= 1
        est = self.core.predict(
            n_in, n_out, max(nnz, 0), wd, ww, acc, rf, ctx, zeros_skipped=constant_weights, n_shift=shifts,
            shared_index=True,
        )
        bram = 0
        latency = est.latency_cycles
        ff = est.ff
        if resource:
            block = math.ceil(n_in * n_out / rf)
            if rf > 1:
                out_w = width_of(call.output, acc)
                bits = resource_register_bits(n_in, n_out, rf, wd, ww, acc, ctx, io_type=call.io_type, out_w=out_w,
                                              quantizing_cast=accum_cast_bits(call) > 0)  # fmt: skip
                ff = rint(bits * K.FF_RESOURCE_PER_BIT)
            # weights in a ROM of depth RF and width block*ww, which the kernel binds to BRAM at RF > 1
            # (``#pragma HLS RESOURCE variable=weights core=ROM_nP_BRAM``): 512 x 36 words per BRAM18
            if rf > 1:
                bram = math.ceil(block * ww / 36) * math.ceil(rf / 512)
            # RF > 1: the ReuseLoop's pipeline fills and drains around its RF issues; RF = 1: no loop is left
            if rf > 1:
                latency = reuse_loop_cycles(n_in, n_out, rf, wd, ww, ctx)
        ii = est.ii_cycles
        sequential = False
        # hls4ml >= 1.0 with one word in and one out: the pipelined kernel alone (pipelined_stream_dense)
        if call.io_type == "io_stream" and not pipelined_stream_dense(call, n_in, n_out):
            # the input array arrives as ceil(n_in / pack) stream words before the products can finish; several
            # words are a loop (STREAM_LOOP_CYCLES, as kernels.common.stream_elementwise). The wrapper function is
            # not pipelined: every io_stream dense report (41, 12 repositories, Latency and Resource) has
            # interval = latency; one word is read and written in states of their own around the kernel
            words = stream_words(call, n_in)
            latency = (latency or 0) + words + (K.STREAM_LOOP_CYCLES if words > 1 else K.STREAM_DENSE_WORD_STATES)
            ii, sequential = latency, True
        elif resource and rf > 1 and not ctx.vitis:
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
        # every product (Latency: the non-zero ones; Resource at RF > 1: the block factor's multipliers) is cast to
        # accum_t and added into a saturating accumulator where accum_t quantizes
        lut = (est.lut or 0) + accum_cast_luts(call, nnz if constant_weights else math.ceil(n_in * n_out / rf), ctx)
        if resource:
            lut += rewind_mux_luts(call, n_in, n_out, rf, ctx)
        chain_ns = est.chain_ns if latency == 0 and call.io_type == "io_parallel" else ()
        return LayerEstimate(call.name, f"dense/{strategy}", latency, ii, lut, ff, est.dsp, bram,
                             sequential=sequential, chain_ns=chain_ns)  # fmt: skip


def pipelined_stream_dense(call: LayerCall, n_in: int, n_out: int) -> bool:
    """Whether an io_stream dense layer is one pipelined kernel rather than a sequential read-compute-write function.

    hls4ml >= 1.0 (the config struct names its ``kernel``, settings._KERNEL_RE) with the Latency strategy, one
    input and one output word (no DataPrepare / ResWrite loop left). Its ``nnet_dense_stream.h`` differs by tool:
    Vivado's ``dense_wrapper`` is ``INLINE recursive`` and holds ``PIPELINE II=RF`` in an otherwise empty block, so
    once inlined the directive pipelines ``nnet::dense`` itself; Vitis's ``nnet::dense`` is ``INLINE recursive``,
    so the top schedules the word's read and write with the pipelined ``dense_latency_wrapper``. Either way the
    step is the kernel's pipeline, latency = the kernel's, II = RF: hls4ml's own io_stream Dense(64) / Dense(2)
    baselines (one input, hls4ml 1.x) report II 1 on Vivado HLS 2020.1 (6 designs), where a sequential dense
    would give >= 2, and on Vitis HLS 2023.1 / 2024.1 II = the activation's latency + 1 (10 designs:
    kernels.common.stream_elementwise). The hls4ml 0.x kernel (PIPELINE around the call, a function of its own)
    is sequential: every io_stream dense report of the calibration records, 0.x all, has interval = latency.
    Several words (a read or write loop) keep the sequential form: no hls4ml 1.x report of one.
    """
    if not call.config.get("kernel") or str(call.config.get("strategy", "latency")).lower() not in (
        "latency",
        "distributed_arithmetic",
    ):
        return False
    return stream_words(call, n_in) == 1 and math.ceil(n_out / max(call.out_pack, 1)) == 1


def reuse_loop_cycles(n_in: int, n_out: int, rf: int, wd: int, ww: int, ctx: Context) -> int:
    """Latency of ``nnet_dense_resource.h``'s ReuseLoop at RF > 1: RF - 1 issues plus one iteration's depth.

    An iteration reads a weight word from the ROM and an input through its multiplexer
    (constants.RESOURCE_ITER_BASE_CYCLES), multiplies, and adds its products into their accumulators: with
    RF <= n_in (``dense_resource_rf_leq_nin``) each accumulator takes ``multscale`` = block / n_out products per
    iteration, a tree of ceil(log2(multscale + 1)) adders (the accumulator is one of its terms); with RF > n_in one
    product per accumulator. The product and the adders chain into cycles as in the unrolled kernel. With RF > n_in
    and RF a multiple of n_in (``dense_resource_rf_gt_nin_rem0``) each iteration first reads its accumulator index
    from the ``outidx`` table the kernel fills before the loop: constants.REM0_INDEX_READ_CYCLES more (HLS 2020 and
    later; 2019.x folds the read into the iteration).
    """
    block = math.ceil(n_in * n_out / rf)
    multscale = max(1, block // max(n_out, 1)) if rf <= n_in else 1
    levels = math.ceil(math.log2(multscale + 1))
    on_dsp = variable_product_on_dsp(max(wd, ww), ctx)
    # as in the unrolled kernel, the input word read in an iteration drives the n_out products it appears in
    # (a LUT product may chain the add of its block's products where -enable_dsp_full_reg=false: constants)
    fused = K.RESOURCE_PRODUCT_ADD_CHAIN and not on_dsp and not ctx.dsp_full_reg and multscale >= 2
    ops = [product_delay_ns(on_dsp, n_out, ctx)] + [K.T_ADD_NS * ctx.delay_factor] * (levels - fused)
    rem0 = rf > n_in and rf % n_in == 0
    index_read = K.REM0_INDEX_READ_CYCLES if rem0 and (tool_year(ctx.tool_version) or 9999) >= K.REM0_INDEX_READ_FROM_YEAR else 0
    registered = mul_inputs_registered(ctx.tool)
    if K.RESOURCE_PRODUCT_REGISTERED_VIVADO and not ctx.vitis and len(ops) > 1 and ops[0] <= ctx.clock.effective_ns:
        # a product of one cycle leaves a register of its own: a boundary between it and the adds (constants); a
        # multi-cycle one already delivers from its last stage
        chain = 1 + chain_cycles(ops[1:], ctx.clock.effective_ns, registered_inputs=registered)
    else:
        chain = chain_cycles(ops, ctx.clock.effective_ns, registered_inputs=registered)
    return rf - 1 + K.RESOURCE_ITER_BASE_CYCLES + index_read + chain


def registers_rewound_loop(ctx: Context) -> bool:
    """Whether the tool gives a rewound ReuseLoop's input words and return values registers of their own:
    Vivado HLS from RESOURCE_REWIND_REGISTERS_FROM_YEAR (2020.1) on, an unknown version not; not Vitis HLS, which does not rewind the loop."""
    return not ctx.vitis and (tool_year(ctx.tool_version) or 0) >= K.RESOURCE_REWIND_REGISTERS_FROM_YEAR


def resource_input_copies(ctx: Context, io_type: str) -> int:
    """Register copies of each input word of a Resource layer at RF > 1, per tool version (constants).

    Vivado HLS 2020.1 keeps every input word in a rewind and a phi register; an io_stream layer's input array,
    read from the stream into the kernel, is held in as many (any Vivado HLS version); Vivado HLS 2019.2 and
    older read an io_parallel layer's argument array directly, no register of its own; Vitis HLS: one copy.
    """
    if ctx.vitis:
        return 1
    if registers_rewound_loop(ctx) or io_type == "io_stream":
        return K.RESOURCE_INPUT_COPIES_REWIND
    return 0


def resource_register_bits(
    n_in: int, n_out: int, rf: int, wd: int, ww: int, acc: int, ctx: Context, *, io_type: str = "io_parallel",
    out_w: int = 0, quantizing_cast: bool = False,
) -> int:  # fmt: skip
    """Bits ``nnet_dense_resource.h``'s ReuseLoop (RF > 1) keeps in registers across its pipeline stages.

    The input array (:func:`resource_input_copies` copies of it), the n_out accumulators and, per multiplier
    (block factor), its partial sum; a product bound to a DSP (constants.RESOURCE_DSP_MIN_WIDTH) also registers
    its two operands in fabric where it cascades over several slices or ``quantizing_cast`` (the accumulator cast
    rounds or saturates: :func:`accum_cast_bits`), else it feeds the slice's ports straight
    (constants.RESOURCE_DSP_OPERAND_REGISTERS); a narrow product in LUTs chains with its add. Where the tool
    registers the rewound loop (:func:`registers_rewound_loop`), an io_parallel layer also returns each output
    from a register of ``out_w`` bits. Scaled by constants.FF_RESOURCE_PER_BIT.
    """
    block = math.ceil(n_in * n_out / rf)
    sw = sum_width(wd, ww, n_in, acc)
    on_dsp = variable_product_on_dsp(max(wd, ww), ctx)
    # a product wider than one slice's ports is a cascade whose operands wait in fabric registers; one that fits a
    # slice feeds its ports straight (constants.RESOURCE_DSP_OPERAND_REGISTERS)
    cascade = DotProductModel.multipliers.slices(wd, ww, ctx.dsp_family) > 1
    operands = on_dsp and (K.RESOURCE_DSP_OPERAND_REGISTERS or cascade or quantizing_cast)
    per_mult = sw + (wd + ww if operands else 0)
    ret = n_out * out_w if io_type == "io_parallel" and registers_rewound_loop(ctx) else 0
    return resource_input_copies(ctx, io_type) * n_in * wd + n_out * acc + block * per_mult + ret


def accum_cast_bits(call: LayerCall) -> int:
    """Input bits of the quantizing casts each product goes through when ``accum_t`` rounds or saturates.

    hls4ml's kernels store every product in an ``accum_t`` array (``mult[i] = product(...)``), a cast that
    rounds where the product has more fraction bits than accum_t and its rounding mode is not a truncation, and
    saturates where it has more integer bits and accum_t does not wrap; then ``acc[j] += mult[i]`` casts each
    sum back to accum_t, which saturates where accum_t does. A truncating, wrapping accum_t (hls4ml's default)
    costs nothing here.
    """
    inp, weight, acc = call.input, call.prec("weight_t"), call.prec("accum_t")
    if inp is None or weight is None or acc is None:
        return 0
    prod_w, prod_i = inp.width + weight.width, inp.integer + weight.integer
    rounds = acc.rounding.value not in ("AP_TRN", "AP_TRN_ZERO") and prod_w - prod_i > acc.width - acc.integer
    saturates = acc.overflow.value != "AP_WRAP"
    bits = prod_w if rounds or (saturates and prod_i > acc.integer) else 0
    return bits + (acc.width if saturates else 0)


def accum_cast_luts(call: LayerCall, n_products: int, ctx: Context) -> int:
    """LUTs of the accumulator casts (:func:`accum_cast_bits`) of ``n_products`` products, at the cost per input bit
    measured on quantizing ReLU output casts (constants.RELU_CAST_LUT_PER_BIT, Vivado / Vitis HLS)."""
    per_bit = K.RELU_CAST_LUT_PER_BIT_VITIS if ctx.vitis else K.RELU_CAST_LUT_PER_BIT
    return rint(max(0, n_products) * accum_cast_bits(call) * per_bit)

