"""The one function that parses untrusted XML.

Endpoints and clients can send anything: DTDs, external entities, entity bombs, huge or
truncated bodies, documents built to be costly (100,000 attributes, deep nesting, thousands of
namespace declarations). Every byte string that crosses the wire is parsed here and nowhere else.
A caller that serves strangers (the reference service) also passes :class:`Limits`: the shape is
checked after parsing and before any further work (XSD validation above all, whose cost and
error log grow with every node).

Comments and processing instructions are dropped while parsing, and the text around them is
joined: they are not content, so no comparison, echo or text read can trip over them
(``<ssin>850730<!-- x -->03328</ssin>`` reads ``85073003328``). SOAP 1.1 §3 forbids processing
instructions in a message; :func:`processing_instructions` finds them for the check that says so.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, fields

from lxml import etree

MAX_BYTES = 1024 * 1024  # 1 MiB, the reference service's body limit.


class UntrustedXMLError(ValueError):
    """The bytes are not acceptable XML. ``reason`` is one short human sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LimitExceeded(UntrustedXMLError):
    """Well-formed, but over one of the :class:`Limits`; ``limit`` is the field's name."""

    def __init__(self, limit: str, value: int) -> None:
        super().__init__(f"the XML document is over the {limit} limit of {value}")
        self.limit = limit


@dataclass(frozen=True)
class Limits:
    """Bounds on a document's shape. A SOAP request of this contract is a few dozen elements,
    six deep, with a handful of namespaces: these leave a wide margin (a WS-Security header's
    certificate fits in ``text``) while keeping the worst case to milliseconds."""

    elements: int = 2000  # element, comment and processing-instruction nodes
    attributes: int = 2000  # in the whole document
    attributes_per_element: int = 64
    depth: int = 48
    text: int = 64 * 1024  # characters of one text node or attribute value
    namespaces: int = 64  # namespace declarations in the whole document

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise ValueError(f"Limits.{f.name} must be at least 1")


# The reference service's limits (docs/reference-service.md lists them).
REQUEST_LIMITS = Limits()

_IN_PLACE_MAX = 64 * 1024  # bytes; larger documents under limits are parsed in their own thread


def _new_parser(*, keep_pis: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=True,
        remove_pis=not keep_pis,
    )


_PARSER = _new_parser()
_PI_PARSER = _new_parser(keep_pis=True)


def parse_untrusted(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    limits: Limits | None = None,
    keep_pis: bool = False,
) -> etree._Element:
    """Parse ``data`` and return its root element, or raise :class:`UntrustedXMLError`
    (:class:`LimitExceeded` when ``limits`` are given and one is exceeded).

    A document that declares a DTD (and so any entity) is refused outright rather than parsed
    without expansion: a SOAP message never has a reason to carry one (SOAP 1.1 §3).
    """
    if not data or not data.strip():
        raise UntrustedXMLError("empty body")
    if len(data) > max_bytes:
        raise UntrustedXMLError(f"body of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    if limits is not None:
        _prescan(data, limits)
    try:
        if limits is not None and len(data) > _IN_PLACE_MAX:
            root = _parse_in_own_thread(data)
        else:
            root = etree.fromstring(data, parser=_PI_PARSER if keep_pis else _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UntrustedXMLError(f"not well-formed XML: {exc.msg}") from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise UntrustedXMLError(f"not parseable XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UntrustedXMLError("a DTD is not allowed in a SOAP message")
    if limits is not None and not _counts_within(data, limits):
        check_limits(root, limits)
    return root


def processing_instructions(data: bytes) -> list[str]:
    """The targets of the processing instructions in a well-formed document, in order (the
    XML declaration is none); [] when there is none or the bytes are not XML."""
    start = data.lstrip()
    rest = start[start.find(b"?>") + 2 :] if re.match(rb"<\?xml\s", start) else start
    if b"<?" not in rest:
        return []  # the usual answer: no second look
    try:
        root = parse_untrusted(data, max_bytes=max(len(data), 1), keep_pis=True)
    except UntrustedXMLError:
        return []
    pis = etree._ProcessingInstruction
    before = [n.target for n in root.itersiblings(preceding=True) if isinstance(n, pis)]
    inside = [n.target for n in root.iter(etree.PI) if isinstance(n, pis)]
    after = [n.target for n in root.itersiblings() if isinstance(n, pis)]
    return [str(target) for target in [*reversed(before), *inside, *after]]


def _counts_within(data: bytes, limits: Limits) -> bool:
    """Whether the bytes alone prove every limit holds, so that the walk of
    :func:`check_limits` is not needed (the usual request): each node needs a '<' (an element
    at depth d has d - 1 open ancestors, each with two), each attribute a '=', each namespace
    declaration an ``xmlns``, and no text is longer than the document."""
    tags = data.count(b"<")
    return (
        tags <= min(limits.elements, 2 * limits.depth)
        and data.count(b"=") <= min(limits.attributes, limits.attributes_per_element)
        and data.count(b"xmlns") <= limits.namespaces
        and len(data) <= limits.text
    )


def _prescan(data: bytes, limits: Limits) -> None:
    """Bound the parse itself, not only what comes after it: every node costs at least one
    '<' (an element at most two), every attribute or namespace declaration one '='. Text
    could hold '=' too; beyond these counts it is refused as well."""
    if data.count(b"<") > 2 * limits.elements + 2:
        raise LimitExceeded("elements", limits.elements)
    if data.count(b"=") > limits.attributes + limits.namespaces:
        raise LimitExceeded("attributes", limits.attributes)


def _parse_in_own_thread(data: bytes) -> etree._Element:
    """libxml2 interns every element and attribute name in a dictionary that lxml keeps per
    thread, for the thread's life: a stream of documents with fresh names grew the service
    by ~1 MB per request, never returned. A large document is parsed in a thread of its own,
    whose dictionary goes when the thread and the document are gone. Small ones (the normal
    request is under 1 KiB) are parsed in place: a thread costs ~0.3 ms."""
    result: list[etree._Element | BaseException] = []

    def parse() -> None:
        try:
            result.append(etree.fromstring(data, parser=_new_parser()))
        except BaseException as exc:  # raised again in the caller's thread
            result.append(exc)

    worker = threading.Thread(target=parse, name="xmlsafe-parse")
    worker.start()
    worker.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def check_limits(root: etree._Element, limits: Limits) -> None:
    """Raise :class:`LimitExceeded` naming the first limit ``root``'s document exceeds."""
    nodes = attributes = namespaces = depth = 0
    for event, item in etree.iterwalk(root, events=("start", "end", "start-ns")):
        if event == "start-ns":
            namespaces += 1
            if namespaces > limits.namespaces:
                raise LimitExceeded("namespaces", limits.namespaces)
            continue
        assert isinstance(item, etree._Element)  # start and end events carry the element
        node = item
        if event == "end":
            depth -= 1
            _text(node.tail, limits)
            continue
        depth += 1
        nodes += 1 + sum(not isinstance(child.tag, str) for child in node)
        count = len(node.attrib)
        attributes += count
        if depth > limits.depth:
            raise LimitExceeded("depth", limits.depth)
        if nodes > limits.elements:
            raise LimitExceeded("elements", limits.elements)
        if count > limits.attributes_per_element:
            raise LimitExceeded("attributes_per_element", limits.attributes_per_element)
        if attributes > limits.attributes:
            raise LimitExceeded("attributes", limits.attributes)
        _text(node.text, limits)
        for value in node.attrib.values():
            _text(value, limits)


def _text(value: str | None, limits: Limits) -> None:
    if value is not None and len(value) > limits.text:
        raise LimitExceeded("text", limits.text)
