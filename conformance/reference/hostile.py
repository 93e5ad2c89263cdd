"""Hostile traffic for the reference service, and the promises every answer must keep.

Seeded mutations of one valid request, in four families: bytes of the body, structure of the
XML, XML attacks (entities, bombs, the limits of ``xmlsafe``), and HTTP framing. The suite
runs a few hundred (``tests/test_reference_fuzz.py``); ``benchmarks/fuzz_reference.py`` runs
as many as asked, beside a slowloris crowd. :func:`broken_promises` says what an exchange did
wrong; an empty list means the service kept every promise of docs/reference-service.md.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from conformance import soap
from conformance.contract import Contract
from conformance.reference.wsgi_bridge import REASONS
from conformance.xmlsafe import REQUEST_LIMITS, UntrustedXMLError, parse_untrusted

_EXCEPTION_NAME = re.compile(rb"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")
_L = REQUEST_LIMITS


@dataclass(frozen=True)
class Case:
    family: str  # bytes, structure, xml-attack, http
    name: str
    data: bytes  # what goes on the wire, head included


def post(path: str, body: bytes, headers: dict[str, str], extra: bytes = b"") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode("latin-1") + extra + b"\r\n" + body


def cases(rng: random.Random, path: str, body: bytes, headers: dict[str, str]) -> Iterator[Case]:
    """An endless stream of mutated requests; the same seed gives the same stream."""
    families: list[tuple[str, Callable[[random.Random, bytes], tuple[str, bytes]]]] = [
        ("bytes", _byte_mutation),
        ("structure", _structure_mutation),
        ("xml-attack", _xml_attack),
    ]
    while True:
        pick = rng.randrange(4)
        if pick == 3:
            name, data = _http_mutation(rng, post(path, body, headers))
            yield Case("http", name, data)
            continue
        family, mutate = families[pick]
        name, mutated = mutate(rng, body)
        yield Case(family, name, post(path, mutated, headers))


def _byte_mutation(rng: random.Random, body: bytes) -> tuple[str, bytes]:
    data = bytearray(body)
    kind = rng.choice(["flip", "insert", "delete", "truncate", "duplicate"])
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(data))
        if kind == "flip":
            data[at] = rng.randrange(256)
        elif kind == "insert":
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == "delete":
            del data[at : at + rng.randint(1, 16)]
        elif kind == "duplicate":
            data[at:at] = data[at : at + rng.randint(1, 64)]
    if kind == "truncate":
        del data[rng.randrange(len(data)) :]
    return kind, bytes(data)


def _structure_mutation(rng: random.Random, body: bytes) -> tuple[str, bytes]:
    root = etree.fromstring(body)
    elements = [e for e in root.iter() if isinstance(e.tag, str)][1:]
    target = rng.choice(elements)
    kind = rng.choice(["remove", "duplicate", "attribute", "text", "xsi-type", "move"])
    parent = target.getparent()
    if kind == "remove" and parent is not None:
        parent.remove(target)
    elif kind == "duplicate" and parent is not None:
        parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
    elif kind == "attribute":
        target.set(f"a{rng.randrange(1000)}", "x" * rng.randint(0, 40))
    elif kind == "text":
        target.text = "".join(
            chr(rng.choice([0x20, 0x41, 0xE9, 0x4E00, 0x1F600])) for _ in range(5)
        )
    elif kind == "xsi-type":
        target.set(
            "{http://www.w3.org/2001/XMLSchema-instance}type",
            rng.choice(["xsd:string", "undeclared:Type", "InformationCustomerType"]),
        )
    elif parent is not None:  # move: to the end of the Envelope
        parent.remove(target)
        root.append(target)
    return kind, etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _xml_attack(rng: random.Random, body: bytes) -> tuple[str, bytes]:
    at = body.index(b"<legalContext>")
    kinds = {
        "xxe": lambda: (
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + body[body.index(b"<soapenv:Envelope") :]
        ),
        "laughs": lambda: (
            b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            + body[body.index(b"<soapenv:Envelope") :]
        ),
        "attributes": lambda: (
            body[: at + 13]
            + b"".join(b' a%x=""' % i for i in range(rng.choice([65, 3000, 90_000])))
            + body[at + 13 :]
        ),
        "depth": lambda: body[:at] + b"<d>" * (_L.depth + 1) + b"</d>" * (_L.depth + 1) + body[at:],
        "elements": lambda: body[:at] + b"<e/>" * (_L.elements + 1) + body[at:],
        "text": lambda: body[:at] + b"<t>" + b"t" * (_L.text + 1) + b"</t>" + body[at:],
        "namespaces": lambda: (
            body[:at]
            + b"".join(b'<n xmlns:p%d="urn:x"/>' % i for i in range(_L.namespaces + 1))
            + body[at:]
        ),
        "fresh-names": lambda: (
            body[:at]
            + b"".join(b"<n%x%s/>" % (rng.getrandbits(64), b"q" * 300) for _ in range(1500))
            + body[at:]
        ),
    }
    kind = rng.choice(sorted(kinds))
    return kind, kinds[kind]()


def _http_mutation(rng: random.Random, request: bytes) -> tuple[str, bytes]:
    end = request.index(b"\r\n\r\n") + 4
    head, body = request[:end], request[end:]
    kind = rng.choice(
        [
            "head-flip",
            "length",
            "chunked",
            "bad-chunk",
            "bare-lf",
            "duplicate-length",
            "both-framings",
            "version",
            "method",
            "long-header",
            "pipelined",
        ]
    )
    if kind == "head-flip":
        data = bytearray(head)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data) - 4)] = rng.randrange(256)
        return kind, bytes(data) + body
    if kind == "length":
        delta = rng.choice([-50, -1, 1, 10**12, -(len(body) + 1)])
        return kind, head.replace(
            f"Content-Length: {len(body)}".encode(), f"Content-Length: {len(body) + delta}".encode()
        ) + body
    if kind in ("chunked", "bad-chunk"):
        chunked = head.replace(
            f"Content-Length: {len(body)}".encode(), b"Transfer-Encoding: chunked"
        )
        parts, at = [], 0
        while at < len(body):
            piece = body[at : at + rng.randint(1, 300)]
            parts.append(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            at += len(piece)
        framed = b"".join(parts) + b"0\r\n\r\n"
        if kind == "bad-chunk":
            spot = rng.randrange(len(framed))
            junk = rng.choice([b"zz", b"\n", b"-1\r\n", b"ffffffffff\r\n"])
            framed = framed[:spot] + junk + framed[spot:]
        return kind, chunked + framed
    if kind == "bare-lf":
        return kind, head.replace(b"\r\n", b"\n") + body
    if kind == "duplicate-length":
        return kind, head.replace(
            b"\r\n\r\n", f"\r\nContent-Length: {len(body) + 1}\r\n\r\n".encode()
        ) + body
    if kind == "both-framings":
        return kind, head.replace(b"\r\n\r\n", b"\r\nTransfer-Encoding: chunked\r\n\r\n") + body
    if kind == "version":
        return kind, head.replace(
            b"HTTP/1.1", rng.choice([b"HTTP/2.0", b"HTTP/1.7", b"HTTP/x"]), 1
        ) + body
    if kind == "method":
        return kind, rng.choice([b"GET", b"CONNECT", b"PO ST", b"\x00"]) + head[4:] + body
    if kind == "long-header":
        return kind, head.replace(b"\r\n\r\n", b"\r\nX-Long: " + b"p" * 70_000 + b"\r\n\r\n") + body
    return kind, request + request[: rng.randrange(len(request))]  # pipelined, second one cut


def broken_promises(
    answers: list[tuple[int, dict[str, str], bytes]], rest: bytes, contract: Contract
) -> list[str]:
    """What the answers to one request (in order, then the unparsed ``rest``) did wrong."""
    broken = []
    if not answers:
        broken.append("no answer")
    for index, (status, headers, body) in enumerate(answers):
        closes = headers.get("connection", "").lower() == "close"
        if status not in REASONS:
            broken.append(f"undocumented status {status}")
        if status == 405 and headers.get("allow") != "POST":
            broken.append("405 without Allow: POST")
        if closes and (index < len(answers) - 1 or rest):
            broken.append("something was answered or sent after a closing answer")
        if status not in (200, 405, 500) and not closes:
            broken.append(f"refusal {status} without Connection: close")
        if _EXCEPTION_NAME.search(body):
            broken.append(f"an exception name in a {status} answer")
        if status in (200, 500):
            broken += _soap_promises(status, body, contract)
    return broken


def _soap_promises(status: int, body: bytes, contract: Contract) -> list[str]:
    try:
        envelope = soap.read(parse_untrusted(body))
    except (UntrustedXMLError, soap.NotSoapError) as exc:
        return [f"unreadable {status} answer: {exc.reason}"]
    if status == 500:
        element = envelope.fault.detail if envelope.fault is not None else None
    else:
        element = envelope.payload
    if element is None:
        return [f"a {status} answer without its payload"]
    broken = [f"invalid {status} answer: {error}" for error in contract.validate(element)[:1]]
    if element.findtext("detail/reasonCode") == "MSG00003":
        broken.append("MSG00003 (our own error) for a client's request")
    return broken
