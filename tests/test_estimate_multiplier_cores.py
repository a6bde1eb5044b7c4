"""The multiplier cores' stage counts: the report-name parser and the model's multiplier depth, against hand-derived numbers."""

from pathlib import Path
from unittest import mock

from codesign.estimate import constants as K
from codesign.estimate.hardware import (
    Clock,
    chain_cycles,
    delay_factor,
    dsp_delay_factor,
    mul_inputs_registered,
    multiplier_latency,
)
from tests.benchmark_module import load_benchmark

ROOT = Path(__file__).resolve().parents[1]

#: Vivado HLS 2020.1 csynth.rpt rows (Instance and DSP48 sections) and a Vitis HLS 2024.2 Bind Op row, as committed
VIVADO_RPT = """
    * Instance:
    +------------------------------------+---------------------------------+---------+-------+----+----+-----+
    |              Instance              |              Module             | BRAM_18K| DSP48E| FF | LUT| URAM|
    +------------------------------------+---------------------------------+---------+-------+----+----+-----+
    |myproject_mul_16s_10s_26_2_1_U1     |myproject_mul_16s_10s_26_2_1     |        0|      1|   0|   0|    0|
    |myproject_mul_16s_4ns_20_2_1_U2     |myproject_mul_16s_4ns_20_2_1     |        0|      0|  30|  80|    0|
    +------------------------------------+---------------------------------+---------+-------+----+----+-----+
    * DSP48E:
    +-------------------------------------------+--------------------------------------+-----------+
    |                  Instance                 |                Module                | Expression|
    +-------------------------------------------+--------------------------------------+-----------+
    |myproject_mul_mul_16s_16s_26_3_1_U10       |myproject_mul_mul_16s_16s_26_3_1      |  i0 * i1  |
"""
VITIS_RPT = """
| Name                    | DSP | Pragma | Variable   | Op  | Impl   | Latency |
|     mul_8ns_7s_15_5_0_U50 |     |        | mul_ln73   | mul | fabric | 4       |
|     mul_12s_8s_19_2_0_U1  | 1   |        | mul_ln73_1 | mul | auto   | 1       |
"""


def _benchmark(name: str):
    return load_benchmark(name)


def _miner():
    return _benchmark("multiplier_cores")


def test_core_names_give_widths_stages_and_mapping():
    m = _miner()
    cores = m.cores_in_report(VIVADO_RPT)
    assert cores["mul_16s_10s_26_2_1"] | {} == {"core": "mul_16s_10s_26_2_1", "op": "mul", "ports": [16, 10], "out": 26,
                                                "stages": 2, "impl": "dsp"}  # fmt: skip
    assert cores["mul_16s_4ns_20_2_1"]["impl"] == "fabric"  # 0 DSP in its Instance row
    assert cores["mul_mul_16s_16s_26_3_1"]["stages"] == 3 and cores["mul_mul_16s_16s_26_3_1"]["impl"] == "dsp"
    vitis = m.cores_in_report(VITIS_RPT)
    assert (vitis["mul_8ns_7s_15_5_0"]["stages"], vitis["mul_8ns_7s_15_5_0"]["bind_latency"]) == (5, 4)
    assert vitis["mul_8ns_7s_15_5_0"]["impl"] == "fabric" and vitis["mul_12s_8s_19_2_0"]["impl"] == "dsp"


def test_dsp_factor_defaults_to_the_logic_factor():
    for family, part in (("zynq", "xc7z020-clg400-1"), ("alveo", "xcu250-figd2104-2L-e"), ("kintexu", "xcku115-flvb2104-2-e"),
                         ("virtex7", "xc7vx690t-ffg1930-2")):  # fmt: skip
        assert dsp_delay_factor(family, part) == delay_factor(family, part)


