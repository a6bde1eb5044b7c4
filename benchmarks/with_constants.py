"""Run a benchmark script with estimator constants patched: how a candidate rule behind a hook is judged on every set.

``NAME=VALUE`` pairs (comma-separated; VALUE a Python literal, a tuple or dict in brackets) are set on :mod:`codesign.estimate.constants` for the
length of the run, then SCRIPT runs as ``__main__`` with the remaining arguments. "-" patches nothing::

    .venv/bin/python benchmarks/with_constants.py TOP_CHAIN_COMBINATIONAL=True benchmarks/extra_reports.py
    .venv/bin/python benchmarks/with_constants.py DENSE_COMBINATIONAL_LAST=True benchmarks/estimator_accuracy.py
"""

from __future__ import annotations

import ast
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesign.estimate import constants as K  # noqa: E402


def _top_level_items(spec: str) -> list[str]:
    """``spec`` split at the commas outside brackets, so that a VALUE may be a tuple or a dict."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(spec):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            items.append(spec[start:i])
            start = i + 1
    return [*items, spec[start:]]


def patch(spec: str) -> dict[str, object]:
    """Set each ``NAME=VALUE`` of ``spec`` on the constants; an unknown name or a non-literal value is refused."""
    done: dict[str, object] = {}
    for item in filter(None, (x.strip() for x in _top_level_items(spec))):
        if item == "-":
            continue
        name, sep, value = item.partition("=")
        if not sep or not hasattr(K, name):
            raise SystemExit(
                f"with_constants: {item!r} is not NAME=VALUE with NAME a constant of codesign.estimate.constants"
            )
        try:
            done[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise SystemExit(
                f"with_constants: {name}: {value!r} is not a Python literal (True, 0.6, None ...)"
            ) from None
        setattr(K, name, done[name])
    return done


def main(argv: list[str]) -> None:
    """``with_constants.py SPEC SCRIPT [ARGS...]``."""
    if len(argv) < 2:
        raise SystemExit(__doc__)
    patch(argv[0])
    sys.argv = argv[1:]
    runpy.run_path(argv[1], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
