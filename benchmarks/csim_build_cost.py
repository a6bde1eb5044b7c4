"""CPU seconds of a scan point's C-simulation, per g++ unit and per run, and old vs new code side by side.

A demo-shaped QKeras MLP (16 -> 64, 32, 32 -> 5, 6-bit, Vitis, io_parallel) is converted into a fresh folder.

``stages``: each g++ command of the C-sim step timed alone (CPU of the child: user + system, which does not
depend on the machine's load the way wall time does): the firmware unit as hls4ml's build_lib.sh compiles it
(-O3 -fPIC), the bridge, the library link, the firmware unit as the testbench compiled it before
(-O2 -std=c++14), the testbench unit (both ways), its link, the firmware unit at -O2 (an option not taken: the
library would no longer be build_lib.sh's); then hls4ml's predict and the testbench run on ``--n`` inputs.

``compare``: ``csim.library_and_testbench`` (what a scan point runs) of each ``--code`` tree (a folder holding
a ``codesign`` package, e.g. ``git archive main`` unpacked), each run in its own process on a fresh conversion,
the trees alternating so that a change of load hits both alike; prints CPU and wall seconds per run and the
means, and checks that every run of every tree gives the same outputs (library and testbench alike).

    python benchmarks/csim_build_cost.py stages [--n 2000] [--out DIR]
    python benchmarks/csim_build_cost.py compare --code /tmp/main_tree --code . [--repeats 3] [--n 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _cpu(who: int) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


def demo_project(out: Path):
    """The demo-shaped MLP converted into ``out`` (with the codesign on ``sys.path``)."""
    sys.path.insert(0, str(HERE))
    from throughput_harness import convert_demo

    return convert_demo(argparse.Namespace(hidden=[64, 32, 32], bits=6, backend="Vitis"), out)


def inputs(n: int) -> np.ndarray:
    """``n`` demo inputs on the ap_fixed<16,6> grid."""
    from codesign import compare
    from codesign.precision import FixedPrecision

    return compare.grid_inputs(FixedPrecision.parse("ap_fixed<16,6>"), (16,), n, seed=0)


def stages(n: int, out: Path) -> None:
    """Time each g++ unit and link of both schemes alone, then predict and the testbench run."""
    from codesign import csim
    from codesign.hls import library_build as lb

    p = demo_project(out / "stages")
    path, name = p.path, p.project_name
    (path / csim.TB_SOURCE).write_text(csim.render_testbench(p))
    wdef = lb.weights_define(path / "firmware" / "weights")
    lib_flags = list(lb.compile_flags())
    old_tb = ["-O2", "-std=c++14", "-pthread", *csim.TB_INCLUDES]
    (path / "objs").mkdir()
    cmds = {
        "firmware unit, build_lib.sh flags (-O3 -fPIC)": [*lib_flags, "-Ifirmware/ap_types/", wdef, "-c",
                                                         f"firmware/{name}.cpp", "-o", "objs/fw3.o"],
        "bridge unit (build_lib.sh flags)": [*lib_flags, "-Ifirmware/ap_types/", wdef, "-c", f"{name}_bridge.cpp",
                                             "-o", "objs/bridge.o"],
        "library link": [*lib_flags, "-shared", "objs/fw3.o", "objs/bridge.o", "-o", "objs/lib.so"],
        "firmware unit, old testbench flags (-O2 c++14)": [*old_tb, wdef, "-c", f"firmware/{name}.cpp", "-o",
                                                           "objs/fw2.o"],
        "testbench unit, old flags (-O2 c++14)": [*old_tb, wdef, "-c", csim.TB_SOURCE, "-o", "objs/tb2.o"],
        "testbench unit, new flags (build_lib.sh's)": [*lib_flags, "-pthread", *csim.TB_INCLUDES, wdef, "-c",
                                                       csim.TB_SOURCE, "-o", "objs/tb3.o"],
        "testbench link": ["-pthread", "-o", "objs/tb", "objs/tb3.o", "objs/fw3.o"],
        "(option) firmware unit at -O2, other flags build_lib.sh's": ["-O2", *lib_flags[1:], "-Ifirmware/ap_types/",
                                                                    wdef, "-c", f"firmware/{name}.cpp", "-o",
                                                                    "objs/fw2p.o"],
    }  # fmt: skip
    print(f"load average before: {os.getloadavg()[0]:.1f}; project {path}")
    for label, argv in cmds.items():
        c0, t0 = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run(["g++", *argv], cwd=path, check=True, capture_output=True)
        print(f"{label:<58}{_cpu(resource.RUSAGE_CHILDREN) - c0:7.2f} CPU s  {time.perf_counter() - t0:6.2f} s wall")
    x = inputs(n)
    p.compile()
    c1 = _cpu(resource.RUSAGE_SELF)
    y_lib = p.predict(x)
    print(f"{'hls4ml predict (ctypes, this process)':<58}{_cpu(resource.RUSAGE_SELF) - c1:7.2f} CPU s")
    csim.build_testbench(p)
    c0, t0 = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    y_tb = csim.run_csim(p, x, workers=2)  # up to date: only the stamp checks and the run (2 chunk processes)
    print(f"{'testbench run (2 processes)':<58}{_cpu(resource.RUSAGE_CHILDREN) - c0:7.2f} CPU s  "
          f"{time.perf_counter() - t0:6.2f} s wall")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}; library == testbench: {np.array_equal(y_lib, y_tb)}")


def one_run(n: int, out: Path) -> None:
    """(child) Convert into ``out``, run both C-sims, print CPU/wall as JSON and save the outputs."""
    from codesign import csim

    p = demo_project(out)
    x = inputs(n)
    c0, s0, t0 = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF), time.perf_counter()
    lib, tb = csim.library_and_testbench(p, x, workers=2)
    wall = time.perf_counter() - t0
    np.save(out / "outputs.npy", np.stack([lib, tb]))
    print(json.dumps({"children_cpu": _cpu(resource.RUSAGE_CHILDREN) - c0, "self_cpu": _cpu(resource.RUSAGE_SELF) - s0,
                      "wall": wall, "load": os.getloadavg()[0]}))  # fmt: skip


def compare(codes: list[Path], repeats: int, n: int, out: Path) -> None:
    """Alternate the code trees' runs in fresh processes; print per run and mean CPU/wall, check equal outputs."""
    rows: dict[Path, list[dict]] = {c: [] for c in codes}
    first = None
    for i in range(repeats):
        for j, code in enumerate(codes):
            run_dir = out / f"run{i}_code{j}"
            env = dict(os.environ, PYTHONPATH=str(code))
            res = subprocess.run([sys.executable, __file__, "one", "--n", str(n), "--out", str(run_dir)], env=env,
                                 capture_output=True, text=True, cwd=code)  # fmt: skip
            if res.returncode != 0:
                raise SystemExit(f"run with {code} failed:\n{res.stderr[-3000:]}")
            row = json.loads(res.stdout.strip().splitlines()[-1])
            outs = np.load(run_dir / "outputs.npy")
            if not np.array_equal(outs[0], outs[1]) or (first is not None and not np.array_equal(outs, first)):
                raise SystemExit(f"outputs differ in {run_dir}: the timings are meaningless")
            first = outs if first is None else first
            rows[code].append(row)
            cpu = row["children_cpu"] + row["self_cpu"]
            print(f"run {i} {code}: {cpu:.1f} CPU s ({row['children_cpu']:.1f} in g++/testbench), "
                  f"{row['wall']:.1f} s wall, load average {row['load']:.1f}", flush=True)  # fmt: skip
    means = {c: (np.mean([r["children_cpu"] + r["self_cpu"] for r in v]), np.mean([r["wall"] for r in v]))
             for c, v in rows.items()}  # fmt: skip
    for c, (cpu, wall) in means.items():
        print(f"mean {c}: {cpu:.1f} CPU s, {wall:.1f} s wall over {repeats} runs")
    if len(codes) == 2:
        (c_a, w_a), (c_b, w_b) = means[codes[0]], means[codes[1]]
        print(f"second / first: CPU {c_b / c_a:.2f}, wall {w_b / w_a:.2f}; all outputs identical")


def main() -> None:
    """Parse the mode and run it."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("stages", "compare", "one"))
    ap.add_argument("--n", type=int, default=2000, help="inputs (the demo spec's check.n_samples)")
    ap.add_argument("--code", type=Path, action="append", default=[], help="a tree with a codesign package")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="csim_build_cost_"))
    if args.mode == "stages":
        stages(args.n, out)
    elif args.mode == "one":
        one_run(args.n, out)
    else:
        if not args.code:
            raise SystemExit("compare needs --code DIR (twice to compare two trees)")
        compare([c.resolve() for c in args.code], args.repeats, args.n, out)


if __name__ == "__main__":
    main()
