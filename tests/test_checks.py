"""Each check passes on a good answer and fails on an answer doctored in exactly one way."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from conformance import paths
from conformance.contract import NS_SOAP11, NS_SOAP12, load_contract
from conformance.exchange import (
    CLOSED,
    CONNECT_REFUSED,
    CREDENTIAL,
    DEADLINE,
    RESET,
    TLS_CLOSED,
    TLS_ERROR,
    TLS_REFUSED,
    Exchange,
)
from conformance.harness.checks import (
    ECHO,
    OTHER,
    SCHEMA,
    TRANSPORT,
    WRONG_CODE,
    CheckFailure,
    CheckReport,
    run_checks,
)
from conformance.harness.client import RequestFactory
from conformance.harness.environment import ClientProfile, Environment
from conformance.harness.expectation import Expectation, PathAssertion

NS = "http://kszbcss.fgov.be/types/ForeignerSituation/v1"
URL = "https://127.0.0.1:9/ForeignerSituationService/v1/consult"
SSIN = "85073003328"
NEW_SSIN = "17073003384"
XML = "text/xml; charset=utf-8"

HEADER = """
      <informationCustomer>
        <ticket>T-1</ticket>
        <timestampSent>2026-11-30T09:15:00.000+01:00</timestampSent>
        <customerIdentification><cbeNumber>0206737484</cbeNumber></customerIdentification>
      </informationCustomer>
      <informationCBSS>
        <ticketCBSS>3f2b8c1e-7a4d-4e9b-9c2a-5d1e8f0a6b37</ticketCBSS>
        <timestampReceive>2026-11-30T09:15:00.120+01:00</timestampReceive>
        <timestampReply>2026-11-30T09:15:00.480+01:00</timestampReply>
      </informationCBSS>
      <legalContext>NEO:UNEMPLOYMENT</legalContext>"""

EMPLOYMENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}">
  <soapenv:Body>
    <fs:consultEmploymentInfosResponse xmlns:fs="{NS}">{HEADER}
      <criteria>
        <ssin>{SSIN}</ssin>
        <dataGroups><employmentCards>true</employmentCards><workPermits>false</workPermits></dataGroups>
      </criteria>
      <status><value>DATA_FOUND</value><code>MSG00000</code>
        <description>Treatment successful</description></status>
      <ssin>{SSIN}</ssin>
      <result>
        <employmentCards>
          <employmentCard><inceptionDate>2024-03-01</inceptionDate><expiryDate>2027-02-28</expiryDate></employmentCard>
          <employmentCard><inceptionDate>2024-00-00</inceptionDate>
            <expirationDetails><expiryDate>9999-00-00</expiryDate></expirationDetails></employmentCard>
        </employmentCards>
      </result>
    </fs:consultEmploymentInfosResponse>
  </soapenv:Body>
</soapenv:Envelope>"""

SPECIAL = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}">
  <soapenv:Body>
    <fs:consultSpecialInfosResponse xmlns:fs="{NS}">{HEADER}
      <criteria><ssin>{SSIN}</ssin></criteria>
      <status><value>DATA_FOUND</value><code>MSG00000</code></status>
      <ssin>{SSIN}</ssin>
      <result><specialInfos><specialInfo>
        <inceptionDate>2022-04-12</inceptionDate><expiryDate>2027-04-11</expiryDate>
        <reason1><code>01000100</code></reason1>
      </specialInfo></specialInfos></result>
    </fs:consultSpecialInfosResponse>
  </soapenv:Body>
</soapenv:Envelope>"""

FAULT = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{NS_SOAP11}">
  <soapenv:Body>
    <soapenv:Fault>
      <faultcode>soapenv:Client</faultcode>
      <faultstring>Client error</faultstring>
      <detail>
        <fs:consultEmploymentInfosFault xmlns:fs="{NS}">
          <informationCBSS>
            <ticketCBSS>3f2b8c1e-7a4d-4e9b-9c2a-5d1e8f0a6b37</ticketCBSS>
            <timestampReceive>2026-11-30T09:15:00.120+01:00</timestampReceive>
            <timestampReply>2026-11-30T09:15:00.480+01:00</timestampReply>
          </informationCBSS>
          <detail>
            <severity>FATAL</severity><reasonCode>MSG00004</reasonCode>
            <diagnostic>The request has an invalid structure</diagnostic>
            <authorCode>http://www.ksz-bcss.fgov.be</authorCode>
          </detail>
        </fs:consultEmploymentInfosFault>
      </detail>
    </soapenv:Fault>
  </soapenv:Body>
</soapenv:Envelope>"""

