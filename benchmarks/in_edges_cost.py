"""Interaction-network firmware: unrolled 0/1 incidence matrices (codesign before) vs the extension layers (now).

Both models compute the same function with the same quantized weights: the former form gathers receivers and
senders with fixed 0/1 pointwise Conv1D layers on the transposed input, runs the edge MLP's first layer on the
concatenated [x_r; x_s] of every edge and sums messages with another 0/1 layer; the new form (codesign.zoo)
computes that first layer's receiver and sender terms once per node and adds them per edge (EdgePairSum), and
sums messages with ReceiverSum. The new model's weights are random (50 % zeros, as after pruning), quantized
by codesign's own to_qkeras; the former model gets the same weights (its first edge kernel is [W_r; W_s]).
Both are converted with hls4ml (io_parallel, Latency, RF 1, every Conv1D fully parallel as a build sets it),
estimated by codesign (estimate, not synthesis) and C-simulated with g++: the two firmwares' outputs are
checked equal to each other and to the float64 reference, bit for bit.

    python benchmarks/in_edges_cost.py [--n-const 8] [--phi 32 16] [--rho 16] [--bits 8] [--n 2000] [--out DIR]
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

from codesign import compare, csim, hls, quantize, reference, zoo  # noqa: E402
from codesign.estimate import estimate_project  # noqa: E402
from codesign.precision import FixedPrecision  # noqa: E402
from codesign.spec import ModelSpec, QuantizeSpec  # noqa: E402

INPUT = FixedPrecision.parse("ap_fixed<16,6>")
N_FEAT = 5


def incidence(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Receiver and sender 0/1 matrices (n, n(n-1)), edges receiver-major as the extension layers number them."""
    edges = [(r, s) for r in range(n) for s in range(n) if r != s]
    rr = np.zeros((n, len(edges)), np.float32)
    rs = np.zeros((n, len(edges)), np.float32)
    for e, (r, s) in enumerate(edges):
        rr[r, e] = rs[s, e] = 1.0
    return rr, rs


def unrolled_model(n: int, phi: list[int], rho: list[int], n_classes: int = 5):
    """The former zoo interaction network (fixed 0/1 Conv1D layers), float, untrained."""
    L = keras.layers
    rr, rs = incidence(n)
    inp = keras.Input(shape=(n, N_FEAT), name="inputs")
    xt = L.Permute((2, 1), name="transpose_in")(inp)

    def fixed(x, matrix, name):
        layer = L.Conv1D(matrix.shape[1], kernel_size=1, use_bias=False, trainable=False, name=name)
        y = layer(x)
        layer.set_weights([matrix[None, :, :]])
        return y

    def block(x, sizes, prefix):
        for i, k in enumerate(sizes, start=1):
            x = L.Conv1D(k, 1, name=f"{prefix}_{i}")(x)
            x = L.Activation("relu", name=f"{prefix}_relu_{i}")(x)
        return x

    recv = L.Permute((2, 1), name="receivers")(fixed(xt, rr, "edges_receiver"))
    send = L.Permute((2, 1), name="senders")(fixed(xt, rs, "edges_sender"))
    e = block(L.Concatenate(axis=-1, name="edge_inputs")([recv, send]), phi, "edge")
    et = L.Permute((2, 1), name="transpose_edges")(e)
    agg = L.Permute((2, 1), name="node_messages")(fixed(et, rr.T.copy(), "aggregate"))
    x = block(L.Concatenate(axis=-1, name="node_inputs")([inp, agg]), phi, "node")
    x = L.GlobalAveragePooling1D(name="pool")(x)
    for i, k in enumerate(rho, start=1):
        x = L.Dense(k, activation="relu", name=f"rho_{i}")(x)
    return keras.Model(inp, L.Dense(n_classes, name="output_logits")(x), name="interaction_net_unrolled")


