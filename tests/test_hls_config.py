"""Bring your own model: plain hls4ml YAML configs and model files, and the errors users get for bad ones."""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pytest
import yaml

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, hls, modelio, reference  # noqa: E402
from codesign.errors import SpecError  # noqa: E402
from tests import hls_models  # noqa: E402

CONFIG = """
KerasH5: model.h5
OutputDir: out/byo_prj
ProjectName: byo
XilinxPart: xcvu9p-flga2104-2L-e
ClockPeriod: 4
IOType: io_parallel
Backend: Vitis
HLSConfig:
  Model:
    Precision: ap_fixed<16,6>
    ReuseFactor: 1
    Strategy: Latency
"""


def _write_config(tmp_path, text: str = CONFIG, **changes):
    cfg = yaml.safe_load(text)
    cfg.update(changes)
    path = tmp_path / "hls4ml_config.yml"
    path.write_text(yaml.safe_dump(cfg))
    return cfg, path


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")
def test_h5_model_through_plain_hls4ml_config_is_bit_exact(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # hls4ml writes OutputDir relative to the working directory
    model = hls_models.qmlp(6, seed=21)
    model.save(tmp_path / "model.h5")
    cfg, path = _write_config(tmp_path)
    project = hls.convert_from_hls4ml_config(cfg, path)

    assert project.path == (tmp_path / "out" / "byo_prj").resolve()
    assert project.project_name == "byo" and project.backend == "Vitis"
    # the legacy key is honoured (hls4ml alone would write part "None") and the change is reported
    tcl = (project.path / "project.tcl").read_text()
    assert 'set part "xcvu9p-flga2104-2L-e"' in tcl and "set clock_period 4" in tcl
    assert any("XilinxPart" in n for n in project.notes)
    # the model-wide precision did not override the quantizers (granularity "model" breaks exactness)
    assert project.layer_precisions["dense1"]["weight"].width == 6

    loaded = hls.load_keras_model(tmp_path / "model.h5")
    keras = keras_env.keras()
    logits_model = keras.Model(loaded.inputs, loaded.get_layer("output_logits").output)
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 2000, seed=3)
    ref = reference.reference_outputs(logits_model, x)
    tb = csim.run_csim(project, x)
    verdict = compare.compare_exact(ref, tb, reference="float64 reference of the .h5 model")
    assert verdict.exact, verdict.describe()
    np.testing.assert_array_equal(tb, ref)


@pytest.mark.parametrize("quantizer_objects", [False, True])
def test_json_plus_weights_loads_the_same_model(tmp_path, quantizer_objects):
    """Also for QActivation(quantizer object), whose JSON tf-keras' model_from_json cannot rebuild as is."""
    model = hls_models.two_heads() if quantizer_objects else hls_models.qmlp(4, seed=5)
    (tmp_path / "m.json").write_text(model.to_json())
    model.save_weights(tmp_path / "m_weights.h5")
    loaded = hls.load_keras_model(json_path=tmp_path / "m.json", weights_path=tmp_path / "m_weights.h5")
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 200, seed=1)
    for a, b in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0), strict=True):
        np.testing.assert_array_equal(a, b)


def test_unknown_top_level_key_is_named_with_accepted_keys(tmp_path):
    cfg, path = _write_config(tmp_path, XilinxPartt="xcvu9p-flga2104-2L-e")
    with pytest.raises(SpecError) as err:
        hls.convert_from_hls4ml_config(cfg, path)
    msg = str(err.value)
    assert "'XilinxPartt'" in msg and str(path) in msg
    assert "accepted:" in msg and "Part" in msg and "HLSConfig" in msg


def test_unknown_hlsconfig_key_and_layer_are_named(tmp_path):
    (tmp_path / "model.h5").write_bytes(b"")  # never read: the config is rejected first
    cfg, path = _write_config(tmp_path)
    cfg["HLSConfig"]["Models"] = cfg["HLSConfig"].pop("Model")
    with pytest.raises(SpecError, match=r"'Models' in HLSConfig \(accepted: Model, LayerType, LayerName\)"):
        hls.convert_from_hls4ml_config(cfg, path)

    cfg, path = _write_config(tmp_path)
    cfg["HLSConfig"]["Model"]["ReuseFactr"] = 2
    with pytest.raises(SpecError, match=r"'ReuseFactr' in HLSConfig.Model \(accepted: Precision, ReuseFactor"):
        hls.convert_from_hls4ml_config(cfg, path)

    hls_models.qmlp(4).save(tmp_path / "model.h5")
    cfg, path = _write_config(tmp_path)
    cfg["HLSConfig"]["LayerName"] = {"dense_typo": {"ReuseFactor": 2}}
    with pytest.raises(SpecError, match="'dense_typo' is not a layer of the model .*dense1"):
        hls.convert_from_hls4ml_config(cfg, path)


