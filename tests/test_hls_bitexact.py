"""QKeras -> hls4ml -> C-simulation, bit for bit: float64 reference vs hls4ml ctypes vs the g++ testbench.

Real conversions and real g++ builds of tiny models (each project costs ~15-20 s of compile on 2 cores).
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, hls, reference  # noqa: E402
from codesign.errors import ReferenceUnavailableError, SpecError  # noqa: E402
from tests import hls_models  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")

N_SAMPLES = 3000


def build(
    model, tmp: Path, *, backend: str = "Vivado", io_type: str = "io_parallel", ctypes: bool = True, **kw
) -> hls.HlsProject:
    """Convert, then build the testbench and (if asked) the ctypes library side by side (one per core)."""
    project = hls_models.convert(model, tmp, backend=backend, io_type=io_type, **kw)
    if not ctypes:
        csim.build_testbench(project)
        return project
    with ThreadPoolExecutor(2) as pool:
        futs = [pool.submit(project.compile), pool.submit(csim.build_testbench, project)]
        for f in futs:
            f.result()
    return project


def assert_exact(expected, got, what: str) -> None:
    """assert_array_equal, with the first mismatching element in the message."""
    verdict = compare.compare_exact(expected, got, reference=what)
    assert verdict.exact, verdict.describe()
    exp = expected if isinstance(expected, list) else [expected]
    gt = got if isinstance(got, list) else [got]
    for e, g in zip(exp, gt, strict=True):
        np.testing.assert_array_equal(g, e)


@pytest.fixture(scope="module")
def mlp_projects(tmp_path_factory):
    cache: dict = {}

    def get(backend: str, bits: int):
        key = (backend, bits)
        if key not in cache:
            model = hls_models.qmlp(bits, seed=bits)
            tb_x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 10, seed=0)
            tb_y = reference.reference_outputs(hls.prepare_model(model)[0], tb_x)
            out = tmp_path_factory.mktemp(f"mlp_{backend}_{bits}")
            cache[key] = (model, build(model, out, backend=backend, tb_inputs=tb_x, tb_outputs=tb_y))
        return cache[key]

    return get


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("backend", ["Vivado", "Vitis"])
def test_mlp_bit_exact(mlp_projects, backend, bits):
    model, project = mlp_projects(backend, bits)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N_SAMPLES, seed=bits)
    # the input edges are in the sample: all-max and all-min rows drive every accumulator to its extreme
    assert np.any(np.all(x == hls_models.INPUT_PRECISION.max_value, axis=1))
    assert np.any(np.all(x == hls_models.INPUT_PRECISION.min_value, axis=1))

    ref = reference.reference_outputs(project.keras_model, x)
    ctypes_out = project.predict(x)
    tb_out = csim.run_csim(project, x, workers=2)
    assert_exact(ref, ctypes_out, "float64 QKeras reference vs hls4ml predict")
    assert_exact(ref, tb_out, "float64 QKeras reference vs g++ testbench")
    assert_exact(ctypes_out, tb_out, "hls4ml predict vs g++ testbench")
    v = compare.verify(project, x)
    assert v.exact and v.to_dict()["n_samples"] == N_SAMPLES and v.to_dict()["library_vs_testbench"]["exact"]
    with pytest.raises(SpecError, match="not on the input grid"):
        compare.verify(project, x + 2.0**-12)

    # narrow model: QKeras' own float32 predict is exact too, so the float64 reference follows QKeras
    logits = model.get_layer("output_logits").output
    keras = keras_env.keras()
    qkeras_logits = keras.Model(model.inputs, logits).predict(x, verbose=0)
    assert_exact(ref, qkeras_logits.astype(np.float64), "float64 reference vs QKeras float32 predict")

    # the firmware outputs logits, and says so; its precision came from the quantizers, not a default
    assert any("softmax" in n for n in project.notes)
    assert project.output_precision is not None and project.output_precision.width <= 53
    assert project.layer_precisions["dense1"]["weight"].width == bits
    assert project.layer_precisions["relu1"]["result"].to_hls().startswith(f"ap_ufixed<{bits},2")
    tcl = (project.path / "project.tcl").read_text()
    assert f'set part "{hls_models.PART}"' in tcl and "set clock_period 5" in tcl
    assert (project.path / "hls4ml_config.yml").exists() and project.config["Backend"] == backend
    # testbench data for Vivado/Vitis csim_design, written by hls4ml from the arrays given to convert
    tb_lines = (project.path / "tb_data" / "tb_input_features.dat").read_text().splitlines()
    assert len(tb_lines) == 10 and len(tb_lines[0].split()) == 16
    assert len((project.path / "tb_data" / "tb_output_predictions.dat").read_text().splitlines()) == 10
    assert np.std(tb_out) > 0


def test_perturbed_weight_is_detected(mlp_projects, tmp_path):
    """Change one firmware weight by one lsb and rebuild: the comparison must fail and locate it."""
    model, project = mlp_projects("Vivado", 8)
    copy = tmp_path / "perturbed"
    shutil.copytree(project.path, copy)
    loaded = hls.HlsProject.load(copy)
    wname = next(p.name for p in (copy / "firmware" / "weights").glob("w*.txt"))
    lsb = loaded.layer_precisions["dense1"]["weight"].lsb
    for ext in (".txt", ".h"):
        f = copy / "firmware" / "weights" / wname.replace(".txt", ext)
        text = f.read_text()
        body_start = text.index("{") + 1 if ext == ".h" and "{" in text else 0
        head, body = text[:body_start], text[body_start:]
        first, rest = body.split(",", 1)
        new_first = f"{float(first.strip()) + lsb:.10f}"
        f.write_text(head + new_first + "," + rest)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N_SAMPLES, seed=8)
    ref = reference.reference_outputs(project.keras_model, x)
    out = csim.run_csim(loaded, x)
    verdict = compare.compare_exact(ref, out, reference="float64 QKeras reference")
    assert not verdict.exact
    assert verdict.n_mismatch > 0 and verdict.max_abs_diff > 0
    i, j = verdict.first_mismatch["index"], verdict.first_mismatch["output"]
    assert ref[i, j] == verdict.first_mismatch["expected"] and out[i, j] == verdict.first_mismatch["got"]
    assert np.all(ref[:i] == out[:i])
    # the unmodified project stays exact on the same inputs
    assert compare.compare_exact(ref, csim.run_csim(project, x), reference="ref").exact


def test_pruned_model_is_exact(tmp_path):
    """Half the weights exactly zero, wrapped by tfmot's pruning: convert strips it and stays exact."""
    import tensorflow_model_optimization as tfmot

    model = hls_models.qmlp(6, seed=11, zero_fraction=0.5)
    wrapped = tfmot.sparsity.keras.prune_low_magnitude(
        model, pruning_schedule=tfmot.sparsity.keras.ConstantSparsity(0.5, 0)
    )
    project = build(wrapped, tmp_path, backend="Vitis", ctypes=False)
    assert any("pruning" in n for n in project.notes)
    kernel = project.keras_model.get_layer("dense1").get_weights()[0]
    assert np.mean(kernel == 0) > 0.3
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N_SAMPLES, seed=6)
    ref = reference.reference_outputs(project.keras_model, x)
    assert_exact(ref, csim.run_csim(project, x), "float64 reference vs g++ testbench")


