"""Where codesign's shipped files are: the testbench template, the example specs and the shipped data.

In a checkout (``pip install -e .``) they sit at the repository's top level (``firmware_templates/``,
``models/``); a regular install (``pip install .`` or from a wheel) puts copies under
``<prefix>/share/codesign/`` (``[tool.setuptools.data-files]`` in pyproject.toml). The checkout wins.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARE_ROOT = Path(sys.prefix) / "share" / "codesign"


def shipped_path(*parts: str) -> Path:
    """The shipped file or folder ``parts`` (e.g. ``"models", "data"``), from the checkout or the install."""
    for root in (REPO_ROOT, SHARE_ROOT):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    return REPO_ROOT.joinpath(*parts)  # missing in both: the error that follows names the checkout's path
