"""Loading YAML case files: the shipped JSON Schema first, then codes and roles.

A case file holds ``cases:``, a list of cases (format in docs/cases.md, schema in
``conformance/data/case.schema.json``). Every refusal is a :class:`CaseFileError` naming the file
and the line of the offending node (YAML node marks), so a collection error points at the typo.
Codes are checked against the TSS tables (``conformance.tables``, TSS 6.1/6.2) and roles against
the environment (docs/architecture.md "roles"): a case never holds a NISS or an endpoint.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from conformance import contract, paths, tables
from conformance.harness import rules
from conformance.harness.path_assertions import InvalidAssertion, PathAssertion
from conformance.harness.yamlkeys import duplicate_key
from conformance.roles import Roles

SCHEMA_FILE = "case.schema.json"
RAW = "raw"  # a crafted message; it borrows consultEmploymentInfos (Case.wire_operation)


class CaseFileError(Exception):
    """A case file is refused. ``str()`` is ``<file>:<line>: <problem>``."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Case:
    """One case, as read from YAML. Plain data, so pytest items holding it stay picklable."""

    id: str
    title: str
    tss: str
    operation: str  # consultEmploymentInfos | consultSpecialInfos | raw
    client: str  # a client role
    expect: Mapping[str, Any]
    request: Mapping[str, Any] = field(default_factory=dict)
    craft: str | None = None
    given: Mapping[str, Any] | None = None
    severity: str = "normal"
    tags: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    certification: str | None = None  # "mandatory" | "optional": in the certification profile
    sla_sample: bool = True  # False (``sla: exclude``): provokes a failure on purpose
    path: str = ""
    line: int = 0
    # Vocabulary roles (docs/architecture.md) this environment does not map, e.g.
    # ("person role 'supplier_failure'",): the case is reported not triggerable, never refused.
    unmapped: tuple[str, ...] = ()
    decision: str = ""  # a decision id (data/rules.yaml) the expected outcome rests on

    @property
    def code(self) -> str | None:
        """The return code the case expects (None for an ``expect: {table: any}`` property)."""
        for kind in ("status", "fault"):
            if kind in self.expect:
                return str(self.expect[kind]["code"])
        return None

    @property
    def wire_operation(self) -> str:
        """The operation the message is built for; a ``raw`` case borrows the first one."""
        return contract.EMPLOYMENT_INFOS if self.operation == RAW else self.operation

    @property
    def client_roles(self) -> tuple[str, ...]:
        given_clients = (self.given or {}).get("client")
        return tuple(given_clients) if given_clients else (self.client,)

    @property
    def person_roles(self) -> tuple[str, ...]:
        roles = list((self.given or {}).get("person") or ())
        if self.request.get("person"):
            roles.append(str(self.request["person"]))
        return tuple(roles)


@functools.lru_cache(maxsize=1)
def case_schema() -> dict[str, Any]:
    """The shipped JSON Schema of a case file."""
    with (paths.data_dir() / SCHEMA_FILE).open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    # The operations come from the contract, not from the schema file.
    operation = schema["$defs"]["case"]["properties"]["operation"]
    operation["enum"] = [*contract.operation_names(), RAW]
    return schema