def same_weights(new, old) -> None:
    """Random sparse weights on the new model, copied onto the former one (edge_1 = [W_r; W_s], b)."""
    rng = np.random.default_rng(0)
    for layer in new.layers:
        ws = layer.get_weights()
        if ws:
            layer.set_weights([rng.normal(0, 0.5, w.shape) * (rng.random(w.shape) < 0.5) for w in ws])
    for layer in old.layers:
        if not layer.trainable or not layer.get_weights():
            continue
        if layer.name == "edge_1":
            wr, b = new.get_layer("edge_1_recv").get_weights()
            (ws,) = new.get_layer("edge_1_send").get_weights()
            layer.set_weights([np.concatenate([wr, ws], axis=1), b])
        else:
            layer.set_weights(new.get_layer(layer.name).get_weights())


def pf_overrides(model) -> dict:
    """Every Conv1D fully parallel (ParallelizationFactor = its output width), as codesign build sets it."""
    return {
        lyr.name: {"ParallelizationFactor": int(lyr.output.shape[1])}
        for lyr in model.layers
        if type(lyr).__name__ in ("Conv1D", "QConv1D")
    }


def convert(model, out: Path, tag: str):
    """hls4ml project + estimate + g++ testbench; returns (project, estimate, seconds)."""
    t0 = time.perf_counter()
    project = hls.convert(
        model, backend="Vitis", io_type="io_parallel", strategy="Latency", reuse_factor=1, clock_ns=5.0,
        part="xcvu9p-flga2104-2L-e", input_precision=INPUT, output_dir=out / tag, layer_overrides=pf_overrides(model),
    )  # fmt: skip
    csim.build_testbench(project)
    return project, estimate_project(project.path), time.perf_counter() - t0


def main() -> None:
    """Build both forms, estimate, C-simulate, compare."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-const", type=int, default=8)
    ap.add_argument("--phi", type=int, nargs="+", default=[32, 16])
    ap.add_argument("--rho", type=int, nargs="*", default=[16])
    ap.add_argument("--bits", type=int, default=8)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="in_edges_"))
    q = QuantizeSpec(bits=args.bits, integer=0, activation_bits=8, activation_integer=3)
    spec = ModelSpec(family="interaction_net", phi=tuple(args.phi), rho=tuple(args.rho), aggregation="mean")
    new = zoo.build_model(spec, (args.n_const, N_FEAT), 5, seed=0)
    new = keras.Model(new.input, new.get_layer(zoo.LOGITS).output)  # the firmware outputs the logits
    old = unrolled_model(args.n_const, args.phi, args.rho)
    same_weights(new, old)
    qnew, qold = quantize.to_qkeras(new, q), quantize.to_qkeras(old, q)
    x = compare.grid_inputs(INPUT, (args.n_const, N_FEAT), args.n, seed=1)
    rows = {}
    for tag, model in (("unrolled", qold), ("extension", qnew)):
        project, est, secs = convert(model, out, tag)
        tb = csim.run_csim(project, x)
        ref = reference.reference_outputs(project.keras_model, x, types=project.layer_precisions)
        rows[tag] = (est, tb, ref, secs)
        print(f"{tag}: converted + compiled in {secs:.0f} s, bit-exact vs reference: {np.array_equal(tb, ref)}")
    same = np.array_equal(rows["unrolled"][1], rows["extension"][1])
    print(f"\nthe two firmwares' outputs are identical on {args.n} grid inputs: {same}\n")
    print("| form | latency (cycles) | II | LUT | FF | DSP |  (codesign estimate, xcvu9p, 5 ns)")
    print("|---|---|---|---|---|---|")
    for tag, (est, *_rest) in rows.items():
        print(f"| {tag} | {est.latency_cycles} | {est.ii_cycles} | {est.lut:,} | {est.ff:,} | {est.dsp} |")
    a, b = rows["unrolled"][0], rows["extension"][0]
    print(f"| ratio | {b.latency_cycles / a.latency_cycles:.2f} | | {b.lut / a.lut:.2f} | {b.ff / a.ff:.2f} "
          f"| {b.dsp / max(a.dsp, 1):.2f} |")  # fmt: skip
    print("\nper layer (extension form):")
    for layer in b.per_layer:
        print(f"  {layer.name:16s} {layer.kind:16s} LUT {layer.lut:>8,}  DSP {layer.dsp}")
    sys.exit(0 if same and all(np.array_equal(t, r) for _, t, r, _ in rows.values()) else 1)


if __name__ == "__main__":
    main()
