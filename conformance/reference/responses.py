"""Builds the reference service's payloads: business answers as bytes, fault details with lxml.

A business answer is written from serialised pieces (the hot path): each echoed block is lxml's
serialisation of the parsed request's element, so a hostile value cannot change the structure,
and every other text is escaped. The application then parses the bytes against the XSD before
it sends them. Fault details are built element by element. Status triples and fault texts
come from ``conformance.tables`` (TSS 6.1 / 6.2); the element order follows our XSD.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from conformance import tables
from conformance.contract import Contract, Operation
from conformance.reference.chain import Verdict
from conformance.reference.dataset import CARD_FIELDS, PERMIT_FIELDS, SPECIAL_FIELDS

AUTHOR_CODE = "http://www.ksz-bcss.fgov.be"  # BCSS is the author of every reference fault
REPLACED_FIELD = "replacedSsin"  # decision replaced-indication: a replaced NISS was followed
_ECHOED = ("informationCustomer", "legalContext", "criteria")
_ITEMS = {
    "employmentCards": ("employmentCard", CARD_FIELDS),
    "workPermits": ("workPermit", PERMIT_FIELDS),
    "specialInfos": ("specialInfo", SPECIAL_FIELDS),
}
_DIAGNOSTIC_MAX = 256  # common:DescriptionType
# Parser messages may quote raw request bytes; XML 1.0 cannot carry control characters.
_XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def new_ticket() -> str:
    """A random (version 4) UUID for ticketCBSS, like ``str(uuid.uuid4())`` in a third the time."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def now() -> datetime:
    return datetime.now(UTC)


def xsd_datetime(moment: datetime) -> str:
    """A timezone-aware xsd:dateTime, to the microsecond so that receive < reply is visible."""
    return moment.isoformat(timespec="microseconds")


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, name)
    if text is not None:
        child.text = text
    return child


def information_cbss(ticket: str, received: datetime, replied: datetime) -> etree._Element:
    node = etree.Element("informationCBSS")
    _sub(node, "ticketCBSS", ticket)
    _sub(node, "timestampReceive", xsd_datetime(received))
    _sub(node, "timestampReply", xsd_datetime(replied))
    return node


def business_answer(
    contract: Contract,
    operation: Operation,
    request: etree._Element,
    verdict: Verdict,
    ticket: str,
    received: datetime,
    *,
    indicate_replaced: bool = True,
    results: ResultCache | None = None,
) -> bytes:
    """``<op>Response`` serialised: echoes, fresh informationCBSS, status (TSS 6.1), ssin,
    result. Written from serialised pieces, not built as a tree (the hot path's largest cost):
    each echo is lxml's serialisation of the parsed request block, which declares every
    namespace in scope there (an ``xsi:type="p:Type"`` whose ``p`` was declared on the Envelope
    keeps its meaning), and every other text is escaped. The caller parses the bytes against
    the XSD (:meth:`Contract.parse_valid`) before sending them."""
    echoes: dict[str, bytes] = {}
    for block in request.iterchildren(*_ECHOED):
        echoes.setdefault(str(block.tag), etree.tostring(block, with_tail=False))
    replied = now()
    cbss = (
        f"<informationCBSS><ticketCBSS>{escape(ticket)}</ticketCBSS>"
        f"<timestampReceive>{xsd_datetime(received)}</timestampReceive>"
        f"<timestampReply>{xsd_datetime(replied)}</timestampReply></informationCBSS>"
    )
    parts = [
        _open_tag(contract.namespace, operation.response),
        echoes.get("informationCustomer", b""),
        cbss.encode(),
        echoes.get("legalContext", b""),
        echoes.get("criteria", b""),
        b"<status>",
        _status_fields(verdict.code),
    ]
    if verdict.replaced_ssin and indicate_replaced:
        parts.append(
            f"<information><fieldName>{REPLACED_FIELD}</fieldName>"
            f"<fieldValue>{escape(verdict.replaced_ssin)}</fieldValue></information>".encode()
        )
    parts.append(b"</status>")
    if verdict.ssin:
        parts.append(f"<ssin>{escape(verdict.ssin)}</ssin>".encode())
    if verdict.groups:
        results = results or ResultCache()
        parts.append(results.get(verdict))
    parts.append(f"</fs:{operation.response}>".encode())
    return b"".join(parts)


