"""RTL route: a quantized Keras model as Verilog through da4ml, checked bit for bit in Verilator, counted by yosys.

Only this package imports da4ml (as :mod:`codesign.hls` is the only module that imports hls4ml).
:mod:`codesign.rtl.trace` builds da4ml's combinational graph from the QKeras weights and quantizers,
:mod:`codesign.rtl.sim` writes the Verilog project and runs it in Verilator, :mod:`codesign.rtl.yosys` maps it
to LUTs and flip-flops, :mod:`codesign.rtl.flow` ties them together for ``codesign build --rtl``.
"""