ONEM = ClientProfile("onem", {"cbeNumber": "0206737484"}, "NEO:UNEMPLOYMENT")
CARDS = {"employmentCards": True, "workPermits": False}


@pytest.fixture(scope="module")
def factory() -> RequestFactory:
    return RequestFactory(Environment("test", URL, {}, {}), load_contract())


def _request(factory: RequestFactory, operation: str = "consultEmploymentInfos", ssin: str = SSIN):
    groups = CARDS if operation == "consultEmploymentInfos" else None
    return factory.build(
        operation,
        ONEM,
        ssin,
        groups,
        ticket="T-1",
        timestamp_sent="2026-11-30T09:15:00.000+01:00",
    )


def _doctor(text: str, change: Callable[[etree._Element], object] | None) -> bytes:
    root = etree.fromstring(text.encode())
    if change is not None:
        payload = root.find(f"{{{NS_SOAP11}}}Body")[0]
        change(payload)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _run(
    factory: RequestFactory,
    expectation: Expectation,
    text: str = EMPLOYMENT,
    change: Callable[[etree._Element], object] | None = None,
    *,
    status: int = 200,
    content_type: str = XML,
    body: bytes | None = None,
    request_ssin: str = SSIN,
) -> CheckReport:
    operation = expectation.operation or "consultEmploymentInfos"
    request = _request(factory, operation, request_ssin)
    response = body if body is not None else _doctor(text, change)
    exchange = Exchange(request, status, {"Content-Type": content_type}, response)
    return run_checks(exchange, expectation, factory.contract)


def _employment(**kw) -> Expectation:
    base = dict(
        status=("DATA_FOUND", "MSG00000"), data_groups=CARDS, requested_ssin=SSIN, final_ssin=SSIN
    )
    base.update(kw)
    return Expectation("consultEmploymentInfos", **base)


FAULT_EXP = Expectation("consultEmploymentInfos", fault=(None, "MSG00004"))


def _titles(items: list[CheckFailure]) -> str:
    return " | ".join(
        f"{f.title} [{f.category}] ({f.authority}; {f.rule}) {f.expected} / {f.received}"
        for f in items
    )


def _names(failure: CheckFailure) -> str:
    """What a fragment may match: the title, the rule id and the authority ("TSS 6.1 MSG00005")."""
    return f"{failure.title} | {failure.rule} | {failure.authority}"


def _only(report: CheckReport, fragment: str, category: str) -> CheckFailure:
    """The report failed, and one failure has ``fragment`` in its title, rule or authority,
    and ``category``."""
    assert not report.passed
    matching = [f for f in report.failures if fragment in _names(f) and f.category == category]
    assert matching, _titles(report.failures)
    # Every failure cites its rule's authority (a path assertion: its case's TSS reference).
    uncited = [f.title for f in report.failures if not f.authority.ref]
    assert not uncited, uncited
    return matching[0]


def _set(path: str, text: str) -> Callable[[etree._Element], None]:
    def change(payload: etree._Element) -> None:
        payload.find(path).text = text

    return change


def _remove(path: str) -> Callable[[etree._Element], None]:
    def change(payload: etree._Element) -> None:
        node = payload.find(path)
        node.getparent().remove(node)

    return change


# ---- the good answers pass ---------------------------------------------------------------------


def test_good_employment_answer_passes(factory):
    report = _run(factory, _employment())
    assert report.passed, _titles(report.failures)
    assert report.warnings == []


def test_good_special_answer_passes(factory):
    expectation = Expectation(
        "consultSpecialInfos", status=("DATA_FOUND", "MSG00000"), requested_ssin=SSIN
    )
    report = _run(factory, expectation, SPECIAL)
    assert report.passed, _titles(report.failures)
    assert report.warnings == []


def test_good_fault_passes(factory):
    report = _run(factory, FAULT_EXP, FAULT, status=500)
    assert report.passed, _titles(report.failures)


def test_pretty_printing_is_not_an_echo_change(factory):
    # The request is on one line, the answer indented: C14N without ignorable whitespace.
    report = _run(factory, _employment())
    assert not [f for f in report.failures if f.category == ECHO]


