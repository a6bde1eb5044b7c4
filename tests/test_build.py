"""End-to-end `codesign build` on the shipped jet sample at small size: real training, pruning, QAT,
hls4ml conversion and g++ C-simulation, bit-exact against QKeras."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from codesign.api import run_build

REPO = Path(__file__).resolve().parents[1]


def small_spec(name: str, *, backend: str = "Vitis", bits: int = 6, **extra) -> dict:
    spec = {
        "name": name,
        "data": {"source": "jets_hlf", "n_train": 3000, "n_test": 1000, "seed": 1},
        "model": {"family": "mlp", "hidden": [8]},
        "train": {"epochs": 8, "batch_size": 128, "learning_rate": 3.0e-3, "seed": 1},
        "prune": {"sparsity": 0.5, "epochs": 2},
        "quantize": {"bits": bits, "integer": 0, "activation_bits": bits, "activation_integer": 3, "epochs": 2},
        "hls": {"backend": backend, "clock_ns": 5.0},
        "budget": {"latency_ns": 200},
        "check": {"n_samples": 300, "workers": 2},
    }
    spec.update(extra)
    return spec


def write_spec(tmp_path: Path, spec: dict) -> Path:
    path = tmp_path / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def quiet(*_a, **_k) -> None:
    """Drop progress lines in tests."""


@pytest.mark.parametrize("backend, bits", [
    ("Vitis", 4), ("Vivado", 8),
    # the 6-bit pair adds little beside 4 and 8 bits on both backends: slow suite
    pytest.param("Vitis", 6, marks=pytest.mark.slow), pytest.param("Vivado", 6, marks=pytest.mark.slow),
])
def test_demo_spec_small_is_bit_exact(tmp_path, backend, bits):
    spec = write_spec(tmp_path, small_spec(f"mlp_{backend}_{bits}", backend=backend, bits=bits))
    ctx, state = run_build(spec, part="xcvu9p", out=tmp_path / "out", force=False, synth=False, progress=quiet)
    acc = state.bit_accuracy
    assert acc["exact"] is True, acc
    assert acc["library_vs_testbench"]["exact"] is True
    # the comparison is the real thing: reference, library and testbench outputs are equal arrays
    from codesign import reference

    x = state.csim["inputs"]
    np.testing.assert_array_equal(state.csim["library"], state.csim["testbench"])
    ref = np.asarray(reference.reference_outputs(state.qmodel, x), dtype=np.float64).reshape(len(x), -1)
    np.testing.assert_array_equal(ref, state.csim["testbench"])
    assert len(x) == 1000 + 300

    report = json.loads((tmp_path / "out" / "report.json").read_text())
    for key in ("spec", "part", "versions", "bit_accuracy", "metrics", "sparsity", "estimate", "budget", "steps"):
        assert key in report, key
    assert set(report["metrics"]) == {"float", "pruned", "quantized", "firmware"}
    assert report["metrics"]["firmware"]["accuracy"] > 0.3  # 5 classes: chance is 0.2
    lo, hi = report["metrics"]["firmware"]["accuracy_interval"]
    assert lo <= report["metrics"]["firmware"]["accuracy"] <= hi and "accuracy" in report["metrics"]["firmware"]["vs_float"]
    assert report["sparsity"]["quantized"]["total"] >= 0.4
    assert report["part"]["name"] == "xcvu9p"
    assert [s["name"] for s in report["steps"]][:3] == ["load_data", "build_model", "train_float"]
    tcl = (tmp_path / "out" / "hls" / "build_prj.tcl").read_text()
    assert "xcvu9p" in tcl
    md = (tmp_path / "out" / "report.md").read_text()
    assert md.startswith("# codesign report") and "BIT-EXACT" in md
    # the emulator agrees with the firmware too, and profiles every layer's ranges on the data
    assert acc["emulator_vs_testbench"]["exact"] is True and acc["emulator_vs_testbench"]["n_samples"] == len(x)
    rows = report["bit_accuracy"]["overflow"]["rows"]
    assert {r["layer"] for r in rows} >= {"dense_1", "relu_1", "output_logits"} and "Overflow profile" in md


def test_rerun_reuses_steps_and_force_redoes(tmp_path):
    spec = write_spec(tmp_path, small_spec("rerun"))
    out = tmp_path / "out"
    _, first = run_build(spec, part="xcvu9p", out=out, force=False, synth=False, progress=quiet)
    _, second = run_build(spec, part="xcvu9p", out=out, force=False, synth=False, progress=quiet)
    cached = {r.name: r.cached for r in second.records}
    assert cached["train_float"] and cached["prune"] and cached["quantize"] and cached["csim"]
    assert second.bit_accuracy == first.bit_accuracy
    _, third = run_build(spec, part="xcvu9p", out=out, force=True, synth=False, progress=quiet)
    assert not any(r.cached for r in third.records)


def test_cli_build_exit_code_and_unknown_part(tmp_path):
    spec = write_spec(tmp_path, small_spec("cli"))
    cmd = [sys.executable, "-m", "codesign.cli", "build", str(spec), "--part", "xcfoo"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "xcfoo" in proc.stderr and "xcvu9p" in proc.stderr


def test_h5_model_and_hls4ml_config_through_codesign_build(tmp_path):
    """Bring your own model: a QKeras .h5 in a spec without data, and the same file via a plain hls4ml config."""
    from tests import hls_models

    model = hls_models.qmlp(6, seed=3)
    model.save(tmp_path / "user_model.h5")

    spec = {"name": "byo_h5", "model": {"file": "user_model.h5"}, "quantize": None, "check": {"n_samples": 400}}
    _, state = run_build(write_spec(tmp_path, spec), part="xcvu13p", out=tmp_path / "h5", force=False, synth=False,
                         progress=quiet)  # fmt: skip
    assert state.data is None and state.bit_accuracy["exact"] is True
    assert state.bit_accuracy["n_samples"] == 800  # 400 N(0,1) stand-ins for data, then 400 grid inputs with edges
    assert state.bit_accuracy["overflow"]["inputs"].startswith("400 N(0,1) inputs")
    assert any("random inputs" in n for n in state.notes)

    config = {
        "KerasH5": "user_model.h5",
        "OutputDir": "ignored_by_codesign",
        "ProjectName": "byo",
        "XilinxPart": "xcvu9p-flga2104-2L-e",
        "ClockPeriod": 4,
        "IOType": "io_parallel",
        "Backend": "Vivado",
        "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"}},
    }
    cfg_path = tmp_path / "hls4ml_config.yml"
    cfg_path.write_text(yaml.safe_dump(config))
    ctx, state = run_build(cfg_path, part=None, out=tmp_path / "cfg", force=False, synth=False, progress=quiet)
    assert ctx.part.name == "xcvu9p"  # from the legacy XilinxPart key
    assert state.bit_accuracy["exact"] is True
    report = json.loads((tmp_path / "cfg" / "report.json").read_text())
    assert report["estimate"]["source"] and report["budget"]["checks"]


def test_float_json_config_takes_the_command_line_part(tmp_path):
    """A float Keras JSON + weights config with BatchNormalization, a short Part and ClockUncertainty:
    ``--part`` wins and reaches the project, the firmware is exact against the emulator (no QKeras reference) and
    its agreement with the float model is reported apart, and InputData feeds the emitted testbench."""
    from codesign import keras_env

    keras = keras_env.keras()
    rng = np.random.default_rng(0)
    inp = keras.Input((10,), name="in")
    x = keras.layers.Dense(16, name="d1")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Activation("relu", name="r1")(x)
    out = keras.layers.Dense(3, name="logits")(x)
    model = keras.Model(inp, out)
    model.get_layer("bn").set_weights([rng.uniform(0.5, 1.5, 16), rng.normal(0, 0.2, 16), rng.normal(0, 0.2, 16),
                                       rng.uniform(0.5, 2.0, 16)])  # fmt: skip
    (tmp_path / "model.json").write_text(model.to_json())
    model.save_weights(tmp_path / "model_weights.h5")
    np.savetxt(tmp_path / "tb_input.dat", rng.normal(0, 1, (5, 10)))
    config = {
        "KerasJson": "model.json",
        "KerasH5": "model_weights.h5",
        "InputData": "tb_input.dat",
        "ProjectName": "floatbn",
        "Part": "xcku15p",
        "ClockPeriod": 5,
        "ClockUncertainty": "0.5",
        "Backend": "Vitis",
        "HLSConfig": {"Model": {"Precision": "ap_fixed<18,8>", "ReuseFactor": 1, "Strategy": "Latency"}},
    }
    cfg_path = tmp_path / "config.yml"
    cfg_path.write_text(yaml.safe_dump(config))
    ctx, state = run_build(cfg_path, part="xcvu9p", out=tmp_path / "out", force=False, synth=False, progress=quiet)
    tcl = (tmp_path / "out" / "hls" / "project.tcl").read_text()
    assert ctx.part.name == "xcvu9p" and f'set part "{ctx.part.full_name}"' in tcl
    assert "set clock_uncertainty 0.5" in tcl
    assert any("instead of the config's Part xcku15p" in n for n in state.notes)
    assert (tmp_path / "out" / "hls" / "tb_data" / "tb_input_features.dat").is_file()
    acc = state.bit_accuracy
    # no QKeras reference: the firmware is exact against the emulator of its configured ap_fixed<18,8> types
    assert acc["exact"] is True and "float weights" in acc["note"] and "emulator" in acc["reference"]
    assert acc["n_mismatch"] == 0 and acc["emulator_vs_testbench"]["exact"] is True
    assert acc["library_vs_testbench"]["exact"] is True and acc["library_vs_testbench"]["n_samples"] == acc["n_samples"]
    # without data the agreement is also given on N(0,1) inputs, said so, apart from the range edges
    assert acc["on_data"]["inputs"].startswith("N(0,1) inputs") and acc["on_data"]["n_samples"] == 2000
    # the random grid inputs reach +-128, where the float model's sums exceed the default ap_fixed<18,8>: the
    # agreement with the float model is reported apart, not hidden, and here it shows the overflow
    fa = acc["float_agreement"]
    assert np.isfinite(fa["max_abs_diff"]) and fa["max_abs_diff"] > 1 and 0 <= fa["argmax_agreement"] <= 1


def test_float_spec_reports_agreement_on_the_data_apart(tmp_path):
    """quantize: null converts the float model: exact against the emulator of its configured types, the agreement
    with the float model over all check inputs and over the data rows alone, the two C-simulation paths equal."""
    spec = small_spec("float_mlp", quantize=None, prune={"sparsity": 0.0})
    _, state = run_build(write_spec(tmp_path, spec), part="xcvu9p", out=tmp_path / "out", force=False, synth=False,
                         progress=quiet)  # fmt: skip
    acc = state.bit_accuracy
    assert acc["exact"] is True and acc["library_vs_testbench"]["exact"] is True and "emulator" in acc["reference"]
    fa = acc["float_agreement"]
    on_data = acc["on_data"]
    assert fa["on_data"] == on_data
    assert on_data["n_samples"] == spec["data"]["n_test"] and acc["n_samples"] == on_data["n_samples"] + 300
    assert on_data["argmax_agreement"] > 0.95 and on_data["max_abs_diff"] <= fa["max_abs_diff"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "data inputs alone" in md and "Agreement with the float model" in md and "BIT-EXACT" in md


def test_perturbed_firmware_fails_the_build_with_exit_3(tmp_path, monkeypatch):
    """The build's own verdict can fail: a firmware weight moved after conversion (both C-simulation paths
    compile the edited file, so they agree with each other) is caught against QKeras and the CLI exits 3."""
    from click.testing import CliRunner

    from codesign import hls
    from codesign.cli import main
    from tests import hls_models

    hls_models.qmlp(6, seed=3).save(tmp_path / "user_model.h5")
    spec = {"name": "perturbed", "model": {"file": "user_model.h5"}, "quantize": None, "check": {"n_samples": 300}}
    path = write_spec(tmp_path, spec)
    original = hls.convert

    def convert_then_perturb(*args, **kwargs):
        project = original(*args, **kwargs)
        weights = project.path / "firmware" / "weights"
        name = sorted(weights.glob("w*.txt"))[0].stem
        for f in (weights / f"{name}.txt", weights / f"{name}.h"):  # the testbench reads the .txt, HLS the .h
            text = f.read_text()
            start = text.index("{") + 1 if f.suffix == ".h" else 0
            first, rest = text[start:].split(",", 1)
            # far above the 6-bit weight's LSB: another design
            f.write_text(text[:start] + f"{float(first.strip()) + 0.5:.10f}," + rest)
        return project

    monkeypatch.setattr(hls, "convert", convert_then_perturb)
    result = CliRunner().invoke(main, ["build", str(path), "--part", "xcvu9p", "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "not bit-exact" in result.output and "first mismatch" in result.output
    assert "estimate: latency" in result.output and "budget: " in result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    acc = report["bit_accuracy"]
    assert acc["exact"] is False and acc["n_mismatch"] > 0 and acc["library_vs_testbench"]["exact"] is True


@pytest.mark.parametrize(
    "name, spec",
    [
        (
            "deepsets",
            {
                # the zoo's inputs: j1_pt derived in GeV from the stored ratios (codesign/data/constituents.py)
                "data": {"source": "jets_constituents", "n_constituents": 8, "n_train": 2000, "n_test": 500,
                         "constituent_features": ["j1_pt", "j1_etarel", "j1_phirel"]},
                "model": {"family": "deepsets", "phi": [8], "rho": [8]},
                "quantize": {"bits": 6, "epochs": 1},
                # 2 epochs left this tiny model at chance (19.6 %) on the resonance W/Z jets: 6 learn something
                "train": {"epochs": 6, "batch_size": 256},
            },
        ),
        (
            "vae",
            {
                "data": {"source": "l1", "n_train": 2000, "n_test": 500},
                "model": {"family": "vae", "encoder": [16], "latent_dim": 2, "decoder": [16]},
                "quantize": {"bits": 8, "integer": 1, "epochs": 1},
            },
        ),
        pytest.param(
            "ae",
            {
                "data": {"source": "l1", "n_train": 2000, "n_test": 500},
                "model": {"family": "ae", "encoder": [16], "latent_dim": 2, "decoder": [16]},
                "quantize": {"bits": 8, "integer": 1, "epochs": 1, "activation_range": "data"},
            },
            marks=pytest.mark.slow,
        ),
    ],
)
def test_zoo_families_build_bit_exact(tmp_path, name, spec):
    """DeepSets (pointwise QConv1D + pooling), the VAE (encoder + R_z) and the AE (+ squared error) through the build."""
    full = {"name": name, "train": {"epochs": 2, "batch_size": 256}, "prune": {"sparsity": 0.5, "epochs": 1},
            "check": {"n_samples": 200}, **spec}  # fmt: skip
    _, state = run_build(write_spec(tmp_path, full), part="xcvu13p", out=tmp_path / "out", force=False, synth=False,
                         progress=quiet)  # fmt: skip
    assert state.bit_accuracy["exact"] is True, state.bit_accuracy
    assert state.bit_accuracy["library_vs_testbench"]["exact"] is True
    assert state.bit_accuracy["emulator_vs_testbench"]["exact"] is True  # the score layer included
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    if name == "deepsets":
        assert report["data"]["input_shape"] == [8, 3]  # data.constituent_features applied
    if name in ("vae", "ae"):
        # the firmware outputs one score (R_z for the VAE, the squared reconstruction error for the AE), and the
        # firmware stage's metrics are that score's on every signal
        assert state.csim["testbench"].shape[1] == 1
        assert set(report["metrics"]["firmware"]["signals"]) == {"ato4l", "lq_btau", "h_tautau", "hpm_taunu"}
        np.testing.assert_array_equal(state.scores["firmware"]["background"], state.csim["testbench"][:500, 0])
        assert report["spec"]["score"]["kind"] == ("rz" if name == "vae" else "sse")
        assert {c["signal"] for c in report["score_check"]["signals"]} == set(report["metrics"]["firmware"]["signals"])
        # bootstrap intervals by default, and the firmware compared with float figure by figure
        ato4l = report["metrics"]["firmware"]["signals"]["ato4l"]
        assert report["metrics"]["firmware"]["bootstrap"]["n"] == 200 and len(ato4l["auc_interval"]) == 2
        assert "AUC" in ato4l["vs_float"]
        # 500 background events cannot resolve FPR 1e-3: no interval and no comparison there
        assert ato4l["points"]["0.001"]["tpr_interval"] is None and "TPR at FPR 0.001" not in ato4l["vs_float"]
        md = (tmp_path / "out" / "report.md").read_text()
        assert "pre-softmax" not in md and "output type None" not in md and "## Anomaly score in firmware" in md
        assert "FPR 1e-05 (L1 rate 0.4 kHz)" in md
        assert [p["size"] for p in report["project"]["outputs"]] == [1]
        assert all(t.startswith("ap_") for types in report["project"]["layer_precisions"].values() for t in types.values())
        tb = np.loadtxt(tmp_path / "out" / "hls" / "tb_data" / "tb_output_predictions.dat", ndmin=2)
        assert tb.shape[1] == 1 and len(tb) == min(1000, len(state.csim["inputs"]))
        if name == "ae":
            assert any(n.startswith("quantize: activation range of 'enc_relu_1' from data") for n in report["notes"])
        assert any(r["layer"] == "anomaly_score" for r in report["bit_accuracy"]["overflow"]["rows"])
        return
    assert report["bit_accuracy"]["overflow"]["rows"]
    assert report["estimate"]["ii_cycles"] == 1  # per-constituent layers fully parallel by default
    assert report["metrics"]["firmware"]["accuracy"] > 0.2
