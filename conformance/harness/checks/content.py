"""Checks on the answer's content: result groups, incomplete dates, reasons of stay, assertions."""

from __future__ import annotations

import re

from lxml import etree

from conformance import dates, tables
from conformance.contract import EMPLOYMENT_INFOS
from conformance.harness import path_assertions
from conformance.harness.checks import OTHER, SCHEMA, CheckFailure, Observed
from conformance.harness.expectation import Expectation

_DOCUMENTS = ("employmentCard", "workPermit", "specialInfo")


def requested_groups(observed: Observed, expectation: Expectation) -> set[str] | None:
    """The consultEmploymentInfos groups asked for: the expectation's, else the request's."""
    if expectation.data_groups is not None:
        return {name for name, wanted in expectation.data_groups.items() if wanted}
    request = observed.request_payload
    groups = request.find("criteria/dataGroups") if request is not None else None
    if groups is None:
        return None
    return {
        etree.QName(child).localname
        for child in groups
        if (child.text or "").strip() in ("true", "1")
    }


def check_result_groups(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """result is present with DATA_FOUND (TSS 6.1 MSG00000), absent otherwise (decision
    empty-result), and holds only the requested data groups (TSS 5.2.1)."""
    payload = observed.payload
    if payload is None or payload.find("status") is None:
        return []
    value = (payload.findtext("status/value") or "").strip()
    result = payload.find("result")
    if (result is not None) != (value == "DATA_FOUND"):
        shown = "present" if result is not None else "absent"
        want = "present" if value == "DATA_FOUND" else "absent"
        return [
            CheckFailure(
                f"result {want} with {value or 'no status value'}",
                f"result {want} with status {value}",
                f"result {shown}",
                SCHEMA,
                rule="result.present" if value == "DATA_FOUND" else "result.absent",
            )
        ]
    employment = observed.contract.operations[EMPLOYMENT_INFOS]
    if result is None or etree.QName(payload).localname != employment.response:
        return []
    wanted = requested_groups(observed, expectation)
    extra = [
        child.tag
        for child in result
        if isinstance(child.tag, str) and wanted is not None and child.tag not in wanted
    ]
    if not extra:
        return []
    return [
        CheckFailure(
            "result: only the requested data groups",
            f"only {', '.join(sorted(wanted or ())) or 'no group'}",
            f"also {', '.join(extra)}",
            SCHEMA,
            rule="result.groups",
        )
    ]


def check_dates(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """Incomplete dates are well formed (the contract's date type); expiry before inception is a
    warning only (decision no-interpretation)."""
    payload = observed.payload
    result = payload.find("result") if payload is not None else None
    if payload is None or result is None:
        return []
    failures = []
    for doc in result.iter(*_DOCUMENTS):
        parsed: list[tuple[etree._Element, dates.IncompleteDate]] = []
        for node in doc.iter("inceptionDate", "expiryDate"):
            try:
                parsed.append((node, dates.parse((node.text or "").strip())))
            except dates.InvalidIncompleteDate as exc:
                failures.append(
                    CheckFailure(
                        f"Incomplete date {_path(payload, node)}",
                        "yyyy-mm-dd with 00 for unknown parts, or 9999-00-00",
                        f"{node.text!r}: {exc.reason}",
                        SCHEMA,
                        rule="dates.form",
                    )
                )
        # The document's own inception against each of its expiry dates, expirationDetails'
        # included (one must not hide the other).
        starts = [
            d for node, d in parsed if node.tag == "inceptionDate" and node.getparent() is doc
        ]
        ends = [d for node, d in parsed if node.tag == "expiryDate"]
        for start, end in ((s, e) for s in starts for e in ends):
            if dates.compare(end, start) != "before":
                continue
            name = etree.QName(doc).localname
            failures.append(
                CheckFailure(
                    f"{name} dates (no interpretation, warning only)",
                    "expiryDate not before inceptionDate",
                    f"expiry {end} before inception {start} at {_path(payload, doc)}",
                    OTHER,
                    warning=True,
                    rule="dates.order",
                )
            )
    return failures


def check_reasons_of_stay(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """Reason-of-stay codes are known CTMS codes (TSS 10.1.1). The table is cut off in our copy,
    so an unknown well-formed code is a warning (decision truncated-reasons-table); a malformed
    one is a failure."""
    payload = observed.payload
    if payload is None:
        return []
    known = tables.reasons_of_stay()
    failures = []
    for node in payload.iterfind("result/specialInfos/specialInfo/*/code"):
        code = (node.text or "").strip()
        title = f"Reason of stay {_path(payload, node)}"
        if not re.fullmatch(r"[0-9]{8}", code):
            failures.append(
                CheckFailure(title, "an 8-digit CTMS code", repr(code), SCHEMA, rule="reasons.form")
            )
        elif code not in known:
            failures.append(
                CheckFailure(
                    title,
                    "a code of TSS 10.1.1",
                    f"unknown code {code}",
                    OTHER,
                    warning=True,
                    rule="reasons.known",
                )
            )
    return failures


def check_assertions(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """The case's own path assertions, on the payload (or on the fault's detail element)."""
    if not expectation.assertions:
        return []
    root = observed.payload if observed.payload is not None else observed.fault_detail
    failures = []
    for assertion in expectation.assertions:
        title = f"Assertion {assertion.op} on {assertion.path}"
        expected = path_assertions.describe(assertion)
        if root is None:
            failures.append(
                _assertion_failure(title, expected, "no payload to evaluate", expectation)
            )
            continue
        problem = path_assertions.evaluate(assertion, root)
        if problem is not None:
            failures.append(_assertion_failure(title, expected, problem, expectation))
    return failures


def _assertion_failure(
    title: str, expected: str, received: str, expectation: Expectation
) -> CheckFailure:
    """A case's assertion has the case's own authority: its decision, or its TSS reference."""
    return CheckFailure(
        title,
        expected,
        received,
        OTHER,
        rule="case.assertion",
        ref=expectation.tss,
        decision=expectation.decision,
    )


def _path(root: etree._Element, node: etree._Element) -> str:
    """``node``'s path below the payload root, e.g. ``result/employmentCards/employmentCard[2]``."""
    parts = []
    at: etree._Element | None = node
    while at is not None and at is not root:
        parent = at.getparent()
        same = [c for c in parent if c.tag == at.tag] if parent is not None else [at]
        name = etree.QName(at).localname
        parts.append(f"{name}[{same.index(at) + 1}]" if len(same) > 1 else name)
        at = parent
    return "/".join(reversed(parts))
