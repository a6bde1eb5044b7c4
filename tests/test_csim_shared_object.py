"""The firmware compiled once per project: hls4ml's ctypes library and codesign's testbench link one object of
``firmware/<project>.cpp``, give equal outputs, the library is the one ``build_lib.sh`` links, and an edited
weight rebuilds (and reloads) both while an unchanged project rebuilds nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, hls, tools  # noqa: E402
from codesign.hls import library_build  # noqa: E402
from tests import hls_models  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


def _convert(out: Path) -> hls.HlsProject:
    return hls_models.convert(hls_models.qmlp(6, seed=3), out, backend="Vivado")


def _compiles(calls, source: str) -> int:
    return sum(1 for argv in calls if "-c" in argv and argv[argv.index("-c") + 1] == source)


@needs_gxx  # three g++ units of a tiny firmware, built twice: ~15 CPU s
def test_one_firmware_object_feeds_both_paths_and_a_weight_edit_rebuilds_both(tmp_path, gxx_calls):
    project = _convert(tmp_path / "p")
    name = project.project_name
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 400, seed=2)
    lib, tb = csim.library_and_testbench(project, x, workers=2)
    assert lib.shape == (len(x), 5) and len(np.unique(lib)) > 20
    np.testing.assert_array_equal(tb, lib)
    assert _compiles(gxx_calls, f"firmware/{name}.cpp") == 1  # once, not once per path
    assert _compiles(gxx_calls, f"{name}_bridge.cpp") == 1 and _compiles(gxx_calls, csim.TB_SOURCE) == 1
    fw_obj = f"{library_build.BUILD_DIR}/firmware.o"
    links = [argv for argv in gxx_calls if "-shared" in argv or argv[-4:-2] == ("-o", csim.TB_BINARY)]
    assert len(links) == 2 and all(fw_obj in argv for argv in links)

    # up to date: nothing is compiled or linked again, the outputs are the same
    gxx_calls.clear()
    lib2, tb2 = csim.library_and_testbench(project, x, workers=2)
    assert not [argv for argv in gxx_calls if "-o" in argv]
    np.testing.assert_array_equal(lib2, lib)
    np.testing.assert_array_equal(tb2, tb)

    # an edited weight: the object, the library and the testbench are rebuilt; the library is loaded again
    w = project.path / "firmware" / "weights" / "w2.txt"
    values = np.array([float(v) for v in w.read_text().replace(",", " ").split()])
    values[: len(values) // 2] = 0.0
    w.write_text(", ".join(f"{v:.6f}" for v in values))
    gxx_calls.clear()
    lib3, tb3 = csim.library_and_testbench(project, x, workers=2)
    assert _compiles(gxx_calls, f"firmware/{name}.cpp") == 1
    assert not np.array_equal(lib3, lib)  # the new weights reached the loaded library ...
    np.testing.assert_array_equal(tb3, lib3)  # ... and the testbench, alike


@pytest.mark.slow  # hls4ml's script beside codesign's steps, then an edited script: ~50 s on a busy 2-core machine
@needs_gxx
def test_the_library_is_build_lib_shs_and_an_edited_script_is_run_as_written(tmp_path, gxx_calls):
    project = _convert(tmp_path / "p")
    name = project.project_name
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 200, seed=4)
    lib = project.predict(x)
    so = project.path / "firmware" / f"{name}-{project._graph.config.get_config_value('Stamp')}.so"
    ours = so.read_bytes()
    so.unlink()
    tools.run(["bash", "build_lib.sh"], cwd=project.path, log=tmp_path / "script.log", timeout_s=600)
    assert so.read_bytes() == ours  # the library is the one hls4ml's build_lib.sh links, byte for byte

    script = project.path / "build_lib.sh"
    script.write_text(script.read_text() + "# edited by a user\n")
    gxx_calls.clear()
    project.compile()
    assert gxx_calls == [("bash", "build_lib.sh")]  # the script as written, not codesign's copy of its steps
    np.testing.assert_array_equal(project.predict(x), lib)
    np.testing.assert_array_equal(csim.run_csim(project, x), lib)


def test_another_weights_folder_gets_its_own_object(tmp_path, monkeypatch):
    """Mocked g++: the object names and WEIGHTS_DIR of the default and another weights folder."""
    calls = []

    def fake_run(argv, *, cwd, log, timeout_s, **kw):
        calls.append(list(argv))
        out = Path(cwd) / argv[argv.index("-o") + 1]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("object")

    monkeypatch.setattr(library_build.tools, "run", fake_run)
    monkeypatch.setattr(library_build, "gxx", lambda: "g++")
    monkeypatch.setattr(library_build, "compile_flags", lambda: ("-O3", "-fPIC"))
    p = tmp_path / "proj"
    (p / "firmware" / "weights").mkdir(parents=True)
    (p / "firmware" / "myproject.cpp").write_text("// top\n")
    (p / "firmware" / "weights" / "w2.txt").write_text("0.5")
    other = tmp_path / "synth_weights"
    own, _ = library_build.firmware_object(p, "myproject")
    alt, _ = library_build.firmware_object(p, "myproject", other)
    assert own == p / library_build.BUILD_DIR / "firmware.o" and alt != own and alt.parent == own.parent
    assert f'-DWEIGHTS_DIR="{(p / "firmware" / "weights").resolve()}"' in calls[0]
    assert f'-DWEIGHTS_DIR="{other.resolve()}"' in calls[1]
    library_build.firmware_object(p, "myproject")
    assert len(calls) == 2  # up to date: not compiled again
    (p / "firmware" / "weights" / "w2.txt").write_text("0.25")
    library_build.firmware_object(p, "myproject")
    assert len(calls) == 3  # an edited weight: compiled again
