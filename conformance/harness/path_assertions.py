"""A case's own assertions on the answer: a path below the payload root and what it must hold.

A path names every node it matches (``result/employmentCards/employmentCard/permitNumber``), so
``equals`` and ``matches`` hold when ANY matching node satisfies them: an extra node before the
one a case looks for (another ``status/information`` pair, a second card) is no failure. A case
that means more says so: ``all: true`` (every matching node, and at least one) or ``count:``
beside the test (how many matching nodes satisfy it: an int, or ``{min, max}``). ``count:`` alone
counts the matching nodes; ``present`` / ``absent`` need no value. Paths are in no namespace (the
XSD's elements are unqualified).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

OPS = ("equals", "present", "absent", "count", "matches")
TESTS = ("equals", "matches")  # the ops that test a node's text; ``all``/``count`` qualify them
ANY, ALL, COUNTED = "any", "all", "counted"


class InvalidAssertion(ValueError):
    """A path assertion is malformed. The message names the assertion and the problem."""


@dataclass(frozen=True)
class PathAssertion:
    path: str
    op: str
    value: Any = None
    scope: str = ANY  # for equals/matches: ANY node, ALL nodes, or a COUNTED number of them
    satisfying: Any = None  # with COUNTED: an int or {min, max}

    def __post_init__(self) -> None:
        if not self.path or self.path.startswith("/") or "//" in self.path:
            raise InvalidAssertion(f"path {self.path!r}: must be relative, e.g. 'result/ssin'")
        if self.op not in OPS:
            raise InvalidAssertion(f"path {self.path!r}: op {self.op!r} is not one of {OPS}")
        if self.op == "count":
            _check_count(self.path, self.value)
        if self.scope == COUNTED:
            _check_count(self.path, self.satisfying)
        if self.op == "matches":
            try:
                re.compile(str(self.value))
            except re.error as exc:
                raise InvalidAssertion(
                    f"path {self.path!r}: bad regular expression: {exc}"
                ) from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PathAssertion:
        """Read the YAML shape ``{path: ..., <op>: <value>}``, with ``all: true`` or
        ``count: n`` beside ``equals``/``matches``. ``present: false`` reads as ``absent``."""
        if "path" not in data:
            raise InvalidAssertion(f"assertion {dict(data)!r}: has no 'path'")
        where = f"assertion on {data['path']!r}"
        keys = [k for k in data if k != "path"]
        tests = [k for k in keys if k in TESTS]
        if tests:
            extra = [k for k in keys if k not in (*tests, "all", "count")]
            if len(tests) != 1 or extra or ("all" in data and "count" in data):
                raise InvalidAssertion(
                    f"{where}: give one of equals/matches, with at most one of all/count"
                    f" beside it, got {keys}"
                )
            if "all" in data and data["all"] is not True:
                raise InvalidAssertion(f"{where}: all takes true (leave it out for any node)")
            scope = ALL if "all" in data else COUNTED if "count" in data else ANY
            op = tests[0]
            return cls(str(data["path"]), op, data[op], scope, data.get("count"))
        if len(keys) != 1 or keys[0] not in OPS:
            raise InvalidAssertion(f"{where}: give exactly one of {OPS}, got {keys}")
        op, value = keys[0], data[keys[0]]
        if op in ("present", "absent"):
            if not isinstance(value, bool):
                raise InvalidAssertion(f"{where}: {op} takes true/false")
            op = op if value else ("absent" if op == "present" else "present")
            value = None
        return cls(path=str(data["path"]), op=op, value=value)


def evaluate(assertion: PathAssertion, root: etree._Element) -> str | None:
    """None when the assertion holds on ``root``'s document, else what was received."""
    nodes = root.findall(assertion.path)
    op, value = assertion.op, assertion.value
    if op == "present":
        return None if nodes else "absent"
    if op == "absent":
        return None if not nodes else f"{len(nodes)} node(s)"
    if op == "count":
        return None if _counted(len(nodes), value) else f"{len(nodes)} node(s)"
    if not nodes:
        return "absent"
    texts = [(node.text or "").strip() for node in nodes]
    if op == "equals":
        hits = sum(text == _xml_text(value) for text in texts)
    else:
        hits = sum(re.fullmatch(str(value), text) is not None for text in texts)
    if assertion.scope == ALL:
        held = hits == len(texts)
    elif assertion.scope == COUNTED:
        held = _counted(hits, assertion.satisfying)
    else:
        held = hits > 0
    if held:
        return None
    if len(texts) == 1:
        return repr(texts[0])
    shown = ", ".join(repr(t) for t in texts[:5]) + (", ..." if len(texts) > 5 else "")
    return f"{hits} of {len(texts)} nodes hold: {shown}"


def describe(assertion: PathAssertion) -> str:
    """What the assertion expects, in words (the ``Expected:`` of its failure)."""
    if assertion.op in ("present", "absent"):
        return assertion.op
    if assertion.op == "count":
        return f"count {_bounds(assertion.value)}"
    test = f"{assertion.op} {assertion.value!r}"
    if assertion.scope == ALL:
        return f"{test} on every node"
    if assertion.scope == COUNTED:
        return f"{test} on {_bounds(assertion.satisfying)} node(s)"
    return f"{test} on at least one node"


def _counted(n: int, bounds: Any) -> bool:
    if isinstance(bounds, int):
        return n == bounds
    return bool(n >= bounds.get("min", 0) and ("max" not in bounds or n <= bounds["max"]))


def _bounds(bounds: Any) -> str:
    if isinstance(bounds, int):
        return str(bounds)
    return ", ".join(f"{k} {v}" for k, v in bounds.items())


def _xml_text(value: object) -> str:
    """A YAML scalar as XML writes it: ``true`` is xsd:boolean's "true", not Python's "True"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _check_count(path: str, value: Any) -> None:
    if isinstance(value, bool):
        raise InvalidAssertion(f"path {path!r}: count must be an int or {{min: n}}")
    if isinstance(value, int) and value >= 0:
        return
    if isinstance(value, Mapping) and set(value) <= {"min", "max"} and value:
        bounds = list(value.values())
        if all(isinstance(b, int) and not isinstance(b, bool) and b >= 0 for b in bounds):
            return
    raise InvalidAssertion(f"path {path!r}: count must be an int or {{min: n, max: m}}")
