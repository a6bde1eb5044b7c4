"""Bad inputs of ``codesign estimate`` and ``codesign report``: calibration-schema record files (``--records``), the
hls4ml project and synthesis reports they read, and an ``--out`` that would replace what the command reads. Rows in the format of ``bad_input_cases.py``,
run by ``test_bad_inputs.py``; each fails before any estimate is written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bad_input_cases import ACC, Case, Writer
from command_cases import PROJECT, RECORDS

RECORD = {"id": "r1", "part": "xcvu9p-flga2104-2L-e", "target_clock_ns": 5.0, "hls_tool": "Vitis HLS",
          "io_type": ["io_parallel"], "layers": [], "top_calls": []}  # fmt: skip
PRED = "{tmp}/p.jsonl"


def project_with_config(content: str | bytes) -> Writer:
    """A writer of a copy of the fixture hls4ml project whose hls4ml_config.yml is ``content``."""

    def write(path: Path) -> None:
        shutil.copytree(PROJECT, path)
        config = path / "hls4ml_config.yml"
        config.write_bytes(content if isinstance(content, bytes) else content.encode())

    return write


def project(path: Path) -> None:
    """A copy of the fixture hls4ml project."""
    shutil.copytree(PROJECT, path)


def project_with_csynth_xml(text: str) -> Writer:
    """A writer of a copy of the fixture hls4ml project with a C-synthesis XML report holding ``text``."""

    def write(path: Path) -> None:
        shutil.copytree(PROJECT, path)
        report = path / "myproject_prj" / "solution1" / "syn" / "report" / "myproject_csynth.xml"
        report.parent.mkdir(parents=True)
        report.write_text(text)

    return write


ESTIMATE_CASES: list[Case] = [
    Case(  # was exit 0: the report refreshed with 'not reported: LUT'
        "report-csynth-lut-not-a-number",
        {"p": project_with_csynth_xml("<profile><AreaEstimates><Resources><LUT>lots</LUT></Resources></AreaEstimates>"
                                      "</profile>")},  # fmt: skip
        ("report", "{tmp}/p"),
        ("myproject_csynth.xml", "<AreaEstimates/Resources/LUT> is 'lots'", ACC),
    ),
    Case(  # was exit 7: UnicodeDecodeError
        "estimate-records-not-utf-8",
        {"r.jsonl": (json.dumps(RECORD) + "\n").encode() + b'{"id": "caf\xe9"}\n'},
        ("estimate", "--records", RECORDS, "--out", PRED),
        ("r.jsonl:2", "not UTF-8", "0xe9", ACC),
    ),
    Case(  # both were predicted: the predictions file is read by id, so the two lines could not be told apart
        "estimate-records-id-twice",
        {"r.jsonl": json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "target_clock_ns": 4.0}) + "\n"},
        ("estimate", "--records", RECORDS, "--out", PRED),
        ("r.jsonl:2", "'r1'", "line 1", ACC),
    ),
    Case(  # the records were replaced by their predictions
        "estimate-records-out-is-the-records",
        {"r.jsonl": json.dumps(RECORD) + "\n"},
        ("estimate", "--records", RECORDS, "--out", RECORDS),
        ("--out {tmp}/r.jsonl", "same file as --records", ACC),
    ),
    Case(  # the estimate JSON replaced the project's parameters.h
        "estimate-project-out-onto-its-parameters-h",
        {"p": project},
        ("estimate", "{tmp}/p", "--out", "{tmp}/p/firmware/parameters.h"),
        ("--out {tmp}/p/firmware/parameters.h", "firmware/parameters.h", "would replace it", ACC),
    ),
    Case(  # was exit 7: AttributeError
        "estimate-project-config-a-list",
        {"p": project_with_config("- Part: xcvu9p\n")},
        ("estimate", "{tmp}/p"),
        ("p/hls4ml_config.yml", "a list, not a mapping", ACC),
    ),
    Case(  # was exit 7: UnicodeDecodeError
        "estimate-project-config-not-utf-8",
        {"p": project_with_config(b"ProjectName: caf\xe9\n")},
        ("estimate", "{tmp}/p"),
        ("p/hls4ml_config.yml", "not UTF-8", "0xe9", ACC),
    ),
]
