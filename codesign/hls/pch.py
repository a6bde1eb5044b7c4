"""A precompiled header of the C-simulation's invariant headers (the C++ standard headers and hls4ml's ap_types),
built once and shared by every project compiled with the same g++, flags and ap_types.

Every C-simulation unit (the firmware, hls4ml's bridge, codesign's testbench) spends most of a bridge's or
testbench's compile parsing ``ap_fixed.h`` and the standard headers; with ``-include <dir>/codesign_pch.h`` g++
loads them from ``codesign_pch.h.gch`` instead. The header lists only headers that do not read any
project setting (not ``defines.h``, not ``nnet_helpers.h``, which reads ``WEIGHTS_DIR``), so one file serves
every point of a scan; the objects are byte for byte those compiled without it (a test checks the library
against ``build_lib.sh``'s). The folder is content-addressed (g++, flags, this header's text, every ap_types
file); it is built under a file lock, into a temporary folder renamed into place, so two workers never build it
twice nor read a half-written one. Should g++ ever reject the file it parses ``codesign_pch.h`` as text: the same
object, only slower. It is used where builds share a step cache (a scan's ``cache/pch/``): one build alone
would spend more compiling it (about 5 CPU s) than it saves (about 3.5 CPU s).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from codesign import tools
from codesign.errors import ToolError
from codesign.hls import library_build

HEADER = "codesign_pch.h"
# the standard headers the three units include, then hls4ml's arbitrary-precision types (no project setting)
TEXT = """// codesign: the C-simulation's invariant headers, precompiled (codesign/hls/pch.py)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <math.h>
#include <pthread.h>
#include <string>
#include <vector>
#include "ap_fixed.h"
#include "ap_int.h"
#include "hls_stream.h"
"""
INCLUDE = "-Ifirmware/ap_types/"  # as build_lib.sh, relative to the project: the same file names in the objects


@functools.cache
def _compiler_id() -> str:
    gxx = library_build.gxx()
    with tempfile.TemporaryDirectory(prefix="codesign_gxx_id_") as tmp:
        run = tools.run([gxx, "-v"], cwd=Path(tmp), log=Path(tmp) / "v.log", timeout_s=60, check=False)
    return os.path.realpath(gxx) + "\0" + run.stdout


def key(project: Path) -> str:
    """The content address of the header for this project's ap_types (g++, flags, header text, ap_types files)."""
    h = hashlib.sha256((_compiler_id() + "\0" + " ".join(library_build.compile_flags()) + "\0" + TEXT).encode())
    ap = Path(project) / "firmware" / "ap_types"
    if not ap.is_dir():
        raise ToolError(f"{ap} is missing: not an hls4ml project")
    for f in sorted(p for p in ap.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(ap)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:24]


def header(root: Path, project: Path) -> Path:
    """``<root>/<key>/codesign_pch.h`` with its ``.gch`` beside it (built from ``project``'s ap_types when missing);
    pass it to g++ as ``-include``. A failed build raises ToolError (with g++'s log)."""
    root, project = Path(root), Path(project).resolve()
    final = root / key(project)
    if (final / (HEADER + ".gch")).is_file():
        return final / HEADER
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (final / (HEADER + ".gch")).is_file():
            for stale in root.glob(".build_*"):  # left by a process killed while it held the lock
                shutil.rmtree(stale, ignore_errors=True)
            tmp = Path(tempfile.mkdtemp(prefix=".build_", dir=root))
            try:
                (tmp / HEADER).write_text(TEXT)
                # compiled in the project (relative include path, as the units are) into the temporary folder
                argv = [library_build.gxx(), *library_build.compile_flags(), INCLUDE, "-x", "c++-header",
                        str(tmp / HEADER), "-o", str(tmp / (HEADER + ".gch"))]  # fmt: skip
                tools.run(argv, cwd=project, log=root / f"{final.name}.log", timeout_s=library_build.COMPILE_TIMEOUT_S)
                tmp.rename(final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return final / HEADER


def template_ap_types() -> Path | None:
    """hls4ml's ap_types folder, which it copies into every Vivado/Vitis project (found without importing hls4ml)."""
    import importlib.util

    spec = importlib.util.find_spec("hls4ml")
    if spec is None or spec.origin is None:
        return None
    ap = Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    return ap if ap.is_dir() else None


def prebuild(root: Path) -> Path | None:
    """Build the header from hls4ml's own ap_types before any project exists (a scan worker does it in the
    background while the first point trains); the same folder :func:`header` gives a project with those files.
    None when hls4ml's templates are not found or g++ fails (the first C-simulation then builds it, or says why)."""
    ap = template_ap_types()
    if ap is None:
        return None
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".stage_", dir=root))
    try:
        shutil.copytree(ap, stage / "firmware" / "ap_types")
        return header(root, stage)
    except (ToolError, OSError):
        return None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
