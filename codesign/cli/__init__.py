"""Command-line entry point: ``codesign build | check | data | estimate | report | scan``.

Each command lives in its own module with a ``register(main)`` function; this module only assembles the
group and turns :class:`CodesignError` into a one-line message and a non-zero exit code.
"""

from __future__ import annotations

import importlib
import sys

import click

from codesign import __version__
from codesign.errors import CodesignError

COMMAND_MODULES = ("build", "check", "data", "estimate", "report", "scan")


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CodesignError as exc:
            click.echo(f"codesign: error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="codesign")
def main() -> None:
    """FPGA trigger inference compiler: from a model spec to a bit-exact hls4ml project and its report."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"codesign.cli.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"codesign.cli.{_name}":
            raise
        continue
    _module.register(main)
