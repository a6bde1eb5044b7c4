"""yosys's netlists proven equal to the RTL they come from (SAT, yosys's own solver, Xilinx cells read as their
simulation models), and codesign's shift_adder proven equal to da4ml's over a sweep of its parameters."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

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


def _adder_cases() -> list[tuple[int, ...]]:
    """shift_adder parameters (BW_INPUT0, BW_INPUT1, SIGNED0, SIGNED1, BW_OUT, SHIFT1, IS_SUB): widths and shifts
    around the low-bit split, outputs as wide as the adder, one bit less, three less and one bit."""
    cases = []
    for b0, b1, s0, s1, sh, sub in itertools.product((1, 3, 6), (1, 4), (0, 1), (0, 1), range(-4, 5), (0, 1)):
        need0, need1 = b0 - min(sh, 0), b1 + max(sh, 0)
        bw_add = max(need0, need1) + sub + int(s0 != s1) + 1  # da4ml's BW_ADD
        cases += [(b0, b1, s0, s1, bo, sh, sub) for bo in sorted({bw_add, bw_add - 1, max(1, bw_add - 3), 1})]
    return cases


def _tops(cases: list[tuple[int, ...]]) -> str:
    out = []
    for name, mod in (("gold", "shift_adder_da4ml"), ("gate", "shift_adder")):
        ports = [f"input [{c[0] - 1}:0] a{k},\n input [{c[1] - 1}:0] b{k},\n output [{c[4] - 1}:0] y{k}"
                 for k, c in enumerate(cases)]  # fmt: skip
        body = [f"  {mod} #({', '.join(map(str, c))}) u{k} (a{k}, b{k}, y{k});" for k, c in enumerate(cases)]
        out.append(f"module {name}(\n" + ",\n".join(ports) + ");\n" + "\n".join(body) + "\nendmodule\n")
    return "\n".join(out)


@pytest.mark.slow
@needs_rtl
@needs_yosys
def test_shift_adder_is_proven_equal_to_da4mls(tmp_path):
    """codesign's shift_adder (low bits wired past the adder) against da4ml 0.6.0's, every parameter set of the
    sweep in one SAT proof; a variant that adds where it should subtract in the split adder is caught."""
    import da4ml

    from codesign.rtl import sim

    theirs = Path(da4ml.__file__).parent / "codegen" / "rtl" / "verilog" / "source" / "shift_adder.v"
    (tmp_path / "da4ml.v").write_text(theirs.read_text().replace("module shift_adder", "module shift_adder_da4ml"))
    cases = _adder_cases()
    (tmp_path / "tops.v").write_text(_tops(cases))
    ours = (sim.VERILOG / "shift_adder.v").read_text()
    assert len(cases) > 1000 and "low_bits_wired" in ours

    def proven(text: str) -> bool:
        (tmp_path / "ours.v").write_text(text)
        files = " ".join(str(tmp_path / f) for f in ("da4ml.v", "ours.v", "tops.v"))
        return _sat_equal(f"read_verilog -sv {files}; proc; flatten; opt_clean; miter -equiv -make_assert gold gate "
                          "miter; hierarchy -top miter; flatten; opt_clean; sat -verify -prove-asserts miter")  # fmt: skip

    assert proven(ours)
    wrong = ours.replace("in0_ext[BW_ADD-1:LOW] - in1_ext", "in0_ext[BW_ADD-1:LOW] + in1_ext")
    assert wrong != ours and not proven(wrong)
