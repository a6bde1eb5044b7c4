"""Eleventh latency round: chaining combinational calls across layer boundaries (hooks in constants, all off).

Each expected value is worked out from the rule: the operations' delays, packed by hardware.chain_cycles.
"""

import json
from pathlib import Path
from unittest import mock

import pytest

from codesign.estimate import constants as K
from codesign.estimate.calibration_set import raw_dir, shared_dir
from codesign.estimate.design import LayerCall
from codesign.estimate.hardware import Clock, chain_cycles, combinational_run_cycles
from codesign.estimate.kernels.dense import product_delay_ns
from codesign.estimate.layers import Context, predict_layer
from codesign.estimate.network import _top_overhead, estimate_settings
from codesign.estimate.result import LayerEstimate
from codesign.estimate.settings import settings_from_record
from codesign.precision import FixedPrecision
from tests.benchmark_module import load_benchmark

ROOT = Path(__file__).resolve().parents[1]
#: ArgyKokk's 5 ns clock (4.375 ns effective), 7-series delays; an UltraScale+ part at 5 ns with Vitis HLS's 27 %.
SLOW = Context(Clock(5.0, 0.625), "DSP48E1", "dsp", "Vitis HLS", "2021.1", 1.0)
USP = Context(Clock(5.0, 1.35), "DSP48E2", "auto", "Vitis HLS", "2024.1", 0.2)


def _layer(kind: str, lat: int, chain: tuple[float, ...] = ()) -> LayerEstimate:
    return LayerEstimate(kind, kind, lat, 1, 0, 0, 0, 0, chain_ns=chain)


def _dense(n_in: int, n_out: int, bits: int = 16) -> LayerCall:
    p = FixedPrecision.parse(f"ap_fixed<{bits},6>")
    cfg = {"n_in": n_in, "n_out": n_out, "reuse_factor": 1, "n_zeros": 0, "strategy": "latency",
           "weight_t": "ap_fixed<16,6>", "accum_t": "ap_fixed<16,6>"}  # fmt: skip
    return LayerCall("d", "dense", cfg, p, p, "io_parallel")


def test_combinational_runs_register_only_where_the_period_is_full():
    # run 1: 3 + 3 ns > 4 ns: one register; run 2: 1 + 1 ns: none; a lone pipelined call in between breaks the runs
    calls = [(True, (3.0,)), (True, (3.0,)), (False, ()), (True, (1.0,)), (True, (1.0,))]
    assert combinational_run_cycles(calls, 4.0) == chain_cycles([3.0, 3.0], 4.0) + chain_cycles([1.0, 1.0], 4.0) == 1
    assert combinational_run_cycles([(True, (1.5,)), (True, (1.5,)), (True, (1.5,))], 4.0) == 1
    assert combinational_run_cycles([(False, ()), (False, ())], 4.0) == 0
    # the same delays as one run (no pipelined call between them): 3 | 3 + 1 | 1 -> two registers
    assert combinational_run_cycles([(True, (3.0, 3.0, 1.0, 1.0))], 4.0) == 2


def test_top_chain_adds_a_register_where_a_run_of_zero_cycle_calls_overflows():
    # batchnorm (T_MUL_LUT) then ReLU (T_RELU) at 4.375 ns: 2.5 + 3.0 ns do not fit, so the chain is cut once
    bn, relu = _layer("batchnorm", 0, (K.T_MUL_LUT_NS,)), _layer("relu", 0, (K.T_RELU_NS,))
    layers = [_layer("dense", 3), bn, relu, _layer("dense", 1)]
    shipped = _top_overhead(layers, 2, SLOW)
    assert shipped == 2  # dense | batchnorm-relu (chained, no register between them) | dense
    with mock.patch.object(K, "TOP_CHAIN_COMBINATIONAL", True):
        assert _top_overhead(layers, 2, SLOW) == shipped + 1
        # the Vitis 7-series II = 1 cycles per dense call come on top of the chain's register, not instead of it
        assert _top_overhead(layers, 1, SLOW) == shipped + 1 + 2 * K.TOP_CYCLES_II1_PER_DENSE
        # on an UltraScale+ part the same two delays x 0.2 fit one 3.65 ns cycle: no register
        fast = [_layer("dense", 1), _layer("batchnorm", 0, (0.5,)), _layer("relu", 0, (0.6,)), _layer("dense", 1)]
        assert _top_overhead(fast, 1, USP) == 2


