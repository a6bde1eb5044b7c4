"""Constants of the analytical model, each with where it comes from.

Calibration set: ``../shared/calibration/hls_reports.jsonl`` and its per-layer ``*_csynth.rpt`` files.
"Stock io_parallel" means records without the ``custom_or_modified_hls4ml`` flag whose layers are
``io_parallel``: ArgyKokk/hls4ml_MLP_estimator (35 records, Vitis HLS 2021.1, one sweep),
kimhaneal11/hls4ml_practice (1, Vitis 2022.1), Lrozzy/hls4ml-tutorial (1, Vitis 2024.1),
MinhNguy3n/hls4ml-tutorial (1, Vitis 2024.2), MuhammadAshraful/CNN-in-FPGA-hls4ml (1, Vitis 2024.1),
fastmachinelearning/hls4ml (4, Vivado HLS 2016.4/2018.2). Fits weight each repository equally so one
sweep cannot dominate; the values were then rounded. ``benchmarks/estimator_accuracy.py`` re-checks them
with leave-one-repository-out cross-validation.
"""

# ---------------------------------------------------------------------------------------------- clock
#: Default clock uncertainty as a fraction of the period (Vitis HLS 27 %, Vivado HLS 12.5 %; UG1399/UG902,
#: and the value hls4ml's build_prj.tcl sets). Not fitted.
VITIS_DEFAULT_UNCERTAINTY = 0.27
VIVADO_DEFAULT_UNCERTAINTY = 0.125

# ---------------------------------------------------------------------------------------------- multipliers
#: Default mapping: fraction of non-zero constant products put on DSPs, a logistic in the narrower operand
#: width. Anchors: 16-bit x 16-bit (hls4ml tutorial part 1, published.md: 2774 DSP for ~4.4k products = 0.63),
#: 18-bit (fastmachinelearning/hls4ml keras-to-hls reuse1: 163 DSP / 352 products = 0.46), 6-bit weights
#: (kimhaneal11 per-layer: 38 / 626 = 0.06) and 7-9-bit (MinhNguy3n: 2 / ~900 = 0.002).
DSP_MAX_FRACTION = 0.65
DSP_WIDTH_CENTER = 10.0
DSP_WIDTH_SCALE = 1.2
#: With ``config_op mul -impl dsp``: HLS still folds trivial constants (powers of two, small values) into
#: logic. Median per-layer DSP / non-zero products of the ArgyKokk ``DSP_reuse*`` projects (8-bit weights).
DSP_FORCED_FRACTION = 0.25
#: LUTs per (data bit x weight bit) of a product left in logic, on top of its adder-tree share.
#: ArgyKokk fabric-vs-dsp pairs of the same layer: (LUT_fabric - LUT_dsp) / (DSP * wd * ww).
LUT_PER_MUL_BIT2 = 0.9

# ---------------------------------------------------------------------------------------------- adder trees
#: LUTs per partial-sum bit per non-zero product (one adder bit per term of the tree, plus sign extension
#: and the constant-multiply shift-adds that HLS merges into it). Per-layer dense reports, stock io_parallel.
LUT_PER_SUM_BIT = 1.2
#: Delay of one adder-tree level and of a product, in ns (per-layer dense latencies of stock io_parallel).
T_ADD_NS = 2.6
T_MUL_NS = 2.0

# ---------------------------------------------------------------------------------------------- registers
#: FFs per partial-sum bit per non-zero product, for a layer of 4+ cycles (each cycle boundary registers
#: the live partial sums; a 1-cycle layer registers only its outputs). Per-layer dense reports.
FF_PER_SUM_BIT = 1.2
FF_SATURATION_STAGES = 3

# ---------------------------------------------------------------------------------------------- activations
#: ReLU and friends: one comparator+mux LUT per output bit. Per-layer relu reports (kimhaneal11, Lrozzy,
#: MinhNguy3n, ArgyKokk): median LUT / (n_in x output width).
LUT_PER_RELU_BIT = 1.0
#: Table-lookup activations: address arithmetic LUTs per element; BRAM18 per two lookups per table.
LUT_PER_TABLE_LOOKUP = 30
#: Softmax (stable): fixed delay (max tree, exp lookup, sum, inverse lookup, multiply), ns.
T_SOFTMAX_NS = 30.0

# ---------------------------------------------------------------------------------------------- top level
#: io_parallel top: cycles added per layer call and once for the top function (I/O registers).
TOP_CYCLES_PER_CALL = 1
TOP_CYCLES_FIXED = 1
