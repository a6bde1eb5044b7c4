"""No model, spec, config or data file runs code when codesign reads it, unless the user opts in.

Each Lambda model below carries a function that writes a marker file when it runs (tf-keras runs it while
rebuilding the model): its absence after a refused build proves the function did not run; its presence after
a build with --trust-model-code proves the model was in fact loaded.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from codesign import keras_env, model_safety, modelio
from codesign.cli import main
from codesign.errors import SpecError
from tests import hls_models

FORMATS = ("h5", "keras", "json")


def _lambda_model(marker: Path):
    keras = keras_env.keras()
    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(3, name="dense")(x)
    fn = eval(f"lambda t, _p={str(marker)!r}: (__import__('pathlib').Path(_p).write_text('ran'), t)[1]")
    y = keras.layers.Lambda(fn, name="lam")(h)
    return keras.Model(x, y, name="lambda_model")


@pytest.fixture(scope="module")
def lambda_files(tmp_path_factory) -> dict:
    """The same Lambda model as .h5, tf-keras .keras and .json + weights; the marker removed after saving."""
    d = tmp_path_factory.mktemp("lambda_models")
    marker = d / "lambda_ran"
    model = _lambda_model(marker)
    model.save(d / "lam.h5", save_format="h5")
    model.save(d / "lam.keras", save_format="keras")
    (d / "lam.json").write_text(model.to_json())
    model.save_weights(d / "lam_weights.h5")
    marker.unlink()  # building the model ran the function once, here
    return {"dir": d, "marker": marker}


def _spec(d: Path, fmt: str, **model) -> Path:
    m = {"file": f"lam.{fmt}", **({"weights": "lam_weights.h5"} if fmt == "json" else {}), **model}
    path = d / f"spec_{fmt}_{len(model)}.yaml"
    path.write_text(yaml.safe_dump({"name": f"lam_{fmt}", "model": m, "quantize": None}))
    return path


def _hls4ml_config(d: Path, fmt: str, **extra) -> Path:
    keys = {"h5": {"KerasH5": "lam.h5"}, "keras": {"KerasModel": "lam.keras"},
            "json": {"KerasJson": "lam.json", "KerasH5": "lam_weights.h5"}}[fmt]  # fmt: skip
    cfg = {**keys, "OutputDir": "o", "ProjectName": "lam", "Part": "xcvu9p",
           "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1}}, **extra}  # fmt: skip
    path = d / f"config_{fmt}.yml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _build(path: Path, out: Path, *flags: str):
    return CliRunner().invoke(main, ["build", str(path), "--part", "xcvu9p", "--out", str(out), *flags])


@pytest.mark.parametrize("route", ["spec", "hls4ml"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_lambda_model_is_refused_before_it_runs(lambda_files, tmp_path, fmt, route):
    d, marker = lambda_files["dir"], lambda_files["marker"]
    marker.unlink(missing_ok=True)
    path = _spec(d, fmt) if route == "spec" else _hls4ml_config(d, fmt)
    result = _build(path, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"lam.{fmt}: refusing to load this model" in result.output
    assert "layer 'lam' (class Lambda)" in result.output and "--trust-model-code" in result.output
    assert "Traceback" not in result.output
    assert not marker.exists(), "the Lambda's function ran while codesign read the model"


@pytest.mark.parametrize("route", ["spec", "hls4ml"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_trusted_lambda_model_loads_but_cannot_go_to_firmware(lambda_files, tmp_path, fmt, route):
    d, marker = lambda_files["dir"], lambda_files["marker"]
    marker.unlink(missing_ok=True)
    path = _spec(d, fmt) if route == "spec" else _hls4ml_config(d, fmt)
    result = _build(path, tmp_path / "out", "--trust-model-code")
    assert result.exit_code == 2, result.output
    assert "'lam' (Lambda)" in result.output and "cannot go to firmware" in result.output
    assert "Unsupported layer type" not in result.output and "Traceback" not in result.output
    assert marker.exists(), "with --trust-model-code the model is loaded (its function runs)"


def test_spec_key_trust_code_is_the_flag(lambda_files, tmp_path):
    d, marker = lambda_files["dir"], lambda_files["marker"]
    marker.unlink(missing_ok=True)
    result = _build(_spec(d, "h5", trust_code=True), tmp_path / "out")
    assert result.exit_code == 2 and "cannot go to firmware" in result.output, result.output
    assert marker.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_load_model_with_trust_returns_the_model(lambda_files, fmt):
    d = lambda_files["dir"]
    notes: list[str] = []
    if fmt == "json":
        model = modelio.load_model(json_path=d / "lam.json", weights_path=d / "lam_weights.h5", trust=True, notes=notes)
    else:
        model = modelio.load_model(d / f"lam.{fmt}", trust=True, notes=notes)
    assert [type(lyr).__name__ for lyr in model.layers] == ["InputLayer", "Dense", "Lambda"]
    assert len(notes) == 1 and "layer 'lam' (class Lambda)" in notes[0] and "--trust-model-code" in notes[0]
    with pytest.raises(SpecError, match=r"'lam' \(Lambda\).*cannot go to firmware"):
        model_safety.require_firmware_safe(model)


# ------------------------------------------------------------------------------ objects codesign does not know


def _write_json_model(tmp_path: Path, edit) -> Path:
    cfg = json.loads(hls_models.qmlp(6).to_json())
    edit(cfg["config"]["layers"])
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(cfg))
    return path


def _layer(layers: list, cls: str) -> dict:
    return next(lyr for lyr in layers if lyr["class_name"] == cls)


def test_unknown_layer_class_is_refused_naming_it(tmp_path):
    def edit(layers):
        _layer(layers, "QDense").update(class_name="MyLayer", module="my_package.layers")

    with pytest.raises(SpecError, match=r"(?s)edited.json: refusing.*\(class MyLayer\).*'MyLayer' is not a Keras"):
        modelio.load_model(json_path=_write_json_model(tmp_path, edit))


def test_unknown_module_is_refused(tmp_path):
    """A .keras archive names the module tf-keras imports to find a class: importing runs that module."""
    def edit(layers):
        _layer(layers, "QDense")["module"] = "antigravity"

    with pytest.raises(SpecError, match=r"names the module 'antigravity'"):
        modelio.load_model(json_path=_write_json_model(tmp_path, edit))


def test_nested_unknown_object_is_refused_with_its_key(tmp_path):
    def edit(layers):
        _layer(layers, "QDense")["config"]["kernel_regularizer"] = {"class_name": "Evil", "config": {}}

    with pytest.raises(SpecError, match=r"at 'kernel_regularizer'\).*object of class Evil"):
        modelio.load_model(json_path=_write_json_model(tmp_path, edit))


def test_quantizer_string_naming_another_function_is_refused(tmp_path):
    """QKeras calls the function a quantizer string names (in qkeras.quantizers' namespace)."""
    def edit(layers):
        _layer(layers, "QDense")["config"]["kernel_quantizer"] = "set_internal_sigmoid('real')"

    with pytest.raises(SpecError, match=r"'kernel_quantizer' names 'set_internal_sigmoid'"):
        modelio.load_model(json_path=_write_json_model(tmp_path, edit))


def test_tfoplambda_and_nested_lambda_are_refused(tmp_path):
    def edit(layers):
        _layer(layers, "QDense").update(class_name="TFOpLambda", config={"name": "tf.io.write_file",
                                                                         "function": "io.write_file"})  # fmt: skip
        inner = {"class_name": "Sequential", "config": {"name": "inner", "layers": [
            {"class_name": "Lambda", "config": {"name": "hidden_lam", "function": ["", None, None],
                                                "function_type": "lambda"}}]}}  # fmt: skip
        layers.append({"class_name": "TimeDistributed", "name": "td", "config": {"name": "td", "layer": inner}})

    with pytest.raises(SpecError) as err:
        modelio.load_model(json_path=_write_json_model(tmp_path, edit))
    assert "(class TFOpLambda): calls the TensorFlow function 'io.write_file'" in str(err.value)
    assert "layer 'hidden_lam' (class Lambda)" in str(err.value)


def test_shipped_and_test_models_pass_the_check(tmp_path):
    """What codesign itself writes and what the tests convert is all known (no false refusal)."""
    for name, model in {"qmlp": hls_models.qmlp(6), "deepsets": hls_models.deepsets(), "float": hls_models.float_mlp(),
                        "two_heads": hls_models.two_heads()}.items():  # fmt: skip
        for fmt in ("h5", "keras"):
            model.save(tmp_path / f"{name}.{fmt}", save_format=fmt)
            assert model_safety.check_file(tmp_path / f"{name}.{fmt}") == []
        (tmp_path / f"{name}.json").write_text(model.to_json())
        assert model_safety.check_file(tmp_path / f"{name}.json", as_json=True) == []


def test_files_without_an_architecture_are_refused(tmp_path):
    hls_models.qmlp(6).save_weights(tmp_path / "weights_only.h5")
    with pytest.raises(SpecError, match="no model architecture in this HDF5 file"):
        modelio.load_model(tmp_path / "weights_only.h5")
    with zipfile.ZipFile(tmp_path / "noconfig.keras", "w") as z:
        z.writestr("metadata.json", "{}")
    with pytest.raises(SpecError, match="without config.json"):
        modelio.load_model(tmp_path / "noconfig.keras")
    (tmp_path / "saved").mkdir()
    with pytest.raises(SpecError, match="SavedModel"):
        modelio.load_model(tmp_path / "saved")


# ------------------------------------------------------------------------------ other inputs


def test_trust_is_recorded_in_the_report(tmp_path):
    from codesign import parts, report
    from codesign.build_steps import BuildModel, LoadData
    from codesign.pipeline import BuildContext, run_steps
    from codesign.spec import load_spec

    hls_models.qmlp(6).save(tmp_path / "clean.h5")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "model": {"file": "clean.h5", "trust_code": True}}))
    ctx = BuildContext(spec=load_spec(path), hls4ml_config=None, part=parts.resolve_part("xcvu9p"), out_dir=tmp_path)
    state = run_steps(ctx, [LoadData(), BuildModel()])
    assert any("had nothing that needed it" in n for n in state.notes)
    r = report.build_report_dict(ctx, state, {})
    assert r["trust_model_code"] is True
    assert "Model code trusted" in report.render_markdown(r)


