"""C-simulation as its own process: the project's firmware built with g++ into codesign's testbench.

The testbench (``firmware_templates/testbench.cpp.tmpl``) is a fixed template; this module only fills
in the top function's ports. It reads raw float64 inputs and writes raw float64 outputs converted with
``to_double()`` (exact for types up to 53 bits), so nothing is lost to a 6-digit text format. It links the
firmware object that hls4ml's ctypes library links (:mod:`codesign.hls.library_build`): the firmware is
compiled once per project. Large input arrays are split into chunks run by parallel processes (one per core).
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from codesign import tools
from codesign.errors import SpecError, ToolError
from codesign.hls import HlsProject, library_build
from codesign.resources import shipped_path

TEMPLATE = shipped_path("firmware_templates", "testbench.cpp.tmpl")
TB_SOURCE = "codesign_tb.cpp"
TB_BINARY = "codesign_tb"
TB_INCLUDES = ("-Ifirmware", "-Ifirmware/ap_types", "-I.")
STACK_MB = 1024
RUN_TIMEOUT_S = 3600.0


def _project(project: HlsProject | Path) -> HlsProject:
    return project if isinstance(project, HlsProject) else HlsProject.load(Path(project))


def render_testbench(project: HlsProject) -> str:
    """The testbench C++ source for this project's top-function ports."""
    if not TEMPLATE.exists():
        raise ToolError(f"testbench template {TEMPLATE} is missing")
    stream = project.io_type == "io_stream"
    declare, fill, read = [], [], []
    offset = 0
    for p in project.inputs:
        declare.append(f"        {p.definition};")
        fill.append(f"        nnet::copy_data<double, {p.type_name}, {offset}, {p.size}>(cs_in_, {p.name});")
        offset += p.size
    for p in project.outputs:
        declare.append(f"        {p.definition};")
        if stream:
            read.append(
                f"        for (size_t cs_i_ = 0; cs_i_ < {p.size} / {p.type_name}::size; cs_i_++) {{\n"
                f"            {p.type_name} cs_pack_ = {p.name}.read();\n"
                f"            for (size_t cs_j_ = 0; cs_j_ < {p.type_name}::size; cs_j_++)\n"
                f"                cs_out_[cs_k_++] = cs_pack_[cs_j_].to_double();\n"
                "        }"
            )
        else:
            read.append(f"        for (size_t cs_i_ = 0; cs_i_ < {p.size}; cs_i_++) cs_out_[cs_k_++] = {p.name}[cs_i_].to_double();")
    args = ", ".join(p.name for p in project.inputs + project.outputs)
    text = TEMPLATE.read_text()
    for key, val in {
        "@PROJECT@": project.project_name,
        "@N_IN@": str(project.n_inputs),
        "@N_OUT@": str(project.n_outputs),
        "@DECLARE@": "\n".join(declare),
        "@FILL@": "\n".join(fill),
        "@READ@": "\n".join(read),
        "@TOP@": f"{project.project_name}({args})",
        "@STACK_MB@": str(STACK_MB),
    }.items():
        text = text.replace(key, val)
    if "@" in "".join(line for line in text.splitlines() if not line.lstrip().startswith("//")):
        raise ToolError(f"testbench template {TEMPLATE} has a marker this module does not fill")
    return text


def build_testbench(project: HlsProject | Path, *, weights_dir: Path | None = None, pch: Path | None = None) -> Path:
    """Link codesign's testbench with the project's firmware object into an executable; returns its path.

    The firmware object is the one hls4ml's ctypes library links (:func:`codesign.hls.library_build.firmware_object`,
    build_lib.sh's flags; compiled here if the library has not been built yet), so the firmware translation unit
    is compiled once per project; the testbench unit uses the same flags. Outputs that are up to date are not
    rebuilt. ``weights_dir``: where the C-simulation loads the weights' ``.txt`` files from (default the
    project's ``firmware/weights``; :func:`codesign.firmware.files.synthesized_weights` writes the ``.h``
    values); another folder is baked into an object of its own. ``pch``: a precompiled header for both units
    (:func:`codesign.hls.pch.header`; the same objects, faster).
    """
    proj = _project(project)
    src = render_testbench(proj)
    path = proj.path
    weights, tag = library_build.weights_tag(path, weights_dir)
    digest = library_build.firmware_digest(path)
    tb_file = path / TB_SOURCE
    if not tb_file.exists() or tb_file.read_text() != src:
        tb_file.write_text(src)
    # the firmware object (the long unit) and the testbench unit compile side by side, one per core
    with ThreadPoolExecutor(max_workers=2) as pool:
        fw_job = pool.submit(library_build.firmware_object, path, proj.project_name, weights_dir, digest, pch)
        # compiled without -pthread (it only defines _REENTRANT, which glibc and libstdc++ ignore: the object is
        # the same), so that the unit takes the library units' precompiled header; the link has -pthread
        tb_job = pool.submit(library_build.compile_unit, path, TB_SOURCE, f"testbench{tag}.o", weights, digest,
                             TB_INCLUDES, (), pch)  # fmt: skip
        (fw_obj, fw_stamp), tb_stamp = fw_job.result(), tb_job.result()
    gxx = tools.require("g++", "build the C-simulation testbench")
    argv = [gxx, "-pthread", "-o", TB_BINARY, f"{library_build.BUILD_DIR}/testbench{tag}.o",
            str(fw_obj.relative_to(path))]  # fmt: skip
    library_build.stamped(path, TB_BINARY, argv, fw_stamp + tb_stamp, "build_testbench_link.log")
    return path / TB_BINARY


