"""RTL (da4ml -> Verilog, Verilator, yosys) vs HLS (hls4ml, codesign estimate, g++ C-sim) on the demo MLP shape.

Same QKeras model (16 -> 64 -> 32 -> 32 -> 5 at 6 bits by default, random weights: the shape of
models/jet_mlp.yaml without training it), same inputs on the input grid. Prints yosys LUT/FF and the RTL latency
beside the HLS estimate (target: RTL LUT <= 0.5x, latency no worse), Verilator samples/s beside the g++ C-sim,
the wall time of each stage, and whether the RTL, the C-sim and the float64 reference agree bit for bit.

    python benchmarks/rtl_vs_hls.py [--n 20000] [--hidden 64 32 32] [--bits 6] [--clock-ns 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from csim_throughput import INPUT_PRECISION, demo_model, timed  # noqa: E402

from codesign import compare, csim, hls, parts, reference  # noqa: E402
from codesign.estimate import estimate_project  # noqa: E402
from codesign.rtl import flow  # noqa: E402


def main() -> None:
    """Convert, estimate and C-simulate with hls4ml; trace, verilate, simulate and count with da4ml/yosys."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--hidden", type=int, nargs="+", default=[64, 32, 32])
    ap.add_argument("--bits", type=int, default=6)
    ap.add_argument("--clock-ns", type=float, default=5.0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="rtl_bench_"))
    part = parts.resolve_part("xcvu9p")
    model = demo_model(16, args.hidden, 5, args.bits)
    x = compare.grid_inputs(INPUT_PRECISION, (16,), args.n, seed=0)
    ref = np.asarray(reference.reference_outputs(model, x), np.float64).reshape(len(x), -1)

    project, t_convert = timed(hls.convert, model, backend="Vitis", io_type="io_parallel", strategy="Latency",
                               reuse_factor=1, clock_ns=args.clock_ns, part=part.full_name,
                               input_precision=INPUT_PRECISION, output_dir=out / "hls")  # fmt: skip
    est, t_est = timed(estimate_project, Path(project.path), part)
    est = est.to_dict() if hasattr(est, "to_dict") else dict(est)
    _, t_tb = timed(csim.build_testbench, project)
    y_cs, t_cs = timed(csim.run_csim, project, x, workers=2)
    cs_exact = np.array_equal(np.asarray(y_cs, np.float64).reshape(ref.shape), ref)

    t0 = time.perf_counter()
    rtl = flow.build(model, INPUT_PRECISION, x, out, clock_ns=args.clock_ns, part=part.full_name)
    t_rtl = time.perf_counter() - t0

    print(f"model 16 -> {args.hidden} -> 5, {args.bits}-bit, clock {args.clock_ns} ns, {args.n} inputs; out {out}")
    print(f"bit-exact vs float64 reference: C-sim {cs_exact}, RTL (Verilator) {rtl['bit_exact']}")
    print(f"{'figure':<16}{'RTL':>10}{'HLS estimate':>14}{'RTL/HLS':>9}")
    for fig in ("latency_cycles", "latency_ns", "ii_cycles", "lut", "ff"):
        r, e = rtl.get(fig), est.get(fig)
        ratio = f"{r / e:.3f}" if isinstance(r, (int, float)) and isinstance(e, (int, float)) and e else ""
        print(f"{fig:<16}{r!s:>10}{e!s:>14}{ratio:>9}")
    print(f"carry cells (yosys) {rtl.get('carry')}, da4ml's own estimate {rtl['da4ml_estimate']}, {rtl['tools']}")
    sim_s = rtl["seconds"]["simulate"]
    print(f"throughput: Verilator {args.n / sim_s:,.0f} samples/s (1 thread) vs g++ C-sim {args.n / t_cs:,.0f} "
          f"samples/s (2 workers)")  # fmt: skip
    print(f"wall seconds: hls4ml convert {t_convert:.1f}, estimate {t_est:.1f}, testbench build {t_tb:.1f}, "
          f"C-sim run {t_cs:.2f}; rtl total {t_rtl:.1f} = {rtl['seconds']}")  # fmt: skip
    print(f"cores {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f}")
    if not (cs_exact and rtl["bit_exact"]):
        raise SystemExit("an implementation is not bit-exact: the figures compare different designs")


if __name__ == "__main__":
    main()
