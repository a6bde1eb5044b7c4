"""Spec parsing: defaults, and errors that name the file, the key, the value and what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codesign.errors import SpecError
from codesign.precision import FixedPrecision
from codesign.spec import BuildSpec, Hls4mlConfig, load_spec

REPO = Path(__file__).resolve().parents[1]
GOOD = {"name": "t", "model": {"family": "mlp", "hidden": [8]}, "quantize": {"bits": 4, "input": "ap_fixed<12,4>"}}


def write(tmp_path: Path, obj) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(obj))
    return path


def test_shipped_demo_spec_parses():
    spec = load_spec(REPO / "models" / "jet_mlp.yaml")
    assert isinstance(spec, BuildSpec)
    assert spec.model.hidden == (64, 32, 32)
    assert spec.quantize.input == FixedPrecision.parse("ap_fixed<16,6>")
    assert spec.prune.enabled and spec.prune.sparsity == 0.75


def test_precision_is_a_value_object_after_parsing(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert isinstance(spec.quantize.input, FixedPrecision)
    assert spec.resolved()["quantize"]["input"] == "ap_fixed<12,4>"


@pytest.mark.parametrize(
    "patch, needles",
    [
        ({"model": {"family": "mlp", "hiden": [8]}}, ["spec.yaml", "model.hiden", "unknown key", "hidden"]),
        ({"train": {"epochs": "many"}}, ["spec.yaml", "train.epochs", "'many'", "integer"]),
        ({"quantize": {"input": "ap_fixd<8,2>"}}, ["quantize.input", "ap_fixd", "accepted"]),
        ({"hls": {"backend": "Quartus"}}, ["hls.backend", "'Quartus'", "Vivado", "Vitis"]),
        ({"bogus": 1}, ["'bogus'", "unknown key", "accepted here: name"]),
        ({"prune": {"sparsity": 1.5}}, ["prune.sparsity", "1.5"]),
        ({"quantize": {"layers": {"dense_1": {"bitz": 3}}}}, ["quantize.layers.dense_1.bitz", "bits, integer"]),
        ({"model": {}}, ["model", "family", "file"]),
        ({"quantize": 5}, ["key 'quantize'", "bad value 5", "or null: no QAT"]),
        ({"model": {"family": "deepsets", "node": [8]}}, ["spec.yaml", "'node'", "interaction_net", "deepsets"]),
        ({"model": {"family": "mlp", "node": [8]}}, ["'node'", "interaction_net", "mlp"]),
        ({"model": {"family": "interaction_net", "node": []}}, ["model.node", "at least 1"]),
        ({"model": {"family": "interaction_net", "node": [8, 0]}}, ["model.node", "0"]),
    ],
)
def test_errors_name_file_key_and_accepted(tmp_path, patch, needles):
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, {**GOOD, **patch}))
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


def test_quantize_null_is_the_float_model_and_leaving_it_out_the_qat_defaults(tmp_path):
    floated = load_spec(write(tmp_path, {**GOOD, "quantize": None}))
    default = load_spec(write(tmp_path, {k: v for k, v in GOOD.items() if k != "quantize"}))
    assert floated.quantize is None and floated.resolved()["quantize"] is None
    assert default.quantize is not None and default.quantize.bits == 6


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)


def test_hls4ml_config_detected_and_unknown_keys_named(tmp_path):
    cfg = {"KerasH5": "m.h5", "OutputDir": "out", "Part": "xcvu9p-flga2104-2L-e", "HLSConfig": {"Model": {}}}
    spec = load_spec(write(tmp_path, cfg))
    assert isinstance(spec, Hls4mlConfig) and spec.config["KerasH5"] == "m.h5"
    with pytest.raises(SpecError, match="XilinxPartt"):
        load_spec(write(tmp_path, {**cfg, "XilinxPartt": "x"}))


def test_relative_paths_resolve_against_the_spec_folder(tmp_path):
    spec = load_spec(write(tmp_path, {"name": "t", "model": {"file": "my.h5"}, "data": {"path": "d.h5"}}))
    assert spec.model.file == (tmp_path / "my.h5").resolve()
    assert spec.data.path == (tmp_path / "d.h5").resolve()


# jet_in_16.yaml's resolved model section before model.node existed: the build_model step's cache key input
IN16_MODEL = {"family": "interaction_net", "hidden": [64, 32, 32], "activation": "relu", "phi": [32, 16], "rho": [16],
              "aggregation": "mean", "latent_dim": 3, "beta": 1.0, "encoder": [32, 16], "decoder": [16, 32],
              "batchnorm": False, "file": None, "weights": None, "random_weights": False, "trust_code": False}  # fmt: skip


def test_model_node_left_out_keeps_the_resolved_spec_and_given_is_recorded(tmp_path):
    spec = load_spec(REPO / "models" / "jet_in_16.yaml")
    assert spec.model.node is None and spec.resolved()["model"] == IN16_MODEL
    obj = yaml.safe_load((REPO / "models" / "jet_in_16.yaml").read_text())
    obj["model"]["node"] = [24, 12]
    given = load_spec(write(tmp_path, obj))
    assert given.model.node == (24, 12)
    assert given.resolved()["model"] == {**IN16_MODEL, "node": [24, 12]}


@pytest.mark.parametrize("model, key", [({"family": "deepsets", "hidden": [8]}, "'hidden' does not shape model.family deepsets"),
                                        ({"family": "mlp", "phi": [8], "rho": [4]}, "'phi', 'rho' do not shape model.family mlp"),
                                        ({"family": "ae", "beta": 0.5}, "'beta' does not shape model.family ae"),
                                        ({"file": "m.h5", "encoder": [4]}, "'encoder' does not shape a model 'file'")])  # fmt: skip
def test_a_size_key_of_another_family_is_refused_not_ignored(tmp_path, model, key):
    """model.hidden on a DeepSets spec was accepted and ignored: a scan with a model.hidden axis on a DeepSets base
    built the same network at every value."""
    with pytest.raises(SpecError, match=rf"key 'model'.*{key} and would be ignored"):
        load_spec(write(tmp_path, {"name": "t", "data": {"source": "jets_hlf"}, "model": model}))
    family = model.get("family")
    kept = {k: v for k, v in model.items() if k in ("family", "file")}
    assert load_spec(write(tmp_path, {"name": "t", "data": {"source": "jets_hlf"}, "model": kept})).model.family == (
        None if family is None else family)
