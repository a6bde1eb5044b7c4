"""``codesign build SPEC --part PART``: spec to checked firmware project and report."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import click

from codesign.errors import SpecError

DEFAULT_OUT_ROOT = Path("vivado_projects")


def _raise_stack_limit() -> None:
    # hls4ml's io_parallel firmware keeps the weights of fully unrolled layers on the stack; large models
    # overflow the default 8 MB when the compiled library runs in this process.
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = resource.RLIM_INFINITY if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and (want == resource.RLIM_INFINITY or soft < want):
        try:
            resource.setrlimit(resource.RLIMIT_STACK, (want, hard))
        except (ValueError, OSError):
            pass


def run_build(
    spec_path: Path,
    *,
    part: str | None,
    out: Path | str | None,
    force: bool,
    synth: bool,
    echo=click.echo,
    trust_model_code: bool = False,
):
    """Parse the spec, run the ordered steps, and return (context, state)."""
    from codesign import parts, safe_names
    from codesign.build_steps import default_steps
    from codesign.durable import check_writable
    from codesign.pipeline import BuildContext, check_spec_consistency, run_steps
    from codesign.spec import BuildSpec, load_spec

    spec = load_spec(spec_path)
    if isinstance(spec, BuildSpec):
        try:
            check_spec_consistency(spec)
        except SpecError as exc:
            raise SpecError(f"{spec_path}: {exc}") from None
        part_text = part or spec.part
        hls4ml_config = None
        name = spec.name
    else:
        hls4ml_config = spec
        spec = None
        part_text = part or hls4ml_config.config.get("Part") or hls4ml_config.config.get("XilinxPart")
        name = safe_names.project_name(hls4ml_config.config.get("ProjectName", "myproject"),
                                       f"{spec_path}: ProjectName")  # fmt: skip
    if not part_text:
        raise SpecError(f"{spec_path}: no FPGA part: pass --part (e.g. --part xcvu9p) or set 'part:' in the spec")
    try:
        target = parts.resolve_part(str(part_text))
    except SpecError as exc:
        raise SpecError(f"{'--part' if part else f'{spec_path}: part'}: {exc}") from None
    out_dir = check_writable(out if out is not None else DEFAULT_OUT_ROOT / name, "--out" if out is not None else "name")
    ctx = BuildContext(spec=spec, hls4ml_config=hls4ml_config, part=target, out_dir=out_dir.resolve(), force=force,
                       synth=synth, trust_model_code=trust_model_code)  # fmt: skip
    _raise_stack_limit()
    started = {"t": time.perf_counter()}

    def progress(step: str) -> None:
        echo(f"[{time.perf_counter() - started['t']:7.1f} s] {step}")

    state = run_steps(ctx, default_steps(synth=synth), progress=progress)
    return ctx, state


def register(main: click.Group) -> None:
    """Add the ``build`` command."""

    @main.command("build")
    @click.argument("spec", type=click.Path(path_type=Path))
    @click.option("--part", help="FPGA part: short name (xcvu9p, xcvu13p, xcu250, ...) or full part string.")
    @click.option("--out", help="Output folder (default vivado_projects/<name>); one build at a time per folder.")
    @click.option("--force", is_flag=True, help="Redo every step instead of reusing finished ones.")
    @click.option("--synth", is_flag=True, help="Also run vitis_hls / vivado_hls when found on PATH.")
    @click.option("--fail-on-budget", is_flag=True, help="Exit non-zero when the design does not fit the budget.")
    @click.option("--trust-model-code", is_flag=True,
                  help="Load a model file that would run code (Lambda layers, classes codesign does not know); "
                       "only for models you wrote. Recorded in the report.")  # fmt: skip
    def build(spec: Path, part: str | None, out: str | None, force: bool, synth: bool, fail_on_budget: bool,
              trust_model_code: bool) -> None:  # fmt: skip
        """Train, prune, quantize, convert with hls4ml, C-simulate, estimate and judge a model SPEC.

        SPEC is a codesign spec (see README) or a plain hls4ml YAML config. Exits 0 when the build ran and
        the firmware is bit-exact against the quantized model (a float model: when it ran; its agreement is
        reported); 3 when it is not bit-exact; 6 when a quantized model's reference cannot be computed
        (the layer is named; report written); 4 with
        --fail-on-budget when the design does not fit; 5 when --synth was asked and the HLS tool is missing
        or failed (the report is written all the same).
        """
        from codesign.errors import BitAccuracyError, BudgetError, ReferenceUnavailableError, ToolError
        from codesign.pipeline import require_bit_exact

        ctx, state = run_build(spec, part=part, out=out, force=force, synth=synth, trust_model_code=trust_model_code)
        _summary(ctx, state)
        try:
            require_bit_exact(state)
        except (BitAccuracyError, ReferenceUnavailableError) as exc:
            click.echo(f"codesign: error: {exc}", err=True)
            raise SystemExit(exc.exit_code) from None
        if synth and state.synth_error:
            click.echo(f"codesign: error: --synth: {state.synth_error}", err=True)
            raise SystemExit(ToolError.exit_code)
        verdict = _as_dict(state.budget)
        if fail_on_budget and not verdict.get("pass"):
            click.echo("codesign: the design does not fit the budget (see report.md)", err=True)
            raise SystemExit(BudgetError.exit_code)


def _as_dict(obj) -> dict:
    """Result objects and their report.json form (an up-to-date build reads results back) alike."""
    if obj is None:
        return {}
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _summary(ctx, state) -> None:
    acc = state.bit_accuracy or {}
    exact = acc.get("exact")
    if exact is True:
        click.echo(f"bit-exact: yes ({acc.get('n_samples')} inputs, reference: {acc.get('reference')})")
    elif exact is False and (acc.get("library_vs_testbench") or {}).get("exact") is False:
        paths = acc["library_vs_testbench"]
        click.echo(f"bit-exact: NO (library and testbench differ on {paths.get('n_mismatch')} of {paths.get('n_samples')})")
    elif exact is False:
        click.echo(f"bit-exact: NO ({acc.get('n_mismatch')} of {acc.get('n_samples')} differ)")
    elif acc.get("reference_unavailable"):
        click.echo(f"bit-exact: NOT PROVEN, no reference for this quantized model: {acc['reference_unavailable']}")
    else:
        click.echo(f"bit-exact: no reference ({acc.get('reference')}); max |diff| {acc.get('max_abs_diff')}")
        if acc.get("on_data"):
            d = acc["on_data"]
            click.echo(f"  on the {d['n_samples']} data inputs: max |diff| {d['max_abs_diff']:.4g}, "
                       f"argmax agreement {d['argmax_agreement']}")  # fmt: skip
    m = _as_dict((state.metrics or {}).get("firmware"))
    if "accuracy" in m:
        click.echo(f"firmware accuracy: {m['accuracy']:.4f}")
    est = _as_dict(state.estimate)
    if est:
        click.echo(
            f"estimate: latency {est.get('latency_cycles')} cycles ({est.get('latency_ns')} ns), II {est.get('ii_cycles')}, "
            f"LUT {est.get('lut')}, FF {est.get('ff')}, DSP {est.get('dsp')}, BRAM_18K {est.get('bram_18k')}"
        )
    if state.budget is not None:
        v = _as_dict(state.budget)
        failed = [c for c in v.get("checks", []) if not c.get("pass")]
        if v.get("pass"):
            click.echo("budget: PASS")
        else:
            why = ", ".join(f"{c['name']} {c.get('value')} > {c.get('limit')}" if c.get("value") is not None
                            else f"{c['name']} unknown" for c in failed)  # fmt: skip
            click.echo(f"budget: FAIL ({why})")
    click.echo(f"report: {ctx.path('report.md')}")
