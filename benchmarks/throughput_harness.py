"""The timing harness that the throughput benchmarks share (``csim_throughput.py``, ``emulator_throughput.py``).

A QKeras MLP shaped like the demo spec, converted once with the benchmarks' common command-line options, and
wall/CPU timing of one call. Import it from a benchmark run as ``python benchmarks/<name>.py`` (the script's
folder is on ``sys.path``), after any thread limits are set.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from codesign import keras_env

keras_env.setup()

from codesign import hls  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402

INPUT_PRECISION = FixedPrecision.parse("ap_fixed<16,6>")
N_IN, N_OUT = 16, 5  # jet tagging: 16 inputs, 5 classes
PART = "xcvu9p-flga2104-2L-e"


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


def arguments(doc: str) -> argparse.Namespace:
    """The benchmarks' common options: --n, --hidden, --bits, --backend, --out (description: ``doc``'s first line)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--hidden", type=int, nargs="+", default=[64, 32, 32])
    ap.add_argument("--bits", type=int, default=6)
    ap.add_argument("--backend", default="Vitis")
    ap.add_argument("--out", type=Path, default=None)
    return ap.parse_args()


def convert_demo(args: argparse.Namespace, out: Path):
    """The demo-shaped model for ``args`` converted into ``out`` (io_parallel, Latency, RF 1, 5 ns)."""
    model = demo_model(N_IN, args.hidden, N_OUT, args.bits)
    return hls.convert(
        model, backend=args.backend, io_type="io_parallel", strategy="Latency", reuse_factor=1, clock_ns=5.0,
        part=PART, input_precision=INPUT_PRECISION, output_dir=out,
    )  # fmt: skip


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
