"""report.md: rendered from the report dictionary alone (verdict first), section by section."""

from __future__ import annotations

import json
import shlex
from typing import Any

from codesign import report_text
from codesign.report_tables import _budget_table, _fmt, _table

_SYNTH_FIGURES = ("latency_cycles", "ii_cycles", "lut", "ff", "dsp", "bram_18k", "uram")


def _synthesis_section(syn: dict) -> list[str]:
    """Estimate vs C-synthesis vs Vivado synthesis, one row per figure, each column naming its source."""
    lines = ["## Synthesis reports", ""]
    if syn.get("note"):
        lines += [syn["note"], ""]
    sources = [(k, syn[k]) for k in ("csynth", "vivado_synth") if isinstance(syn.get(k), dict)]
    for key, figs in sources:
        tool = " ".join(str(x) for x in (figs.get("tool"), figs.get("tool_version")) if x)
        lines.append(f"- {key}: `{figs.get('source')}`" + (f" ({tool})" if tool else ""))
        if figs.get("estimated_clock_ns") is not None:
            lines.append(f"  - estimated clock {_fmt(figs['estimated_clock_ns'])} ns (target "
                         f"{_fmt(figs.get('target_clock_ns'))} ns)")  # fmt: skip
        for note in figs.get("notes") or ():
            lines.append(f"  - {note}")
    if not sources:
        return lines + [""]
    lines.append("")
    header = ["figure", "estimate"]
    for key, _ in sources:
        header += [key, f"estimate - {key}"]
    rows = []
    for fig in _SYNTH_FIGURES:
        row: list[Any] = [fig, None]
        seen = False
        for key, figs in sources:
            diff = (syn.get(f"estimate_vs_{key}") or {}).get(fig) or {}
            if diff.get("estimate") is not None:
                row[1] = diff["estimate"]
            value = figs.get(fig)
            seen = seen or value is not None
            rel = diff.get("relative")
            change = None if diff.get("difference") is None else (
                f"{_fmt(diff['difference'])}" + ("" if rel is None else f" ({100 * rel:+.1f} %)"))  # fmt: skip
            row += [value, change]
        if seen:
            rows.append(row)
    lines += _table(header, rows)
    layers = syn.get("layers_vs_csynth") or []
    if layers:
        lines += ["", "Per layer, estimate / C-synthesis module:", ""]
        figs = ("latency_cycles", "ii_cycles", "lut", "ff", "dsp", "bram_18k")
        rows = [[row["name"], row["config"]]
                + [f"{_fmt(row[f]['estimate'])} / {_fmt(row[f]['report'])}" for f in figs] for row in layers]  # fmt: skip
        lines += _table(["layer", "config", *figs], rows)
    budget = syn.get("budget_from_csynth")
    if isinstance(budget, dict) and budget.get("checks"):
        lines += ["", "Budget on the C-synthesis figures:", ""]
        lines += _budget_table(budget["checks"])
    lines.append("")
    return lines


def _overflow_lines(ov: dict) -> list[str]:
    """The overflow profile: one row per layer quantity; a loud line when any overflows."""
    rows = ov.get("rows")
    if rows is None:
        return ["", f"Overflow profile not computed: {ov.get('reason')}"] if ov else []
    lines = ["", f"### Overflow profile ({ov.get('inputs')})", ""]
    if ov.get("overflowing"):
        lines += [f"**WARNING: values overflow their type in {', '.join(ov['overflowing'])}.**", ""]
        lines += [f"- {d}" for d in ov.get("details", [])] + ([""] if ov.get("details") else [])
    table = [
        [r["layer"], r["quantity"], f"`{r['type']}`", f"[{r['type_min']:.15g}, {r['type_max']:.15g}]",
         f"[{_fmt(r['observed_min'])}, {_fmt(r['observed_max'])}]", r["n_overflow"], f"`{r['suggested']}`"]
        for r in rows
    ]  # fmt: skip
    lines += _table(["layer", "value", "type", "type range", "observed", "overflows", "narrowest holding it"], table)
    edges = ov.get("edge_inputs_overflowing")
    if edges is not None:
        lines += ["", f"On the grid inputs with the input type's edges: overflow in {', '.join(edges) or 'no layer'}."]
    return lines


