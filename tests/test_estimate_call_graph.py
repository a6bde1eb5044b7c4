"""The io_parallel PIPELINE top's latency is its longest path through the call graph (codesign/estimate/call_graph.py).

Two Dense branches of different depth on one input, Concatenate, Dense, converted by codesign's own hls4ml
conversion: the latency is the deeper branch plus the rest, not the sum of every call; a chain keeps the sum; the
graph read from a project's argument variables and the one read from the data type names (a record's route) agree;
a graph that cannot be read, and a DATAFLOW top, keep the sum.
"""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from click.testing import CliRunner

from codesign import keras_env

keras_env.setup()

from codesign import report  # noqa: E402
from codesign.cli import main  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from codesign.estimate import constants as K  # noqa: E402
from codesign.estimate.calibration_set import records_dir  # noqa: E402
from codesign.estimate.call_graph import longest_path, predecessors  # noqa: E402
from codesign.estimate.design import build_calls  # noqa: E402
from codesign.estimate.hardware import delay_factor  # noqa: E402
from codesign.estimate.network import estimate_settings, top_style  # noqa: E402
from codesign.estimate.result import Estimate  # noqa: E402
from codesign.estimate.settings import parse_top_call_vars, read_project, settings_from_record  # noqa: E402
from codesign.parts import part_from_totals, resolve_part  # noqa: E402
from tests import hls_models  # noqa: E402

SEVEN_SERIES = "xc7z020clg400-1"  # Vitis HLS on a 7-series part at II = 1: a cycle per dense call (constants)


def _branched():
    """x -> a1 -> relu -> a2 -> relu -> a3 (deep branch); x -> b1 (shallow); Concatenate; Dense."""
    keras = keras_env.keras()
    L = keras.layers
    x = keras.Input((8,), name="x")
    a = L.Activation("relu", name="a1r")(L.Dense(6, name="a1")(x))
    a = L.Dense(4, name="a3")(L.Activation("relu", name="a2r")(L.Dense(6, name="a2")(a)))
    h = L.Concatenate(name="cat")([a, L.Dense(4, name="b1")(x)])
    model = keras.Model(x, L.Dense(3, name="out")(h))
    hls_models.randomize_trainable(model, 3)
    return model


def _chain():
    """x -> d1 -> relu -> d2 -> relu -> out: no branch."""
    keras = keras_env.keras()
    L = keras.layers
    x = keras.Input((8,), name="x")
    h = L.Activation("relu", name="r1")(L.Dense(6, name="d1")(x))
    h = L.Activation("relu", name="r2")(L.Dense(5, name="d2")(h))
    model = keras.Model(x, L.Dense(3, name="out")(h))
    hls_models.randomize_trainable(model, 4)
    return model


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """Settings of the two projects, read from the files hls4ml wrote."""
    root = tmp_path_factory.mktemp("call_graph")
    out = {}
    for name, build in (("branched", _branched), ("chain", _chain)):
        project = hls_models.convert(build(), root / name)
        out[name] = read_project(project.path)
    return out


def _reference(est, names: list[str], seven_series: bool) -> int:
    """The top's latency along the named calls, written out from the per-layer figures: each call's latency, a
    register per boundary unless both calls are 0-cycle, and on Vitis 7-series at II 1 a cycle per dense call."""
    lat = {x.name: int(x.latency_cycles) for x in est.per_layer}
    kind = {x.name: x.kind for x in est.per_layer}
    total = sum(lat[n] for n in names)
    total += sum(K.TOP_CYCLES_PER_BOUNDARY for a, b in pairwise(names) if not (lat[a] == 0 and lat[b] == 0))
    if seven_series and est.ii_cycles == 1:
        total += K.TOP_CYCLES_II1_PER_DENSE * sum(1 for n in names if kind[n].startswith("dense"))
    return total


ALL_BRANCHED = ["a1", "a1r", "a2", "a2r", "a3", "b1", "cat", "out"]
DEEP_PATH = ["a1", "a1r", "a2", "a2r", "a3", "cat", "out"]


@pytest.mark.parametrize("part", [None, SEVEN_SERIES])
def test_two_branches_cost_the_deeper_branch_not_the_sum(projects, part):
    """The latency is the deep branch + Concatenate + Dense; the shallow branch runs beside it (a Dense of 1 cycle
    or more and its boundary: the sum would be larger)."""
    settings = projects["branched"]
    calls = build_calls(settings)
    assert top_style(settings, calls) == ("pipeline", None)
    assert [c.name for c in calls] == ALL_BRANCHED
    est = estimate_settings(settings, resolve_part(part) if part else None)
    seven = part == SEVEN_SERIES
    assert est.latency_cycles == _reference(est, DEEP_PATH, seven)
    # the sum the estimator gave before (every call in program order) is not the figure
    assert est.latency_cycles < _reference(est, ALL_BRANCHED, seven)


