"""``codesign scan --resume`` after the scan file or the part changed: refused naming the change, never a scan whose
points come from two definitions or two parts. Points are built by the stand-in (tests/scan_stub.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from codesign.errors import SpecError
from codesign.scan import run_scan
from codesign.scan_spec import load_scan
from tests.scan_stub import fake_point

SPEC = {"name": "toy", "data": {"source": "jets_hlf", "n_train": 500, "n_test": 200}, "model": {"family": "mlp"},
        "train": {"epochs": 1}}  # fmt: skip


def _scan_file(tmp_path: Path, spec: dict = SPEC, bits: tuple = (4, 6), part: str | None = None) -> Path:
    raw = {"spec": spec, "mode": "grid", "axes": {"quantize.bits": list(bits)},
           "objectives": {"accuracy": "max", "lut": "min"}, **({"part": part} if part else {})}  # fmt: skip
    path = tmp_path / "scan.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _run(path: Path, out: Path, **kw):
    return run_scan(load_scan(path), out, workers=1, point_fn=fake_point, show_progress=False, **kw)


@pytest.fixture
def finished(tmp_path, monkeypatch):
    """A finished two-point scan for xcvu9p in tmp_path/out."""
    monkeypatch.setenv("SCAN_STUB_SLEEP", "0.01")
    out = tmp_path / "out"
    assert _run(_scan_file(tmp_path), out, part="xcvu9p").n_ran == 2
    return out


def test_an_edited_scan_file_is_refused_naming_what_changed(tmp_path, finished):
    edited = _scan_file(tmp_path, spec={**SPEC, "train": {"epochs": 3}}, bits=(4, 6, 8))
    with pytest.raises(SpecError) as err:
        _run(edited, finished, resume=True, part="xcvu9p")
    text = str(err.value)
    assert "changed since: axes.quantize.bits [4, 6] -> [4, 6, 8], spec.train.epochs 1 -> 3" in text, text
    assert "accepted: the scan file as it was, or another --out" in text
    assert len((finished / "points.jsonl").read_text().splitlines()) == 2  # nothing built under the edit


def test_a_resume_for_another_part_is_refused(tmp_path, finished):
    path = tmp_path / "scan.yaml"
    with pytest.raises(SpecError, match=r"built for part xcvu9p-flga2104-2L-e, and this run asks for xcu250-figd2104"
                                        r".*accepted: --part xcvu9p-flga2104-2L-e to resume it"):  # fmt: skip
        _run(path, finished, resume=True, part="xcu250")
    assert _run(path, finished, resume=True, part="xcvu9p-flga2104-2L-e").n_ran == 0  # the same part, by its full name


def test_a_marker_without_the_definition_is_still_refused_by_identity(tmp_path, finished):
    """A scan folder written before scan.json kept the definition: the identity still refuses another scan."""
    marker = finished / "scan.json"
    held = json.loads(marker.read_text())
    marker.write_text(json.dumps({k: v for k, v in held.items() if k not in ("definition", "part")}))
    with pytest.raises(SpecError, match=r"is from a different scan .*identity [0-9a-f]{16}\): its points"):
        _run(_scan_file(tmp_path, bits=(4,)), finished, resume=True, part="xcvu9p")
    assert _run(_scan_file(tmp_path), finished, resume=True, part="xcu250").n_ran == 0  # no part kept: not checked
