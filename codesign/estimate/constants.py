"""Constants of the analytical model, each with where it comes from.

Calibration set: ``../shared/calibration/hls_reports.jsonl`` and its per-layer ``*_csynth.rpt`` files: 67
stock records have per-module reports, 556 layer figures from 14 repositories.
"Stock io_parallel" means records without the ``custom_or_modified_hls4ml`` flag whose layers are
``io_parallel``: ArgyKokk/hls4ml_MLP_estimator (35 records, Vitis HLS 2021.1, one sweep),
kimhaneal11/hls4ml_practice (1, Vitis 2022.1), Lrozzy/hls4ml-tutorial (1, Vitis 2024.1),
MinhNguy3n/hls4ml-tutorial (1, Vitis 2024.2), MuhammadAshraful/CNN-in-FPGA-hls4ml (1, Vitis 2024.1),
fastmachinelearning/hls4ml (4, Vivado HLS 2016.4/2018.2). Fits weight each repository equally so one
sweep cannot dominate; the values were then rounded. ``benchmarks/estimator_accuracy.py`` re-checks them
with leave-one-repository-out cross-validation. The set grew to 222 records from 46 repositories in
December 2026 (the benchmark reads whatever is there); the Resource-strategy rules below (II, loop depth) were
read on those new records.
"""

# ---------------------------------------------------------------------------------------------- clock
#: Default clock uncertainty as a fraction of the period (Vitis HLS 27 %, Vivado HLS 12.5 %; UG1399/UG902,
#: and the value hls4ml's build_prj.tcl sets). Not fitted.
VITIS_DEFAULT_UNCERTAINTY = 0.27
VIVADO_DEFAULT_UNCERTAINTY = 0.125

# ---------------------------------------------------------------------------------------------- multipliers
#: Default mapping: share of non-zero constant products on DSPs, DSP_MAX_FRACTION x a logistic in the product's
#: effective width lo^(1 - DSP_WIDTH_HI_WEIGHT) x hi^DSP_WIDTH_HI_WEIGHT (lo/hi: narrower/wider operand; narrow
#: constant products are shift-adds). Per-layer anchors: both operands <= 12 bits -> ~0 (MinhNguy3n 12x9: 2/314,
#: 10x8, 9x8: 0; abdennour-GUESSOUM 8x8: 0 of ~4000; 6x6: 0); 16-bit word x 6-8-bit weight -> 0-12 % (kimhaneal11
#: 38/626 and 0/1925, alex-yang 29/240, RishThakkar 14/1732, GuillaumeDerville 8/105, CestMerNeil 0 of ~3000);
#: 28x12 -> 0.85 (Berk-Bilgin, two slices each); 16x16 -> 0.5-0.95 (CestMerNeil 2022.1, mbavier, freaksie,
#: camillaMiao, published.md). Curve: 16x16 0.785, 28x12 0.67, 14x14 0.4, 16x12 0.08, 12x9 and 16x6 ~0. The old
#: logistic in lo (center 12, scale 1) put 4-21 % of 9- to 11-bit products on DSPs (MinhNguy3n 18 for 2, abdennour
#: 75 for 0). Chosen by leave-one-repository-out on a grid (hi weight 0-0.75, center 11-14, scale 0.5-1.5; mean of
#: the other repositories' median record DSP error and per-layer |log| error): (0.25, 14, 0.5) in 20 of 22 folds.
#: Wrong where a 16-bit word meets 6-8-bit weights (1-12 % on DSPs, now ~0): that depends on the weight values.
DSP_MAX_FRACTION = 0.8
DSP_WIDTH_CENTER = 14.0
DSP_WIDTH_SCALE = 0.5
DSP_WIDTH_HI_WEIGHT = 0.25
#: With ``config_op mul -impl dsp`` HLS still folds trivial constants into logic, and the share of products
#: on DSPs falls with the layer size: DSP products = nnz x DSP_FORCED_FRACTION / (1 + nnz / SATURATION).
#: Empirical (cause not established), grid-fitted on the 21 distinct per-layer DSP counts of ArgyKokk's
#: ``DSP_reuse1/2`` projects (8-bit weights, the only ``-impl dsp`` data): median |log error| 0.17, e.g.
#: 92 products -> 42 DSP, 859 -> 247, 5876 -> 120. Only ArgyKokk uses this setting, so it is untested elsewhere.
DSP_FORCED_FRACTION = 0.6
DSP_FORCED_SATURATION = 400.0

#: Latency strategy with RF > 1: the last product issues in cycle ceil(M / multiplier_limit) - 1; the
#: schedule then still needs max(0, depth - ALLOC_TAIL_OFFSET) cycles of adder tree (depth: the same layer's
#: RF = 1 latency; the product's own cycles overlap the issue). Read off ArgyKokk's RF = 100 dense layers
#: with M taken from the DSP count of the same layer at RF = 1 with ``-impl dsp`` (15 layers, Vitis HLS 2021.1,
#: xc7z007s-2): 9 of them exact, 12 within 1 (e.g. 16x64: last issue in cycle 24, + 6 - 2 -> 28, reported 28);
#: the RF = 2 layers (issue 1-2 cycles) keep their RF = 1 depth, as reported. Integer offset, not a
#: least-squares fit; only ArgyKokk has RF > 1 Latency-strategy per-layer data.
ALLOC_TAIL_OFFSET = 2
#: ... with Vitis HLS; Vivado HLS overlaps one cycle less of the tree (ALLOC_TAIL_OFFSET_VIVADO). GuillaumeDerville
#: (2020.1, 16-bit layers at RF 4 and 8: design -3/-3 -> +1/+1, per layer 72 -> 78 % exact) and fastmachinelearning
#: (2016.4, RF 2 and 4: -2/-3 -> -1/0). Leave-one-repository-out over {0, 1, 2}: without fastmachinelearning 1 is
#: chosen (it goes 75 -> 100 % within 2 cycles); without GuillaumeDerville, 0 and 1 tie. An integer, not a fit.
ALLOC_TAIL_OFFSET_VIVADO = 1

