"""``codesign build SPEC --part PART``: a thin wrapper over :func:`codesign.api.build`."""

from __future__ import annotations

import shlex
from pathlib import Path

import click


def register(main: click.Group) -> None:
    """Add the ``build`` command."""

    @main.command("build")
    @click.argument("spec", type=click.Path(path_type=Path))
    @click.option("--part", help="FPGA part: short name (xcvu9p, xcvu13p, xcu250, ...) or full part string.")
    @click.option("--out", help="Output folder (default vivado_projects/<name>); one build at a time per folder.")
    @click.option("--force", is_flag=True, help="Redo every step instead of reusing finished ones.")
    @click.option("--synth", is_flag=True, help="Also run vitis_hls / vivado_hls when found on PATH.")
    @click.option("--fail-on-budget", is_flag=True, help="Exit non-zero when the design does not fit the budget.")
    @click.option("--rtl", is_flag=True, help="Also emit Verilog (da4ml), check it in Verilator, count it with yosys.")
    @click.option("--no-plots", is_flag=True, help="Write the report without its PNG plots (faster; report.md says so).")
    @click.option("--trust-model-code", is_flag=True,
                  help="Load a model file that would run code (Lambda layers, classes codesign does not know); "
                       "only for models you wrote. Recorded in the report.")  # fmt: skip
    def build(spec: Path, part: str | None, out: str | None, force: bool, synth: bool, fail_on_budget: bool,
              rtl: bool, no_plots: bool, trust_model_code: bool) -> None:  # fmt: skip
        """Train, prune, quantize, convert with hls4ml, C-simulate, estimate and judge a model SPEC.

        SPEC is a codesign spec (see README) or a plain hls4ml YAML config (its OutputDir is the build
        folder unless --out is given). Exits 0 when the build ran and the firmware is bit-exact against
        its reference; 2 on bad input; 3 when it is not bit-exact; 4 with --fail-on-budget when the design
        does not fit; 5 when a tool failed (g++, hls4ml's conversion, or the HLS tool with --synth; the
        report is written all the same); 6 when the reference cannot be computed for a layer; 7 on an
        internal error (traceback in <out>/.codesign/error.log).
        With --rtl: 3 when the Verilog is not bit-exact in Verilator, 5 when da4ml/verilator are missing,
        2 when a layer has no RTL mapping (named).
        """
        from codesign.api import build as api_build
        from codesign.errors import BitAccuracyError, BudgetError, ReferenceUnavailableError, ToolError
        from codesign.pipeline import require_bit_exact

        result = api_build(spec, part=part, out=out, force=force, synth=synth, progress=click.echo,
                            trust_model_code=trust_model_code, rtl=rtl, plots=not no_plots)
        _summary(result)
        try:
            require_bit_exact(result)
        except (BitAccuracyError, ReferenceUnavailableError) as exc:
            click.echo(f"codesign: error: {exc}", err=True)
            raise SystemExit(exc.exit_code) from None
        if result.rtl and result.rtl.get("error"):
            click.echo(f"codesign: error: --rtl: {result.rtl['error']}", err=True)
            raise SystemExit(int(result.rtl.get("exit_code") or ToolError.exit_code))
        if synth and result.synth_error:
            click.echo(f"codesign: error: --synth: {result.synth_error}", err=True)
            raise SystemExit(ToolError.exit_code)
        if fail_on_budget and not result.budget_pass:
            click.echo("codesign: the design does not fit the budget (see report.md)", err=True)
            raise SystemExit(BudgetError.exit_code)


