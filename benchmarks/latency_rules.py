"""Candidate structural latency rules, each judged as ``estimator_accuracy.py`` judges the estimator.

Every variant patches the model for the length of one leave-one-repository-out run (scale constants refitted
per fold, repositories capped), and is printed against the shipped model: stock io_parallel latency within
2 cycles, median / p90 latency error, LUT / FF / DSP median / p90, II exact, per-layer exact rates, and the
per-repository before -> after of ``estimator_compare.py``. None of these rules is in the estimator: this
script keeps the evidence for why (docs/estimator.md, sixth round). Variants:

- ``datasheet``: the 7-series delay factor from the DSP48E1 maximum frequency of the part's fabric class and
  speed grade, relative to Artix-7 -2 (Artix-7 and Zynq-7000 7z007s-7z020 are Artix-7 fabric; Kintex-7,
  Virtex-7 and Zynq 7z030 and up are Kintex-7 fabric); UltraScale(+) unchanged.
- ``datasheet+tadd2.5``: the same with the adder delay at 2.5 ns instead of 2.8 (inside the 2.4-2.9 ns
  plateau constants.T_ADD_NS was chosen on), the largest value at which two adders fit a 5 ns Vivado HLS
  cycle on a Virtex-7 -2 part under that factor.
- ``datasheet+tadd2.5 (2017+)``: the same, only for Vivado/Vitis HLS 2017 and later.
- ``registered-multiplier``: a multiplier longer than a cycle delivers its product from its output register
  (the next operation starts a cycle later) instead of chaining into its last cycle.
- ``dsp-us+ F`` (F = 0.5, 0.6, 0.69): the DSP multiplier's delay on UltraScale+ is F x the 7-series -2 one
  (hardware.dsp_delay_factor), the logic's stays 0.2. The bounds come from the multiplier cores' stage counts
  (benchmarks/multiplier_cores.py): Vivado HLS 2020.1 pipelines an UltraScale+ DSP product at 1.75 ns effective
  (F > 0.5), Vitis HLS 2022.2 keeps it combinational at 2.43 ns (F <= 0.69).
- ``mul-output-registered`` (``vivado`` / ``all``): a pipelined multiplier core registers its product only, as
  Vivado HLS's generic ``mul`` cores on 7-series -1 at 5 ns do (2 stages where the model's registered-input form
  gives 3): the product chains from where the schedule stands and crosses the boundaries its delay reaches.
  ``vivado-constant``: only the constant-weight products of the unrolled (Latency-strategy) kernel, whose
  reports bind generic ``mul`` cores of 2 stages, while the Resource strategy's ROM-fed products bind
  ``mul_mul`` DSP48 cores of 3 (Gabriele-bot/PYNQ_IA and GuillaumeDerville, Vivado HLS 2020.1, xc7z020-1, 5 ns).
- ``dsp-grade1 1.3``: the DSP delay at speed grade -1 is 1.3x the -2 one (the logic's stays 1.2): every Vivado and
  Vitis HLS report on a 7-series -1 part at 5 ns pipelines its DSP products (factor > 1.25), at 10 ns not.
- ``alloc-offset-vivado N``: constants.ALLOC_TAIL_OFFSET_VIVADO = N (it was read with the registered-input
  product; one cycle less of product depth wants one less of offset).
- ``iter-base+1``: constants.RESOURCE_ITER_BASE_CYCLES one higher (the Resource iteration's cycle back, with the
  output-registered core).

- ``kintex-fabric F``: the logic delay factor x F on Kintex-7-fabric 7-series parts only (Virtex-7, Kintex-7, Zynq
  7z030 and up), the DSP factor and every other part unchanged (two 16-bit adders per 4.38 ns cycle at F <= 0.78,
  as freaksie's Virtex-7 layers schedule them).
- ``postadd-vivado`` / ``postadd-vitis``: where the build script sets ``config_schedule -enable_dsp_full_reg=false``
  (hardware.dsp_full_reg), an unrolled kernel's DSP product takes its first adder level (the DSP48 post-adder):
  constants.DSP_POSTADDER_CHAIN_VIVADO / _VITIS.
- ``resource-product-add``: with that flag false, a Resource iteration's LUT product chains the add of its block's
  products (multscale >= 2), as GuillaumeDerville's register tables show (no product register; Vivado HLS 2020.1,
  xc7z020-1, 5 ns), where PYNQ_IA (flag at its default, same tool, part and clock) registers every product:
  constants.RESOURCE_PRODUCT_ADD_CHAIN.
- ``resource-product-registered``: Vivado HLS registers a Resource iteration's one-cycle product before its adds
  (PYNQ_IA's and Spehic's ``mul_ln1118_*_reg``): constants.RESOURCE_PRODUCT_REGISTERED_VIVADO.

- ``product-live-bits``: a dense/conv product keeps only the operand bits that reach its wrapping ``accum_t``
  (I_acc + F_data + F_weight; kernels.common.live_operand_widths): constants.PRODUCT_LIVE_BITS.

- ``softmax-latency-registers-vivado N``: Vivado HLS keeps N table-read registers in the ``latency`` softmax
  implementation on a device faster than 7-series (the shipped model keeps none there; Vitis HLS keeps
  constants.SOFTMAX_TABLE_REGISTERS): the io_parallel latency-softmax reports on UltraScale+ are of records flagged
  custom (docs/estimator.md, tenth round).
- ``vitis2022.2-floor F``: with Vitis HLS 2022.2 and later, the logic delay factor of a device faster than 7-series is
  at least F (instead of constants.DELAY_FACTOR_ULTRASCALE_PLUS, read off Vitis HLS 2022.1 and 2024.1 reports): the
  dense, convolution and softmax layers of alex-yang-upenn (2022.2) and abdennour-GUESSOUM (2023.2) are 1-5 cycles
  longer than modelled; the DSP factor is unchanged (docs/estimator.md, tenth round).
- ``softmax-floor-vitis F``: with Vitis HLS the softmax chain's delay factor is at least F instead of
  constants.SOFTMAX_MIN_DELAY_FACTOR (Vivado HLS keeps it); a narrow input keeps the device's factor.

Names combine (``mul-output-registered vivado dsp-us+ 0.6 dsp-grade1 1.3``): each part applies its patch.

Usage::

    .venv/bin/python benchmarks/latency_rules.py [--calibration DIR] [--only NAME] [--per-repository]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import estimator_accuracy as EA  # noqa: E402
import estimator_compare  # noqa: E402

from codesign.estimate import constants as K  # noqa: E402
from codesign.estimate import hardware as H  # noqa: E402
from codesign.estimate import network as N  # noqa: E402
from codesign.estimate.kernels import activation as KA  # noqa: E402
from codesign.estimate.kernels import dense as KD  # noqa: E402

#: DSP48E1 maximum frequency (MHz, all pipeline registers used) by fabric class and speed grade, as the 7-series
#: data sheets list it (DS181 Artix-7 / DS187 Zynq-7000 7z007s-7z020; DS182 Kintex-7 / DS183 Virtex-7 / DS187
#: Zynq-7000 7z030 and up). Quoted from memory of those tables, not re-read here: the ratios are what is used.
DSP48E1_FMAX_MHZ = {
    ("artix", 1): 464.25,
    ("artix", 2): 550.66,
    ("artix", 3): 628.93,
    ("kintex", 1): 561.48,
    ("kintex", 2): 650.20,
    ("kintex", 3): 741.84,
}
_ORIGINAL_DELAY_FACTOR = H.delay_factor
_ORIGINAL_CHAIN_CYCLES = H.chain_cycles


def fabric_class(family: str, full_name: str) -> str:
    """``kintex`` for Kintex-7-fabric parts (Kintex-7, Virtex-7, Zynq 7z030 and up), else ``artix``."""
    if family in ("virtex7", "kintex7"):
        return "kintex"
    m = re.match(r"xc7z(\d{3})", full_name.strip().lower())
    return "kintex" if m and int(m.group(1)) >= 30 else "artix"


def datasheet_delay_factor(family: str, full_name: str) -> float:
    """7-series: Artix-7 -2 DSP48E1 Fmax over the part's (its speed grade, -2 when unknown); else the shipped factor."""
    if not full_name.lower().startswith("xc7"):
        return _ORIGINAL_DELAY_FACTOR(family, full_name)
    grade = H.speed_grade(full_name) or 2
    fmax = DSP48E1_FMAX_MHZ[(fabric_class(family, full_name), min(max(grade, 1), 3))]
    return DSP48E1_FMAX_MHZ[("artix", 2)] / fmax


