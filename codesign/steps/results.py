"""The build's closing steps: resource/latency estimate, the 40 MHz budget, optional synthesis and RTL, the report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from codesign.pipeline import Step


class Estimate(Step):
    """Latency, II and resources from the generated project (codesign's analytical estimator)."""

    name = "estimate"

    def inputs(self, ctx):
        return ctx.part.full_name, _tool_version(ctx)

    def run(self, ctx, state):
        from codesign.estimate import estimate_project

        return replace(state, estimate=estimate_project(Path(state.project.path), ctx.part, _tool_version(ctx)))


def _tool_version(ctx) -> str | None:
    """spec.hls.tool_version (None for a build without a spec's hls section)."""
    return ctx.spec.hls.tool_version if ctx.spec is not None else None


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


COMPILED = (".so", ".o", ".a", ".d")


class Rtl(Step):
    """``--rtl``: Verilog through da4ml, checked bit for bit in Verilator on the C-sim inputs, yosys counts.

    Cached on its real inputs: the chain before it (the converted model, the C-simulation's inputs, the part and
    clock), the ``codesign.rtl`` code and the versions of da4ml, Verilator and yosys. A refusal or a tool failure
    is not stored (installing the missing tool and building again redoes it). What is stored is the Verilator and
    yosys result (``rtl/rtl_result.json``) and the rtl/ folder it describes; the budget verdict on the RTL figures is
    judged again from it (cheap, and it needs the HLS estimate's verdict of this build).
    """

    name = "rtl"
    optional = True
    code = ("codesign.rtl", "codesign.reference", "codesign.precision")
    RESULT = "rtl/rtl_result.json"

    def inputs(self, ctx):
        from codesign.rtl import tool_versions

        return {"hls": ctx.spec.resolved()["hls"] if ctx.spec is not None else None, "tools": tool_versions()}

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
        return _judged_on_rtl(ctx, state, rtl)

    def save(self, ctx, state):
        result = ctx.path(self.RESULT)
        if state.rtl.get("error"):
            result.unlink(missing_ok=True)  # a refusal or a missing tool is asked again next time
            return
        from codesign.durable import atomic_write_text

        raw = {k: v for k, v in state.rtl.items() if k != "budget_hls_estimate"}
        atomic_write_text(result, json.dumps(raw, indent=1))

    def artefacts(self, ctx, state):
        if not ctx.path(self.RESULT).is_file():
            return []
        # the whole rtl/ folder but Verilator's compiled harness (rebuilt from its sources whenever it is needed)
        return [str(f.relative_to(ctx.out_dir)) for f in sorted(ctx.path("rtl").rglob("*"))
                if f.is_file() and "obj_dir" not in f.parts and f.suffix not in COMPILED]  # fmt: skip

    def load(self, ctx, state):
        path = ctx.path(self.RESULT)
        if not path.is_file():
            return None
        rtl = json.loads(path.read_text())
        named = [rtl["vivado_tcl"], rtl["results"], rtl["verilog_dir"]]
        if not all(ctx.path(p).exists() for p in named):
            return None  # the report would name files that are not there: build them again
        return _judged_on_rtl(ctx, state, rtl)


def _judged_on_rtl(ctx, state, rtl: dict):
    """The state with the RTL section and its notes; with the RTL bit-exact, the budget judged on its figures."""
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
            f"{'pass' if rtl['budget_hls_estimate']['pass'] else 'fail'}, in rtl.budget_hls_estimate)"
        )
    return replace(state, rtl=rtl)


class Report(Step):
    """Write report.json, report.md and the plots (atomically)."""

    name = "report"
    code = ("codesign.report", "codesign.report_markdown", "codesign.report_tables", "codesign.report_metrics",
            "codesign.report_text", "codesign.report_plots", "codesign.physics_plots", "codesign.plot_style",
            "codesign.report_refresh")  # fmt: skip  # a new codesign rewrites a cached build's report

    def inputs(self, ctx):
        # switching the plots on or off rewrites the report, and so does a new spec name: no step reads it, the
        # report names the build by it (an up-to-date build would keep the old name in report.json)
        return {"plots": ctx.plots, "name": ctx.spec.name if ctx.spec is not None else None}

    def run(self, ctx, state):
        from codesign import report

        report.write_build_report(ctx, state, plots=ctx.plots)
        if state.synthesis is not None:
            from codesign.report_refresh import refresh

            refresh(ctx.out_dir)  # csynth / Vivado figures with their sources, estimate vs report differences
        return state
