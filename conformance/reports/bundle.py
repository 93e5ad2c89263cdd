"""Service-desk bundles: what TSS §8 ("En cas de problèmes") asks a client to send.

For each failed case, ``<report-dir>/bundles/<case-id>/`` holds:

* the SOAP request and response (``request.xml``, ``response.xml``; numbered when a case sent
  several messages);
* ``README.txt``, addressed to the BCSS service desk, giving the message ticket (the BCSS
  ``ticketCBSS`` preferably, else the client's own ``ticket``), the date and time of the call,
  the URL and service, and the environment where the problem shows.

The bundle is written the moment the case fails, so an interrupted run keeps what it gathered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from conformance import soap
from conformance.exchange import Exchange
from conformance.harness.failures import problem_lines
from conformance.harness.outcome import CaseOutcome
from conformance.reports.masking import Masker, clean_bytes
from conformance.xmlsafe import UntrustedXMLError, parse_untrusted

SERVICE = "ForeignerSituationService v1"
# Contact details as TSS §8 gives them.
SERVICE_DESK_MAIL = "servicedesk@ksz-bcss.fgov.be"
SERVICE_DESK_PHONE = "02-741 84 00 (working days, 8:00-16:30)"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
README = "README.txt"
README_HEAD = "To: BCSS service desk"  # how every bundle's README begins (tells ours apart)
# Environments that are not BCSS's: a failure there is ours to look at, not the service desk's.
LOCAL_ENVIRONMENTS = ("reference",)


@dataclass(frozen=True)
class Ticket:
    value: str
    source: str  # "ticketCBSS (BCSS)", "ticket (client)" or "none"


def bundle_dir_name(case_id: str) -> str:
    """A folder name for ``case_id`` (Hypothesis or parametrised ids may hold ``[/]``)."""
    return _UNSAFE.sub("_", case_id).strip("._") or "case"


def find_ticket(exchange: Exchange) -> Ticket:
    """ticketCBSS from the response's informationCBSS or fault detail, else the client's ticket
    from the request's informationCustomer (TSS §8: "ticket BCSS (de préférence)")."""
    response = _payload(exchange.body)
    if response is not None:
        found = response.findtext("informationCBSS/ticketCBSS")
        if found and found.strip():
            return Ticket(found.strip(), "ticketCBSS (BCSS)")
    request = _payload(exchange.request.body)
    if request is not None:
        found = request.findtext("informationCustomer/ticket")
        if found and found.strip():
            return Ticket(found.strip(), "ticket (client's own reference)")
    return Ticket("", "none")


def is_xml(body: bytes) -> bool:
    """Whether ``body`` is well-formed XML (an HTML error page is kept as text)."""
    try:
        parse_untrusted(body, max_bytes=max(len(body), 1))
    except UntrustedXMLError:
        return False
    return True


def _payload(body: bytes) -> etree._Element | None:
    """The payload element, or a fault's detail element; None when the bytes are not SOAP."""
    if not body:
        return None
    try:
        envelope = soap.read(parse_untrusted(body, max_bytes=len(body)))
    except (UntrustedXMLError, soap.NotSoapError):
        return None
    if envelope.fault is not None:
        return envelope.fault.detail
    return envelope.payload


def write_bundle(
    bundles_root: Path,
    outcome: CaseOutcome,
    *,
    environment_name: str,
    endpoint: str,
    client_organisation: str,
    masker: Masker | None,
    secrets: Sequence[str] = (),
) -> Path:
    """Write the bundle of one failed case and return its folder."""
    folder = bundles_root / bundle_dir_name(outcome.case_id)
    folder.mkdir(parents=True, exist_ok=True)
    many = len(outcome.exchanges) > 1
    lines: list[str] = []
    for index, exchange in enumerate(outcome.exchanges, start=1):
        prefix = f"{index:02d}-" if many else ""
        request_name = f"{prefix}request.xml"
        _write(folder / request_name, exchange.request.body, masker, secrets)
        if exchange.body:
            response_name = f"{prefix}response.{'xml' if is_xml(exchange.body) else 'txt'}"
            _write(folder / response_name, exchange.body, masker, secrets)
        else:
            response_name = f"(no response: {exchange.error or 'nothing received'})"
        ticket = find_ticket(exchange)
        lines += _message_lines(
            index if many else None, exchange, ticket, request_name, response_name
        )
    text = _readme(outcome, environment_name, endpoint, client_organisation, lines)
    _write(folder / README, text.encode("utf-8"), masker, secrets)
    return folder


def _write(path: Path, data: bytes, masker: Masker | None, secrets: Sequence[str]) -> None:
    path.write_bytes(clean_bytes(data, masker, secrets))


def _message_lines(
    index: int | None, exchange: Exchange, ticket: Ticket, request_name: str, response_name: str
) -> list[str]:
    head = f"Message {index}" if index is not None else "Message"
    status = f"HTTP {exchange.status}" if exchange.status is not None else "no HTTP response"
    return [
        f"{head}:",
        f"  Ticket:         {ticket.value or '(none in the messages)'}  [{ticket.source}]",
        f"  Date and time:  {exchange.started_at or '(not recorded)'}",
        f"  URL:            {exchange.request.url}",
        f"  SOAPAction:     {_header(exchange.request.headers, 'SOAPAction') or '(none)'}",
        f"  Result:         {status}",
        f"  Request file:   {request_name}",
        f"  Response file:  {response_name}",
        "",
    ]


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def _problem_lines(outcome: CaseOutcome) -> list[str]:
    # The one formatter's lines from the outcome's data: the title, each failure with its
    # authority and Expected/Received lines, the deviations, the warnings. The response is
    # attached as a file, and the "Reproduce with:" block (local paths) is not for the desk.
    if outcome.crash:
        return ["  (the case crashed before its checks ran: see junit.xml)"]
    lines = problem_lines([*outcome.failures, *outcome.warnings], outcome.deviations)
    return [f"  {line}" for line in lines]


def _readme(
    outcome: CaseOutcome,
    environment_name: str,
    endpoint: str,
    client_organisation: str,
    message_lines: list[str],
) -> str:
    local = environment_name in LOCAL_ENVIRONMENTS
    header = [
        f"{README_HEAD} <{SERVICE_DESK_MAIL}>, phone {SERVICE_DESK_PHONE}",
        f"Subject: {SERVICE} - {outcome.operation} - problem seen in {environment_name}",
        "",
    ]
    if local:
        header += [
            f"NOTE: environment {environment_name!r} is this harness's embedded reference",
            "service, not a BCSS environment. Do not send this bundle to the service desk.",
            "",
        ]
    body = [
        "Hello,",
        "",
        f"A call to {SERVICE}, operation {outcome.operation}, did not behave as the",
        f"service's TSS describes ({outcome.tss_ref}). The information TSS §8 asks for:",
        "",
        f"Service:        {SERVICE}, operation {outcome.operation}",
        f"Endpoint URL:   {endpoint}",
        f"Environment:    {environment_name}",
        f"Client:         {outcome.client_role or '(not recorded)'}"
        f" (organisations of this environment: {client_organisation or 'not configured'})",
        "",
        *message_lines,
        "What we expected and what we received:",
        *_problem_lines(outcome),
        "",
        f"Test case: {outcome.case_id} - {outcome.title}",
        "",
        "The SOAP request and response are attached as the files named above.",
        "If NISS numbers in these files read like 'YY#1a2b3c4d', they were masked",
        "(--mask-ssin); we will give the real numbers through a secure channel on request.",
        "",
    ]
    return "\n".join(header + body)