def test_two_heads_wide_sums_and_dropped_qactivation(tmp_path):
    """A 27-bit linear head (float32 QKeras rounds it) and a QActivation(quantized_bits) hls4ml would drop."""
    model = hls_models.two_heads()
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N_SAMPLES, seed=5)
    ref = reference.reference_outputs(model, x)
    project = build(model, tmp_path, tb_inputs=x[:5], tb_outputs=[r[:5] for r in ref])
    rows = (project.path / "tb_data" / "tb_output_predictions.dat").read_text().splitlines()
    assert len(rows) == 5 and [float(v) for v in rows[0].split()] == list(np.concatenate([r[0] for r in ref]))
    assert any("trunk_q" in n and "trunk" in n for n in project.notes)
    assert project.layer_precisions["trunk"]["result"].to_hls() == "ap_fixed<6,3,AP_RND_CONV,AP_SAT>"
    assert project.layer_precisions["wide_head"]["result"].width > 24
    tb = csim.run_csim(project, x)
    assert isinstance(tb, list) and len(tb) == 2
    assert_exact(ref, project.predict(x), "float64 reference vs hls4ml predict")
    assert_exact(ref, tb, "float64 reference vs g++ testbench")
    # QKeras' float32 predict is not exact at this width: the reason the reference is float64
    q32 = model.predict(x, verbose=0)
    assert not np.array_equal(q32[0].astype(np.float64), ref[0])
    assert np.array_equal(q32[1].astype(np.float64), ref[1])