def test_multiplier_latency_by_hand():
    z020 = ("zynq", "xc7z020-clg400-1")  # speed grade -1: 3.5 ns x 1.2 = 4.2 ns
    at5 = Clock(5.0, 0.625)  # Vivado HLS 12.5 %: 4.375 ns
    assert multiplier_latency(16, 10, True, at5, *z020, "Vivado HLS") == 0  # 4.2 fits: combinational
    assert multiplier_latency(16, 10, True, Clock(10.0, 1.25), *z020, "Vivado HLS") == 0
    with mock.patch.object(K, "DSP_DELAY_FACTOR_SPEED_GRADE_1", 1.3):  # 4.55 ns > 4.375
        assert multiplier_latency(16, 10, True, at5, *z020, "Vivado HLS") == 2  # registered inputs + 1
        with mock.patch.object(K, "MUL_INPUTS_REGISTERED_VIVADO", False):
            assert multiplier_latency(16, 10, True, at5, *z020, "Vivado HLS") == 1  # the names' 2 stages
    # Virtex-7 -2 at 5 ns, 32 x 14: two DSP48E1 slices (25 x 18 ports), 3.5 + 2.8 = 6.3 ns: 2 (freaksie: 3 stages)
    assert multiplier_latency(32, 14, True, at5, "virtex7", "xc7vx485tffg1761-2", "Vivado HLS") == 2
    # UltraScale+ at 2 ns (1.75 effective): 0.7 ns with the logic factor, 2.1 ns with a DSP factor of 0.6
    u250 = ("alveo", "xcu250-figd2104-2L-e")
    assert multiplier_latency(12, 12, True, Clock(2.0, 0.25), *u250, "Vivado HLS") == 0
    with mock.patch.object(K, "DSP_DELAY_FACTOR_ULTRASCALE_PLUS", 0.6):
        assert multiplier_latency(12, 12, True, Clock(2.0, 0.25), *u250, "Vivado HLS") == 2


def test_chain_without_input_registers_starts_where_the_chain_stands():
    # 4.55 ns product then a 3.36 ns add at 4.375 ns: registered inputs 2 boundaries, then the add in the third
    # cycle's 0.175 ns + 3.36 (fits: 2); product only registered: boundary at 4.375, 0.175 + 3.36 fits: 1
    assert chain_cycles([4.55, 3.36], 4.375) == 2
    assert chain_cycles([4.55, 3.36], 4.375, registered_inputs=False) == 1
    # after a 1.0 ns op the 4.55 ns product reaches 5.55: one boundary; 1.175 + 3.36 = 4.535 does not fit: 2
    assert chain_cycles([1.0, 4.55, 3.36], 4.375, registered_inputs=False) == 2
    assert chain_cycles([2.0, 0.5], 2.91, registered_inputs=False) == chain_cycles([2.0, 0.5], 2.91) == 0


def test_latency_rules_variant_names_patch_what_they_say():
    rules = _benchmark("latency_rules")
    u250, z020 = ("alveo", "xcu250-figd2104-2L-e"), ("zynq", "xc7z020-clg400-1")
    with rules.variant("dsp-us+ 0.6 dsp-grade1 1.3"):
        assert dsp_delay_factor(*u250) == 0.6 and delay_factor(*u250) == K.DELAY_FACTOR_ULTRASCALE_PLUS
        assert dsp_delay_factor(*z020) == 1.3 and delay_factor(*z020) == K.DELAY_FACTOR_SPEED_GRADE_1
    with rules.variant("mul-output-registered vivado-constant"):
        assert not mul_inputs_registered("Vivado HLS", constant_operand=True)
        assert mul_inputs_registered("Vivado HLS") and mul_inputs_registered("Vitis HLS", constant_operand=True)
    with rules.variant("mul-output-registered all"):
        assert not mul_inputs_registered("Vivado HLS") and not mul_inputs_registered("Vitis HLS")
    assert dsp_delay_factor(*u250) == K.DELAY_FACTOR_ULTRASCALE_PLUS and mul_inputs_registered("Vivado HLS", True)
