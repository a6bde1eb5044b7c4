"""Physics plots saved as PNG (matplotlib Agg): classifier ROC curves and anomaly-score distributions.

Each function takes several labelled score sets (e.g. ``{"float": ..., "quantized": ..., "firmware": ...}``)
so that the float model, its quantized version and the firmware emulation are drawn on the same axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from codesign.metrics import BUNCH_CROSSING_RATE_MHZ, auc, rate_at_fpr_khz, roc_curve

LINESTYLES = ("-", "--", ":", "-.")


def _pyplot():
    """pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> Path:
    """Save a figure as PNG (creating the folder) and close it."""
    from codesign.durable import atomic_path

    path = Path(path)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:  # written whole or not at all
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        _pyplot().close(fig)
    return path


def plot_classifier_roc(
    labels: np.ndarray,
    score_sets: Mapping[str, np.ndarray],
    class_names: Sequence[str],
    path: str | Path,
    title: str = "",
) -> Path:
    """One-vs-rest ROC per class (signal efficiency vs background mistag, log y), one panel per class and
    one line per score set, so that float, quantized and firmware can be told apart class by class."""
    plt = _pyplot()
    labels = np.asarray(labels)
    true = np.argmax(labels, axis=1) if labels.ndim == 2 else labels.astype(int)
    n = max(1, len(class_names))
    ncols = min(3, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.4 * nrows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for c, name in enumerate(class_names):
        ax = axes[c // ncols][c % ncols]
        is_c = true == c
        if is_c.all() or not is_c.any():
            ax.set_visible(False)
            continue
        for s_i, (set_name, scores) in enumerate(score_sets.items()):
            fpr, tpr, _ = roc_curve(is_c, np.asarray(scores)[:, c])
            keep = fpr > 0
            ax.plot(
                tpr[keep], fpr[keep], color=colors[s_i % len(colors)], linestyle=LINESTYLES[s_i % len(LINESTYLES)],
                label=f"{set_name} (AUC {auc(fpr, tpr):.3f})",
            )
        ax.set_yscale("log")
        ax.set_ylim(max(0.5 / max(1, int((~is_c).sum())), 1e-5), 1.0)
        ax.set_xlim(0, 1)
        ax.set_title(f"{name} vs rest", fontsize=10)
        ax.set_xlabel("signal efficiency", fontsize=9)
        ax.set_ylabel("background mistag rate", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    fig.suptitle(title or "one-vs-rest ROC")
    return _save(fig, path)


def plot_anomaly_roc(
    background: Mapping[str, np.ndarray],
    signals: Mapping[str, Mapping[str, np.ndarray]],
    path: str | Path,
    title: str = "",
    bunch_crossing_mhz: float = BUNCH_CROSSING_RATE_MHZ,
) -> Path:
    """TPR vs FPR (log x) per signal and score set; the FPR = 1e-5 line and the matching L1 rate are marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for s_i, (set_name, bkg) in enumerate(background.items()):
        bkg = np.asarray(bkg).ravel()
        for c, (signal, scores) in enumerate(signals[set_name].items()):
            sig = np.asarray(scores).ravel()
            truth = np.concatenate([np.zeros(len(bkg), bool), np.ones(len(sig), bool)])
            fpr, tpr, _ = roc_curve(truth, np.concatenate([bkg, sig]))
            keep = fpr > 0
            ax.plot(
                fpr[keep], tpr[keep], color=colors[c % len(colors)], linestyle=LINESTYLES[s_i % len(LINESTYLES)],
                label=f"{signal} {set_name} (AUC {auc(fpr, tpr):.3f})",
            )
    ax.axvline(1e-5, color="grey", linestyle=":", label=f"FPR 1e-5 = {rate_at_fpr_khz(1e-5, bunch_crossing_mhz):.3g} kHz")
    ax.set_xscale("log")
    ax.set_xlabel("background efficiency (FPR)")
    ax.set_ylabel("signal efficiency (TPR)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title or "anomaly score ROC")
    return _save(fig, path)


def plot_score_distributions(
    background: np.ndarray,
    signals: Mapping[str, np.ndarray],
    path: str | Path,
    title: str = "",
    xlabel: str = "anomaly score",
    bins: int = 60,
) -> Path:
    """Normalised histograms of the score for the background and each signal (log y)."""
    plt = _pyplot()
    arrays = [np.asarray(background).ravel(), *[np.asarray(s).ravel() for s in signals.values()]]
    finite = np.concatenate(arrays)
    finite = finite[np.isfinite(finite)]
    lo, hi = (float(np.min(finite)), float(np.max(finite))) if finite.size else (0.0, 1.0)
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.hist(arrays[0], bins=edges, density=True, histtype="stepfilled", alpha=0.3, color="grey", label="background")
    for name, values in zip(signals, arrays[1:], strict=True):
        ax.hist(values, bins=edges, density=True, histtype="step", linewidth=1.5, label=name)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    ax.set_title(title or "score distributions")
    return _save(fig, path)
