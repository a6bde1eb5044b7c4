"""codesign/sigmoid_twin.py against hls4ml's own table sigmoid, and a kept final sigmoid proven through it.

The slow tests compile hls4ml 1.3's ``nnet::sigmoid`` (its ``nnet_activation.h``, with its ``ap_types``) with g++
and feed it every code of the input type: the twin must give the same output for each, for several input, table
and result types (rounding and saturation modes, a table size that is not a power of two). Then a final sigmoid
kept by a user's hls4ml config (its own layer, or fused into the output Dense) is built, C-simulated and checked bit
for bit through the twin by ``codesign build`` and ``codesign check``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from codesign import keras_env

keras_env.setup()

from codesign import sigmoid_twin  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from tests import hls_models  # noqa: E402

Q = "quantized_bits(6,0,alpha=1)"


def _cfg(input_t="ap_fixed<16,7>", result_t="ap_fixed<16,6>", table_t="ap_fixed<18,8>", size=1024):
    return sigmoid_twin.SigmoidConfig("sig", 1, size, input_t, result_t, table_t)


def test_twin_is_a_table_over_minus_8_to_8_not_the_float_sigmoid():
    cfg = _cfg()
    x = np.array([[-9.0], [-8.0], [-0.01], [0.0], [0.01], [0.015625], [1.0], [7.99], [30.0]])
    got = sigmoid_twin.apply(cfg, x)[:, 0]
    # entry index trunc(x * 1024 / 16) + 512: -0.01 and 0.01 both read entry 512 (sigmoid(0) = 0.5)
    assert got[2] == got[3] == got[4] == 0.5
    assert got[5] > 0.5  # 0.015625 * 64 = 1: the next entry
    assert got[0] == got[1] and got[-1] == got[-2]  # clipped to the table's ends
    # the table's entries are float sigmoids truncated to ap_fixed<18,8> (10 fractional bits), then ap_fixed<16,6>
    assert np.all(got * 1024 == np.round(got * 1024))
    assert 0 < np.max(np.abs(got - 1 / (1 + np.exp(-x[:, 0])))) < 0.05


def test_twin_refuses_another_width_and_reads_the_emitted_project(tmp_path):
    with pytest.raises(sigmoid_twin.UnsupportedSigmoid, match="sigmoid of 1 values applied to 2"):
        sigmoid_twin.apply(_cfg(), np.zeros((3, 2)))
    fw = tmp_path / "firmware"
    fw.mkdir()
    (fw / "defines.h").write_text("typedef ap_fixed<16,7> logit_result_t;\ntypedef ap_ufixed<8,0,AP_RND,AP_SAT,0> "
                                  "result_t;\ntypedef ap_fixed<18,8> sig_table_t;\n")  # fmt: skip
    (fw / "parameters.h").write_text("// sig\nstruct sigmoid_config6 : nnet::activ_config {\n    static const unsigned "
                                     "n_in = 1;\n    static const unsigned table_size = 512;\n    typedef sig_table_t "
                                     "table_t;\n};\n")  # fmt: skip
    (fw / "myproject.cpp").write_text("nnet::sigmoid<logit_result_t, result_t, sigmoid_config6>(layer4_out, out);")
    cfg = sigmoid_twin.read_config(tmp_path, "sig")
    assert cfg == sigmoid_twin.SigmoidConfig("sig", 1, 512, "ap_fixed<16,7>", "ap_ufixed<8,0,AP_RND,AP_SAT,0>",
                                             "ap_fixed<18,8>")  # fmt: skip
    (fw / "myproject.cpp").write_text("nnet::hard_sigmoid<logit_result_t, result_t, sigmoid_config6>(a, b);")
    with pytest.raises(sigmoid_twin.UnsupportedSigmoid, match="nnet::hard_sigmoid"):
        sigmoid_twin.read_config(tmp_path, "sig")


HARNESS = r"""
#include <cstdio>
#include "ap_fixed.h"
#include "nnet_utils/nnet_activation.h"
struct cfg : nnet::activ_config { static const unsigned n_in = 1; static const unsigned table_size = TSIZE;
                                  typedef TAB_T table_t; };
