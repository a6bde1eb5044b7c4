"""Running a user's model through `codesign build` / `codesign check`, and QKeras' own float64 predict of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from codesign import keras_env

keras_env.setup()


def randomize(model, seed: int, scale: float = 0.4):
    """Random normal(0, ``scale``) weights for every layer that has some (a stand-in for a trained model); a
    BatchNormalization's moving variance is made positive. Returns the model."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        new = [rng.normal(0.0, scale, w.shape) for w in ws]
        if type(layer).__name__ == "BatchNormalization":  # gamma, beta, mean, variance > 0
            new[3] = np.abs(new[3]) + 0.5
        layer.set_weights(new)
    return model


def build(tmp_path: Path, model, name: str, extra: dict | None = None) -> tuple[int, str, Path]:
    """`codesign build` of ``model`` saved as ``<name>.h5`` with a spec of ``model.file`` (no data); (exit, output, out)."""
    model.save(tmp_path / f"{name}.h5")
    spec = {"name": name, "model": {"file": f"{name}.h5"}, "quantize": None, "check": {"n_samples": 100, "workers": 1}}
    spec.update(extra or {})
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "codesign.cli",
        "build",
        "spec.yaml",
        "--part",
        "xcvu9p",
        "--out",
        str(out),
        "--no-plots",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    return proc.returncode, proc.stdout + proc.stderr, out


