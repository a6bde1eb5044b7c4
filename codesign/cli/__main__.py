"""``python -m codesign.cli``."""

from codesign.cli import main

main()
