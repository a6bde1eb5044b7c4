"""HGQ v1 proxy models (``HGQ.to_proxy_model``) pass codesign's model check, load, convert and C-simulate
bit-exactly against the proxy model's own Keras outputs (HGQ's emulation of the firmware's fixed-point types).

Skipped without HGQ (``make hgq`` installs it: ``pip install --no-deps hgq==0.2.6``).
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from codesign import hgq, keras_env, model_safety, modelio

pytestmark = [
    pytest.mark.skipif(not hgq.installed(), reason=f"HGQ is not installed ({hgq.INSTALL}, or `make hgq`)"),
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation"),
]


@pytest.fixture(scope="module")
def proxy_file(tmp_path_factory):
    """A tiny HGQ model's proxy (Dense/ReLU between FixedPointQuantizers), saved as .h5."""
    keras = keras_env.keras()
    keras.utils.set_random_seed(0)
    hgq.objects()  # imports HGQ under codesign's keras alias
    from HGQ import HDense, HQuantize, to_proxy_model, trace_minmax

    x = np.random.default_rng(0).normal(size=(512, 8)).astype("float32")
    model = keras.Sequential([HQuantize(beta=3e-5, input_shape=(8,), name="hq"),
                              HDense(6, activation="relu", beta=3e-5, name="hd1"), HDense(2, beta=3e-5, name="hd2")])  # fmt: skip
    # HGQ's initial per-weight bit widths and random weights (training would only move them); the ranges of the
    # activations come from the data, as HGQ's workflow does before making the proxy
    trace_minmax(model, x, cover_factor=1.0, verbose=0)
    d = tmp_path_factory.mktemp("hgq")
    model.save(d / "hgq_layers.h5", save_format="h5")
    to_proxy_model(model, aggressive=True).save(d / "proxy.h5", save_format="h5")
    return d / "proxy.h5"


def test_hgq_training_layers_load_and_are_refused_for_firmware_with_a_way_out(proxy_file, tmp_path):
    from codesign import hls
    from codesign.errors import SpecError
    from codesign.precision import FixedPrecision

    model = modelio.load_model(proxy_file.parent / "hgq_layers.h5")
    with pytest.raises(SpecError, match=r"'hd1' \(HDense\).*HGQ.to_proxy_model"):
        hls.convert(model, backend="Vitis", io_type="io_parallel", strategy="Latency", reuse_factor=1, clock_ns=5.0,
                    part="xcvu9p-flga2104-2L-e", input_precision=FixedPrecision.parse("ap_fixed<16,6>"),
                    output_dir=tmp_path / "prj")  # fmt: skip


def test_hgq_proxy_passes_the_check_and_loads(proxy_file):
    import h5py

    cfg = json.loads(h5py.File(proxy_file, "r").attrs["model_config"])
    assert model_safety.uses_hgq(cfg) and model_safety.scan(cfg) == []
    model = modelio.load_model(proxy_file)
    assert "FixedPointQuantizer" in {type(layer).__name__ for layer in model.layers}


@pytest.mark.slow  # two g++ builds of the firmware: 70 s on a loaded 2-core machine
def test_hgq_proxy_firmware_is_bit_exact(proxy_file, tmp_path):
    from codesign import csim, hls
    from codesign.precision import FixedPrecision

    model = modelio.load_model(proxy_file)
    precision = FixedPrecision.parse("ap_fixed<16,6>")
    project = hls.convert(model, backend="Vitis", io_type="io_parallel", strategy="Latency", reuse_factor=1,
                          clock_ns=5.0, part="xcvu9p-flga2104-2L-e", input_precision=precision,
                          output_dir=tmp_path / "prj")  # fmt: skip
    with ThreadPoolExecutor(2) as pool:
        for job in [pool.submit(project.compile), pool.submit(csim.build_testbench, project)]:
            job.result()
    rng = np.random.default_rng(1)
    x = precision.quantize(rng.normal(0, 2, size=(2000, 8)))
    expected = np.asarray(model.predict(x.astype(np.float32), verbose=0), dtype=np.float64)
    library = np.asarray(project.predict(x), dtype=np.float64).reshape(expected.shape)
    testbench = np.asarray(csim.run_csim(project, x, workers=2), dtype=np.float64).reshape(expected.shape)
    assert np.count_nonzero(expected) > expected.size // 4  # not a trivially zero model
    np.testing.assert_array_equal(library, expected)
    np.testing.assert_array_equal(testbench, expected)


def test_hgq_proxy_gets_no_verdict_without_a_proof(proxy_file):
    """codesign has no exact reference for FixedPointQuantizer: a proxy model is a quantized model whose build gets
    no verdict (exit 6, the quantizer layers named), never the float-model label."""
    from codesign import compare, reference

    model = modelio.load_model(proxy_file)
    assert reference.is_quantized_model(model)
    x = np.zeros((4, 8))
    v = compare.judge(model, x, np.zeros((4, 2)))
    assert v.exact is None and v.bit_accuracy is None
    assert "(FixedPointQuantizer)" in v.reference_unavailable and "HGQ proxy" in v.reference_unavailable
