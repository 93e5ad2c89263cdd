"""RequestFactory: typed requests follow the WSDL; crafted ones break exactly one thing."""

from __future__ import annotations

import pytest
from lxml import etree

from conformance import soap
from conformance.contract import NS_SOAP11, NS_SOAP12, load_contract
from conformance.harness.checks import run_checks
from conformance.harness.client import RequestBuildError, RequestFactory
from conformance.harness.environment import ClientProfile, Environment, load_environment
from conformance.harness.expectation import Expectation
from conformance.harness.transport import Transport
from conformance.xmlsafe import UntrustedXMLError, parse_untrusted

URL = "https://127.0.0.1:9/ForeignerSituationService/v1/consult"
SSIN = "85073003328"
ONEM = ClientProfile("onem", {"cbeNumber": "0206737484"}, "NEO:UNEMPLOYMENT")
SECTOR = ClientProfile("onem_sector", {"sector": 18, "institution": 0}, "NEO:UNEMPLOYMENT")
CARDS = {"employmentCards": True, "workPermits": False}


@pytest.fixture(scope="module")
def factory() -> RequestFactory:
    return RequestFactory(Environment("t", URL, {}, {}), load_contract())


def _payload(body: bytes) -> etree._Element:
    payload = soap.read(parse_untrusted(body)).payload
    assert payload is not None
    return payload


def test_employment_request(factory):
    request = factory.build("consultEmploymentInfos", ONEM, SSIN, CARDS)
    contract = factory.contract
    assert request.url == URL and request.method == "POST"
    assert request.operation == "consultEmploymentInfos"
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"
    action = contract.operations["consultEmploymentInfos"].soap_action
    assert request.headers["SOAPAction"] == f'"{action}"'
    payload = _payload(request.body)
    assert contract.validate(payload) == []
    assert payload.findtext("criteria/ssin") == SSIN
    assert payload.findtext("criteria/dataGroups/workPermits") == "false"
    assert payload.findtext("legalContext") == "NEO:UNEMPLOYMENT"
    assert payload.findtext("informationCustomer/customerIdentification/cbeNumber") == "0206737484"


def test_special_request_with_every_option(factory):
    cbss = {
        "ticketCBSS": "3f2b8c1e-7a4d-4e9b-9c2a-5d1e8f0a6b37",
        "timestampReceive": "2026-11-30T09:15:00+01:00",
        "timestampReply": "2026-11-30T09:15:01+01:00",
    }
    request = factory.build(
        "consultSpecialInfos",
        SECTOR,
        SSIN,
        legal_context="NEO:SOCIAL_INSPECTION",
        ticket="T-42",
        timestamp_sent="2026-11-30T09:15:00+01:00",
        information_cbss=cbss,
    )
    payload = _payload(request.body)
    assert factory.contract.validate(payload) == []
    assert etree.QName(payload).localname == "consultSpecialInfosRequest"
    assert payload.findtext("legalContext") == "NEO:SOCIAL_INSPECTION"
    assert payload.findtext("informationCustomer/ticket") == "T-42"
    assert payload.findtext("informationCustomer/customerIdentification/sector") == "18"
    assert payload.findtext("informationCBSS/ticketCBSS") == cbss["ticketCBSS"]
    assert [c.tag for c in payload] == [
        "informationCustomer", "informationCBSS", "legalContext", "criteria",
    ]  # fmt: skip


def test_build_errors(factory):
    with pytest.raises(RequestBuildError, match="needs data_groups"):
        factory.build("consultEmploymentInfos", ONEM, SSIN)
    with pytest.raises(RequestBuildError, match="takes no data_groups"):
        factory.build("consultSpecialInfos", ONEM, SSIN, CARDS)
    with pytest.raises(RequestBuildError, match="unknown operation 'consultAll'"):
        factory.build("consultAll", ONEM, SSIN)


def test_raw_request(factory):
    request = factory.raw(b"<x/>", soap_action=None, path="/elsewhere", method="PUT")
    assert "SOAPAction" not in request.headers
    assert request.url == "https://127.0.0.1:9/elsewhere"
    assert request.method == "PUT" and request.body == b"<x/>"
    assert request.operation is None


