"""Two real points of one QAT model (training, pruning, QAT, hls4ml, g++) into a shared step cache: the second point
reads the float, pruned and quantized stages' test-set results the first point stored, and its report.json metrics
equal, exactly, those of the same point built without the shared cache.

Slow: three tiny builds, each with a g++ C-simulation."""

from __future__ import annotations

import json
import shutil

import pytest

from codesign.api import run_build

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed")]

TINY = {
    "name": "tiny",
    "data": {"source": "jets_hlf", "n_train": 1500, "n_test": 600, "seed": 2},
    "model": {"family": "mlp", "hidden": [6]},
    "train": {"epochs": 2, "batch_size": 256, "seed": 2},
    "prune": {"sparsity": 0.5, "epochs": 1},
    "quantize": {"bits": 6, "epochs": 1},
    "hls": {"backend": "Vivado"},
    "check": {"n_samples": 50, "workers": 1, "library": False},
    "metrics": {"bootstrap": 50, "seed": 3},
}


def _point(reuse_factor: int) -> dict:
    return {**json.loads(json.dumps(TINY)), "hls": {"backend": "Vivado", "reuse_factor": reuse_factor}}


def _report(out) -> dict:
    return json.loads((out / "report.json").read_text())


def test_a_point_sharing_a_qat_model_reuses_its_stages_with_the_same_metrics(tmp_path):
    cache = tmp_path / "cache"
    run_build(_point(1), part="xcvu9p", out=tmp_path / "rf1", cache_dir=cache, plots=False)
    _, shared = run_build(_point(4), part="xcvu9p", out=tmp_path / "rf4", cache_dir=cache, plots=False)
    compare = next(r for r in shared.records if r.name == "compare")
    assert compare.note.startswith("test-set scores and metrics of the float, pruned, quantized model reused"), compare
    _, alone = run_build(_point(4), part="xcvu9p", out=tmp_path / "rf4_alone", plots=False)
    assert next(r for r in alone.records if r.name == "compare").note == ""
    with_reuse, without = _report(tmp_path / "rf4"), _report(tmp_path / "rf4_alone")
    assert set(with_reuse["metrics"]) == {"float", "pruned", "quantized", "firmware"}
    assert json.dumps(with_reuse["metrics"]) == json.dumps(without["metrics"])  # intervals and vs_float included
    assert with_reuse["bit_accuracy"]["exact"] and with_reuse["estimate"] == without["estimate"]