#: Resource strategy: the weights come from a ROM, so every product is a true multiplier; it goes to a DSP
#: when its wider operand has at least this many bits. Per-layer resource-strategy reports: 16x6, 14x6,
#: 16x16, 24x8 -> one DSP per multiplier (RishThakkar, kendermag, uw-acme, Berk-Bilgin); 6x6 -> none
#: (MuhammadAshraful). Exceptions: Spehic 4x4 (half on DSPs), ChiRuiChen 32x32 (none).
RESOURCE_DSP_MIN_WIDTH = 10

# ---------------------------------------------------------------------------------------------- adder trees
#: LUTs per priced adder bit per non-zero product: the adder tree, into which HLS merges the shift-adds of the
#: constant products (nearly independent of how many went to DSPs); a W-bit partial sum is priced W + offset
#: bits (kernels.common.adder_lut_offset). Repository-balanced median over the io_parallel Latency dense layer
#: reports, refitted per fold by estimator_accuracy.py: 1.18-1.20 (1.69 without the offset, 1.5 shipped).
LUT_PER_SUM_BIT = 1.2
#: The adder price in the Expression tables of the dense/conv reports under ../shared/calibration/raw ('+'/'-'
#: rows, W >= 9): W + 7 LUTs (16 -> 23, 24 -> 31) is the commonest price in 21 of the 29 repositories of Vivado
#: HLS 2016.4-2020.1 and Vitis HLS 2022.1-2024.2 and appears in 28 (mbavier: none; uw-acme 13 %, PYNQ_IA 26 %,
#: freaksie 35 %: the rest at W or below, merged adders); Vitis HLS 2021.1 never uses it (ArgyKokk, the only
#: 2021 repository: 80 % of 32984 rows at W, 0 at W + 7; 2020.x unchecked). Held out, README estimator section.
ADDER_LUT_OFFSET_BITS = 7.0
ADDER_AT_WIDTH_LAST_VITIS_YEAR = 2021
#: ``config_op mul -impl fabric``, Latency strategy: the products that ``-impl dsp`` puts on DSPs become LUT
#: multipliers of LUT_PER_MULT_BIT2 x wd x ww LUTs each; the adder tree is unchanged. ArgyKokk's 17 pairs of
#: the same layer synthesised with ``-impl fabric`` and ``-impl dsp`` (8-bit x 8-bit, RF 1, 2 and 100):
#: LUT(fabric) - LUT(dsp) = 62 x DSP(dsp) in 14 pairs, 47-58 in the other 3 (62 / 64 = 0.97); at RF 100 the
#: difference is 62 x multiplier_limit, the shared multipliers. Replaces a uniform 1.6x factor, which read
#: the small layers 35 % low and the large ones 50-90 % high.
LUT_PER_MULT_BIT2 = 0.97
#: Resource strategy with ``-impl fabric`` (no per-layer data): every product a LUT multiplier, taken as the
#: 1.6x median LUT ratio of the ArgyKokk fabric/dsp pairs above.
FABRIC_LUT_FACTOR = 1.6
#: Dot-product depth: the product (T_MUL on a DSP - mapping fraction >= 0.25 or ``-impl dsp`` - or in logic,
#: plus T_FANOUT per log2 of the n_out products each input word drives), then round(log2 fan-in) adder levels
#: of T_ADD, packed into cycles by hardware.chain_cycles; at least 1 cycle. The structure that matters: two
#: adders (2 x T_ADD) do not fit in 4.38 ns on 7-series, one does in 2.91 ns, so the tree costs one cycle per
#: level at both of ArgyKokk's clocks (reported: 16 -> 5 terms ... 50 terms -> 5-6 cycles at 4.38 ns, 13 -> 6
#: cycles at 2.91 ns with -impl dsp); a DSP product that does not fit a 2.91 ns cycle is pipelined (two cycles
#: with registered inputs). The fan-out term is why narrow layers (21x3, 32x5, 64x6) come out a cycle faster
#: than wide ones (32x32, 64x32) with the same fan-in. Grid over T_ADD 2.4-2.9, T_MUL_DSP 3-5, T_MUL_LUT 2-3.5,
#: T_FANOUT 0-0.5 on the 71 io_parallel dense layers at RF <= 2 with per-layer reports (ArgyKokk, Lrozzy,
#: kimhaneal11; MinhNguy3n left out, see below): 54 exact, all 71 within one cycle (the previous
#: continuous-delay form with STAGE_ROUNDING: 43 and 65); the plateau is flat for T_ADD 2.4-2.9.
#: MinhNguy3n (xc7z020-1, Vitis 2024.2) stays under-predicted (4-11 cycles reported for 4-14 terms).
T_ADD_NS = 2.8
T_MUL_DSP_NS = 3.5
T_MUL_LUT_NS = 2.5
T_FANOUT_NS = 0.1
#: Batch normalisation's one-term product chains into the next layer when floor(T_MUL_LUT / period +
#: STAGE_ROUNDING) <= 1 (ArgyKokk batchnorm layers: 0 cycles at 4.38 ns).
STAGE_ROUNDING = 0.75

