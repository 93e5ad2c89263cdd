"""Each deliberate defect changes what the service does for a request that exercises it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import requests
from lxml import etree

from conformance.contract import NS_SOAP11, NS_SOAP12, load_contract
from conformance.reference import samples
from conformance.reference.dataset import Dataset
from conformance.reference.defects import DEFECTS, policy_for
from conformance.reference.policy import FAITHFUL
from conformance.reference.pytest_fixture import session_for
from conformance.reference.server import RunningService, start_in_thread
from conformance.xmlsafe import parse_untrusted

DATASET = Dataset.load()
CONTRACT = load_contract()
EMP, SPECIAL = "consultEmploymentInfos", "consultSpecialInfos"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Probe:
    person: str = "concurrent_cards"
    operation: str = EMP
    client: str = "onem"
    legal_context: str | None = None
    permits: bool = True
    tweak: dict[str, str] = field(default_factory=dict)


PROBES = {
    "bis_accepted": Probe("bis"),
    "checksum_not_checked": Probe("85073003329", SPECIAL),
    "integration_skipped": Probe("not_integrated"),
    "legal_context_not_checked": Probe(legal_context="NEO:SOCIAL_INSPECTION", operation=SPECIAL),
    "canceled_as_unknown": Probe("canceled"),
    "status_value_mismatch": Probe(),
    "status_code_mismatch": Probe("special_infos_ssin", SPECIAL),
    "status_description_mismatch": Probe("no_data"),
    "refusal_with_technical_code_in_band": Probe("canceled", SPECIAL),
    "fault_with_business_code": Probe(tweak={"action": '"urn:none"'}),
    "echo_information_customer": Probe("special_infos_ssin", SPECIAL),
    "echo_legal_context": Probe(),
    "echo_criteria": Probe("special_infos_fictional", SPECIAL),
    "ticket_not_uuid": Probe(),
    "timestamps_reversed": Probe("special_infos_ssin", SPECIAL),
    "fault_with_http_200": Probe("supplier_failure"),
    "business_with_http_500": Probe("no_data"),
    "soap12_content_type": Probe("special_infos_ssin", SPECIAL),
    "faultcode_swapped": Probe(tweak={"action": '"urn:none"'}),
    "soap12_accepted": Probe(tweak={"soap12": "1"}),
    "soap_action_ignored": Probe(
        operation=SPECIAL, person="special_infos_ssin", tweak={"action": ""}
    ),
    "wrong_path_accepted": Probe(tweak={"path": "/ForeignerSituationService/v1/consult2"}),
    # Choices the TSS permits, defects of our reference (decisions, issue 9).
    "no_groups_as_no_data": Probe(permits=False, tweak={"no_groups": "1"}),
    "impossible_day_accepted": Probe(tweak={"ssin": "00022900116"}),  # 29 February 1900
    "missing_soap_action_dispatched": Probe(
        operation=SPECIAL, person="special_infos_ssin", tweak={"no_action": "1"}
    ),
    "data_groups_ignored": Probe("cards_and_permits", permits=False),
    "replaced_not_followed": Probe("replaced", SPECIAL),
    "replaced_without_indication": Probe("replaced"),
    "date_month_13": Probe("incomplete_dates"),
    "unknown_element": Probe("special_infos_ssin", SPECIAL),
    "wrong_element_order": Probe(),
    "root_unqualified": Probe("special_infos_ssin", SPECIAL),
    "root_wrong_namespace": Probe(),
    "result_dropped": Probe(),
    "response_other_operation": Probe("special_infos_ssin", SPECIAL),
    "fault_detail_other_operation": Probe("internal_error"),
    "first_card_only": Probe(),
    "duplicate_records": Probe(),
    "reason_of_stay_7_digits": Probe("special_infos_ssin", SPECIAL),
    "client_cert_optional": Probe(tweak={"no_cert": "1"}),
    "any_client_ca_accepted": Probe(tweak={"cert": "foreign"}),
    "client_cert_dates_not_checked": Probe(tweak={"cert": "expired"}),
    "client_cert_usage_not_checked": Probe(tweak={"cert": "no_client_auth"}),
    "supplier_failure_as_internal": Probe("supplier_failure", SPECIAL),
    "unknown_as_no_data": Probe("unknown", SPECIAL),
    "internal_error_as_supplier": Probe("internal_error", SPECIAL),
    "identity_mismatch_as_not_allowed": Probe(client="identity_mismatch"),
    "group_refusal_as_not_allowed": Probe("cards_and_permits", client="cards_only"),
    "no_data_as_unknown": Probe("no_data", SPECIAL),
    "invalid_request_as_internal": Probe(tweak={"body": "<not-xml"}),
    "aaa_refusal_as_internal": Probe(client="no_service_access"),
}
XSD_INVALID = {
    "date_month_13",
    "unknown_element",
    "wrong_element_order",
    "root_unqualified",
    "root_wrong_namespace",
    "ticket_not_uuid",
}


def send(service: RunningService, probe: Probe) -> requests.Response:
    role = DATASET.client_roles()[probe.client]
    sample = samples.for_roles(
        DATASET,
        probe.operation,
        probe.person,
        probe.client,
        legal_context=probe.legal_context,
        permits=probe.permits,
    )
    body, headers = sample.body, dict(sample.headers)
    if "action" in probe.tweak:
        headers["SOAPAction"] = probe.tweak["action"]
    if "no_action" in probe.tweak:
        headers = {k: v for k, v in headers.items() if k.lower() != "soapaction"}
    if "no_groups" in probe.tweak:
        body = body.replace(b"<employmentCards>true<", b"<employmentCards>false<")
    if "ssin" in probe.tweak:
        body = re.sub(rb"<ssin>\d{11}</ssin>", f"<ssin>{probe.tweak['ssin']}</ssin>".encode(), body)
    if "body" in probe.tweak:
        body = probe.tweak["body"].encode()
    if "soap12" in probe.tweak:
        body = body.replace(NS_SOAP11.encode(), NS_SOAP12.encode())
    url = service.base_url + probe.tweak.get("path", "/ForeignerSituationService/v1/consult")
    organisation = None if "no_cert" in probe.tweak else role.certificate_org
    with session_for(service, organisation) as session:
        if "cert" in probe.tweak:  # a certificate two-way TLS must refuse
            assert service.pki is not None
            kind = probe.tweak["cert"]
            creds = service.pki.foreign_client if kind == "foreign" else service.pki.refused[kind]
            session.cert = (str(creds.cert), str(creds.key))
        return session.post(url, data=body, headers=headers, timeout=10)


def signature(service: RunningService, probe: Probe) -> tuple[object, ...]:
    """What the client observes, with the per-request values reduced to their properties."""
    try:
        response = send(service, probe)
    except requests.exceptions.ConnectionError as exc:
        return ("no HTTP response", type(exc).__name__)
    root = parse_untrusted(response.content)
    for ticket in root.iter("ticketCBSS"):
        ticket.text = "uuid" if _UUID.match(ticket.text or "") else ticket.text
    for cbss in root.iter("informationCBSS"):
        received = datetime.fromisoformat(cbss.findtext("timestampReceive") or "")
        replied = datetime.fromisoformat(cbss.findtext("timestampReply") or "")
        for child in cbss.iterfind("timestamp*"):
            child.text = "ordered" if received <= replied else "reversed"
    content_type = response.headers.get("Content-Type")
    return (response.status_code, content_type, etree.tostring(root, method="c14n"))


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return tmp_path_factory.mktemp("defects-pki")


@pytest.fixture(scope="module")
def faithful(pki_dir, tmp_path_factory):  # type: ignore[no-untyped-def]
    service = start_in_thread(
        pki_dir=pki_dir, audit_log=tmp_path_factory.mktemp("a") / "audit.jsonl"
    )
    yield service
    service.stop()


def test_registry_is_large_enough_and_described() -> None:
    assert len(DEFECTS) >= 25
    assert all(d.description and "\n" not in d.description for d in DEFECTS.values())
    assert set(PROBES) == set(DEFECTS)


def test_each_defect_changes_the_policy() -> None:
    for name in DEFECTS:
        assert policy_for(name) != FAITHFUL, name
    with pytest.raises(KeyError, match="known:"):
        policy_for("nope")


def test_both_operations_are_exercised() -> None:
    assert {p.operation for p in PROBES.values()} == {EMP, SPECIAL}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DEFECTS))
def test_defect_changes_behaviour(name: str, faithful, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    probe = PROBES[name]
    expected = signature(faithful, probe)
    with start_in_thread(
        pki_dir=pki_dir, audit_log=tmp_path / "audit.jsonl", defect=name
    ) as defective:
        observed = signature(defective, probe)
        if name in XSD_INVALID:
            response = send(defective, probe)
            payload = parse_untrusted(response.content).find(f"{{{NS_SOAP11}}}Body")[0]  # type: ignore[index]
            assert CONTRACT.validate(payload) != []
    assert observed != expected


def test_soap_action_ignored_still_needs_a_request_body(pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with start_in_thread(
        pki_dir=pki_dir, audit_log=tmp_path / "audit.jsonl", defect="soap_action_ignored"
    ) as service:
        body = b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x/></e:Body></e:Envelope>'
        with session_for(service) as session:
            response = session.post(
                service.url, data=body, headers={"Content-Type": "text/xml"}, timeout=10
            )
    assert response.status_code == 500
    assert parse_untrusted(response.content).findtext(".//reasonCode") == "MSG00004"