def registered_chain_cycles(delays_ns: list[float], effective_ns: float, *, registered_inputs: bool = True) -> int:
    """hardware.chain_cycles, but a multi-cycle operation's result leaves its output register: nothing chains after it
    (its inputs registered whatever ``registered_inputs`` says)."""
    cycles, used = 0, 0.0
    for d in delays_ns:
        if used + d <= effective_ns + 1e-9:
            used += d
        elif d > effective_ns:
            cycles += math.ceil(d / effective_ns - 1e-9)
            used = effective_ns
        else:
            cycles += 1
            used = d
    return cycles


def _kintex_fabric_factor(scale: float) -> Callable[[str, str], float]:
    """The shipped logic factor, times ``scale`` on Kintex-7-fabric 7-series parts (fabric_class); DSP factor untouched."""

    def factor(family: str, full_name: str) -> float:
        base = _ORIGINAL_DELAY_FACTOR(family, full_name)
        is_7series = full_name.lower().startswith("xc7")
        return base * scale if is_7series and fabric_class(family, full_name) == "kintex" else base

    return factor


@contextmanager
def _delay_factor(fn: Callable[[str, str], float]) -> Iterator[None]:
    with ExitStack() as stack:
        for module in (H, N, EA):
            stack.enter_context(mock.patch.object(module, "delay_factor", fn))
        yield


