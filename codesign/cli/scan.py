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
        finished with a point it could rank (even with failed points, or none within the budget), 1 when it finished
        and no point could be ranked (every point failed, or none has a value for every objective), 2 on a bad scan
        file or storage."""
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
        verdict, code = scan_verdict(summary)
        if verdict:
            click.echo(f"codesign scan: {verdict}", err=True)
        if code:
            raise SystemExit(code)


def scan_verdict(summary) -> tuple[str, int]:
    """What the console must say about a finished scan's front, and the exit code: 1 when no point could be ranked
    (every point failed, or none built has every objective's value), else 0."""
    built = summary.n_points - summary.n_failed
    if summary.n_points and not built:
        return f"every point failed ({summary.n_failed}): nothing to rank; the reasons are in scan.md, 'Failed points'", 1
    if built and summary.n_unranked == built:
        return (f"no built point has a value for every objective ({built} built): nothing to rank; see scan.md, "
                "'Built, not ranked'", 1)  # fmt: skip
    notes = []
    if summary.n_unranked:
        notes.append(f"{summary.n_unranked} built point(s) without a value for an objective were not ranked (scan.md, "
                     "'Built, not ranked')")  # fmt: skip
    if built and not summary.n_front:
        notes.append(f"no point on the Pareto front: {summary.n_over_budget} of {built} built point(s) over the budget "
                     "(scan.md, 'Over the budget')")  # fmt: skip
    return "; ".join(notes), 0
