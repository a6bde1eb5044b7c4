"""The Python API: ``codesign.build`` returns the same frozen result type fresh and from an up-to-date folder;
``import codesign`` stays cheap; no module below the CLI imports the CLI."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def tiny_spec(name: str = "api_tiny", **extra) -> dict:
    """A spec small enough to build in seconds (the g++ compile dominates)."""
    spec = {
        "name": name,
        "data": {"source": "jets_hlf", "n_train": 1500, "n_test": 400, "seed": 2},
        "model": {"family": "mlp", "hidden": [4]},
        "train": {"epochs": 2, "batch_size": 256, "learning_rate": 3.0e-3, "seed": 2},
        "quantize": {"bits": 6, "epochs": 1},
        "hls": {"backend": "Vivado"},
        "check": {"n_samples": 100, "workers": 2},
    }
    spec.update(extra)
    return spec


def test_import_codesign_does_not_import_tensorflow():
    lazy = "import sys, codesign; print('tensorflow' in sys.modules, 'codesign.api' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", lazy], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_no_module_below_the_cli_imports_the_cli():
    offenders = []
    for f in sorted((REPO / "codesign").rglob("*.py")):
        if "cli" in f.relative_to(REPO / "codesign").parts or f.name == "__main__.py":  # the entry points
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n == "codesign.cli" or n.startswith("codesign.cli.") for n in names):
                offenders.append(str(f.relative_to(REPO)))
    assert offenders == [], offenders


@pytest.mark.slow  # a real tiny build twice: ~25 s on an idle 2-core machine, over 100 s under load
@pytest.mark.skipif(__import__("shutil").which("g++") is None, reason="g++ is needed for C-simulation")
def test_build_returns_the_same_type_fresh_and_up_to_date(tmp_path):
    import codesign
    from codesign.budget import BudgetVerdict
    from codesign.estimate import Estimate

    out = tmp_path / "out"
    fresh = codesign.build(tiny_spec(), part="xcvu9p", out=out)
    again = codesign.build(tiny_spec(), part="xcvu9p", out=out)
    assert type(fresh) is type(again) is codesign.BuildResult
    assert dataclasses.is_dataclass(fresh) and fresh.__dataclass_params__.frozen
    assert not fresh.up_to_date and again.up_to_date
    for r in (fresh, again):
        assert r.bit_exact is True
        assert isinstance(r.estimate, Estimate) and r.estimate.lut > 0
        assert isinstance(r.budget, BudgetVerdict)
        assert set(r.budget.objectives()) >= {"ii", "lut", "ff", "dsp"}
        assert 0 < r.metrics["firmware"]["accuracy"] <= 1
        assert r.report_json.is_file() and r.report_md.is_file()
    # field by field the same, except how the steps were obtained
    for f in dataclasses.fields(fresh):
        if f.name != "steps":
            assert getattr(fresh, f.name) == getattr(again, f.name), f.name
    assert [s.name for s in fresh.steps] == [s.name for s in again.steps]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fresh.bit_exact = False  # type: ignore[misc]


def test_bad_spec_type_is_a_spec_error():
    import codesign
    from codesign.errors import SpecError

    with pytest.raises(SpecError, match="file path or a dict"):
        codesign.build(42, part="xcvu9p")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=r"(?s)<spec dict>.*hls.reuse_factor"):
        codesign.build(tiny_spec(hls={"reuse_factor": 0}), part="xcvu9p")


def test_estimate_and_budget_read_back_from_report_json_are_equal_objects():
    """What an up-to-date build reads from report.json is the object a fresh build made (intervals included)."""
    import json

    from codesign.budget import BudgetVerdict, Check
    from codesign.estimate.result import Estimate, LayerEstimate

    est = Estimate(3, 15.0, 1, 120, 80, 2, 0, 0, (LayerEstimate("d1", "dense", 3, 1, 120, 80, 2, 0, None, "config2"),),
                   "src", {"lut": (100.0, 140.0), "ff": None}, "io_parallel latency")  # fmt: skip
    verdict = BudgetVerdict(False, (Check("lut", 120.0, 110.0, False, "LUT", "r", (100.0, 140.0)),
                                    Check("ii", None, 25.0, False, "ns", "unknown")), "xcvu9p", 5.0, 1, None, 25.0, ("n",))  # fmt: skip
    assert Estimate.from_dict(json.loads(json.dumps(est.to_dict()))) == est
    back = BudgetVerdict.from_dict(json.loads(json.dumps(verdict.to_dict())))
    assert back == verdict and back.objectives() == {"lut": 120.0, "ii": None} and back.check("lut").straddles