@contextmanager
def _from_year(first_year: int) -> Iterator[None]:
    """Undo the patched delay factor for records (and their per-layer rows) of tools older than ``first_year``."""
    old_settings, old_rows = N.estimate_settings, EA.layer_rows

    def settings(s: dict, part=None):
        if (H.tool_year(s.get("hls_tool_version")) or 0) >= first_year:
            return old_settings(s, part)
        with _delay_factor(_ORIGINAL_DELAY_FACTOR):
            return old_settings(s, part)

    def rows(recs: list[dict], calib: Path) -> list[dict]:
        out = old_rows(recs, calib)
        for r in out:
            ctx = r["ctx"]
            if (H.tool_year(ctx.tool_version) or 0) < first_year:
                rec = next(x for x in recs if x["id"] == r["id"])
                part = EA.resolve_part(EA.settings_from_record(rec)["part"])
                r["ctx"] = replace(ctx, delay_factor=_ORIGINAL_DELAY_FACTOR(part.family, part.full_name))
        return out

    with mock.patch.object(N, "estimate_settings", settings), mock.patch.object(EA, "layer_rows", rows):
        yield


def _softmax_latency_registers_vivado(extra: int) -> Callable[..., int]:
    """ActivationEstimator.softmax_cycles plus ``extra`` registers for Vivado HLS's latency softmax on a fast device."""
    original = KA.ActivationEstimator.softmax_cycles

    def cycles(n: int, implementation: str, ctx, in_width: int = 16) -> int:
        out = original(n, implementation, ctx, in_width)
        fast = ctx.delay_factor < 1 and not KA._narrow(in_width)
        return out + extra if not ctx.vitis and "latency" in implementation and fast else out

    return cycles


def _vitis_floor_context(floor: float) -> Callable[..., object]:
    """kernels.common.Context, its logic delay factor at least ``floor`` for Vitis HLS 2022.2+ on fast devices."""
    from codesign.estimate.layers import Context

    def make(*args, **kwargs):
        ctx = Context(*args, **kwargs)
        m = re.match(r"\s*(\d{4})\.(\d)", str(ctx.tool_version or ""))
        newer = m is not None and (int(m.group(1)), int(m.group(2))) >= (2022, 2)
        if ctx.vitis and newer and ctx.delay_factor < floor:
            return replace(ctx, delay_factor=floor)
        return ctx

    return make


