"""Report parsers against every real report under ../shared/calibration/raw and its JSON record.

The records and reports are read whatever their number: a record added to ../shared/calibration is checked
without a change here. Without ../shared (a fresh clone) these tests skip: the raw reports are not carried.
"""

import pytest

from codesign.errors import DataError
from codesign.estimate.calibration_set import load_records, raw_dir, shared_dir
from codesign.synth_reports import (
    find_reports,
    parse_csynth,
    parse_csynth_rpt,
    parse_csynth_xml,
    parse_vivado_utilization,
)

CALIB = shared_dir()
pytestmark = pytest.mark.skipif(
    raw_dir() is None or not (CALIB / "hls_reports.jsonl").exists(),
    reason="calibration reports (../shared/calibration/raw) not present; they are not carried in the project",
)

FIELDS = (
    ("latency_min_cycles", "latency_min"),
    ("latency_max_cycles", "latency_max"),
    ("interval_min", "interval_min"),
    ("interval_max", "interval_max"),
    ("BRAM_18K", "BRAM_18K"),
    ("DSP", "DSP"),
    ("FF", "FF"),
    ("LUT", "LUT"),
    ("URAM", "URAM"),
    ("part", "part"),
    ("hls_tool_version", "tool_version"),
    ("target_clock_ns", "target_clock_ns"),
    ("estimated_clock_ns", "estimated_clock_ns"),
    ("clock_uncertainty_ns", "clock_uncertainty_ns"),
)


def _records():
    return load_records(CALIB)


def _base(rec):
    return CALIB / "raw" / rec["repo"].replace("/", "_") / rec["commit"][:10]


def test_every_record_report_parses_to_its_numbers():
    recs = _records()
    # every repository/commit folder under raw/ belongs to a record, and every record is checked below
    folders = {f"{d.name}/{c.name}" for d in (CALIB / "raw").iterdir() if d.is_dir() for c in d.iterdir()}
    assert folders == {str(_base(r).relative_to(CALIB / "raw")) for r in recs}
    for rec in recs:
        rep = parse_csynth(_base(rec) / rec["report_path"])
        for key, attr in FIELDS:
            want = rec.get(key)
            if want == "undef":  # the tool printed 'undef' (latency unknown): parsed as None
                want = None
            assert getattr(rep, attr) == want, (rec["id"], key)
        if rec["available"]:
            assert rep.available == rec["available"], rec["id"]
        assert rep.tool == rec["hls_tool"], rec["id"]


def test_text_and_xml_twins_agree():
    n = 0
    for rec in _records():
        path = _base(rec) / rec["report_path"]
        twin = path.with_suffix(".rpt" if path.suffix == ".xml" else ".xml")
        if twin.exists():
            a, b = parse_csynth(path), parse_csynth(twin)
            for attr in ("latency_min", "latency_max", "BRAM_18K", "DSP", "FF", "LUT"):
                assert getattr(a, attr) == getattr(b, attr), (rec["id"], attr)
            n += 1
    assert n > 50


def test_every_vivado_synth_report_matches_record():
    n = 0
    for rec in _records():
        vs = rec.get("vivado_synth")
        if not vs:
            continue
        u = parse_vivado_utilization(_base(rec) / vs["path"])
        for key in ("LUT", "FF", "DSP", "BRAM_tile", "URAM"):
            assert getattr(u, key) == vs.get(key), (rec["id"], key)
        assert u.available.get("LUT") == vs["LUT_available"]
        n += 1
    assert n > 10


def test_every_report_file_under_raw_parses():
    n_rpt = n_xml = n_viv = 0
    for f in sorted((CALIB / "raw").rglob("*")):
        if f.name == "vivado_synth.rpt":
            parse_vivado_utilization(f)
            n_viv += 1
        elif f.name.endswith("csynth.rpt"):
            rep = parse_csynth_rpt(f)
            assert rep.latency_max is not None or rep.LUT is not None, f
            n_rpt += 1
        elif f.name.endswith("csynth.xml"):
            parse_csynth_xml(f)
            n_xml += 1
    assert n_rpt > 900 and n_xml > 200 and n_viv > 40


