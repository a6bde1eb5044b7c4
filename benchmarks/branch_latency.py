"""Latency of branched io_parallel designs: the longest path through the top's calls against every call in turn.

Builds two designs with codesign's own conversion (no training: seeded random weights; no synthesis) and estimates
each twice: as the estimator does (the longest path through the call graph, codesign/estimate/call_graph.py) and
with the graph withheld (every call in program order: the figure the estimator gave before the call graph):

- ``two_branch``: Dense 8 -> 6 -> ReLU -> 6 -> ReLU -> 4 beside Dense 8 -> 4 on one input, Concatenate, Dense 3
  (Vitis HLS, Latency, RF 1, 5 ns);
- ``jet_in_8``: the interaction network of ``models/jet_in_8.yaml`` (its model, quantize and hls settings, the
  build's Conv1D parallelization), whose receiver and sender terms read the input side by side.

Each on the build's default part (xcvu9p) and on a 7-series part (xc7z020: Vitis HLS adds a cycle per dense call at
II 1, constants.TOP_CYCLES_II1_PER_DENSE). About 20 s::

    .venv/bin/python benchmarks/branch_latency.py [--work /tmp/branch_latency]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesign import hls, keras_env  # noqa: E402

keras_env.setup()

from codesign import quantize, zoo  # noqa: E402
from codesign.estimate.design import build_calls  # noqa: E402
from codesign.estimate.network import estimate_settings, top_style  # noqa: E402
from codesign.estimate.settings import read_project  # noqa: E402
from codesign.parts import resolve_part  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from codesign.spec.load import load_spec  # noqa: E402
from codesign.steps.firmware import _layer_overrides  # noqa: E402

PARTS = ("xcvu9p-flga2104-2L-e", "xc7z020clg400-1")


def _randomize(model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.trainable and layer.get_weights():
            layer.set_weights([rng.normal(0.0, 0.6, w.shape) for w in layer.get_weights()])


def two_branch():
    """(model, hls spec): a deep and a shallow Dense branch on one input, concatenated."""
    from codesign.spec.hls import HlsSpec

    keras = keras_env.keras()
    L = keras.layers
    x = keras.Input((8,), name="x")
    a = L.Activation("relu", name="a1r")(L.Dense(6, name="a1")(x))
    a = L.Dense(4, name="a3")(L.Activation("relu", name="a2r")(L.Dense(6, name="a2")(a)))
    h = L.Concatenate(name="cat")([a, L.Dense(4, name="b1")(x)])
    model = keras.Model(x, L.Dense(3, name="out")(h))
    _randomize(model, 3)
    return model, HlsSpec(), FixedPrecision.parse("ap_fixed<16,6>")


def jet_in_8():
    """(model, hls spec): models/jet_in_8.yaml's architecture, quantized as its spec says."""
    spec = load_spec(ROOT / "models" / "jet_in_8.yaml")
    shape = (spec.data.n_constituents, len(spec.data.constituent_features))
    model = quantize.to_qkeras(zoo.build_model(spec.model, shape, 5, seed=0), spec.quantize)
    _randomize(model, 0)
    return model, spec.hls, spec.quantize.input


def estimate_both(settings: dict, part: str) -> tuple[int, int, str]:
    """(longest path, every call in turn, top style) of one project on one part."""
    calls = build_calls(settings)
    path = estimate_settings(settings, resolve_part(part)).latency_cycles
    # a graph that cannot be read (no call passes an array) is taken in program order: the former figure
    chain = {**settings, "top_call_vars": [[] for _ in settings["top_calls"]]}
    return path, estimate_settings(chain, resolve_part(part)).latency_cycles, top_style(settings, calls)[0]


def main(argv: list[str] | None = None) -> None:
    """Convert both designs, print the two figures per part."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/branch_latency"), help="where the projects are written")
    args = ap.parse_args(argv)
    print(f"{'design':12s} {'part':22s} {'top':9s} {'longest path':>12s} {'every call':>10s}")
    for name, make in (("two_branch", two_branch), ("jet_in_8", jet_in_8)):
        model, h, precision = make()
        project = hls.convert(
            model, backend=h.backend.value, io_type=h.io_type, strategy=h.strategy, reuse_factor=h.reuse_factor,
            clock_ns=h.clock_ns, part=PARTS[0], input_precision=precision, output_dir=args.work / name,
            layer_overrides=_layer_overrides(model, h),
        )  # fmt: skip
        settings = read_project(project.path)
        for part in PARTS:
            path, chain, style = estimate_both(settings, part)
            print(f"{name:12s} {part:22s} {style:9s} {path:12d} {chain:10d}")


if __name__ == "__main__":
    main()
