"""Where an RTL design's LUTs go: da4ml's LUT estimate per layer of a build's firmware model, its pipeline, and
(``--yosys``) the yosys count of the whole, with da4ml's interpreter checked against the float64 reference.

BUILD is a ``codesign build`` output folder (models/converted.h5, hls/codesign_io.json, csim/csim_results.npz);
the check inputs are the build's C-simulation inputs plus ``--n-grid`` random inputs on the input grid. To
compare two versions of the RTL route, run it at each commit on the same build folder.

    python benchmarks/rtl_cost.py BUILD [BUILD ...] [--yosys] [--yosys-stages] [--n-grid 2000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def _report(build: Path, args, out: Path) -> dict:
    from da4ml.trace import comb_trace

    from codesign import compare, modelio
    from codesign.precision import FixedPrecision
    from codesign.reference import reference_outputs
    from codesign.rtl import sim, trace, yosys

    io = json.loads((build / "hls" / "codesign_io.json").read_text())
    prec = FixedPrecision.parse(io["input_precision"])
    model = modelio.load_model(build / "models" / "converted.h5", trust=True)  # the build's own output
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    x = np.load(build / "csim" / "csim_results.npz")["inputs"].reshape(-1, *shape)
    x = np.concatenate([x, compare.grid_inputs(prec, shape, args.n_grid, seed=3)])
    rows = trace.layer_costs(model, prec)
    inp, outs = trace.trace(model, prec)
    comb = comb_trace(inp, outs)
    got = comb.predict(x.reshape(len(x), -1), n_threads=1)
    ref = reference_outputs(model, x)
    ref = np.concatenate([np.asarray(r, np.float64).reshape(len(x), -1) for r in (ref if isinstance(ref, list) else [ref])], 1)
    res = {"build": build.name, "layers": rows, "n_inputs": len(x), "mismatch": int(np.sum(np.any(got != ref, axis=1))),
           "da4ml_lut": round(float(comb.cost), 1)}  # fmt: skip
    design = sim.write(inp, outs, out / build.name, clock_ns=float(io["clock_ns"]), part=io["part"])
    res.update(stages=design.latency_cycles, reg_bits=design.reg_bits)
    if args.yosys:
        res["yosys"] = yosys.synthesize(out / build.name, f"{sim.TOP}_wrapper", out / build.name)
    if args.yosys_stages:  # each combinational stage module on its own (the registers: reg_bits above)
        stages = []
        for n in range(design.latency_cycles):
            log = out / build.name / "stages" / str(n)
            log.mkdir(parents=True, exist_ok=True)
            stages.append(yosys.synthesize(out / build.name, f"{sim.TOP}_stage{n}", log))
        res["yosys_stages"] = {"lut": [s["lut"] for s in stages], "carry": [s["carry"] for s in stages],
                               "seconds": [s["seconds"] for s in stages], "lut_sum": sum(s["lut"] for s in stages)}
    return res


def main() -> None:
    """Per-layer da4ml cost, pipeline and (optionally) yosys count of each build's RTL."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", type=Path, nargs="+")
    ap.add_argument("--yosys", action="store_true", help="also run yosys synth_xilinx on the written RTL (minutes)")
    ap.add_argument("--yosys-stages", action="store_true",
                    help="yosys on each pipeline stage module, LUTs summed (when the whole design is too slow)")
    ap.add_argument("--n-grid", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="rtl_cost_"))
    for build in args.build:
        t0 = time.perf_counter()
        r = _report(build.resolve(), args, out)
        print(f"{r['build']}: da4ml LUT {r['da4ml_lut']}, {r['stages']} stages, {r['reg_bits']} register bits; "
              f"interpreter vs float64 reference: {r['mismatch']} of {r['n_inputs']} inputs differ")  # fmt: skip
        for name, cls, cost in r["layers"]:
            print(f"  {name:<22}{cls:<24}{cost:>10.0f}")
        if "yosys" in r:
            print(f"  yosys: {json.dumps(r['yosys'])}")
        if "yosys_stages" in r:
            print(f"  yosys per stage: {json.dumps(r['yosys_stages'])}")
        print(f"  {time.perf_counter() - t0:.0f} s, load average {os.getloadavg()[0]:.1f}; RTL in {out / r['build']}")
        if r["mismatch"]:
            raise SystemExit(f"{build}: the traced graph differs from the float64 reference")


if __name__ == "__main__":
    main()