def test_the_graph_and_its_longest_path(projects):
    """Predecessors from the argument variables: both branches read the input port, the Concatenate reads a3 and b1."""
    settings = projects["branched"]
    calls = build_calls(settings)
    preds = predecessors(settings, calls, [False] * len(calls))
    assert preds == [(), (0,), (1,), (2,), (3,), (), (4, 5), (6,)]
    est = estimate_settings(settings)
    lat = [int(x.latency_cycles) for x in est.per_layer]
    cycles, path = longest_path(preds, lat, lambda a, b: 0 if lat[a] == lat[b] == 0 else 1, [False] * len(calls))
    assert [calls[i].name for i in path] == DEEP_PATH
    assert cycles == _reference(est, DEEP_PATH, False)


def test_a_chain_keeps_the_sum(projects):
    """No branch: every call in program order, as the estimator has always summed them."""
    settings = projects["chain"]
    est = estimate_settings(settings)
    names = [x.name for x in est.per_layer]
    assert names == ["d1", "r1", "d2", "r2", "out"]
    assert est.latency_cycles == _reference(est, names, False)
    est7 = estimate_settings(settings, resolve_part(SEVEN_SERIES))
    assert est7.latency_cycles == _reference(est7, names, True)


def test_type_names_give_the_same_graph_as_the_variables(projects):
    """A record carries no argument variables: hls4ml's one result type per layer stands for them, same figure."""
    settings = dict(projects["branched"])
    by_vars = estimate_settings(settings).latency_cycles
    as_record = {k: v for k, v in settings.items() if k not in ("top_call_vars", "top_input_names")}
    calls = build_calls(as_record)
    assert calls[6].reads == ("a3_result_t", "b1_result_t")
    assert predecessors(as_record, calls, [False] * len(calls)) == [(), (0,), (1,), (2,), (3,), (), (4, 5), (6,)]
    assert estimate_settings(as_record).latency_cycles == by_vars


def test_unreadable_graph_keeps_the_sum(projects):
    """A call that reads an array no call wrote and that is no input, or a type written twice: program order."""
    settings = projects["branched"]
    lost = [list(v) for v in settings["top_call_vars"]]
    j = next(i for i, v in enumerate(lost) if v and v[0] == "layer8_out")  # the Concatenate reads a3's output
    lost[j][0] = "somewhere_out"
    broken = {**settings, "top_call_vars": lost}
    assert predecessors(broken, build_calls(broken), [False] * len(ALL_BRANCHED)) is None
    est = estimate_settings(broken)
    assert est.latency_cycles == _reference(est, ALL_BRANCHED, False)
    twice = {k: v for k, v in settings.items() if k not in ("top_call_vars", "top_input_names")}
    twice["top_calls"] = [c.replace("b1_result_t", "a3_result_t") for c in settings["top_calls"]]
    assert predecessors(twice, build_calls(twice), [False] * len(ALL_BRANCHED)) is None
    est = estimate_settings(twice)
    assert est.latency_cycles == _reference(est, ALL_BRANCHED, False)


def test_dataflow_top_keeps_the_sum(projects):
    """io_parallel DATAFLOW: still every process in turn (docs/estimator.md: non-canonical regions)."""
    settings = {**projects["branched"], "top_pragmas": ["#pragma HLS DATAFLOW"]}
    est = estimate_settings(settings)
    assert est.latency_cycles == _reference(est, ALL_BRANCHED, False)


