"""Timing constants: the clock, operator delays, device delay factors and cycle counts of the io_parallel
kernels and top level, each with the records it was read off.

Read by the estimator as ``constants.NAME`` (the package re-exports them; patch them there, see ``__init__``).
"""

# ---------------------------------------------------------------------------------------------- clock
#: Default clock uncertainty as a fraction of the period (Vitis HLS 27 %, Vivado HLS 12.5 %; UG1399/UG902,
#: and the value hls4ml's build_prj.tcl sets). Not fitted.
VITIS_DEFAULT_UNCERTAINTY = 0.27
VIVADO_DEFAULT_UNCERTAINTY = 0.125

# ---------------------------------------------------------------------------------------------- dot products
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

# ---------------------------------------------------------------------------------------------- device delay factors
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
#: Vivado HLS; neither moves the held-out latency for the better (docs/estimator.md, seventh round).
DSP_DELAY_FACTOR_ULTRASCALE_PLUS = DELAY_FACTOR_ULTRASCALE_PLUS
DSP_DELAY_FACTOR_ULTRASCALE = DELAY_FACTOR_ULTRASCALE
DSP_DELAY_FACTOR_SPEED_GRADE_1 = DELAY_FACTOR_SPEED_GRADE_1
MUL_INPUTS_REGISTERED_VIVADO = True
MUL_INPUTS_REGISTERED_VIVADO_CONSTANT = True
MUL_INPUTS_REGISTERED_VITIS = True
#: Candidates of the eighth round, hooks left off (docs/estimator.md, eighth round): where the build script sets
#: ``config_schedule -enable_dsp_full_reg=false`` (hardware.dsp_full_reg), an unrolled kernel's DSP product takes its
#: first adder level (DSP_POSTADDER_CHAIN_*) or a Resource iteration's LUT product chains the add of its block's
#: products (RESOURCE_PRODUCT_ADD_CHAIN); a Resource iteration's one-cycle product is registered before its adds
#: (RESOURCE_PRODUCT_REGISTERED_VIVADO). Each is refuted by a register table or breaks a repository not read for it.
DSP_POSTADDER_CHAIN_VIVADO = False
DSP_POSTADDER_CHAIN_VITIS = False
RESOURCE_PRODUCT_ADD_CHAIN = False
RESOURCE_PRODUCT_REGISTERED_VIVADO = False
#: Candidate of the ninth round, hook left off (docs/estimator.md, ninth round): a dense/conv product is cast to a wrapping
#: ``accum_t`` before any sum, so its operands' bits above I_acc + F_data + F_weight cannot reach the result and HLS's
#: bit-width analysis drops them (kernels.common.live_operand_widths): freaksie's ``ap_fixed<32,32>`` input times
#: ``<18,4>`` weights into ``<18,4>`` is an 18 x 18 product, one DSP and no cascade (its 2x8 layer: 1 cycle reported).
PRODUCT_LIVE_BITS = False

# ---------------------------------------------------------------------------------------------- activations
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
#: Table-lookup activations: address computation and ROM read, ns (7-series).
T_TABLE_LOOKUP_NS = 4.0
#: Comparators (max pooling, element-wise merge): half an adder's delay per level.
T_COMPARE_NS = 1.5
#: ``nnet::sigmoid``/``tanh``/... read ``table[index]`` from a ROM: HLS schedules the read with a registered
#: output, one cycle after the cycle(s) of index arithmetic, even where that arithmetic is tiny. Every
#: per-layer report of a table activation says so, in three repositories and three tools: kimhaneal11
#: (Vitis 2022.1, xcu55c, 3.65 ns effective) sigmoid 2 cycles, fastmachinelearning/hls4ml (Vivado HLS 2016.4,
#: xc7vx690t, 4.38 ns) sigmoid 2 cycles in its 3 reuse projects, uw-acme (io_stream, 2.91 ns) 4 = 2 + 1 +
#: the stream word; the previous form (no read register) was one cycle short on all of them. A count from
#: the structure (the ROM's output register), not a fit. Softmax's two table reads carry the same register
#: in SOFTMAX_TABLE_REGISTERS.
TABLE_ROM_READ_CYCLES = 1
#: ... except with Vivado HLS on UltraScale / UltraScale+ (logic factor < 1), io_parallel: there the index
#: arithmetic and the ROM read share the read's registered cycle, 1 cycle in all. Every such module report says
#: so: uw-acme/HLS4ML_VS_MANUAL toptagging (Vivado HLS 2019.2, xcu250, 5 ns; benchmarks/data/
#: recurrent_reports.jsonl), ``sigmoid`` config6 (a layer of its own) and the ``sigmoid`` / ``tanh`` of both
#: ``gru_static`` cells, 1 cycle each, 18-bit 1024-entry tables. The calibration set has no Vivado HLS table
#: activation on those families (its 2-cycle reports are Vivado HLS on 7-series and Vitis HLS on xcu55c), so the
#: stock figures do not move. A count from the reports, not a fit; checked on the ftag and quickdraw GRU designs,
#: whose module reports were not read (docs/estimator.md, "Stock recurrent reports").
TABLE_CHAINED_READ_CYCLES = 1
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
#: Candidates of the eleventh round, hooks left off: none improves the held-out sets without a cost (docs/estimator.md,
#: eleventh round; `benchmarks/with_constants.py NAME=VALUE SCRIPT` runs any benchmark with one on).
#: TOP_CHAIN_COMBINATIONAL: a run of 0-cycle calls is one chain of their operations' delays (LayerEstimate.chain_ns)
#: packed by hardware.chain_cycles, a register only where the period is full (off: such a run costs no cycle). Refuted
#: by ArgyKokk's Breast_cancer (batchnorm + ReLU, 2.5 + 3.0 ns, report no register at 4.38 ns: 6 records +1 cycle).
TOP_CHAIN_COMBINATIONAL = False
#: DENSE_COMBINATIONAL_MAX_LEVELS: a Latency dense layer at RF 1 whose product and adder tree (of at most this many
#: levels) fit one cycle is a 0-cycle call (None: at least 1 cycle). The calibration's layers that fit (UltraScale+,
#: Vitis HLS) report 1 cycle in 6 of 9, 2 in 1 and 0 in 2 (kimhaneal11's and Lrozzy's last layers).
DENSE_COMBINATIONAL_MAX_LEVELS: int | None = None
#: POOLING_COMBINATIONAL: an io_parallel pooling layer whose comparator tree fits one cycle is a 0-cycle call (off: at
#: least 1 cycle wherever it compares, as hardware.Clock.cycles rounds any delay up; hls4ml's baselines report 0).
POOLING_COMBINATIONAL = False
#: DENSE_COMBINATIONAL_LAST: only the design's last dense call is combinational where its chain fits (read off the two
#: last layers above); the held-out ml4quantum modules (Vivado HLS 2019.1, xczu3eg -1) all report 1-2 cycles.
DENSE_COMBINATIONAL_LAST = False
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

# ---------------------------------------------------------------------------------------------- resource strategy
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
