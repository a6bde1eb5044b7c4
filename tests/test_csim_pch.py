"""The C-simulation's precompiled header (codesign/hls/pch.py): built once from hls4ml's own ap_types, taken by a
project's three units, whose objects and library are byte for byte those compiled without it; and the testbench
alone (check.library false) compiles no bridge and gives the outputs both paths give."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, hls  # noqa: E402
from codesign.hls import library_build, pch  # noqa: E402
from tests import hls_models  # noqa: E402

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is needed for C-simulation")


def _convert(out: Path, seed: int) -> hls.HlsProject:
    return hls_models.convert(hls_models.qmlp(6, seed=seed), out, backend="Vivado")


def _objects(project: hls.HlsProject) -> dict[str, bytes]:
    build = project.path / library_build.BUILD_DIR
    objs = {p.name: p.read_bytes() for p in sorted(build.glob("*.o"))}
    objs.update({p.name: p.read_bytes() for p in (project.path / "firmware").glob("*.so")})
    return objs


@pytest.mark.slow  # the header (~5 CPU s), a tiny firmware's units twice: 29 CPU s, 108 s at load 9
@needs_gxx
def test_a_shared_precompiled_header_gives_the_same_objects_and_the_testbench_alone_the_same_outputs(tmp_path,
                                                                                                     gxx_calls):  # fmt: skip
    calls = gxx_calls
    root = tmp_path / "cache" / "pch"
    header = pch.prebuild(root)  # as a scan worker does at its start: from hls4ml's templates, no project yet
    assert header is not None and header.with_name(pch.HEADER + ".gch").is_file()
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == [".lock"]  # no staging folder left
    project = _convert(tmp_path / "b", seed=5)
    assert pch.header(root, project.path) == header  # same g++, flags and ap_types: the same file, not rebuilt
    assert sum("c++-header" in argv for argv in calls) == 1
    x = compare.grid_inputs(hls_models.INPUT_PRECISION, (16,), 300, seed=1)

    # the testbench alone: no bridge, no library; every unit takes the header (g++ says so in the log if not)
    calls.clear()
    none, tb_pch = csim.library_and_testbench(project, x, workers=2, library=False, pch=header)
    assert none is None and tb_pch.shape == (len(x), 5) and len(np.unique(tb_pch)) > 20
    units = [argv for argv in calls if "-c" in argv]
    assert sorted(argv[argv.index("-c") + 1] for argv in units) == [csim.TB_SOURCE, f"firmware/{project.project_name}.cpp"]
    assert all(argv[argv.index("-include") + 1] == str(header) for argv in units)
    logs = "".join(p.read_text() for p in (project.path / "logs").glob("compile_*.log"))
    assert "-include" in logs and "[-Winvalid-pch]" not in logs
    lib_pch, tb_pch2 = csim.library_and_testbench(project, x, workers=2, pch=header)
    np.testing.assert_array_equal(lib_pch, tb_pch)
    np.testing.assert_array_equal(tb_pch2, tb_pch)
    with_pch = _objects(project)
    assert set(with_pch) == {"firmware.o", "bridge.o", "testbench.o", next(iter(project.path.glob("firmware/*.so"))).name}

    # without the header: every object and the library byte for byte the same, and so the outputs
    shutil.rmtree(project.path / library_build.BUILD_DIR)
    for so in (project.path / "firmware").glob("*.so"):
        so.unlink()
    calls.clear()
    lib, tb = csim.library_and_testbench(project, x, workers=2)
    assert not [argv for argv in calls if "-include" in argv]
    assert _objects(project) == with_pch
    np.testing.assert_array_equal(lib, lib_pch)
    np.testing.assert_array_equal(tb, tb_pch)


def test_the_header_folder_is_keyed_on_the_ap_types(tmp_path, monkeypatch):
    """An edited ap_types header gives another folder (the header would no longer be what the project includes)."""
    monkeypatch.setattr(pch, "_compiler_id", lambda: "g++ 12")
    monkeypatch.setattr(library_build, "compile_flags", lambda: ("-O3", "-fPIC"))
    ap = tmp_path / "p" / "firmware" / "ap_types"
    ap.mkdir(parents=True)
    (ap / "ap_fixed.h").write_text("// v1\n")
    first = pch.key(tmp_path / "p")
    assert pch.key(tmp_path / "p") == first
    (ap / "ap_fixed.h").write_text("// v2\n")
    assert pch.key(tmp_path / "p") != first
    monkeypatch.setattr(library_build, "compile_flags", lambda: ("-O2", "-fPIC"))
    assert pch.key(tmp_path / "p") != first
    with pytest.raises(Exception, match="ap_types"):
        pch.key(tmp_path / "nothing")