#: Vitis HLS does not balance the accumulation of a dense layer with more than VITIS_BALANCE_MAX_WEIGHTS
#: weights: the per-output sums stay chains of their non-zero terms, T_CHAIN_ADD each. Only two layers show
#: it, both ArgyKokk (Vitis 2021.1, xc7z007s, 4.38 ns), at RF 1, 2 and 100 alike: 561x20 (342 terms per
#: output) 192 cycles and 196x56 (105 terms) 48 cycles, i.e. 2.46 and 2.0 ns per term (T_CHAIN_ADD between
#: the two); every layer up to 64x64 = 4096 weights is a balanced tree (the threshold lies in 4097-10976;
#: 8192 is a guess inside it). Vivado HLS 2019.2 balances 256x768 (Fiwo735: whole transformer block in 10
#: cycles), hence Vitis only. Unconfirmed for other Vitis versions; the mean fan-in stands for the longest
#: chain, so expect errors of 10-20 % on such layers.
VITIS_BALANCE_MAX_WEIGHTS = 8192
T_CHAIN_ADD_NS = 2.2

#: The delays above are those of 7-series parts at speed grade -2 (ArgyKokk: xc7z007s-2). HLS's delay
#: library is much faster for UltraScale+: the dense layers of kimhaneal11 (xcu55c) and Lrozzy (xcu250) take
#: 0-1 cycle at 3.65 ns where the same fan-in takes 5-8 on 7-series; factors above 0.2 would add cycles those
#: reports do not have (upper bound, grid 0.15-0.5). Consistent with the published hls4ml tutorial (xcu250,
#: 4 dense layers + softmax in 10 cycles). UltraScale (KU115) has no usable per-layer data: 0.5 is an
#: interpolation, not a fit. Speed grade -1 parts are slower: 1.2 is the typical -1/-2 ratio of the data
#: sheets' switching characteristics, not a fit (MinhNguy3n, xc7z020-1, takes even longer than that).
DELAY_FACTOR_ULTRASCALE_PLUS = 0.2
DELAY_FACTOR_ULTRASCALE = 0.5
DELAY_FACTOR_SPEED_GRADE_1 = 1.2
#: The DSP multiplier's own factors (hardware.dsp_delay_factor) and whether a core longer than a cycle registers its
#: inputs (hardware.mul_inputs_registered): hooks left at the shipped model. The reports' core names bound the DSP
#: factor at 0.5-0.69 on UltraScale+ and above 1.25 at grade -1, and show output-registered generic ``mul`` cores in
#: Vivado HLS; neither moves the held-out latency for the better (README, estimator section, seventh round).
DSP_DELAY_FACTOR_ULTRASCALE_PLUS = DELAY_FACTOR_ULTRASCALE_PLUS
DSP_DELAY_FACTOR_ULTRASCALE = DELAY_FACTOR_ULTRASCALE
DSP_DELAY_FACTOR_SPEED_GRADE_1 = DELAY_FACTOR_SPEED_GRADE_1
MUL_INPUTS_REGISTERED_VIVADO = True
MUL_INPUTS_REGISTERED_VIVADO_CONSTANT = True
MUL_INPUTS_REGISTERED_VITIS = True
#: Candidates of the eighth round, hooks left off (README, estimator section): where the build script sets
#: ``config_schedule -enable_dsp_full_reg=false`` (hardware.dsp_full_reg), an unrolled kernel's DSP product takes its
#: first adder level (DSP_POSTADDER_CHAIN_*) or a Resource iteration's LUT product chains the add of its block's
#: products (RESOURCE_PRODUCT_ADD_CHAIN); a Resource iteration's one-cycle product is registered before its adds
#: (RESOURCE_PRODUCT_REGISTERED_VIVADO). Each is refuted by a register table or breaks a repository not read for it.
DSP_POSTADDER_CHAIN_VIVADO = False
DSP_POSTADDER_CHAIN_VITIS = False
RESOURCE_PRODUCT_ADD_CHAIN = False
RESOURCE_PRODUCT_REGISTERED_VIVADO = False

# ---------------------------------------------------------------------------------------------- registers
#: FFs per partial-sum bit per non-zero product. Structure (kernels.dense.DotProductModel): where the product does
#: not share a cycle with the first adder level (T_MUL + T_ADD > effective period: every 7-series clock
#: in the data), the first cycle boundary registers all non-zero products, so a layer of any depth
#: >= 1 carries the full constant (the halving partial sums of later stages are inside it); ArgyKokk's 1-3
#: cycle layers (3x2 at 1 cycle: 0.92 FF per product-bit, 5x3: 1.0-1.4, 10x5: 1.2-1.5),
#: fastmachinelearning/hls4ml's 10x32 layer (Vivado HLS 2016.4, 3 cycles: 2893 FF = 0.97 x 165 x 18) and
#: MinhNguy3n's 4-11-cycle layers (0.9-1.7) say so. The previous depth ramp (min(depth, 5) / 5 everywhere)
#: read those records' FF 30-45 % low. Only where the product chains with adder levels in one cycle
#: (UltraScale+ delays) does the first register sit further down the tree, on fewer values: there the layer
#: registers min(depth, FF_SATURATION_STAGES) / FF_SATURATION_STAGES of it (kimhaneal11 1-cycle layers:
#: 0.2-0.3 per product-bit). Value: the benchmark's refit (repository-balanced median of reported / predicted
#: over the io_parallel Latency dense layers of ArgyKokk, kimhaneal11, Lrozzy and MinhNguy3n): 1.10
#: (1.06-1.14 with one repository left out).
FF_PER_SUM_BIT = 1.1
FF_SATURATION_STAGES = 5
#: Vivado HLS (2016-2020) binds a DSP product that does not fit one cycle (T_MUL x delay factor, plus one T_ADD
#: per cascade level of a product wider than the DSP ports, above the effective period) to a pipelined
#: multiplier core and counts the core's stage registers as fabric FFs in its "Instance" row; Vitis HLS
#: reports the same cores with 0 FF (absorbed into the DSP slice: ArgyKokk, Vitis 2021.1, 25 DSP instances,
#: 0 FF). Per instance and per extra cycle, FF_PIPELINED_MUL_PER_BIT x (wd + ww): both operands, or the
#: product, registered. camillaMiao's 16x4 layer (Vivado HLS 2019.2, 16x16 bits): on xc7z020-1 the products
#: do not fit 4.375 ns and 50 DSP instances carry 3350 FF (67 each, 2 x 32 = 64 predicted); on xc7vx690t-3 the
#: same layer's products fit and carry none. GuillaumeDerville (Vivado HLS 2020.1, xc7z020-1, 16x16 at RF 4
#: and 8): 89-94 FF per DSP instance beyond the adder-tree registers. A count from the structure, not a fit.
FF_PIPELINED_MUL_PER_BIT = 2.0
#: Resource ReuseLoop at RF > 1: FFs per bit of what lives across its iterations (kernels.dense.
#: resource_register_bits). The benchmark's refit over the Resource dense layers of 10 repositories, the first
#: layer's port shifters taken out (1.61-1.72 per fold; 2.4 before the version rule below).
FF_RESOURCE_PER_BIT = 1.67
#: Input-array copies by tool version (kernels.dense.resource_input_copies; see the README): Vivado HLS 2020.1
#: keeps a rewind and a phi register per input word and an ``ap_return_N_preg`` per io_parallel output (PYNQ_IA,
#: GuillaumeDerville), 2019.2 neither past the first layer (nicologhielmetti); io_stream twice; Vitis HLS once.
RESOURCE_INPUT_COPIES_REWIND = 2
RESOURCE_REWIND_REGISTERS_FROM_YEAR = 2020

