"""``codesign scan SCAN.yaml --out DIR``: a grid or NSGA-II scan over spec keys, with its Pareto front."""

from __future__ import annotations

from pathlib import Path

import click


def register(main: click.Group) -> None:
    """Add the ``scan`` command."""

    @main.command("scan")
    @click.argument("scan_file", type=click.Path(path_type=Path))
    @click.option("--out", type=click.Path(path_type=Path), required=True, help="Scan folder (storage, points, cache).")
    @click.option("--workers", type=click.IntRange(min=1), help="Parallel points (default: the number of cores).")
    @click.option("--resume", is_flag=True, help="Finish a scan in --out: finished points are never redone.")
    @click.option("--retry-failed", is_flag=True,
                  help="Finish a scan in --out (as --resume) and build its failed points again; their old lines go to "
                  "points_retried.jsonl.")  # fmt: skip
    @click.option("--scheduler", help="Run the points on a Dask cluster (tcp://host:8786) instead of local processes.")
    @click.option("--part", help="FPGA part (default: the scan file's or the spec's part).")
    @click.option("--threads-per-worker", type=click.IntRange(min=1),
                  help="Threads of each local worker's TensorFlow/BLAS pools (default: the cores / --workers).")
    @click.option("--no-shared-cache", is_flag=True, help="Each point trains on its own (for timing comparisons).")
    def scan(scan_file: Path, out: Path, workers: int | None, resume: bool, scheduler: str | None, part: str | None,
             no_shared_cache: bool, threads_per_worker: int | None, retry_failed: bool) -> None:  # fmt: skip
        """Build every point of SCAN_FILE (see README, "Scans") and write points.jsonl, pareto.csv, pareto.png and
        scan.md into --out. A failed point is recorded with its reason and the scan goes on; exits 0 when the scan
        finished (even with failed points), 2 on a bad scan file or storage."""
        from codesign.scan import run_scan
        from codesign.scan_spec import load_scan

        spec = load_scan(scan_file)
        summary = run_scan(spec, out, workers=workers, resume=resume, scheduler=scheduler, part=part,
                           shared_cache=not no_shared_cache, threads_per_worker=threads_per_worker,
                           retry_failed=retry_failed)  # fmt: skip
        retried = f", {summary.n_retried} failed before and retried" if retry_failed else ""
        click.echo(
            f"{summary.n_points} points ({summary.n_done_before} done before, {summary.n_ran} now{retried}, "
            f"{summary.n_failed} failed) in {summary.seconds:.0f} s"
        )
        for key in ("points", "pareto_csv", "pareto_png", "scan_md"):
            click.echo(f"{key}: {summary.outputs[key]}")
