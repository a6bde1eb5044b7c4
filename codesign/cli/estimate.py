"""``codesign estimate PROJECT_DIR`` and ``codesign estimate --records IN.jsonl --out PRED.jsonl``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from codesign.durable import atomic_write_text, check_not_an_input, check_output_file
from codesign.errors import DataError, SpecError
from codesign.estimate import Estimate, check_tool_version, estimate_project, estimate_record, report_tool_version
from codesign.parts import Part, resolve_part
from codesign.synth_reports import find_reports


def project_path(path: Path) -> Path:
    """The hls4ml project inside a codesign output folder (``<out>/hls``), or the path itself."""
    path = Path(path)
    if not (path / "firmware").is_dir() and (path / "hls" / "firmware").is_dir():
        return path / "hls"
    return path


def render_table(est: Estimate, part: Part) -> str:
    """Per-layer table and totals with the share of the part."""
    cols = ("name", "kind", "latency_cycles", "ii_cycles", "lut", "ff", "dsp", "bram_18k")
    heads = ("layer", "kind", "latency", "II", "LUT", "FF", "DSP", "BRAM18")
    rows = [[("-" if getattr(x, c) is None else str(getattr(x, c))) for c in cols] for x in est.per_layer]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    for x in est.per_layer:
        if x.declined:
            lines.append(f"  ! {x.name}: not estimated ({x.declined})")
    lines.append("")
    def band(key: str) -> str:
        iv = est.interval.get(key)
        return f"  [{iv[0]:g} - {iv[1]:g}]" if iv is not None else ""

    lat = "unknown" if est.latency_cycles is None else f"{est.latency_cycles} cycles ({est.latency_ns} ns)"
    ii = est.ii_cycles if est.ii_cycles is not None else "unknown"
    lines.append(f"latency {lat}{band('latency_cycles')}, II {ii}{band('ii_cycles')}")
    beside = [x.name for x in est.per_layer if x.kind != "cast" and x.name not in set(est.latency_path)]
    if est.latency_path and beside:
        lines.append(f"  longest path: {' > '.join(est.latency_path)}; beside it: {', '.join(beside)}")
    for key, label in (("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP"), ("bram_18k", "BRAM_18K"), ("uram", "URAM")):
        v, total = getattr(est, key), part.total(key)
        share = f"{100.0 * v / total:6.2f} % of {part.name}" if v is not None and total else ""
        lines.append(f"{label:9s} {('unknown' if v is None else str(v)):>10s}  {share}{band(key)}")
    if est.interval_basis:
        lines.append(f"[intervals]: {est.interval_basis}")
    lines.append(f"source: {est.source}")
    return "\n".join(lines)


def run_records(src: Path, dst: Path) -> tuple[int, int]:
    """Predict every record of a calibration-schema JSONL file; returns (records, predicted)."""
    try:
        data = Path(src).read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {src}: {exc}") from None
    n = ok = 0
    out = []
    seen: dict = {}  # id -> line: a predictions file is read by id, so one id twice could not be told apart
    for i, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), 1):  # a byte-order mark, as a spec's
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{src}:{i}: not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1}); "
                            "accepted: JSON lines in UTF-8") from None  # fmt: skip
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{src}:{i}: not JSON ({exc.msg})") from None
        if not isinstance(rec, dict):
            raise DataError(f"{src}:{i}: a JSON {type(rec).__name__}, not an object (accepted: one calibration-schema "
                            "record, a JSON object, per line)")  # fmt: skip
        rid = rec.get("id")
        if rid is not None and json.dumps(rid) in seen:
            raise DataError(f"{src}:{i}: id {rid!r} is also the id of line {seen[json.dumps(rid)]} (accepted: one "
                            "record per id: each prediction line carries its record's id)")  # fmt: skip
        seen[json.dumps(rid)] = i
        pred = estimate_record(rec)
        n += 1
        ok += pred.get("LUT") is not None
        out.append(json.dumps(pred))
    if n == 0:  # nothing to predict is not a result: no empty predictions file, no exit 0
        raise DataError(f"{src}: no records (accepted: one calibration-schema record, a JSON object, per line)")
    atomic_write_text(dst, "\n".join(out) + ("\n" if out else ""))
    return n, ok


def _is_estimate(path: Path) -> bool:
    """Whether ``path`` holds an estimate this command wrote (a JSON object with its per-layer list and source)."""
    try:
        payload = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(payload, dict) and {"per_layer", "source", "part"} <= payload.keys()


def register(main: click.Group) -> None:
    """Add ``estimate`` to the command group."""

    @main.command("estimate")
    @click.argument("project_dir", required=False, type=click.Path(path_type=Path))
    @click.option("--part", "part_name", help="FPGA part (short or full name); default: the project's part.")
    @click.option("--json", "as_json", is_flag=True, help="Print the estimate as JSON instead of a table.")
    @click.option(
        "--hls-version",
        help="Release of the HLS tool (the project's backend) that synthesises it, e.g. 2024.1; default: the "
        "release its own synthesis report names, if any.",
    )
    @click.option(
        "--records",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Predict calibration-schema records (JSONL) instead of a project.",
    )
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="With --records: predictions JSONL. With a project: where to write estimate.json.",
    )
    def estimate_cmd(
        project_dir: Path | None, part_name: str | None, as_json: bool, hls_version: str | None, records: Path | None,
        out: Path | None,
    ) -> None:  # fmt: skip
        """Estimate latency, II and resources of an hls4ml project per layer (no synthesis needed)."""
        if records is not None:
            if project_dir is not None:
                raise SpecError("give either PROJECT_DIR or --records, not both")
            if out is None:
                raise SpecError("--records needs --out PRED.jsonl")
            ignored = [flag for flag, given in (("--part", part_name is not None), ("--json", as_json),
                                                ("--hls-version", hls_version is not None)) if given]  # fmt: skip
            if ignored:  # neither would change what --records writes: refused, not dropped
                raise SpecError(f"{' and '.join(ignored)} {'apply' if len(ignored) > 1 else 'applies'} to a PROJECT_DIR estimate, not to --records (each "
                                "record is predicted from its own settings, with no share of a part, and written as "
                                "a JSON line to --out); accepted: --records IN.jsonl --out PRED.jsonl alone")  # fmt: skip
            target = check_output_file(out)
            if target.exists() and os.path.samefile(target, records):  # the records would be replaced, unread
                raise SpecError(f"--out {out}: the same file as --records {records}, which writing the predictions "
                                "would replace (accepted: another file, e.g. --out predictions.jsonl)")  # fmt: skip
            n, ok = run_records(records, target)
            click.echo(f"{ok}/{n} records predicted ({n - ok} declined, with a reason); wrote {out}")
            return
        if project_dir is None:
            raise SpecError("missing PROJECT_DIR (an hls4ml project or a codesign output folder) or --records")
        proj = project_path(project_dir)
        part = resolve_part(part_name) if part_name else None
        target = check_output_file(out) if out is not None else None  # before any work
        if target is not None:
            check_not_an_input(target, project_dir, "--out", _is_estimate, "an earlier estimate")
        version = check_tool_version(hls_version, "--hls-version") or report_tool_version(find_reports(proj).csynth)
        est = estimate_project(proj, part, version)
        if not est.per_layer:  # a top function without layer calls: nothing was estimated
            raise DataError(f"{proj}: its top function calls no nnet:: layer, so there is nothing to estimate "
                            "(accepted: an hls4ml project whose firmware/<project>.cpp calls its layers)")  # fmt: skip
        if est.per_layer and all(x.declined for x in est.per_layer):  # every figure unknown: not an estimate
            raise DataError(
                f"{proj}: none of its {len(est.per_layer)} layers could be estimated (first: {est.declined[0]}); "
                "is firmware/parameters.h complete (an hls4ml project as written by hls4ml)?"
            )
        if target is None:
            target = check_output_file(proj / "estimate.json", "--out (default: the project's estimate.json)")
        if part is None:
            from codesign.estimate.settings import read_project

            part = resolve_part(read_project(proj)["part"])
        payload = {**est.to_dict(), "part": part.to_dict(), "hls_tool_version": version}
        atomic_write_text(target, json.dumps(payload, indent=1) + "\n")
        if as_json:
            click.echo(json.dumps(payload, indent=1))
        else:
            click.echo(render_table(est, part))
            click.echo(f"HLS tool release: {version or 'not known (--hls-version sets it)'}")
            click.echo(f"wrote {target}")
