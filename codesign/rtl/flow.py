"""``codesign build --rtl``: trace, write, Verilator-check and (with yosys) count the RTL of the firmware model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from codesign.precision import FixedPrecision
from codesign.reference import reference_outputs
from codesign.rtl import sim, trace, yosys

YOSYS_HINT = "yosys not on PATH: LUT/FF/carry counts skipped (apt-get install yosys)"


def _first_mismatch(got: np.ndarray, ref: np.ndarray) -> dict | None:
    bad = np.argwhere(got != ref)
    if len(bad) == 0:
        return None
    i, j = (int(v) for v in bad[0])
    return {"sample": i, "output": j, "rtl": float(got[i, j]), "reference": float(ref[i, j])}


def _vivado_tcl(rtl_dir: Path) -> str:
    return "\n".join([
        "# Add the codesign/da4ml RTL to an open Vivado project: source rtl/add_to_vivado.tcl",
        "set rtl_dir [file dirname [file normalize [info script]]]",
        "add_files [glob $rtl_dir/src/static/*.v] [glob $rtl_dir/src/*.v]",
        f"set_property top {sim.TOP}_wrapper [current_fileset]",
        "set mem [glob -nocomplain $rtl_dir/src/memfiles/*]",
        "if {[llength $mem]} { add_files $mem }",
        f"read_xdc $rtl_dir/src/{sim.TOP}.xdc",
        "",
    ])  # fmt: skip


def build(
    model: Any, input_precision: FixedPrecision, x: np.ndarray, out_dir: Path, *, clock_ns: float, part: str
) -> dict:
    """Write ``out_dir``/rtl, simulate ``x`` in Verilator against the float64 reference; the report's rtl section.

    Raises ToolError (da4ml/verilator missing or failing) and SpecError (a layer the route does not support).
    """
    start = time.perf_counter()
    tool_versions: dict[str, str | None] = dict(sim.versions())  # ToolError first: nothing is done without them
    sim.verilator_env()
    trace.check_supported(model)
    rtl_dir = out_dir / "rtl"
    log_dir = rtl_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    inp, out = trace.trace(model, input_precision)
    design = sim.write(inp, out, rtl_dir, clock_ns=clock_ns, part=part)
    (rtl_dir / "add_to_vivado.tcl").write_text(_vivado_tcl(rtl_dir))
    seconds = {"trace_and_write": round(time.perf_counter() - t0, 2)}
    t0 = time.perf_counter()
    got, sim_s = sim.compile_and_run(design, np.asarray(x).reshape(len(x), -1), log_dir)  # the harness is flat
    seconds["verilate"] = round(time.perf_counter() - t0 - sim_s, 2)
    seconds["simulate"] = round(sim_s, 4)
    ref_parts = reference_outputs(model, x)
    ref_parts = ref_parts if isinstance(ref_parts, list) else [ref_parts]
    ref = np.concatenate([np.asarray(r, np.float64).reshape(len(x), -1) for r in ref_parts], axis=1)
    got = got.reshape(ref.shape)
    np.savez_compressed(rtl_dir / "verilator_results.npz", inputs=x, rtl=got, reference=ref)
    n_bad = int(np.sum(np.any(got != ref, axis=1)))
    counts: dict[str, Any] = {"lut": None, "ff": None, "carry": None, "dsp": None, "bram_18k": None, "uram": None}
    notes = []
    if design.dsp_stages:
        notes.append(
            f"latency: {design.dsp_stages} variable products timed as one DSP48E2 stage each at "
            f"{clock_ns} ns (codesign/rtl/timing.py, DS923 FMAX_NOPIPELINEREG), not as da4ml's adder chains"
        )
    if yosys.available():
        syn = yosys.synthesize(rtl_dir, f"{sim.TOP}_wrapper", log_dir)
        seconds["yosys"] = syn.pop("seconds")
        counts.update(syn)
        tool_versions["yosys"] = yosys.version()
    else:
        tool_versions["yosys"] = None
        notes.append(YOSYS_HINT)
    seconds["total"] = round(time.perf_counter() - start, 2)
    return {
        "verilog_dir": "rtl/src",
        "testbench": "rtl/sim",
        "vivado_tcl": "rtl/add_to_vivado.tcl",
        "results": "rtl/verilator_results.npz",
        "top": f"{sim.TOP}_wrapper",
        "bit_exact": n_bad == 0,
        "n_samples": int(len(x)),
        "n_mismatch": n_bad,
        "first_mismatch": _first_mismatch(got, ref),
        **counts,
        "da4ml_estimate": {"lut": round(design.cost_lut, 1), "ff": design.reg_bits},
        "operators": {"multipliers": design.multipliers, "lookup_tables": design.lookup_tables},
        "latency_cycles": design.latency_cycles,
        "latency_ns": round(design.latency_cycles * clock_ns, 3),
        "clock_ns": float(clock_ns),
        "ii_cycles": design.ii_cycles,
        "ii_ns": round(design.ii_cycles * clock_ns, 3),
        "samples_per_s_verilator": round(len(x) / sim_s, 1) if sim_s > 0 else None,
        "tools": tool_versions,
        "seconds": seconds,
        "notes": notes,
    }
