"""`codesign check` against the build's own check on the same number of inputs, on one finished build.

    python benchmarks/check_speed.py BUILD_DIR [--n 20000]

The build's check (csim + compare steps, compiled library and testbench already built) runs hls4ml's
compiled library (``predict``), the g++ testbench in parallel processes and the reference; ``codesign
check`` runs the testbench and the reference (plus the edge cases). Both are timed warm, in one process.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Print both timings and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir", type=Path)
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()

    import codesign
    from codesign import compare, csim, hls, modelio

    build = args.build_dir.resolve()
    project = hls.HlsProject.load(build / "hls")
    model = modelio.load_model(build / "models" / "converted.h5")
    x = compare.grid_inputs(project.input_precision, tuple(model.input_shape[1:]), args.n, seed=0)
    codesign.check(build, n=args.n)  # warm: imports, testbench binary
    t = time.perf_counter()
    res = codesign.check(build, n=args.n)
    t_check = time.perf_counter() - t

    with tempfile.TemporaryDirectory(prefix="check_speed_") as tmp:
        again = hls.convert(model, backend=project.backend, io_type=project.io_type, strategy="Latency",
                            reuse_factor=1, clock_ns=project.clock_ns, part=project.part,
                            input_precision=project.input_precision, output_dir=Path(tmp) / "hls",
                            project_name=project.project_name)  # fmt: skip
        again.compile()
        csim.build_testbench(again)
        t = time.perf_counter()
        v = compare.verify(again, x, workers=2)
        t_build = time.perf_counter() - t
    print(f"n={args.n}: codesign check {t_check:.2f} s (exact={res.exact}, +{len(res.edges)} edge cases); "
          f"the build's check {t_build:.2f} s (exact={v.exact}); ratio {t_build / t_check:.2f}x")


if __name__ == "__main__":
    main()
