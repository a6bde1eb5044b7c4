"""io_stream and recurrent constants: the stream loops' cycles and area, convolution windows, pooling, FIFOs
and the LSTM/GRU step, each with the records it was read off. Many are structural values for parts of the model
with no (or too little) per-layer data: they set the order of magnitude; the benchmark's io_stream figures show
how far that goes.

Read by the estimator as ``constants.NAME`` (the package re-exports them; patch them there, see ``__init__``).
"""

# ---------------------------------------------------------------------------------------------- element-wise
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
#: A sequential io_stream dense layer of one input word (hls4ml 0.x; kernels.dense.pipelined_stream_dense for 1.x):
#: its read and its write are states of their own around the kernel, latency = kernel + 1 (the word) + this.
#: abdennour-GUESSOUM (Vitis 2023.2): dense function 3 cycles around a 1-cycle ``dense_latency_wrapper`` instance.
#: Per layer, io_stream dense reports of one word (0 before): Latency RF = 1 exact 16 -> 26 % of 19, Resource RF > 1
#: 32 -> 36 % of 25 (within one cycle 76 -> 84 %); nicologhielmetti's record 76 -> 77 cycles for 78.
STREAM_DENSE_WORD_STATES = 1
#: io_stream element-wise layers: read, compare-select and write of one word take
#: max(1, cycles(T_STREAM_WORD_NS x delay factor)). Single-word relu reports: 1 cycle on UltraScale+ (CestMerNeil
#: Vitis 2022.1, RishThakkar Vivado 2019.2) and at 8.75 ns on 7-series -1 (nicologhielmetti), 2 at 4.38 ns on
#: 7-series -1 (kendermag, RishThakkar, Spehic): 3.65 < T <= 4.38, and the W > 1 reports above agree (W + 2 + it),
#: except uw-acme (7-series -2 at 2.91 ns: 1 cycle where the rule says 2). The middle of the bounds.
T_STREAM_WORD_NS = 4.0
#: io_stream element-wise layers, one word (``pack`` elements) per cycle: FF per word bit (relu reports of kendermag,
#: RishThakkar, CestMerNeil); LUT: kernels.multiplexers.stream_wrapper_luts (was 8 per word bit: 0.73x held out).
STREAM_FF_PER_BIT = 3
#: io_stream padding/repacking: control LUTs/FFs. zeropad2d_cl / resize_nearest: latency = interval = output pixels +
#: PAD2D / RESIZE (Vivado HLS 2019.x: zeropad2d 8 of 8 reports, ChiRuiChen, kendermag, mbavier; resize 3 of 3, ChiRuiChen).
STREAM_COPY_LUT = STREAM_COPY_FF = 100
STREAM_PAD2D_CYCLES, STREAM_RESIZE_CYCLES = 3, 2

# ---------------------------------------------------------------------------------------------- conv/pool
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
#: (CestMerNeil) and Vivado HLS 2019.1-2020.1 reach II 1. Only where the per-pixel step is a function of its own
#: (``compute_output_buffer_1d/2d``, INLINE OFF): the depthwise step is inlined and keeps its target (hls4ml's
#: Vitis 2024.1 DepthwiseConv1D / 2D baselines: one pixel a cycle).
STREAM_CONV_RECURRENCE_SLACK = 2
#: io_stream pooling reads each input pixel in two cycles (abdennour-GUESSOUM, CestMerNeil, kendermag,
#: ChiRuiChen, Spehic pooling reports: latency ~ 2 x in_height x in_width).
POOL_STREAM_CYCLES_PER_PIXEL = 2
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
#: io_stream FIFOs deeper than this go to BRAM (512 x 36 words per BRAM18), shallower ones to SRL LUTs.
#: hls4ml sizes each conv/pool output FIFO to its number of output pixels. Not fitted: the Vivado/Vitis
#: default SRL threshold is in this range; checked against the io_stream records' BRAM totals.
FIFO_SRL_MAX_DEPTH = 64

# ---------------------------------------------------------------------------------------------- recurrent
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
#: (c) Vivado HLS 2019.2, hls4ml 1.0.0, Resource strategy, so a DATAFLOW top: the cell is not pipelined (hls4ml's
#: gru_static has no PIPELINE pragma, and no pipelined top reaches it). Read from the per-module reports of one
#: design, uw-acme/HLS4ML_VS_MANUAL toptagging (GRU(20) over 20 steps of 6 inputs, benchmarks/data/
#: recurrent_reports.jsonl): ``gru_static`` 38-39 cycles with dense RF 30 / RF 20 (31-32 / 20-21 cycles, side by
#: side), 8 cycles at RF 1 (1 / 1): in both the dense pair + sigmoid 1 + tanh 1 + 2 product stages (DSP
#: mac_muladd, the gate sums on their adders) + 3 call states. ``gru_stack``'s loop: iteration = the cell + 2 at
#: RF 30 (41 = 39 + 2; 11 = 8 + 3 at RF 1), trip count 20, then one exit state (821 = 20 x 41 + 1, 221 = 20 x 11
#: + 1). Counts of the schedule, not fitted; checked on the ftag and quickdraw designs, whose module reports were
#: not read (docs/estimator.md, "Stock recurrent reports").
RECURRENT_FSM_LOOP_CYCLES = 2
RECURRENT_FSM_EXIT_CYCLES = 1
