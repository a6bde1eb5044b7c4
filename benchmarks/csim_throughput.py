"""C-simulation throughput: codesign's g++ testbench (1 and 2 worker processes) vs hls4ml's ctypes predict.

Same converted project, same 100k inputs on the input grid; prints samples/s side by side and the ratios,
and checks the three outputs are identical (a fast wrong answer is not a result).

    python benchmarks/csim_throughput.py [--n 100000] [--hidden 64 32 32] [--bits 6] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from codesign import keras_env

keras_env.setup()

from codesign import compare, csim, hls  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402

INPUT_PRECISION = FixedPrecision.parse("ap_fixed<16,6>")


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


def timed(fn, *args, **kw):
    """(result, seconds) of one call."""
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def main() -> None:
    """Build the project once, then time predict and run_csim with 1 and 2 workers on the same inputs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--hidden", type=int, nargs="+", default=[64, 32, 32])
    ap.add_argument("--bits", type=int, default=6)
    ap.add_argument("--backend", default="Vitis")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="csim_bench_"))
    model = demo_model(16, args.hidden, 5, args.bits)
    project, t_convert = timed(
        hls.convert,
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
