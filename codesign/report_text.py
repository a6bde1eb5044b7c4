"""What report.md and report.json say about the firmware project and the verdict, worded for what was checked.

Kept apart from :mod:`codesign.report` (which assembles and writes the report): each helper turns one
fact into a true sentence or a plain JSON value (types as ``ap_fixed<W,I>`` strings, paths relative to the
build folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def relative_to(path: Any, base: Path) -> str | None:
    """``path`` relative to the build folder when it lies inside it (reports stay valid when the folder moves)."""
    if path is None:
        return None
    try:
        return str(Path(path).resolve().relative_to(Path(base).resolve()))
    except ValueError:
        return str(path)


def type_text(p: Any) -> str | None:
    return p.to_hls() if hasattr(p, "to_hls") else (None if p is None else str(p))


def project_summary(project: Any, base: Path) -> dict:
    """report.json's ``project``: paths relative to the build folder, every type as an ``ap_fixed<W,I>`` string."""
    if project is None:
        return {"path": None}
    return {
        "path": relative_to(project.path, base),
        "backend": getattr(project, "backend", None),
        "io_type": getattr(project, "io_type", None),
        "input_precision": type_text(getattr(project, "input_precision", None)),
        "output_precision": type_text(getattr(project, "output_precision", None)),
        "inputs": [{"name": p.name, "size": p.size, "type": type_text(p.precision)} for p in getattr(project, "inputs", ())],
        "outputs": [{"name": p.name, "size": p.size, "type": type_text(p.precision)} for p in getattr(project, "outputs", ())],
        "layer_precisions": {
            layer: {k: type_text(v) for k, v in types.items()}
            for layer, types in (getattr(project, "layer_precisions", None) or {}).items()
        },
        "final_softmax": getattr(project, "final_softmax", None),
        "final_sigmoid": getattr(project, "final_sigmoid", None),
        "reuse_factors": dict(getattr(project, "reuse_factors", None) or {}),
        "tcl": relative_to(Path(project.path) / "build_prj.tcl", base),
        "tb_data": relative_to(Path(project.path) / "tb_data", base),
    }


def bit_verdict(exact: bool | None, acc: dict | None) -> str:
    """The bit-accuracy half of the verdict line, worded for what was (or was not) checked."""
    if exact is True:
        return "BIT-EXACT"
    if exact is False:
        return "NOT BIT-EXACT"
    if not acc:
        return "bit accuracy NOT CHECKED (no codesign build result in this folder; run `codesign build`)"
    if acc.get("reference_unavailable"):
        return "NOT PROVEN bit-exact (quantized model; its reference cannot be computed)"
    note = str(acc.get("note") or "")
    if "float weights" in note:
        return "no bit-exact reference (float model: its agreement with the firmware is below)"
    return f"no bit-exact reference ({note.removeprefix('no bit-exact reference: ') or 'reason not recorded'})"


def latency_remainder(est: dict, io_type: str | None) -> str | None:
    """Why the per-layer latencies do not add up to the total, when they do not."""
    per_layer = est.get("per_layer") or []
    lat = [layer.get("latency_cycles") for layer in per_layer]
    total = est.get("latency_cycles")
    if total is None or any(v is None for v in lat):
        return None
    path = est.get("latency_path") or []
    layers = [layer.get("name") for layer in per_layer if layer.get("kind") != "cast"]
    beside = [n for n in layers if n not in set(path)]
    if path and beside:
        on = int(sum(layer.get("latency_cycles") or 0 for layer in per_layer if layer.get("name") in set(path)))
        return (
            f"The total {int(total)} cycles follows the longest path through the layer calls ({len(path)} of "
            f"{len(layers)}; {', '.join(map(str, beside))} run beside it): its layers' latencies add to {on} cycles, "
            f"the other {int(total) - on} are the top function's own cycles, the registers between layers "
            "(codesign/estimate/constants/timing.py, TOP_CYCLES_*)."
        )
    summed = int(sum(lat))
    if summed == int(total):
        return None
    if io_type == "io_stream":
        return (
            f"The layers' latencies add to {summed} cycles; the total {int(total)} is not their sum: with io_stream "
            "the layers run as a dataflow pipeline, so the total is the slowest layer's interval plus each other "
            "layer's fill depth plus one cycle per FIFO hand-off."
        )
    return (
        f"The layers' latencies add to {summed} cycles; the other {int(total) - summed} of the total {int(total)} "
        "are the top function's own cycles: the registers between layers and at the top function's inputs and "
        "outputs (codesign/estimate/constants/timing.py, TOP_CYCLES_*)."
    )


def synth_command(backend: str | None) -> str:
    tool = "vivado_hls" if backend == "Vivado" else "vitis_hls"
    return f'{tool} -f build_prj.tcl "csim=1 synth=1 cosim=0 export=0"'


def port_types(proj: dict) -> str:
    """The input and output types, one per port (a VAE encoder has two outputs)."""

    def ports(key: str, single: str) -> str:
        items = proj.get(key) or []
        if len(items) > 1:
            return ", ".join(f"`{p.get('name')}` `{p.get('type')}` ({p.get('size')} values)" for p in items)
        if items:
            return f"`{items[0].get('type')}`"
        return f"`{proj.get(single)}`"

    outs = proj.get("outputs") or []
    return (
        f"input type{'s' if len(proj.get('inputs') or []) > 1 else ''} {ports('inputs', 'input_precision')}, "
        f"output type{'s' if len(outs) > 1 else ''} {ports('outputs', 'output_precision')}"
    )


def budget_basis(budget: dict, hls_verdict: dict | None) -> list[str]:
    """Lines saying which figures the budget verdict used (RTL or HLS estimate), for report.md; none for old reports."""
    basis = budget.get("basis")
    if basis is None:
        return []
    if basis != "rtl":
        return ["Judged on the HLS estimate (codesign's estimator).", ""]
    lines = ["Judged on the RTL figures (`codesign build --rtl`), by check:", ""]
    lines += [f"- {name}: {source}" for name, source in (budget.get("figures") or {}).items()]
    if hls_verdict is not None:
        lines += ["", f"On the HLS estimate the same budget {'passes' if hls_verdict.get('pass') else 'fails'} "
                      "(report.json `rtl.budget_hls_estimate`)."]  # fmt: skip
    return lines + [""]


def first_layer_text(layer: dict | None) -> str | None:
    """One line naming the first firmware layer that differs (``bit_accuracy.first_mismatch.layer``), or why not."""
    if not layer:
        return None
    if "unavailable" in layer:
        return f"first layer that differs: not found ({layer['unavailable']})"
    types = ", ".join(f"{k} {v}" for k, v in (layer.get("types") or {}).items())
    text = (f"first layer that differs: '{layer.get('name')}' (hls4ml {layer.get('hls4ml_class')}; {types}), sample "
            f"{layer.get('sample')} element {layer.get('element')}: reference {layer.get('reference')!r}, firmware "
            f"{layer.get('firmware')!r} ({layer.get('n_mismatch')} of {layer.get('n_traced')} traced samples differ)")  # fmt: skip
    if layer.get("rounded_before"):
        text += (f"; before it, {', '.join(repr(n) for n in layer['rounded_before'])} equal the reference only once "
                 "rounded to their result type (a result type set too narrow shows at the next layer)")  # fmt: skip
    return text


def first_layer_lines(layer: dict | None) -> list[str]:
    """report.md lines for :func:`first_layer_text` (none when there is no entry)."""
    text = first_layer_text(layer)
    return [] if text is None else ["", text[0].upper() + text[1:] + "."]