# ---- transport and envelope --------------------------------------------------------------------


def test_transport_failure_is_one_failure(factory):
    request = _request(factory)
    exchange = Exchange(request, error="connection refused to " + URL)
    report = run_checks(exchange, _employment(), factory.contract)
    assert [f.category for f in report.failures] == [TRANSPORT]
    assert report.failures[0].received == "connection refused to " + URL


def test_expected_tls_refusal(factory):
    # Judged on error_kind (what the transport classified), never on the wording of error.
    request = _request(factory)
    expectation = Expectation("consultEmploymentInfos", tls_refused=True)
    refused = Exchange(request, error="any words", error_kind=TLS_REFUSED, error_phase="tls")
    report = run_checks(refused, expectation, factory.contract)
    assert report.passed and not report.warnings
    # Closed after the handshake without an alert: a refusal, with a warning citing RFC 8446.
    closed = Exchange(request, error="any words", error_kind=TLS_CLOSED, error_phase="tls")
    report = run_checks(closed, expectation, factory.contract)
    assert report.passed
    assert [(w.rule, str(w.authority)) for w in report.warnings] == [
        ("tls.refusal-alert", "TLS RFC 8446 §4.4.2.4")
    ]
    # Other failures say nothing about two-way TLS: the server was never reached as such.
    for kind in (TLS_ERROR, RESET, CLOSED, CONNECT_REFUSED, CREDENTIAL, DEADLINE):
        error = f"the {kind} words"
        exchange = Exchange(request, error=error, error_kind=kind, error_phase="tls")
        failed = run_checks(exchange, expectation, factory.contract)
        assert _only(failed, "Two-way TLS", TRANSPORT).received == f"not a TLS refusal: {error}"
    # Over plain http nothing is a TLS refusal, whatever the transport says.
    plain = dataclasses.replace(request, url=URL.replace("https:", "http:"))
    fake = Exchange(plain, error="x", error_kind=TLS_REFUSED, error_phase="tls")
    failure = _only(run_checks(fake, expectation, factory.contract), "Two-way TLS", TRANSPORT)
    assert "plain http" in failure.received
    answered = _run(factory, expectation)
    failure = _only(answered, "Two-way TLS", TRANSPORT)
    assert failure.received == "not a TLS refusal: the endpoint answered HTTP 200"


def test_truncated_body_is_a_transport_failure(factory):
    request = _request(factory)
    exchange = Exchange(request, 200, {"Content-Type": XML}, b"<soap", error="truncated body: x")
    _only(run_checks(exchange, _employment(), factory.contract), "Transport", TRANSPORT)


def test_html_page_fails(factory):
    body = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
    report = _run(factory, _employment(), body=body, status=502, content_type="text/html")
    failure = _only(report, "SOAP 1.1", SCHEMA)
    assert "HTML" in failure.received and "HTTP 502, Content-Type text/html" in failure.received


def test_a_plain_text_answer_is_quoted(factory):
    # What a gateway says in plain text (plain HTTP sent to its TLS port) reaches the report.
    body = b"400 Bad Request: plain HTTP, but this port serves HTTPS (TLS)\nmore\n"
    report = _run(factory, _employment(), body=body, status=400, content_type="text/plain")
    failure = _only(report, "SOAP 1.1", SCHEMA)
    assert "'400 Bad Request: plain HTTP, but this port serves HTTPS (TLS)'" in failure.received
    assert "more" not in failure.received and "HTTP 400" in failure.received


def test_a_compressed_body_names_its_content_encoding(factory):
    import gzip

    request = _request(factory)
    packed = gzip.compress(EMPLOYMENT.encode())
    headers = {"Content-Type": XML, "Content-Encoding": "gzip"}
    report = run_checks(Exchange(request, 200, headers, packed), _employment(), factory.contract)
    failure = _only(report, "SOAP 1.1", SCHEMA)
    assert "Content-Encoding: gzip" in failure.received
    bare = Exchange(request, 200, {"Content-Type": XML}, packed)  # no header: the magic tells
    failure = _only(run_checks(bare, _employment(), factory.contract), "SOAP 1.1", SCHEMA)
    assert "gzip-compressed body without Content-Encoding" in failure.received
    # Content-Encoding: identity is no compression: an ordinary answer passes.
    plain = Exchange(request, 200, {**headers, "Content-Encoding": "identity"}, EMPLOYMENT.encode())
    assert run_checks(plain, _employment(), factory.contract).passed