def _softmax_floor_vitis(floor: float) -> Callable[..., float]:
    """kernels.activation.softmax_delay_factor with ``floor`` in place of SOFTMAX_MIN_DELAY_FACTOR for Vitis HLS."""
    original = KA.softmax_delay_factor

    def factor(ctx, in_width: int = 16) -> float:
        if ctx.vitis and not KA._narrow(in_width):
            return max(ctx.delay_factor, floor)
        return original(ctx, in_width)

    return factor


@contextmanager
def variant(name: str) -> Iterator[None]:
    """Apply one named variant (see the module docstring) for the length of the block."""
    with ExitStack() as stack:
        if name.startswith("datasheet"):
            stack.enter_context(_delay_factor(datasheet_delay_factor))
        for flag, const in (
            ("postadd-vivado", "DSP_POSTADDER_CHAIN_VIVADO"),
            ("postadd-vitis", "DSP_POSTADDER_CHAIN_VITIS"),
            ("resource-product-add", "RESOURCE_PRODUCT_ADD_CHAIN"),
            ("resource-product-registered", "RESOURCE_PRODUCT_REGISTERED_VIVADO"),
            ("product-live-bits", "PRODUCT_LIVE_BITS"),
        ):
            if flag in name:
                stack.enter_context(mock.patch.object(K, const, True))
        m = re.search(r"kintex-fabric ([\d.]+)", name)
        if m:
            stack.enter_context(_delay_factor(_kintex_fabric_factor(float(m.group(1)))))
        if "tadd2.5" in name:
            stack.enter_context(mock.patch.object(K, "T_ADD_NS", 2.5))
        if name.endswith("(2017+)"):
            stack.enter_context(_from_year(2017))
        for m in re.finditer(r"dsp-(us\+|grade1) ([\d.]+)", name):
            const = "DSP_DELAY_FACTOR_ULTRASCALE_PLUS" if m.group(1) == "us+" else "DSP_DELAY_FACTOR_SPEED_GRADE_1"
            stack.enter_context(mock.patch.object(K, const, float(m.group(2))))
        if name.startswith("mul-output-registered"):
            stack.enter_context(mock.patch.object(K, "MUL_INPUTS_REGISTERED_VIVADO_CONSTANT", False))
            if "constant" not in name:
                stack.enter_context(mock.patch.object(K, "MUL_INPUTS_REGISTERED_VIVADO", False))
            if name.endswith("all"):
                stack.enter_context(mock.patch.object(K, "MUL_INPUTS_REGISTERED_VITIS", False))
        m = re.search(r"alloc-offset-vivado (\d+)", name)
        if m:
            stack.enter_context(mock.patch.object(K, "ALLOC_TAIL_OFFSET_VIVADO", int(m.group(1))))
        if "iter-base+1" in name:
            stack.enter_context(mock.patch.object(K, "RESOURCE_ITER_BASE_CYCLES", K.RESOURCE_ITER_BASE_CYCLES + 1))
        m = re.search(r"softmax-latency-registers-vivado (\d+)", name)
        if m:
            cycles = staticmethod(_softmax_latency_registers_vivado(int(m.group(1))))
            stack.enter_context(mock.patch.object(KA.ActivationEstimator, "softmax_cycles", cycles))
        m = re.search(r"vitis2022.2-floor ([\d.]+)", name)
        if m:
            make = _vitis_floor_context(float(m.group(1)))
            for module in (N, EA):
                stack.enter_context(mock.patch.object(module, "Context", make))
        m = re.search(r"softmax-floor-vitis ([\d.]+)", name)
        if m:
            stack.enter_context(mock.patch.object(KA, "softmax_delay_factor", _softmax_floor_vitis(float(m.group(1)))))
        if name == "registered-multiplier":
            stack.enter_context(mock.patch.object(H, "chain_cycles", registered_chain_cycles))
            stack.enter_context(mock.patch.object(KD, "chain_cycles", registered_chain_cycles))
        yield


