"""A scan's outputs from its points: ``pareto.csv``, ``pareto.png`` and ``scan.md`` (all written atomically)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from codesign.pareto import pareto_front
from codesign.report import atomic_write_text
from codesign.scan_spec import CSIM_MODES, CSIM_TEXT, ESTIMATE_FIGURES, ScanFile, is_physics
from codesign.scan_study import objective_value

PLOT_AGAINST = ("lut", "dsp", "latency_ns")


def missing_objectives(scan: ScanFile, rec: dict) -> list[str]:
    """The objectives a built point has no value for (it cannot be ranked): e.g. a TPR at an FPR its background test
    sample cannot resolve."""
    return [n for n in scan.objectives if objective_value(rec, n) is None] if rec.get("status") == "ok" else []


def _missing_reason(name: str) -> str:
    if name.startswith("tpr_at_fpr"):
        return (f"{name}: the background test sample does not resolve the FPR (fewer than 1 / FPR background events, "
                "or the firmware's scores tie above it, as saturated ones do: report.md shows n/r); raise data.n_test, "
                "or rank on a larger FPR (tpr_at_fpr_1e-3)")  # fmt: skip
    return f"{name}: not in the point's report"


def feasible(scan: ScanFile, rec: dict) -> bool:
    """A finished point with every objective known that meets the constraints (the budget, when asked)."""
    if rec.get("status") != "ok" or missing_objectives(scan, rec):
        return False
    return not ("budget" in scan.constraints and rec.get("budget_pass") is not True)


def front(scan: ScanFile, records: list[dict]) -> list[dict]:
    """The non-dominated feasible points."""
    pool = [r for r in records if feasible(scan, r)]
    values = [[objective_value(r, n) for n in scan.objectives] for r in pool]
    return [pool[i] for i in pareto_front(values, list(scan.objectives.values()))]


def _fmt(v) -> str:
    if isinstance(v, float) and (v.is_integer() or abs(v) >= 1e4) and abs(v) < 1e9:  # LUT 14665, not 1.466e+04
        return f"{v:.0f}"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return json.dumps(list(v))
    return str(v)


def write_csv(scan: ScanFile, best: list[dict], path: Path) -> None:
    """pareto.csv: id, axis values, objectives, the estimate, budget verdict, build folder."""
    buf = io.StringIO()
    w = csv.writer(buf)
    extra = [k for k in ESTIMATE_FIGURES if k not in scan.objectives]
    w.writerow(["id", *scan.axes, *scan.objectives, *extra, "budget_pass", "bit_exact", "build_dir"])
    for r in best:
        w.writerow([r["id"], *(_fmt(r["params"].get(k)) for k in scan.axes),
                    *(objective_value(r, n) for n in scan.objectives), *((r.get("estimate") or {}).get(k) for k in extra),
                    r.get("budget_pass"), r.get("bit_exact"), r.get("build_dir")])  # fmt: skip
    atomic_write_text(path, buf.getvalue())


def physics_axes(scan: ScanFile) -> list[str]:
    """The physics figures the plot shows, one row each: the physics objectives, else accuracy (auc for anomaly
    scans)."""
    named = [n for n in scan.objectives if is_physics(n)]
    return named or ["auc" if (scan.base.get("model") or {}).get("family") in ("vae", "ae") else "accuracy"]


def resource_axes(scan: ScanFile) -> list[str]:
    """The figures the plot puts on its x axes, one column each: the scan's resource and latency objectives, then
    LUT, DSP and latency (those the objectives do not name)."""
    named = [n for n in scan.objectives if not is_physics(n)]
    return named + [n for n in PLOT_AGAINST if n not in named]


AXIS_LABELS = {"lut": "LUT", "ff": "FF", "dsp": "DSP", "bram_18k": "BRAM 18k", "uram": "URAM",
               "latency_ns": "latency [ns]", "latency_cycles": "latency [cycles]", "ii_cycles": "II [cycles]"}  # fmt: skip


def _label(name: str) -> str:
    """An x axis's label: ``rtl_latency_ns`` is 'RTL latency [ns]'."""
    rtl = name.startswith("rtl_")
    base = AXIS_LABELS.get(name[4:] if rtl else name, name)
    return f"RTL {base}" if rtl else base


def _save(fig, path: Path) -> None:
    """Save a figure as PNG, whole or not at all, and close it."""
    from codesign.durable import atomic_path
    from codesign.plot_style import pyplot

    try:
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        pyplot().close(fig)


