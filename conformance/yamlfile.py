"""Reading a user's YAML file (environment, case, dataset): every problem as one line, with
its line number when YAML knows it, so each loader can say "file, line, what" and nothing else.

Repeated keys are refused: PyYAML keeps the last one silently, so a copy-paste slip in a case or
environment file would quietly test something else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class YamlFileError(ValueError):
    """``problem`` is one line; ``line`` is 1-based, None when the file has no position for it."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


def load(path: Path) -> tuple[Any, yaml.Node | None]:
    """The document of ``path`` and its node tree (for the line of each node)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise YamlFileError(f"not UTF-8 text (byte {exc.start} is {byte:#04x})") from None
    except OSError as exc:
        raise YamlFileError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "").split()) or "unreadable"
        raise YamlFileError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlFileError(f"invalid YAML: {' '.join(str(exc).split())}") from None
    duplicate = duplicate_key(node)
    if duplicate is not None:
        raise YamlFileError(f"duplicate key {duplicate[0]!r}", duplicate[1])
    return data, node


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
