"""Models and configs as hls4ml's own test suite writes them (test/pytest), round nine.

- ``hls_config['LayerName']['softmax']['Strategy'] = 'Stable'`` (test_cnn_mnist.py, test_cnn_mnist_qkeras.py,
  test_conv1d.py, test_softmax.py) was refused when the file was read ("'Stable' is not supported (accepted: Latency,
  Resource)", exit 2), although the conversion reads it as the softmax's implementation: the edge check now leaves
  a per-layer softmax implementation to the conversion, which refuses it on any layer that is not a softmax.
"""

from __future__ import annotations

import pytest
import yaml

from codesign.errors import SpecError


def _config(tmp_path, model_strategy: str = "Latency", layer: str = "softmax", strategy: str = "Stable"):
    cfg = {
        "KerasH5": "m.h5", "OutputDir": "prj", "ProjectName": "myproject", "Part": "xcvu9p-flga2104-2L-e",
        "ClockPeriod": 5, "IOType": "io_parallel", "Backend": "Vivado",
        "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": model_strategy},
                      "LayerName": {layer: {"Precision": {"result": "ap_fixed<16,6>"}, "Strategy": strategy}}},
    }  # fmt: skip
    (tmp_path / "m.h5").write_bytes(b"")
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize("strategy", ["Stable", "stable", "Argmax", "legacy"])
def test_softmax_strategy_of_hls4ml_tests_is_read_not_refused(tmp_path, strategy):
    from codesign.spec import Hls4mlConfig, load_spec

    assert isinstance(load_spec(_config(tmp_path, strategy=strategy)), Hls4mlConfig)


def test_softmax_implementation_as_model_strategy_or_on_another_layer_is_refused(tmp_path):
    from codesign import hls4ml_config

    with pytest.raises(
        SpecError, match=r"HLSConfig.Model.Strategy: 'Stable' is not supported \(accepted: Latency, Resource\)"
    ):
        from codesign.spec import load_spec

        load_spec(_config(tmp_path, model_strategy="Stable"))
    # a LayerName entry is checked against its layer once the model is read: a Dense is no softmax
    with pytest.raises(SpecError, match=r"LayerName.dense.Strategy: 'Stable' \(accepted: Latency, Resource\)"):
        hls4ml_config.check_layer_entry({"Strategy": "Stable"}, "c.yml: HLSConfig.LayerName.dense", False, [])
    notes: list[str] = []
    got = hls4ml_config.check_layer_entry({"Strategy": "Stable"}, "c.yml: HLSConfig.LayerName.softmax", True, notes)
    assert got == {"implementation": "stable"} and "read as the softmax implementation 'stable'" in notes[0]