def test_dense_bank_whose_chain_fits_is_combinational_only_under_its_hook():
    call = _dense(4, 2)  # 4 terms: the product and 2 adder levels
    levels = 2
    ops = (product_delay_ns(True, 2, USP), K.T_ADD_NS * 0.2, K.T_ADD_NS * 0.2)  # 16 x 16 bits: a DSP product
    assert sum(ops) < USP.clock.effective_ns  # the whole chain fits one 3.65 ns cycle
    shipped = predict_layer(call, USP)
    assert shipped.latency_cycles == 1 and shipped.chain_ns == ()
    with mock.patch.object(K, "DENSE_COMBINATIONAL_MAX_LEVELS", levels):
        est = predict_layer(call, USP)
        assert est.latency_cycles == 0 and est.ff == 0
        assert est.chain_ns == pytest.approx(ops)
    with mock.patch.object(K, "DENSE_COMBINATIONAL_MAX_LEVELS", levels - 1):  # a tree deeper than allowed
        assert predict_layer(call, USP).latency_cycles == 1
    with mock.patch.object(K, "DENSE_COMBINATIONAL_MAX_LEVELS", 99):  # does not fit 4.375 ns on 7-series: 1+ cycles
        assert predict_layer(call, SLOW).latency_cycles >= 1


def test_pooling_that_fits_the_period_is_combinational_only_under_its_hook():
    p = FixedPrecision.parse("ap_fixed<16,6>")
    cfg = {"n_filt": 3, "in_height": 4, "in_width": 4, "out_height": 2, "out_width": 2, "pool_height": 2,
           "pool_width": 2}  # fmt: skip
    call = LayerCall("p", "pooling2d_cl", cfg, p, p, "io_parallel")
    delay = 2 * K.T_COMPARE_NS * 0.2  # a 2x2 window: two compare levels
    assert predict_layer(call, USP).latency_cycles == 1  # Clock.cycles rounds any delay up
    with mock.patch.object(K, "POOLING_COMBINATIONAL", True):
        est = predict_layer(call, USP)
        assert est.latency_cycles == 0 and est.chain_ns == pytest.approx((delay,)) and est.ff == 0


def _gnn() -> dict:
    for line in (ROOT / "benchmarks" / "data" / "extra_reports.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["repo"] == "dfurle/GNN_FPGA":
            return rec
    raise AssertionError("dfurle/GNN_FPGA record missing from extra_reports.jsonl")


def test_last_dense_combinational_drops_its_cycle_and_the_boundaries_around_it():
    settings = settings_from_record(_gnn())  # dense/ReLU x 4, Vitis HLS 2023.1, xcu250 at 5 ns
    shipped = estimate_settings(settings)
    with mock.patch.object(K, "DENSE_COMBINATIONAL_LAST", True):
        est = estimate_settings(settings)
    lat = [x.latency_cycles for x in est.per_layer]
    assert lat == [1, 0, 1, 0, 1, 0, 0, 0]  # only the last dense call changed
    assert [x.latency_cycles for x in shipped.per_layer] == [1, 0, 1, 0, 1, 0, 1, 0]
    # its own cycle, and the two boundaries to the ReLUs on either side (two 0-cycle calls chain)
    assert est.latency_cycles == shipped.latency_cycles - 3 == 8


def test_with_constants_patches_and_refuses_unknown_names():
    wc = load_benchmark("with_constants")
    old = K.TOP_CHAIN_COMBINATIONAL
    try:
        assert wc.patch("TOP_CHAIN_COMBINATIONAL=True, -") == {"TOP_CHAIN_COMBINATIONAL": True}
        assert K.TOP_CHAIN_COMBINATIONAL is True
    finally:
        K.TOP_CHAIN_COMBINATIONAL = old
    with pytest.raises(SystemExit, match="NO_SUCH_CONSTANT"):
        wc.patch("NO_SUCH_CONSTANT=1")
    with pytest.raises(SystemExit, match="not a Python literal"):
        wc.patch("T_ADD_NS=fast")


@pytest.mark.skipif(raw_dir() is None, reason="per-layer reports (../shared/calibration/raw) not present")
def test_top_chain_moves_only_the_records_with_a_zero_cycle_run_that_overflows():
    bench = load_benchmark("top_own_cycles")
    shipped = {r["id"]: r for r in bench.own_cycles(shared_dir())}
    with mock.patch.object(K, "TOP_CHAIN_COMBINATIONAL", True):
        chained = {r["id"]: r for r in bench.own_cycles(shared_dir())}
    assert shipped.keys() == chained.keys() and shipped
    moved = {k for k in shipped if shipped[k]["rule"] != chained[k]["rule"]}
    # the only 7-series run of two 0-cycle calls is batchnorm (2.5 ns) + ReLU (3.0 ns): over 4.375 ns, one register
    assert moved and all("batchnorm0/0 relu0/0" in shipped[k]["layers"] for k in moved)
    assert all(chained[k]["rule"] == shipped[k]["rule"] + 1 for k in moved)
    assert all("batchnorm0/0 relu0/0" not in shipped[k]["layers"] for k in shipped.keys() - moved)
