"""The build's bit-exactness verdict: the error (and its exit code) when the firmware is not proven to match."""

from __future__ import annotations

from codesign.errors import BitAccuracyError, ReferenceUnavailableError


def require_bit_exact(state) -> None:
    """Raise BitAccuracyError when the two C-simulation paths disagree, or when a bit-exact reference exists
    and the firmware does not match it; ReferenceUnavailableError when a quantized model has no reference."""
    acc = state.bit_accuracy or {}
    paths = acc.get("library_vs_testbench") or {}
    if paths.get("exact") is False:
        raise BitAccuracyError(
            f"the hls4ml compiled library and the g++ testbench disagree on {paths.get('n_mismatch')} of "
            f"{paths.get('n_samples')} samples (max |diff| {paths.get('max_abs_diff')}; first mismatch: "
            f"{paths.get('first_mismatch')}): the same firmware built twice gives two answers"
        )
    if acc.get("reference_unavailable"):
        raise ReferenceUnavailableError(
            f"no verdict for this quantized model: {acc['reference_unavailable']} (the firmware was built and "
            "C-simulated, but nothing proves it reproduces the model)"
        )
    emu = acc.get("emulator_vs_testbench") or {}
    if emu.get("exact") is False and acc.get("n_mismatch") == 0:
        raise BitAccuracyError(
            f"the firmware matches the {acc.get('reference')} but not codesign's fixed-point emulator of its "
            f"configured types on {emu.get('n_mismatch')} of {emu.get('n_samples')} samples (max |diff| "
            f"{emu.get('max_abs_diff')}; first mismatch: {emu.get('first_mismatch')}): the firmware is not "
            "what its types say, or the emulator is wrong; please report it"
        )
    if acc.get("exact") is False:
        from codesign.report_text import first_layer_text

        first = dict(acc.get("first_mismatch") or {})
        layer = first_layer_text(first.pop("layer", None))
        raise BitAccuracyError(
            f"firmware is not bit-exact against the {acc.get('reference')}: {acc.get('n_mismatch')} of "
            f"{acc.get('n_samples')} samples differ (max |diff| {acc.get('max_abs_diff')}); first mismatch: "
            f"{first or None}" + (f"; {layer}" if layer else "")
        )
    rtl = getattr(state, "rtl", None) or {}
    if rtl.get("bit_exact") is False:
        raise BitAccuracyError(
            f"the RTL (Verilator) is not bit-exact against the quantized model: {rtl.get('n_mismatch')} of "
            f"{rtl.get('n_samples')} samples differ; first mismatch: {rtl.get('first_mismatch')}"
        )