def test_float_model_logits_agree(tmp_path):
    """A float classifier: no exact reference; the firmware logits follow the float logits (not a flat 0.2)."""
    model = hls_models.float_mlp()
    project = build(model, tmp_path, backend="Vitis")
    assert any("softmax" in n for n in project.notes)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N_SAMPLES, seed=4)
    x = np.clip(x, -4, 4)  # realistic range for float weights at ap_fixed<16,6> defaults
    keras = keras_env.keras()
    logits = keras.Model(model.inputs, model.get_layer("logits").output).predict(x, verbose=0)
    fw = csim.run_csim(project, x)
    assert_exact(project.predict(x), fw, "hls4ml predict vs g++ testbench")
    agree = compare.agreement(logits, fw)
    assert agree["max_abs_diff"] < 0.1, agree
    assert agree["argmax_agreement"] > 0.97, agree
    assert np.std(fw, axis=0).min() > 0.1  # per-class outputs vary: not the flat-0.2 failure
    # the pipeline's entry point: no QKeras reference (and says why), so exactness against the emulator of the
    # configured types, and the agreement with the float model apart
    v = compare.verify(project, x)
    assert v.exact is True and v.bit_accuracy.reference == compare.FLOAT_REFERENCE_NAME
    assert "float weights" in v.no_reference_reason and v.emulator_vs_csim.exact
    assert v.ctypes_vs_csim.exact and v.agreement["argmax_agreement"] == agree["argmax_agreement"]
    d = v.to_dict()
    assert d["exact"] is True and d["float_agreement"]["max_abs_diff"] == agree["max_abs_diff"]


def test_reference_refuses_what_it_cannot_do_exactly():
    from qkeras import QDense

    keras = keras_env.keras()
    # a final softmax is left out (the logits are the reference) ...
    m = hls_models.qmlp(4)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 50, seed=2)
    logits_model = keras.Model(m.inputs, m.get_layer("output_logits").output)
    np.testing.assert_array_equal(reference.reference_outputs(m, x), reference.reference_outputs(logits_model, x))
    # ... but a softmax inside the model has no exact fixed-point reference
    inp = keras.Input((4,))
    mid = keras.layers.Activation("softmax", name="mid_softmax")(inp)
    inner = keras.Model(inp, QDense(2, kernel_quantizer="quantized_bits(4,0,alpha=1)", name="d")(mid))
    with pytest.raises(ReferenceUnavailableError, match="mid_softmax.*softmax inside the model has no exact"):
        reference.reference_outputs(inner, np.zeros((2, 4)))
    # a float model: its float64 outputs serve an agreement check, but are flagged as no exact reference
    fm = hls_models.float_mlp()
    logits = keras.Model(fm.inputs, fm.get_layer("logits").output)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 50, seed=2)
    np.testing.assert_allclose(
        reference.reference_outputs(logits, x), logits.predict(x, verbose=0), rtol=1e-5, atol=1e-4
    )
    assert "float weights" in reference.exact_reference_reason(logits)
    assert reference.exact_reference_reason(hls_models.qmlp(4)) is None


def test_deepsets_conv1d_and_average_pooling_exact(tmp_path):
    """QConv1D(kernel 1) per constituent, mean over 16 constituents, QDense: exact with widened pooling types.

    hls4ml's default pooling accumulator (the default precision) overflows on a sum of 16 saturated
    activations; codesign sizes it from the pooling input type.
    """
    model = hls_models.deepsets(bits=6, n_const=16)
    project = build(model, tmp_path, ctypes=False)
    assert any("pooling layer 'pool' over 16 values" in n and "NOT" not in n for n in project.notes)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16, 3), N_SAMPLES, seed=7)
    ref = reference.reference_outputs(model, x)
    assert_exact(ref, csim.run_csim(project, x), "float64 reference vs g++ testbench")


@pytest.mark.slow
def test_deepsets_qdense_on_3d_input_exact(tmp_path):
    """QDense per constituent: hls4ml turns it into a pointwise conv without quantizers; codesign pre-quantizes."""
    model = hls_models.deepsets(bits=6, n_const=8, phi="dense", seed=9)
    project = build(model, tmp_path, ctypes=False)
    assert any("QDense 'phi' on input of shape (8, 3)" in n for n in project.notes)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (8, 3), N_SAMPLES, seed=9)
    # the converted model (weights stored quantized) and the user's model give the same reference
    ref = reference.reference_outputs(model, x)
    np.testing.assert_array_equal(reference.reference_outputs(project.keras_model, x), ref)
    assert_exact(ref, csim.run_csim(project, x), "float64 reference vs g++ testbench")


