"""Reading one case file: its YAML, with the line of every node, then the shipped JSON Schema.

Every refusal is a :class:`CaseFileError` naming the file and the line of the offending node
(YAML node marks), so a collection error points at the typo.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from conformance import contract, paths, yamlfile

SCHEMA_FILE = "case.schema.json"
RAW = "raw"  # a crafted message; it borrows consultEmploymentInfos (Case.wire_operation)

# The 1-based line of every node, keyed by its JSON path; a key's own line under "<key>".
Marks = Mapping[tuple[Any, ...], int]


class CaseFileError(Exception):
    """A case file is refused. ``str()`` is ``<file>:<line>: <problem>``."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


@functools.lru_cache(maxsize=1)
def case_schema() -> dict[str, Any]:
    """The shipped JSON Schema of a case file."""
    with (paths.data_dir() / SCHEMA_FILE).open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    # The operations come from the contract, not from the schema file.
    operation = schema["$defs"]["case"]["properties"]["operation"]
    operation["enum"] = [*contract.operation_names(), RAW]
    return schema


def _record_lines(node: yaml.Node, at: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    """Record the line of every node under ``at`` into ``out`` (see :data:`Marks`)."""
    out[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*at, key.value)
            _record_lines(value, child, out)
            out[(*child, "<key>")] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*at, index), out)


def line_of(marks: Marks, at: tuple[Any, ...]) -> int | None:
    while at not in marks and at:
        at = at[:-1]
    return marks.get(at)


def read(path: Path) -> tuple[Any, Marks]:
    try:
        data, node = yamlfile.load(path)
    except yamlfile.YamlFileError as exc:
        raise CaseFileError(path, exc.line, exc.problem) from None
    marks: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _record_lines(node, (), marks)
    return data, marks


def check_schema(path: Path, data: Any, marks: Marks) -> None:
    validator = jsonschema.Draft202012Validator(case_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    # The deepest error is the most precise one; report it with the line of its node.
    error = max(errors, key=lambda e: len(e.absolute_path))
    best = jsonschema.exceptions.best_match([error]) or error
    at = tuple(best.absolute_path)
    message = best.message
    if best.validator == "additionalProperties":
        known = set(best.schema.get("properties", {}))
        unknown = (
            [k for k in best.instance if k not in known] if isinstance(best.instance, dict) else []
        )
        if unknown:
            at = (*at, unknown[0], "<key>")
            message = f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(known))})"
    where = "/".join(str(p) for p in best.absolute_path) or "<top>"
    raise CaseFileError(path, line_of(marks, at), f"{message} (at {where})")
