"""README's spec table ("Every key, its type and default") has a row for every key the spec accepts."""

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from codesign.spec.build import BuildSpec

README = Path(__file__).resolve().parent.parent / "README.md"


def documented_keys(text: str) -> set[str]:
    """Dotted keys named in the first cell of the spec table; a bare name takes the section of the cell's first key."""
    table = text.split("Every key, its type and default:", 1)[1].lstrip().split("\n\n", 1)[0]
    keys: set[str] = set()
    for row in table.splitlines():
        cell = row.split("|")[1] if row.startswith("|") else ""
        prefix = ""
        for name in re.findall(r"`([^`]+)`", cell):
            if "." in name:
                prefix = name.split(".", 1)[0]
                keys.add(name)
            else:
                keys.add(f"{prefix}.{name}" if prefix else name)
    return keys


def spec_keys(model: type[BaseModel] = BuildSpec, prefix: str = "", depth: int = 0) -> list[str]:
    """Every field of the spec down to the sections' own keys (``train.epochs``), not into per-layer maps."""
    out = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        out.append(key)
        sections = [a for a in typing.get_args(field.annotation) or (field.annotation,) if isinstance(a, type)]
        section = next((a for a in sections if issubclass(a, BaseModel)), None)
        if section is not None and depth == 0:
            out.extend(spec_keys(section, f"{key}.", depth + 1))
    return out


def test_the_table_reads_its_cells():
    rows = "Every key, its type and default:\n\n| key | default |\n|---|---|\n| `train.epochs`, `seed` | 1 |\n\nnext"
    assert documented_keys(rows) == {"train.epochs", "train.seed"}


def test_every_spec_key_has_a_row():
    documented = documented_keys(README.read_text())
    missing = [k for k in spec_keys() if not any(d == k or d.startswith(f"{k}.") for d in documented)]
    assert "train.epochs" in spec_keys() and "hls.clock_ns" in spec_keys()
    assert not missing, f"README's spec table has no row for {missing}"
