"""The build's closing steps: resource/latency estimate, the 40 MHz budget, optional synthesis and RTL, the report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from codesign.pipeline import Step


class Estimate(Step):
    """Latency, II and resources from the generated project (codesign's analytical estimator)."""

    name = "estimate"

    def inputs(self, ctx):
        return ctx.part.full_name

    def run(self, ctx, state):
        from codesign.estimate import estimate_project

        return replace(state, estimate=estimate_project(Path(state.project.path), ctx.part))


class Budget(Step):
    """The 40 MHz L1 verdict: II, latency and resource fractions of the part."""

    name = "budget"

    def inputs(self, ctx):
        return ctx.spec.resolved()["budget"] if ctx.spec is not None else None

    def run(self, ctx, state):
        from codesign import budget
        from codesign.spec import BudgetSpec

        b = ctx.spec.budget if ctx.spec is not None else BudgetSpec()
        clock = ctx.spec.hls.clock_ns if ctx.spec is not None else float(state.project.clock_ns)
        verdict = budget.judge(
            state.estimate, ctx.part, clock_ns=clock, tm_period=b.tm_period,
            latency_limit_ns=b.latency_ns, max_fraction=dict(b.max_fraction),
        )  # fmt: skip
        return replace(state, budget=verdict)


class Synthesize(Step):
    """Run the vendor HLS tool on the project (only with ``--synth``)."""

    name = "synth"
    optional = True

    def run(self, ctx, state):
        from codesign import synth
        from codesign.errors import ToolError

        backend = ctx.spec.hls.backend.value if ctx.spec is not None else state.project.backend
        try:
            run = synth.run_synthesis(Path(state.project.path), backend=backend, log_dir=ctx.path("logs"))
        except ToolError as exc:
            # The report is still written; the command exits non-zero afterwards because --synth was asked.
            return replace(state, synth_error=str(exc)).note(f"synthesis: {exc}")
        # the report step adds the parsed figures (codesign report's refresh) after writing the build report
        return replace(state, synthesis={"tool": run.tool, "seconds": run.seconds, "log": str(run.log)})


class Rtl(Step):
    """``--rtl``: Verilog through da4ml, checked bit for bit in Verilator on the C-sim inputs, yosys counts."""

    name = "rtl"
    optional = True

    def inputs(self, ctx):
        return ctx.spec.resolved()["hls"] if ctx.spec is not None else None

    def run(self, ctx, state):
        from codesign.errors import CodesignError
        from codesign.rtl import flow

        clock = ctx.spec.hls.clock_ns if ctx.spec is not None else float(state.project.clock_ns)
        try:
            rtl = flow.build(state.project.keras_model, state.project.input_precision, state.csim["inputs"],
                             ctx.out_dir, clock_ns=clock, part=ctx.part.full_name)  # fmt: skip
        except CodesignError as exc:
            # the report is still written, with the reason; the command exits with the error's code afterwards
            rtl = {"bit_exact": None, "error": str(exc), "exit_code": exc.exit_code, "notes": [f"not built: {exc}"]}
        for line in rtl["notes"]:
            state = state.note(f"rtl: {line}")
        if rtl.get("bit_exact") and state.budget is not None:
            # the 40 MHz verdict on the RTL's own figures; the HLS estimate's verdict stays in the rtl section
            from codesign.rtl import budget as rtl_budget
            from codesign.spec import BudgetSpec

            b = ctx.spec.budget if ctx.spec is not None else BudgetSpec()
            verdict = rtl_budget.judge(rtl, ctx.part, tm_period=b.tm_period, latency_limit_ns=b.latency_ns,
                                       max_fraction=dict(b.max_fraction))  # fmt: skip
            rtl = {**rtl, "budget_hls_estimate": state.budget.to_dict()}
            state = replace(state, budget=verdict).note(
                f"budget: judged on the RTL figures (HLS estimate's verdict: "
                f"{'pass' if rtl['budget_hls_estimate']['pass'] else 'fail'}, in rtl.budget_hls_estimate)")
        return replace(state, rtl=rtl)


class Report(Step):
    """Write report.json, report.md and the plots (atomically)."""

    name = "report"
    code = ("codesign.report", "codesign.report_markdown", "codesign.report_tables", "codesign.report_metrics",
            "codesign.report_text", "codesign.report_plots", "codesign.physics_plots", "codesign.plot_style",
            "codesign.report_refresh")  # fmt: skip  # a new codesign rewrites a cached build's report

    def inputs(self, ctx):
        return {"plots": ctx.plots}  # switching the plots on or off rewrites the report

    def run(self, ctx, state):
        from codesign import report

        report.write_build_report(ctx, state, plots=ctx.plots)
        if state.synthesis is not None:
            from codesign.report_refresh import refresh

            refresh(ctx.out_dir)  # csynth / Vivado figures with their sources, estimate vs report differences
        return state
