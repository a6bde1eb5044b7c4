"""Benchmark of ``codesign scan``: points per hour with 1 and 2 workers, with and without the shared step cache,
and the share of a point's time per build step.

Runs the demo grid (``models/scan_jet_mlp.yaml``, 24 points) once per configuration, each into a fresh folder
(so the shared cache starts empty), and prints one row per configuration plus the step shares, and a JSON
summary. Targets (issue 10): >= 100 points/hour on 2 cores, 2 workers >= 1.6x one. Each row also says how many
cores the scan kept busy on average and its CPU seconds per point (its processes' CPU time, g++ included): on a
machine shared with other work the rate only says how much CPU the scan was given, the CPU per point does not
depend on it; and the seconds the points spent waiting on another worker's step (the shared cache's lock).

Usage::

    python benchmarks/scan_rate.py                                  # the full demo grid, 4 configurations
    python benchmarks/scan_rate.py --points 4 --tiny --configs 1:cache,2:cache --out /tmp/scan_bench
    python benchmarks/scan_rate.py --points 8 --configs 1:cache:plots,1:cache    # the points' plots on vs off
    python benchmarks/scan_rate.py --points 8 --configs 1:cache:cpus1,2:cache,1:cache   # scaling per core, and the target's
    python benchmarks/scan_rate.py --configs 1:cache:tb,2:cache:tb   # the demo grid, the testbench alone per point
    python benchmarks/scan_rate.py --configs 1:cache,2:cache,2:cache:t2   # two workers of 1 and of 2 threads each

``--points N`` keeps the first N grid points (first axis slowest, so they share the float training);
``--tiny`` shrinks the spec's data and epochs (a reduced run: say so when quoting its figures). A configuration
``W:cache:plots`` keeps every point's report plots (the scan file's ``plots: true``; scans skip them by default);
``:tb`` runs it with the scan file's ``csim: testbench`` (each point C-simulated by the testbench alone, without
hls4ml's library as a second path); ``:cpusN`` runs that configuration on the first N cores only (this process's affinity mask, inherited by the workers
and their g++): one worker on one core against two workers on two cores says how the engine scales per core, apart
from the two threads a point's C-simulation uses when it has a second core. ``:tN`` gives each worker N threads
(``codesign scan --threads-per-worker N``; default the cores shared out). Each row also gives the machine's busy,
idle and steal shares over the run (/proc/stat; steal is CPU time a virtual machine's hypervisor gave elsewhere: on
a VM the 2 cores are not 2 cores' worth when both are busy).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = {"data": {"n_train": 3000, "n_test": 1000}, "train": {"epochs": 3, "patience": 1}, "prune": {"epochs": 1},
        "quantize": {"epochs": 1}, "check": {"n_samples": 200, "workers": 1}}  # fmt: skip


def reduced_scan(scan, points: int | None, tiny: bool):
    """The scan with its grid cut to the first ``points`` (as explicit axes values) and a smaller spec if asked."""
    base = json.loads(json.dumps(scan.base))
    if tiny:
        for section, values in TINY.items():
            base.setdefault(section, {}).update(values)
    axes = scan.axes
    if points is not None:
        grid = scan.grid()[:points]
        axes = {k: tuple(dict.fromkeys(p[k] for p in grid)) for k in scan.axes}
    return replace(scan, base=base, axes=axes), points


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's ended children and their descendants."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def cpu_times() -> dict[str, float] | None:
    """The machine's CPU time so far by kind (seconds, all cores; /proc/stat), or None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    tick = os.sysconf("SC_CLK_TCK")
    return {n: int(v) / tick for n, v in zip(names, fields[: len(names)], strict=True)}


def machine_shares(before: dict | None, after: dict | None) -> dict[str, float]:
    """Each kind's share of the machine's CPU time between two :func:`cpu_times` readings: busy (user, nice,
    system, irq), idle (idle, iowait) and steal (taken by the hypervisor from a virtual machine)."""
    if not before or not after:
        return {}
    d = {k: after[k] - before[k] for k in after}
    total = sum(d.values()) or 1.0
    busy = d["user"] + d["nice"] + d["system"] + d["irq"] + d["softirq"]
    return {"busy": round(busy / total, 3), "idle": round((d["idle"] + d["iowait"]) / total, 3),
            "steal": round(d["steal"] / total, 3)}  # fmt: skip


