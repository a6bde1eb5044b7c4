"""LUT / flip-flop / carry counts of the da4ml Verilog from yosys ``synth_xilinx`` (UltraScale+, flattened).

The script is ``synth_xilinx``'s own, run in two parts around its ``coarse`` section, which is repeated without
``alumacc`` (:data:`COARSE_NO_ALUMACC`; yosys's generic ``synth`` has this as ``-noalumacc``, ``synth_xilinx``
0.23 has no switch for it). ``alumacc`` merges chains of additions into ``$macc`` cells whose carry-save mapping
takes LUT3-LUT6 per bit on top of the carry chains; da4ml's shift-add trees are already the adders to build, and
without it each maps to one carry chain (one LUT per bit), as da4ml's own estimate assumes.
"""

from __future__ import annotations

import re
from pathlib import Path

from codesign import tools

_CELL = re.compile(r"^\s+(\S+)\s+(\d+)\s*$")
# synth_xilinx's coarse section (yosys 0.23, LUT6 parts) less alumacc: $add/$sub stay adders, $alu per adder
COARSE_NO_ALUMACC = "techmap -map +/cmp2lut.v -map +/cmp2lcu.v -D LUT_WIDTH=6; share; opt; memory -nomap; opt_clean"


def synth_script(top: str) -> str:
    """The yosys commands that map the read design (top module ``top``) to UltraScale+ cells, then ``stat``."""
    synth = f"synth_xilinx -family xcup -flatten -top {top}"
    return f"{synth} -run begin:coarse; {COARSE_NO_ALUMACC}; {synth} -run map_memory:; stat"


def available() -> bool:
    """Whether yosys is on PATH."""
    return tools.which("yosys") is not None


def version() -> str | None:
    """``yosys -V`` first line, or None when yosys is missing."""
    if not available():
        return None
    import subprocess

    out = subprocess.run(["yosys", "-V"], capture_output=True, text=True, timeout=60).stdout.strip()
    return out.splitlines()[0] if out else None


def parse_stat(text: str) -> dict[str, int]:
    """{lut, ff, carry, dsp, bram_18k, uram} summed over the cells of yosys' last ``stat`` block.

    An INV is a LUT1 in Vivado; a RAMB36 counts as two 18k block RAMs.
    """
    block = text.rsplit("Number of cells:", 1)[-1]
    lut = ff = carry = dsp = bram = uram = 0
    for line in block.splitlines():
        m = _CELL.match(line)
        if not m:
            continue
        cell, n = m.group(1), int(m.group(2))
        if re.fullmatch(r"LUT[1-6]|INV", cell):
            lut += n
        elif re.fullmatch(r"FD[A-Z]*", cell):
            ff += n
        elif re.fullmatch(r"CARRY[48]", cell):
            carry += n
        elif re.fullmatch(r"DSP48E\d?", cell):
            dsp += n
        elif re.fullmatch(r"RAMB(18|36)E\d", cell):
            bram += 2 * n if cell.startswith("RAMB36") else n
        elif re.fullmatch(r"URAM288\w*", cell):
            uram += n
    return {"lut": lut, "ff": ff, "carry": carry, "dsp": dsp, "bram_18k": bram, "uram": uram}


def synthesize(rtl_dir: Path, top: str, log_dir: Path, timeout_s: float = 1800) -> dict[str, int | float]:
    """Run ``synth_xilinx -family xcup -flatten`` (:func:`synth_script`) on the project; {lut, ff, carry, seconds}
    (ToolError on failure)."""
    tools.require("yosys", "count the RTL's LUTs and flip-flops")
    rtl_dir, log_dir = Path(rtl_dir).resolve(), Path(log_dir).resolve()
    mem = rtl_dir / "src" / "memfiles"
    has_tables = mem.is_dir() and any(mem.iterdir())
    # da4ml's lookup_table.v defaults its $readmemh file to a placeholder yosys cannot open: read it only when
    # the design has tables, from the folder their memory files are in
    static = [p for p in (rtl_dir / "src" / "static").glob("*.v") if has_tables or p.name != "lookup_table.v"]
    files = sorted(str(p) for p in static) + sorted(str(p) for p in (rtl_dir / "src").glob("*.v"))
    # -defer: each table module is elaborated with its own MEM_FILE, not the placeholder; da4ml's rom_style
    # attribute is an expression yosys's memory mapper rejects ("no valid mapping"), so it is dropped and
    # synth_xilinx picks the ROM's cells itself
    read = f"read_verilog -sv {' '.join(files)}"
    if has_tables:
        read = f"read_verilog -defer -sv {' '.join(files)}; hierarchy -top {top}; setattr -unset rom_style m:*"
    script = f"{read}; {synth_script(top)}"
    run = tools.run(
        ["yosys", "-q", "-p", script, "-l", str(log_dir / "yosys.log")],
        cwd=mem if has_tables else rtl_dir / "src",
        log=log_dir / "yosys_console.log",
        timeout_s=timeout_s,
    )
    counts = parse_stat((log_dir / "yosys.log").read_text())
    return {**counts, "seconds": round(run.seconds, 2)}
