"""SOAP 1.1 envelopes: wrapping a payload, and reading a parsed envelope back.

Parsing bytes is ``xmlsafe.parse_untrusted``'s job; this module only walks an already parsed
tree, so both the reference service and the harness read messages the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from conformance.contract import NS_SOAP11, NS_SOAP12


class NotSoapError(ValueError):
    """The XML is not a usable SOAP envelope. ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Fault:
    faultcode: str  # as written, e.g. "soapenv:Client"
    faultcode_qname: etree.QName | None  # resolved against the in-scope namespaces
    faultstring: str
    detail: etree._Element | None  # the first element child of <detail>, if any


@dataclass(frozen=True)
class Envelope:
    version: str  # "1.1" or "1.2"
    payload: etree._Element | None  # first element child of Body (None for an empty Body)
    fault: Fault | None


# The envelope around a business answer never varies: written once, the payload serialised
# between its two halves. Appending the payload to an Envelope tree would move it into another
# document (a walk of the whole subtree) and detach it from the caller's tree.
_ENVELOPE_OPEN = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n"
    + f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}"><soapenv:Body>'.encode()
)
_ENVELOPE_CLOSE = b"</soapenv:Body></soapenv:Envelope>"


def wrap(payload: etree._Element) -> bytes:
    """A SOAP 1.1 envelope around ``payload``, UTF-8 with an XML declaration."""
    inner = etree.tostring(payload, encoding="UTF-8", xml_declaration=False, with_tail=False)
    return wrap_serialised(inner)


def wrap_serialised(payload: bytes) -> bytes:
    """:func:`wrap` for a payload already serialised as one UTF-8 element."""
    return _ENVELOPE_OPEN + payload + _ENVELOPE_CLOSE


def fault_envelope(faultcode: str, faultstring: str, detail: etree._Element | None) -> bytes:
    """A SOAP 1.1 fault; ``faultcode`` is ``Client`` or ``Server`` (or a ``soapenv:`` QName)."""
    local = faultcode.split(":")[-1]
    env = etree.Element(etree.QName(NS_SOAP11, "Envelope"), nsmap={"soapenv": NS_SOAP11})
    body = etree.SubElement(env, etree.QName(NS_SOAP11, "Body"))
    fault = etree.SubElement(body, etree.QName(NS_SOAP11, "Fault"))
    etree.SubElement(fault, "faultcode").text = f"soapenv:{local}"
    etree.SubElement(fault, "faultstring").text = faultstring
    if detail is not None:
        etree.SubElement(fault, "detail").append(detail)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def read(root: etree._Element) -> Envelope:
    """Read a parsed envelope. Raises :class:`NotSoapError` when it is not one."""
    qname = etree.QName(root)
    if qname.localname != "Envelope" or qname.namespace not in (NS_SOAP11, NS_SOAP12):
        raise NotSoapError(f"root element is {qname.text}, not a SOAP Envelope")
    ns = qname.namespace
    version = "1.1" if ns == NS_SOAP11 else "1.2"
    body = next(root.iterchildren(f"{{{ns}}}Body"), None)
    if body is None:
        raise NotSoapError("the SOAP Envelope has no Body")
    payload = next(body.iterchildren(etree.Element), None)
    if payload is None:
        return Envelope(version, None, None)
    if etree.QName(payload).text == f"{{{ns}}}Fault":
        return Envelope(version, payload, _read_fault(payload) if version == "1.1" else None)
    return Envelope(version, payload, None)


def _read_fault(fault: etree._Element) -> Fault:
    code_el = fault.find("faultcode")
    code_text = (code_el.text or "").strip() if code_el is not None else ""
    qname = None
    if ":" in code_text and code_el is not None:
        prefix, local = code_text.split(":", 1)
        # Resolve in the faultcode element's own scope: the prefix may be declared on it.
        uri = code_el.nsmap.get(prefix)
        qname = etree.QName(uri, local) if uri else None
    elif code_text:
        qname = etree.QName(None, code_text)
    detail = fault.find("detail")
    detail_child = None
    if detail is not None:
        detail_child = next(iter(detail.iterchildren(tag=etree.Element)), None)
    return Fault(code_text, qname, (fault.findtext("faultstring") or "").strip(), detail_child)
