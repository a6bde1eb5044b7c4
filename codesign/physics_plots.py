"""Physics plots saved as PNG in the house style (:mod:`codesign.plot_style`, mplhep's CMS look): classifier and
anomaly-score ROC curves and score distributions.

The ROC functions take several labelled score sets (e.g. ``{"float": ..., "quantized": ..., "firmware": ...}``)
and draw one panel per class or signal with one line per set, so that the stages can be told apart signal by
signal. Per-event weights, when the data carry them, weight the curves and histograms as they weight the metrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from codesign.metrics import BUNCH_CROSSING_RATE_MHZ, auc, rate_at_fpr_khz, roc_curve
from codesign.plot_style import colors, pyplot, style

LINESTYLES = ("-", "--", ":", "-.")
FPR_MARK = 1e-5


def _save(fig, path: str | Path) -> Path:
    """Save a figure as PNG (creating the folder) and close it."""
    from codesign.durable import atomic_path

    path = Path(path)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:  # written whole or not at all
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        pyplot().close(fig)
    return path


def _grid(n: int, width: float = 4.4, height: float = 3.8):
    """A figure with n panels, at most 3 per row; the unused panels hidden."""
    ncols = min(3, max(1, n))
    nrows = int(np.ceil(max(1, n) / ncols))
    fig, axes = pyplot().subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def plot_classifier_roc(
    labels: np.ndarray,
    score_sets: Mapping[str, np.ndarray],
    class_names: Sequence[str],
    path: str | Path,
    title: str = "",
    weights: np.ndarray | None = None,
) -> Path:
    """One-vs-rest ROC per class (signal efficiency vs background mistag, log y), one panel per class and
    one line per score set, so that float, quantized and firmware can be told apart class by class."""
    labels = np.asarray(labels)
    true = np.argmax(labels, axis=1) if labels.ndim == 2 else labels.astype(int)
    with style():
        fig, axes = _grid(len(class_names))
        palette = colors()
        for c, (name, ax) in enumerate(zip(class_names, axes, strict=True)):
            is_c = true == c
            if is_c.all() or not is_c.any():
                ax.set_visible(False)
                continue
            for s_i, (set_name, scores) in enumerate(score_sets.items()):
                fpr, tpr, _ = roc_curve(is_c, np.asarray(scores)[:, c], weights)
                keep = fpr > 0
                ax.plot(tpr[keep], fpr[keep], color=palette[s_i % len(palette)],
                        linestyle=LINESTYLES[s_i % len(LINESTYLES)], label=f"{set_name} (AUC {auc(fpr, tpr):.3f})")  # fmt: skip
            ax.set_yscale("log")
            ax.set_ylim(max(0.5 / max(1, int((~is_c).sum())), 1e-5), 1.0)
            ax.set_xlim(0, 1)
            ax.set_title(f"{name} vs rest")
            ax.set_xlabel("signal efficiency")
            ax.set_ylabel("background mistag rate")
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(loc="lower right")
        fig.suptitle(title or "one-vs-rest ROC")
        return _save(fig, path)


def plot_anomaly_roc(
    background: Mapping[str, np.ndarray],
    signals: Mapping[str, Mapping[str, np.ndarray]],
    path: str | Path,
    title: str = "",
    bunch_crossing_mhz: float = BUNCH_CROSSING_RATE_MHZ,
    weights: np.ndarray | None = None,
    signal_weights: Mapping[str, np.ndarray | None] | None = None,
) -> Path:
    """TPR vs FPR (log x): one panel per signal, one line per score set (stage); the FPR = 1e-5 line is marked
    with the L1 rate it stands for. ``background``: {stage: scores}; ``signals``: {stage: {signal: scores}}."""
    names: list[str] = []
    for per_stage in signals.values():
        names += [k for k in per_stage if k not in names]
    with style():
        fig, axes = _grid(len(names))
        palette = colors()
        for name, ax in zip(names, axes, strict=True):
            smallest = 1.0
            for s_i, (stage, bkg) in enumerate(background.items()):
                if name not in signals.get(stage, {}):
                    continue
                bkg, sig = np.asarray(bkg).ravel(), np.asarray(signals[stage][name]).ravel()
                truth = np.concatenate([np.zeros(len(bkg), bool), np.ones(len(sig), bool)])
                both = None
                w_sig = (signal_weights or {}).get(name)
                if weights is not None or w_sig is not None:
                    both = np.concatenate([np.ones(len(bkg)) if weights is None else weights,
                                           np.ones(len(sig)) if w_sig is None else w_sig])  # fmt: skip
                fpr, tpr, _ = roc_curve(truth, np.concatenate([bkg, sig]), both)
                keep = fpr > 0
                smallest = min(smallest, float(fpr[keep].min()) if keep.any() else 1.0)
                ax.plot(fpr[keep], tpr[keep], color=palette[s_i % len(palette)],
                        linestyle=LINESTYLES[s_i % len(LINESTYLES)], label=f"{stage} (AUC {auc(fpr, tpr):.3f})")  # fmt: skip
            ax.axvline(FPR_MARK, color="grey", linestyle=":",
                       label=f"FPR 1e-5 = {rate_at_fpr_khz(FPR_MARK, bunch_crossing_mhz):.3g} kHz")  # fmt: skip
            ax.set_xscale("log")
            ax.set_xlim(min(smallest, FPR_MARK) / 2, 1.0)
            ax.set_ylim(0, 1.02)
            ax.set_title(name)
            ax.set_xlabel("background efficiency (FPR)")
            ax.set_ylabel("signal efficiency (TPR)")
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(loc="upper left")
        fig.suptitle(title or "anomaly score ROC")
        return _save(fig, path)


def score_edges(arrays: Sequence[np.ndarray], bins: int, log_x: bool | None) -> tuple[np.ndarray, bool]:
    """Bin edges over all finite values, and whether they are logarithmic: ``log_x=None`` picks log when no
    value is negative and the positive ones span more than two decades (an R_z-like score)."""
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.linspace(0.0, 1.0, bins + 1), False
    positive = values[values > 0]
    if log_x is None:
        log_x = bool(values.min() >= 0 and positive.size and positive.max() > 100 * positive.min())
    if log_x and positive.size:
        lo, hi = float(positive.min()), float(positive.max())
        return np.geomspace(lo, hi if hi > lo else lo * 10, bins + 1), True
    lo, hi = float(values.min()), float(values.max())
    return np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1), False


def plot_score_distributions(
    background: np.ndarray,
    signals: Mapping[str, np.ndarray],
    path: str | Path,
    title: str = "",
    xlabel: str = "anomaly score",
    bins: int = 60,
    log_x: bool | None = None,
    weights: np.ndarray | None = None,
    signal_weights: Mapping[str, np.ndarray | None] | None = None,
) -> Path:
    """Histograms of the score (fraction of each process's events per bin) for the background and each signal, log
    y; log x (log-spaced bins) for a score that spans decades (``log_x=None``: decided from the values), values
    below the first edge (an R_z of exactly 0) counted in the first bin and said so in the legend."""
    import mplhep

    arrays = [np.asarray(background, dtype=np.float64).ravel(),
              *[np.asarray(s, dtype=np.float64).ravel() for s in signals.values()]]  # fmt: skip
    edges, is_log = score_edges(arrays, bins, log_x)
    all_weights = [weights, *[(signal_weights or {}).get(k) for k in signals]]
    with style():
        fig, ax = pyplot().subplots(figsize=(6.4, 4.8))
        palette = colors()
        underflow = 0
        for i, (name, values, w) in enumerate(zip(["background", *signals], arrays, all_weights, strict=True)):
            finite = np.isfinite(values)
            underflow += int(np.sum(values[finite] < edges[0]))
            clipped = np.clip(values[finite], edges[0], edges[-1])
            counts, _ = np.histogram(clipped, bins=edges, weights=None if w is None else np.asarray(w)[finite])
            fraction = counts / max(counts.sum(), 1e-300)  # bins equal in width on the drawn axis: shapes compare
            if i == 0:
                mplhep.histplot(fraction, edges, ax=ax, histtype="fill", alpha=0.3, color="grey", label=name)
            else:
                mplhep.histplot(fraction, edges, ax=ax, histtype="step", color=palette[(i - 1) % len(palette)],
                                linewidth=1.5, label=name)  # fmt: skip
        if is_log:
            ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel + (" (log scale)" if is_log else ""))
        ax.set_ylabel("fraction of events per bin")
        if underflow:
            ax.plot([], [], " ", label=f"{underflow} values < {edges[0]:.3g} in the first bin")
        ax.legend()
        ax.set_title(title or "score distributions")
        return _save(fig, path)