def _marks(node: yaml.Node, at: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    """Record the 1-based line of every node, keyed by its JSON path (keys' lines for keys)."""
    out[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*at, key.value)
            _marks(value, child, out)
            out[(*child, "<key>")] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _marks(item, (*at, index), out)


def _line(marks: Mapping[tuple[Any, ...], int], at: tuple[Any, ...]) -> int | None:
    while at not in marks and at:
        at = at[:-1]
    return marks.get(at)


def _read(path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(path, None, f"cannot be read: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise CaseFileError(path, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise CaseFileError(path, None, f"invalid YAML: {exc}") from None
    marks: dict[tuple[Any, ...], int] = {}
    if node is not None:
        duplicate = duplicate_key(node)
        if duplicate is not None:
            key, line = duplicate
            # YAML would keep the last one silently: a typo'd case would test something else.
            raise CaseFileError(path, line, f"duplicate key {key!r}")
        _marks(node, (), marks)
    return data, marks


def _schema_error(path: Path, data: Any, marks: Mapping[tuple[Any, ...], int]) -> None:
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
    raise CaseFileError(path, _line(marks, at), f"{message} (at {where})")


def load_file(
    path: Path | str,
    *,
    codes: Collection[str],
    clients: Collection[str],
    persons: Collection[str],
    vocabulary: Roles | None = None,
) -> list[Case]:
    """Read and check one case file; raise :class:`CaseFileError` on the first problem.

    ``codes`` are the TSS return codes (``tables.all_codes()``); ``clients`` and ``persons``
    the roles the environment maps. A role outside them is refused (a typo), unless it belongs to
    ``vocabulary`` (the roles of docs/architecture.md): an environment need not map every role,
    and such a case is kept with :attr:`Case.unmapped` set.
    """
    path = Path(path)
    data, marks = _read(path)
    if data is None:
        raise CaseFileError(path, None, "empty case file (expected a 'cases:' list)")
    _schema_error(path, data, marks)
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["cases"]):
        at = ("cases", index)
        case = _build(path, raw, at, marks)
        if case.id in seen:
            raise CaseFileError(
                path, case.line, f"duplicate case id {case.id!r} (first at line {seen[case.id]})"
            )
        seen[case.id] = case.line
        unmapped = _check_refs(path, case, raw, at, marks, codes, clients, persons, vocabulary)
        cases.append(replace(case, unmapped=unmapped) if unmapped else case)
    return cases


def _build(path: Path, raw: Mapping[str, Any], at: tuple[Any, ...], marks: Any) -> Case:
    line = _line(marks, at) or 0
    request = dict(raw.get("request") or {})
    given = dict(raw["given"]) if raw.get("given") else None
    has_ssin_source = bool(
        request.get("person") or (given and ("ssin" in given or "person" in given))
    )
    if not has_ssin_source:
        raise CaseFileError(
            path, line, f"case {raw['id']!r}: needs request.person, given.ssin or given.person"
        )
    if request.get("person") and given and ("ssin" in given or "person" in given):
        raise CaseFileError(
            path,
            line,
            f"case {raw['id']!r}: request.person and given.ssin/person exclude each other",
        )
    if raw["operation"] == contract.SPECIAL_INFOS and "dataGroups" in request:
        line = _line(marks, (*at, "request", "dataGroups", "<key>")) or line
        raise CaseFileError(path, line, "consultSpecialInfos has no dataGroups (TSS 5.3.1)")
    for index, data in enumerate(raw["expect"].get("assertions") or ()):
        try:  # a bad regular expression is found now, not when the case runs
            PathAssertion.from_mapping(data)
        except InvalidAssertion as exc:
            where = _line(marks, (*at, "expect", "assertions", index)) or line
            raise CaseFileError(path, where, f"case {raw['id']!r}: {exc}") from None
    return Case(
        id=raw["id"],
        title=raw["title"],
        tss=raw["tss"],
        operation=raw["operation"],
        client=raw["client"],
        expect=raw["expect"],
        request=request,
        craft=raw.get("craft"),
        given=given,
        severity=raw.get("severity", "normal"),
        tags=tuple(raw.get("tags") or ()),
        markers=tuple(raw.get("markers") or ()),
        certification=raw.get("certification"),
        sla_sample=raw.get("sla") != "exclude",
        path=str(path),
        line=line,
        decision=_decision(path, line, raw),
    )


def _decision(path: Path, line: int, raw: Mapping[str, Any]) -> str:
    """The case's ``decision:``, which must be one of the catalogue's (data/rules.yaml)."""
    name = str(raw.get("decision") or "")
    if name and name not in rules.all_decisions():
        raise CaseFileError(
            path, line, f"case {raw['id']!r}: decision {name!r} is not in rules.yaml"
        )
    return name


def _check_refs(
    path: Path,
    case: Case,
    raw: Mapping[str, Any],
    at: tuple[Any, ...],
    marks: Any,
    codes: Collection[str],
    clients: Collection[str],
    persons: Collection[str],
    vocabulary: Roles | None,
) -> tuple[str, ...]:
    for kind in ("status", "fault"):
        code = raw["expect"].get(kind, {}).get("code")
        if code is not None and code not in codes:
            line = _line(marks, (*at, "expect", kind, "code"))
            raise CaseFileError(path, line, f"unknown return code {code!r} (not in the TSS tables)")
    _check_table_row(path, raw["expect"], at, marks)
    checks = [("client", clients, (*at, "client"), [case.client])]
    given = raw.get("given") or {}
    checks.append(("client", clients, (*at, "given", "client"), list(given.get("client") or ())))
    checks.append(("person", persons, (*at, "given", "person"), list(given.get("person") or ())))
    if case.request.get("person"):
        checks.append(("person", persons, (*at, "request", "person"), [case.request["person"]]))
    unmapped: list[str] = []
    for what, known, where, roles in checks:
        shared: frozenset[str] = frozenset()
        if vocabulary is not None:
            shared = vocabulary.clients if what == "client" else vocabulary.persons
        for index, role in enumerate(roles):
            if role in known:
                continue
            if role in shared:
                unmapped.append(f"{what} role {role!r}")
                continue
            line = _line(marks, (*where, index)) or _line(marks, where)
            raise CaseFileError(
                path,
                line,
                f"unknown {what} role {role!r} (known: {', '.join(sorted({*known, *shared}))})",
            )
    return tuple(dict.fromkeys(unmapped))


def _check_table_row(
    path: Path, expect: Mapping[str, Any], at: tuple[Any, ...], marks: Any
) -> None:
    """The expected outcome is its code's own row: a business code is a status with the row's
    value (TSS 6.1), a technical code a fault with the row's faultcode (TSS 6.2). A case at odds
    with the tables could only fail, and its failure would blame the service for the case."""
    status, fault = expect.get("status"), expect.get("fault")
    problem, where = None, None
    if status is not None:
        code, value = status["code"], status["value"]
        business = tables.business_codes().get(code)
        if code in tables.technical_codes():
            problem, where = f"{code} is a technical code (TSS 6.2): expect a fault", "code"
        elif business is not None and value != business.value:
            problem = f"{code} comes with status value {business.value} (TSS 6.1), not {value}"
            where = "value"
        kind = "status"
    if fault is not None:
        code, faultcode = fault["code"], fault.get("faultcode")
        technical = tables.technical_codes().get(code)
        if code in tables.business_codes():
            problem, where = f"{code} is a business code (TSS 6.1): expect a status", "code"
        elif technical is not None and faultcode not in (None, technical.fault_kind):
            problem = f"{code} is a {technical.fault_kind} fault (TSS 6.2), not {faultcode}"
            where = "faultcode"
        kind = "fault"
    if problem is not None:
        raise CaseFileError(path, _line(marks, (*at, "expect", kind, where)), problem)
