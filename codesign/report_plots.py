"""Plots of a build report: training curves, ROC / score curves float vs quantized vs firmware, resources,
in the house style (:mod:`codesign.plot_style`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator, NullLocator

from codesign.plot_style import pyplot, style

plt = pyplot()


def _save(fig, path: Path) -> None:
    from codesign.durable import atomic_path

    try:
        with atomic_path(path) as tmp:  # a failed write (full disk) leaves no half-written plot
            fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)


def training_curves(histories: dict[str, dict[str, list[float]]], path: Path) -> bool:
    """Loss and accuracy per epoch for each training stage (float, prune, QAT), one after the other."""
    stages = [(k, v) for k, v in histories.items() if v and v.get("loss")]
    if not stages:
        return False
    with style():
        _training_figure(stages, path)
    return True


def _training_figure(stages: list, path: Path) -> None:
    # an accuracy panel only where a stage has one (a VAE trains on its loss alone)
    keys = ("loss", "accuracy") if any("accuracy" in hist for _, hist in stages) else ("loss",)
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.8), squeeze=False)
    axes = axes[0]
    offset = 0
    for stage, hist in stages:
        n = len(hist["loss"])
        epochs = np.arange(offset + 1, offset + n + 1)
        for ax, key in zip(axes, keys, strict=True):
            if key in hist:
                ax.plot(epochs, hist[key], "o-", ms=3, label=f"{stage} train")
            if f"val_{key}" in hist:
                ax.plot(epochs, hist[f"val_{key}"], "s--", ms=3, label=f"{stage} validation")
        offset += n
    for ax, key in zip(axes, keys, strict=True):
        ax.set_xlabel("epoch (all stages in sequence)")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Training: float, pruning, quantization-aware")
    _save(fig, path)


def unique_labels(names: list) -> list[str]:
    """Bar labels, one per layer: repeated names get their occurrence number (``transpose (2)``), and a numbered
    label that another layer already carries as its own name is numbered further, so no two rows share a label."""
    counts: dict[str, int] = {}
    total = {str(n): sum(1 for m in names if str(m) == str(n)) for n in names}
    taken = {str(n) for n in names if total[str(n)] == 1}
    out = []
    for n in names:
        key = str(n)
        if total[key] == 1:
            out.append(key)
            continue
        while True:
            counts[key] = counts.get(key, 0) + 1
            label = f"{key} ({counts[key]})"
            if label not in taken:
                break
        taken.add(label)
        out.append(label)
    return out


def layer_resources(estimate: dict, path: Path) -> bool:
    """Per-layer LUT / FF / DSP / BRAM bars from the estimate."""
    layers = [lay for lay in (estimate or {}).get("per_layer") or [] if not lay.get("declined")]
    if not layers:
        return False
    # labels must be unique: matplotlib puts bars with the same category label on one row
    names = unique_labels([lay.get("name") for lay in layers])
    with style():
        _resource_figure(estimate, layers, names, path)
    return True


def _resource_figure(estimate: dict, layers: list[dict], names: list[str], path: Path) -> None:
    keys = ["lut", "ff", "dsp", "bram_18k"]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 0.35 * len(names) + 1.8), sharey=True)
    for ax, key in zip(axes, keys, strict=True):
        vals = [lay.get(key) or 0 for lay in layers]
        ax.barh(range(len(names)), vals, color="tab:blue", tick_label=names)
        top = max(vals) if vals else 0
        ax.set_xlim(0, 1.25 * top if top > 0 else 1)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        for y, v in enumerate(vals):
            ax.annotate(f"{v:,}", (v, y), xytext=(2, 0), textcoords="offset points", va="center", fontsize=7)
        ax.set_title(f"{key.upper()} (total {sum(vals):,})")
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()
    axes[0].yaxis.set_minor_locator(NullLocator())  # one row per layer: no minor ticks between them
    for ax in axes:
        ax.tick_params(axis="y", which="both", right=False)
    fig.suptitle(f"Per-layer estimate ({estimate.get('source', '')})", fontsize=9, y=1.0)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    _save(fig, path)


def make_plots(ctx, state) -> dict[str, str]:
    """Write the build's plots under ``<out>/plots``; returns {title: path relative to the report}."""
    out = ctx.path("plots")
    made: dict[str, str] = {}
    if training_curves(state.histories, out / "training.png"):
        made["training curves"] = "plots/training.png"
    est = state.estimate.to_dict() if hasattr(state.estimate, "to_dict") else state.estimate
    if est and layer_resources(est, out / "resources.png"):
        made["per-layer resources"] = "plots/resources.png"
    made.update(_physics_plots(ctx, state, out))
    return made


def _score_kind(ctx) -> str:
    score = ctx.spec.anomaly_score if ctx.spec is not None else None
    return score.kind.value if score is not None else "score"


def _physics_plots(ctx, state, out: Path) -> dict[str, str]:
    from codesign import physics_plots
    from codesign.metrics_stages import event_weights

    data, scores = state.data, state.scores
    if data is None or not scores:
        return {}
    w_test, w_signals = event_weights(data)
    made = {}
    if data.task == "classification":
        physics_plots.plot_classifier_roc(data.y_test, scores, data.class_names, out / "roc.png",
                                          title="ROC: float vs quantized vs firmware (C-sim)", weights=w_test)  # fmt: skip
        made["ROC float vs quantized vs firmware"] = "plots/roc.png"
    else:
        background = {stage: s["background"] for stage, s in scores.items()}
        signals = {stage: {k: v for k, v in s.items() if k != "background"} for stage, s in scores.items()}
        physics_plots.plot_anomaly_roc(background, signals, out / "roc.png",
                                       title="anomaly ROC per signal: float vs quantized vs firmware (C-sim)",
                                       weights=w_test, signal_weights=w_signals)  # fmt: skip
        made["anomaly ROC per signal, float vs quantized vs firmware"] = "plots/roc.png"
        fw = scores["firmware"]
        physics_plots.plot_score_distributions(fw["background"], signals["firmware"], out / "scores.png",
                                               title=f"firmware anomaly score ({_score_kind(ctx)}) per process",
                                               xlabel=_score_kind(ctx), weights=w_test, signal_weights=w_signals)  # fmt: skip
        made["firmware anomaly scores per signal"] = "plots/scores.png"
    return made
