"""Property-based fuzzing of spec and hls4ml-config parsing: whatever the input, codesign either accepts it or
raises a CodesignError (a message for the user), never another exception (a traceback).

Parsing only, no builds: a few hundred examples per property in the default suite, thousands with -m slow.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesign.errors import CodesignError
from codesign.parts import resolve_part
from codesign.pipeline import check_spec_consistency
from codesign.spec import BuildSpec, Hls4mlConfig, load_spec, parse_spec

FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PATH = Path("fuzz.yaml")

VALID_SPEC = {
    "name": "fuzz",
    "data": {"source": "jets_hlf", "n_train": 100, "n_test": 50, "seed": 0, "standardize": True},
    "model": {"family": "mlp", "hidden": [8, 4], "activation": "relu"},
    "train": {"epochs": 1, "batch_size": 32, "learning_rate": 1e-3, "seed": 0, "patience": 1, "validation_split": 0.2},
    "prune": {"sparsity": 0.5, "epochs": 1, "begin_fraction": 0.0, "end_fraction": 0.7, "frequency": 10},
    "quantize": {"bits": 6, "integer": 0, "activation_bits": 6, "activation_integer": 3, "input": "ap_fixed<16,6>",
                 "epochs": 1, "layers": {"dense_1": {"bits": 8, "integer": 1}}},
    "hls": {"backend": "Vitis", "io_type": "io_parallel", "strategy": "Latency", "reuse_factor": 1, "clock_ns": 5.0,
            "parallelization_factor": "full", "project_name": "myproject"},
    "budget": {"tm_period": 1, "latency_ns": 100, "max_fraction": {"lut": 0.05, "dsp": 0.05}},
    "check": {"n_samples": 10, "workers": 1},
    "part": "xcvu9p",
}  # fmt: skip

VALID_CONFIG = {
    "KerasH5": "model.h5",
    "OutputDir": "prj",
    "ProjectName": "myproject",
    "Part": "xcvu9p-flga2104-2L-e",
    "ClockPeriod": 5,
    "ClockUncertainty": "12.5%",
    "IOType": "io_parallel",
    "Backend": "Vivado",
    "HLSConfig": {
        "Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
        "LayerType": {"Dense": {"ReuseFactor": 2, "Precision": {"weight": "ap_fixed<8,2>"}}},
        "LayerName": {"d1": {"Precision": {"result": "ap_fixed<12,4>"}, "Trace": True}},
    },
}

# odd values: the wrong type, out of range, non-finite, precision-looking strings, nesting where a scalar goes
ODD_TEXT = st.sampled_from(["", " ", "auto", "full", "ap_fixed<0,0>", "ap_fixed<4,8>", "ap_fixed<16,6,RND,SAT>",
                            "ap_int<8>", "fixed<>", "ap_fixed<16,6", "float", "xcvu9p", "xcvu9pfoo", "..", ".",
                            "nan", "1e-6", "-1", "Latency", "io_stream", "Vivado", "relu", "mlp", "jets_hlf",
                            "ap_ufixed<1,0>", "ap_fixed<2048,6>", "ap_fixed<8,-3>", "\x00", "é"])  # fmt: skip
ODD_NUMBERS = st.sampled_from([math.inf, -math.inf, math.nan, 0, -1, 0.5, 1e-6, 1e30, 2**31, 2**63, -(2**63), True])
SCALARS = st.one_of(
    ODD_NUMBERS, ODD_NUMBERS, ODD_TEXT, st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), ODD_TEXT,
)  # fmt: skip
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.one_of(st.text(max_size=6), ODD_TEXT), inner, max_size=3)),
                      max_leaves=8)  # fmt: skip


def _paths(tree: dict, prefix: tuple = ()) -> list[tuple]:
    out = []
    for key, value in tree.items():
        out.append((*prefix, key))
        if isinstance(value, dict):
            out += _paths(value, (*prefix, key))
    return out


def _set(tree: dict, path: tuple, value) -> dict:
    tree = json.loads(json.dumps(tree))
    node = tree
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return tree


def _drop(tree: dict, path: tuple) -> dict:
    tree = json.loads(json.dumps(tree))
    node = tree
    for key in path[:-1]:
        node = node[key]
    node.pop(path[-1], None)
    return tree


@st.composite
def mutated(draw, base: dict, extra_keys: tuple[str, ...]) -> dict:
    """``base`` with a few keys set to odd values, dropped, or unknown keys added (also nested)."""
    tree = base
    paths = _paths(base)
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 4]))):  # mostly one change, so the rest stays valid
        action = draw(st.sampled_from(["set", "set", "set", "drop", "add"]))
        path = draw(st.sampled_from(paths))
        if action == "set":
            tree = _set(tree, path, draw(st.one_of(ODD_NUMBERS, ODD_TEXT, VALUES)))
        elif action == "drop":
            tree = _drop(tree, path) if _has(tree, path) else tree
        else:
            name = draw(st.one_of(st.sampled_from(extra_keys), st.text(min_size=1, max_size=8)))
            tree = _set(tree, (*path[:-1], name), draw(VALUES))
    return tree


def _has(tree: dict, path: tuple) -> bool:
    node = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _parse_or_refuse(raw) -> None:
    """The property: parse_spec accepts, or raises a CodesignError; an accepted spec serialises for the cache."""
    try:
        spec = parse_spec(raw, PATH)
    except CodesignError as exc:
        assert str(exc).startswith(str(PATH)), str(exc)  # the file is named
        return
    if isinstance(spec, BuildSpec):
        json.dumps(spec.resolved(), allow_nan=False)  # the cache key and report.json take it
        try:
            check_spec_consistency(spec)
        except CodesignError:
            pass
        assert not math.isnan(spec.hls.clock_ns)
    else:
        assert isinstance(spec, Hls4mlConfig)


SPEC_KEYS = ("nmae", "bits", "family", "Layers", "KerasH5", "seed", "random_weights")
CONFIG_KEYS = ("ReuseFactor", "Precision", "Strategy", "Kerasjson", "XilinxPart", "Trace", "ParallelizationFactor")


@FAST
@given(mutated(VALID_SPEC, SPEC_KEYS))
def test_fuzzed_spec_parses_or_is_refused(raw):
    _parse_or_refuse(raw)


@FAST
@given(mutated(VALID_CONFIG, CONFIG_KEYS))
def test_fuzzed_hls4ml_config_parses_or_is_refused(raw):
    _parse_or_refuse(raw)


@FAST
@given(VALUES)
def test_any_yaml_value_parses_or_is_refused(raw):
    _parse_or_refuse(raw)


@FAST
@given(st.one_of(st.text(max_size=40), ODD_TEXT, st.builds(lambda a, b: f"{a}-{b}", st.sampled_from(["xcvu9p", "xc7z020", "xczu"]),
                                                            st.text(max_size=16))))  # fmt: skip
def test_any_part_string_resolves_or_is_refused(text):
    try:
        part = resolve_part(text)
    except CodesignError:
        return
    assert part.full_name.strip().lower().startswith(part.name)


@FAST
@given(st.one_of(st.text(max_size=80), st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
                 mutated(VALID_SPEC, SPEC_KEYS).map(lambda d: yaml.safe_dump(d) * 2)))  # fmt: skip
def test_any_spec_file_text_loads_or_is_refused(text):
    """Files: arbitrary text, and a valid spec written twice (every key duplicated) go through load_spec."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "spec.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            load_spec(path)
        except CodesignError as exc:
            assert str(path) in str(exc)


def test_a_doubled_spec_is_refused_for_its_duplicate_keys(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(VALID_SPEC) * 2)
    with pytest.raises(CodesignError, match="appears twice"):
        load_spec(path)


@pytest.mark.slow
@SLOW
@given(st.one_of(mutated(VALID_SPEC, SPEC_KEYS), mutated(VALID_CONFIG, CONFIG_KEYS), VALUES))
def test_fuzzed_specs_and_configs_thousands(raw):
    _parse_or_refuse(raw)
