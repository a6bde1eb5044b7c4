"""Does the firmware keep the anomaly score's tail? Firmware vs float TPR at a low FPR, per signal.

Quantization can cost an anomaly trigger most of its efficiency at the rates it runs at while the firmware is
still bit-exact to the quantized model; this check makes that loss a loud line of the report and the console. Each row also says how far the comparison
can be trusted: the FPR each stage's threshold reached (``fpr_short`` when a heavy background event leaves it below
half the asked FPR: then the two TPRs belong to different working points), whether the threshold rests on fewer
than 10 effective background events (``rough``) and the bootstrap band of the paired difference; the warning says
so, and the flag itself stays (a loss within the noise is still a loss that the test sample could not rule out).
"""

from __future__ import annotations

from typing import Any

TAIL_FPR = 1e-3
MAX_RELATIVE_LOSS = 0.10
STAGES = ("float", "pruned", "quantized", "firmware")


def _plain(m: Any) -> dict:
    return m.to_dict() if hasattr(m, "to_dict") else (m or {})


def _point(sig: dict | None, fpr: float) -> dict:
    return ((sig or {}).get("points") or {}).get(format(fpr, "g")) or {}


def tail_check(metrics: dict | None, fpr: float = TAIL_FPR, max_loss: float = MAX_RELATIVE_LOSS) -> dict | None:
    """Per signal: float and firmware TPR at ``fpr`` and the relative loss; ``flagged`` lists signals losing more
    than ``max_loss``. None for classifiers or builds without float and firmware metrics."""
    m = {k: _plain(v) for k, v in (metrics or {}).items()}
    fl, fw = m.get("float"), m.get("firmware")
    if not fl or not fw or "signals" not in fl or "signals" not in fw:
        return None
    rows = []
    for name, sig in fl["signals"].items():
        p_float, p_fw = _point(sig, fpr), _point(fw["signals"].get(name), fpr)
        t_float, t_fw = p_float.get("tpr"), p_fw.get("tpr")
        loss = None if not t_float or t_fw is None else (t_float - t_fw) / t_float
        paired = ((fw["signals"].get(name) or {}).get("vs_float") or {}).get(f"TPR at FPR {format(fpr, 'g')}") or {}
        rows.append({"signal": name, "float_tpr": t_float, "firmware_tpr": t_fw, "relative_loss": loss,
                     "flagged": loss is not None and loss > max_loss + 1e-12,  # exactly 10 % is within
                     "float_fpr_reached": p_float.get("fpr_reached"), "firmware_fpr_reached": p_fw.get("fpr_reached"),
                     "fpr_short": bool(p_float.get("fpr_short") or p_fw.get("fpr_short")),
                     "rough": bool(p_float.get("tpr_interval_rough") or p_fw.get("tpr_interval_rough")),
                     "paired_interval": paired.get("paired_interval"),
                     "stage_tprs": {st: _point((m[st].get("signals") or {}).get(name), fpr).get("tpr")
                                    for st in STAGES if m.get(st) and "signals" in m[st]}})  # fmt: skip
    return {"fpr": fpr, "max_relative_loss": max_loss, "signals": rows,
            "flagged": [r["signal"] for r in rows if r["flagged"]]}  # fmt: skip


def warning_lines(check: dict | None) -> list[str]:
    """One 'WARNING: ...' line per flagged signal (empty when nothing is flagged)."""
    if not check:
        return []
    out = []
    for r in check["signals"]:
        if r["flagged"]:
            out.append(
                f"WARNING: the firmware loses the anomaly tail on {r['signal']}: TPR at FPR {check['fpr']:g} "
                f"{r['firmware_tpr']:.4g} vs float {r['float_tpr']:.4g} ({-100 * r['relative_loss']:.0f} %, more than "
                f"{100 * check['max_relative_loss']:.0f} % below float; see quantize.activation_range in the README)"
                + "".join(caveats(r))
            )
    return out


def caveats(row: dict) -> list[str]:
    """What limits one signal's comparison: different working points, too few background events, the paired band."""
    out = []
    tprs = [(st, t) for st, t in (row.get("stage_tprs") or {}).items() if t is not None]
    steps = [(a[1] - b[1], a, b) for a, b in zip(tprs, tprs[1:], strict=False)]
    if len(steps) > 1:
        drop, a, b = max(steps, key=lambda x: x[0])
        if drop > 0:
            out.append(f"; largest drop at {a[0]} -> {b[0]} ({a[1]:.4g} -> {b[1]:.4g})")
    if row.get("fpr_short"):
        out.append(f"; not like for like: the thresholds reach FPR {row['float_fpr_reached']:.2g} (float) and "
                   f"{row['firmware_fpr_reached']:.2g} (firmware), a heavy background event straddles them")  # fmt: skip
    if row.get("rough"):
        band = row.get("paired_interval")
        within = band is not None and band[0] <= 0.0 <= band[1]
        out.append("; the threshold rests on fewer than 10 effective background events"
                   + (f", paired change band [{band[0]:.3g}, {band[1]:.3g}]" if band else "")
                   + (" includes 0: within the test sample's noise" if within else ""))  # fmt: skip
    return out
