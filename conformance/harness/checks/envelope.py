"""Checks on the wire and the envelope: transport, SOAP 1.1, HTTP status, payload schema."""

from __future__ import annotations

from lxml import etree

from conformance.harness import tls_refusal
from conformance.harness.checks import (
    OTHER,
    SCHEMA,
    TRANSPORT,
    CheckFailure,
    Observed,
)
from conformance.harness.expectation import Expectation
from conformance.xmlsafe import processing_instructions

_MAX_SCHEMA_LINES = 10
_QUOTED_MAX = 120  # characters of a plain-text answer quoted in a failure


def check_transport(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """An HTTP response came back (TSS 4: HTTPS with two-way TLS to the service address);
    or, when the case expects it, the TLS layer refused the exchange."""
    exchange = observed.exchange
    if expectation.refused_certificate is not None:
        return []  # checks/certificates.py judges it, naming the certificate
    if expectation.tls_refused:
        # Only a refused handshake over https counts (tls_refusal.judge): an untrusted server
        # certificate, a plain-HTTP server or a reset before any TLS byte proves nothing.
        verdict = tls_refusal.judge(exchange)
        title = "Two-way TLS: the certificate identifies the client"
        if not verdict.refused:
            expected = "the TLS handshake refused without a client certificate"
            return [
                CheckFailure(
                    title,
                    expected,
                    verdict.reason,
                    TRANSPORT,
                    rule="tls.client-certificate-required",
                )
            ]
        if verdict.warning is None:
            return []
        return [
            CheckFailure(
                "TLS refusal without an alert",
                verdict.warning,
                verdict.reason,
                TRANSPORT,
                warning=True,
                rule="tls.refusal-alert",
            )
        ]
    if exchange.ok_transport:
        return []
    return [
        CheckFailure(
            title="Transport: HTTPS, two-way TLS",
            expected=f"a complete HTTP response from {exchange.request.url}",
            received=exchange.error or "no HTTP response",
            category=TRANSPORT,
            rule="transport.response",
        )
    ]


def check_soap11(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """The response is a SOAP 1.1 envelope, served as text/xml (the WSDL's SOAP 1.1 binding)."""
    exchange = observed.exchange
    if not exchange.ok_transport:
        return []
    title = "SOAP 1.1 response (document/literal)"
    content_type = _header(exchange.headers, "content-type")
    failures = []
    if observed.envelope is None:
        what = observed.parse_error or "unreadable"
        if "html" in content_type.lower() or exchange.body.lstrip()[:15].lower().startswith(
            (b"<!doctype html", b"<html")
        ):
            what = f"an HTML page ({what})"
        elif content_type.lower().startswith("text/plain"):
            # Gateways explain in plain text (nginx: plain HTTP sent to its HTTPS port).
            line = exchange.body.decode("utf-8", "replace").strip().split("\n", 1)[0]
            what = f"a plain-text body {line[:_QUOTED_MAX]!r} ({what})"
        encoding = _header(exchange.headers, "content-encoding")
        if encoding and encoding.lower() != "identity":
            # The harness asks for Accept-Encoding: identity: a compressed body is the server's
            # (or a gateway's) doing, and its bytes are no XML to read.
            what = f"a body compressed with Content-Encoding: {encoding}, not asked for ({what})"
        elif exchange.body[:2] == b"\x1f\x8b":
            what = f"a gzip-compressed body without Content-Encoding ({what})"
        # The HTTP status tells a wrong server (404, 502 from a proxy...) at a glance.
        received = f"{what}; HTTP {exchange.status}, Content-Type {content_type or '(none)'}"
        failures.append(
            CheckFailure(
                title, "a well-formed SOAP 1.1 Envelope", received, SCHEMA, rule="soap.envelope"
            )
        )
    elif observed.envelope.version != "1.1":
        failures.append(
            CheckFailure(
                title, "a SOAP 1.1 Envelope", "a SOAP 1.2 Envelope", SCHEMA, rule="soap.envelope"
            )
        )
    elif observed.envelope.payload is None:
        failures.append(
            CheckFailure(
                title,
                "a payload or Fault in the Body",
                "an empty Body",
                SCHEMA,
                rule="soap.envelope",
            )
        )
    if observed.envelope is not None:
        targets = processing_instructions(exchange.body)
        if targets:  # the checks ignore them (xmlsafe drops them): this is the only verdict
            failures.append(
                CheckFailure(
                    "No processing instruction in a message",
                    "no processing instruction",
                    ", ".join(f"<?{target} ...?>" for target in targets[:3])
                    + (f" ({len(targets)} in all)" if len(targets) > 3 else ""),
                    SCHEMA,
                    rule="soap.no-processing-instruction",
                )
            )
    if not content_type.lower().startswith("text/xml"):
        failures.append(
            CheckFailure(
                "Content-Type: SOAP 1.1 answers are text/xml",
                "text/xml",
                content_type or "(no Content-Type)",
                OTHER,
                rule="http.content-type",
            )
        )
    return failures


def check_http_status(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """A fault comes with HTTP 500, a business answer with HTTP 200 (WS-I BP R1126, R1124)."""
    if observed.envelope is None or observed.envelope.payload is None:
        return []
    status = observed.exchange.status
    if observed.fault is not None and status != 500:
        return [
            CheckFailure(
                "HTTP status of a SOAP fault",
                "HTTP 500",
                f"HTTP {status}",
                OTHER,
                rule="fault.http-status",
            )
        ]
    if observed.fault is None and status != 200:
        return [
            CheckFailure(
                "HTTP status of a business answer (in-band outcome)",
                "HTTP 200",
                f"HTTP {status}",
                OTHER,
                rule="http.answer-status",
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
                rule="schema.element",
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
            rule="schema.valid",
        )
    ]


def _header(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""
