"""JUnit XML for CI: test suites of test cases, each passing or failing with its first mismatch.

Written with :mod:`xml.etree.ElementTree` (escaping is its job), atomically (a temporary file renamed over
the target), and read back once to make sure what CI will parse is well-formed.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from codesign.errors import SpecError


@dataclass(frozen=True)
class Case:
    """One JUnit test case; ``failure`` is the one-line message of a failing case (None: it passed)."""

    name: str
    classname: str
    failure: str | None = None
    details: str = ""
    seconds: float = 0.0
    skipped: str | None = None


def to_xml(suites: dict[str, list[Case]], *, name: str = "codesign check") -> ET.Element:
    """The ``<testsuites>`` element for suites of cases."""
    root = ET.Element("testsuites", name=name)
    total = failures = skipped = 0
    for suite_name, cases in suites.items():
        n_fail = sum(c.failure is not None for c in cases)
        n_skip = sum(c.skipped is not None for c in cases)
        suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(cases)), failures=str(n_fail),
                              errors="0", skipped=str(n_skip), time=f"{sum(c.seconds for c in cases):.3f}")  # fmt: skip
        for c in cases:
            el = ET.SubElement(suite, "testcase", name=c.name, classname=c.classname, time=f"{c.seconds:.3f}")
            if c.failure is not None:
                f = ET.SubElement(el, "failure", message=c.failure, type="NotBitExact")
                f.text = c.details or c.failure
            elif c.skipped is not None:
                ET.SubElement(el, "skipped", message=c.skipped)
            elif c.details:
                ET.SubElement(el, "system-out").text = c.details
        total, failures, skipped = total + len(cases), failures + n_fail, skipped + n_skip
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    return root


def is_junit(path: Path) -> bool:
    """Whether ``path`` holds a JUnit report this module wrote (a ``<testsuites name="codesign check">`` root)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return False
    return root.tag == "testsuites" and root.get("name") == "codesign check"


def write(path: Path, suites: dict[str, list[Case]]) -> Path:
    """Write the JUnit file atomically and check it parses; returns the path."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(f"--junit {path} is a folder (accepted: a file path, e.g. check.xml)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tree = ET.ElementTree(to_xml(suites))
        ET.indent(tree)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                tree.write(fh, encoding="utf-8", xml_declaration=True)
            ET.parse(tmp)  # what CI reads must be well-formed
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise SpecError(f"--junit {path}: cannot write the file: {exc.strerror or exc}") from None
    return path