# ---------------------------------------------------------------------------------------------- activations
#: ReLU and friends: LUTs per input bit per element (compare, select, output rounding). Per-layer relu
#: reports: kimhaneal11 1.75, ArgyKokk 2.2-2.7 (saturating outputs), MinhNguy3n 0.8, Lrozzy 0.5; median 1.3.
LUT_PER_RELU_BIT = 1.3
#: A ReLU whose output cast quantizes (AP_SAT dropping integer bits, or a rounding mode dropping fraction
#: bits) adds the overflow detection over the dropped bits, the rounding adder and the saturating select:
#: RELU_CAST_LUT_PER_BIT per input bit per element on top of LUT_PER_RELU_BIT (Vivado HLS), and
#: RELU_CAST_LUT_PER_BIT_VITIS (Vitis HLS, which maps the same cast into fewer LUTs). Vivado HLS: read off
#: GuillaumeDerville (2020.1, 19 -> 8 bits RND_CONV + SAT: 97-100 LUT per element, 4.0 per bit above the base);
#: not used, Gabriele-bot PYNQ_IA (16 -> 6 bits, RND + SAT: 94, 4.1) and nicologhielmetti (16 -> 7: 96, 4.2)
#: agree. Vitis HLS: read off alex-yang-upenn (2022.2, 16 -> 6 bits RND_CONV + SAT: 60-70, 2.3); not used,
#: ArgyKokk (2021.1, 16 -> 8: 35-55 per element, 0.9-2.1 above the base).
#: The same per-bit cost prices the casts into a rounding or saturating ``accum_t`` that every product of a
#: dense/conv kernel goes through (kernels.dense.accum_cast_luts): not read off any kernel, it carries
#: Berk-Bilgin's per-layer LUT (Vivado HLS 2020.1, accum_t ap_fixed<28,16,AP_RND_ZERO,AP_SAT> and
#: <24,16,AP_RND,AP_SAT>: 0.11-0.23x before, 0.69-0.99x with it, 18 layers).
RELU_CAST_LUT_PER_BIT = 4.0
RELU_CAST_LUT_PER_BIT_VITIS = 2.3
#: A ReLU is chained into the previous cycle when its delay fits the effective period: 1 cycle at 2.91 ns
#: (ArgyKokk, xc7z007s-2), 0 at 3.65 ns on xc7z020-1 (MinhNguy3n) and at 4.38 ns: 2.91 < T_RELU < 3.04.
T_RELU_NS = 3.0
#: Convergent rounding (``AP_RND_CONV``) of a ReLU output that drops fraction bits detects the exact tie (an
#: OR over the dropped bits, and the kept LSB) before the rounding add: one more logic level than AP_RND/TRN.
#: Bounds from the per-layer relu reports: GuillaumeDerville (xc7z020-1, delay factor 1.2, 4.38 ns, RND_CONV +
#: SAT from 19-29 bits) 1 cycle, so (T_RELU + T) x 1.2 > 4.38, T > 0.65; ArgyKokk (xc7z007s, 1.0, 4.38 ns,
#: RND_CONV + SAT from 16 bits) 0 cycles, T < 1.38; Gabriele-bot PYNQ_IA (AP_RND + SAT, 1.2, 4.38 ns) 0 cycles,
#: which AP_RND's cost of 0 keeps. The middle of the bounds.
T_RND_CONV_NS = 1.0
#: io_stream element-wise layers, one word (``pack`` elements) per cycle: FF per word bit (relu reports of kendermag,
#: RishThakkar, CestMerNeil); LUT: kernels.multiplexers.stream_wrapper_luts (was 8 per word bit: 0.73x held out).
STREAM_FF_PER_BIT = 3
#: Table-lookup activations: address arithmetic LUTs per element.
LUT_PER_TABLE_LOOKUP = 30
#: Softmax: the chain of ActivationEstimator.softmax_cycles packed by hardware.chain_cycles, plus
#: SOFTMAX_TABLE_REGISTERS cycles for the registered outputs of its two table reads. Grid (T_MAX_LEVEL 2-4,
#: T_TABLE_READ 3-9, products 1-8 ns, registers -1..3) on ArgyKokk's 35 softmax reports (n = 2..16 at 2.91 and
#: 4.38 ns, -impl dsp and fabric; the only io_parallel softmax reports): 26 exact, 35 within one cycle (the
#: previous two-constant delay form: 15 and 32). Its structure: at 4.38 ns each tree level takes one cycle
#: (two per log2 n, reported 8, 12, 14 cycles for n = 2, 6, 10), at 2.91 ns the compare-select does not fit
#: one cycle (three per level: 13, 16, 20 for n = 3, 5, 16). With ``-impl dsp`` the final exp x 1/sum product
#: is a registered DSP (T_SOFTMAX_MUL); with ``-impl fabric`` it folds into the table-output logic and the
#: layer is 2-3 cycles shorter, as reported. The table registers scale with the delay factor (none on
#: UltraScale+): there is no UltraScale+ softmax report here, and the published hls4ml tutorial (xcu250, the
#: whole 16-64-32-32-5 network with softmax in 10 cycles, published.md) leaves it one or two cycles at most.
T_MAX_LEVEL_NS = 3.0
T_TABLE_READ_NS = 3.0
T_SOFTMAX_MUL_NS = 5.0
T_SOFTMAX_MUL_FABRIC_NS = 1.0
SOFTMAX_TABLE_REGISTERS = 2
#: Softmax on UltraScale+ (the UltraScale+ reports came after the fit above). The dense layers' delay factor
#: (0.2) made every UltraScale+ softmax 1-3 cycles where the reports say 3-12: the compare-selects, table
#: addressing and ROM reads do not speed up as DSP products and carry chains do. The chain is scaled by
#: max(device factor, SOFTMAX_MIN_DELAY_FACTOR), and Vitis HLS keeps the two table-read registers on every
#: device, Vivado HLS only on 7-series-speed logic (kernels.activation.softmax_table_registers). Per-layer
#: softmax reports on UltraScale+ (core latency; io_stream minus its stream word): Vitis alex-yang-upenn
#: (2022.2, n = 5 at 2.43 ns eff.: 8; n = 10: 10), abdennour-GUESSOUM (2023.2, 3.65 ns, n = 10: 9), CestMerNeil
#: (2022.1, 4.38 ns: 7); Vivado HLS Gabriele-bot ALVEO-PYNQ_ML (2020.1, n = 10: 11 / 6 / 5 at 1.75 / 2.91 /
#: 3.5 ns), mbavier (2019.2, 4.38 ns: 3). Leave-one-repository-out over these five (the factor chosen on a grid
#: 0.2-0.7 without the held-out one: 0.35 every time): held-out errors 2, 3, 1 and 3, 0-1, 0 cycles (reported
#: minus predicted), against 4, 5, 4-6, 3-7, 0-2 with the dense factor. The published hls4ml tutorial (Vivado
#: HLS, xcu250, 5 ns: the 16-64-32-32-5 tagger with its softmax in 10 cycles; tests/test_estimate.py) leaves
#: the softmax 2 cycles at most, as 0.35 has it. RishThakkar's io_stream softmax (Vivado 2019.2, 10-43 cycles,
#: 7-series and UltraScale+ alike) is another kernel's schedule and was left out.
SOFTMAX_MIN_DELAY_FACTOR = 0.35
#: ... except for a softmax input of at most SOFTMAX_LUT_TABLE_MAX_BITS bits: it addresses at most 64 entries of
#: the exp table, a LUT ROM, and the layer keeps the dense factor and no table register on a fast device. One
#: record says so, MuhammadAshraful (Vitis 2024.1, xcku5p, ap_fixed<6,2> input, n = 10: 0 cycles reported,
#: 5-6 by the rule above); 6 bits is the LUT6 address width, not a fit. Untested elsewhere.
SOFTMAX_LUT_TABLE_MAX_BITS = 6
LUT_PER_SOFTMAX_ELEMENT = 145
FF_PER_SOFTMAX_ELEMENT = 215

