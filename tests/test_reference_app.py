"""The reference gateway: binding faults, hostile bodies, GET, and that the server keeps serving."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from conformance.contract import NS_SOAP11, load_contract
from conformance.reference import samples
from conformance.reference.app import ReferenceApp
from conformance.reference.audit import AuditLog, read_entries
from conformance.reference.dataset import Dataset
from conformance.reference.pytest_fixture import session_for
from conformance.xmlsafe import MAX_BYTES, parse_untrusted

pytest_plugins = ["conformance.reference.pytest_fixture"]

CONTRACT = load_contract()
DATASET = Dataset.load()
GOOD = samples.for_roles(DATASET, "consultEmploymentInfos", "concurrent_cards")
SPECIAL = samples.for_roles(DATASET, "consultSpecialInfos", "concurrent_cards")
_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&x;</soapenv:Body></soapenv:Envelope>"""
_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">' % ((c,) + (c - 1,) * 10)
        for c in range(98, 108)
    )
    + b"]><x>&k;</x>"
)

BAD_BODIES = {
    "not XML": (b"hello, this is not XML", "text/xml; charset=utf-8"),
    "truncated": (GOOD.body[: len(GOOD.body) // 2], "text/xml; charset=utf-8"),
    "DTD with external entity (XXE)": (_XXE, "text/xml; charset=utf-8"),
    "billion laughs": (_LAUGHS, "text/xml; charset=utf-8"),
    "over 1 MiB": (
        GOOD.body.replace(b"<legalContext>", b"<!--" + b"x" * MAX_BYTES + b"--><legalContext>"),
        "text/xml; charset=utf-8",
    ),
    "empty": (b"", "text/xml; charset=utf-8"),
    "wrong content type": (GOOD.body, "application/json"),
    "no content type": (GOOD.body, ""),
    "not a SOAP envelope": (b"<hello/>", "text/xml; charset=utf-8"),
    "empty SOAP body": (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>',
        "text/xml; charset=utf-8",
    ),
    "two elements in the SOAP Body": (
        GOOD.body.replace(b"</soapenv:Body>", b"<extra/></soapenv:Body>"),
        "text/xml; charset=utf-8",
    ),
    "XSD-invalid request": (
        GOOD.body.replace(b"<legalContext>", b"<unexpected/><legalContext>"),
        "text/xml; charset=utf-8",
    ),
}


def fault_of(response: requests.Response) -> etree._Element:
    envelope = parse_untrusted(response.content)
    fault = envelope.find(f"{{{NS_SOAP11}}}Body/{{{NS_SOAP11}}}Fault")
    assert fault is not None, response.text[:500]
    return fault


def reason_of(response: requests.Response) -> str | None:
    return fault_of(response).findtext("detail/*/detail/reasonCode")


def post(
    service, body: bytes, headers: dict[str, str], path: str | None = None
) -> requests.Response:  # type: ignore[no-untyped-def]
    with session_for(service) as session:
        return session.post(
            service.base_url + (path or "/ForeignerSituationService/v1/consult"),
            data=body,
            headers=headers,
            timeout=10,
        )


def assert_still_serving(service) -> None:  # type: ignore[no-untyped-def]
    response = post(service, GOOD.body, GOOD.headers)
    assert response.status_code == 200
    assert parse_untrusted(response.content).findtext(".//status/code") == "MSG00000"


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_body_is_a_well_formed_msg00004_fault(reference_service, name: str) -> None:  # type: ignore[no-untyped-def]
    service = reference_service()
    body, content_type = BAD_BODIES[name]
    headers = dict(GOOD.headers)
    if content_type:
        headers["Content-Type"] = content_type
    else:
        del headers["Content-Type"]
    response = post(service, body, headers)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert reason_of(response) == "MSG00004"
    detail = fault_of(response).find("detail")
    assert detail is not None and CONTRACT.validate(detail[0]) == []
    assert b"Traceback" not in response.content and b"root:" not in response.content
    assert_still_serving(service)


def test_fault_keeps_the_readable_information_customer(reference_service) -> None:  # type: ignore[no-untyped-def]
    body = GOOD.body.replace(b"<legalContext>", b"<unexpected/><legalContext>")
    fault = fault_of(post(reference_service(), body, GOOD.headers))
    assert fault.findtext("detail/*/informationCustomer/ticket") == "sample-ticket"


def test_operation_told_by_soap_action_names_the_fault_element(reference_service) -> None:  # type: ignore[no-untyped-def]
    response = post(reference_service(), b"not xml", SPECIAL.headers)
    detail = fault_of(response).find("detail")
    assert detail is not None and etree.QName(detail[0]).localname == "consultSpecialInfosFault"


def test_operation_unknown_gives_consult_employment_infos_fault(reference_service) -> None:  # type: ignore[no-untyped-def]
    response = post(reference_service(), b"not xml", {"Content-Type": "text/xml"})
    detail = fault_of(response).find("detail")
    assert detail is not None and etree.QName(detail[0]).localname == "consultEmploymentInfosFault"


def test_body_of_the_other_operation_is_msg00004(reference_service) -> None:  # type: ignore[no-untyped-def]
    response = post(reference_service(), GOOD.body, SPECIAL.headers)
    assert reason_of(response) == "MSG00004"


@pytest.mark.parametrize(
    "path", ["/", "/ForeignerSituationService/v1", "/ForeignerSituationService/v1/consult/x"]
)
def test_wrong_path_is_msg00052(reference_service, path: str) -> None:  # type: ignore[no-untyped-def]
    response = post(reference_service(), GOOD.body, GOOD.headers, path=path)
    assert response.status_code == 500 and reason_of(response) == "MSG00052"


def test_get_is_405_with_allow_post(reference_service) -> None:  # type: ignore[no-untyped-def]
    service = reference_service()
    with session_for(service) as session:
        response = session.get(service.url, timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert_still_serving(service)


def test_raw_soap12_with_action_in_content_type_is_msg00053(reference_service) -> None:  # type: ignore[no-untyped-def]
    action = CONTRACT.operations["consultEmploymentInfos"].soap_action
    body = GOOD.body.replace(NS_SOAP11.encode(), b"http://www.w3.org/2003/05/soap-envelope")
    headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
    assert reason_of(post(reference_service(), body, headers)) == "MSG00053"


def test_chunked_body_is_read(reference_service) -> None:  # type: ignore[no-untyped-def]
    service = reference_service()

    def chunks():  # type: ignore[no-untyped-def]
        yield GOOD.body[:100]
        yield GOOD.body[100:]

    with session_for(service) as session:
        response = session.post(service.url, data=chunks(), headers=GOOD.headers, timeout=10)
    assert parse_untrusted(response.content).findtext(".//status/code") == "MSG00000"


def test_action_parameter_of_text_xml_is_not_a_soap_action(reference_service) -> None:  # type: ignore[no-untyped-def]
    action = CONTRACT.operations["consultEmploymentInfos"].soap_action
    headers = {"Content-Type": f'text/xml; charset=utf-8; action="{action}"'}
    assert reason_of(post(reference_service(), GOOD.body, headers)) == "MSG00051"


class _StallingInput:
    """A WSGI input that yields part of the body, then times out (a client that stops sending)."""

    def __init__(self, first: bytes) -> None:
        self._first = first

    def read(self, size: int = -1) -> bytes:
        if self._first:
            chunk, self._first = self._first, b""
            return chunk
        raise TimeoutError("timed out")


def test_body_that_stops_before_its_content_length_is_msg00004(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A truncated body whose sender stalls is the client's error (MSG00004), not an internal one;
    # the connection is closed and the audit keeps what arrived.
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = ReferenceApp(DATASET, audit, tls=False)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/ForeignerSituationService/v1/consult",
        "CONTENT_TYPE": GOOD.headers["Content-Type"],
        "HTTP_SOAPACTION": GOOD.headers["SOAPAction"],
        "CONTENT_LENGTH": str(len(GOOD.body)),
        "wsgi.input": _StallingInput(GOOD.body[:50]),
    }
    started: list[tuple[str, list[tuple[str, str]]]] = []
    body = b"".join(app(environ, lambda status, headers: started.append((status, headers))))
    audit.close()
    assert started[0][0].startswith("500")
    assert ("Connection", "close") in started[0][1]
    assert parse_untrusted(body).findtext(".//detail/*/detail/reasonCode") == "MSG00004"
    [entry] = read_entries(tmp_path / "audit.jsonl")
    assert entry["outcome"] == "MSG00004" and entry["request"] == GOOD.body[:50].decode()