def test_empty_body_never_passes(factory):
    report = _run(factory, Expectation(None), body=b"")
    _only(report, "SOAP 1.1", SCHEMA)


def test_soap12_answer_fails(factory):
    body = EMPLOYMENT.replace(NS_SOAP11, NS_SOAP12).encode()
    _only(_run(factory, _employment(), body=body), "SOAP 1.1", SCHEMA)


def test_wrong_content_type_fails(factory):
    _only(_run(factory, _employment(), content_type="application/json"), "Content-Type", OTHER)


def test_business_answer_with_http_500_fails(factory):
    _only(_run(factory, _employment(), status=500), "HTTP status", OTHER)


def test_fault_with_http_200_fails(factory):
    _only(_run(factory, FAULT_EXP, FAULT, status=200), "HTTP status", OTHER)


def test_schema_violation_fails_with_element_paths(factory):
    report = _run(factory, _employment(), change=_remove("informationCBSS"))
    failure = _only(report, "XSD validity", SCHEMA)
    assert "consultEmploymentInfosResponse" in failure.received or failure.details


def test_invalid_fault_detail_fails_schema(factory):
    _only(
        _run(factory, FAULT_EXP, FAULT, _set("detail/*/detail/severity", "BAD"), status=500),
        "XSD",
        SCHEMA,
    )


def test_answer_of_the_other_operation_fails(factory):
    expectation = Expectation("consultSpecialInfos", requested_ssin=SSIN)
    _only(_run(factory, expectation, EMPLOYMENT), "WSDL output", SCHEMA)


# ---- the TSS tables ----------------------------------------------------------------------------


def test_status_pair_not_a_table_row_fails(factory):
    report = _run(
        factory, Expectation("consultEmploymentInfos"), change=_set("status/code", "MSG00005")
    )
    failure = _only(report, "TSS 6.1 MSG00005", WRONG_CODE)
    assert failure.expected == "status/value NO_RESULT"


def test_description_must_be_the_table_text(factory):
    report = _run(factory, _employment(), change=_set("status/description", "Treatment OK"))
    _only(report, "description", OTHER)


def test_unknown_code_is_named(factory):
    report = _run(
        factory, Expectation("consultEmploymentInfos"), change=_set("status/code", "MSG09999")
    )
    failure = _only(report, "MSG09999", WRONG_CODE)
    assert failure.received == "MSG09999"


def test_technical_code_in_band_fails(factory):
    report = _run(
        factory, Expectation("consultEmploymentInfos"), change=_set("status/code", "MSG00004")
    )
    _only(report, "technical code is a SOAP fault", WRONG_CODE)


def test_unknown_fault_reason_code_is_named(factory):
    report = _run(
        factory,
        Expectation("consultEmploymentInfos"),
        FAULT,
        _set("detail/*/detail/reasonCode", "XYZ00001"),
        status=500,
    )
    _only(report, "XYZ00001", WRONG_CODE)


def test_expected_status_differs(factory):
    report = _run(factory, _employment(status=("NO_RESULT", "MSG00005")))
    failure = _only(report, "TSS 6.1 MSG00005", WRONG_CODE)
    assert failure.received == "DATA_FOUND/MSG00000"


def test_expected_status_but_fault_received(factory):
    report = _run(factory, _employment(), FAULT, status=500)
    assert "SOAP fault soapenv:Client" in _only(report, "TSS 6.1 MSG00000", WRONG_CODE).received


def test_expected_fault_but_status_received(factory):
    _only(_run(factory, FAULT_EXP), "TSS 6.2 MSG00004", WRONG_CODE)


def test_expected_fault_code_differs(factory):
    expectation = Expectation("consultEmploymentInfos", fault=(None, "MSG00051"))
    _only(_run(factory, expectation, FAULT, status=500), "TSS 6.2 MSG00051", WRONG_CODE)


def test_expected_faultcode_kind_differs(factory):
    expectation = Expectation("consultEmploymentInfos", fault=("Server", "MSG00004"))
    _only(_run(factory, expectation, FAULT, status=500), "faultcode", WRONG_CODE)


def test_faultcode_must_be_the_tables(factory):
    report = _run(factory, FAULT_EXP, FAULT, _set_fault("soapenv:Server"), status=500)
    failure = _only(report, "Faultcode of MSG00004", WRONG_CODE)
    assert failure.received == "soapenv:Server"