# ---------------------------------------------------------------------------------------------- top level
#: io_parallel top (``#pragma HLS PIPELINE`` over the layer calls): one register per call boundary, except
#: between two 0-cycle (combinational) calls, which chain; plus, with Vitis HLS on 7-series parts and the top at
#: II = 1, TOP_CYCLES_II1_PER_DENSE per dense call. Top latency minus the sum of the module latencies in the
#: reports: ArgyKokk (Vitis 2021.1, xc7z007s): 4 calls +3 at II > 1 / +5 at II = 1 with 2 dense; 8 calls +7 /
#: +11 with 4 dense; Breast_cancer (8 calls, one chained pair) +6 / +8 (the rule says +9); MinhNguy3n (Vitis
#: 2024.2, xc7z020) 7 calls, 4 dense: +11 (rule +10); Vivado HLS 2016.4/2018.2 (fastmachinelearning/hls4ml, 3
#: boundaries): +3 at II 1, 2 and 7; UltraScale+ Vitis: kimhaneal11 +5 (rule +4), Lrozzy +5 (rule +5).
#: Boundary counting is structural; the per-dense extra is the only count read off the data (ArgyKokk,
#: MinhNguy3n), and its restriction to 7-series Vitis is what the UltraScale+ and Vivado HLS reports show.
TOP_CYCLES_PER_BOUNDARY = 1
TOP_CYCLES_II1_PER_DENSE = 1
#: io_parallel, Vivado HLS: hls4ml ``ARRAY_RESHAPE``s the top's input array into one word of n_in x width bits.
#: A Resource-strategy dense layer at RF > 1 that reads it directly indexes it with its loop variable
#: (``data[in_index]``), which becomes a variable part-select of that word: a shifter of ceil(log2(n_in x
#: width)) levels in front of the multipliers, PORT_SHIFT_CYCLES_PER_LEVEL each, in every ReuseLoop iteration.
#: Layers reading the top's partitioned layer arrays index a mux and do not pay it; nor does a fully unrolled
#: layer (constant indices). Reports, ReuseLoop iteration latency of the layer reading the port vs. the
#: others of the same design: GuillaumeDerville (Vivado HLS 2020.1, 14 x 16 bits, 8 levels) 12-14 vs 4-5 at RF
#: 2, 14, 16, 56; Gabriele-bot PYNQ_IA (2020.1, 16 x 16 bits, 8 levels) 14 vs 6; Gabriele-bot ALVEO-PYNQ_ML,
#: whose first call is an activation, shows no excess on its dense layers. One cycle per level is structural
#: (a 2:1 mux level on a wide word plus routing), not fitted; Vitis HLS has no such record here, so it is not
#: applied there.
PORT_SHIFT_CYCLES_PER_LEVEL = 1
#: The same shifter in area: one per distinct input word an iteration reads (ceil(n_in / RF) for RF <= n_in,
#: else one), each a pipelined ``lshr_<N>ns`` core plus its select/mask logic, N x ceil(log2 N) x
#: PORT_SHIFT_LUT_PER_BIT_LEVEL LUTs and N x PORT_SHIFT_FF_PER_BIT FFs (its stages and output register).
#: Read off GuillaumeDerville's per-module reports (N = 224: 2599 LUT, 1903 FF per shifter; 7 of them at RF 2,
#: one at RF 14 and 56); Gabriele-bot PYNQ_IA (N = 256, two at RF 8: 2983 LUT, 2159 FF each) and
#: nicologhielmetti (N = 256, one at RF 64) were not used and agree within 1 %. The FFs count in the first
#: layer since the version rule of RESOURCE_INPUT_COPIES_REWIND.
PORT_SHIFT_LUT_PER_BIT_LEVEL = 1.45
PORT_SHIFT_FF_PER_BIT = 8.5
#: io_parallel DATAFLOW top (a Resource-strategy layer): every element of every array passed between two layer
#: calls becomes its own channel, a FIFO of depth DATAFLOW_CHANNEL_DEPTH that the report counts as depth x bits
#: LUTs (shift-register storage), plus DATAFLOW_CHANNEL_LUT of handshake logic (a 2-input mux, 9, and two gates,
#: 2 each) and DATAFLOW_CHANNEL_FF registers. The top's registers are these, not the PIPELINE top's output
#: registers. Read off nicologhielmetti's top report (Vivado HLS 2019.2: 261 channels, FIFO 6296 LUT = sum of
#: depth x bits 6304, Multiplexer 2349 = 261 x 9, Expression 1074, FF 1310 = 261 x 5 + the input word's);
#: GuillaumeDerville (2020.1: 54 channels, FIFO 1355 LUT vs 1414 depth x bits, Multiplexer 486 = 54 x 9) and
#: Gabriele-bot PYNQ_IA (2020.1: FIFO 7448 LUT vs 7712) were not used.
DATAFLOW_CHANNEL_DEPTH = 2
DATAFLOW_CHANNEL_LUT = 13
DATAFLOW_CHANNEL_FF = 5
#: io_parallel convolution with n_partitions > 1 (hls4ml >= 0.7 ``conv_*d_latency_cl``): the generated
#: ``fill_buffer`` selects, for every word of the n_pixels x k_in input buffer, one of n_partitions input words,
#: which HLS reports as a Multiplexer of n_partitions x width input bits per word; LUTs per such input bit.
#: Read off the one report with it (MuhammadAshraful, Vitis HLS 2024.1, Conv2D 3x3, 676 partitions, 6-bit data:
#: fill_buffer 31977 LUT = 0.876 x 9 x 6 x 676); no other record has an io_parallel convolution to check it on.
#: The same report's conv module carries 8215 FF in registers, its output array (26 x 26 x 2 x 6 bits = 8112)
#: plus control: kernels.conv adds out_pixels x n_filt x result width.
FILL_BUFFER_LUT_PER_INPUT_BIT = 0.876
#: io_stream FIFOs deeper than this go to BRAM (512 x 36 words per BRAM18), shallower ones to SRL LUTs.
#: hls4ml sizes each conv/pool output FIFO to its number of output pixels. Not fitted: the Vivado/Vitis
#: default SRL threshold is in this range; checked against the io_stream records' BRAM totals.
FIFO_SRL_MAX_DEPTH = 64
#: io_stream pooling reads each input pixel in two cycles (abdennour-GUESSOUM, CestMerNeil, kendermag,
#: ChiRuiChen, Spehic pooling reports: latency ~ 2 x in_height x in_width).
POOL_STREAM_CYCLES_PER_PIXEL = 2

