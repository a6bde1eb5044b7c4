"""C-simulation throughput: codesign's g++ testbench (1 and 2 worker processes) vs hls4ml's ctypes predict.

Same converted project, same 100k inputs on the input grid; prints samples/s side by side and the ratios,
and checks the three outputs are identical (a fast wrong answer is not a result).

    python benchmarks/csim_throughput.py [--n 100000] [--hidden 64 32 32] [--bits 6] [--out DIR]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from throughput_harness import INPUT_PRECISION, arguments, convert_demo, cpu_seconds, measure

from codesign import compare, csim


def timed(fn, *args, **kw):
    """(result, wall seconds) of one call."""
    out, wall, _ = measure(fn, *args, **kw)
    return out, wall


def main() -> None:
    """Build the project once, then time predict and run_csim with 1 and 2 workers on the same inputs."""
    args = arguments(__doc__)
    out = args.out or Path(tempfile.mkdtemp(prefix="csim_bench_"))
    project, t_convert = timed(convert_demo, args, out)
    _, t_lib = timed(project.compile)
    _, t_tb = timed(csim.build_testbench, project)
    x = compare.grid_inputs(INPUT_PRECISION, (16,), args.n, seed=0)

    load_before = os.getloadavg()[0]
    c0 = cpu_seconds()
    y_pred, t_pred = timed(project.predict, x)
    c1 = cpu_seconds()
    y1, t1 = timed(csim.run_csim, project, x, workers=1)
    c2 = cpu_seconds()
    y2, t2 = timed(csim.run_csim, project, x, workers=2)
    c3 = cpu_seconds()
    cpu = [c1 - c0, c2 - c1, c3 - c2]
    same = (
        compare.compare_exact(y_pred, y1, reference="predict").exact
        and compare.compare_exact(y_pred, y2, reference="predict").exact
    )

    n = args.n
    print(f"model: 16 -> {args.hidden} -> 5, {args.bits}-bit, {args.backend}, {n} samples; project {out}")
    print(
        f"convert {t_convert:.1f} s | ctypes library build (build_lib.sh -O3) {t_lib:.1f} s | testbench build -O2 {t_tb:.1f} s"
    )
    print(f"{'path':<34}{'seconds':>9}{'samples/s':>12}{'vs predict':>12}{'CPU us/sample':>15}")
    rows = [
        ("hls4ml predict (ctypes)", t_pred),
        ("codesign testbench, 1 worker", t1),
        ("codesign testbench, 2 workers", t2),
    ]
    for (name, t), c in zip(rows, cpu, strict=True):
        print(f"{name:<34}{t:>9.2f}{n / t:>12.0f}{t_pred / t:>11.2f}x{1e6 * c / n:>15.1f}")
    print(
        f"cores {len(os.sched_getaffinity(0))}, load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after "
        "(other processes on the cores lower the 2-worker gain; CPU us/sample does not depend on them)"
    )
    print(f"outputs identical across the three paths: {same}")
    if not same:
        raise SystemExit("outputs differ: throughput figures are meaningless")


if __name__ == "__main__":
    main()
