"""report.md's physics section: each stage's figures with their bootstrap intervals, and the changes from float
that lie beyond the statistical noise of the test sample (the figures come from :mod:`codesign.metrics_stages`)."""

from __future__ import annotations

from typing import Any

from codesign.metrics import BUNCH_CROSSING_RATE_MHZ, rate_at_fpr_khz
from codesign.report_tables import _fmt, _table

STAGES = ("float", "pruned", "quantized", "firmware")
FLAG = "(!)"
SHORT = "@ FPR"  # a point whose threshold reaches well below its FPR: the FPR it reached follows


def _cell(value: Any, band: list | None = None, cmp: dict | None = None) -> Any:
    """A table cell: the value, its interval when there is one, and the flag when it left the float's interval."""
    if value is None or isinstance(value, str) or band is None:
        text = value
    else:
        text = f"{_fmt(value)} [{_fmt(band[0])}, {_fmt(band[1])}]"
    if cmp and cmp.get("beyond_noise"):
        text = f"{_fmt(text)} {FLAG}"
    return text


def flat_anomaly(m: dict) -> dict:
    """Per signal: AUC and the TPR at each FPR, with intervals; a TPR the background sample cannot resolve is n/r.

    The rate beside each FPR is the L1 rate that FPR stands for (metrics.rate_at_fpr_khz, as in the ROC plot's
    legend), not the rate measured at the threshold, which is 0 when the background sample cannot resolve it.
    """
    f_bx = m.get("bunch_crossing_mhz") or BUNCH_CROSSING_RATE_MHZ
    out: dict = {}
    for name, sig in (m.get("signals") or {}).items():
        vs = sig.get("vs_float") or {}
        out[f"{name} AUC"] = _cell(sig.get("auc"), sig.get("auc_interval"), vs.get("AUC"))
        for key, point in (sig.get("points") or {}).items():
            label = f"{name} TPR at FPR {point.get('fpr'):g} (L1 rate {rate_at_fpr_khz(point.get('fpr'), f_bx):.3g} kHz)"
            if not point.get("resolved", True):
                out[label] = "n/r"
            else:
                cell = _cell(point.get("tpr"), point.get("tpr_interval"), vs.get(f"TPR at FPR {key}"))
                cell = f"{cell} ~" if point.get("tpr_interval_rough") else cell
                out[label] = f"{cell} {SHORT} {point['fpr_reached']:.2g}" if point.get("fpr_short") else cell
    return out


def flat_classification(m: dict) -> dict:
    """Accuracy, mean AUC and per class the AUC and the rejections, with intervals."""
    vs = m.get("vs_float") or {}
    out: dict = {"accuracy": _cell(m.get("accuracy"), m.get("accuracy_interval"), vs.get("accuracy")),
                 "mean_auc": m.get("mean_auc")}  # fmt: skip
    for name, c in (m.get("per_class") or {}).items():
        cvs = c.get("vs_float") or {}
        out[f"{name} auc"] = _cell(c.get("auc"), c.get("auc_interval"), cvs.get("AUC"))
        bands = c.get("rejection_interval") or {}
        for key, value in (c.get("rejection") or {}).items():
            out[f"{name} 1/eps_B at eps_S={key}"] = _cell(value, bands.get(key), cvs.get(f"1/eps_B at eps_S {key}"))
    return out


def flat_metrics(m: dict) -> dict:
    """One stage's figures as {row label: cell}."""
    return flat_anomaly(m) if "signals" in (m or {}) else flat_classification(m or {})


def _method_line(metrics: dict, stages: list[str]) -> list[str]:
    boot = next((metrics[s].get("bootstrap") for s in stages if metrics[s].get("bootstrap")), None)
    lines = []
    weighted = any(metrics[s].get("weighted") for s in stages)
    if weighted:
        first = metrics[stages[0]]
        eff = first.get("n_background_effective")
        lines.append("Figures weighted by the data's per-event weights (thresholds, TPR and rates from the weighted "
                     "background" + (f"; its effective size is {eff:.0f} events" if eff is not None else "") + ").")  # fmt: skip
    if boot:
        lo, hi = boot["percentiles"]
        lines.append(
            f"[low, high]: {100 * boot['confidence']:.0f} % bootstrap interval (percentiles {lo:g}-{hi:g} of "
            f"{boot['n']} resamples of the test set, seed {boot['seed']}, stratified by class / process"
            + (", weighted" if boot.get("weighted") else "") + "; spec key `metrics`). "
            f"{FLAG}: outside the float figure's interval, a change beyond the statistical noise of the test sample."
        )
        if any(p.get("tpr_interval_rough") for s in stages for sig in (metrics[s].get("signals") or {}).values()
               for p in (sig.get("points") or {}).values()):  # fmt: skip
            lines.append("~: the threshold rests on fewer than 10 background events; the interval is rough (the "
                         "bootstrap of such an extreme tail is unreliable) and the figure is not flagged.")  # fmt: skip
    else:
        lines.append("No intervals (`metrics.bootstrap: 0`, or a report from before they existed): differences between "
                     "stages cannot be told from noise here.")  # fmt: skip
    return lines


def physics_section(metrics: dict) -> list[str]:
    """The '## Physics performance' lines of report.md (empty when there are no metrics)."""
    stages = [s for s in STAGES if s in (metrics or {})]
    if not stages:
        return []
    flats = {s: flat_metrics(metrics[s]) for s in stages}
    keys: list[str] = []
    for s in stages:
        keys += [k for k in flats[s] if k not in keys]
    rows = [[k] + [flats[s].get(k) for s in stages] for k in keys]
    lines = ["## Physics performance (test set)", ""]
    lines += _table(["metric"] + stages, rows)
    lines.append("")
    if any(v == "n/r" for row in rows for v in row):
        lines += ["n/r: not resolved, the background test sample is too small for that FPR.", ""]
    lines += _method_line(metrics, stages) + [""]
    if any(p.get("fpr_short") for s in stages for sig in (metrics[s].get("signals") or {}).values()
           for p in (sig.get("points") or {}).values()):  # fmt: skip
        lines += [f"{SHORT} x: the threshold reaches a background fraction x, below half the FPR asked for (a heavy "
                  "background event straddles it; too few background events): the TPR belongs to that tighter working "
                  "point, and stages that reach different fractions are not compared like for like.", ""]  # fmt: skip
    from codesign.metrics_bootstrap import beyond_noise

    flagged = [line for s in stages if s != "float" for line in beyond_noise(metrics, s)]
    if flagged:
        lines += ["### Changes from float beyond the statistical noise", ""]
        lines += [f"- {line}" for line in flagged] + [""]
    return lines
