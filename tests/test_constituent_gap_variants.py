"""benchmarks/constituent_gap.py: the variant tokens parse to the settings the study trains with."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import constituent_gap  # noqa: E402


def test_variant_tokens():
    v = constituent_gap.parse_variant("pt3:robust:cut2:rho32")
    assert (v["features"], v["norm"], v["cut"], v["rho"], v["family"], v["hidden"]) == ("pt3", "robust", 2.0, (32,), "deepsets", None)
    assert constituent_gap.parse_variant("pt3:std:mlp")["family"] == "mlp"
    assert constituent_gap.parse_variant("pt3:std:mlp")["hidden"] is None  # the zoo's 64-32-32
    wide = constituent_gap.parse_variant("pt3:std:mlp128-128-64")
    assert wide["family"] == "mlp" and wide["hidden"] == (128, 128, 64)
    assert constituent_gap.parse_variant("pt3:std:in")["family"] == "interaction_net"
    with pytest.raises(SystemExit, match="unknown token 'wide'"):
        constituent_gap.parse_variant("pt3:wide")
