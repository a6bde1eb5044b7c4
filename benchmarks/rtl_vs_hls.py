"""RTL (da4ml -> Verilog, Verilator, yosys) vs HLS (hls4ml, codesign estimate, g++ C-sim) on the zoo's specs.

For each spec (default: the demo MLP, DeepSets and the VAE: its encoder with the rz anomaly score, the
firmware's one output) one ``codesign build --rtl`` with short
training (``--epochs``: train/prune/QAT epochs and ``--n-train`` samples, to fit this busy machine; the figures
then describe that quickly trained, pruned and quantized model, the same for both routes), then on the build's
own check inputs: RTL LUT/FF (yosys when on PATH, else da4ml's own estimate, labelled) and latency beside the HLS
estimate (target: RTL LUT <= 0.5x, latency no worse), Verilator samples/s beside the g++ C-simulation
(same inputs, both bit-exact against the float64 reference), and the wall time of each stage.

    python benchmarks/rtl_vs_hls.py [--spec models/jet_mlp.yaml ...] [--epochs 2] [--n-train 4000]
                                     [--n-check 10000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SPECS = ["models/jet_mlp.yaml", "models/jet_deepsets.yaml", "models/l1_vae.yaml"]


def _spec(path: Path, epochs: int, n_train: int, n_check: int) -> dict:
    """The spec with short training and ``n_check`` check inputs (paths resolved against the repository)."""
    from codesign import yamlio

    d = yamlio.yaml.load(path.read_text(), Loader=yamlio.UniqueKeyLoader)
    d["data"] = {**d.get("data", {}), "n_train": n_train, "n_test": min(n_train, int(d["data"].get("n_test", n_train)))}
    d["train"] = {**d.get("train", {}), "epochs": epochs}
    if d.get("prune"):
        d["prune"] = {**d["prune"], "epochs": max(1, epochs)}
    if d.get("quantize"):
        d["quantize"] = {**d["quantize"], "epochs": epochs}
    d["check"] = {**d.get("check", {}), "n_samples": n_check}
    return d


def _row(spec_path: Path, args, out: Path) -> dict:
    from codesign import api, csim

    cwd = os.getcwd()
    os.chdir(REPO)  # the specs' data paths are relative to the repository
    try:
        t0 = time.perf_counter()
        ctx, state = api.run_build(_spec(spec_path, args.epochs, args.n_train, args.n_check), part="xcvu9p",
                                   out=out / spec_path.stem, force=True, rtl=True)  # fmt: skip
        wall = time.perf_counter() - t0
    finally:
        os.chdir(cwd)
    rtl, est = state.rtl, state.estimate.to_dict() if hasattr(state.estimate, "to_dict") else dict(state.estimate)
    if rtl.get("error"):
        raise SystemExit(f"{spec_path}: RTL not built: {rtl['error']}")
    x = state.csim["inputs"]
    t0 = time.perf_counter()
    y = csim.run_csim(state.project, x, workers=2)
    t_cs = time.perf_counter() - t0
    csim_rows = np.concatenate([np.asarray(a, np.float64).reshape(len(x), -1) for a in (y if isinstance(y, list) else [y])], 1)
    rtl_rows = np.load(out / spec_path.stem / rtl["results"])["rtl"]
    return {"spec": spec_path.stem, "rtl": rtl, "est": est, "csim_exact": bool(state.bit_accuracy.get("exact")),
            "rtl_equals_csim": bool(np.array_equal(rtl_rows, csim_rows)), "n": len(x), "csim_s": t_cs,
            "steps": {r.name: round(r.seconds, 1) for r in state.records}, "wall": wall,
            "budget": state.budget.to_dict()}  # fmt: skip


def _ratio(a, b) -> str:
    return f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else ""


def main() -> None:
    """One --rtl build per spec with short training; RTL vs HLS figures, throughput and stage times per row."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", type=Path, nargs="+", default=[REPO / s for s in SPECS])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--n-train", type=int, default=4000)
    ap.add_argument("--n-check", type=int, default=10000)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="rtl_bench_"))
    rows = [_row(Path(s).resolve(), args, out) for s in args.spec]
    print(f"short training: {args.epochs} epochs, {args.n_train} training samples; out {out}")
    print(f"{'spec':<14}{'RTL LUT':>9}{'LUT src':>8}{'HLS LUT':>9}{'ratio':>7}{'RTL FF':>8}{'HLS FF':>8}"
          f"{'RTL lat':>8}{'HLS lat':>8}{'RTL Msps':>9}{'C-sim Msps':>11}{'exact':>7}")  # fmt: skip
    for r in rows:
        rtl, est = r["rtl"], r["est"]
        lut = rtl["lut"] if rtl["lut"] is not None else rtl["da4ml_estimate"]["lut"]
        ff = rtl["ff"] if rtl["ff"] is not None else rtl["da4ml_estimate"]["ff"]
        src = "yosys" if rtl["lut"] is not None else "da4ml"
        v_sps = r["n"] / rtl["seconds"]["simulate"] / 1e6
        c_sps = r["n"] / r["csim_s"] / 1e6
        exact = r["csim_exact"] and rtl["bit_exact"] and r["rtl_equals_csim"]
        print(f"{r['spec']:<14}{lut:>9}{src:>8}{est.get('lut')!s:>9}{_ratio(lut, est.get('lut')):>7}{ff:>8}"
              f"{est.get('ff')!s:>8}{rtl['latency_cycles']:>8}{est.get('latency_cycles')!s:>8}{v_sps:>9.3f}"
              f"{c_sps:>11.3f}{exact!s:>7}")  # fmt: skip
    for r in rows:
        rtl = r["rtl"]
        print(f"{r['spec']}: clock {rtl['clock_ns']} ns, RTL latency {rtl['latency_ns']} ns / II {rtl['ii_cycles']}, "
              f"HLS estimate {r['est'].get('latency_ns')} ns / II {r['est'].get('ii_cycles')}; da4ml estimate "
              f"{rtl['da4ml_estimate']}; {r['n']} inputs; budget on {r['budget']['basis']}: "
              f"{'pass' if r['budget']['pass'] else 'fail'} (HLS estimate: "
              f"{'pass' if rtl['budget_hls_estimate']['pass'] else 'fail'})")  # fmt: skip
        lut, hls_lut, hls_lat = rtl["lut"] or rtl["da4ml_estimate"]["lut"], r["est"].get("lut"), r["est"].get("latency_cycles")
        lut_ok = isinstance(hls_lut, (int, float)) and lut <= 0.5 * hls_lut
        lat_ok = isinstance(hls_lat, (int, float)) and rtl["latency_cycles"] <= hls_lat
        print(f"  target (RTL LUT <= 0.5x HLS estimate, latency no worse): LUT {'met' if lut_ok else 'NOT met'}, "
              f"latency {'met' if lat_ok else 'NOT met'}; HLS estimate DSP {r['est'].get('dsp')} (RTL DSP {rtl['dsp']})")
        print(f"  wall s: build {r['wall']:.0f} = steps {json.dumps(r['steps'])}; rtl {json.dumps(rtl['seconds'])}; "
              f"C-sim run {r['csim_s']:.2f}")  # fmt: skip
    print(f"cores {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f} (timings indicative only)")
    if not all(r["csim_exact"] and r["rtl"]["bit_exact"] and r["rtl_equals_csim"] for r in rows):
        raise SystemExit("an implementation is not bit-exact: the figures compare different designs")


if __name__ == "__main__":
    main()
