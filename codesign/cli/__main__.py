"""``python -m codesign.cli``."""

from codesign.cli import run

run()
