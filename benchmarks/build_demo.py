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
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class LibraryTimer:
    """Wall time spent inside wrapped library functions.

    Per label, the outermost call of each thread is timed (nested wrapped calls are not counted twice);
    the total is the wall time during which at least one library call runs, so two g++ processes started
    side by side by two threads count once, as the build's wall clock sees them.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.union = 0.0
        self._local = threading.local()
        self._lock = threading.Lock()
        self._active = 0
        self._since = 0.0

    def wrap(self, owner, attr: str, label: str) -> None:
        """Replace ``owner.attr`` by a timed wrapper."""
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            depth = getattr(self._local, "depth", 0)
            if depth:
                return original(*args, **kwargs)
            self._local.depth = 1
            start = time.perf_counter()
            with self._lock:
                if self._active == 0:
                    self._since = start
                self._active += 1
            try:
                return original(*args, **kwargs)
            finally:
                end = time.perf_counter()
                self._local.depth = 0
                with self._lock:
                    self._active -= 1
                    if self._active == 0:
                        self.union += end - self._since
                    self.seconds[label] = self.seconds.get(label, 0.0) + end - start

        setattr(owner, attr, timed)

    @property
    def total(self) -> float:
        """Wall time with at least one library call running."""
        return self.union

    def reset(self) -> None:
        """Forget what was measured."""
        self.seconds.clear()
        self.union = 0.0


def instrument(timer: LibraryTimer) -> None:
    """Wrap the library entry points the build calls: those a hand-written notebook doing the same job
    calls too (Keras model building, training, saving; tfmot's pruning wrappers; hls4ml; g++; plotting).

    Model building counts as Keras time through ``clone_model`` (the QKeras and pruned copies) and
    ``compile``; codesign's own work (spec parsing, the float64 reference, the estimator, the reports'
    text, caching) is what is left outside.
    """
    from codesign import keras_env

    keras = keras_env.keras()
    import hls4ml
    import matplotlib.figure
    import tensorflow_model_optimization as tfmot
    from hls4ml.model.graph import ModelGraph

    from codesign import tools

    timer.wrap(keras.Model, "fit", "keras fit")
    timer.wrap(keras.Model, "predict", "keras predict")
    timer.wrap(keras.Model, "compile", "keras compile")
    timer.wrap(keras.Model, "save", "keras save")
    timer.wrap(keras.models, "clone_model", "keras clone_model (QKeras / pruned copies)")
    timer.wrap(tfmot.sparsity.keras, "strip_pruning", "tfmot strip_pruning")
    timer.wrap(hls4ml.converters, "convert_from_keras_model", "hls4ml convert")
    timer.wrap(ModelGraph, "write", "hls4ml write")
    timer.wrap(ModelGraph, "predict", "hls4ml predict (ctypes)")
    timer.wrap(tools.subprocess, "run", "external processes (g++, testbench)")
    timer.wrap(matplotlib.figure.Figure, "savefig", "matplotlib savefig")


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(REPO / "models" / "jet_mlp.yaml"))
    ap.add_argument("--part", default="xcvu9p")
    ap.add_argument("--out", default=None, help="build folder (default: a temporary one)")
    args = ap.parse_args()

    from codesign.api import run_build

    timer = LibraryTimer()
    instrument(timer)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="codesign_bench_"))

    t0 = time.perf_counter()
    _, state = run_build(Path(args.spec), part=args.part, out=out, force=True, synth=False, progress=None)
    first = time.perf_counter() - t0
    library = timer.total
    by_label = dict(timer.seconds)

    timer.reset()
    t1 = time.perf_counter()
    _, rerun_state = run_build(Path(args.spec), part=args.part, out=out, force=False, synth=False, progress=None)
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
    print(f"  {'wall time inside any of them':<40}{library:>8.2f} s")
    print()
    print(f"orchestration overhead (total - library) / library: {100 * overhead:.1f} %  (target <= 20 %)")
    print(f"unchanged rerun: {rerun:.2f} s = {100 * rerun / first:.1f} % of the first build  (target <= 10 %)")
    print(f"  rerun steps cached: {[r.name for r in rerun_state.records if r.cached]}")
    print(f"whole demo build: {first:.1f} s  (target <= 180 s on 2 cores)")
    acc = state.bit_accuracy or {}
    print(f"bit-exact: {acc.get('exact')} on {acc.get('n_samples')} inputs")


if __name__ == "__main__":
    main()
