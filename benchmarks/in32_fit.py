"""What interaction network over 32 constituents fits a VU9P: codesign's estimate of candidate forms.

Each candidate is the zoo's interaction network (codesign.zoo, the extension-layer form) over 32 constituents
with random 50 %-sparse weights quantized as the shipped specs do (8-bit weights, quantized_relu(8,3),
ap_fixed<16,6> inputs), converted with hls4ml (io_parallel, Latency, RF 1, 5 ns, xcvu9p) and estimated by
codesign (an estimate, not synthesis; no training and no C-simulation: the weights' values change the LUT
count only through their sparsity and size). ``pf`` is ``hls.parallelization_factor`` (outputs of each
per-constituent / per-edge Conv1D computed per cycle; it must divide 32 and 992, so 1-32 or full). The
per-constituent features are those of the shipped ``models/jet_in_32.yaml`` (``data.constituent_features``: 3
since 6 December 2026, 2402.01876's pT / eta_rel / phi_rel; the table in docs/zoo.md before that used 5).
``--node`` gives the node network its own sizes (``model.node``; default: phi's), each candidate a
comma-separated list, with every one-layer edge network of ``--phi`` (default 8), fully parallel.

    python benchmarks/in32_fit.py [--n-const 32] [--phi 8 16] [--out DIR]
    python benchmarks/in32_fit.py --phi 8 --node 8 16 32 32,16 32,32     # node networks beside an edge network [8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codesign import keras_env  # noqa: E402

keras = keras_env.keras()

from codesign import flops, hls, parts, quantize, zoo  # noqa: E402
from codesign.estimate import estimate_project  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from codesign.spec import ModelSpec, QuantizeSpec, load_spec  # noqa: E402

INPUT = FixedPrecision.parse("ap_fixed<16,6>")
SPEC = Path(__file__).resolve().parent.parent / "models" / "jet_in_32.yaml"
# (phi, rho, parallelization factor): the shipped spec first, then folded and smaller edge networks
CANDIDATES = [
    ((32, 16), (16,), "full"),
    ((32, 16), (16,), 32),
    ((32, 16), (16,), 8),
    ((16, 8), (16,), "full"),
    ((32,), (16,), "full"),
    ((16,), (16,), "full"),
    ((8,), (16,), "full"),
]


def n_features(path: Path = SPEC) -> int:
    """Per-constituent input features of the shipped interaction-network spec (its data.constituent_features)."""
    features = load_spec(path).data.constituent_features
    if not features:
        raise SystemExit(f"{path}: data.constituent_features is not set, so the feature count is the file's")
    return len(features)


def candidate(n: int, n_feat: int, phi, rho, pf, out: Path, node=None) -> dict:
    """Convert one candidate and estimate it (``node``: the node network's sizes, None for phi's)."""
    node = None if node is None else tuple(node)
    spec = ModelSpec(family="interaction_net", phi=tuple(phi), node=node, rho=tuple(rho), aggregation="mean")
    model = zoo.build_model(spec, (n, n_feat), 5, seed=0)
    model = keras.Model(model.input, model.get_layer(zoo.LOGITS).output)  # the firmware outputs the logits
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.normal(0, 0.5, w.shape) * (rng.random(w.shape) < 0.5) for w in layer.get_weights()])
    cost = flops.count(model)
    qmodel = quantize.to_qkeras(model, QuantizeSpec(bits=8, integer=0, activation_bits=8, activation_integer=3))
    overrides = {
        lyr.name: {"ParallelizationFactor": int(lyr.output.shape[1]) if pf == "full" else int(pf)}
        for lyr in qmodel.layers
        if type(lyr).__name__ in ("Conv1D", "QConv1D")
    }
    t0 = time.perf_counter()
    project = hls.convert(
        qmodel, backend="Vitis", io_type="io_parallel", strategy="Latency", reuse_factor=1, clock_ns=5.0,
        part="xcvu9p-flga2104-2L-e", input_precision=INPUT, output_dir=out / f"phi{'_'.join(map(str, phi))}{_node_tag(node)}_pf{pf}",
        layer_overrides=overrides,
    )  # fmt: skip
    est = estimate_project(project.path)
    return {"phi": phi, "node": node or phi, "rho": rho, "pf": pf, **cost, "est": est,
            "seconds": time.perf_counter() - t0}  # fmt: skip


def _node_tag(node) -> str:
    return "" if node is None else "_node" + "_".join(map(str, node))


def main() -> None:
    """Estimate every candidate and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-const", type=int, default=32)
    ap.add_argument("--phi", type=int, nargs="+", default=None,
                    help="only the one-layer edge networks of these widths, fully parallel (e.g. 8 16: the cheap ones)")
    ap.add_argument("--node", nargs="+", default=None, metavar="SIZES",
                    help="node networks of their own, each comma-separated (e.g. 16 32,16), beside every one-layer edge "
                    "network of --phi (default 8), fully parallel")  # fmt: skip
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    n_feat = n_features()
    if args.node is not None:
        try:
            nodes = [tuple(int(v) for v in sizes.split(",")) for sizes in args.node]
        except ValueError:
            raise SystemExit(f"--node: each candidate is a comma-separated list of integers, got {args.node}") from None
        cands = [((w,), (16,), "full", node) for w in (args.phi or [8]) for node in nodes]
    elif args.phi is None:
        cands = [(*c, None) for c in CANDIDATES]
    else:
        cands = [(*c, None) for c in CANDIDATES if c[2] == "full" and len(c[0]) == 1 and c[0][0] in args.phi]
    out = args.out or Path(tempfile.mkdtemp(prefix="in32_fit_"))
    lut_total = parts.resolve_part("xcvu9p").lut
    print(f"interaction network over {args.n_const} constituents x {n_feat} features ({SPEC.name}), xcvu9p, 5 ns "
          "(codesign estimate, not synthesis)")
    print("| phi (edge) | node | rho | pf | params | FLOPs | latency | II | LUT | DSP |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for phi, rho, pf, node in cands:
        r = candidate(args.n_const, n_feat, phi, rho, pf, out, node)
        e = r["est"]
        print(f"| {list(phi)} | {list(r['node'])} | {list(rho)} | {pf} | {r['params']:,} | {r['flops']:,} | {e.latency_cycles} cyc "
              f"({e.latency_ns:.0f} ns) | {e.ii_cycles} | {e.lut:,} ({100 * e.lut / lut_total:.0f} %) | {e.dsp:,} |",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
