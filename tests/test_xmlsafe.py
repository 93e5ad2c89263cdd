"""parse_untrusted: every hostile or broken body is refused with a reason; a normal one parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from conformance import paths
from conformance.contract import NS_SOAP11
from conformance.xmlsafe import MAX_BYTES, UntrustedXMLError, parse_untrusted

ENVELOPE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    b'<soapenv:Body><fs:consultSpecialInfosRequest xmlns:fs="urn:x"><legalContext>NEO:UNEMPLOYMENT'
    b"</legalContext></fs:consultSpecialInfosRequest></soapenv:Body></soapenv:Envelope>"
)

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
<soapenv:Body><a>&xxe;</a></soapenv:Body></soapenv:Envelope>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""

DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE Envelope SYSTEM "http://example.invalid/soap.dtd">
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
<soapenv:Body/></soapenv:Envelope>"""


def _oversize() -> bytes:
    filler = b"<a>" + b"x" * MAX_BYTES + b"</a>"
    return ENVELOPE.replace(b"<legalContext>", filler + b"<legalContext>")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "empty body", id="empty"),
        pytest.param(b"  \r\n\t ", "empty body", id="whitespace-only"),
        pytest.param(ENVELOPE[: len(ENVELOPE) // 2], "not well-formed XML", id="truncated"),
        pytest.param(b"HTTP/1.1 502 Bad Gateway", "not well-formed XML", id="non-xml"),
        pytest.param(b'{"status": "ok"}', "not well-formed XML", id="json"),
        pytest.param(DTD_ONLY, "DTD", id="dtd"),
        pytest.param(XXE, "DTD", id="xxe-file-etc-passwd"),
        # libxml2 stops the expansion itself ("entity amplification"); were it not to, the DTD
        # check would refuse it. Either way it is refused without expanding.
        pytest.param(BILLION_LAUGHS, "DTD|entity", id="billion-laughs"),
        pytest.param(_oversize(), "exceeds the 1048576-byte limit", id="oversize"),
    ],
)
def test_hostile_or_broken_input_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UntrustedXMLError) as info:
        parse_untrusted(data)
    assert info.value.reason.strip(), "a refusal must say why"
    assert re.search(reason, info.value.reason), info.value.reason
    assert str(info.value) == info.value.reason


def test_xxe_never_reads_the_file() -> None:
    # Even the error text must not leak the entity's target's content.
    passwd = Path("/etc/passwd")
    with pytest.raises(UntrustedXMLError) as info:
        parse_untrusted(XXE)
    if passwd.is_file():
        assert "root:" not in info.value.reason


def test_oversize_limit_is_configurable_and_inclusive() -> None:
    assert parse_untrusted(ENVELOPE, max_bytes=len(ENVELOPE)) is not None
    with pytest.raises(UntrustedXMLError, match="exceeds"):
        parse_untrusted(ENVELOPE, max_bytes=len(ENVELOPE) - 1)


def test_normal_envelope_parses() -> None:
    root = parse_untrusted(ENVELOPE)
    assert etree.QName(root) == etree.QName(NS_SOAP11, "Envelope")
    assert root.findtext(".//legalContext") == "NEO:UNEMPLOYMENT"


def test_every_shipped_example_parses() -> None:
    examples = sorted((paths.xsd_dir() / "examples").rglob("*.xml"))
    assert examples
    for path in examples:
        assert etree.QName(parse_untrusted(path.read_bytes())).localname == "Envelope", path.name


def test_a_str_with_an_encoding_declaration_is_refused_not_crashing() -> None:
    with pytest.raises(UntrustedXMLError, match="not parseable XML"):
        parse_untrusted(ENVELOPE.decode())  # type: ignore[arg-type]