def test_soap12(factory):
    request = factory.soap12(factory.build("consultEmploymentInfos", ONEM, SSIN, CARDS))
    root = parse_untrusted(request.body)
    assert etree.QName(root).namespace == NS_SOAP12
    assert NS_SOAP11.encode() not in request.body
    assert request.headers["Content-Type"].startswith("application/soap+xml")
    assert "consultEmploymentInfos" in request.headers["Content-Type"]
    assert "SOAPAction" not in request.headers


def test_soap_action_and_path(factory):
    good = factory.build("consultEmploymentInfos", ONEM, SSIN, CARDS)
    missing = factory.with_soap_action(good, None)
    wrong = factory.with_soap_action(good, "urn:nothing")
    moved = factory.with_path(good, "/ForeignerSituationService/v2/consult")
    assert "SOAPAction" not in missing.headers and missing.body == good.body
    assert wrong.headers["SOAPAction"] == '"urn:nothing"'
    assert moved.url.endswith(":9/ForeignerSituationService/v2/consult")
    assert moved.headers["SOAPAction"] == good.headers["SOAPAction"]


def test_malformed_and_xsd_invalid(factory):
    good = factory.build("consultEmploymentInfos", ONEM, SSIN, CARDS)
    with pytest.raises(UntrustedXMLError):
        parse_untrusted(factory.malformed(good).body)
    invalid = factory.xsd_invalid(good)
    assert invalid.headers == good.headers
    assert factory.contract.validate(_payload(invalid.body)) != []
    none = factory.no_data_groups(ONEM, SSIN)
    payload = _payload(none.body)
    assert factory.contract.validate(payload) == []  # XSD-valid: refused by the service's rule
    assert payload.findtext("criteria/dataGroups/employmentCards") == "false"
    assert payload.findtext("criteria/dataGroups/workPermits") == "false"


# ---- the crafted messages provoke their codes on the reference service (NOTES §4) ---------------


@pytest.fixture(scope="module")
def reference():
    with load_environment("reference") as handle:
        env = handle.environment
        with Transport(env) as transport:
            yield env, RequestFactory(env), transport


CRAFTED = [
    ("soap12", "MSG00053"),
    ("missing_action", "MSG00051"),
    ("wrong_action", "MSG00051"),
    ("wrong_path", "MSG00052"),
    ("malformed", "MSG00004"),
    ("xsd_invalid", "MSG00004"),
    ("no_data_groups", "MSG00004"),
]


@pytest.mark.parametrize(("kind", "code"), CRAFTED)
def test_crafted_message_gets_its_fault(reference, kind, code):
    env, factory, transport = reference
    client, ssin = env.client("onem"), env.person("concurrent_cards").ssin
    good = factory.build("consultEmploymentInfos", client, ssin, CARDS)
    request = {
        "soap12": lambda: factory.soap12(good),
        "missing_action": lambda: factory.with_soap_action(good, None),
        "wrong_action": lambda: factory.with_soap_action(good, "urn:not-an-operation"),
        "wrong_path": lambda: factory.with_path(good, "/ForeignerSituationService/v2/consult"),
        "malformed": lambda: factory.malformed(good),
        "xsd_invalid": lambda: factory.xsd_invalid(good),
        "no_data_groups": lambda: factory.no_data_groups(client, ssin),
    }[kind]()
    exchange = transport.send(request, client)
    report = run_checks(
        exchange, Expectation("consultEmploymentInfos", fault=(None, code)), factory.contract
    )
    assert report.passed, [(f.title, f.expected, f.received) for f in report.failures]


def test_typed_request_gets_data(reference):
    env, factory, transport = reference
    person = env.person("replaced")
    request = factory.build("consultEmploymentInfos", env.client("onem"), person.ssin, CARDS)
    exchange = transport.send(request, env.client("onem"))
    expectation = Expectation(
        "consultEmploymentInfos",
        status=("DATA_FOUND", "MSG00000"),
        data_groups=CARDS,
        requested_ssin=person.ssin,
        final_ssin=person.final_ssin,
    )
    report = run_checks(exchange, expectation, factory.contract)
    assert report.passed, [(f.title, f.expected, f.received) for f in report.failures]
