"""Command-line entry point: ``codesign build | check | data | estimate | report | scan``.

Each command lives in its own module with a ``register(main)`` function; this module only assembles the
group and turns :class:`CodesignError` into a one-line message and its exit code (codesign/errors.py).
Any other exception is a bug in codesign: one line on the console, the traceback in a log file
(``<out>/.codesign/error.log`` once a build knows its folder, a temporary file before), exit 7.
"""

from __future__ import annotations

import atexit
import importlib
import os
import signal
import sys
import tempfile
import traceback
from typing import NoReturn

import click

from codesign import __version__
from codesign.cli.once import OnceGroup
from codesign.console import _error_log_dir, set_error_log_dir  # noqa: F401  (set by codesign.api)
from codesign.errors import CodesignError, InternalError, Interrupted

COMMAND_MODULES = ("build", "check", "data", "estimate", "report", "scan")


EXIT_CODES_HELP = """\b
Exit codes:
  0  success (for build: the firmware is bit-exact with its reference)
  2  bad input: spec, config, model, data file or option
  3  the firmware is not bit-exact with its reference
  4  the design does not fit the budget (build --fail-on-budget)
  5  a tool (g++, hls4ml's conversion, vitis_hls/vivado_hls) is missing or failed
  6  the bit-exact reference cannot be computed for a layer (the layer is named)
  7  internal error (a bug): the traceback is in the log file named on the console
  130  interrupted (Ctrl-C): what was finished is kept (build: rerun; scan, data: --resume)"""


# what a command interrupted by Ctrl-C keeps, and how to go on (each checked by tests/test_interrupt.py)
RERUN = "nothing it wrote is read back as finished; rerun the command"
INTERRUPTED = {
    "build": "the steps finished before it are kept in <out>/.codesign and reused by the same command (report.json "
    "is written when the build completes; `codesign report` refuses the folder until then)",
    "scan": "the finished points are kept in <out>/points.jsonl; rerun with --resume to build the others",
}


def _kept(command: str | None) -> str:
    """INTERRUPTED's line for ``command``, with the output folder it named in place of ``<out>`` where known."""
    text = INTERRUPTED.get(command or "", RERUN)
    return text.replace("<out>", str(_error_log_dir[0].parent)) if _error_log_dir else text


def _write_traceback(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for folder in _error_log_dir:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "error.log"
            path.write_text(text)
            return str(path)
        except OSError:
            pass
    with tempfile.NamedTemporaryFile("w", prefix="codesign-error-", suffix=".log", delete=False) as fh:
        fh.write(text)
        return fh.name


def _leave_interrupted(kept: str) -> NoReturn:
    """The last line of a command stopped by Ctrl-C (what it kept, how to go on) and exit 130. A second Ctrl-C while
    threads and workers wind down ends the process at once, still with 130 (Python's own handler would raise during
    the shutdown and die of the signal: status -2, no last line)."""
    signal.signal(signal.SIGINT, lambda signum, frame: os._exit(Interrupted.exit_code))
    click.echo(f"codesign: interrupted (Ctrl-C): {kept}", err=True)
    sys.exit(Interrupted.exit_code)


class _Group(OnceGroup):
    def invoke(self, ctx: click.Context):
        _error_log_dir.clear()  # a build folder named by an earlier command in this process is not this one's
        try:
            return super().invoke(ctx)
        except InternalError as exc:
            log = _write_traceback(exc)
            click.echo(f"codesign: internal error: {exc} (traceback: {log})", err=True)
            sys.exit(exc.exit_code)
        except Interrupted as exc:  # a command that says itself what it kept (codesign data's chunks)
            _leave_interrupted(str(exc))
        except CodesignError as exc:
            click.echo(f"codesign: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:  # click would print 'Aborted!' and exit 1
            _leave_interrupted(_kept(ctx.invoked_subcommand))
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            log = _write_traceback(exc)
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            click.echo(
                f"codesign: internal error (a bug in codesign): {type(exc).__name__}: {first} (traceback: {log})",
                err=True,
            )
            sys.exit(InternalError.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
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


def run() -> None:
    """The program's entry point (the ``codesign`` script, ``python -m codesign`` and ``python -m codesign.cli``).

    ``main`` with one difference: a Ctrl-C leaves with status 130 every time. CPython marks a KeyboardInterrupt
    as unhandled when it passes through Python code that a C extension runs (TensorFlow's function tracing at the
    start of training), even after codesign caught it and called ``sys.exit(130)``, and at exit kills its own
    process with SIGINT (status -2 to a parent process, 130 in a shell). So an interrupted command runs the exit
    handlers itself (temporary folders, worker pools, logging), flushes the console and exits with 130.
    """
    try:
        main()
    except SystemExit as exc:
        if exc.code != Interrupted.exit_code:
            raise
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(Interrupted.exit_code)