def test_per_module_figures():
    rec = next(
        r
        for r in _records()
        if r["id"].startswith("ArgyKokk/hls4ml_MLP_estimator::HLS_MLPs/jet_tagging/hls4ml_prj/DSP_reuse1::")
    )
    rep = parse_csynth(_base(rec) / rec["report_path"].replace(".xml", ".rpt"))
    dense2 = next(m for m in rep.modules if "config2_s" in m.module)
    assert (dense2.latency_max, dense2.interval_max, dense2.DSP, dense2.FF, dense2.LUT) == (6, 1, 247, 22630, 19760)
    assert sum(m.DSP for m in rep.modules) == rep.DSP


def test_not_a_report(tmp_path):
    bad = tmp_path / "x_csynth.rpt"
    bad.write_text("hello\n")
    with pytest.raises(DataError, match="not a Vivado HLS"):
        parse_csynth(bad)
    with pytest.raises(DataError, match="not valid XML"):
        parse_csynth_xml(tmp_path / "x.xml", text="<a")
    assert find_reports(tmp_path).csynth is None


def test_a_resource_count_that_is_not_a_number_is_refused_naming_the_tag(tmp_path):
    """<LUT>lots</LUT> was read as 'not reported' and the report refreshed with exit 0."""
    xml = "<profile><AreaEstimates><Resources><FF>12</FF><LUT>{}</LUT></Resources></AreaEstimates></profile>"
    good = parse_csynth_xml(tmp_path / "a_csynth.xml", text=xml.format("34"))
    assert (good.LUT, good.FF) == (34, 12)
    with pytest.raises(DataError, match=r"a_csynth.xml: <AreaEstimates/Resources/LUT> is 'lots', not a count"):
        parse_csynth_xml(tmp_path / "a_csynth.xml", text=xml.format("lots"))


def test_unknown_tool_version_is_flagged():
    rec = _records()[1]
    path = _base(rec) / rec["report_path"]
    rep = parse_csynth(path)
    assert rep.notes == ()
    text = path.read_text().replace(rec["hls_tool_version"], "2031.1", 1)
    other = parse_csynth_xml(path, text=text) if path.suffix == ".xml" else parse_csynth_rpt(path, text=text)
    assert other.LUT == rep.LUT and any("2031.1" in n and "outside the versions" in n for n in other.notes)


def test_a_truncated_text_report_is_refused_naming_the_file_and_line(tmp_path):
    """A *_csynth.rpt cut short read as figures the tool 'did not report' (LUT None, `codesign report` exit 0); every
    complete report under raw holds both sections and the Total row (test above), so a cut one is refused."""
    rec = next(r for r in _records() if r["id"].startswith("ArgyKokk/hls4ml_MLP_estimator::HLS_MLPs/jet_tagging/"))
    full = (_base(rec) / rec["report_path"].replace(".xml", ".rpt")).read_text()
    lines = full.splitlines(keepends=True)
    util = next(i for i, ln in enumerate(lines) if ln.startswith("== Utilization Estimates"))
    total = next(i for i, ln in enumerate(lines) if i > util and ln.startswith("|Total"))
    cut = tmp_path / "myproject_csynth.rpt"
    for keep, why in ((20, "without its '== Performance Estimates'|without its '== Utilization Estimates'"),
                      (util + 2, "has no Total row"), (total, "has no Total row")):  # fmt: skip
        cut.write_text("".join(lines[:keep]))
        with pytest.raises(DataError, match=rf"myproject_csynth\.rpt:{keep}: .*({why})"):
            parse_csynth(cut)
    cut.write_text("".join(lines[: total + 1]))  # cut after the Total row: the totals are all there
    assert parse_csynth(cut).LUT == parse_csynth_rpt(_base(rec) / rec["report_path"].replace(".xml", ".rpt")).LUT
