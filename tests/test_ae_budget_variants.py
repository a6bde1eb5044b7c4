"""benchmarks/ae_budget.py: variant names (with the ', train seed N' suffix) resolve to spec changes that the spec
parser accepts on the shipped VAE spec."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from benchmark_module import load_benchmark

from codesign.api import load_any_spec

ROOT = Path(__file__).resolve().parents[1]
ab = load_benchmark("ae_budget")


def test_seed_suffix_adds_the_training_seed_to_the_listed_changes():
    assert ab._changes("distill, prune epochs 15") == {"prune.distill": True, "prune.distill_widen": "none",
                                                        "prune.epochs": 15}  # fmt: skip
    assert ab._changes("distill, prune epochs 15, train seed 3") == {
        "prune.distill": True,
        "prune.distill_widen": "none",
        "prune.epochs": 15,
        "train.seed": 3,
    }
    # the recipes of docs/physics.md's tables are undistilled unless named; "shipped" is the spec as it is
    assert ab._changes("prune epochs 15") == {"prune.distill": False, "prune.distill_widen": "none", "prune.epochs": 15}
    assert ab._changes("shipped") == {} and ab._changes("shipped, train seed 2") == {"train.seed": 2}
    assert ab._changes("prune epochs 15, end 0.4, train seed 12")["train.seed"] == 12


@pytest.mark.parametrize("label", ["no such recipe", "no such recipe, train seed 1", "distill, train seed x"])
def test_unknown_variant_is_refused_by_name(label):
    with pytest.raises(SystemExit, match="unknown variant") as err:
        ab._changes(label)
    assert repr(label) in str(err.value)


@pytest.mark.parametrize("label", ["prune epochs 5", "prune epochs 15, end 0.4", "prune epochs 20, end 0.3",
                                   "prune epochs 15, frequency 10", "distill, prune epochs 30, train seed 4"])  # fmt: skip
def test_vae_variants_reach_the_parsed_spec(label):
    base = yaml.safe_load((ROOT / "models" / "l1_vae.yaml").read_text())
    changes = ab._changes(label)
    spec = load_any_spec(ab._apply(base, changes))
    for key, value in changes.items():
        section, field = key.split(".")
        assert getattr(getattr(spec, section), field) == value, key