def test_project_name_with_shell_characters_is_refused(lambda_files, tmp_path):
    d, marker = lambda_files["dir"], lambda_files["marker"]
    marker.unlink(missing_ok=True)
    for name in ('my"proj', f"x$(touch {marker})"):
        result = _build(_hls4ml_config(d, "h5", ProjectName=name), tmp_path / "out")
        assert result.exit_code == 2, result.output
        assert "ProjectName" in result.output and "C identifier" in result.output
    assert not marker.exists()


@pytest.mark.parametrize(
    "extra, match",
    [
        ({"Part": "xcvu9p-[exec touch pwned]"}, r"FPGA part .xcvu9p-\[exec touch pwned\]. \(accepted"),
        ({"ClockUncertainty": "1; exec touch pwned"}, "ClockUncertainty"),
        ({"HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>; int x"}}}, r"HLSConfig.Model.*ap_fixed<16,6>; int x"),
    ],
)
def test_config_text_that_would_become_tcl_or_cpp_is_refused(tmp_path, extra, match):
    from codesign import hls

    hls_models.qmlp(6).save(tmp_path / "m.h5")
    cfg = {"KerasH5": "m.h5", "OutputDir": "o", "ProjectName": "p", "Part": "xcvu9p", **extra}
    with pytest.raises(SpecError, match=match):
        hls.convert_from_hls4ml_config(cfg, tmp_path / "c.yml")
    assert not (tmp_path / "o").exists()


def test_yaml_tags_do_not_construct_objects(tmp_path):
    marker = tmp_path / "yaml_ran"
    path = tmp_path / "evil.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\nmodel: {{family: mlp}}\n")
    result = CliRunner().invoke(main, ["build", str(path), "--part", "xcvu9p", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "not valid YAML" in result.output, result.output
    assert not marker.exists()


def test_pickled_testbench_data_is_refused(tmp_path):
    from codesign import hls

    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(SpecError, match="InputData file .*obj.npy could not be read"):
        hls._read_tb_data(tmp_path / "obj.npy", "c.yml", "InputData")
