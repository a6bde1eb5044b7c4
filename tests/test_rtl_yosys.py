"""yosys's netlists proven equal to the RTL they come from (SAT, yosys's own solver, Xilinx cells read as their
simulation models)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests import hls_models
from tests.test_rtl import PREC, needs_rtl, tie_mlp

needs_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not on PATH (apt-get install yosys)")


def _sat_equal(script: str) -> bool:
    """Run a yosys script that ends in ``sat -verify``: True when proven, False when the proof fails."""
    run = subprocess.run(["yosys", "-q", "-p", script], capture_output=True, text=True, timeout=900)
    if run.returncode and "proof did fail" not in run.stdout + run.stderr:
        raise AssertionError(f"yosys equivalence script failed: {run.stdout[-2000:]}{run.stderr[-2000:]}")
    return run.returncode == 0


def _prove_stage(src, stage: str, gold_text: str, tmp_path) -> bool:
    """Whether yosys's SAT solver proves the mapped netlist of one (combinational) pipeline stage equal to the
    RTL ``gold_text`` of that stage, with the Xilinx cells read as their simulation models."""
    from codesign.rtl import yosys

    static = " ".join(str(p) for p in sorted((src / "static").glob("*.v")) if p.name != "lookup_table.v")
    gold = tmp_path / f"{stage}_gold.v"
    gold.write_text(gold_text)
    script = "; ".join([
        f"read_verilog -sv {static} {src / (stage + '.v')}", yosys.synth_script(stage), f"rename {stage} gate",
        "design -stash gate", f"read_verilog -sv {static} {gold}", f"hierarchy -top {stage}", "proc", "flatten",
        f"rename {stage} gold", "design -stash gold", "design -copy-from gold -as gold gold",
        "design -copy-from gate -as gate gate", "read_verilog +/xilinx/cells_sim.v",
        "miter -equiv -make_assert gold gate miter", "hierarchy -top miter", "flatten", "opt_clean",
        "sat -verify -prove-asserts miter",
    ])  # fmt: skip
    return _sat_equal(script)


@pytest.mark.slow
@needs_rtl
@needs_yosys
def test_yosys_netlist_is_proven_equal_to_the_rtl(tmp_path):
    """The netlist the LUT count comes from (codesign's synth_xilinx script, without alumacc) computes what the
    Verilog says: a SAT proof per pipeline stage of the tiny MLP; and the proof fails against a changed stage."""
    from codesign.rtl import sim, trace

    inp, out = trace.trace(tie_mlp(), PREC)
    design = sim.write(inp, out, tmp_path / "rtl", clock_ns=5.0, part=hls_models.PART)
    src = tmp_path / "rtl" / "src"
    stages = sorted(p.stem for p in src.glob(f"{sim.TOP}_stage*.v"))
    assert len(stages) == design.latency_cycles >= 2
    for stage in stages:
        assert _prove_stage(src, stage, (src / f"{stage}.v").read_text(), tmp_path), stage
    text = (src / f"{stages[0]}.v").read_text()
    changed, n = re.subn(r"(shift_adder #\([^)]*), 0\) op_", r"\1, 1) op_", text, count=1)  # IS_SUB: + -> -
    assert n == 1  # the negative control needs an adder to turn into a subtractor
    assert not _prove_stage(src, stages[0], changed, tmp_path)