int main() {
  long long raw;
  while (scanf("%lld", &raw) == 1) {
    IN_T x[1]; x[0].range() = raw; RES_T r[1];
    nnet::sigmoid<IN_T, RES_T, cfg>(x, r);
    printf("%.17g %.17g\n", x[0].to_double(), r[0].to_double());
  }
}
"""

# (input, result, table, table size): hls4ml's defaults, rounding/saturating types, a table size not a power of two
CASES = [
    ("ap_fixed<16,7>", "ap_fixed<16,6>", "ap_fixed<18,8>", 1024),
    ("ap_fixed<12,5,AP_RND,AP_SAT>", "ap_ufixed<8,0,AP_RND,AP_SAT>", "ap_fixed<18,8>", 1024),
    ("ap_fixed<14,4>", "ap_fixed<10,1,AP_RND_CONV,AP_SAT>", "ap_ufixed<12,0,AP_RND,AP_SAT>", 512),
    ("ap_fixed<17,10>", "ap_fixed<16,6>", "ap_fixed<18,8>", 1000),
    ("ap_fixed<10,6>", "ap_fixed<16,6>", "ap_fixed<8,2>", 64),
]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed to compile hls4ml's sigmoid")
@pytest.mark.parametrize("input_t,result_t,table_t,size", CASES)
def test_twin_equals_hls4ml_sigmoid_on_every_input_code(tmp_path, input_t, result_t, table_t, size):
    from codesign import tools
    from codesign.hls.pch import template_ap_types

    ap = template_ap_types()
    if ap is None:
        pytest.skip("hls4ml's templates are not installed")
    (tmp_path / "sig.cpp").write_text(HARNESS)
    defs = [f"-DIN_T={input_t}", f"-DRES_T={result_t}", f"-DTAB_T={table_t}", f"-DTSIZE={size}"]
    tools.run(["g++", "-O1", "-std=c++14", f"-I{ap}", f"-I{ap.parent}", *defs, "sig.cpp", "-o", "sig"],
              cwd=tmp_path, log=tmp_path / "gxx.log", timeout_s=300)  # fmt: skip
    w = FixedPrecision.parse(input_t).width
    codes = np.arange(-(1 << (w - 1)), 1 << (w - 1))
    out = subprocess.run([str(tmp_path / "sig")], input="\n".join(map(str, codes)), capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    cpp = np.array(out.split(), dtype=np.float64).reshape(-1, 2)
    assert len(cpp) == len(codes)
    twin = sigmoid_twin.apply(sigmoid_twin.SigmoidConfig("s", 1, size, input_t, result_t, table_t), cpp[:, :1])[:, 0]
    bad = np.flatnonzero(twin != cpp[:, 1])
    assert bad.size == 0, f"first mismatch at x={cpp[bad[0], 0]}: hls4ml {cpp[bad[0], 1]}, twin {twin[bad[0]]}"
    assert len(np.unique(cpp[:, 1])) > 8  # the inputs reach many table entries


def sigmoid_head_model(fused: bool):
    """QDense trunk, a one-unit QDense logit and a sigmoid: its own Activation layer or the Dense's activation."""
    from qkeras import QDense

    keras = keras_env.keras()
    inp = keras.Input((8,), name="x")
    h = QDense(6, kernel_quantizer=Q, bias_quantizer=Q, activation="quantized_relu(6,2)", name="d1")(inp)
    if fused:
        out = QDense(1, kernel_quantizer=Q, bias_quantizer=Q, activation="sigmoid", name="out")(h)
    else:
        logit = QDense(1, kernel_quantizer=Q, bias_quantizer=Q, name="logit")(h)
        out = keras.layers.Activation("sigmoid", name="sig")(logit)
    model = keras.Model(inp, out, name="sigmoid_head")
    hls_models._randomize(model, 3)
    return model


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
@pytest.mark.parametrize("fused", [False, True])
def test_kept_final_sigmoid_is_bit_exact_through_the_twin(tmp_path, fused):
    """A LayerName entry for the final sigmoid keeps it, with the user's table type and size applied (hls4ml 1.3
    ignores ``Precision: {table: ...}``: codesign writes it as ``table_t``), and the build and the check prove it."""
    sigmoid_head_model(fused).save(tmp_path / "m.h5")
    name = "out_sigmoid" if fused else "sig"
    cfg = {"KerasH5": "m.h5", "OutputDir": "out", "ProjectName": "myproject", "Part": "xcvu9p-flga2104-2L-e",
           "ClockPeriod": 5, "IOType": "io_parallel", "Backend": "Vitis",
           "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
                         "LayerName": {name: {"Precision": {"result": "ap_ufixed<10,0,AP_RND,AP_SAT>",
                                                            "table": "ap_ufixed<12,0>"}, "TableSize": 512}}}}  # fmt: skip
    (tmp_path / "config.yml").write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "codesign.cli", "build", "config.yml", "--no-plots"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    assert "bit-exact: yes" in text and f"table sigmoid '{name}'" in text
    defines = (tmp_path / "out" / "hls" / "firmware" / "defines.h").read_text()
    assert f"typedef ap_ufixed<12,0> {name}_table_t;" in defines
    sm = yaml.safe_load((tmp_path / "out" / "report.json").read_text())["project"]["final_sigmoid"]
    assert sm == {"layer": name, "n_in": 1, "table_size": 512, "input_t": sm["input_t"],
                  "result_t": "ap_ufixed<10,0,AP_RND,AP_SAT,0>", "table_t": "ap_ufixed<12,0>"}  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "codesign.cli", "check", "out", "--n", "200"], capture_output=True,
                          text=True, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0 and "verdict: bit-exact" in proc.stdout, (proc.stdout + proc.stderr)[-3000:]
    assert "sigmoid_twin" in proc.stdout
