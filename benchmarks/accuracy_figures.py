"""Figures of the estimator's held-out predictions: repository-capped median and p90 per group of records and per
repository, the naive baseline, the error-bar bands and the per-layer latency summary.

Pure functions of the per-record results and per-layer rows that ``estimator_accuracy.run`` produces (the
benchmark re-exports them: ``estimator_accuracy.figures`` etc.).
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict

from codesign.estimate.uncertainty import bands_from, capped_weights, design_kind, residual, weighted_quantile


def summarize_layers(results: list[dict]) -> dict:
    """Per layer group: n, repositories, latency exact / within 1 cycle, median |error|, II exact."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        groups[r["group"]].append(r)
        if r["group"].startswith("io_parallel"):
            groups["ALL io_parallel layers"].append(r)
    par = groups.get("ALL io_parallel layers", [])
    if par:
        # the latency constants were read off these layers, most of them one repository's: without it
        top = max({r["repo"] for r in par}, key=lambda repo: sum(r["repo"] == repo for r in par))
        rest = [r for r in par if r["repo"] != top]
        if rest:
            groups[f"ALL io_parallel layers without {top}"] = rest
    out = {}
    for g, rs in sorted(groups.items()):
        err = [abs(r["pred_latency"] - r["act_latency"]) for r in rs]
        ii = [r["pred_ii"] == r["act_ii"] for r in rs if r["act_ii"] is not None]
        out[g] = {
            "n": len(rs),
            "repos": len({r["repo"] for r in rs}),
            "lat_exact": sum(e == 0 for e in err) / len(err),
            "lat_within1": sum(e <= 1 for e in err) / len(err),
            "lat_med_cycles": statistics.median(err),
            "ii_exact": (sum(ii) / len(ii)) if ii else None,
        }
    return out


def naive(rec: dict) -> dict:
    """Baseline: DSP = non-zero multiplies; LUT, FF from products x accumulator width; latency = layers + 2."""
    nnz = 0
    lut = 0.0
    n_layers = 0
    for layer in rec.get("layers") or []:
        if layer.get("base") in ("dense_config", "conv1d_config", "conv2d_config") and isinstance(
            layer.get("n_in"), int
        ):
            n_in, n_out = layer.get("n_in"), layer.get("n_out") or layer.get("n_filt") or 0
            if isinstance(n_out, int):
                k = n_in * n_out - int(layer.get("n_zeros") or 0)
                nnz += k
                m = re.search(r"<\s*(\d+)", str(layer.get("accum_t") or ""))
                lut += k * (int(m.group(1)) if m else 16)
        n_layers += 1
    return {
        "LUT": lut,
        "FF": lut,
        "DSP": nnz,
        "BRAM_18K": 0,
        "latency_max_cycles": n_layers + 2,
        "interval_max": max(rec.get("reuse_factors") or [1]),
    }


def rel_err(pred, act) -> float | None:
    """|pred - act| / act (None where either is missing or act is 0)."""
    if pred is None or not isinstance(act, (int, float)) or act == 0:
        return None
    return abs(pred - act) / abs(act)


FIGURES = ("LUT", "FF", "DSP", "BRAM_18K")
TARGET = "STOCK io_parallel (target population)"


def _errors(rs: list[dict], which: str, key: str) -> tuple[list[float], list[str]]:
    """|relative error| (resources) or |error| in cycles (latency) of the records that have both, by repo."""
    vals, repos = [], []
    for r in rs:
        pred, act = r[which].get(key), r["act"].get(key)
        if key == "latency_max_cycles":
            e = abs(pred - act) if pred is not None and isinstance(act, int) else None
        else:
            e = rel_err(pred, act)
        if e is not None:
            vals.append(e)
            repos.append(r["repo"])
    return vals, repos


def figures(rs: list[dict], which: str = "pred") -> dict:
    """Repository-capped median and p90 per figure, latency within 2 cycles, II exact, coverage."""
    w_all = capped_weights([r["repo"] for r in rs])
    row: dict = {"n": len(rs), "repos": len({r["repo"] for r in rs})}
    row["coverage"] = sum(w for r, w in zip(rs, w_all, strict=True) if r["pred"]["LUT"] is not None) / sum(w_all)
    for key in (*FIGURES, "latency_max_cycles"):
        vals, repos = _errors(rs, which, key)
        w = capped_weights(repos)
        row[f"{key}_med"] = weighted_quantile(vals, w, 0.5)
        row[f"{key}_p90"] = weighted_quantile(vals, w, 0.9)
        if key == "latency_max_cycles":
            row["lat_within2"] = sum(wi for v, wi in zip(vals, w, strict=True) if v <= 2) / sum(w) if vals else None
    ii = [(r["repo"], r[which]["interval_max"] == r["act"]["interval_max"]) for r in rs if r[which]["interval_max"]]
    w = capped_weights([a for a, _ in ii])
    row["ii_exact"] = sum(wi for (_, ok), wi in zip(ii, w, strict=True) if ok) / sum(w) if ii else None
    return row


def summarize(results: list[dict]) -> dict:
    """Per group of records (and the target population with and without its largest repository): figures."""
    groups: dict[str, list[dict]] = defaultdict(list)
    target = [r for r in results if r["stock"] and r["group"].startswith("stock io_parallel")]
    for r in results:
        groups[r["group"]].append(r)
    groups[TARGET] = target
    if target:
        top = max({r["repo"] for r in target}, key=lambda repo: sum(r["repo"] == repo for r in target))
        groups[f"STOCK io_parallel without {top}"] = [r for r in target if r["repo"] != top]
    return {g: {"est": figures(rs), "naive": figures(rs, "naive")} for g, rs in sorted(groups.items())}


def per_repository(results: list[dict], io_type: str = "io_parallel") -> dict:
    """A stock population's figures per repository (each repository held out in turn): the target population
    (io_parallel) by default."""
    target = [r for r in results if r["stock"] and r["group"].startswith(f"stock {io_type}")]
    return {repo: figures([r for r in target if r["repo"] == repo]) for repo in sorted({r["repo"] for r in target})}


def bands(results: list[dict]) -> dict:
    """Error-bar bands (uncertainty.BANDS) from the held-out residuals of the stock records."""
    rows = []
    for r in results:
        io = design_kind(r["io_types"], r["strategies"])
        if not r["stock"] or r["pred"]["LUT"] is None or io is None:
            continue
        for fig, key in (("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP"), ("bram_18k", "BRAM_18K"),
                         ("latency_cycles", "latency_max_cycles"), ("ii_cycles", "interval_max")):  # fmt: skip
            res = residual(fig, io, r["pred"][key], r["act"][key])
            if res is not None:
                rows.append((r["repo"], io, fig, res))
    return bands_from(rows)
