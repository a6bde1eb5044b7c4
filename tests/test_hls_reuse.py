"""Spec hls settings reach the firmware: global and per-layer reuse factor, strategy, accum/result types, and
separate kernel/bias bits each appear in parameters.h, move the estimate, and keep the C-simulation bit-exact.

Real conversions and g++ builds of a tiny MLP (about 15 s of compile each on 2 cores).
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import build_steps, compare, csim, hls, parts, reference  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from codesign.estimate import estimate_project  # noqa: E402
from codesign.spec import BuildSpec, QuantizeSpec  # noqa: E402
from tests import hls_models  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")

PART = parts.resolve_part("xcvu9p")


def _spec(hls: dict, quantize: dict | None = None) -> BuildSpec:
    raw = {"name": "t", "model": {"family": "mlp"}, "hls": hls}
    if quantize is not None:
        raw["quantize"] = quantize
    return BuildSpec.model_validate(raw)


def _convert(model, spec: BuildSpec, out):
    """The convert step's own call: the spec's hls section and per-layer overrides, as a build passes them."""
    h = spec.hls
    return hls.convert(
        model, backend=h.backend.value, io_type=h.io_type, strategy=h.strategy, reuse_factor=h.reuse_factor,
        clock_ns=h.clock_ns, part=PART.full_name, input_precision=hls_models.INPUT_PRECISION, output_dir=out,
        layer_overrides=build_steps._layer_overrides(hls.prepare_model(model)[0], h),
    )  # fmt: skip


def _params(project) -> str:
    return (project.path / "firmware" / "parameters.h").read_text()


def _struct_value(text: str, layer_type_prefix: str, key: str) -> list[str]:
    """Values of ``static const unsigned key = ...`` in each config struct whose name starts with the prefix."""
    out = []
    for m in re.finditer(r"struct (\w+) : nnet::\w+ \{(.*?)\n\};", text, re.DOTALL):
        if m.group(1).startswith(layer_type_prefix):
            k = re.search(rf"\b{key}\s*=\s*([^;]+);", m.group(2))
            if k:
                out.append(k.group(1).strip())
    return out


def _bit_exact(project, n: int = 1500) -> None:
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), n, seed=1)
    ref = reference.reference_outputs(project.keras_model, x)
    out = csim.run_csim(project, x, workers=2)
    np.testing.assert_array_equal(out, ref)


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    model = hls_models.qmlp(10, seed=10)  # 10-bit weights: Resource-strategy multipliers go to DSPs
    out = {}
    for strategy in ("Latency", "Resource"):
        for rf in (1, 4):
            spec = _spec({"backend": "Vivado", "reuse_factor": rf, "strategy": strategy})
            out[strategy, rf] = _convert(model, spec, tmp_path_factory.mktemp(f"{strategy}{rf}"))
    return out


@pytest.mark.parametrize("strategy", ["Latency", "Resource"])
def test_model_reuse_factor_reaches_every_layer_and_the_estimate(projects, strategy):
    p1, p4 = projects[strategy, 1], projects[strategy, 4]
    text1, text4 = _params(p1), _params(p4)
    rfs1 = re.findall(r"reuse_factor = (\d+);", text1)
    rfs4 = re.findall(r"reuse_factor = (\d+);", text4)
    assert rfs1 and set(rfs1) == {"1"}
    assert set(rfs4) == {"4"}, rfs4  # every layer, activations included: no per-layer ReuseFactor 1 left behind
    assert len(rfs4) == len(rfs1)
    assert set(re.findall(r"strategy = nnet::(\w+);", text4)) == {strategy.lower()}
    e1, e4 = estimate_project(p1.path, PART), estimate_project(p4.path, PART)
    if strategy == "Latency":
        # ALLOCATION limits the multipliers; II = min(RF, latency + 1) (see codesign/estimate/kernels/dense.py)
        assert e1.ii_cycles == 1 < e4.ii_cycles <= 4
    else:
        # Resource: at most ceil(n_in * n_out / RF) multipliers per dense layer, reused RF times (at RF = 1 every
        # weight index is a constant, so the products are costed like the Latency strategy's constant products)
        assert e4.ii_cycles >= max(4, e1.ii_cycles)
        bound = sum(-(-int(np.prod(w.shape)) // 4) for layer in p4.keras_model.layers
                    for w in layer.get_weights()[:1] if len(w.shape) == 2)  # fmt: skip
        assert 0 < e4.dsp <= bound, (e4.dsp, bound)
        assert e4 != e1
    csim.build_testbench(p4)
    _bit_exact(p4)


def test_per_layer_settings_reach_parameters_h_and_stay_bit_exact(tmp_path):
    model = hls_models.qmlp(6, seed=6)
    spec = _spec({
        "backend": "Vivado",
        "layers": {
            "dense1": {"reuse_factor": 2, "strategy": "Resource", "precision": {"accum": "ap_fixed<40,16>"}},
            "output_logits": {"reuse_factor": 8, "precision": {"result": "ap_fixed<40,16>", "accum": "ap_fixed<40,16>"}},
        },
    })  # fmt: skip
    p = _convert(model, spec, tmp_path / "p")
    text = _params(p)
    structs = dict(re.findall(r"struct (config\d+) : nnet::dense_config \{(.*?)\n\};", text, re.DOTALL))
    by_rf = {re.search(r"reuse_factor = (\d+);", body).group(1): body for body in structs.values()}
    assert set(by_rf) == {"2", "8"}
    assert "strategy = nnet::resource;" in by_rf["2"] and "strategy = nnet::latency;" in by_rf["8"]
    assert p.layer_precisions["dense1"]["accum"].to_hls() == "ap_fixed<40,16>"
    assert p.layer_precisions["output_logits"]["result"].to_hls() == "ap_fixed<40,16>"
    assert "ap_fixed<40,16>" in (p.path / "firmware" / "defines.h").read_text()
    csim.build_testbench(p)
    _bit_exact(p)
    # the other layers keep the model's reuse factor
    assert set(_struct_value(text, "relu_config", "reuse_factor")) <= {"1"}


def test_spec_precision_is_a_value_object_and_bad_types_are_refused():
    spec = _spec({"layers": {"dense1": {"precision": {"accum": "ap_fixed<24,12>"}}}})
    acc = spec.hls.layers["dense1"].precision.accum
    assert (acc.width, acc.integer) == (24, 12)
    with pytest.raises(Exception, match="hls.layers.dense1.precision.accum"):
        from codesign.spec import parse_spec

        parse_spec({"name": "t", "model": {"family": "mlp"}, "hls": {"layers": {"dense1": {"precision": {"accum": "int"}}}}},
                   __import__("pathlib").Path("s.yaml"))  # fmt: skip


def test_unknown_layer_is_refused_with_the_models_layers():
    model = hls_models.qmlp(6, seed=6)
    spec = _spec({"layers": {"dense9": {"reuse_factor": 2}}}, quantize={"layers": {"dense1": {"bits": 4}}})
    with pytest.raises(SpecError, match=r"hls\.layers\.dense9: no layer named 'dense9'.*dense1, relu1, output_logits"):
        build_steps.check_layer_names(model, spec)
    spec = _spec({}, quantize={"layers": {"densX": {"bias_bits": 4}}})
    with pytest.raises(SpecError, match=r"quantize\.layers\.densX.*layers: inputs, dense1"):
        build_steps.check_layer_names(model, spec)


def test_bias_bits_are_separate_from_kernel_bits_and_reach_the_firmware(tmp_path):
    from codesign import quantize

    float_model = hls_models.float_mlp()
    q = QuantizeSpec(bits=6, integer=0, bias_bits=10, bias_integer=3, layers={"logits": {"bias_bits": 12, "bias_integer": 4}})
    qmodel = quantize.to_qkeras(float_model, q)
    cfg = {n: qmodel.get_layer(n).bias_quantizer_internal.get_config() for n in ("dense1", "logits")}
    assert (cfg["dense1"]["bits"], cfg["dense1"]["integer"]) == (10, 3)
    assert (cfg["logits"]["bits"], cfg["logits"]["integer"]) == (12, 4)
    kcfg = qmodel.get_layer("dense1").kernel_quantizer_internal.get_config()
    assert (kcfg["bits"], kcfg["integer"]) == (6, 0)
    p = _convert(qmodel, _spec({"backend": "Vivado"}), tmp_path / "p")
    assert p.layer_precisions["dense1"]["bias"].to_hls().startswith("ap_fixed<10,4")
    assert p.layer_precisions["dense1"]["weight"].to_hls().startswith("ap_fixed<6,1")
    assert p.layer_precisions["logits"]["bias"].to_hls().startswith("ap_fixed<12,5")
    csim.build_testbench(p)
    _bit_exact(p)


def _dense_reuse_factors(text: str) -> dict[str, int]:
    """``{layer: reuse_factor}`` of every dense config struct of parameters.h (its layer name is the comment above)."""
    found = re.findall(r"// (\w+)\nstruct \w+ : nnet::dense_config \{.*?reuse_factor = (\d+);", text, re.DOTALL)
    return {name: int(rf) for name, rf in found}


def test_model_reuse_factor_hls4ml_moves_is_noted_and_is_the_one_estimated(tmp_path):
    from codesign.report_text import project_summary

    model = hls_models.qmlp(6, seed=6)  # dense1 16 x 8, output_logits 8 x 5: Resource takes 2 or 4, never 3
    asked = _convert(model, _spec({"backend": "Vivado", "strategy": "Resource", "reuse_factor": 3}), tmp_path / "rf3")
    given = _convert(model, _spec({"backend": "Vivado", "strategy": "Resource", "reuse_factor": 2}), tmp_path / "rf2")
    in_firmware = _dense_reuse_factors(_params(asked))
    assert in_firmware == {"dense1": 2, "output_logits": 2}
    reloaded = hls.HlsProject.load(asked.path)
    assert project_summary(asked, tmp_path)["reuse_factors"] == in_firmware == reloaded.reuse_factors
    noted = {}  # layer -> (value asked, value used), as the notes say
    for note in asked.notes:
        if m := re.match(r"hls\.reuse_factor (\d+): layer '(\w+)'.* hls4ml uses (\d+)", note):
            noted[m.group(2)] = (int(m.group(1)), int(m.group(3)))
    assert noted == {name: (3, rf) for name, rf in in_firmware.items()}
    assert not [n for n in given.notes if "hls4ml uses" in n]  # a value every layer takes: nothing to say
    assert estimate_project(asked.path, PART) == estimate_project(given.path, PART)


def test_latency_strategy_keeps_a_reuse_factor_that_divides_nothing(tmp_path):
    p = _convert(hls_models.qmlp(6, seed=6), _spec({"backend": "Vivado", "reuse_factor": 3}), tmp_path / "p")
    assert _dense_reuse_factors(_params(p)) == p.reuse_factors == {"dense1": 3, "output_logits": 3}
    assert not [n for n in p.notes if "hls4ml uses" in n]


@pytest.mark.parametrize(
    "hls_section, message",
    [
        (
            {"reuse_factor": 1000},
            r"hls\.reuse_factor: 1000 exceeds every layer's n_in x n_out \(the largest: layer "
            r"'dense1', 16 x 8 = 128\); accepted: 1 to 128",
        ),
        (
            {"strategy": "Resource", "layers": {"dense1": {"reuse_factor": 3}}},
            r"hls\.layers\.dense1\.reuse_factor 3 is not valid for layer 'dense1' \(hls4ml would silently use 2\); "
            r"valid for its 16 x 8 weights: 1, 2, 4, 8, 16, \.\.\. \(n_in x n_out = 128\)",
        ),
        (
            {"layers": {"output_logits": {"reuse_factor": 41}}},
            r"hls\.layers\.output_logits\.reuse_factor 41 is not valid .*\(at most 40\); valid for its 8 x 5 weights: "
            r"\.\.\., 4, 8, 40 \(n_in x n_out = 40\)",
        ),
    ],
)
def test_reuse_factor_no_layer_can_take_is_refused(tmp_path, hls_section, message):
    model, spec = hls_models.qmlp(6, seed=6), _spec({"backend": "Vivado", **hls_section})
    with pytest.raises(SpecError, match=message):
        _convert(model, spec, tmp_path / "p")
    assert not (tmp_path / "p" / "firmware" / "parameters.h").exists()  # refused before the project is written
    with pytest.raises(SpecError, match=message):  # the same refusal, word for word, before any training
        build_steps.check_before_training(model, spec)


def test_reuse_factor_rule_before_training_equals_hls4ml():
    """codesign.hls.reuse's valid values and the value hls4ml moves to equal hls4ml 1.3's own, for every layer size
    up to 24 x 24 and a few wide ones (the check before training must refuse exactly what the conversion refuses)."""
    import hls4ml

    from codesign.hls import reuse

    backend = hls4ml.backends.get_backend("Vivado")
    sizes = [(i, o) for i in range(1, 25) for o in range(1, 25)] + [(64, 32), (128, 10), (96, 7), (57, 64)]
    for n_in, n_out in sizes:
        valid = reuse.valid_reuse_factors(n_in, n_out)
        assert valid == backend.get_valid_reuse_factors(n_in, n_out), (n_in, n_out)
        for asked in range(1, n_in * n_out + 2, max(1, n_in * n_out // 40)):
            assert reuse.closest(valid, asked) == backend.get_closest_reuse_factor(valid, asked), (n_in, n_out, asked)


def test_reuse_factors_a_layer_takes_pass_the_check_before_training():
    model = hls_models.qmlp(6, seed=6)  # dense1 16 x 8, output_logits 8 x 5
    for hls_section in ({"strategy": "Resource", "layers": {"dense1": {"reuse_factor": 4}}},
                        {"layers": {"dense1": {"reuse_factor": 3}}},  # Latency keeps it
                        {"reuse_factor": 100},  # above output_logits' 40, within dense1's 128: applied per layer
                        {"layers": {"dense1": {"reuse_factor": 128, "strategy": "Resource"}}}):  # fmt: skip
        build_steps.check_before_training(model, _spec({"backend": "Vivado", **hls_section}))
