"""The held-out records of stock io_parallel designs (benchmarks/data/extra_reports.jsonl): readable and estimated."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from extra_reports import RECORDS, family_of, groups_of, kind_of  # noqa: E402

from codesign.estimate.network import estimate_settings  # noqa: E402
from codesign.estimate.settings import settings_from_record  # noqa: E402


def _records() -> list[dict]:
    return [json.loads(line) for line in RECORDS.read_text().splitlines() if line.strip()]


def test_every_record_is_estimated_without_a_declined_layer():
    recs = _records()
    assert len({r["repo"] for r in recs}) >= 5
    for rec in recs:
        est = estimate_settings(settings_from_record(rec))
        assert not est.declined, (rec["id"], est.declined)
        assert all(layer.declined is None for layer in est.per_layer), rec["id"]
        assert est.latency_cycles and est.ii_cycles and est.lut, rec["id"]


def test_records_settings_agree_with_their_layers():
    # the summary fields were read from the same structs as the layers: a hand edit of one would show here
    for rec in _records():
        rfs = sorted({x["reuse_factor"] for x in rec["layers"] if isinstance(x.get("reuse_factor"), int)})
        assert rec["reuse_factors"] == rfs, rec["id"]
        assert rec["io_type"] == ["io_parallel"], rec["id"]
        assert rec["hls_tool"] in ("Vivado HLS", "Vitis HLS") and rec["report_url"].endswith(rec["report_path"])


def test_groups_name_family_from_totals_for_a_part_outside_the_table():
    by_id = {r["id"].split("::")[0] + "@" + r["commit"][:8]: r for r in _records()}
    artix = by_id["Daniel-Alencar/LHC-anomaly-detector@cbd74520"]
    # xc7a50t is not in codesign.parts: the report's device totals describe it, the family named by its prefix
    assert family_of(artix) == "artix7"
    assert family_of(by_id["Brainz22/L1JetTagger@a216d842"]) == "alveo"
    assert kind_of(by_id["Brainz22/L1JetTagger@a216d842"]) == "Conv1D"
    assert kind_of(by_id["Alezander9/ML_FPGAonPixel@0617bf01"]) == "dense+BN"
    assert groups_of(artix) == {"repo": "Daniel-Alencar/LHC-anomaly-detector", "tool": "Vitis HLS 2023.2",
                                "family": "artix7", "kind": "dense", "strategy": "latency"}  # fmt: skip
