"""Part table: name resolution and the totals against the calibration reports' `available` figures."""

import json
from pathlib import Path

import pytest

from codesign.errors import SpecError
from codesign.parts import PARTS, resolve_part

CALIB = Path(__file__).resolve().parents[1].parent / "shared" / "calibration" / "hls_reports.jsonl"


def test_short_and_full_names():
    assert resolve_part("xcvu9p").lut == 1182240
    p = resolve_part("xcvu13p-flga2577-2-e")
    assert (p.name, p.dsp, p.bram_18k, p.uram, p.slr) == ("xcvu13p", 12288, 5376, 1280, 4)
    assert p.full_name == "xcvu13p-flga2577-2-e"
    assert resolve_part("xc7vx690tffg1927-2").name == "xc7vx690t"
    assert resolve_part("xc7a200tl-ffg1156-2L").dsp_family == "DSP48E1"
    assert resolve_part("XCU250-figd2104-2L-e").dsp_family == "DSP48E2"


def test_required_short_names_present():
    for name in ("xcvu9p", "xcvu13p", "xcvu11p", "xcku15p", "xcu250", "xcu200", "xcu50", "xcu280", "xczu9eg"):
        assert name in PARTS


def test_unknown_part_lists_known_names():
    with pytest.raises(SpecError, match="xcvu9p"):
        resolve_part("xc9z999-foo")


def test_published_device_totals():
    # published.md: VU9P and VU13P/U250 totals.
    assert (resolve_part("xcvu9p").ff, resolve_part("xcvu9p").dsp, resolve_part("xcvu9p").bram_18k) == (
        2364480,
        6840,
        4320,
    )
    u250 = resolve_part("xcu250")
    assert (u250.lut, u250.ff, u250.dsp, u250.bram_18k, u250.uram) == (1728000, 3456000, 12288, 5376, 1280)


@pytest.mark.skipif(not CALIB.exists(), reason="calibration data (../shared/calibration) not present")
def test_totals_match_every_calibration_report():
    for line in CALIB.read_text().splitlines():
        rec = json.loads(line)
        part = resolve_part(rec["part"])
        avail = rec["available"]
        for key, attr in (("LUT", "lut"), ("FF", "ff"), ("DSP", "dsp"), ("BRAM_18K", "bram_18k"), ("URAM", "uram")):
            if key in avail:
                assert getattr(part, attr) == avail[key], (rec["id"], key)


def test_part_from_report_totals():
    from codesign.parts import part_from_totals

    p = part_from_totals("xc7k160t-ffg676-2", {"LUT": 101400, "FF": 202800, "DSP": 600, "BRAM_18K": 650})
    assert (p.name, p.dsp_family, p.lut, p.uram) == ("xc7k160t", "DSP48E1", 101400, 0)
    assert part_from_totals("xcvu5p-flva2104-2-e", {"LUT": 1, "FF": 1, "DSP": 1, "BRAM_18K": 1}).dsp_family == "DSP48E2"
    with pytest.raises(SpecError, match="no LUT/FF/DSP/BRAM_18K totals"):
        part_from_totals("xc7k160t", {})


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("XCVU9P-FLGA2104-2L-E", "xcvu9p-flga2104-2L-e"),
        ("xcvu9p-flga2104-2l-e", "xcvu9p-flga2104-2L-e"),
        ("xcvu9p-flga2104-2L-e", "xcvu9p-flga2104-2L-e"),
        ("XC7A200TL-FFG1156-2L", "xc7a200tl-ffg1156-2L"),
        ("xczu9eg-ffvb1156-2lv-e", "xczu9eg-ffvb1156-2LV-e"),
        ("XCVU13P-FLGA2577-2-E", "xcvu13p-flga2577-2-e"),
        ("XC7VX690T-3FFG1930", "xc7vx690t-3ffg1930"),
    ],
)
def test_full_part_names_are_written_in_amds_spelling(given, written):
    # the tcl gets the name as the HLS tools list their parts, whatever case the user typed
    assert resolve_part(given).full_name == written
