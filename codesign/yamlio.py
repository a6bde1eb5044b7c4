"""YAML reading for specs, scan files and configs: PyYAML's safe loader, refusing duplicate keys, and one reader of
a YAML file that says what is wrong with a file that is not what it claims (a folder, too large, not UTF-8, tabs,
aliases that expand without bound)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from codesign.errors import SpecError

MAX_BYTES = 1 << 20  # a spec, scan file or hls4ml config is a few kB; PyYAML takes about 30 s per 50 MB
MAX_NODES = 100_000  # values after every alias is expanded: a spec has hundreds; an alias bomb has billions


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader refusing a key given twice in one mapping (plain PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """Build a mapping, raising on a duplicate key with both line numbers."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key (a list): SafeLoader reports it below
                continue
            line = key_node.start_mark.line + 1
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice (lines {first} and {line}); keep one "
                    "(accepted: each key once per mapping)", key_node.start_mark)  # fmt: skip
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def expanded_size(node: yaml.Node | None) -> int:
    """How many values the document holds once every alias is expanded (aliases share nodes: counted per use)."""
    sizes: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        if id(n) in sizes:
            return sizes[id(n)]
        sizes[id(n)] = 1  # a recursive alias (&a [*a]) counts once: SafeLoader builds it as a self-reference
        if isinstance(n, yaml.SequenceNode):
            total = 1 + sum(size(c) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in n.value)
        else:
            total = 1
        sizes[id(n)] = total = min(total, MAX_NODES + 1)
        return total

    return 0 if node is None else size(node)


def parse_yaml_text(text: str, where: Path | str) -> Any:
    """Parse YAML text read from ``where``: duplicate keys refused, aliases bounded, tabs explained."""
    loader = None
    try:
        loader = UniqueKeyLoader(text)  # its reader refuses control characters here, before any parsing
        node = loader.get_single_node()
        n = expanded_size(node)
        if n > MAX_NODES:
            raise SpecError(f"{where}: its YAML aliases (*name) expand to more than {MAX_NODES:,} values (an alias "
                            "bomb, or one shared block repeated without bound); accepted: a file whose values, with "
                            "every alias written out, number fewer than that")  # fmt: skip
        return loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        hint = ""
        if "'\\t'" in str(exc):
            hint = (
                " (a tab: YAML indents with spaces and reads no tab between a key's colon and its value; "
                "accepted: spaces in place of the tabs)"
            )
        raise SpecError(f"{where}: not valid YAML{hint}: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml_file(path: Path | str, what: str = "spec file") -> Any:
    """Read a YAML file, or a SpecError naming it when it is missing, a folder, over :data:`MAX_BYTES`, not UTF-8
    text or not valid YAML. A UTF-8 byte-order mark is read as the encoding's mark, not as text."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(f"{path}: is a folder, not a {what} (accepted: a YAML file)")
    if not path.is_file():
        raise SpecError(f"{path}: {what} not found (accepted: an existing YAML file)")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SpecError(f"{path}: {size / 2**20:.1f} MiB, not a {what} (a {what} is a few kB; accepted: at most "
                        f"{MAX_BYTES // 2**20} MiB of YAML text)")  # fmt: skip
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SpecError(f"{path}: cannot be read ({exc.strerror or exc}); accepted: a readable YAML file") from None
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{path}: cannot be read as a text file (not UTF-8: {exc}); accepted: a UTF-8 YAML file"
        ) from None
    return parse_yaml_text(text, path)
