"""C-simulation as its own process: the project's firmware built with g++ into codesign's testbench.

The testbench (``firmware_templates/testbench.cpp.tmpl``) is a fixed template; this module only fills
in the top function's ports. It reads raw float64 inputs and writes raw float64 outputs converted with
``to_double()`` (exact for types up to 53 bits), so nothing is lost to a 6-digit text format. Large
input arrays are split into chunks run by parallel processes (one per core).
"""

from __future__ import annotations

import hashlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from codesign import tools
from codesign.errors import SpecError, ToolError
from codesign.hls import HlsProject
from codesign.resources import shipped_path

TEMPLATE = shipped_path("firmware_templates", "testbench.cpp.tmpl")
TB_SOURCE = "codesign_tb.cpp"
TB_BINARY = "codesign_tb"
STACK_MB = 1024
COMPILE_TIMEOUT_S = 1800.0
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


def build_testbench(project: HlsProject | Path, *, opt: str = "-O2", weights_dir: Path | None = None) -> Path:
    """Compile the project's firmware with codesign's testbench into an executable; returns its path.

    ``weights_dir``: where the C-simulation loads the weights' ``.txt`` files from (default the project's
    ``firmware/weights``; :func:`codesign.firmware.files.synthesized_weights` writes the ``.h`` values).
    """
    proj = _project(project)
    gxx = tools.require("g++", "build the C-simulation testbench")
    src = render_testbench(proj)
    path = proj.path
    weights = Path(weights_dir or path / "firmware" / "weights").resolve()
    common = [gxx, opt, "-std=c++14", "-pthread", "-Ifirmware", "-Ifirmware/ap_types", "-I."]
    weights_def = f'-DWEIGHTS_DIR="{weights}"'
    units = [(TB_SOURCE, "codesign_tb.o"), (f"firmware/{proj.project_name}.cpp", "codesign_fw.o")]
    argv = common + [weights_def, "-o", TB_BINARY] + [u for u, _ in units]
    stamp = hashlib.sha256((src + " ".join(argv) + _firmware_digest(path)).encode()).hexdigest()
    exe = path / TB_BINARY
    stamp_file = path / (TB_BINARY + ".stamp")
    if exe.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return exe
    (path / TB_SOURCE).write_text(src)
    # the two translation units compile in parallel (one per core), then link
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [
            pool.submit(
                tools.run,
                [*common, weights_def, "-c", unit, "-o", obj],
                cwd=path,
                log=path / "logs" / f"build_testbench_{obj}.log",
                timeout_s=COMPILE_TIMEOUT_S,
            )
            for unit, obj in units
        ]
        for job in jobs:
            job.result()
    tools.run(
        [gxx, "-pthread", "-o", TB_BINARY, *[obj for _, obj in units]],
        cwd=path,
        log=path / "logs" / "build_testbench_link.log",
        timeout_s=COMPILE_TIMEOUT_S,
    )
    stamp_file.write_text(stamp)
    return exe


def _firmware_digest(path: Path) -> str:
    """Hash of the firmware sources, so an edited weight or kernel forces a rebuild."""
    h = hashlib.sha256()
    fw = path / "firmware"
    for f in sorted(fw.rglob("*")):
        if f.is_file() and f.suffix in (".h", ".cpp", ".txt") and "ap_types" not in f.parts:
            h.update(str(f.relative_to(fw)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


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
    opt: str = "-O2",
    weights_dir: Path | None = None,
) -> np.ndarray | list[np.ndarray]:
    """Run the g++ testbench on ``x`` (float64, one row per sample) in parallel chunks; returns float64 outputs."""
    proj = _project(project)
    exe = build_testbench(proj, opt=opt, weights_dir=weights_dir)
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
                          overlap: bool = True) -> tuple:  # fmt: skip
    """Both C-simulations of a converted project on ``x``: (hls4ml's ctypes library's outputs, codesign's g++
    testbench's), each as :meth:`HlsProject.predict` / :func:`run_csim` return them.

    They are independent g++ builds and runs, so with ``overlap`` each path runs as one chain in its own thread
    (library: compile, then predict; testbench: compile, then run), and a core left idle by one path's link or
    single-threaded predict goes to the other. ``overlap=False`` compiles both side by side, then predicts, then
    runs the testbench (the order before; kept for the test that both give equal outputs).
    """

    def library():
        project.compile()
        return project.predict(x)

    def testbench():
        build_testbench(project)
        return run_csim(project, x, workers=workers)

    with ThreadPoolExecutor(max_workers=2) as pool:
        if overlap:
            lib, tb = pool.submit(library), pool.submit(testbench)
            return lib.result(), tb.result()
        jobs = [pool.submit(project.compile), pool.submit(build_testbench, project)]
        for job in jobs:
            job.result()
    return library(), testbench()
