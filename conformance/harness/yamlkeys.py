"""Repeated keys in a YAML mapping: PyYAML keeps the last one silently, so a copy-paste slip in
a case or environment file would quietly test something else. Both loaders refuse them."""

from __future__ import annotations

from typing import Any

import yaml


def duplicate_key(node: yaml.Node | None) -> tuple[str, int] | None:
    """The first key repeated within one mapping of ``node`` (``yaml.compose`` output), with its
    1-based line; None when there is none."""
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                return str(key.value), key.start_mark.line + 1
            seen.add(key.value)
            found = duplicate_key(value)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = duplicate_key(item)
            if found is not None:
                return found
    return None
