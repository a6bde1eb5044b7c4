"""`codesign check` on a real build of a tiny QKeras MLP (one build per module): exact as built, a tampered
weight or type found with the first mismatch, the layer named by the trace and the JUnit case failing; usage
errors exit 2, no reference 6, a missing g++ 5; a float model is checked against the emulator (slow)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import codesign
from codesign.api import run_build
from codesign.cli import main
from tests import hls_models

REPO = Path(__file__).resolve().parents[1]


def quiet(*_a, **_k) -> None:
    """Drop progress lines."""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A finished build of a 6-bit QKeras MLP on 100 test jets (no training: the model comes quantized)."""
    root = tmp_path_factory.mktemp("check")
    hls_models.qmlp(6, seed=3).save(root / "qmlp.h5")
    spec = {"name": "tiny_check", "model": {"file": "qmlp.h5"}, "quantize": None,
            "data": {"source": "jets_hlf", "n_train": 200, "n_test": 100, "seed": 1},
            "check": {"n_samples": 40, "workers": 2}}  # fmt: skip
    (root / "tiny_check.yaml").write_text(yaml.safe_dump(spec))
    _, state = run_build(root / "tiny_check.yaml", part="xcvu9p", out=root / "build", force=False, synth=False,
                         progress=quiet)  # fmt: skip
    assert state.bit_accuracy["exact"] is True
    return root / "build"


