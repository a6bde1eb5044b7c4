"""The firmware compiled once per project: hls4ml's ``build_lib.sh`` steps with its flags and library name,
keeping the firmware object so that codesign's testbench links the same object instead of compiling it again.

``build_lib.sh`` compiles ``firmware/<project>.cpp`` and ``<project>_bridge.cpp`` and links
``firmware/<project>-<stamp>.so``, which hls4ml's ``predict`` loads. :func:`build_library` runs the same g++
commands (flags probed the same way, ``WEIGHTS_DIR`` the project's absolute ``firmware/weights``) with the
objects kept under ``codesign_build/``, so the library is the one the script would link (a test checks it byte
for byte) and :func:`firmware_object` hands the firmware object to :mod:`codesign.csim`. A project whose
``build_lib.sh`` is not hls4ml's template (another hls4ml version, an edited script) gets the script run as is.

Every output carries a stamp (its command line and a hash of its inputs: the firmware's sources and weights,
the driver's source): an up-to-date output is not rebuilt, an edited weight or kernel rebuilds it. Builds of
one output are serialised by a lock, so the library's and the testbench's threads compile the object once.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import tempfile
import threading
from pathlib import Path

from codesign import tools
from codesign.errors import ToolError

BUILD_DIR = "codesign_build"
COMPILE_TIMEOUT_S = 1800.0

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(target: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(target.resolve(), threading.Lock())


def gxx() -> str:
    """The g++ every C-simulation unit is compiled with (ToolError when missing)."""
    return tools.require("g++", "compile the C-simulation (hls4ml's library and codesign's testbench)")


def _accepts(gxx: str, flag: str, work: Path) -> bool:
    """Whether g++ takes ``flag`` (build_lib.sh's probe: an empty unit with -Werror -fsyntax-only)."""
    argv = [gxx, "-Werror", "-fsyntax-only", flag, "-xc++", "-", "-o", "/dev/null"]
    return tools.run(argv, cwd=work, log=work / "probe.log", timeout_s=60, check=False, stdin_text="").returncode == 0


@functools.cache
def compile_flags() -> tuple[str, ...]:
    """build_lib.sh's CFLAGS for this g++: ``-O3 -fPIC``, ``-std=c++23`` (else c++11), ``-fno-gnu-unique`` if known."""
    cxx = gxx()
    with tempfile.TemporaryDirectory(prefix="codesign_gxx_probe_") as tmp:
        work = Path(tmp)
        flags = ["-O3", "-fPIC", "-std=c++23" if _accepts(cxx, "-std=c++23", work) else "-std=c++11"]
        if _accepts(cxx, "-fno-gnu-unique", work):
            flags.append("-fno-gnu-unique")  # lets a rebuilt library with the same name be loaded again
    return tuple(flags)


def firmware_digest(path: Path) -> str:
    """Hash of the firmware sources and weights, so an edited weight or kernel forces a rebuild."""
    h = hashlib.sha256()
    fw = Path(path) / "firmware"
    for f in sorted(fw.rglob("*")):
        if f.is_file() and f.suffix in (".h", ".cpp", ".txt") and "ap_types" not in f.parts:
            h.update(str(f.relative_to(fw)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def weights_define(weights_dir: Path) -> str:
    """The ``-D`` flag that points the C-simulation's weight loading at ``weights_dir`` (absolute)."""
    return f"-DWEIGHTS_DIR={c_string_literal(str(Path(weights_dir).resolve()))}"


def c_string_literal(text: str) -> str:
    """``text`` as a C/C++ string literal: a build folder whose path holds a quote, a backslash or a newline (a
    --out codesign accepts) otherwise ended the literal early and the C-simulation did not compile (exit 5, after
    the training). Other characters, UTF-8 letters included, stand as they are; control characters as octal."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def stamped(path: Path, target: str, argv: list[str], inputs: str, log: str) -> str:
    """Run ``argv`` in ``path`` to make ``target`` unless it exists with the same stamp; returns the stamp."""
    stamp = hashlib.sha256((" ".join(argv) + "\0" + inputs).encode()).hexdigest()
    out = path / target
    stamp_file = out.with_name(out.name + ".stamp")
    with _lock(out):
        if out.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
            return stamp
        stamp_file.unlink(missing_ok=True)  # a failed build leaves no stamp: the next call builds again
        out.parent.mkdir(parents=True, exist_ok=True)
        tools.run(argv, cwd=path, log=path / "logs" / log, timeout_s=COMPILE_TIMEOUT_S)
        if not out.exists():
            raise ToolError(f"'{' '.join(argv)}' finished but {out} is missing; log: {path / 'logs' / log}")
        stamp_file.write_text(stamp)
    return stamp


def compile_unit(path: Path, source: str, obj: str, weights_dir: Path, digest: str,
                 includes: tuple[str, ...] = ("-Ifirmware/ap_types/",), extra: tuple[str, ...] = (),
                 pch: Path | None = None) -> str:  # fmt: skip
    """Compile ``source`` (relative to the project) into ``codesign_build/<obj>`` with build_lib.sh's flags;
    returns its stamp. ``digest`` is the firmware's (:func:`firmware_digest`): every unit includes its headers.
    ``pch``: a precompiled header to ``-include`` (:func:`codesign.hls.pch.header`; the same object, faster)."""
    argv = [gxx(), *compile_flags(), *extra, *(("-Winvalid-pch", "-include", str(pch)) if pch is not None else ()), *includes,
            weights_define(weights_dir), "-c", source, "-o", f"{BUILD_DIR}/{obj}"]  # fmt: skip
    src = (path / source).read_bytes()
    return stamped(path, f"{BUILD_DIR}/{obj}", argv, digest + hashlib.sha256(src).hexdigest(), f"compile_{obj}.log")


def weights_tag(path: Path, weights_dir: Path | None) -> tuple[Path, str]:
    """The weights folder (absolute; default the project's ``firmware/weights``) and the suffix of the object
    names built for it: empty for the default, a hash of the folder otherwise (each folder keeps its objects)."""
    default = (Path(path) / "firmware" / "weights").resolve()
    weights = Path(weights_dir).resolve() if weights_dir is not None else default
    return weights, "" if weights == default else "_" + hashlib.sha256(str(weights).encode()).hexdigest()[:12]


def firmware_object(path: Path, project_name: str, weights_dir: Path | None = None,
                    digest: str | None = None, pch: Path | None = None) -> tuple[Path, str]:  # fmt: skip
    """The object of ``firmware/<project>.cpp`` (compiled when missing or stale) and its stamp.

    With the project's own ``firmware/weights`` it is the object the ctypes library links; another
    ``weights_dir`` (baked into the object as ``WEIGHTS_DIR``) gets an object of its own. ``pch``: as
    :func:`compile_unit`.
    """
    path = Path(path)
    weights, tag = weights_tag(path, weights_dir)
    obj = f"firmware{tag}.o"
    stamp = compile_unit(path, f"firmware/{project_name}.cpp", obj, weights, digest or firmware_digest(path),
                         pch=pch)
    return path / BUILD_DIR / obj, stamp


def hls4ml_script(project_name: str, stamp: str) -> str | None:
    """The text hls4ml 1.3 writes as ``build_lib.sh`` for this project (None when its template is not found)."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or spec.origin is None:
        return None
    template = Path(spec.origin).parent / "templates" / "vivado" / "build_lib.sh"
    if not template.exists():
        return None
    return template.read_text().replace("myproject", project_name).replace("mystamp", stamp)


def build_library(path: Path, project_name: str, stamp: str, pch: Path | None = None) -> tuple[Path, str]:
    """hls4ml's ctypes library ``firmware/<project>-<stamp>.so`` (built when missing or stale) and a key that
    changes whenever it is rebuilt; the firmware object is shared with codesign's testbench. ``pch``: a
    precompiled header for its two units (:func:`compile_unit`)."""
    path = Path(path)
    lib = f"firmware/{project_name}-{stamp}.so"
    script = path / "build_lib.sh"
    if not script.exists():
        raise ToolError(f"{script} is missing: the project cannot be compiled")
    text = script.read_text()
    if text != hls4ml_script(project_name, stamp):  # not the template these steps copy: run it as written
        key = stamped(path, lib, ["bash", "build_lib.sh"], text + firmware_digest(path), "build_lib.log")
        return path / lib, key
    digest = firmware_digest(path)
    weights = path / "firmware" / "weights"
    bridge = compile_unit(path, f"{project_name}_bridge.cpp", "bridge.o", weights, digest, pch=pch)
    fw_obj, fw = firmware_object(path, project_name, digest=digest, pch=pch)
    argv = [gxx(), *compile_flags(), "-Ifirmware/ap_types/", "-shared", str(fw_obj.relative_to(path)),
            f"{BUILD_DIR}/bridge.o", "-o", lib]  # fmt: skip
    return path / lib, stamped(path, lib, argv, fw + bridge, "build_lib_link.log")