@functools.lru_cache(maxsize=16)
def _open_tag(namespace: str, name: str) -> bytes:
    return f"<fs:{name} xmlns:fs={quoteattr(namespace)}>".encode()


@functools.lru_cache(maxsize=64)
def _status_fields(code: str) -> bytes:
    row = tables.business_codes()[code]
    return "".join(
        f"<{name}>{escape(text)}</{name}>"
        for name, text in (
            ("value", row.value),
            ("code", row.code),
            ("description", row.description),
        )
    ).encode()


class ResultCache:
    """Serialised ``result`` elements per (final NISS, groups): the dataset does not change
    while serving, and rebuilding dozens of elements per request is costly."""

    def __init__(self) -> None:
        self._built: dict[tuple[str | None, tuple[str, ...]], bytes] = {}

    def get(self, verdict: Verdict) -> bytes:
        key = (verdict.ssin, tuple(verdict.groups))
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = etree.tostring(_result(verdict.groups))
        return built


def _echo(source: etree._Element) -> etree._Element:
    """A deep copy of a request block, with its tail dropped (the response has its own layout).

    The copy declares every namespace in scope at the source: a deep copy keeps only the
    prefixes its names use, and an ``xsi:type="p:Type"`` whose ``p`` was declared on the
    Envelope would name an undeclared prefix (and fail the XSD)."""
    prefixed = {prefix: uri for prefix, uri in source.nsmap.items() if prefix is not None}
    echoed = etree.Element(source.tag, dict(source.attrib), nsmap=prefixed)
    echoed.text = source.text
    for child in source:
        echoed.append(_copy_tree(child))
    return echoed


def _copy_tree(element: etree._Element) -> etree._Element:
    # lxml's copy.copy copies the whole subtree, like deepcopy, without deepcopy's memo: half
    # the cost on the hot path.
    return copy.copy(element)


def _result(groups: Mapping[str, tuple[dict[str, Any], ...]]) -> etree._Element:
    result = etree.Element("result")
    # Group order follows the XSD (employmentCards before workPermits); a requested group with
    # no item is present but empty when another group has data.
    for group in ("employmentCards", "workPermits", "specialInfos"):
        if group not in groups:
            continue
        item_name, fields = _ITEMS[group]
        container = _sub(result, group)
        for record in groups[group]:
            item = _sub(container, item_name)
            for name in fields:
                if name in record:
                    _value(item, name, record[name])
    return result


def _value(parent: etree._Element, name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        node = _sub(parent, name)
        for key, inner in value.items():
            _value(node, key, inner)
        if name in ("reason1", "reason2"):
            _describe_reason(node)
        return
    _sub(parent, name, str(value))


def _describe_reason(node: etree._Element) -> None:
    """Reason-of-stay descriptions come from the TSS table 10.1.1, not from the dataset."""
    reason = tables.reasons_of_stay().get(node.findtext("code") or "")
    if reason is None:
        return
    if reason.description_fr:
        _sub(node, "descriptionFr", reason.description_fr)
    _sub(node, "descriptionNl", reason.description_nl)


def fault_detail(
    contract: Contract,
    operation: Operation,
    information_customer: etree._Element | None,
    ticket: str,
    received: datetime,
    code: str,
    diagnostic: str,
) -> etree._Element:
    """``<op>Fault`` for a SOAP fault's detail (TSS 6.2, our XSD), severity FATAL."""
    row = tables.technical_codes()[code]
    root = etree.Element(
        etree.QName(contract.namespace, operation.fault), nsmap={"fs": contract.namespace}
    )
    if information_customer is not None:
        root.append(_echo(information_customer))
    root.append(information_cbss(ticket, received, now()))
    entry = _sub(root, "detail")
    _sub(entry, "severity", "FATAL")
    _sub(entry, "reasonCode", row.code)
    text = f"{row.description}: {diagnostic}" if diagnostic else row.description
    _sub(entry, "diagnostic", _XML_UNSAFE.sub("?", text)[:_DIAGNOSTIC_MAX])
    _sub(entry, "authorCode", AUTHOR_CODE)
    return root


def faultstring(faultcode: str) -> str:
    """A generic faultstring: the reason is in detail/reasonCode, not here (TSS 6.2)."""
    return "Client error" if faultcode.endswith("Client") else "Server error"