def write_plot(scan: ScanFile, records: list[dict], best: list[dict], path: Path) -> None:
    """pareto.png in the house style (:mod:`codesign.plot_style`, mplhep's CMS look): each physics objective (a row)
    against each resource or latency objective and LUT, DSP and latency (a column); front highlighted, budget
    failures marked, the float model as a line."""
    from codesign.plot_style import colors, pyplot, style

    rows, columns = physics_axes(scan), resource_axes(scan)
    built = [r for r in records if r.get("status") == "ok"]
    best_ids = {r["id"] for r in best}
    groups = {
        "budget fails": [r for r in built if r.get("budget_pass") is not True],
        "fits the budget": [r for r in built if r.get("budget_pass") is True and r["id"] not in best_ids],
        "Pareto front": [r for r in built if r["id"] in best_ids],
    }
    with style():
        palette = colors()  # the CMS cycle: blue, orange, red, purple, grey, violet
        looks = {"budget fails": dict(marker="x", color=palette[2 % len(palette)], s=30),
                 "fits the budget": dict(marker="o", color=palette[4 % len(palette)], s=22, alpha=0.8),
                 "Pareto front": dict(marker="*", color=palette[0], s=150, edgecolor="k", zorder=3)}  # fmt: skip
        fig, axes = pyplot().subplots(len(rows), len(columns), figsize=(4.6 * len(columns), 4.0 * len(rows)),
                                      squeeze=False)  # fmt: skip
        for y_name, ax_row in zip(rows, axes, strict=True):
            floats = [((r.get("metrics") or {}).get("float") or {}).get(y_name) for r in built]
            floats = [f for f in floats if f is not None]
            for ax, x_name in zip(ax_row, columns, strict=True):
                for label, pts in groups.items():
                    keep = [(objective_value(r, x_name), objective_value(r, y_name)) for r in pts]
                    keep = [(x, y) for x, y in keep if x is not None and y is not None]
                    if keep:
                        ax.scatter(*zip(*keep, strict=True), label=f"{label} ({len(keep)})", **looks[label])
                if floats:
                    ax.axhline(max(floats), color=palette[3 % len(palette)], ls="--",
                               label="float model" + (" (best)" if len(set(floats)) > 1 else ""))  # fmt: skip
                ax.set_xlabel(_label(x_name))
                ax.set_ylabel(f"firmware {y_name}")
                ax.grid(alpha=0.3)
        if axes[0][0].get_legend_handles_labels()[0]:
            axes[0][0].legend(loc="best")
        else:  # no point to draw: say so, where matplotlib printed a warning on the console about an empty legend
            why = "no point finished" if not built else f"no point has\n{rows[0]}"
            axes[0][0].text(0.5, 0.5, f"{why}:\nsee scan.md", ha="center", va="center",
                            transform=axes[0][0].transAxes)  # fmt: skip
        fig.suptitle(f"{scan.path.name}: {len(built)} points, {sum(r.get('status') != 'ok' for r in records)} failed",
                     fontsize=11)  # fmt: skip
        _save(fig, path)


def _effects(scan: ScanFile, records: list[dict]) -> list[str]:
    """Mean of each objective per value of each axis (over the finished points): the settings that matter."""
    ok = [r for r in records if r.get("status") == "ok"]
    lines = []
    for axis, values in scan.axes.items():
        lines += [f"### {axis}", "", "| value | points | " + " | ".join(f"mean {n}" for n in scan.objectives) + " |",
                  "|---|---|" + "---|" * len(scan.objectives)]  # fmt: skip
        for v in values:
            pts = [r for r in ok if json.dumps(r["params"].get(axis)) == json.dumps(list(v) if isinstance(v, tuple) else v)]
            means = []
            for n in scan.objectives:
                vals = [objective_value(r, n) for r in pts if objective_value(r, n) is not None]
                means.append(_fmt(sum(vals) / len(vals)) if vals else "-")
            lines.append(f"| {_fmt(v)} | {len(pts)} | " + " | ".join(means) + " |")
        lines.append("")
    return lines


