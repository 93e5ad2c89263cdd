"""Checks against the TSS return-code tables (6.1 Business, 6.2 Technique) and the expectation."""

from __future__ import annotations

from lxml import etree

from conformance import tables
from conformance.contract import DEFAULT_FAULT_OPERATION, NS_SOAP11
from conformance.harness.checks import OTHER, SCHEMA, WRONG_CODE, CheckFailure, Observed
from conformance.harness.expectation import Expectation


def status_of(observed: Observed) -> tuple[str, str, str | None] | None:
    """``(value, code, description)`` of a business answer's status, or None."""
    payload = observed.payload
    status = payload.find("status") if payload is not None else None
    if status is None:
        return None
    return (
        (status.findtext("value") or "").strip(),
        (status.findtext("code") or "").strip(),
        status.findtext("description"),
    )


def reason_codes(observed: Observed) -> list[str]:
    """The ``detail/reasonCode`` values of a fault, in order."""
    detail = observed.fault_detail
    if detail is None:
        return []
    return [(code.text or "").strip() for code in detail.iterfind("detail/reasonCode")]


def check_known_code(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """Every returned code is a row of TSS 6.1 or 6.2."""
    status = status_of(observed)
    codes = ([status[1]] if status else []) + reason_codes(observed)
    return [
        CheckFailure(
            f"Return code {code}: not in the Business nor the Technique table",
            "a code of TSS 6.1 or 6.2",
            code or "(empty code)",
            WRONG_CODE,
            rule="status.known-code",
        )
        for code in codes
        if tables.kind_of(code) is None
    ]


def check_business_row(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """status value/code is a TSS 6.1 row, and its description is the row's, word for word."""
    status = status_of(observed)
    if status is None:
        return []
    value, code, description = status
    if tables.kind_of(code) == "technical":
        row_t = tables.technical_codes()[code]
        return [
            CheckFailure(
                f"Return code {code}: a technical code is a SOAP fault",
                f"a {row_t.faultcode} fault with reasonCode {code}",
                f"in-band status {value}/{code}",
                WRONG_CODE,
                rule="status.technical-as-fault",
                ref=f"{row_t.section} {code}",
            )
        ]
    row = tables.business_codes().get(code)
    if row is None:
        return []  # check_known_code names it
    failures = []
    if value != row.value:
        failures.append(
            CheckFailure(
                f"Status value of {code}",
                f"status/value {row.value}",
                value,
                WRONG_CODE,
                rule="status.value",
                ref=f"{row.section} {code}",
            )
        )
    if description is not None and description != row.description:
        failures.append(
            CheckFailure(
                f"Status description of {code}",
                repr(row.description),
                repr(description),
                OTHER,
                rule="status.description",
                ref=f"{row.section} {code}",
            )
        )
    return failures


def check_expected_outcome(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """The answer is the outcome the case expects: a TSS 6.1 status or a TSS 6.2 fault."""
    if observed.envelope is None or observed.envelope.payload is None:
        return []
    status, fault = status_of(observed), observed.fault
    received = _received(observed)
    if expectation.status is not None:
        value, code = expectation.status
        if status is None or (status[0], status[1]) != (value, code):
            return [
                CheckFailure(
                    f"Return code {code}",
                    f"{value}/{code}",
                    received,
                    WRONG_CODE,
                    rule="status.code",
                    ref=f"6.1 {code}",
                    decision=expectation.decision,
                )
            ]
    if expectation.fault is not None:
        kind, code = expectation.fault
        row = tables.technical_codes().get(code)
        section = row.section if row else "6.2"
        if fault is None or code not in reason_codes(observed):
            return [
                CheckFailure(
                    f"Return code {code}",
                    f"SOAP fault reasonCode {code}",
                    received,
                    WRONG_CODE,
                    rule="status.code",
                    ref=f"{section} {code}",
                    decision=expectation.decision,
                )
            ]
        if kind is not None and _local(fault.faultcode_qname) != kind:
            return [
                CheckFailure(
                    f"Faultcode of {code}",
                    f"soapenv:{kind}",
                    fault.faultcode,
                    WRONG_CODE,
                    rule="fault.faultcode",
                    ref=f"{section} {code}",
                )
            ]
    return []


def check_fault_shape(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """A fault has the table's faultcode (TSS 6.2) and a detail element of the right operation
    (the WSDL fault message: ``<op>Fault`` with at least one ``detail`` entry)."""
    fault = observed.fault
    if fault is None:
        return []
    failures = []
    qname = fault.faultcode_qname
    for code in reason_codes(observed):
        if tables.kind_of(code) == "business":  # the mirror of check_business_row's rule
            failures.append(
                CheckFailure(
                    f"Return code {code}: a business code is an in-band status, not a SOAP fault",
                    f"HTTP 200 with status/code {code}",
                    f"SOAP fault {fault.faultcode} reasonCode {code}",
                    WRONG_CODE,
                    rule="fault.business-in-band",
                    ref=f"6.1 {code}",
                )
            )
        row = tables.technical_codes().get(code)
        if row is not None and (
            qname is None or qname.namespace != NS_SOAP11 or qname.localname != row.fault_kind
        ):
            failures.append(
                CheckFailure(
                    f"Faultcode of {code}",
                    f"soapenv:{row.fault_kind} (in {NS_SOAP11})",
                    fault.faultcode or "(no faultcode)",
                    WRONG_CODE,
                    rule="fault.faultcode",
                    ref=f"{row.section} {code}",
                )
            )
    detail = observed.fault_detail
    title = "Fault detail: the operation's own fault element"
    op_name = expectation.operation or (
        observed.request_operation.name if observed.request_operation else DEFAULT_FAULT_OPERATION
    )
    op = observed.contract.operations.get(op_name)
    expected_element = op.fault if op else f"{op_name}Fault"
    if detail is None:
        failures.append(
            CheckFailure(
                title,
                f"detail/{expected_element}",
                "no detail element",
                SCHEMA,
                rule="fault.detail",
            )
        )
    elif etree.QName(detail).localname != expected_element:
        failures.append(
            CheckFailure(
                title,
                f"detail/{expected_element}",
                etree.QName(detail).localname,
                SCHEMA,
                rule="fault.detail",
            )
        )
    elif not reason_codes(observed):
        failures.append(
            CheckFailure(
                title, "at least one detail/reasonCode", "none", SCHEMA, rule="fault.detail"
            )
        )
    return failures


def check_operation(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """A business answer is the response element of the operation asked (WSDL output message)."""
    payload = observed.payload
    op_name = expectation.operation or (
        observed.request_operation.name if observed.request_operation else None
    )
    op = observed.contract.operations.get(op_name) if op_name else None
    if payload is None or op is None:
        return []
    received = etree.QName(payload).localname
    if received == op.response:
        return []
    title = f"WSDL output of {op.name}: <op>Response (TSS 5.2.2 / 5.3.2)"
    return [CheckFailure(title, op.response, received, SCHEMA, rule="operation.response")]


def _received(observed: Observed) -> str:
    status, fault = status_of(observed), observed.fault
    if status is not None:
        return f"{status[0]}/{status[1]}"
    if fault is not None:
        codes = ", ".join(reason_codes(observed)) or "(none)"
        return f"SOAP fault {fault.faultcode} reasonCode {codes}"
    payload = observed.envelope.payload if observed.envelope is not None else None
    name = etree.QName(payload).localname if payload is not None else "an empty Body"
    return f"{name} without status"


def _local(qname: etree.QName | None) -> str | None:
    if qname is None or qname.namespace not in (NS_SOAP11, None):
        return None
    return qname.localname
