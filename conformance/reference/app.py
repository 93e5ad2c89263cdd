"""The reference ForeignerSituationService as a WSGI application.

Before the business chain (``chain.py``) comes what BCSS's gateway does, in this order:

1. method: anything but POST -> HTTP 405 with ``Allow: POST`` (no SOAP involved);
2. path other than the contract's ``/ForeignerSituationService/v1/consult`` -> MSG00052;
3. ``application/soap+xml`` (SOAP 1.2) -> MSG00053; another content type than ``text/xml``,
   a body over 1 MiB, empty, truncated, with a DTD, not SOAP or with a Body of more than one
   element -> MSG00004;
4. a SOAP 1.2 envelope -> MSG00053;
5. SOAPAction missing or naming no operation of the contract -> MSG00051;
6. AAA policy: the organisation has no right to the service at all -> MSG00015. With TLS the
   organisation is the client certificate's (subject O) and this runs before XSD validation;
7. XSD validation (TSS §3.3.1) -> MSG00004, including a body element that is not the request
   of the SOAPAction's operation. Without TLS the organisation is the one a *valid*
   ``customerIdentification`` designates, so the AAA policy runs right after this step, and
   MSG00014 (certificate vs identification) cannot arise.

Faults go out with HTTP 500 and ``text/xml; charset=utf-8``; their detail element is the
operation's fault element, ``consultEmploymentInfosFault`` when the operation cannot be told
(docs/architecture.md). Any unexpected error becomes an MSG00003 fault, never a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from conformance import soap, tables
from conformance.contract import DEFAULT_FAULT_OPERATION, Contract, Operation, load_contract
from conformance.reference import responses
from conformance.reference.audit import AuditEntry, AuditLog, decode
from conformance.reference.chain import Call, child_at, identification_of, process
from conformance.reference.dataset import Dataset, Organisation
from conformance.reference.policy import FAITHFUL, Policy
from conformance.reference.request_body import BodyRefused, read_body
from conformance.xmlsafe import REQUEST_LIMITS, UntrustedXMLError, parse_untrusted

DEFAULT_PATH = "/ForeignerSituationService/v1/consult"
_XML_TYPE = "text/xml; charset=utf-8"

StartResponse = Callable[..., Any]


class Refusal(Exception):
    """A technical code decided before the business chain (binding, AAA, XSD)."""

    def __init__(self, code: str, diagnostic: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.diagnostic = diagnostic


@dataclass
class _Exchange:
    """What is learnt about one request while it is processed; feeds the fault and the audit."""

    ticket: str
    received: datetime
    body: bytes = b""
    operation: Operation | None = None
    payload: etree._Element | None = None
    client: Organisation | None = None
    close: bool = False


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    outcome: str


class ReferenceApp:
    """WSGI callable. ``tls`` says whether the organisation comes from the client certificate."""

    def __init__(
        self,
        dataset: Dataset,
        audit: AuditLog,
        *,
        tls: bool,
        policy: Policy = FAITHFUL,
        contract: Contract | None = None,
    ) -> None:
        self.dataset = dataset
        self.audit = audit
        self.tls = tls
        self.policy = policy
        self.contract = contract or load_contract()
        address = self.contract.endpoint_address
        self.path = urlsplit(address).path if address else DEFAULT_PATH
        self._results = responses.ResultCache()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        ex = _Exchange(ticket=responses.new_ticket(), received=responses.now())
        try:
            reply = self._handle(environ, ex)
        except Refusal as refusal:
            code = self.policy.substitute(refusal.code)  # a defect may swap a binding code too
            reply = self._fault(ex, code, refusal.diagnostic)
        except Exception as exc:  # the server keeps serving, and never shows a stack trace
            reply = self._fault(ex, "MSG00003", type(exc).__name__)
        self._log(environ, ex, reply)
        headers = [*reply.headers, ("Content-Length", str(len(reply.body)))]
        if ex.close:
            headers.append(("Connection", "close"))
        status_text = {200: "OK", 405: "Method Not Allowed", 500: "Internal Server Error"}
        start_response(f"{reply.status} {status_text.get(reply.status, 'Status')}", headers)
        return [reply.body]

    # -- gateway ------------------------------------------------------------------------------

    def _handle(self, environ: dict[str, Any], ex: _Exchange) -> Reply:
        if environ.get("REQUEST_METHOD", "GET") != "POST":
            body = b"Method Not Allowed: this service accepts POST only\n"
            return Reply(405, [("Allow", "POST"), ("Content-Type", "text/plain")], body, "HTTP 405")
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if self.policy.check_path and path != self.path:
            raise Refusal("MSG00052", f"path {path[:80]!r}")
        by_action = self.contract.operation_for_action(self._soap_action(environ))
        ex.operation = by_action
        media = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if media == "application/soap+xml" and self.policy.check_soap_version:
            raise Refusal("MSG00053", "application/soap+xml is SOAP 1.2")
        if media not in ("text/xml", "application/soap+xml"):
            raise Refusal("MSG00004", f"content type {media or 'missing'!r}, expected text/xml")
        try:
            ex.body = read_body(environ)
        except BodyRefused as refused:
            ex.body, ex.close = refused.received, refused.close
            raise Refusal("MSG00004", refused.reason) from None
        try:
            envelope = soap.read(parse_untrusted(ex.body, limits=REQUEST_LIMITS))
        except (UntrustedXMLError, soap.NotSoapError) as exc:
            raise Refusal("MSG00004", exc.reason) from None
        ex.payload = envelope.payload
        by_element = self._operation_of(envelope.payload)
        ex.operation = by_action or by_element
        if envelope.version != "1.1" and self.policy.check_soap_version:
            raise Refusal("MSG00053", "SOAP 1.2 envelope")
        missing = "HTTP_SOAPACTION" not in environ  # no header at all, not a wrong one
        dispatched = missing and not self.policy.refuse_missing_soap_action and by_element
        if by_action is None and self.policy.check_soap_action and not dispatched:
            raise Refusal("MSG00051", "SOAPAction missing or naming no operation")
        if envelope.payload is None or envelope.fault is not None:
            raise Refusal("MSG00004", "the SOAP Body holds no request")
        if next(envelope.payload.itersiblings(tag=etree.Element), None) is not None:
            # Document/literal: the message is one part, so the Body holds one element (WS-I R2201).
            raise Refusal("MSG00004", "the SOAP Body holds more than one element")
        certificate = self._certificate_org(environ)
        if certificate is not None:  # two-way TLS: the gateway decides before reading the body
            self._aaa(ex, self.dataset.organisations.get(certificate))
        return self._validated(ex, envelope.payload, by_certificate=certificate is not None)

    def _certificate_org(self, environ: dict[str, Any]) -> str | None:
        """The certificate's organisation id ("" for a certificate naming none), or None when
        the organisation must come from ``customerIdentification`` (no TLS, or a defect
        letting a client through without certificate)."""
        certificate_org = environ.get("SSL_CLIENT_S_DN_O")
        if self.tls and (certificate_org or self.policy.require_client_cert):
            return str(certificate_org or "")
        return None

    def _aaa(self, ex: _Exchange, organisation: Organisation | None) -> None:
        ex.client = organisation
        if organisation is None or not organisation.service_access:
            raise Refusal("MSG00015", "the organisation has no access to this service")

    def _soap_action(self, environ: dict[str, Any]) -> str:
        if "HTTP_SOAPACTION" in environ:
            return str(environ["HTTP_SOAPACTION"])
        media, *params = str(environ.get("CONTENT_TYPE", "")).split(";")
        if media.strip().lower() != "application/soap+xml":
            return ""  # SOAP 1.1: only the SOAPAction header counts
        # SOAP 1.2 carries the action in the content type (reached only when 1.2 is let through).
        for param in params:
            key, _, value = param.strip().partition("=")
            if key.lower() == "action":
                return value
        return ""

    def _operation_of(self, payload: etree._Element | None) -> Operation | None:
        if payload is None or not isinstance(payload.tag, str):
            return None
        return self.contract.operation_for_element(etree.QName(payload).localname)

    def _validated(self, ex: _Exchange, payload: etree._Element, *, by_certificate: bool) -> Reply:
        op = ex.operation
        if op is None:  # only when the SOAPAction is not checked: the body must tell
            raise Refusal("MSG00004", "the body is the request of no operation")
        qname = etree.QName(payload)
        if (qname.namespace, qname.localname) != (self.contract.namespace, op.request):
            raise Refusal("MSG00004", f"{qname.localname} is not the request of {op.name}")
        errors = self.contract.validate(payload)
        if errors:
            raise Refusal("MSG00004", errors[0])
        if not by_certificate:
            # Without TLS the organisation is only known from a valid body: AAA comes here.
            self._aaa(ex, self.dataset.organisation_identified_by(identification_of(payload)))
        assert ex.client is not None
        call = Call(op.name, payload, ex.client, ex.client if by_certificate else None)
        verdict = process(call, self.dataset, self.policy)
        if tables.kind_of(verdict.code) == "technical":
            raise Refusal(verdict.code, verdict.diagnostic)
        answer = responses.business_answer(
            self.contract,
            op,
            payload,
            verdict,
            ex.ticket,
            ex.received,
            indicate_replaced=self.policy.indicate_replaced,
            results=self._results,
        )
        element = self.contract.parse_valid(answer)  # never send what our contract refuses
        if element is None:
            raise Refusal("MSG00003", "the answer built would not be valid")
        if self.policy.mutators:  # a defect bends the answer after it was checked
            self._mutate(element)
            answer = etree.tostring(element, encoding="UTF-8", xml_declaration=False)
        headers = [("Content-Type", self.policy.content_type or _XML_TYPE)]
        return Reply(
            self.policy.business_http_status, headers, soap.wrap_serialised(answer), verdict.code
        )

    # -- faults and logging -------------------------------------------------------------------

    def _fault(self, ex: _Exchange, code: str, diagnostic: str) -> Reply:
        op = ex.operation or self.contract.operations[DEFAULT_FAULT_OPERATION]
        row = tables.technical_codes()[code]
        customer = child_at(ex.payload, "informationCustomer")
        detail = responses.fault_detail(
            self.contract, op, customer, ex.ticket, ex.received, code, diagnostic
        )
        if customer is not None and not self.contract.is_valid(detail):
            # The request's informationCustomer is unreadable (itself invalid): leave it out.
            detail = responses.fault_detail(
                self.contract, op, None, ex.ticket, ex.received, code, diagnostic
            )
        self._mutate(detail)
        kind = row.fault_kind
        if self.policy.swap_faultcode:
            kind = "Server" if kind == "Client" else "Client"
        body = soap.fault_envelope(kind, responses.faultstring(kind), detail)
        headers = [("Content-Type", self.policy.content_type or _XML_TYPE)]
        return Reply(self.policy.fault_http_status, headers, body, code)

    def _mutate(self, element: etree._Element) -> None:
        for mutator in self.policy.mutators:
            mutator(element)

    def audit_server_refusal(self, method: str, path: str, status: str, message: str) -> None:
        """One entry for a request the HTTP server answered itself (malformed HTTP, a request
        head that stalled): it never reached :meth:`__call__`."""
        received = responses.now()
        self.audit.write(
            AuditEntry(
                ticket_cbss=responses.new_ticket(),
                customer_ticket=None,
                time=responses.xsd_datetime(received),
                method=method,
                path=path,
                operation=None,
                client_organisation=None,
                http_status=int(status[:3]) if status[:3].isdigit() else 0,
                outcome=f"HTTP {status[:3]}",
                request="",
                response=f"{status}\n{message}".strip(),
            )
        )

    def _log(self, environ: dict[str, Any], ex: _Exchange, reply: Reply) -> None:
        payload = ex.payload
        ticket_element = child_at(payload, "informationCustomer", "ticket")
        ticket = None if ticket_element is None else ticket_element.text or ""
        self.audit.write(
            AuditEntry(
                ticket_cbss=ex.ticket,
                customer_ticket=ticket,
                time=responses.xsd_datetime(ex.received),
                method=str(environ.get("REQUEST_METHOD", "")),
                path=str(environ.get("PATH_INFO", "")),
                operation=ex.operation.name if ex.operation else None,
                client_organisation=ex.client.id if ex.client else None,
                http_status=reply.status,
                outcome=reply.outcome,
                request=decode(ex.body),
                response=decode(reply.body),
            )
        )
