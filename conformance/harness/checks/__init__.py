"""The checks: plain functions of (observed exchange, expectation), one concern each.

The exchange is parsed once (:func:`observe`), then EVERY check runs and all failures and warnings
are reported together (:func:`run_checks`); stopping at the first failure would hide the rest.
Each check returns a list of :class:`CheckFailure` (empty when it holds or does not apply) naming
the rule it enforces (``data/rules.yaml``), whose authority says where the rule comes from.
A response the harness could not read or validate always yields at least one failure: it is
never a pass.

Modules: ``envelope`` (transport, SOAP 1.1, HTTP, schema), ``status`` (the TSS 6.1/6.2 tables and
the expected outcome), ``echo`` (what the answer must repeat), ``content`` (result, dates, reasons
of stay, path assertions), ``records`` (a document listed twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from conformance import soap
from conformance.contract import Contract, Operation
from conformance.exchange import Exchange
from conformance.harness import rules
from conformance.harness.expectation import Expectation
from conformance.xmlsafe import UntrustedXMLError, parse_untrusted

WRONG_CODE = "wrong return code"
SCHEMA = "schema violation"
ECHO = "echo mismatch"
TRANSPORT = "transport/TLS failure"
OTHER = "other"
CATEGORIES = (WRONG_CODE, SCHEMA, ECHO, TRANSPORT, OTHER)


@dataclass(frozen=True)
class CheckFailure:
    """One broken rule: what was expected, what came back, and the rule (with its authority)."""

    title: str  # what was checked, e.g. "Return code MSG00005"
    expected: str
    received: str
    category: str = OTHER
    warning: bool = False  # a warning is reported but never fails a case
    details: tuple[str, ...] = ()  # extra lines, e.g. xmlschema element paths
    rule: str = field(kw_only=True)  # a rule id of data/rules.yaml, e.g. "status.code"
    ref: str = field(default="", kw_only=True)  # a finer reference, e.g. the row "6.1 MSG00005"
    # The case's expectation rests on this decision (e.g. both-groups-false): it is the authority.
    decision: str = field(default="", kw_only=True)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown failure category {self.category!r}")
        rules.rule(self.rule)  # an unknown rule id fails here, not in a report
        if self.decision:
            rules.decision(self.decision)

    @property
    def authority(self) -> rules.Authority:
        if self.decision:
            return rules.Authority(rules.DECISION, self.decision)
        known = rules.rule(self.rule).authority
        return rules.Authority(known.kind, self.ref) if self.ref else known

    @property
    def is_decision(self) -> bool:
        """True when only one of our decisions is broken: a deviation outside the reference."""
        return self.authority.is_decision


@dataclass
class Observed:
    """An exchange parsed once, with the request it answers."""

    exchange: Exchange
    contract: Contract
    envelope: soap.Envelope | None = None
    parse_error: str | None = None  # why the response could not be read as SOAP
    request_payload: etree._Element | None = None
    request_operation: Operation | None = None  # from the request's payload or SOAPAction

    @property
    def fault(self) -> soap.Fault | None:
        return self.envelope.fault if self.envelope is not None else None

    @property
    def payload(self) -> etree._Element | None:
        """The business payload (None for a fault, an empty body or an unreadable response)."""
        if self.envelope is None or self.envelope.fault is not None:
            return None
        if self.envelope.version != "1.1":
            return None
        return self.envelope.payload

    @property
    def fault_detail(self) -> etree._Element | None:
        return self.fault.detail if self.fault is not None else None


@dataclass
class CheckReport:
    failures: list[CheckFailure] = field(default_factory=list)
    warnings: list[CheckFailure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def category(self) -> str:
        """The first failure's category ("" when passed): what the reports group by."""
        return self.failures[0].category if self.failures else ""


Check = Callable[[Observed, Expectation], list[CheckFailure]]


def observe(exchange: Exchange, contract: Contract) -> Observed:
    """Parse the response (and the request) once, through ``xmlsafe.parse_untrusted``."""
    observed = Observed(exchange=exchange, contract=contract)
    observed.request_payload, observed.request_operation = _read_request(exchange, contract)
    if not exchange.ok_transport:
        return observed
    try:
        # The transport already capped the body; parse whatever it kept.
        root = parse_untrusted(exchange.body, max_bytes=max(len(exchange.body), 1))
        observed.envelope = soap.read(root)
    except UntrustedXMLError as exc:
        observed.parse_error = exc.reason
    except soap.NotSoapError as exc:
        observed.parse_error = exc.reason
    return observed


def _read_request(
    exchange: Exchange, contract: Contract
) -> tuple[etree._Element | None, Operation | None]:
    payload = None
    try:
        payload = soap.read(
            parse_untrusted(exchange.request.body, max_bytes=len(exchange.request.body) or 1)
        ).payload
    except (UntrustedXMLError, soap.NotSoapError):
        payload = None  # crafted messages may be broken on purpose
    op = (
        contract.operation_for_element(etree.QName(payload).localname)
        if payload is not None
        else None
    )
    if op is None:
        op = contract.operation_for_action(exchange.request.headers.get("SOAPAction", ""))
    return payload, op


def all_checks() -> tuple[Check, ...]:
    """Every check, in report order."""
    from conformance.harness.checks import certificates, content, echo, envelope, records, status

    return (
        envelope.check_transport,
        certificates.check_refused_certificate,
        envelope.check_soap11,
        envelope.check_http_status,
        envelope.check_schema,
        status.check_known_code,
        status.check_business_row,
        status.check_expected_outcome,
        status.check_fault_shape,
        status.check_operation,
        echo.check_echo,
        echo.check_information_cbss,
        echo.check_ssin,
        content.check_result_groups,
        content.check_dates,
        records.check_duplicate_records,
        content.check_reasons_of_stay,
        content.check_assertions,
    )


def run_checks(exchange: Exchange, expectation: Expectation, contract: Contract) -> CheckReport:
    """Run every applicable check and return all failures and warnings together."""
    observed = observe(exchange, contract)
    report = CheckReport()
    for check in all_checks():
        for failure in check(observed, expectation):
            (report.warnings if failure.warning else report.failures).append(failure)
    return report