def test_faultcode_outside_the_soap_namespace_fails(factory):
    report = _run(factory, FAULT_EXP, FAULT, _set_fault("Client"), status=500)
    _only(report, "faultcode", WRONG_CODE)


def _set_fault(code: str) -> Callable[[etree._Element], None]:
    def change(fault: etree._Element) -> None:
        fault.find("faultcode").text = code

    return change


def test_fault_detail_of_the_wrong_operation_fails(factory):
    body = FAULT.replace("consultEmploymentInfosFault", "consultSpecialInfosFault")
    report = _run(factory, FAULT_EXP, body=body.encode(), status=500)
    _only(report, "Fault detail", SCHEMA)


def test_fault_without_detail_fails(factory):
    report = _run(factory, FAULT_EXP, FAULT, _remove("detail"), status=500)
    _only(report, "Fault detail", SCHEMA)
    assert not report.passed


# ---- echo, informationCBSS, NISS ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "name"),
    [
        ("legalContext", "NEO:SOCIAL_INSPECTION", "legalContext"),
        ("informationCustomer/ticket", "T-2", "informationCustomer"),
        ("criteria/dataGroups/workPermits", "true", "criteria"),
    ],
)
def test_echo_mismatch_fails(factory, path, value, name):
    report = _run(factory, _employment(), change=_set(path, value))
    failure = _only(report, f"Echo of {name}", ECHO)
    assert value in failure.received


def test_ticket_cbss_must_be_a_uuid(factory):
    report = _run(factory, _employment(), change=_set("informationCBSS/ticketCBSS", "not-a-uuid"))
    _only(report, "cbss.ticket", SCHEMA)


def test_timestamp_receive_after_reply_fails(factory):
    change = _set("informationCBSS/timestampReceive", "2026-11-30T09:15:01.000+01:00")
    _only(_run(factory, _employment(), change=change), "timestamps", OTHER)


def test_timestamps_compare_across_time_zones(factory):
    # 08:15:00.300Z is 09:15:00.300+01:00: after the receive time, before the reply time.
    change = _set("informationCBSS/timestampReply", "2026-11-30T08:15:00.300Z")
    assert _run(factory, _employment(), change=change).passed
    change = _set("informationCBSS/timestampReply", "2026-11-30T08:15:00.100Z")
    _only(_run(factory, _employment(), change=change), "timestamps", OTHER)


def test_end_of_day_timestamp_is_understood(factory):
    # xsd:dateTime 24:00:00 is the next day's midnight: after 09:15, so a valid reply time.
    change = _set("informationCBSS/timestampReply", "2026-11-30T24:00:00+01:00")
    assert _run(factory, _employment(), change=change).passed
    change = _set("informationCBSS/timestampReceive", "2026-11-30T24:00:00+01:00")
    _only(_run(factory, _employment(), change=change), "timestamps", OTHER)


def test_ssin_must_be_the_final_niss(factory):
    report = _run(factory, _employment(), change=_set("ssin", NEW_SSIN))
    _only(report, "ssin: the final NISS", ECHO)


def _replaced_answer(payload: etree._Element) -> None:
    payload.find("ssin").text = NEW_SSIN
    info = etree.SubElement(payload.find("status"), "information")
    etree.SubElement(info, "fieldName").text = "replacedSsin"
    etree.SubElement(info, "fieldValue").text = SSIN


def test_replaced_niss_answer_passes(factory):
    report = _run(factory, _employment(final_ssin=NEW_SSIN), change=_replaced_answer)
    assert report.passed, _titles(report.failures)


def test_replaced_niss_without_indication_fails(factory):
    report = _run(factory, _employment(final_ssin=NEW_SSIN), change=_set("ssin", NEW_SSIN))
    _only(report, "replacedSsin", ECHO)


def test_replaced_indication_without_replacement_fails(factory):
    report = _run(factory, _employment(final_ssin=NEW_SSIN), change=_replaced_answer)
    assert report.passed
    report = _run(factory, _employment(), change=_replaced_answer)
    _only(report, "replacedSsin", ECHO)


# ---- result, dates, reasons of stay ------------------------------------------------------------