def test_missing_part_and_missing_model_are_errors(tmp_path):
    cfg, path = _write_config(tmp_path)
    del cfg["XilinxPart"]
    hls_models.qmlp(4).save(tmp_path / "model.h5")
    with pytest.raises(SpecError, match="no 'Part'"):
        hls.convert_from_hls4ml_config(cfg, path)
    cfg, path = _write_config(tmp_path, KerasH5="nowhere.h5")
    with pytest.raises(SpecError, match="KerasH5 'nowhere.h5' not found"):
        hls.convert_from_hls4ml_config(cfg, path)
    cfg, path = _write_config(tmp_path)
    del cfg["KerasH5"]
    with pytest.raises(SpecError, match="no model"):
        hls.convert_from_hls4ml_config(cfg, path)


def test_keras3_qkeras_file_is_refused_clearly(tmp_path):
    """A Keras-3 `.keras` archive (metadata keras_version 3.x) of a QKeras model: say why it cannot convert.

    The archive is assembled here with the members Keras 3 writes (metadata.json, config.json,
    model.weights.h5), since QKeras itself cannot run under Keras 3 to produce one.
    """
    f = tmp_path / "qmodel.keras"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.10.0", "date_saved": "2025-01-01"}))
        z.writestr(
            "config.json",
            json.dumps({"class_name": "Functional", "config": {"layers": [{"class_name": "QDense"}]}}),
        )
        z.writestr("model.weights.h5", b"")
    with pytest.raises(SpecError, match="Keras-3 '.keras' file of a QKeras model.*tf-keras"):
        hls.load_keras_model(f)


def test_hgq_model_gets_a_hint(tmp_path, monkeypatch):
    """An HGQ model's JSON names layer classes (HQuantize, HDense) that only the HGQ package defines:
    without HGQ the error says so, and how to install it, instead of only tf-keras's "Unknown layer"."""
    from codesign import hgq

    monkeypatch.setattr(hgq, "installed", lambda: False)
    cfg = json.loads(hls_models.float_mlp().to_json())
    for layer in cfg["config"]["layers"]:
        if layer["class_name"] == "Dense":
            layer["class_name"] = "HDense"
    f = tmp_path / "hgq_model.json"
    f.write_text(json.dumps(cfg))
    with pytest.raises(SpecError, match=r"(?s)hgq_model.json: refusing.*'HDense' is not a Keras.*HGQ.*--no-deps hgq=="):
        modelio.load_model(json_path=f)
    # the same architecture in an HDF5 file (its model_config attribute)
    h5 = tmp_path / "hgq_model.h5"
    hls_models.float_mlp().save(h5)
    import h5py

    with h5py.File(h5, "r+") as z:
        z.attrs["model_config"] = json.dumps(cfg)
    with pytest.raises(SpecError, match=r"(?s)hgq_model.h5: refusing to load.*HDense.*looks like an HGQ model"):
        modelio.load_model(h5)


def test_bad_convert_arguments_are_named(tmp_path):
    model = hls_models.qmlp(4)
    kw = dict(
        io_type="io_parallel",
        strategy="Latency",
        reuse_factor=1,
        clock_ns=5.0,
        part=hls_models.PART,
        input_precision=hls_models.INPUT_PRECISION,
        output_dir=tmp_path,
    )
    with pytest.raises(SpecError, match="backend 'Quartus' .*accepted: Vivado, Vitis"):
        hls.convert(model, backend="Quartus", **kw)
    with pytest.raises(SpecError, match="layer override 'nope'"):
        hls.convert(model, backend="Vivado", layer_overrides={"nope": {"ReuseFactor": 2}}, **kw)
