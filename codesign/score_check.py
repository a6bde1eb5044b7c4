"""Does the firmware keep the anomaly score's tail? Firmware vs float TPR at a low FPR, per signal.

Quantization can cost an anomaly trigger most of its efficiency at the rates it runs at while the firmware is
still bit-exact to the quantized model; this check makes that loss a loud line of the report and the console.
"""

from __future__ import annotations

from typing import Any

TAIL_FPR = 1e-3
MAX_RELATIVE_LOSS = 0.10


def _plain(m: Any) -> dict:
    return m.to_dict() if hasattr(m, "to_dict") else (m or {})


def _tpr(sig: dict | None, fpr: float) -> float | None:
    point = ((sig or {}).get("points") or {}).get(format(fpr, "g")) or {}
    return point.get("tpr")


def tail_check(metrics: dict | None, fpr: float = TAIL_FPR, max_loss: float = MAX_RELATIVE_LOSS) -> dict | None:
    """Per signal: float and firmware TPR at ``fpr`` and the relative loss; ``flagged`` lists signals losing more
    than ``max_loss``. None for classifiers or builds without float and firmware metrics."""
    m = {k: _plain(v) for k, v in (metrics or {}).items()}
    fl, fw = m.get("float"), m.get("firmware")
    if not fl or not fw or "signals" not in fl or "signals" not in fw:
        return None
    rows = []
    for name, sig in fl["signals"].items():
        t_float, t_fw = _tpr(sig, fpr), _tpr(fw["signals"].get(name), fpr)
        loss = None if not t_float or t_fw is None else (t_float - t_fw) / t_float
        rows.append({"signal": name, "float_tpr": t_float, "firmware_tpr": t_fw, "relative_loss": loss,
                     "flagged": loss is not None and loss > max_loss + 1e-12})  # exactly 10 % is within  # fmt: skip
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
            )
    return out