def run_config(scan, workers: int, cache: bool, out: Path, limit: int | None, plots: bool = False,
               cpus: int | None = None, csim: str | None = None, threads: int | None = None) -> dict:  # fmt: skip
    """One scan run (on the first ``cpus`` cores of this process's affinity mask when given; ``csim`` the scan
    file's csim setting when given; ``threads`` each worker's thread pools when given); returns its rate, per-step
    seconds and the machine's busy / idle / steal shares over the run (the whole machine: other work counts too)."""
    from codesign.scan import run_scan

    scan = replace(scan, plots=plots, csim=csim if csim is not None else scan.csim)
    mask = os.sched_getaffinity(0)
    if cpus is not None:
        if cpus > len(mask):
            raise SystemExit(f"--configs: cpus{cpus} asks for more cores than this process may use ({len(mask)})")
        os.sched_setaffinity(0, sorted(mask)[:cpus])  # the pool's workers and their g++ inherit it

    if out.exists():
        shutil.rmtree(out)
    if limit is not None and len(scan.grid()) > limit:
        raise SystemExit(f"the reduced axes give {len(scan.grid())} points, more than --points {limit}")
    cpu0, machine0 = _children_cpu(), cpu_times()
    t0 = time.perf_counter()
    try:
        run_scan(scan, out, workers=workers, shared_cache=cache, show_progress=False, threads_per_worker=threads)
    finally:
        os.sched_setaffinity(0, mask)
    wall = time.perf_counter() - t0
    machine = machine_shares(machine0, cpu_times())
    cpu = _children_cpu() - cpu0  # the pool's workers and their g++ processes (all ended and waited for by now)
    recs = [json.loads(line) for line in (out / "points.jsonl").read_text().splitlines()]
    steps: dict[str, float] = defaultdict(float)
    step_cpu: dict[str, float] = defaultdict(float)
    waited = 0.0
    for r in recs:
        for s in r.get("steps") or ():
            steps[s["name"]] += s["seconds"]
            step_cpu[s["name"]] += s.get("cpu_s") or 0.0
            m = re.match(r"waited ([0-9.]+) s", s.get("note") or "")
            waited += float(m.group(1)) if m else 0.0
    total = sum(r["seconds"] for r in recs) or 1.0
    return {
        "workers": workers, "threads_per_worker": threads, "machine": machine, "cpus": cpus or len(mask), "shared_cache": cache, "plots": plots, "csim": scan.csim or "spec",
        "points": len(recs), "failed": sum(r["status"] != "ok" for r in recs),
        "wall_s": round(wall, 1), "points_per_hour": round(3600 * len(recs) / wall, 1),
        "mean_point_s": round(total / max(1, len(recs)), 1),
        "cores_used": round(cpu / wall, 2), "cpu_s_per_point": round(cpu / max(1, len(recs)), 1),
        "lock_wait_s": round(waited, 1),
        "step_share": {k: round(v / total, 3) for k, v in sorted(steps.items(), key=lambda kv: -kv[1])},
        "step_cpu_s_per_point": {k: round(v / max(1, len(recs)), 2) for k, v in sorted(step_cpu.items(), key=lambda kv: -kv[1])},
        "step_cores": {k: round(step_cpu[k] / v, 2) for k, v in steps.items() if v > 0 and step_cpu.get(k)},
    }  # fmt: skip