def test_result_with_no_data_found_fails(factory):
    def change(payload):
        _set("status/value", "NO_DATA_FOUND")(payload)
        _set("status/code", "MSG00100")(payload)
        payload.find("status").remove(payload.find("status/description"))

    report = _run(factory, _employment(status=("NO_DATA_FOUND", "MSG00100")), change=change)
    failure = _only(report, "result.absent", SCHEMA)
    # Only our XSD annotation says so (issue 9, item 4): a decision, so a deviation elsewhere.
    assert str(failure.authority) == "decision empty-result" and failure.is_decision


def test_data_found_without_result_fails(factory):
    _only(_run(factory, _employment(), change=_remove("result")), "result.present", SCHEMA)


def test_result_with_unrequested_group_fails(factory):
    def change(payload):
        etree.SubElement(payload.find("result"), "workPermits")

    failure = _only(_run(factory, _employment(), change=change), "requested data groups", SCHEMA)
    assert "workPermits" in failure.received


def test_malformed_incomplete_date_fails(factory):
    # 2024-02-30 passes the XSD pattern; the incomplete-date form rules refuse it.
    path = "result/employmentCards/employmentCard/inceptionDate"
    failure = _only(
        _run(factory, _employment(), change=_set(path, "2024-02-30")), "Incomplete date", SCHEMA
    )
    assert "employmentCard[1]/inceptionDate" in failure.title


def test_expiry_before_inception_is_only_a_warning(factory):
    path = "result/employmentCards/employmentCard/expiryDate"
    report = _run(factory, _employment(), change=_set(path, "2020-01-01"))
    assert report.passed, _titles(report.failures)
    assert [(w.title, str(w.authority)) for w in report.warnings] == [
        ("employmentCard dates (no interpretation, warning only)", "decision no-interpretation")
    ]


def test_expiration_details_do_not_hide_an_expiry_before_inception(factory):
    def change(payload):
        card = payload.find("result/employmentCards/employmentCard")
        card.find("expiryDate").text = "2020-01-01"
        details = etree.SubElement(card, "expirationDetails")
        etree.SubElement(details, "expiryDate").text = "9999-00-00"

    report = _run(factory, _employment(), change=change)
    assert report.passed, _titles(report.failures)
    assert [w.received for w in report.warnings] == [
        "expiry 2020-01-01 before inception 2024-03-01 at result/employmentCards/employmentCard[1]"
    ]


def test_unknown_reason_of_stay_is_only_a_warning(factory):
    expectation = Expectation("consultSpecialInfos", status=("DATA_FOUND", "MSG00000"))
    path = "result/specialInfos/specialInfo/reason1/code"
    report = _run(factory, expectation, SPECIAL, _set(path, "99999999"))
    assert report.passed, _titles(report.failures)
    assert len(report.warnings) == 1 and "99999999" in report.warnings[0].received


def test_malformed_reason_of_stay_fails(factory):
    expectation = Expectation("consultSpecialInfos", status=("DATA_FOUND", "MSG00000"))
    path = "result/specialInfos/specialInfo/reason1/code"
    _only(_run(factory, expectation, SPECIAL, _set(path, "1234")), "Reason of stay", SCHEMA)


# ---- path assertions ---------------------------------------------------------------------------

CARD = "result/employmentCards/employmentCard"


@pytest.mark.parametrize(
    ("holds", "fails"),
    [
        ({"path": CARD, "count": 2}, {"path": CARD, "count": 3}),
        ({"path": CARD, "count": {"min": 2}}, {"path": CARD, "count": {"min": 3}}),
        ({"path": CARD, "present": True}, {"path": "result/workPermits", "present": True}),
        ({"path": "result/workPermits", "absent": True}, {"path": CARD, "absent": True}),
        ({"path": "ssin", "equals": SSIN}, {"path": "ssin", "equals": NEW_SSIN}),
        (
            {"path": f"{CARD}/inceptionDate", "matches": r"2024-\d\d-\d\d"},
            {"path": "ssin", "matches": "9+"},
        ),
        (  # a YAML boolean is the XML boolean's text, not Python's "True"
            {"path": "criteria/dataGroups/employmentCards", "equals": True},
            {"path": "criteria/dataGroups/employmentCards", "equals": False},
        ),
    ],
)
def test_path_assertions(factory, holds, fails):
    good = _employment(assertions=(PathAssertion.from_mapping(holds),))
    assert _run(factory, good).passed
    bad = _employment(assertions=(PathAssertion.from_mapping(fails),))
    _only(_run(factory, bad), "Assertion", OTHER)