def check(out: Path) -> tuple[int, str]:
    """`codesign check` of a finished build folder on 30 inputs; (exit, output)."""
    cmd = [sys.executable, "-m", "codesign.cli", "check", str(out), "--n", "30"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def _to_float64(obj) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "dtype" and v == "float32":
                obj[k] = "float64"
            else:
                _to_float64(v)
    elif isinstance(obj, list):
        for v in obj:
            _to_float64(v)


def _qactivation_class():
    """QActivation whose from_config rebuilds a quantizer stored as {class_name, config} with QKeras' get_quantizer.

    QKeras' own QActivation keeps such a dict as it is and fails on it: a model built with
    ``QActivation(quantized_relu(6))`` (as hls4ml's tutorial writes it) does not rebuild from its JSON otherwise.
    """
    from qkeras import QActivation
    from qkeras.quantizers import get_quantizer

    class _QActivation(QActivation):
        @classmethod
        def from_config(cls, config):
            act = config.get("activation")
            if isinstance(act, dict):
                config = {**config, "activation": get_quantizer(act)}
            return cls(**config)

    return _QActivation


def qkeras_predict(model, x: np.ndarray | list[np.ndarray], float64: bool = True) -> np.ndarray:
    """QKeras' own forward pass of ``model``, outputs side by side; ``float64``: every layer's dtype and Keras' floatx
    float64.

    float32 cannot hold a wide fixed-point sum (an unquantized Dense result of 26 bits and more), float64 can: this
    is the model's own arithmetic, independent of codesign's reference and of hls4ml. (QKeras' quantized_po2 does not
    run in float64: its kernels are defined by its float32 arithmetic.)
    """
    from qkeras.utils import _add_supported_quantized_objects

    keras = keras_env.keras()
    if float64:
        custom: dict = {}
        _add_supported_quantized_objects(custom)
        custom["QActivation"] = _qactivation_class()
        arch = json.loads(model.to_json())
        _to_float64(arch)
        old = keras.backend.floatx()
        keras.backend.set_floatx("float64")
        try:
            m64 = keras.models.model_from_json(json.dumps(arch), custom_objects=custom)
            m64.set_weights(model.get_weights())
            outs = m64.predict(_as_float64(x), verbose=0)
        finally:
            keras.backend.set_floatx(old)
    else:
        outs = model.predict(x, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    n = len(x[0]) if isinstance(x, list) else len(x)
    return np.concatenate([np.asarray(o, np.float64).reshape(n, -1) for o in outs], axis=1)


def _as_float64(x):
    """One input array, or a list of them (a model with several inputs), as float64."""
    return [np.asarray(a, np.float64) for a in x] if isinstance(x, list) else np.asarray(x, np.float64)


def stored_inputs(out: Path):
    """The build's C-simulated inputs (one array, or one per input of a model with several) and outputs."""
    from codesign.firmware.several_inputs import stored_inputs as read

    with np.load(out / "csim" / "csim_results.npz") as z:
        return read(z, str(out)), z["testbench"]


def csim_and_qkeras(out: Path, float64: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(the C-simulated firmware's outputs, QKeras' predict of the converted model) on the build's inputs."""
    from codesign import modelio

    x, fw = stored_inputs(out)
    return fw, qkeras_predict(modelio.load_model(out / "models" / "converted.h5"), x, float64)


def build_check_and_match_qkeras(tmp_path: Path, model, name: str, float64: bool = True,
                                 extra: dict | None = None) -> np.ndarray:  # fmt: skip
    """Build ``model``, require the BIT-EXACT verdict from the build and from `codesign check`, and require the C-sim
    outputs to equal QKeras' own predict of the converted model (independent of codesign's reference) exactly.
    Returns the firmware's outputs for a test's own checks (e.g. that they are not all zero)."""
    code, text, out = build(tmp_path, model, name, extra)
    assert code == 0 and "bit-exact: yes" in text, text[-3000:]
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    fw, qkeras = csim_and_qkeras(out, float64)
    np.testing.assert_array_equal(qkeras, fw)
    return fw


def emulator_vs_csim(out: Path) -> tuple[int, int]:
    """The emulator, run on the build's C-simulated inputs from ``hls/codesign_firmware.npz``, against the
    C-simulation's outputs; (elements compared, elements that differ)."""
    from codesign.firmware import description, emulator

    desc = description.FirmwareDescription.load(out / "hls" / description.FILE_NAME)
    x, fw = stored_inputs(out)
    n = len(fw)
    emu = emulator.emulate(desc, x)
    emu = np.concatenate([e.reshape(n, -1) for e in emu], axis=1) if isinstance(emu, list) else emu.reshape(n, -1)
    fw = fw.reshape(n, -1)
    assert emu.shape == fw.shape and np.std(fw) > 0
    return int(fw.size), int(np.count_nonzero(emu != fw))


def proven_against_emulator(tmp_path: Path, model, name: str, extra: dict | None = None) -> Path:
    """Build a float model and check it: bit-exact against the fixed-point emulator in the build and in `codesign
    check`, and the emulator run from the files on disk equal to the C-simulation; returns the build folder."""
    code, text, out = build(tmp_path, model, name, extra or {})
    assert code == 0 and "bit-exact: yes" in text and "fixed-point emulator" in text, text[-3000:]
    code, text = check(out)
    assert code == 0 and "verdict: bit-exact" in text, text[-3000:]
    n, bad = emulator_vs_csim(out)
    assert bad == 0, f"{bad} of {n} outputs differ"
    return out


def emulator_with_type_vs_csim(out: Path, layer: str, key: str, other: str) -> tuple[int, int]:
    """:func:`emulator_vs_csim` with the firmware description's ``layer`` given the ``key`` type ``other`` (a type
    the firmware does not have): (elements compared, elements that differ), to show the comparison can fail."""
    from dataclasses import replace

    from codesign.firmware import description, emulator
    from codesign.precision import FixedPrecision

    desc = description.FirmwareDescription.load(out / "hls" / description.FILE_NAME)
    target = desc.layer(layer)
    assert key in target.types, (layer, key, target.types)
    wrong = replace(target, types={**target.types, key: FixedPrecision.parse(other)})
    desc = replace(desc, layers=tuple(wrong if lyr is target else lyr for lyr in desc.layers))
    with np.load(out / "csim" / "csim_results.npz") as z:
        x, fw = z["inputs"], z["testbench"]
    emu = emulator.emulate(desc, x)
    emu = np.concatenate([e.reshape(len(x), -1) for e in emu], axis=1) if isinstance(emu, list) else emu
    return int(fw.size), int(np.count_nonzero(emu != fw.reshape(len(x), -1)))


def sequence_emulator_equals_csim(project, desc, layer, in_type) -> None:
    """The emulator equals the g++ C-simulation on every output of 1000 grid inputs of shape (5, 3) (half of them
    clipped to [-2, 2], where the tables' fine steps are), and ``layer`` handed another accum or table type than the
    firmware's makes more than 100 outputs differ (the comparison can fail)."""
    from dataclasses import replace

    from codesign import compare, csim
    from codesign.firmware import emulator
    from codesign.precision import FixedPrecision

    x = compare.grid_inputs(in_type, (5, 3), 1000, seed=8)
    x[500:] = np.clip(x[500:], -2, 2)
    fw = csim.run_csim(project, x)
    np.testing.assert_array_equal(emulator.emulate(desc, x), fw)
    assert np.std(fw) > 0 and len(np.unique(fw)) > 100
    for key, other in (("accum", "ap_fixed<16,7>"), ("table", "ap_fixed<10,3>")):
        wrong = replace(layer, types={**layer.types, key: FixedPrecision.parse(other)})
        emu = emulator.emulate(replace(desc, layers=tuple(wrong if lyr is layer else lyr for lyr in desc.layers)), x)
        assert np.count_nonzero(emu != fw) > 100, key