def main() -> None:
    """Run the configurations and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scan", default=str(REPO / "models" / "scan_jet_mlp.yaml"))
    ap.add_argument("--points", type=int, default=None, help="keep the first N grid points")
    ap.add_argument("--tiny", action="store_true", help="smaller data and epochs (a reduced run)")
    ap.add_argument("--configs", default="1:cache,2:cache,1:nocache,2:nocache",
                    help="workers:cache|nocache[:plots][:cpusN][:tb][:tN],... (plots: the points keep their report "
                         "plots; cpusN: the scan runs on N cores only; tb: csim: testbench; tN: N threads per worker)")
    ap.add_argument("--out", default=None, help="scan folders go here (default: a temporary folder)")
    args = ap.parse_args()

    from codesign.scan_spec import load_scan

    scan, limit = reduced_scan(load_scan(args.scan), args.points, args.tiny)
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="codesign_scan_bench_"))
    rows = []
    for item in args.configs.split(","):
        w, c, *opt = item.split(":")
        cpus = [o for o in opt if re.fullmatch(r"cpus[1-9][0-9]*", o)]
        thr = [o for o in opt if re.fullmatch(r"t[1-9][0-9]*", o)]
        plots, tb = "plots" in opt, "tb" in opt
        if c not in ("cache", "nocache") or len(opt) != plots + tb + len(cpus) + len(thr) or len(cpus) > 1 or len(thr) > 1:
            raise SystemExit(f"--configs: bad item {item!r} (workers:cache|nocache[:plots][:cpusN][:tb][:tN])")
        n_cpus = int(cpus[0][4:]) if cpus else None
        n_thr = int(thr[0][1:]) if thr else None
        name = (f"w{w}_{c}{'_plots' if plots else ''}{f'_cpus{n_cpus}' if n_cpus else ''}{'_tb' if tb else ''}"
                f"{f'_t{n_thr}' if n_thr else ''}")  # fmt: skip
        row = run_config(scan, int(w), c == "cache", root / name, limit, plots, n_cpus, "testbench" if tb else None,
                         n_thr)  # fmt: skip
        row["load_average"] = [round(v, 1) for v in os.getloadavg()]
        rows.append(row)
        print(f"workers {row['workers']}{f' x {n_thr} threads' if n_thr else ''}  cores {row['cpus']}  shared cache {'yes' if row['shared_cache'] else 'no '}  "
              f"plots {'yes' if row['plots'] else 'no '}  csim {row['csim']}  "
              f"{row['points']} points ({row['failed']} failed) in {row['wall_s']} s: {row['points_per_hour']} points/hour, "
              f"mean point {row['mean_point_s']} s, {row['cores_used']} cores busy on average "
              f"({row['cpu_s_per_point']} CPU s per point), "
              f"{row['lock_wait_s']} s waiting on another worker's step; load average after {row['load_average']}; "
              f"machine {row['machine'] or 'n/a'}",
              flush=True)  # fmt: skip
        print("  share of point time per step: " + ", ".join(f"{k} {v:.0%}" for k, v in row["step_share"].items()))
        if row["step_cpu_s_per_point"]:
            print("  CPU s per point per step (cores busy in the step): " + ", ".join(
                f"{k} {v} ({row['step_cores'].get(k, 0)})" for k, v in row["step_cpu_s_per_point"].items()))
    full = len(os.sched_getaffinity(0))
    by = {(r["workers"], r["shared_cache"], r["csim"], r["threads_per_worker"]): r for r in rows
          if not r["plots"] and r["cpus"] == full}  # fmt: skip
    per_core = {(r["workers"], r["shared_cache"], r["csim"]): r for r in rows
                if not r["plots"] and r["cpus"] == r["workers"] and r["threads_per_worker"] is None}  # fmt: skip
    for (w, cache, csim, thr), row in by.items():
        one = by.get((1, cache, csim, None))
        if w != 2 or one is None:
            continue
        what = f"{'shared cache' if cache else 'no shared cache'}, csim {csim}{f', {thr} threads per worker' if thr else ''}"
        print(f"2 workers vs 1 ({what}): {row['points_per_hour'] / one['points_per_hour']:.2f}x (target >= 1.6x)")
    for cache in (True, False):
        for csim in sorted({r["csim"] for r in rows}):
            what = f"{'shared cache' if cache else 'no shared cache'}, csim {csim}"
            if (1, cache, csim) in per_core and (2, cache, csim) in per_core:
                speedup = per_core[2, cache, csim]["points_per_hour"] / per_core[1, cache, csim]["points_per_hour"]
                print(f"2 workers on 2 cores vs 1 worker on 1 core ({what}): "
                      f"{speedup:.2f}x (the engine's scaling per core; not the target's comparison)")
    summary = {"scan": args.scan, "points": len(scan.grid()), "tiny": args.tiny, "configs": rows}
    (root / "scan_rate.json").write_text(json.dumps(summary, indent=1))
    print(f"summary: {root / 'scan_rate.json'}")


if __name__ == "__main__":
    main()
