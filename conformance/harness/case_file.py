"""Reading one case file: its YAML, with the line of every node, then the shipped JSON Schema.

Every refusal is a :class:`CaseFileError` naming the file and the line of the offending node
(YAML node marks), so a collection error points at the typo.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from conformance import contract, paths, yamlfile

SCHEMA_FILE = "case.schema.json"
RAW = "raw"  # a crafted message; it borrows consultEmploymentInfos (Case.wire_operation)

# The 1-based line of every node, keyed by its JSON path; a key's own line under "<key>".
Marks = Mapping[tuple[Any, ...], int]


MAX_PROBLEMS = 10  # of one file, in its one line


class CaseFileError(Exception):
    """A case file is refused. ``str()`` is ``<file>:<line>: <problem>``, followed by
    ``; line <n>: <problem>`` for each further problem (one per case at most): one line, so
    that a file with several typos is fixed in one pass. ``line`` and ``message`` are the
    first problem's; ``problems`` holds them all, in file order."""

    def __init__(
        self,
        path: Path,
        line: int | None,
        message: str,
        *,
        more: Sequence[tuple[int | None, str]] = (),
    ) -> None:
        self.path, self.line, self.message = path, line, message
        self.problems = ((line, message), *more)
        where = f"{path}:{line}" if line else str(path)
        text = f"{where}: {message}"
        for other_line, other in more[: MAX_PROBLEMS - 1]:
            text += f"; line {other_line}: {other}" if other_line else f"; {other}"
        if len(more) >= MAX_PROBLEMS:
            text += f"; and {len(more) - MAX_PROBLEMS + 1} more problems"
        super().__init__(text)

    @classmethod
    def of_all(cls, path: Path, problems: Sequence[tuple[int | None, str]]) -> CaseFileError:
        ordered = sorted(problems, key=lambda p: p[0] or 0)
        return cls(path, *ordered[0], more=ordered[1:])


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


def schema_problems(data: Any, marks: Marks) -> dict[int | None, tuple[int | None, str]]:
    """The schema's verdict, one problem per case (keyed by its index; ``None`` for the rest
    of the file): the deepest error is the most precise one, with the line of its node."""
    validator = jsonschema.Draft202012Validator(case_schema())
    groups: dict[int | None, list[jsonschema.ValidationError]] = {}
    for error in validator.iter_errors(data):
        at = tuple(error.absolute_path)
        case = at[1] if len(at) >= 2 and at[0] == "cases" and isinstance(at[1], int) else None
        groups.setdefault(case, []).append(error)
    problems = {}
    for case, errors in groups.items():
        errors.sort(key=lambda e: list(map(str, e.absolute_path)))
        problems[case] = _problem(max(errors, key=lambda e: len(e.absolute_path)), marks)
    return problems


def _problem(error: jsonschema.ValidationError, marks: Marks) -> tuple[int | None, str]:
    best = jsonschema.exceptions.best_match([error]) or error
    at = tuple(best.absolute_path)
    message = best.message
    if best.validator == "additionalProperties":
        schema = best.schema if isinstance(best.schema, Mapping) else {}
        known = set(schema.get("properties", {}))
        unknown = (
            [k for k in best.instance if k not in known] if isinstance(best.instance, dict) else []
        )
        if unknown:
            at = (*at, unknown[0], "<key>")
            message = f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(known))})"
    where = "/".join(str(p) for p in best.absolute_path) or "<top>"
    return line_of(marks, at), f"{message} (at {where})"
