"""The C-sim step's two paths (hls4ml's ctypes library: compile then predict; codesign's testbench: compile then
run) overlapped as two chains vs the sequential order (both compiles side by side, then predict, then run).

A demo-shaped QKeras MLP (16 -> 64, 32, 32 -> 5) is converted once per run into a fresh folder (so every run
compiles from scratch), and the runs alternate sequential / overlapped so that a change of machine load hits
both alike. Prints the wall and CPU seconds (this process and its g++ / testbench children) of each run, the
mean wall ratio, and checks that every run's outputs are identical (a fast wrong answer is not a result).

    python benchmarks/csim_overlap.py [--repeats 2] [--n 2000] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from throughput_harness import INPUT_PRECISION, cpu_seconds, demo_model

from codesign import compare, csim, hls


def one_run(model, x: np.ndarray, out: Path, overlap: bool) -> tuple[float, float, tuple]:
    """Convert into ``out`` and C-simulate both paths; returns (wall s, CPU s, outputs)."""
    project = hls.convert(model, backend="Vivado", io_type="io_parallel", strategy="Latency", reuse_factor=1,
                          clock_ns=5.0, part="xcvu9p-flga2104-2L-e", input_precision=INPUT_PRECISION,
                          output_dir=out)  # fmt: skip
    c0, t0 = cpu_seconds(), time.perf_counter()
    outs = csim.library_and_testbench(project, x, workers=2, overlap=overlap)
    return time.perf_counter() - t0, cpu_seconds() - c0, outs


def main() -> None:
    """Alternate sequential and overlapped runs and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2, help="runs of each order")
    ap.add_argument("--n", type=int, default=2000, help="inputs (the demo spec's check.n_samples)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    root = Path(args.out or tempfile.mkdtemp(prefix="csim_overlap_"))
    model = demo_model(16, [64, 32, 32], 5, 6)
    x = compare.grid_inputs(INPUT_PRECISION, (16,), args.n, seed=0)
    rows: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    first = None
    for i in range(args.repeats):
        for overlap in (False, True):
            wall, cpu, outs = one_run(model, x, root / f"run{i}_{'overlap' if overlap else 'sequential'}", overlap)
            first = outs if first is None else first
            for a, b in zip(first, outs, strict=True):
                np.testing.assert_array_equal(a, b)  # every run, both paths: the same outputs
            rows[overlap].append((wall, cpu))
            load = os.getloadavg()[0]
            print(f"run {i} {'overlapped' if overlap else 'sequential'}: {wall:.1f} s wall, {cpu:.1f} CPU s "
                  f"({cpu / wall:.2f} cores busy), load average {load:.1f}", flush=True)  # fmt: skip
    np.testing.assert_array_equal(first[0], first[1])  # library and testbench agree bit for bit
    mean = {k: (sum(w for w, _ in v) / len(v), sum(c for _, c in v) / len(v)) for k, v in rows.items()}
    print(f"sequential: {mean[False][0]:.1f} s wall, {mean[False][1]:.1f} CPU s; overlapped: {mean[True][0]:.1f} s "
          f"wall, {mean[True][1]:.1f} CPU s; overlapped / sequential wall: {mean[True][0] / mean[False][0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