def _inputs_2d(project: HlsProject, x: np.ndarray | list[np.ndarray]) -> np.ndarray:
    xs = x if isinstance(x, (list, tuple)) else [x]
    if len(xs) != len(project.inputs):
        raise SpecError(f"the model has {len(project.inputs)} input(s), got {len(xs)} array(s)")
    n = np.asarray(xs[0]).shape[0]
    flat = []
    for a, port in zip(xs, project.inputs, strict=True):
        a = np.asarray(a, dtype=np.float64).reshape(n, -1)
        if a.shape[1] != port.size:
            raise SpecError(f"input '{port.name}' takes {port.size} values per sample, got {a.shape[1]}")
        flat.append(a)
    return np.ascontiguousarray(np.concatenate(flat, axis=1), dtype="<f8")


def run_csim(
    project: HlsProject | Path,
    x: np.ndarray | list[np.ndarray],
    *,
    workers: int = 2,
    weights_dir: Path | None = None,
    pch: Path | None = None,
) -> np.ndarray | list[np.ndarray]:
    """Run the g++ testbench on ``x`` (float64, one row per sample) in parallel chunks; returns float64 outputs."""
    proj = _project(project)
    exe = build_testbench(proj, weights_dir=weights_dir, pch=pch)
    data = _inputs_2d(proj, x)
    n = data.shape[0]
    if n == 0:
        raise SpecError("run_csim needs at least one input sample")
    workers = max(1, min(int(workers), n))
    chunks = np.array_split(np.arange(n), workers)
    (proj.path / "logs").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="csim_", dir=proj.path) as tmp:
        tmpd = Path(tmp)

        def one(i: int) -> np.ndarray:
            idx = chunks[i]
            fin, fout = tmpd / f"in_{i}.f64", tmpd / f"out_{i}.f64"
            data[idx[0] : idx[-1] + 1].tofile(fin)
            res = tools.run(
                [str(exe), str(fin), str(fout)],
                cwd=proj.path,
                log=proj.path / "logs" / f"csim_{i}.log",
                timeout_s=RUN_TIMEOUT_S,
            )
            out = np.fromfile(fout, dtype="<f8")
            if out.size != len(idx) * proj.n_outputs:
                raise ToolError(
                    f"testbench chunk {i} wrote {out.size} values, expected {len(idx)} x {proj.n_outputs}; "
                    f"log: {res.log}"
                )
            return out.reshape(len(idx), proj.n_outputs)

        if workers == 1:
            parts = [one(0)]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                parts = list(pool.map(one, range(workers)))
    y = np.concatenate(parts, axis=0).astype(np.float64)
    if len(proj.outputs) == 1:
        return y
    out, off = [], 0
    for p in proj.outputs:
        out.append(y[:, off : off + p.size])
        off += p.size
    return out


def library_and_testbench(project: HlsProject, x: np.ndarray | list[np.ndarray], *, workers: int = 2,
                          overlap: bool = True, library: bool = True, pch: Path | None = None) -> tuple:  # fmt: skip
    """Both C-simulations of a converted project on ``x``: (hls4ml's ctypes library's outputs, codesign's g++
    testbench's), each as :meth:`HlsProject.predict` / :func:`run_csim` return them.

    The two drivers (hls4ml's bridge, codesign's testbench) link one object of the firmware, compiled once (the
    first chain to need it compiles it, the other waits for it). With ``overlap`` each path runs as one chain in
    its own thread (library: bridge, firmware object, link, predict; testbench: firmware object beside the
    testbench unit, link, run), so a core left idle by one chain's link or single-threaded predict goes to the
    other. ``overlap=False`` builds both side by side, then predicts, then runs the testbench (the order before;
    kept for the test that both give equal outputs). ``library=False``: the testbench alone (its outputs and
    None; hls4ml's library, a cross-check of the testbench, is not built). ``pch``: a precompiled header for
    every unit (:func:`codesign.hls.pch.header`).
    """

    def lib_chain():
        project.compile(pch)
        return project.predict(x)

    def tb_chain():
        return run_csim(project, x, workers=workers, pch=pch)

    if not library:
        return None, tb_chain()

    with ThreadPoolExecutor(max_workers=2) as pool:
        if overlap:
            lib, tb = pool.submit(lib_chain), pool.submit(tb_chain)
            return lib.result(), tb.result()
        jobs = [pool.submit(project.compile, pch), pool.submit(build_testbench, project, pch=pch)]
        for job in jobs:
            job.result()
    return lib_chain(), tb_chain()
