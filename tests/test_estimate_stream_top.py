"""io_stream designs: the top function must be the DATAFLOW region the configs imply; its composition, recomputed."""

import shutil
from pathlib import Path

import pytest

from codesign.errors import DataError
from codesign.estimate import estimate_project, estimate_record, estimate_settings
from codesign.estimate.calibration_set import load_records, records_dir
from codesign.estimate.settings import SETTING_KEYS, read_project, settings_from_record

STREAM = Path(__file__).parent / "fixtures" / "hls4ml13_vivado_stream"


def _as_record(settings: dict, pragmas: list[str]) -> dict:
    """A calibration-schema record of the fixture project, with the given top pragmas and no results."""
    rec = {k: settings.get(k) for k in SETTING_KEYS}
    rec["top_pragmas"] = pragmas
    return rec


def _composed(per_layer) -> tuple[int, int]:
    """DATAFLOW II and latency recomputed from the processes: the slowest interval (+1 handshake where the process
    is not pipelined); that interval plus every other process's fill (its own, else latency - interval) and one
    cycle per FIFO hop."""
    paced = [x.ii_cycles + (1 if x.sequential else 0) for x in per_layer]
    ii = max(paced)
    slowest = paced.index(ii)
    fills = 0
    for i, x in enumerate(per_layer):
        if x.fill_cycles is not None:
            fills += 0 if i == slowest else x.fill_cycles
        else:
            fills += x.latency_cycles - x.ii_cycles
    return ii, ii + fills + len(per_layer)


def test_pipeline_top_over_io_stream_configs_is_refused(tmp_path):
    """The configs say io_stream, myproject.cpp's top says PIPELINE: two designs, neither estimate is the synthesised
    one; the error names the pragma and what is accepted."""
    proj = tmp_path / "prj"
    shutil.copytree(STREAM, proj)
    top = proj / "firmware" / "myproject.cpp"
    top.write_text(top.read_text().replace("#pragma HLS DATAFLOW", "#pragma HLS PIPELINE"))
    with pytest.raises(DataError, match=r"configs say io_stream.*'#pragma HLS PIPELINE'.*accepted"):
        estimate_project(proj)


def test_record_mode_reads_an_io_stream_records_top_pragmas():
    settings = read_project(STREAM)
    agreeing = estimate_record(_as_record(settings, ["#pragma HLS DATAFLOW"]))
    refused = estimate_record(_as_record(settings, ["#pragma HLS INTERFACE axis port=x", "#pragma HLS PIPELINE"]))
    assert "declined" not in agreeing and "configs say io_stream" in refused["declined"]
    assert refused["latency_max_cycles"] is None
    # pragmas that agree with the configs change nothing: the estimate is the one of hls4ml's style rule
    no_pragmas = estimate_settings({**settings, "top_pragmas": None})
    assert (agreeing["latency_max_cycles"], agreeing["interval_max"]) == (no_pragmas.latency_cycles,
                                                                         no_pragmas.ii_cycles)  # fmt: skip


def test_io_parallel_record_pragmas_are_not_read():
    """Records mode keeps hls4ml's style rule for io_parallel records (their figures were measured so)."""
    rec = {"io_type": ["io_parallel"], "top_pragmas": ["#pragma HLS DATAFLOW"], "tcl_config_lines": []}
    assert "top_pragmas" not in settings_from_record(rec)
    assert settings_from_record({**rec, "io_type": ["io_stream"]})["top_pragmas"] == ["#pragma HLS DATAFLOW"]


def test_stream_composition_recomputed():
    est = estimate_project(STREAM)
    assert (est.ii_cycles, est.latency_cycles) == _composed(est.per_layer)


def test_calibration_record_with_an_io_parallel_top_is_declined():
    if not (records_dir() / "hls_reports.jsonl").exists():
        pytest.skip("no calibration records (../shared/calibration or the carried copy)")
    recs = [r for r in load_records() if "conv2dRolled" in r["id"]]
    if not recs:
        pytest.skip("the mbavier/HLS4ML_VerilogAndC conv2dRolled record is not in this calibration set")
    out = estimate_record(recs[0])
    assert "configs say io_stream" in out["declined"] and recs[0]["id"] in out["declined"]


def test_stream_processes_tail_is_the_models():
    """benchmarks/stream_processes.py recomputes the tail (latency - II) from the processes as the model composes it."""
    from codesign.estimate.design import build_calls
    from tests.benchmark_module import load_benchmark

    sp = load_benchmark("stream_processes")
    settings = read_project(STREAM)
    est, calls = estimate_settings(settings), build_calls(settings)
    assert sp.tail(est.per_layer, calls, drain=False) == est.latency_cycles - est.ii_cycles
    # the drain candidate charges the not-pipelined processes after the slowest their cycles beyond their input words
    assert sp.tail(est.per_layer, calls, drain=True) >= est.latency_cycles - est.ii_cycles
    dense = next(c for c in calls if c.function.startswith("dense"))
    assert sp.input_words(dense) == -(-int(dense.num("n_in")) // max(dense.pack, 1))
