"""Area constants: LUTs, FFs, DSPs and BRAM per structure of a kernel, each with the records it was read off.

Read by the estimator as ``constants.NAME`` (the package re-exports them; patch them there, see ``__init__``).
"""

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
#: 2021 repository: 80 % of 32984 rows at W, 0 at W + 7; 2020.x unchecked). Held out, docs/estimator.md, fifth round.
ADDER_LUT_OFFSET_BITS = 7.0
ADDER_AT_WIDTH_LAST_VITIS_YEAR = 2021
#: Vivado HLS prices a W-bit adder at W LUTs, not W + ADDER_LUT_OFFSET_BITS, on the Virtex families up to 2019.2:
#: device family (as the reports' "Product family" names it, hardware.hls_family) -> (first, last) release read.
#: The Expression tables under ../shared/calibration/raw ('+'/'-' rows, W >= 9; benchmarks/adder_prices.py):
#: 2019.2 virtexuplus 81 % at W, 0 % at W + 7 (7954 rows: Fiwo735 100 %, manuelblancovalentin 100 %, mbavier 54 %);
#: 2019.2 virtex7 85 % at W, 15 % at W + 7 (966: uw-acme NeutDetector, camillaMiao); 2018.3 virtex7 58 / 37 %
#: (freaksie); 2016.4 virtex7 39 % at W, none at W + 7 (55 % at W - 9; fastmachinelearning, hls4ml 0.x). The same
#: releases elsewhere keep W + 7: 2019.2 zynquplus 71 % (RishThakkar), zynq 26 % (7 repositories; 9 % at W), 2019.1
#: zynq 78 %, 2018.2 kintexu 48 %; Vivado HLS 2020.1 on virtexuplus 73 % (5 repositories, none at W). No report of
#: 2017.x, of 2019.1 on a Virtex part or of virtexuplus before 2019.2 was read: those keep W + 7. None: the rule off.
VIVADO_ADDER_AT_WIDTH: dict[str, tuple[tuple[int, int], tuple[int, int]]] | None = {
    "virtex7": ((2016, 4), (2019, 2)),
    "virtexuplus": ((2019, 2), (2019, 2)),
}
#: Where VIVADO_ADDER_AT_WIDTH applies (kernels.common.adder_lut_offset): of ``tree`` (Latency dense/conv adder trees),
#: ``accumulator`` (Resource accumulators), ``batchnorm`` and ``table`` (table activations' index logic), only the
#: Resource accumulators, judged on the four sets (docs/estimator.md "The adder price by release and device family"):
#: their rows are at W in every Resource report of the families (mbavier 43 % at W, none at W + 7; the uw-acme GRU
#: cells' 1440 x 16), and the ftag GRU designs go 1.98x -> 1.91x and 1.29x -> 1.18x, uw-acme NeutDetector 14 -> 11 %.
#: The trees priced at W take the calibration's held-out LUT median 13 -> 18 % (freaksie 5 -> 30 %, camillaMiao 1 ->
#: 25 %, mbavier 2 -> 24 %: the design totals stay at the W + 7 model whatever the rows say); the tables at W move
#: freaksie's sigmoid (152 LUT an element at W + 7) away.
VIVADO_ADDER_AT_WIDTH_USES: tuple[str, ...] = ("accumulator",)
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
#: multiplier core and counts the core's stage registers as fabric FFs in its "Instance" row; Vitis HLS 2021.1
#: reports its cores with 0 FF (absorbed into the DSP slice: ArgyKokk, 3-cycle ``mul_*_3_*`` instances, 0 FF),
#: Vitis HLS 2024.2 and 2025.1 with fabric FFs again (hardware.mul_core_registers_in_fabric). Per instance and
#: per extra cycle, FF_PIPELINED_MUL_PER_BIT x (wd + ww): both operands, or the
#: product, registered. camillaMiao's 16x4 layer (Vivado HLS 2019.2, 16x16 bits): on xc7z020-1 the products
#: do not fit 4.375 ns and 50 DSP instances carry 3350 FF (67 each, 2 x 32 = 64 predicted); on xc7vx690t-3 the
#: same layer's products fit and carry none. GuillaumeDerville (Vivado HLS 2020.1, xc7z020-1, 16x16 at RF 4
#: and 8): 89-94 FF per DSP instance beyond the adder-tree registers. A count from the structure, not a fit.
FF_PIPELINED_MUL_PER_BIT = 2.0
#: The first Vitis HLS release year whose 2-cycle DSP multiplier cores carry fabric FFs: MinhNguy3n (Vitis 2024.2,
#: xc7z020-1; calibration) ``mul_11s_7s_18_2_0`` and ``mul_12s_8s_19_2_0``, 1 DSP and 47 / 51 FF each;
#: Thifjj/Iris_hls4ml_pynqZ2 (Vitis 2025.1, xc7z020-1; held out, read after the rule was tried) 56
#: ``mul_16s_*_2_0`` instances of 1 DSP and 67 FF each in one dense module, as camillaMiao's Vivado HLS cores.
#: ArgyKokk (2021.1) is the last release seen without them; no report of 2021.2-2024.1 has a multi-cycle DSP
#: core, so 2022 is the first release after the evidence, not a measured boundary.
VITIS_MUL_CORE_FF_FROM_YEAR = 2022
#: Resource ReuseLoop at RF > 1: FFs per bit of what lives across its iterations (kernels.dense.
#: resource_register_bits). The benchmark's refit over the Resource dense layers of 10 repositories, the first
#: layer's port shifters taken out (1.68 since RESOURCE_DSP_OPERAND_REGISTERS below; 1.67 before, 1.61-1.72 per
#: fold; 2.4 before the version rule below).
FF_RESOURCE_PER_BIT = 1.68
#: Input-array copies by tool version (kernels.dense.resource_input_copies; docs/estimator.md): Vivado HLS 2020.1
#: keeps a rewind and a phi register per input word and an ``ap_return_N_preg`` per io_parallel output (PYNQ_IA,
#: GuillaumeDerville), 2019.2 neither past the first layer (nicologhielmetti); io_stream twice; Vitis HLS once.
RESOURCE_INPUT_COPIES_REWIND = 2
RESOURCE_REWIND_REGISTERS_FROM_YEAR = 2020
#: Resource ReuseLoop at RF > 1: whether a DSP-bound product also registers its two operands in fabric (wd + ww bits
#: per multiplier in kernels.dense.resource_register_bits) where it fits one slice and the accumulator cast is free
#: (truncating, wrapping accum_t). Off: the register tables of the stock GRU reports' dense modules
#: (uw-acme/HLS4ML_VS_MANUAL, Vivado HLS 2019.2, xcu250, 16x16 products, default accum_t) list per multiplier only
#: the product cast to accum_t (``trunc_ln708_*``, 16 bits), no operand register: ftag's 120 x 360 layer at RF 30
#: holds 1440 x 16 of its 40337 FF. Kept where the cast rounds or saturates (Berk-Bilgin's 24x8 products into
#: ap_fixed<24,16,AP_RND,AP_SAT>: about 92 FF per multiplier) and where the product cascades over two slices (no
#: report either way). docs/estimator.md "Resource dense and GRU designs: registers and the input slice".
RESOURCE_DSP_OPERAND_REGISTERS = False

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
#: Table-lookup activations: address arithmetic LUTs per element, where kernels.tables does not count them (ELU,
#: SELU, GELU, swish; an unknown input type; a table size that is not a power of two; TABLE_INDEX_LOGIC off).
LUT_PER_TABLE_LOOKUP = 30
#: sigmoid / tanh / softplus / softsign: the index arithmetic counted operation by operation from the input type and
#: table_size (kernels.tables.index_luts: the conversion towards zero, the offset, the clamp), priced as adders,
#: selects and compares are elsewhere. The per-module reports (freaksie 16,6 / 18,4 / 18,6 / 32,18 sigmoid, Vivado HLS
#: 2018.3; kimhaneal11 16,6, Vitis HLS 2022.1; uw-acme toptagging 16,6 / 18,8 sigmoid and the GRU cell's sigmoid /
#: tanh, Vivado HLS 2019.2) list 116-235 LUT per element where 30 was priced. False: LUT_PER_TABLE_LOOKUP for every
#: table kernel (the rule before; docs/estimator.md "Table activations: the index logic").
TABLE_INDEX_LOGIC = True
#: Comparators (max pooling, element-wise merge): one LUT per bit.
LUT_PER_COMPARE_BIT = 1.0
#: The Vitis HLS releases (first, last) that price a W-bit compare (``icmp``) as an adder, W + ADDER_LUT_OFFSET_BITS
#: LUTs (kernels.common.compare_luts). The Expression tables under ../shared/calibration/raw: every icmp row of
#: Vitis HLS 2023.1, 2023.2 and 2024.1 at W + 7 (SpAllen0726, abdennour-GUESSOUM, Lrozzy: 421 rows against a
#: constant, W >= 8, and 90 between two variables: 13 / 14 / 15 / 28 at 6 / 7 / 8 / 21 bits); Vitis HLS 2024.2 at W
#: or W + 1 (MinhNguy3n, 54 rows), Vitis HLS 2022.x at W - 3 (CestMerNeil, kimhaneal11, alex-yang-upenn: 503 rows;
#: 10-13 LUT at 6-16 bits, 18-20 at 32, between variables), Vivado HLS 2018.3-2020.1 mostly likewise (W - 3 in
#: 3148 of 4824 rows; 2019.1, jmduarte and kendermag, mostly W + 1), Vitis HLS 2021.1 at W - 9 (ArgyKokk). Elsewhere LUT_PER_COMPARE_BIT per bit stays
#: (W: between W - 3 and W + 1). hls4ml's max-pooling baselines (Vitis HLS 2023.1 / 2024.1, 16 bits: 39.0-39.2 LUT
#: per compare-select) agree with 23 + 16. No report of 2022.2 < release < 2023.1 or of 2025.x was read. None: the
#: rule off (every release at LUT_PER_COMPARE_BIT).
VITIS_COMPARE_AT_ADDER_PRICE_RELEASES: tuple[tuple[int, int], tuple[int, int]] | None = ((2023, 1), (2024, 1))
#: The select of a compare-and-select (max pooling, merge maximum / minimum: ``y = x > y ? x : y``): LUTs per
#: output bit. Vivado HLS's Expression tables price a W-bit ``select`` at W LUTs (RishThakkar, CestMerNeil pooling
#: modules, 10- and 16-bit); hls4ml's max-pooling baselines (16 bits) come to 29.2-31.4 LUT per compare-select
#: on Vivado HLS 2020.1 (13 + 16) and 39.0-39.2 on Vitis HLS 2023.1 / 2024.1 (23 + 16). 0 prices the compare alone
#: (the rule before: docs/estimator.md "Compare and select by tool version").
LUT_PER_SELECT_BIT = 1.0
#: Softmax: LUTs and FFs per element (LUTs: only where kernels.softmax does not count them: ``legacy``, ``argmax``,
#: SOFTMAX_LUT_COUNT off).
LUT_PER_SOFTMAX_ELEMENT = 145
#: Softmax ``latency`` / ``stable``: the LUTs counted operation by operation (kernels.softmax.softmax_luts: the sum
#: tree, the max tree, the subtractions and hls4ml 0.x's saturating cast, LUT multipliers where the products are
#: not on DSPs, the shift registers), from the per-module reports' Expression, Instance and Register tables
#: (docs/estimator.md "Softmax: the LUTs by implementation"). False: LUT_PER_SOFTMAX_ELEMENT for every softmax and
#: the products on DSPs unless ``-impl fabric`` (the rule before).
SOFTMAX_LUT_COUNT = True
#: ... and for hls4ml 1.x configs (``exp_table_size`` in the struct: the sum in ``accum_t``, an unsigned ``inp_norm_t``
#: without saturation). Off: no per-module report of a 1.x softmax exists to check the count on, and the one 1.x design
#: with a softmax in the held-out sets (Thifjj, Vitis HLS 2025.1, n = 3: 435 LUT priced, 179 counted) goes from 0.86x
#: to 0.81x of its reported LUT (extra_reports LUT median 16 -> 18 %).
SOFTMAX_LUT_COUNT_HLS4ML_1 = False
#: A softmax value held two or more cycles (kernels.softmax.shift_register_values) is a shift register the Register
#: table prices at 32 LUT (and 64 FF) whatever its width: all 563 such rows of 44 distinct softmax module reports
#: (10- to 18-bit values; Vivado HLS 2019.1-2020.1, Vitis HLS 2021.1). No Vitis HLS 2022.1-2023.2 softmax module
#: has one (alex-yang-upenn, CestMerNeil, abdennour-GUESSOUM: values waiting 2-3 cycles), hence the last release year.
SOFTMAX_SRL_LUTS = 32
SOFTMAX_SRL_LAST_VITIS_YEAR = 2021
FF_PER_SOFTMAX_ELEMENT = 215

