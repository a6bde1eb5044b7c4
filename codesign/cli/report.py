"""``codesign report PROJECT_DIR``: refresh report.json / report.md from the estimate and any synthesis reports.

The work is :func:`codesign.report_refresh.refresh`; this module is the command around it.
"""

from __future__ import annotations

from pathlib import Path

import click

from codesign.report_refresh import refresh


def register(main: click.Group) -> None:
    """Add ``report`` to the command group."""

    @main.command("report")
    @click.argument("project_dir", type=click.Path(path_type=Path))
    def report_cmd(project_dir: Path) -> None:
        """Refresh report.json/report.md: estimate, C-synthesis and Vivado figures, and their differences."""
        from codesign.durable import IN_PROGRESS
        from codesign.errors import DataError

        if (Path(project_dir) / ".codesign" / IN_PROGRESS).exists():
            raise DataError(
                f"{project_dir}: a codesign build into this folder is running or was interrupted before its report "
                "(.codesign/in_progress); rerun `codesign build` first (accepted: a folder whose build finished)"
            )
        rep = refresh(project_dir)
        syn = rep.get("synthesis") or {}
        click.echo(
            f"estimate: latency {rep['estimate']['latency_cycles']} cycles, LUT {rep['estimate']['lut']}, "
            f"DSP {rep['estimate']['dsp']}"
        )
        for key in ("csynth", "vivado_synth"):
            if key in syn:
                s = syn[key]
                click.echo(f"{key}: LUT {s.get('lut')}, FF {s.get('ff')}, DSP {s.get('dsp')} (source {s['source']})")
                for note in s.get("notes") or ():
                    click.echo(f"  note: {note}")
        if "note" in syn:
            click.echo(syn["note"])
        click.echo(f"wrote {Path(rep['_out_dir']) / 'report.json'} and report.md")