# ---------------------------------------------------------------------------------------------- assumptions
# Not fitted: structural values for parts of the model with no (or too little) per-layer data. They set the
# order of magnitude; the benchmark's io_stream and Resource-strategy figures show how far that goes.
#: Vivado HLS 2018.2-2020.1 prices a Multiplexer-table row by its inputs alone, 6 x inputs - 3 LUTs whatever its width
#: (51433 of the 51587 rows of <= 8 inputs under ../shared/calibration/raw); 2016.4 and Vitis HLS price by width. The
#: rewound ReuseLoop's muxes per input element (multiplexers.rewind_mux_luts): four 2:1 (36: GuillaumeDerville,
#: nicologhielmetti, uw-acme, kendermag) or a 2:1 and a 3:1 (24: PYNQ_IA, Spehic); 30 is the middle.
MUX_LUT_PER_INPUT, MUX_LUT_BASE, REWIND_MUX_PER_INPUT = 6, 3, 30
#: A LUT6 selects among 4 data inputs: a k:1 operand multiplexer of wd bits costs wd x k / 4 LUTs (multiplexers.py).
MUX_INPUTS_PER_LUT = 4
#: Cycles of one Resource-strategy ReuseLoop iteration (RF > 1) besides its product and accumulation
#: (kernels.dense.reuse_loop_cycles): the weight-ROM read, the input multiplexer, the write-back. Read off the
#: io_parallel Resource dense layers whose iteration adds one product per accumulator (GuillaumeDerville,
#: Vivado HLS 2020.1: ReuseLoop iteration latency 4-5 = this + the product-and-add cycle); the earlier form
#: (a flat 4 cycles over RF - 1 whatever the accumulation) was the median of reported latency - RF.
RESOURCE_ITER_BASE_CYCLES = 3
#: ``dense_resource_rf_gt_nin_rem0`` (Resource, RF > n_in, RF % n_in == 0) fills an ``outidx`` table before its
#: ReuseLoop and reads ``outidx[ir]`` first in every iteration: one cycle more than rf_leq_nin, from HLS
#: REM0_INDEX_READ_FROM_YEAR on. Per layer, rem0 vs leq of one repository (reported - estimated without it): Vivado
#: HLS 2020.1 GuillaumeDerville +1 in 9 of 12 vs 0 in 4 of 5, Spehic +1 vs 0; 2019.x no difference (nicologhielmetti
#: 67 = 67 cycles at RF 64, kendermag +1 vs +1/+2). Vitis HLS (no rem0 report) is taken as 2020.1. Structural.
REM0_INDEX_READ_CYCLES = 1
REM0_INDEX_READ_FROM_YEAR = 2020
#: io_stream Resource-strategy convolutions: every input pixel takes RF + STREAM_RESOURCE_PIXEL_CYCLES cycles
#: (the kernel's RF issues, its pipeline fill and drain, the call and the window shift; calls do not overlap).
#: Per-layer reports (interval / input pixels - RF): Berk-Bilgin 6-11 (Vivado 2020.1), kendermag 8-10 (2019.1),
#: ChiRuiChen AutoEncoder 11 in 6 layers (2019.2), RishThakkar 5-11 (2019.2): repository medians 9, 9, 11,
#: 8. The previous form (RF per pixel) read these intervals 1.1-6.5x low.
STREAM_RESOURCE_PIXEL_CYCLES = 10
#: io_stream Latency-strategy convolutions (kernels.conv.ConvEstimator.stream_pixel_schedule): the depth of one
#: ReadInput iteration is the window kernel's depth + STREAM_CONV_WINDOW_CYCLES (pixel read, line-buffer and
#: window shift, result write), with the kernel's adders at no less than STREAM_CONV_MIN_DELAY_FACTOR of the
#: 7-series delays (the io_parallel UltraScale+ factor, 0.2, makes every window kernel 1 cycle where the loop
#: depths grow with the window and the clock: Gabriele-bot ALVEO 3/4/5 cycles for a 9-term window and 5/7/9
#: for 144 terms at 4.0/3.33/2.0 ns). Read off the loop depths of the per-layer reports of 7 repositories
#: (26 pipelined loops): leave-one-repository-out over a grid picks 0.35 / 4 in four folds, 0.4 / 4 in one and
#: 0.6 / 3 in two; with 0.35 / 4, 16 of the 26 depths are within one cycle (RishThakkar's RF > 1 windows, whose
#: depth follows the weight values, 2 of 9). 0.35 is also the softmax floor (SOFTMAX_MIN_DELAY_FACTOR), found independently.
STREAM_CONV_MIN_DELAY_FACTOR = 0.35
STREAM_CONV_WINDOW_CYCLES = 4
#: With Vitis HLS >= 2022.2 the pixel loop of a convolution with a window reaches II = depth - this, whatever
#: its target: the loop carries the window state through the iteration. Loop tables: abdennour (2023.2)
#: depth 5 / II 3 and 8 / 6, alex-yang (2022.2) 7 / 5 twice, SpAllen0726 (2023.1, no firmware: not a
#: benchmark record) 5 / 3, 8 / 6, 8 / 6, 9 / 7, and its pointwise layer (no window) depth 5 / II 1; Vitis 2022.1
#: (CestMerNeil) and Vivado HLS 2019.1-2020.1 reach II 1.
STREAM_CONV_RECURRENCE_SLACK = 2
#: LSTM/GRU (codesign/estimate/recurrent.py). The calibration set has no stock recurrent report; these two
#: counts come from the scheduling data (``*.tcl``/``*.json`` autopilot files) two public hls4ml LSTM projects
#: committed, found by searching public code: (a) Vivado HLS, LSTM(4) over 16 steps of 1 input:
#: ``lstm_static`` pipelined, latency 5, ``lstm_stack`` latency 95 = 16 x (5 + 1) - 1, II 96; (b) Vitis HLS,
#: hls4ml 1.x, LSTM(20) over 20 steps of 6 inputs: ``lstm_static`` not pipelined, latency 16 (dense 3,
#: sigmoid 2, tanh 2 x 2, the rest its products and the call states), II 17, ``lstm_stack`` latency 339 =
#: 20 x (16 + 1) - 1. So each step costs the cell's latency plus RECURRENT_STEP_CYCLES (the loop's call
#: state), and with Vitis HLS each of the cell's sub-function calls adds RECURRENT_CALL_CYCLES ((b): 3 + 1 +
#: 2 + 1 + 2 + 2 + 1 modelled parts + 4 calls = 16). With Vivado HLS ((a)) the cell is one pipeline: the
#: dense pair, one cycle per table read (sigmoid, tanh, tanh) and one per product stage (1-cycle DSP
#: mul / muladd), 1 + 3 + 2 = 6 modelled for 5 reported. Two designs, structure read from them; not a fit.
RECURRENT_STEP_CYCLES = 1
RECURRENT_CALL_CYCLES = 1
#: Cycles an io_stream process adds to read its first word and write its last.
STREAM_EXTRA_CYCLES = 2
#: io_stream element-wise and dense layers over W > 1 stream words: a pipelined loop inside a function that is
#: not pipelined, latency = W + the per-word cycles + STREAM_LOOP_CYCLES (loop entry/exit, the read and write
#: registers), interval = latency (kernels.common.stream_elementwise). Per-layer relu reports with W > 1
#: (Vivado HLS 2019.1-2020.1 and Vitis 2022.1; 9 repositories): latency = interval = W + 3 on UltraScale+
#: (CestMerNeil, RishThakkar, Gabriele-bot ALVEO at 2.0-4.0 ns) and 7-series -2 (uw-acme), W + 4 on 7-series
#: -1 at 5 ns (kendermag, Gabriele-bot PYNQ_IA, RishThakkar, CestMerNeil, ChiRuiChen, Spehic); the previous form
#: (W + 1, II = W) was 2-3 cycles short on all 9. Dense (W > 1): + 3 brings 10 of 14 reports within 2.
STREAM_LOOP_CYCLES = 3
#: io_stream element-wise layers: read, compare-select and write of one word take
#: max(1, cycles(T_STREAM_WORD_NS x delay factor)). Single-word relu reports: 1 cycle on UltraScale+ (CestMerNeil
#: Vitis 2022.1, RishThakkar Vivado 2019.2) and at 8.75 ns on 7-series -1 (nicologhielmetti), 2 at 4.38 ns on
#: 7-series -1 (kendermag, RishThakkar, Spehic): 3.65 < T <= 4.38, and the W > 1 reports above agree (W + 2 + it),
#: except uw-acme (7-series -2 at 2.91 ns: 1 cycle where the rule says 2). The middle of the bounds.
T_STREAM_WORD_NS = 4.0
#: io_stream conv/pool windows: LUTs per bit of the sliding window (shift registers, selects).
WINDOW_LUT_PER_BIT = 1.5
#: io_stream pooling (``nnet_pooling_stream.h``): per channel, window - 1 compare-selects of the max (adds of the
#: average) over the window, POOL_STREAM_COMPARE_LUT each with their window-register selects, plus
#: POOL_STREAM_CONTROL_LUT for the pixel loop (its int counters, their compares, the FSM), whatever the data width
#: (3 to 32 bits: the reports' compares and selects barely grow with it) and the image width
#: (kernels.elementwise.stream_pooling_luts). Read off the two repositories whose 2x2 pooling reports span several
#: channel counts (slope and intercept of LUT against channels x 3): RishThakkar (Vivado HLS 2019.2, 4/16/24
#: channels: 56 per compare, 506) and CestMerNeil (Vivado HLS 2019.2: 52, ~500; Vitis HLS 2022.1: 42, 453). Not
#: used to read them, reported / predicted: abdennour-GUESSOUM (Vitis 2023.2) 0.90-0.97, Spehic 0.97, Gabriele-bot
#: PYNQ_IA 0.81-0.90, ChiRuiChen (32 bits) 1.20-1.24, alex-yang-upenn (Vitis 2022.2) 0.70, Gabriele-bot
#: ALVEO-PYNQ_ML (3 bits) 0.65, kendermag 0.75-0.77 and, with 4x4 windows, 0.52; uw-acme's 1-D pooling 1.71. The
#: previous form (WINDOW_LUT_PER_BIT x channels x window x width) read all of them 1.4-11x low.
POOL_STREAM_COMPARE_LUT = 50
POOL_STREAM_CONTROL_LUT = 500
#: Conv line buffers move to BRAM once a row holds more than this many bits.
LINEBUFFER_BRAM_MIN_BITS = 4096
#: Table-lookup activations: address computation and ROM read, ns (7-series).
T_TABLE_LOOKUP_NS = 4.0
#: ``nnet::sigmoid``/``tanh``/... read ``table[index]`` from a ROM: HLS schedules the read with a registered
#: output, one cycle after the cycle(s) of index arithmetic, even where that arithmetic is tiny. Every
#: per-layer report of a table activation says so, in three repositories and three tools: kimhaneal11
#: (Vitis 2022.1, xcu55c, 3.65 ns effective) sigmoid 2 cycles, fastmachinelearning/hls4ml (Vivado HLS 2016.4,
#: xc7vx690t, 4.38 ns) sigmoid 2 cycles in its 3 reuse projects, uw-acme (io_stream, 2.91 ns) 4 = 2 + 1 +
#: the stream word; the previous form (no read register) was one cycle short on all of them. A count from
#: the structure (the ROM's output register), not a fit. Softmax's two table reads carry the same register
#: in SOFTMAX_TABLE_REGISTERS.
TABLE_ROM_READ_CYCLES = 1
#: Comparators (max pooling, element-wise merge): one LUT per bit; half an adder's delay per level.
LUT_PER_COMPARE_BIT = 1.0
T_COMPARE_NS = 1.5
#: io_stream padding/repacking: control LUTs/FFs. zeropad2d_cl / resize_nearest: latency = interval = output pixels +
#: PAD2D / RESIZE (Vivado HLS 2019.x: zeropad2d 8 of 8 reports, ChiRuiChen, kendermag, mbavier; resize 3 of 3, ChiRuiChen).
STREAM_COPY_LUT = STREAM_COPY_FF = 100
STREAM_PAD2D_CYCLES, STREAM_RESIZE_CYCLES = 3, 2
