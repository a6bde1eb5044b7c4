"""Benchmark of ``codesign build`` on the demo spec: step times, orchestration overhead, rerun cost.

Prints, from one run on this machine:

- each step's seconds and the total of a full (``--force``) build;
- the seconds spent inside the bare library calls that build makes (Keras ``fit``/``predict``,
  hls4ml conversion and project writing, every external process such as g++), measured by timing those
  calls during the same build, and the orchestration overhead = (total - library) / library
  (target <= 20 %);
- an unchanged rerun's total as a fraction of the first (target <= 10 %);
- whether the whole demo fits 3 minutes on this machine.

Usage: ``python benchmarks/build_demo.py [--spec models/jet_mlp.yaml] [--part xcvu9p] [--out DIR]``.
C-simulation throughput is measured by ``benchmarks/csim_throughput.py``.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class LibraryTimer:
    """Accumulates wall time spent inside wrapped library functions (outermost call only)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._depth = 0

    def wrap(self, owner, attr: str, label: str) -> None:
        """Replace ``owner.attr`` by a timed wrapper."""
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if self._depth:
                return original(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

        setattr(owner, attr, timed)

    @property
    def total(self) -> float:
        """Sum over all labels."""
        return sum(self.seconds.values())


def instrument(timer: LibraryTimer) -> None:
    """Wrap the library entry points the build calls."""
    from codesign import keras_env

    keras = keras_env.keras()
    import hls4ml
    from hls4ml.model.graph import ModelGraph

    from codesign import tools

    timer.wrap(keras.Model, "fit", "keras fit")
    timer.wrap(keras.Model, "predict", "keras predict")
    timer.wrap(hls4ml.converters, "convert_from_keras_model", "hls4ml convert")
    timer.wrap(ModelGraph, "write", "hls4ml write")
    timer.wrap(ModelGraph, "predict", "hls4ml predict (ctypes)")
    timer.wrap(tools.subprocess, "run", "external processes (g++, testbench)")


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(REPO / "models" / "jet_mlp.yaml"))
    ap.add_argument("--part", default="xcvu9p")
    ap.add_argument("--out", default=None, help="build folder (default: a temporary one)")
    args = ap.parse_args()

    from codesign.cli.build import run_build

    timer = LibraryTimer()
    instrument(timer)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="codesign_bench_"))

    t0 = time.perf_counter()
    _, state = run_build(Path(args.spec), part=args.part, out=out, force=True, synth=False, echo=lambda *_: None)
    first = time.perf_counter() - t0
    library = timer.total
    by_label = dict(timer.seconds)

    timer.seconds.clear()
    t1 = time.perf_counter()
    _, rerun_state = run_build(Path(args.spec), part=args.part, out=out, force=False, synth=False, echo=lambda *_: None)
    rerun = time.perf_counter() - t1

    print(f"demo build of {args.spec} for {args.part} in {out}")
    print(f"{'step':<14}{'seconds':>10}{'cached':>8}")
    for r in state.records:
        print(f"{r.name:<14}{r.seconds:>10.2f}{str(r.cached):>8}")
    print(f"{'total':<14}{first:>10.2f}")
    print()
    print("inside library calls during the full build:")
    for label, sec in sorted(by_label.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<40}{sec:>8.2f} s")
    overhead = (first - library) / library if library else float("nan")
    print(f"  {'sum':<40}{library:>8.2f} s")
    print()
    print(f"orchestration overhead (total - library) / library: {100 * overhead:.1f} %  (target <= 20 %)")
    print(f"unchanged rerun: {rerun:.2f} s = {100 * rerun / first:.1f} % of the first build  (target <= 10 %)")
    print(f"  rerun steps cached: {[r.name for r in rerun_state.records if r.cached]}")
    print(f"whole demo build: {first:.1f} s  (target <= 180 s on 2 cores)")
    acc = state.bit_accuracy or {}
    print(f"bit-exact: {acc.get('exact')} on {acc.get('n_samples')} inputs")


if __name__ == "__main__":
    main()