def render_markdown(r: dict) -> str:
    """The human report, verdict first."""
    lines: list[str] = []
    name = r.get("name", "build")
    part = r.get("part") or {}
    lines.append(f"# codesign report: {name}")
    lines.append("")
    verdict = r.get("verdict") or {}
    exact = verdict.get("bit_exact")
    budget_pass = verdict.get("budget_pass")
    bit = report_text.bit_verdict(exact, r.get("bit_accuracy"))
    fit = {True: "FITS the 40 MHz L1 budget", False: "DOES NOT FIT the 40 MHz L1 budget", None: "budget not judged"}[
        budget_pass
    ]
    if budget_pass is not None and (r.get("budget") or {}).get("basis") == "rtl":
        fit += " (judged on the RTL figures)"
    lines.append(f"**Verdict: firmware {bit}; {fit}** on {part.get('full_name', part.get('name', '?'))}.")
    lines.append("")
    from codesign.score_check import warning_lines

    for line in warning_lines(r.get("score_check")):
        lines += [f"**{line}**", ""]
    if r.get("trust_model_code"):
        lines.append("**Model code trusted** (`--trust-model-code` / `model.trust_code`): the model file was loaded "
                     "without codesign's check for code it runs; see the notes.")  # fmt: skip
        lines.append("")

    acc = r.get("bit_accuracy") or {}
    if acc:
        lines.append("## Bit accuracy")
        lines.append("")
        several = len((r.get("project") or {}).get("inputs") or []) > 1
        grid = "each input's own fixed-point grid" if several else "the input fixed-point grid"
        lines.append(f"Reference: {acc.get('reference')}; {acc.get('n_samples')} inputs on {grid}.")
        lines.append("")
        rows = [[k, acc.get(k)] for k in ("exact", "n_samples", "n_mismatch", "max_abs_diff", "argmax_agreement")
                if k in acc]  # fmt: skip
        lines += _table(["check", "value"], rows)
        fa = acc.get("float_agreement")
        if fa:
            lines.append("")
            lines.append(
                f"Agreement with the float model (not a bit-exact claim): max |diff| {_fmt(fa.get('max_abs_diff'))}, "
                f"argmax agreement {_fmt(fa.get('argmax_agreement'))} on {fa.get('n_samples')} inputs."
            )
        on_data = acc.get("on_data")
        if on_data:
            lines.append("")
            lines.append(
                f"On the {on_data.get('n_samples')} {on_data.get('inputs', 'data inputs')} alone (the random grid inputs reach range edges where "
                f"a float model's sums can overflow the firmware types): max |diff| {_fmt(on_data.get('max_abs_diff'))}, "
                f"argmax agreement {_fmt(on_data.get('argmax_agreement'))}."
            )
        emu = acc.get("emulator_vs_testbench") or {}
        if "exact" in emu and emu.get("reference") != acc.get("reference"):
            lines.append("")
            lines.append(
                f"Fixed-point emulator vs g++ testbench: exact = {_fmt(emu.get('exact'))}, "
                f"{emu.get('n_mismatch')} mismatches of {emu.get('n_samples')}."
            )
        elif emu.get("available") is False:
            lines.append("")
            lines.append(f"Fixed-point emulator not run: {emu.get('reason')}")
        lines += _overflow_lines(acc.get("overflow") or {})
        paths = acc.get("library_vs_testbench")
        if paths and paths.get("checked") is False:
            lines.append("")
            lines.append(f"hls4ml compiled library not run: {paths.get('reason')}")
        elif paths:
            lines.append("")
            lines.append(
                f"hls4ml compiled library vs g++ testbench: exact = {_fmt(paths.get('exact'))}, "
                f"{paths.get('n_mismatch')} mismatches of {paths.get('n_samples')}."
            )
        if acc.get("reference_unavailable"):
            lines.append("")
            lines.append(f"No verdict: {acc['reference_unavailable']}")
        if acc.get("first_mismatch"):
            first = {k: v for k, v in acc["first_mismatch"].items() if k != "layer"}
            lines.append("")
            lines.append(f"First mismatch: `{json.dumps(first)}`")
            lines += report_text.first_layer_lines(acc["first_mismatch"].get("layer"))
        lines.append("")

    budget = r.get("budget") or {}
    if budget.get("checks"):
        lines.append("## 40 MHz L1 budget")
        lines.append("")
        lines += report_text.budget_basis(budget, (r.get("rtl") or {}).get("budget_hls_estimate"))
        lines += _budget_table(budget["checks"])
        if budget.get("achievable_clock_ns"):
            lines.append("")
            lines.append(f"Achievable clock (estimate): {_fmt(budget['achievable_clock_ns'])} ns.")
        straddling = [c["name"] for c in budget["checks"] if c.get("straddles")]
        if straddling:
            lines.append("")
            lines.append(f"Within the estimator's error (interval straddles the limit): {', '.join(straddling)}.")
        lines.append("")

    est = r.get("estimate") or {}
    if est:
        lines.append("## Latency and resources")
        lines.append("")
        lines.append(f"Source: {est.get('source')}.")
        lines.append("")
        keys = ["latency_cycles", "latency_ns", "ii_cycles", "lut", "ff", "dsp", "bram_18k", "uram"]
        totals = {"lut": part.get("lut"), "ff": part.get("ff"), "dsp": part.get("dsp"), "bram_18k": part.get("bram_18k"),
                  "uram": part.get("uram")}  # fmt: skip
        rows = []
        interval = est.get("interval") or {}
        for k in keys:
            v = est.get(k)
            share = f"{100 * v / totals[k]:.2f} %" if k in totals and v is not None and totals[k] else ""
            iv = interval.get(k)
            rows.append([k, v, share, "" if not iv else f"{_fmt(iv[0])} - {_fmt(iv[1])}"])
        lines += _table(["figure", "value", "% of part", "interval (16-84 %)"], rows)
        if est.get("interval_basis"):
            lines.append("")
            lines.append(f"Intervals: {est['interval_basis']} (benchmarks/estimator_accuracy.py).")
        per_layer = est.get("per_layer") or []
        if per_layer:
            lines.append("")
            cols = ["name", "kind", "latency_cycles", "ii_cycles", "lut", "ff", "dsp", "bram_18k"]
            lines += _table(cols, [[layer.get(c) for c in cols] for layer in per_layer])
            remainder = report_text.latency_remainder(est, (r.get("project") or {}).get("io_type"))
            if remainder:
                lines += ["", remainder]
            declined = [layer for layer in per_layer if layer.get("declined")]
            for layer in declined:
                lines.append(f"- {layer.get('name')}: not estimated ({layer.get('declined')})")
        lines.append("")

    syn = r.get("synthesis")
    if syn:
        lines += _synthesis_section(syn)
    if r.get("rtl"):
        from codesign.rtl.report import rtl_section

        lines += rtl_section(r["rtl"], est, syn)

    from codesign.report_metrics import physics_section

    lines += physics_section(r.get("metrics") or {})
    lines += score_section(r)

    sp = r.get("sparsity")
    if sp:
        lines.append("## Sparsity (fraction of exact-zero weights)")
        lines.append("")
        stages = list(sp)
        layer_names: list[str] = []
        for st in stages:
            for name in (sp[st] or {}).get("layers", {}):
                if name not in layer_names:
                    layer_names.append(name)
        rows = [[n] + [(sp[st] or {}).get("layers", {}).get(n) for st in stages] for n in layer_names]
        rows.append(["total"] + [(sp[st] or {}).get("total") for st in stages])
        lines += _table(["layer"] + stages, rows)
        lines.append("")

    plots = r.get("plots") or {}
    if plots:
        lines.append("## Plots")
        lines.append("")
        for title, rel in plots.items():
            lines.append(f"- [{title}]({rel})")
        lines.append("")

    proj = r.get("project") or {}
    if proj.get("path"):
        lines.append("## Firmware project")
        lines.append("")
        lines.append(f"- HLS project: `{proj['path']}` ({proj.get('backend')}, {proj.get('io_type')})")
        lines.append("- " + report_text.port_types(proj))
        sm = proj.get("final_softmax")
        if sm:
            lines.append(
                f"- the firmware ends in the softmax `{sm['layer']}` ({sm['implementation']}, exp table "
                f"{sm['exp_table_size']} x `{sm['exp_table_t']}`, inverse table {sm['inv_table_size']} x "
                f"`{sm['inv_table_t']}`): its outputs are probabilities, checked against codesign's twin of the table"
            )
        sg = proj.get("final_sigmoid")
        if sg:
            lines.append(
                f"- the firmware ends in the sigmoid `{sg['layer']}` (table {sg['table_size']} x `{sg['table_t']}` over "
                f"[-8, 8), output `{sg['result_t']}`): its outputs are probabilities, checked against codesign's twin "
                "of the table"
            )
        if proj.get("tb_data"):
            lines.append(f"- `{proj['tb_data']}/`: the check's inputs and expected outputs, read by the project's "
                         "own testbench in csim/cosim")  # fmt: skip
        lines.append(f"- synthesise where the tools exist: `cd {shlex.quote(str(proj['path']))} && {report_text.synth_command(proj.get('backend'))}`")
        lines.append("")

    steps = r.get("steps") or []
    if steps:
        lines.append("## Build steps")
        lines.append("")
        lines += _table(["step", "seconds", "cached"], [[s.get("name"), s.get("seconds"), s.get("cached")] for s in steps])
        lines.append("")

    notes = r.get("notes") or []
    if notes:
        lines.append("## Notes")
        lines.append("")
        lines += [f"- {n}" for n in notes]
        lines.append("")

    versions = r.get("versions") or {}
    if versions:
        lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
        lines.append("")
    return "\n".join(lines)


def score_section(r: dict) -> list[str]:
    """The anomaly score the firmware computes (kind, types) and the firmware-vs-float tail check."""
    from codesign.score_check import caveats

    score = (r.get("spec") or {}).get("score")
    check = r.get("score_check")
    if not check:
        return []
    lines = ["## Anomaly score in firmware", ""]
    if score:
        lines += ["The firmware outputs one score (AnomalyScore extension layer); settings: "
                  + ", ".join(f"{k} `{v}`" for k, v in score.items() if v is not None) + ".", ""]  # fmt: skip
    rows = [[c["signal"], c["float_tpr"], c["firmware_tpr"],
             None if c["relative_loss"] is None else f"{-100 * c['relative_loss']:.1f} %",
             "LOSES THE TAIL" if c["flagged"] else "ok", "".join(caveats(c)).lstrip("; ") or "-"]
            for c in check["signals"]]  # fmt: skip
    lines += _table(["signal", f"float TPR @ FPR {check['fpr']:g}", "firmware TPR", "change", "check", "caveats"], rows)
    return [*lines, ""]