# ---------------------------------------------------------------------------------------------- top level
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

# ---------------------------------------------------------------------------------------------- multiplexers
#: Vivado HLS 2018.2-2020.1 prices a Multiplexer-table row by its inputs alone, 6 x inputs - 3 LUTs whatever its width
#: (51433 of the 51587 rows of <= 8 inputs under ../shared/calibration/raw); 2016.4 and Vitis HLS price by width. The
#: rewound ReuseLoop's muxes per input element (multiplexers.rewind_mux_luts): four 2:1 (36: GuillaumeDerville,
#: nicologhielmetti, uw-acme, kendermag) or a 2:1 and a 3:1 (24: PYNQ_IA, Spehic); 30 is the middle.
MUX_LUT_PER_INPUT, MUX_LUT_BASE, REWIND_MUX_PER_INPUT = 6, 3, 30
#: A LUT6 selects among 4 data inputs: a k:1 operand multiplexer of wd bits costs wd x k / 4 LUTs (multiplexers.py).
MUX_INPUTS_PER_LUT = 4
#: The first Vitis HLS release year whose io_parallel PIPELINE top registers its ``ap_vld`` input word
#: (``<input>_preg``, n_in x width, plus ``<input>_ap_vld_preg``; top.input_port_ff). Read off the top reports'
#: register tables: every Vivado HLS PIPELINE top with the ``ap_vld`` input hls4ml writes has them (2018.3-2020.1:
#: freaksie, camillaMiao, Gabriele-bot Keras_only, Fiwo735, mbavier, manuelblancovalentin), as Vitis HLS
#: 2023.2-2024.2 (Lrozzy, MinhNguy3n, nycu-pcs-lab, rianbrooksflynn) and 2023.1 (dfurle/GNN_FPGA, held out);
#: Vitis HLS 2021.1 (ArgyKokk, 35 tops) and 2022.1 (kimhaneal11) make the same pragma an ``ap_none`` port with
#: no register. No report of 2022.2 has an ap_vld top, so 2023 is the first release after the evidence.
VITIS_INPUT_PORT_REGISTER_FROM_YEAR = 2023
#: Count the top's input port register (top_ports.input_port_ff) in the design's FF. Off: the count matches the
#: top reports' ``_preg`` rows on 63 of 66 stock io_parallel records, but on the four record sets it moves the
#: calibration median not at all, hls4ml's baselines 60 -> 58 % and the held-out extra_reports 31 -> 34 % (it adds
#: to designs already over-predicted): docs/estimator.md "The top's port registers".
TOP_INPUT_PORT_REGISTER = False
# ---------------------------------------------------------------------------------------------- recurrent layers
#: ``gru_stack`` / ``lstm_stack`` (io_parallel) copy each step's input out of the top's reshaped input word,
#: ``data[j + iloop * n_in]`` with the time index ``iloop`` variable where the time loop stays rolled (Vivado HLS
#: state-machine cell, recurrent.RecurrentEstimator): one variable right shift (``lshr``) of the whole
#: n_sequence x n_in x width word per input element j, which Vivado HLS 2019.2 prices at about
#: RECURRENT_SLICE_SHIFT_LUT whatever the word's width (uw-acme/HLS4ML_VS_MANUAL's gru_stack reports: toptagging
#: 18,8 6 shifts over 2160 bits, 13167 LUT of Expression; quickdraw 18,8 3 over 5400 bits, 6604). With
#: RECURRENT_SLICE_POW2_FORM, an element width that is a power of two adds a second shift and two gates (and,
#: select) over the word's bits per element (toptagging 16,6: 6 x (2 x 2171 + 2 x 1920) of its 49695 LUT).
RECURRENT_SLICE_SHIFT_LUT = 2171
RECURRENT_SLICE_POW2_FORM = True