def test_average_over_non_power_of_two_is_reported_not_exact(tmp_path):
    project = hls_models.convert(hls_models.deepsets(bits=6, n_const=10), tmp_path, backend="Vivado")
    assert any("over 10 values" in n and "NOT bit-exact" in n for n in project.notes)


@pytest.mark.slow
def test_mlp_io_stream_bit_exact(tmp_path):
    model = hls_models.qmlp(6, seed=6)
    project = build(model, tmp_path, backend="Vivado", io_type="io_stream")
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N_SAMPLES, seed=6)
    ref = reference.reference_outputs(project.keras_model, x)
    assert_exact(ref, project.predict(x), "float64 reference vs hls4ml predict")
    assert_exact(ref, csim.run_csim(project, x), "float64 reference vs g++ testbench")


@pytest.mark.slow
def test_too_narrow_override_overflows_on_edge_inputs_and_is_caught(tmp_path):
    """A hand-set accumulator narrower than the sums: the edge inputs overflow it and the check fails."""
    model = hls_models.qmlp(4, seed=12)
    narrow = "ap_fixed<8,3>"
    project = build(
        model,
        tmp_path,
        ctypes=False,
        layer_overrides={"output_logits": {"Precision": {"accum": narrow, "result": narrow}}},
    )
    assert any("layer override applied to 'output_logits'" in n for n in project.notes)
    assert project.layer_precisions["output_logits"]["accum"].to_hls() == narrow
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), N_SAMPLES, seed=12)
    ref = reference.reference_outputs(project.keras_model, x)
    assert np.abs(ref).max() > 4  # the exact logits leave the [-4, 4) range of ap_fixed<8,3>
    verdict = compare.compare_exact(ref, csim.run_csim(project, x), reference="float64 reference")
    assert not verdict.exact and verdict.first_mismatch is not None


def test_user_pooling_types_are_kept_with_a_note(tmp_path):
    """A pooling accum/result type the user sets is applied as given (a note names the exact one); the other key is
    still sized by codesign. Without the user's type the layer gets the exact ones."""
    model = hls_models.deepsets(bits=6, n_const=16)
    plain = hls_models.convert(model, tmp_path / "plain")
    exact = plain.layer_precisions["pool"]
    narrow = "ap_fixed<10,4>"
    assert exact["accum"].to_hls() != narrow
    project = hls_models.convert(model, tmp_path / "user", layer_overrides={"pool": {"Precision": {"accum": narrow}}})
    types = project.layer_precisions["pool"]
    assert types["accum"].to_hls() == narrow
    assert types["result"].to_hls() == exact["result"].to_hls()
    assert any(f"your accum type {narrow} kept; {exact['accum'].to_hls()} holds the exact value" in n
               for n in project.notes)  # fmt: skip


def test_padded_max_pooling_over_an_unsigned_input_is_named(tmp_path):
    """hls4ml pads a 'same' max pooling with pad_val: mid-range for an unsigned (quantized_relu) input, not -inf; the
    conversion says so by layer. The same pooling with 'valid' padding gets no such note."""
    from qkeras import QActivation, QConv1D

    keras = keras_env.keras()

    def model(padding):
        inp = keras.Input((7, 2), name="x")
        h = QConv1D(3, 1, kernel_quantizer="quantized_bits(6,0,alpha=1)", bias_quantizer="quantized_bits(6,0,alpha=1)",
                    name="conv")(inp)  # fmt: skip
        h = QActivation("quantized_relu(6,2)", name="act")(h)
        h = keras.layers.MaxPooling1D(2, padding=padding, name="pool")(h)
        return keras.Model(inp, keras.layers.Flatten(name="flat")(h))

    same = hls_models.convert(model("same"), tmp_path / "same")
    lines = [n for n in same.notes if "max pooling layer 'pool'" in n]
    assert len(lines) == 1 and "pads with 2 (its pad_val), not -inf" in lines[0], same.notes
    valid = hls_models.convert(model("valid"), tmp_path / "valid")
    assert not any("max pooling layer" in n for n in valid.notes)
