"""The report.md section of ``--rtl``: the RTL figures beside the HLS estimate (and C-synthesis), with ratios."""

from __future__ import annotations

from typing import Any

_FIGURES = ("latency_cycles", "latency_ns", "ii_cycles", "lut", "ff", "dsp", "bram_18k")


def _ratio(a: Any, b: Any) -> str:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return f"{a / b:.3g}"
    return ""


def _cell(v: Any) -> str:
    if v is None:
        return ""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def rtl_section(rtl: dict, est: dict | None, syn: dict | None) -> list[str]:
    """Markdown lines: verdict, where the files are, RTL vs HLS estimate (vs C-synthesis) per figure."""
    est = est or {}
    csynth = (syn or {}).get("csynth") if isinstance((syn or {}).get("csynth"), dict) else None
    exact = "yes" if rtl.get("bit_exact") else "NO"
    lines = ["## RTL (da4ml -> Verilog, Verilator, yosys)", ""]
    if rtl.get("error"):
        return lines + [f"Not built: {rtl['error']}", ""]
    lines.append(f"Bit-exact in Verilator: {exact} ({rtl.get('n_mismatch')} of {rtl.get('n_samples')} inputs differ"
                 + (f"; first: {rtl['first_mismatch']}" if rtl.get("first_mismatch") else "") + ").")  # fmt: skip
    lines.append(f"Verilog: `{rtl.get('verilog_dir')}` (top `{rtl.get('top')}`), Verilator testbench: "
                 f"`{rtl.get('testbench')}`, Vivado: `source {rtl.get('vivado_tcl')}`.")  # fmt: skip
    lines.append(f"Pipelined for {rtl.get('clock_ns')} ns: latency {rtl.get('latency_cycles')} cycles "
                 f"({rtl.get('latency_ns')} ns), II {rtl.get('ii_cycles')}.")  # fmt: skip
    tools = ", ".join(f"{k} {v}" for k, v in (rtl.get("tools") or {}).items() if v)
    lines += [f"Tools: {tools}.", ""]
    header = ["figure", "RTL", "HLS estimate", "RTL / HLS estimate"]
    if csynth:
        header += ["C-synthesis", "RTL / C-synthesis"]
    rows = []
    for fig in _FIGURES:
        r = rtl.get(fig)
        e = est.get(fig)
        row = [fig, _cell(r), _cell(e), _ratio(r, e)]
        if csynth:
            c = csynth.get(fig)
            row += [_cell(c), _ratio(r, c)]
        rows.append(row)
    rows.append(["carry cells", _cell(rtl.get("carry")), "", ""] + (["", ""] if csynth else []))
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines.append("")
    lines.append("RTL LUT/FF/carry: yosys `synth_xilinx -family xcup -flatten` (not Vivado); "
                 f"da4ml's own estimate: {rtl.get('da4ml_estimate')}.")  # fmt: skip
    for note in rtl.get("notes") or ():
        lines.append(f"- {note}")
    lines.append("")
    return lines
