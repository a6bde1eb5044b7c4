"""YAML reading for specs and configs: PyYAML's safe loader, refusing duplicate keys."""

from __future__ import annotations

from typing import Any

import yaml


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
