"""``codesign check BUILD_DIR|SPEC``: the firmware of a finished build, bit for bit, for CI (a thin wrapper over
:func:`codesign.check`)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from codesign import console
from codesign.errors import SpecError

EXIT_CODES = """\b
Exit codes of check (its own; build uses 3 for not bit-exact):
  0  the firmware is bit-exact on every input and edge case
  1  it is not (the first mismatch and the first layer that differs are printed)
  2  usage error: not a build folder or spec, bad --n / --seed / --junit
  5  g++ (or another tool) failed
  6  no bit-exact reference can be computed (a float model the emulator cannot run, or a layer the reference lacks)
  7  internal error (a bug in codesign)"""


def register(main: click.Group) -> None:
    """Add the ``check`` command."""

    @main.command("check", epilog=EXIT_CODES)
    @click.argument("target", type=click.Path(path_type=Path))
    @click.option("--n", "n", type=int, default=None,
                  help="Inputs to check (default: every data input the build C-simulated, or the spec's "
                       "check.n_samples random grid inputs when it has no data); edge cases come on top.")
    @click.option("--junit", type=click.Path(path_type=Path), help="Write a JUnit XML report to this file.")
    @click.option("--trace", is_flag=True, help="Trace the firmware layer by layer (hls4ml trace) even when it is exact; "
                                                  "when it is not, the first layer that differs is always found.")
    @click.option("--seed", type=int, default=0, show_default=True, help="Seed for sampling data and random inputs.")
    @click.option("--part", help="SPEC only: FPGA part for the build (as in codesign build).")
    @click.option("--out", type=click.Path(path_type=Path), help="SPEC only: build folder (as in codesign build).")
    def check_cmd(target: Path, n: int | None, junit: Path | None, trace: bool, seed: int, part: str | None,
                  out: Path | None) -> None:  # fmt: skip
        """Check that a build's firmware, as it is now on disk, is bit-exact with its reference.

        TARGET is a finished `codesign build` folder, or a spec (or hls4ml config), which is built first
        (reusing finished steps) and then checked. The firmware is C-simulated with g++ (recompiled when
        a firmware file changed since the build) on N inputs and on edge cases (zeros, the input type's
        extremes and +-1 LSB, inputs that drive the first layer's sums to their limits), and compared with
        the float64 reference exactly.
        """
        from codesign import check
        from codesign.firmware.check import check_arguments

        check_arguments(n=n, junit=junit, trace=trace, seed=seed)  # before a spec target's build
        if target.is_file():
            from codesign.api import run_build

            ctx, _ = run_build(target, part=part, out=out, force=False, synth=False,
                               progress=click.echo)  # fmt: skip
            build_dir = ctx.out_dir
        elif part is not None or out is not None:
            raise SpecError(f"--part/--out apply to a SPEC, which is built first; {target} is not a spec file")
        else:
            build_dir = target
        # other packages' warnings (tf-keras on QKeras quantizers) go to check/check.log, as a build's go to
        # build.log; only into a folder that is a build, so a wrong path gets its usage error and no new folder
        quiet = console.library_output_to(Path(build_dir) / "check" / "check.log") if (
            Path(build_dir) / ".codesign").is_dir() else contextlib.nullcontext()  # fmt: skip
        with quiet:
            result = check(build_dir, n=n, junit=junit, trace=trace, seed=seed,
                           progress=lambda m: click.echo(f"check: {m}", err=True))  # fmt: skip
        click.echo(f"check: {result.build_dir} ({result.seconds:.1f} s)")
        for line in result.lines():
            click.echo(line)
        if result.exact:
            click.echo("verdict: bit-exact")
        else:
            click.echo("verdict: NOT bit-exact", err=True)
            raise SystemExit(1)