def test_all_failures_are_reported_together(factory):
    def change(payload):
        _set("legalContext", "OTHER")(payload)
        _set("ssin", NEW_SSIN)(payload)
        _set("status/description", "changed")(payload)

    report = _run(factory, _employment(), change=change)
    assert {f.category for f in report.failures} >= {ECHO, OTHER}
    assert len(report.failures) >= 3


def test_request_factory_builds_a_valid_request(factory):
    # The good answers above echo this request, so it must itself be contract-valid.
    from conformance import soap
    from conformance.xmlsafe import parse_untrusted

    payload = soap.read(parse_untrusted(_request(factory).body)).payload
    assert factory.contract.validate(payload) == []
    assert etree.QName(payload).namespace == NS


# ---- no false failures: the contract's own valid examples pass every check ----------------------

_EXAMPLES = sorted((paths.xsd_dir() / "examples" / "valid").glob("*.xml"))
_ANSWERS = [p for p in _EXAMPLES if p.name.startswith(("response_", "fault_"))]


def _request_echoed_by(factory: RequestFactory, payload: etree._Element, operation: str):
    """The request an answer echoes: same customer, ticket, timestamp, legal context, criteria."""
    ident = payload.find("informationCustomer/customerIdentification")
    customer = {child.tag: child.text for child in ident} if ident is not None else {}
    if "sector" in customer:
        customer = {"sector": int(customer["sector"]), "institution": int(customer["institution"])}
    client = ClientProfile("x", customer or {"cbeNumber": "0206737484"}, "NEO:UNEMPLOYMENT")
    groups = payload.find("criteria/dataGroups")
    data_groups = {g.tag: g.text == "true" for g in groups} if groups is not None else None
    if operation == "consultEmploymentInfos" and data_groups is None:
        data_groups = CARDS
    return factory.build(
        operation,
        client,
        payload.findtext("criteria/ssin") or SSIN,
        data_groups,
        legal_context=payload.findtext("legalContext") or "NEO:UNEMPLOYMENT",
        ticket=payload.findtext("informationCustomer/ticket"),
        timestamp_sent=payload.findtext("informationCustomer/timestampSent"),
    )


def example_exchange(
    factory: RequestFactory, path: Path, body: bytes | None = None
) -> tuple[Exchange, Expectation]:
    """A valid example answer (or ``body`` in its place) with the request it echoes and what
    a case would expect of it."""
    from conformance import soap

    envelope = soap.read(etree.fromstring(path.read_bytes()))
    if envelope.fault is not None:
        detail = envelope.fault.detail
        operation = etree.QName(detail).localname.removesuffix("Fault")
        code = detail.findtext("detail/reasonCode")
        expectation = Expectation(operation, fault=(None, code))
        request = _request_echoed_by(factory, detail, operation)
        status = 500
    else:
        payload = envelope.payload
        operation = etree.QName(payload).localname.removesuffix("Response")
        requested = payload.findtext("criteria/ssin")
        expectation = Expectation(
            operation,
            status=(payload.findtext("status/value"), payload.findtext("status/code")),
            requested_ssin=requested,
            final_ssin=payload.findtext("ssin") or requested,
        )
        request = _request_echoed_by(factory, payload, operation)
        status = 200
    sent = body if body is not None else path.read_bytes()
    return Exchange(request, status, {"Content-Type": XML}, sent), expectation


@pytest.mark.parametrize("path", _ANSWERS, ids=[p.stem for p in _ANSWERS])
def test_valid_examples_pass_every_check(factory, path):
    exchange, expectation = example_exchange(factory, path)
    report = run_checks(exchange, expectation, factory.contract)
    assert report.passed, _titles(report.failures)


_INVALID = sorted(
    p
    for p in (paths.xsd_dir() / "examples" / "invalid").glob("*.xml")
    if p.name.startswith(("response_", "fault_"))
)


@pytest.mark.parametrize("path", _INVALID, ids=[p.stem for p in _INVALID])
def test_invalid_examples_never_pass(factory, path):
    body = path.read_bytes()
    status = 500 if path.name.startswith("fault_") else 200
    exchange = Exchange(_request(factory), status, {"Content-Type": XML}, body)
    report = run_checks(exchange, Expectation(None), factory.contract)
    assert SCHEMA in {f.category for f in report.failures}, _titles(report.failures)
