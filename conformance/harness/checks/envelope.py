"""Checks on the wire and the envelope: transport, SOAP 1.1, HTTP status, payload schema."""

from __future__ import annotations

from lxml import etree

from conformance.harness.checks import (
    OTHER,
    SCHEMA,
    TRANSPORT,
    CheckFailure,
    Observed,
)
from conformance.harness.expectation import Expectation
from conformance.harness.transport import CLIENT_CERT_DEMANDED, CONNECTION_RESET

_MAX_SCHEMA_LINES = 10

# Only a refusal of the missing client certificate counts: any other TLS failure (a server
# certificate the CA bundle does not trust, a plain-HTTP server, a CA bundle that cannot be
# loaded) proves nothing about two-way TLS and fails the case.
_REFUSALS = (CLIENT_CERT_DEMANDED, CONNECTION_RESET)


def check_transport(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """An HTTP response came back (NOTES §1: HTTPS with two-way TLS to the service address);
    or, when the case expects it, the TLS layer refused the exchange."""
    exchange = observed.exchange
    if expectation.refused_certificate is not None:
        return []  # checks/certificates.py judges it, naming the certificate
    if expectation.tls_refused:
        if exchange.status is None and (exchange.error or "").startswith(_REFUSALS):
            return []
        received = f"HTTP {exchange.status}" if exchange.status is not None else exchange.error
        return [
            CheckFailure(
                "Two-way TLS (NOTES §1, §4: the certificate identifies the client)",
                "the TLS handshake refused without a client certificate",
                received or "no error and no response",
                TRANSPORT,
            )
        ]
    if exchange.ok_transport:
        return []
    return [
        CheckFailure(
            title="Transport (NOTES §1: HTTPS, two-way TLS)",
            expected=f"a complete HTTP response from {exchange.request.url}",
            received=exchange.error or "no HTTP response",
            category=TRANSPORT,
        )
    ]


def check_soap11(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """The response is a SOAP 1.1 envelope, served as text/xml (NOTES §2, SOAP 1.1 binding)."""
    exchange = observed.exchange
    if not exchange.ok_transport:
        return []
    title = "SOAP 1.1 response (NOTES §2: document/literal SOAP 1.1)"
    content_type = _header(exchange.headers, "content-type")
    failures = []
    if observed.envelope is None:
        what = observed.parse_error or "unreadable"
        if "html" in content_type.lower() or exchange.body.lstrip()[:15].lower().startswith(
            (b"<!doctype html", b"<html")
        ):
            what = f"an HTML page ({what})"
        # The HTTP status tells a wrong server (404, 502 from a proxy...) at a glance.
        received = f"{what}; HTTP {exchange.status}, Content-Type {content_type or '(none)'}"
        failures.append(CheckFailure(title, "a well-formed SOAP 1.1 Envelope", received, SCHEMA))
    elif observed.envelope.version != "1.1":
        failures.append(CheckFailure(title, "a SOAP 1.1 Envelope", "a SOAP 1.2 Envelope", SCHEMA))
    elif observed.envelope.payload is None:
        failures.append(
            CheckFailure(title, "a payload or Fault in the Body", "an empty Body", SCHEMA)
        )
    if not content_type.lower().startswith("text/xml"):
        failures.append(
            CheckFailure(
                "Content-Type (NOTES §2: SOAP 1.1 answers are text/xml)",
                "text/xml",
                content_type or "(no Content-Type)",
                OTHER,
            )
        )
    return failures


def check_http_status(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """A fault comes with HTTP 500, a business answer with HTTP 200 (NOTES §2)."""
    if observed.envelope is None or observed.envelope.payload is None:
        return []
    status = observed.exchange.status
    if observed.fault is not None and status != 500:
        return [
            CheckFailure(
                "HTTP status of a SOAP fault (NOTES §2)", "HTTP 500", f"HTTP {status}", OTHER
            )
        ]
    if observed.fault is None and status != 200:
        return [
            CheckFailure(
                "HTTP status of a business answer (NOTES §2: in-band outcomes)",
                "HTTP 200",
                f"HTTP {status}",
                OTHER,
            )
        ]
    return []


def check_schema(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """The payload, or the fault's detail element, is valid against the contract's XSD (TSS 5)."""
    element = observed.payload if observed.fault is None else observed.fault_detail
    if element is None:
        return []  # unreadable or detail-less: check_soap11 / check_fault_shape report it
    contract = observed.contract
    qname = etree.QName(element)
    title = f"XSD validity of {qname.localname} (TSS 5 messages, {contract.xsd_path.name})"
    if qname.namespace != contract.namespace or qname.localname not in contract.element_names:
        return [
            CheckFailure(
                title,
                f"a global element of {contract.namespace}",
                qname.text,
                SCHEMA,
            )
        ]
    if contract.is_valid(element):
        return []
    errors = contract.explain(element) or contract.validate(element)
    return [
        CheckFailure(
            title,
            "a payload valid against the XSD",
            errors[0] if errors else "invalid (no detail from the validator)",
            SCHEMA,
            details=tuple(errors[1:_MAX_SCHEMA_LINES]),
        )
    ]


def _header(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""
