"""``python -m codesign``."""

from codesign.cli import run

run()
