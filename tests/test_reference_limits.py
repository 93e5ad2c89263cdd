"""Bounded work before validation, and valid answers: the XML limits, the xsi:type echo."""

from __future__ import annotations

import io

import pytest
import requests

from conformance import paths
from conformance.contract import MAX_ERRORS, load_contract
from conformance.reference import samples
from conformance.reference.app import ReferenceApp
from conformance.reference.audit import AuditLog
from conformance.reference.dataset import Dataset
from conformance.reference.pytest_fixture import session_for
from conformance.soap import read
from conformance.xmlsafe import REQUEST_LIMITS, LimitExceeded, Limits, parse_untrusted

pytest_plugins = ["conformance.reference.pytest_fixture"]

CONTRACT = load_contract()
DATASET = Dataset.load()
GOOD = samples.for_roles(DATASET, "consultEmploymentInfos", "concurrent_cards")
L = REQUEST_LIMITS
_COMMON = "http://kszbcss.fgov.be/types/common/v3"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _in_legal_context(inner: bytes, attributes: bytes = b"") -> bytes:
    return GOOD.body.replace(b"<legalContext>", b"<legalContext" + attributes + b">" + inner, 1)


HOSTILE = {
    "attributes_per_element": _in_legal_context(
        b"", b"".join(b' a%d=""' % i for i in range(L.attributes_per_element + 1))
    ),
    "attributes": _in_legal_context(
        b"".join(
            b"<y " + b"".join(b' a%d=""' % i for i in range(60)) + b"/>"
            for _ in range(L.attributes // 60 + 1)
        )
    ),
    "depth": _in_legal_context(b"<d>" * L.depth + b"</d>" * L.depth),
    "elements": _in_legal_context(b"<e/>" * (L.elements + 1)),
    "text": _in_legal_context(b"<t>" + b"t" * (L.text + 1) + b"</t>"),
    "namespaces": _in_legal_context(
        b"".join(b'<n xmlns:p%d="urn:x"/>' % i for i in range(L.namespaces + 1))
    ),
}


def _diagnostic(response: requests.Response) -> tuple[str | None, str]:
    root = parse_untrusted(response.content)
    return root.findtext(".//reasonCode"), root.findtext(".//diagnostic") or ""


@pytest.mark.parametrize("limit", list(HOSTILE))
def test_each_limit_refuses_with_msg00004_naming_it(reference_service, limit: str) -> None:  # type: ignore[no-untyped-def]
    service = reference_service(tls=False)
    with session_for(service) as session:
        response = session.post(service.url, data=HOSTILE[limit], headers=GOOD.headers, timeout=10)
    code, diagnostic = _diagnostic(response)
    assert response.status_code == 500 and code == "MSG00004"
    assert f"{limit} limit" in diagnostic, diagnostic


@pytest.mark.parametrize("limit", list(HOSTILE))
def test_limits_name_the_first_exceeded(limit: str) -> None:
    with pytest.raises(LimitExceeded) as caught:
        parse_untrusted(HOSTILE[limit], limits=L)
    assert caught.value.limit == limit


def test_limits_pass_a_request_at_every_bound() -> None:
    # What the contract permits is far inside: a request right at each bound still parses.
    at_bound = [
        _in_legal_context(b"", b"".join(b' a%d=""' % i for i in range(L.attributes_per_element))),
        _in_legal_context(b"<d>" * (L.depth - 6) + b"</d>" * (L.depth - 6)),
        _in_legal_context(b"<t>" + b"t" * L.text + b"</t>"),
        _in_legal_context(b"".join(b'<n xmlns:p%d="urn:x"/>' % i for i in range(L.namespaces - 2))),
    ]
    for body in at_bound:
        parse_untrusted(body, limits=L)
    for example in sorted((paths.xsd_dir() / "examples" / "valid").glob("*.xml")):
        parse_untrusted(example.read_bytes(), limits=L)
    with pytest.raises(ValueError, match="depth"):
        Limits(depth=0)


def test_without_limits_the_harness_parses_as_before() -> None:
    parse_untrusted(HOSTILE["elements"])  # the harness's callers pass no limits


def test_schema_errors_are_bounded() -> None:
    bomb = _in_legal_context(b"<u/>" * 500)
    payload = read(parse_untrusted(bomb)).payload
    assert payload is not None
    assert 1 <= len(CONTRACT.validate(payload)) <= MAX_ERRORS


def test_xsi_type_echo_keeps_its_namespace_declaration(reference_service) -> None:  # type: ignore[no-untyped-def]
    # The prefix of the xsi:type value is declared on the Envelope only: the echo must carry it.
    body = GOOD.body.replace(
        b"<soapenv:Envelope ",
        f'<soapenv:Envelope xmlns:c="{_COMMON}" xmlns:xsi="{_XSI}" '.encode(),
    ).replace(
        b"<informationCustomer>", b'<informationCustomer xsi:type="c:InformationCustomerType">'
    )
    assert CONTRACT.validate(read(parse_untrusted(body)).payload) == []  # type: ignore[arg-type]
    service = reference_service(tls=False)
    with session_for(service) as session:
        response = session.post(service.url, data=body, headers=GOOD.headers, timeout=10)
    answer = read(parse_untrusted(response.content)).payload
    assert answer is not None and answer.findtext("status/code") == "MSG00000"
    assert CONTRACT.validate(answer) == []


def test_an_answer_that_would_be_invalid_is_never_sent(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The check can fail: a broken builder gives MSG00003, never the invalid answer.
    from lxml import etree

    from conformance.reference import responses

    real = responses.business_answer

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        element = etree.fromstring(real(*args, **kwargs))
        etree.SubElement(element, "notInTheContract")
        return etree.tostring(element)

    monkeypatch.setattr(responses, "business_answer", broken)
    app = ReferenceApp(DATASET, AuditLog(tmp_path / "audit.jsonl"), tls=False)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/ForeignerSituationService/v1/consult",
        "CONTENT_TYPE": GOOD.headers["Content-Type"],
        "HTTP_SOAPACTION": GOOD.headers["SOAPAction"],
        "CONTENT_LENGTH": str(len(GOOD.body)),
        "wsgi.input": io.BytesIO(GOOD.body),
    }
    body = b"".join(app(environ, lambda status, headers: None))
    app.audit.close()
    root = parse_untrusted(body)
    assert root.findtext(".//reasonCode") == "MSG00003"
    assert b"notInTheContract" not in body


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


ATTRIBUTE_BOMB = _in_legal_context(b"", b"".join(b' a%x=""' % i for i in range(90_000)))


def test_memory_returns_after_200_hostile_requests(reference_service) -> None:  # type: ignore[no-untyped-def]
    # The service runs in this process: its RSS is ours. The attribute bomb alone once left
    # 100-400 MB behind per request.
    service = reference_service(tls=False)
    hostile = [ATTRIBUTE_BOMB, *HOSTILE.values()]
    with session_for(service) as session:
        session.post(service.url, data=ATTRIBUTE_BOMB, headers=GOOD.headers, timeout=10)
        start = _rss_mib()
        for i in range(200):
            response = session.post(
                service.url, data=hostile[i % len(hostile)], headers=GOOD.headers, timeout=10
            )
            assert _diagnostic(response)[0] == "MSG00004"
    assert _rss_mib() - start < 50, (start, _rss_mib())