VARIANTS = (
    "shipped", "datasheet", "datasheet+tadd2.5", "datasheet+tadd2.5 (2017+)", "registered-multiplier",
    "dsp-us+ 0.5", "dsp-us+ 0.6", "dsp-us+ 0.69", "dsp-grade1 1.3", "dsp-us+ 0.6 dsp-grade1 1.3",
    "mul-output-registered vivado", "mul-output-registered all", "mul-output-registered vivado dsp-us+ 0.6",
    "mul-output-registered vivado dsp-us+ 0.6 dsp-grade1 1.3",
    "mul-output-registered vivado dsp-us+ 0.6 dsp-grade1 1.3 iter-base+1",
    "mul-output-registered vivado-constant", "mul-output-registered vivado-constant dsp-grade1 1.3",
    "mul-output-registered vivado-constant alloc-offset-vivado 0",
    "kintex-fabric 0.75", "kintex-fabric 0.6", "postadd-vivado", "postadd-vivado postadd-vitis", "resource-product-add",
    "postadd-vivado resource-product-add", "postadd-vivado kintex-fabric 0.75", "resource-product-registered",
    "resource-product-registered resource-product-add", "product-live-bits",
    "softmax-latency-registers-vivado 1", "softmax-latency-registers-vivado 2",
    "softmax-floor-vitis 0.4", "softmax-floor-vitis 0.5", "softmax-floor-vitis 0.6",
    "vitis2022.2-floor 0.3", "vitis2022.2-floor 0.35", "vitis2022.2-floor 0.4",
)  # fmt: skip
LAYER_GROUPS = (
    "ALL io_parallel layers",
    "io_parallel dense/latency RF=1",
    "io_parallel dense/resource RF>1",
    "io_stream dense/resource RF>1",
)


def _pct(x: float | None) -> str:
    return "    -" if x is None else f"{100 * x:4.0f}%"


def summary_line(name: str, out: dict) -> str:
    """The target population's figures and the per-layer exact rates of one run."""
    f = out["summary"]["STOCK io_parallel (target population)"]["est"]
    ls = out["layer_summary"]
    layers = " ".join(_pct(ls[g]["lat_exact"]) if g in ls else "    -" for g in LAYER_GROUPS)
    return (
        f"{name:28s} {_pct(f['lat_within2'])} {f['latency_max_cycles_med']:>3}/{f['latency_max_cycles_p90']:<3} "
        f"{_pct(f['LUT_med'])}/{_pct(f['LUT_p90'])} {_pct(f['FF_med'])}/{_pct(f['FF_p90'])} "
        f"{_pct(f['DSP_med'])}/{_pct(f['DSP_p90'])} {_pct(f['ii_exact'])}  {layers}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", type=Path, default=None, help="folder with hls_reports.jsonl and raw/")
    ap.add_argument("--only", nargs="+", choices=VARIANTS[1:], help="run the shipped model and these variants only")
    ap.add_argument("--per-repository", action="store_true", help="print estimator_compare's table per variant")
    args = ap.parse_args(argv)
    calib = EA.calibration_folder(args.calibration)
    if calib is None:
        return 2
    if not (calib / "raw").is_dir():
        print(f"{calib} has no raw/ reports: the per-layer refit and figures need them", file=sys.stderr)
        return 2
    names = ("shipped", *args.only) if args.only else VARIANTS
    runs = {}
    for name in names:
        with variant(name):
            runs[name] = EA.run(calib, do_refit=True, with_layers=True)
    print("stock io_parallel, held out and repository-capped: lat<=2, latency error med/p90 (cycles), LUT, FF, DSP")
    print("med/p90, II exact; per-layer latency exact: " + ", ".join(LAYER_GROUPS))
    for name in names:
        print(summary_line(name, runs[name]))
    if args.per_repository:
        for name in names[1:]:
            print(f"\n== {name} (shipped -> variant)")
            print("\n".join(estimator_compare.compare(runs["shipped"], runs[name])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
