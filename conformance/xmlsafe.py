"""The one function that parses untrusted XML.

Endpoints and clients can send anything: DTDs, external entities, entity bombs, huge or
truncated bodies. Every byte string that crosses the wire is parsed here and nowhere else.
"""

from __future__ import annotations

from lxml import etree

MAX_BYTES = 1024 * 1024  # 1 MiB, the reference service's body limit.


class UntrustedXMLError(ValueError):
    """The bytes are not acceptable XML. ``reason`` is one short human sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)


def parse_untrusted(data: bytes, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """Parse ``data`` and return its root element, or raise :class:`UntrustedXMLError`.

    A document that declares a DTD (and so any entity) is refused outright rather than parsed
    without expansion: a SOAP message never has a reason to carry one (SOAP 1.1 §3).
    """
    if not data or not data.strip():
        raise UntrustedXMLError("empty body")
    if len(data) > max_bytes:
        raise UntrustedXMLError(f"body of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise UntrustedXMLError(f"not well-formed XML: {exc.msg}") from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise UntrustedXMLError(f"not parseable XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UntrustedXMLError("a DTD is not allowed in a SOAP message")
    return root
