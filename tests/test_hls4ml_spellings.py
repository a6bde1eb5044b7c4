"""Precision and strategy spellings in a user's hls4ml config: codesign accepts exactly those hls4ml 1.3 reads as
codesign does. Both are compared with hls4ml's own readers (FPGABackend.convert_precision_string, the snake-casing
of a Strategy in its config), so a spelling codesign's parser reads but hls4ml does not is refused by key
('RESOURCE' was built with Latency, exit 0; 'AP_FIXED<16,6>' or 'ap_fixed<16,6,ap_rnd>' stopped the conversion,
exit 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesign.errors import SpecError
from codesign.hls4ml_config import check_layer_entry
from codesign.hls4ml_values import STRATEGIES, check_hls4ml_values
from codesign.precision import FixedPrecision

SPELLINGS = [
    "ap_fixed<16,6>", "ap_fixed<16, 6>", "ap_fixed< 8 , 3 >", "fixed<16,6>", "ufixed<8,3>", "ap_ufixed<8,3>",
    "ap_fixed<16,6,RND_CONV,SAT>", "ap_fixed<16,6,AP_RND_CONV,AP_SAT>", "ap_fixed<16,6, AP_RND >", "ap_int<8>",
    "uint<4>", "ap_fixed<16,6> ", "auto",
    # Algorithmic C spellings (hls4ml's test_dense_unrolled.py and test_precision_parsing.py give them to Vivado)
    "ac_fixed<32, 16>", "ac_fixed<8, 2, true>", "ac_fixed<8, 2, 1>", "ac_fixed<3, 2, false>", "ac_fixed<3, 2, 0>",
    "ac_int<3, TRue>", "ac_int<3, FALse>", "ac_int<5>", "ac_fixed<16,6,true,AC_RND_CONV,AC_SAT>",
    "ac_fixed<16,6,true,AP_RND_CONV,AP_SAT>", "AC_FIXED<16,6>",
    # spellings codesign's parser reads and hls4ml does not
    "AP_FIXED<16,6>", "Ap_fixed<16,6>", " ap_fixed<16,6>", "FIXED<16,6>", "ap_fixed<16,6,ap_rnd,ap_sat>",
    "ap_fixed<16,6,AP_RND,ap_sat>", "ap_fixed<16,6,Ap_Rnd_Conv>", " auto", "AP_INT<8>",
]  # fmt: skip
STRATEGY_SPELLINGS = ["Latency", "latency", "Resource", "resource", "RESOURCE", "LATENCY", "rEsource", "ReSource"]


def _hls4ml_reads(text: str) -> tuple | None:
    """The type hls4ml 1.3 reads from ``text`` (width, integer, signed, rounding, overflow), None if it cannot."""
    from hls4ml.backends.fpga.fpga_backend import FPGABackend

    try:
        t = FPGABackend.convert_precision_string(text)
    except (ValueError, KeyError, AttributeError):
        return None
    if type(t).__name__ not in ("FixedPrecisionType", "IntegerPrecisionType"):
        return ("auto",)
    rounding = getattr(t, "rounding_mode", None)
    overflow = getattr(t, "saturation_mode", None)
    return (t.width, t.integer, t.signed, str(rounding or "TRN"), str(overflow or "WRAP"))


def _codesign_reads(text: str) -> tuple:
    if text.strip().lower() == "auto":
        return ("auto",)
    p = FixedPrecision.parse(text)
    return (p.width, p.integer, p.signed, p.rounding.name, p.overflow.name)


def _config_check(precision=None, strategy=None) -> None:
    model = {"ReuseFactor": 1}
    if precision is not None:
        model["Precision"] = precision
    if strategy is not None:
        model["Strategy"] = strategy
    check_hls4ml_values({"KerasH5": "m.h5", "HLSConfig": {"Model": model}}, Path("config.yml"))


@pytest.mark.parametrize("text", SPELLINGS)
def test_a_precision_is_accepted_exactly_when_hls4ml_reads_it_as_codesign_does(text: str):
    hls4ml = _hls4ml_reads(text)
    if hls4ml == ("auto",):  # read by hls4ml, yet as the model's default it names a type (model_default_t) hls4ml
        # cannot infer: refused there, accepted on a layer (test_a_layer_entry_precision_key_is_checked_the_same_way)
        with pytest.raises(SpecError, match=r"config.yml: HLSConfig.Model.Precision: 'auto' is the model's default"):
            _config_check(precision=text)
        return
    try:
        _config_check(precision=text)
        accepted = True
    except SpecError as exc:
        accepted = False
        assert "config.yml: HLSConfig.Model.Precision" in str(exc) and "cannot be read by hls4ml 1.3" in str(exc)
        fix = str(exc).split("(accepted: '")[1].rstrip("')")
        assert _hls4ml_reads(fix) == _codesign_reads(text)  # the spelling offered reads as the type asked
    assert accepted == (hls4ml is not None), (text, hls4ml)
    if accepted:
        assert hls4ml == _codesign_reads(text)


@pytest.mark.parametrize("text", SPELLINGS)
def test_a_layer_entry_precision_key_is_checked_the_same_way(text: str):
    """A softmax's table type (``exp_table_t``) is checked by codesign.hls4ml_config at conversion."""
    entry = {"exp_table_t": text}
    if _hls4ml_reads(text) is None:
        with pytest.raises(SpecError, match=r"LayerName\.softmax\.exp_table_t: .* cannot be read by hls4ml 1.3"):
            check_layer_entry(entry, "c.yml: HLSConfig.LayerName.softmax", True, [])
    else:
        check_layer_entry(entry, "c.yml: HLSConfig.LayerName.softmax", True, [])


@pytest.mark.parametrize("text", STRATEGY_SPELLINGS)
def test_a_strategy_is_accepted_exactly_when_hls4ml_selects_it(text: str):
    from hls4ml.utils.string_utils import convert_to_snake_case

    selected = convert_to_snake_case(text).lower()  # as hls4ml's HLSConfig stores it, compared in lower case
    hls4ml_reads = selected in {s.lower() for s in STRATEGIES}
    for check in (lambda: _config_check(strategy=text),
                  lambda: check_layer_entry({"Strategy": text}, "c.yml: HLSConfig.LayerName.d1", False, [])):  # fmt: skip
        if hls4ml_reads:
            check()
        else:
            with pytest.raises(SpecError, match=rf"Strategy: '{text}': hls4ml 1.3 reads this spelling as another "
                                                r"strategy and would build the layer with Latency \(accepted: "):  # fmt: skip
                check()


@pytest.mark.parametrize(("value", "ok"), [("12.5%", True), (" 12.5% ", True), ("0.5", True), (0.5, True), (0, True),
                                           ("12.5 %", False), ("1; exec x", False), (-1, False), (True, False)])  # fmt: skip
def test_clock_uncertainty_is_checked_once_on_loading_as_the_build_writes_it(value, ok: bool):
    """The config's loader and the build's tcl writer gave different verdicts ('12.5 %' passed the loader and was
    refused by the build): both use safe_names.clock_uncertainty now."""
    from codesign import safe_names

    cfg = {"KerasH5": "m.h5", "ClockUncertainty": value, "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>"}}}
    for check in (lambda: check_hls4ml_values(cfg, Path("config.yml")),
                  lambda: safe_names.clock_uncertainty(value, "config.yml")):  # fmt: skip
        if ok:
            check()
        else:
            with pytest.raises(SpecError, match="config.yml: ClockUncertainty"):
                check()
