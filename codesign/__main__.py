"""``python -m codesign``."""

from codesign.cli import main

main()