def _copy(built: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "build"
    shutil.copytree(built, dst)
    return dst


def _junit(path: Path) -> dict[str, dict[str, ET.Element]]:
    root = ET.parse(path).getroot()
    return {s.get("name"): {c.get("name"): c for c in s.iter("testcase")} for s in root.iter("testsuite")}


def test_exact_build_passes_on_its_data_and_edge_cases(built, tmp_path):
    result = codesign.check(built, junit=tmp_path / "check.xml")
    assert result.exact is True
    assert result.n_data == 100 and result.n_random == 0 and result.outputs.n_samples == 100
    assert result.outputs.exact and len(result.per_output) == 5
    labels = [e.label for e in result.edges]
    assert labels[0] == "zeros" and any("all max" in s for s in labels) and any("first-layer unit" in s for s in labels)
    assert all(e.exact for e in result.edges)
    assert result.firmware.recorded and not result.firmware.any and not result.weights
    assert result.testbench_rebuilt is False  # the build's testbench binary is reused
    suites = _junit(tmp_path / "check.xml")
    assert set(suites["outputs"]) == {f"output[{i}]" for i in range(5)}
    assert not any(c.find("failure") is not None for s in suites.values() for c in s.values())
    assert (built / "check" / "check.json").is_file()


def test_n_samples_the_data_and_tops_up_with_grid_inputs(built):
    few = codesign.check(built, n=30, seed=4)
    assert (few.n_data, few.n_random, few.outputs.n_samples) == (30, 0, 30) and few.exact
    more = codesign.check(built, n=130)
    assert (more.n_data, more.n_random, more.outputs.n_samples) == (100, 30, 130) and more.exact


def test_spec_target_builds_from_the_cache_then_checks(built):
    spec = built.parent / "tiny_check.yaml"
    res = CliRunner().invoke(main, ["check", str(spec), "--part", "xcvu9p", "--out", str(built), "--n", "20"])
    assert res.exit_code == 0, res.output
    assert "up to date" in res.output and "outputs: exact on 20 inputs" in res.output
    assert "verdict: bit-exact" in res.output


def _shift_first_weight(path: Path) -> tuple[float, float]:
    """Move the first weight of a weights/*.h by half its range (still on its grid, inside its range)."""
    text = path.read_text()
    m = re.search(r"#else\s*\n[^=]*=\s*\{\s*([^,]+),", text)
    old = float(m.group(1))
    new = old - 0.5 if old >= 0 else old + 0.5
    path.write_text(text[: m.start(1)] + f"{new:.6f}" + text[m.end(1) :])
    return old, new


def test_library_warnings_go_to_check_log_not_the_console(built, tmp_path):
    """tf-keras warns about QKeras quantizers when the traced copy is converted; as in a build, other packages'
    warnings go to a log (check/check.log) and the console keeps codesign's lines. A fresh process, so the warning
    is not already spent by an earlier test."""
    b = _copy(built, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "codesign", "check", str(b), "--n", "20", "--trace"],
                          capture_output=True, text=True, cwd=REPO, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: bit-exact" in proc.stdout
    assert "Warning" not in proc.stdout + proc.stderr, proc.stderr
    assert "UserWarning" in (b / "check" / "check.log").read_text()  # the pinned tf-keras 2.21 / QKeras 0.9 warn


def test_tampered_weight_exits_1_and_the_trace_names_its_layer(built, tmp_path):
    b = _copy(built, tmp_path)
    weights = b / "hls" / "firmware" / "weights"
    last = max(weights.glob("w*.h"), key=lambda p: int(p.stem[1:]))  # the output layer's weights
    old, new = _shift_first_weight(last)
    junit = tmp_path / "out" / "check.xml"
    res = CliRunner().invoke(main, ["check", str(b), "--trace", "--junit", str(junit)])
    assert res.exit_code == 1, res.output
    assert f"edited: weights/{last.name}" in res.output
    assert f"{last.stem}.h and {last.stem}.txt differ at index 0 (synthesized .h: {new!r}" in res.output
    m = re.search(r"outputs: NOT exact: (\d+) of 100 inputs differ .*first mismatch: sample (\d+), output (\d+): "
                  r"expected (\S+), got (\S+)", res.output)  # fmt: skip
    assert m, res.output
    assert float(m.group(4)) != float(m.group(5))
    assert "first layer that differs: layer 'output_logits' (result ap_fixed<" in res.output
    assert re.search(r"layer 'dense1' \(.*\): equal on \d+ traced samples", res.output)
    assert "weight ap_fixed<6,1>" in res.output
    suites = _junit(junit)
    assert suites["layers"]["output_logits"].find("failure") is not None
    assert suites["layers"]["dense1"].find("failure") is None
    failed = [c for c in suites["outputs"].values() if c.find("failure") is not None]
    assert failed and "first at sample" in failed[0].find("failure").get("message")
    assert suites["firmware_files"]["weights .h (synthesized) == .txt (C-simulated)"].find("failure") is not None


@pytest.mark.slow  # a second tampered copy: the testbench and the traced firmware compile again (~30-50 s)
def test_tampered_type_in_defines_is_found_with_the_layer_type(built, tmp_path):
    b = _copy(built, tmp_path)
    defines = b / "hls" / "firmware" / "defines.h"
    text = defines.read_text()
    m = re.search(r"typedef (ap_fixed<\d+,\d+>) (dense1_result_t);", text)
    assert m, text
    defines.write_text(text.replace(m.group(0), f"typedef ap_fixed<8,2> {m.group(2)};"))
    result = codesign.check(b, trace=True)
    assert result.exact is False and not result.outputs.exact
    assert result.firmware.changed == ("defines.h",) and result.testbench_rebuilt
    layer = result.first_differing_layer
    assert layer is not None and layer.name == "dense1"
    assert layer.types["result"] == "ap_fixed<8,2>" and layer.built_result == m.group(1)
    assert f"the build configured result {m.group(1)}" in layer.describe()


@pytest.mark.parametrize(
    "args, message",
    [
        (["{missing}"], "no such build folder"),
        (["{empty}"], "not a finished codesign build"),
        (["{built}", "--n", "0"], "--n 0"),
        (["{built}", "--seed", "-1"], "--seed -1"),
        (["{built}", "--part", "xcvu9p"], "apply to a SPEC"),
        (["{built}", "--junit", "{empty}"], "is a folder"),
        (["{built}", "--n", "many"], "'many' is not a valid integer"),
        # a MemoryError (exit 7) drawing 10**12 random inputs
        (["{built}", "--n", str(10**12)], "--n 1,000,000,000,000: 1,000,000,000,000 inputs of shape (16,)"),
        # the JUnit file is written to a temporary name and renamed: as root that replaced /dev/full by a text file
        (["{built}", "--junit", "{fifo}"], "not a regular file (a device, FIFO or socket)"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(built, tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    os.mkfifo(tmp_path / "fifo.xml")
    paths = {"missing": tmp_path / "nope", "empty": tmp_path / "empty", "built": built, "fifo": tmp_path / "fifo.xml"}
    res = CliRunner().invoke(main, ["check", *[a.format(**paths) for a in args]])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_no_reference_exits_6(built, tmp_path):
    """A float model has no QKeras reference; without the firmware description the emulator cannot stand in:
    exit 6 with the reason, never a quiet pass."""
    from codesign import hls, modelio

    b = _copy(built, tmp_path)
    float_model, _ = hls.prepare_model(hls_models.float_mlp())
    modelio.save_model(float_model, b / "models" / "converted.h5")
    (b / "hls" / "codesign_firmware.npz").unlink()
    res = CliRunner().invoke(main, ["check", str(b)])
    assert res.exit_code == 6, res.output
    assert "no bit-exact reference" in res.output and "float weights" in res.output
    assert "no firmware description" in res.output


def test_missing_gxx_exits_5(built, tmp_path, monkeypatch):
    from codesign import tools

    b = _copy(built, tmp_path)
    _shift_first_weight(b / "hls" / "firmware" / "weights" / "w2.h")  # the testbench must be rebuilt
    monkeypatch.setattr(tools, "which", lambda name: None)
    res = CliRunner().invoke(main, ["check", str(b)])
    assert res.exit_code == 5, res.output
    assert "'g++' was not found" in res.output


def test_junit_writer_escapes_and_is_atomic(tmp_path):
    from codesign.firmware import junit

    path = tmp_path / "j.xml"
    path.write_text("old")
    junit.write(path, {"outputs": [junit.Case("a<&>\"", "c", failure="expected 1 < 2 & got \"3\""), junit.Case("b", "c")]})
    root = ET.parse(path).getroot()
    assert root.get("tests") == "2" and root.get("failures") == "1"
    case = next(root.iter("testcase"))
    assert case.get("name") == "a<&>\"" and case.find("failure").get("message") == "expected 1 < 2 & got \"3\""
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_edge_cases_are_on_the_grid_and_push_the_first_layer():
    from codesign.firmware.check_inputs import edge_cases
    from codesign.precision import FixedPrecision

    model = hls_models.qmlp(6, seed=3)
    prec = FixedPrecision.parse("ap_fixed<16,6>")
    x, labels = edge_cases(model, prec, (16,), seed=0)
    assert len(x) == len(labels) and prec.on_grid(x)
    kernel = model.get_layer("dense1").get_weights()[0]
    i = labels.index("max sum of first-layer unit 0")
    assert float(x[i] @ kernel[:, 0]) == pytest.approx(float(np.abs(kernel[:, 0]) @ np.where(kernel[:, 0] > 0, 32 - 2**-10, 32)))


def test_ci_example_is_valid_and_in_the_readme():
    root = Path(__file__).resolve().parents[1]
    text = (root / "examples" / "ci" / "github-actions.yml").read_text()
    wf = yaml.safe_load(text)
    runs = [s.get("run", "") for s in wf["jobs"]["check"]["steps"]]
    assert any(r.startswith("pip install") for r in runs) and any("codesign build models/" in r for r in runs)
    assert any("codesign check" in r and "--junit reports/codesign-check.xml" in r for r in runs)
    publish = [s for s in wf["jobs"]["check"]["steps"] if "junit" in str(s.get("uses", ""))]
    assert publish and publish[0]["with"]["report_paths"] == "reports/codesign-check.xml"
    assert text in (root / "README.md").read_text()  # the README shows the same workflow


@pytest.mark.slow  # a second build (float model) with its two g++ compiles
def test_float_model_build_is_checked_against_the_emulator(tmp_path):
    hls_models.float_mlp().save(tmp_path / "float.h5")
    spec = {"name": "float_check", "model": {"file": "float.h5"}, "quantize": None, "check": {"n_samples": 60}}
    (tmp_path / "float_check.yaml").write_text(yaml.safe_dump(spec))
    res = CliRunner().invoke(main, ["check", str(tmp_path / "float_check.yaml"), "--part", "xcvu9p", "--out",
                                    str(tmp_path / "build"), "--trace"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "emulator" in res.output and "60 random inputs on the input grid" in res.output
    assert "trace: no traced layer differs" in res.output


def test_synthesized_weights_come_from_the_h_files(tmp_path):
    from codesign.firmware import files

    w = tmp_path / "firmware" / "weights"
    w.mkdir(parents=True)
    header = ("//Numpy array shape [3]\n#ifndef W2_H_\n#define W2_H_\n\n#ifndef __SYNTHESIS__\nweight2_t w2[3];\n#else\n"
              "weight2_t w2[3] = {{{}}};\n\n#endif\n\n#endif\n")  # fmt: skip
    (w / "w2.h").write_text(header.format("0.25000, -0.50000, 0.12500"))
    (w / "w2.txt").write_text("0.25000, -0.50000, 0.12500")
    (w / "b2.txt").write_text("0.0")  # no .h initializer: kept as the C-simulation has it
    assert files.synthesized_weights(tmp_path / "firmware", tmp_path / "out") == (None, ())
    (w / "w2.h").write_text(header.format("0.25000, 0.75000, 0.12500"))
    out, mismatches = files.synthesized_weights(tmp_path / "firmware", tmp_path / "out")
    assert [(m.name, m.index, m.h_value, m.txt_value) for m in mismatches] == [("w2", 1, 0.75, -0.5)]
    assert (out / "w2.txt").read_text() == "0.25000, 0.75000, 0.12500\n" and (out / "b2.txt").read_text() == "0.0"
    digests = files.firmware_digests(tmp_path / "firmware")
    assert set(digests) == {"weights/w2.h", "weights/w2.txt", "weights/b2.txt"}


@pytest.mark.parametrize("workers", [0, -1, 2.5, "two", True])
def test_check_api_workers_is_applied_or_refused(tmp_path, workers):
    """codesign.check(workers=0) fell back to the default without a word, 2.5 was cut to 2, 'two' was a ValueError:
    refused before the build folder is read."""
    with pytest.raises(codesign.errors.SpecError, match=r"codesign.check: workers .*accepted: an integer >= 1"):
        codesign.check(tmp_path / "no_build", workers=workers)


def test_junit_onto_a_file_of_the_build_or_a_lost_firmware_file_is_refused(built, tmp_path):
    """--junit naming the build's own report.json replaced it with the XML (exit 0); an earlier JUnit report in the
    folder is rewritten as before. A firmware file the build wrote and the user removed was exit 5 (g++ failed)."""
    b = _copy(built, tmp_path)
    report = (b / "report.json").read_bytes()
    res = CliRunner().invoke(main, ["check", str(b), "--junit", str(b / "report.json")])
    assert res.exit_code == 2 and "report.json), the folder this command reads" in res.output, res.output
    assert (b / "report.json").read_bytes() == report
    for _ in range(2):  # the second run rewrites the first run's report
        res = CliRunner().invoke(main, ["check", str(b), "--junit", str(b / "check.xml")])
        assert res.exit_code == 0, res.output
    assert set(_junit(b / "check.xml")) >= {"outputs"}
    (b / "hls" / "firmware" / "parameters.h").unlink()
    res = CliRunner().invoke(main, ["check", str(b)])
    assert res.exit_code == 2, res.output
    assert "firmware file(s) the build wrote are missing (parameters.h)" in res.output and "accepted" in res.output
