"""Loading YAML case files into :class:`Case` values: the schema first, then codes and roles.

A case file holds ``cases:``, a list of cases (format in docs/cases.md, schema in
``conformance/data/case.schema.json``). Reading the YAML and the schema check are in
``case_file.py``, codes and roles in ``case_references.py``; every refusal is a
:class:`CaseFileError` naming the file and the line of the offending node.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from conformance import contract
from conformance.harness import case_file, rules
from conformance.harness.case_file import RAW, CaseFileError, Marks, line_of
from conformance.harness.case_references import check_references
from conformance.harness.path_assertions import InvalidAssertion, PathAssertion
from conformance.roles import Roles

# The loader's error and the crafted-message operation belong to its API.
__all__ = ["RAW", "Case", "CaseFileError", "load_file"]


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
    requires: tuple[str, ...] = ()  # what the environment must offer, e.g. ("two_way_tls",)
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


def load_file(
    path: Path | str,
    *,
    codes: Collection[str],
    clients: Collection[str],
    persons: Collection[str],
    vocabulary: Roles | None = None,
) -> list[Case]:
    """Read and check one case file; raise :class:`CaseFileError` naming every case's first
    problem (and the file's own, such as an unknown top-level key).

    ``codes`` are the TSS return codes (``tables.all_codes()``); ``clients`` and ``persons``
    the roles the environment maps. A role outside them is refused (a typo), unless it belongs to
    ``vocabulary`` (the roles of docs/architecture.md): an environment need not map every role,
    and such a case is kept with :attr:`Case.unmapped` set.
    """
    path = Path(path)
    data, marks = case_file.read(path)
    if data is None:
        raise CaseFileError(path, None, "empty case file (expected a 'cases:' list)")
    problems = case_file.schema_problems(data, marks)
    found = [problems.pop(None)] if None in problems else []
    raws = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(raws, list):  # no list of cases to look into
        raise CaseFileError.of_all(path, found or [(None, "expected a 'cases:' list")])
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raws):
        if index in problems:
            found.append(problems[index])
            continue
        at = ("cases", index)
        try:
            case = _build(path, raw, at, marks)
            if case.id in seen:
                raise CaseFileError(
                    path,
                    case.line,
                    f"duplicate case id {case.id!r} (first at line {seen[case.id]})",
                )
            seen[case.id] = case.line
            unmapped = check_references(path, raw, at, marks, codes, clients, persons, vocabulary)
        except CaseFileError as exc:
            found.extend(exc.problems)
            continue
        cases.append(replace(case, unmapped=unmapped) if unmapped else case)
    if found:
        raise CaseFileError.of_all(path, found)
    return cases


def _build(path: Path, raw: Mapping[str, Any], at: tuple[Any, ...], marks: Marks) -> Case:
    line = line_of(marks, at) or 0
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
        line = line_of(marks, (*at, "request", "dataGroups", "<key>")) or line
        raise CaseFileError(path, line, "consultSpecialInfos has no dataGroups (TSS 5.3.1)")
    for index, data in enumerate(raw["expect"].get("assertions") or ()):
        try:  # a bad regular expression is found now, not when the case runs
            PathAssertion.from_mapping(data)
        except InvalidAssertion as exc:
            where = line_of(marks, (*at, "expect", "assertions", index)) or line
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
        requires=tuple(raw.get("requires") or ()),
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
