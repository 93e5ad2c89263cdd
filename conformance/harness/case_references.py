"""What a case refers to, checked: its return codes against the TSS tables (TSS 6.1/6.2), its
roles against the environment's (docs/architecture.md "roles"). A case holds roles, never a NISS
or an endpoint; a role the environment does not map but the vocabulary knows is returned, so the
case is reported not triggerable rather than refused.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from conformance import tables
from conformance.harness.case_file import CaseFileError, Marks, line_of
from conformance.roles import Roles


def check_references(
    path: Path,
    raw: Mapping[str, Any],
    at: tuple[Any, ...],
    marks: Marks,
    codes: Collection[str],
    clients: Collection[str],
    persons: Collection[str],
    vocabulary: Roles | None,
) -> tuple[str, ...]:
    for kind in ("status", "fault"):
        code = raw["expect"].get(kind, {}).get("code")
        if code is not None and code not in codes:
            line = line_of(marks, (*at, "expect", kind, "code"))
            raise CaseFileError(path, line, f"unknown return code {code!r} (not in the TSS tables)")
    _check_table_row(path, raw["expect"], at, marks)
    checks = [("client", clients, (*at, "client"), [raw["client"]])]
    given = raw.get("given") or {}
    checks.append(("client", clients, (*at, "given", "client"), list(given.get("client") or ())))
    checks.append(("person", persons, (*at, "given", "person"), list(given.get("person") or ())))
    person = (raw.get("request") or {}).get("person")
    if person:
        checks.append(("person", persons, (*at, "request", "person"), [person]))
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
            line = line_of(marks, (*where, index)) or line_of(marks, where)
            raise CaseFileError(
                path,
                line,
                f"unknown {what} role {role!r} (known: {', '.join(sorted({*known, *shared}))})",
            )
    return tuple(dict.fromkeys(unmapped))


def _check_table_row(
    path: Path, expect: Mapping[str, Any], at: tuple[Any, ...], marks: Marks
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
        raise CaseFileError(path, line_of(marks, (*at, "expect", kind, where)), problem)