def write_markdown(scan: ScanFile, records: list[dict], best: list[dict], path: Path) -> None:
    """scan.md: the counts, the best points, the settings that matter, what failed and why."""
    failed = [r for r in records if r.get("status") != "ok"]
    over = [r for r in records if r.get("status") == "ok" and r.get("budget_pass") is not True]
    unranked = [r for r in records if missing_objectives(scan, r)]
    objs = ", ".join(f"{n} ({d})" for n, d in scan.objectives.items())
    lines = [f"# codesign scan: {scan.path.name}", "",
             f"{len(records)} points ({scan.mode}), {len(records) - len(failed)} built, {len(failed)} failed, "
             f"{len(over)} over the budget"
             + (f", {len(unranked)} built without a value for an objective (not ranked)" if unranked else "")
             + f". Objectives: {objs}; constraints: {', '.join(scan.constraints) or 'none'}.",
             *(_fpr_lines(scan, records)), "", _csim_line(records), "", "## Pareto front", "", "![pareto](pareto.png)", "",
             "| id | " + " | ".join(scan.axes) + " | " + " | ".join(scan.objectives) + " | budget |",
             "|---|" + "---|" * (len(scan.axes) + len(scan.objectives) + 1)]  # fmt: skip
    first = next(iter(scan.objectives))
    sign = -1 if scan.objectives[first] == "max" else 1
    for r in sorted(best, key=lambda r: sign * objective_value(r, first)):
        lines.append(f"| {r['id']} | " + " | ".join(_fmt(r["params"].get(k)) for k in scan.axes) + " | "
                     + " | ".join(_fmt(objective_value(r, n)) for n in scan.objectives)
                     + f" | {'pass' if r.get('budget_pass') else 'FAIL'} |")  # fmt: skip
    if not best:
        lines.append(f"| (no feasible point: {_why_empty(scan, records, failed, over, unranked)}) |")
    lines += ["", "## The settings that matter", "", *_effects(scan, records), "## Failed points", ""]
    lines += [f"- `{r['id']}` {json.dumps(r['params'])}: {r.get('error')}" for r in failed] or ["none"]
    if unranked:
        lines += ["", "## Built, not ranked (an objective has no value)", ""]
        lines += [f"- `{r['id']}` {json.dumps(r['params'])}: "
                  + "; ".join(_missing_reason(n) for n in missing_objectives(scan, r)) for r in unranked]  # fmt: skip
    if over:
        lines += ["", "## Over the budget", ""]
        lines += [f"- `{r['id']}` {json.dumps(r['params'])}: {_over_text(r)}" for r in over]
    atomic_write_text(path, "\n".join(lines) + "\n")


def _over_text(rec: dict) -> str:
    """The budget checks a point fails, with value and limit where its line has them (``budget_over``)."""
    over = rec.get("budget_over")
    if not over:
        return ", ".join(rec.get("budget_failed") or []) or "unknown"
    parts = []
    for c in over:
        value, limit = c.get("value"), c.get("limit")
        if value is None:
            parts.append(f"{c['name']} unknown (limit {_fmt(float(limit))} {c.get('unit', '')})")
        else:
            ratio = f", {value / limit:.3g}x" if limit else ""
            parts.append(f"{c['name']} {_fmt(float(value))} > {_fmt(float(limit))} {c.get('unit', '')}{ratio}")
    return "; ".join(parts)


def _why_empty(scan: ScanFile, records: list[dict], failed: list, over: list, unranked: list) -> str:
    """Why the front is empty, in a few words."""
    if not records:
        return "no point finished"
    if len(failed) == len(records):
        return "every point failed, see Failed points"
    parts = [f"{len(failed)} failed"] if failed else []
    if unranked:
        parts.append(f"{len(unranked)} without an objective's value")
    if over and "budget" in scan.constraints:
        parts.append(f"{len(over)} over the budget")
    return ", ".join(parts) or "none"


def _fpr_lines(scan: ScanFile, records: list[dict]) -> list[str]:
    """Which FPR ``tpr_at_fpr`` was taken at (the smallest the background test sample resolves), when ranked on it."""
    if "tpr_at_fpr" not in scan.objectives:
        return []
    fprs = sorted({f for r in records if (f := ((r.get("metrics") or {}).get("firmware") or {}).get("fpr")) is not None})
    if not fprs:
        return []
    at = ", ".join(f"{f:g}" for f in fprs)
    mixed = " (the points differ: their background test samples resolve different FPRs)" if len(fprs) > 1 else ""
    return ["", f"tpr_at_fpr is the mean TPR over the signals at FPR {at}, the smallest FPR the background test sample "
            f"resolves{mixed}; tpr_at_fpr_1e-4 (1e-5, 1e-3) names one FPR."]  # fmt: skip


def _csim_line(records: list[dict]) -> str:
    """How the points' firmware was C-simulated (the points.jsonl ``csim`` field: both paths, or the testbench)."""
    n = {m: sum(r.get("csim") == m for r in records) for m in CSIM_MODES}
    parts = [f"{n[m]} point(s) {CSIM_TEXT[m]}" for m in CSIM_MODES if n[m]]
    return "C-simulation: " + ("; ".join(parts) if parts else "no point recorded it") + "."


def write_outputs(scan: ScanFile, out: Path, records: list[dict]) -> dict[str, str]:
    """Write pareto.csv, pareto.png and scan.md; returns their paths."""
    best = front(scan, records)
    paths = {"points": out / "points.jsonl", "pareto_csv": out / "pareto.csv", "pareto_png": out / "pareto.png",
             "scan_md": out / "scan.md"}  # fmt: skip
    write_csv(scan, best, paths["pareto_csv"])
    write_plot(scan, records, best, paths["pareto_png"])
    write_markdown(scan, records, best, paths["scan_md"])
    return {k: str(v) for k, v in paths.items()}