def _summary(result) -> None:
    acc = result.bit_accuracy or {}
    exact = acc.get("exact")
    if exact is True:
        click.echo(f"bit-exact: yes ({acc.get('n_samples')} inputs, reference: {acc.get('reference')})")
        fa = acc.get("float_agreement")
        if fa:
            d = fa.get("on_data") or fa
            click.echo(f"  agreement with the float model on {d.get('n_samples')} {d.get('inputs', 'inputs')}: max |diff| "
                       f"{d.get('max_abs_diff'):.4g}, argmax agreement {d.get('argmax_agreement')}")  # fmt: skip
    elif exact is False and (acc.get("library_vs_testbench") or {}).get("exact") is False:
        paths = acc["library_vs_testbench"]
        click.echo(f"bit-exact: NO (library and testbench differ on {paths.get('n_mismatch')} of {paths.get('n_samples')})")
    elif exact is False:
        click.echo(f"bit-exact: NO ({acc.get('n_mismatch')} of {acc.get('n_samples')} differ)")
    elif acc.get("reference_unavailable"):
        click.echo(f"bit-exact: NOT PROVEN, no reference for this quantized model: {acc['reference_unavailable']}")
    else:
        click.echo(f"bit-exact: no reference ({acc.get('reference')}); max |diff| {acc.get('max_abs_diff')}")
        emu = acc.get("emulator_vs_testbench")
        if isinstance(emu, dict) and emu.get("available") is False and emu.get("reason"):
            click.echo(f"  fixed-point emulator not run: {emu['reason']}")
        if acc.get("on_data"):
            d = acc["on_data"]
            click.echo(f"  on the {d['n_samples']} {d.get('inputs', 'data inputs')}: max |diff| {d['max_abs_diff']:.4g}, "
                       f"argmax agreement {d['argmax_agreement']}")  # fmt: skip
    from codesign.compare import batchnorm_line

    bn = batchnorm_line(acc.get("batchnorm_as_model") or {})
    if bn:  # the verdict is about the firmware's rounded normalisation: say that the model's own differs
        click.echo(f"WARNING: {bn} (report.json: bit_accuracy.batchnorm_as_model)", err=True)
    ov = acc.get("overflow") or {}
    if ov.get("overflowing"):
        click.echo(f"WARNING: overflow on the {ov.get('inputs')} in {', '.join(ov['overflowing'])} "
                   "(report.md: overflow profile)", err=True)  # fmt: skip
        for line in ov.get("details", []):
            click.echo(f"  {line}", err=True)
    from codesign.score_check import tail_check, warning_lines

    for line in warning_lines(tail_check(result.metrics)):
        click.echo(line, err=True)
    m = (result.metrics or {}).get("firmware") or {}
    if "accuracy" in m:
        band = m.get("accuracy_interval")
        shown = f" [{band[0]:.4f}, {band[1]:.4f}]" if band and None not in band else ""
        click.echo(f"firmware accuracy: {m['accuracy']:.4f}{shown}")
    from codesign.metrics_bootstrap import beyond_noise

    flagged = beyond_noise(result.metrics or {})
    if flagged:
        click.echo(f"WARNING: {len(flagged)} firmware figure(s) differ from float beyond the statistical noise "
                   f"(report.md: Physics performance), e.g. {flagged[0]}", err=True)  # fmt: skip
    est = result.estimate
    if est is not None:
        click.echo(
            f"estimate: latency {est.latency_cycles} cycles ({est.latency_ns} ns), II {est.ii_cycles}, "
            f"LUT {est.lut}, FF {est.ff}, DSP {est.dsp}, BRAM_18K {est.bram_18k}"
        )
    if result.budget is not None:
        on = " on the RTL figures" if getattr(result.budget, "basis", None) == "rtl" else ""
        if result.budget.passed:
            click.echo(f"budget: PASS{on}")
        else:
            failed = [c for c in result.budget.checks if not c.passed]
            why = ", ".join(f"{c.name} {c.value} > {c.limit}" if c.value is not None else f"{c.name} unknown"
                            for c in failed)  # fmt: skip
            click.echo(f"budget: FAIL{on} ({why})")
    r = result.rtl
    if r and r.get("error"):
        click.echo(f"rtl: not built ({r['error']})")
    elif r:
        click.echo(f"rtl: bit-exact {'yes' if r.get('bit_exact') else 'NO'} in Verilator ({r.get('n_samples')} inputs), "
                   f"latency {r.get('latency_cycles')} cycles ({r.get('latency_ns')} ns @ {r.get('clock_ns')} ns), "
                   f"II {r.get('ii_cycles')}, LUT {r.get('lut')}, FF {r.get('ff')}"
                   f"{'' if r.get('lut') is not None else ' (yosys not on PATH)'}")  # fmt: skip
    hls_dir = result.out_dir / "hls"
    tcl = hls_dir / "build_prj.tcl"
    if tcl.is_file():
        backend = _backend_of(hls_dir)
        tool = "vivado_hls" if str(backend).lower() == "vivado" else "vitis_hls"
        click.echo(f'vendor flow: cd {shlex.quote(str(hls_dir))} && {tool} -f build_prj.tcl "csim=1 synth=1 cosim=0 export=0" '
                   "(tb_data/ holds the check's inputs and expected outputs)")  # fmt: skip
    click.echo(f"report: {result.report_md}")


def _backend_of(hls_dir: Path) -> str:
    """The hls4ml backend the project was written for (its hls4ml_config.yml), Vitis when it does not say."""
    import yaml

    try:
        cfg = yaml.safe_load((hls_dir / "hls4ml_config.yml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return "Vitis"
    return str(cfg.get("Backend", "Vitis")) if isinstance(cfg, dict) else "Vitis"