def test_the_path_reaches_the_estimate_the_report_and_the_cli(projects):
    """``latency_path`` names the calls on the longest path; report.md and ``codesign estimate`` say which run beside
    it, instead of reading the total as the sum plus the top's own cycles. A chain names every call and says nothing."""
    est = estimate_settings(projects["branched"])
    assert est.latency_path == tuple(DEEP_PATH)
    d = est.to_dict()
    assert d["latency_path"] == DEEP_PATH and Estimate.from_dict(d).latency_path == tuple(DEEP_PATH)
    md = report.render_markdown({"estimate": d, "project": {"io_type": "io_parallel", "path": "hls"}})
    on = sum(int(x.latency_cycles) for x in est.per_layer if x.name in DEEP_PATH)
    assert f"The total {est.latency_cycles} cycles follows the longest path through the layer calls (7 of 8; b1" in md
    assert f"add to {on} cycles, the other {est.latency_cycles - on} are" in md
    res = CliRunner().invoke(main, ["estimate", projects["branched"]["id"]])
    assert res.exit_code == 0, res.output
    assert "longest path: a1 > a1r > a2 > a2r > a3 > cat > out; beside it: b1" in res.output
    chain = estimate_settings(projects["chain"])
    assert chain.latency_path == ("d1", "r1", "d2", "r2", "out")
    res = CliRunner().invoke(main, ["estimate", projects["chain"]["id"]])
    assert res.exit_code == 0 and "longest path" not in res.output
    md = report.render_markdown({"estimate": chain.to_dict(), "project": {"io_type": "io_parallel", "path": "hls"}})
    assert "longest path" not in md and "The layers' latencies add to" in md


def test_call_variables_are_the_top_arrays():
    """A call's data arrays are its arguments that the top declares (ports, layer arrays), an ``auto&`` in-place
    variable (an io_parallel Reshape) standing for the array it names; weights, literals and strings are none."""
    text = """
    void myproject(input_t x[8], result_t layer5_out[3]) {
        layer2_t layer2_out[6];
        layer4_t layer4_out[6];
        nnet::load_weights_from_txt<w2_t, 48>(w2, "w2.txt");
        nnet::dense<input_t, layer2_t, config2>(x, layer2_out, w2, b2); // d
        auto& layer3_out = layer2_out;
        nnet::elu<layer2_t, model_default_t, layer4_t, elu_config4>(layer3_out, 1.0, layer4_out);
        nnet::prelu<layer4_t, model_default_t, result_t, config5>(layer4_out, a5, layer5_out);
    }
    """
    assert parse_top_call_vars(text) == [
        [], ["x", "layer2_out"], ["layer2_out", "layer4_out"], ["layer4_out", "layer5_out"]
    ]


def _per_dense_cycle(record: dict, est) -> bool:
    """Whether the top adds a cycle per dense call (constants: Vitis HLS, a 7-series delay factor, layers at II 1)."""
    try:
        part = resolve_part(record["part"])
    except SpecError:
        part = part_from_totals(record["part"], record.get("available") or {})
    layer_ii = max(int(x.ii_cycles or 1) for x in est.per_layer)
    vitis = "vitis" in str(record.get("hls_tool") or "").lower()
    return vitis and layer_ii == 1 and delay_factor(part.family, part.full_name) >= 1.0


def test_every_sequential_record_is_unchanged():
    """Every io_parallel PIPELINE calibration record (its graph a chain, or unreadable): the estimate is the sum the
    estimator gave before, written out here from the per-layer figures (every call in program order)."""
    if K.TOP_CHAIN_COMBINATIONAL:
        pytest.skip("TOP_CHAIN_COMBINATIONAL on: the reference below leaves it out")
    n_chain = n_unread = 0
    for line in (records_dir() / "hls_reports.jsonl").read_text().splitlines():
        record = json.loads(line)
        try:
            settings = settings_from_record(record)
            est = estimate_settings(settings)
        except Exception:  # noqa: BLE001, S112 - refused records are other tests' concern
            continue
        calls = build_calls(settings)
        if est.latency_cycles is None or any(c.io_type == "io_stream" for c in calls):
            continue
        if top_style(settings, calls)[0] != "pipeline":
            continue
        real = [x for x in est.per_layer if x.kind != "cast"]
        preds = predecessors(settings, calls, [x.kind == "cast" for x in est.per_layer])
        if preds is None:
            n_unread += 1
        else:
            idx = [i for i, x in enumerate(est.per_layer) if x.kind != "cast"]
            assert all(preds[b] == (a,) for a, b in pairwise(idx)), record["id"]  # no branched record in the set
            n_chain += 1
        lat = [int(x.latency_cycles) for x in real]
        ref = sum(int(x.latency_cycles) for x in est.per_layer)
        ref += sum(K.TOP_CYCLES_PER_BOUNDARY for a, b in pairwise(lat) if not (a == 0 and b == 0))
        if _per_dense_cycle(record, est):
            ref += K.TOP_CYCLES_II1_PER_DENSE * sum(1 for x in real if x.kind.startswith("dense"))
        assert est.latency_cycles == ref, record["id"]
    assert n_chain >= 52 and n_unread >= 1  # 52 and 7 of the 222 records when written
