"""Every code of TSS tables 6.1 and 6.2 is produced by a documented request (two-way TLS)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import requests
from lxml import etree

from conformance import tables
from conformance.contract import NS_SOAP11, NS_SOAP12, load_contract
from conformance.reference import samples
from conformance.reference.dataset import Dataset
from conformance.reference.pytest_fixture import session_for
from conformance.xmlsafe import parse_untrusted

pytest_plugins = ["conformance.reference.pytest_fixture"]

DATASET = Dataset.load()
CONTRACT = load_contract()
BAD_CHECKSUM = "85073003329"  # NOTES §3: pattern-valid, checksum wrong


@dataclass(frozen=True)
class Row:
    """One documented request: who asks, for whom, and how the message is bent."""

    code: str
    why: str
    client: str = "onem"
    person: str = "concurrent_cards"
    operation: str = "consultEmploymentInfos"
    legal_context: str | None = None
    cards: bool = True
    permits: bool = True
    tweak: dict[str, str] = field(default_factory=dict)  # path / action / soap12


ROWS = [
    Row("MSG00000", "known, integrated, with data"),
    Row("MSG00000", "special infos", person="special_infos_ssin", operation="consultSpecialInfos"),
    Row(
        "MSG00000",
        "row 3 ignores the dossier state",
        client="onem_inspection",
        person="inactive_dossier",
    ),
    Row(
        "MSG00000",
        "row 3 accepts every quality",
        client="onem_inspection",
        person="disallowed_quality",
    ),
    Row("MSG00000", "ONEM by sector/institution", client="onem_sector"),
    Row("MSG00000", "ONEM secondary network", client="onem_secondary", person="permits_only"),
    Row("MSG00100", "known, integrated, no data", person="no_data"),
    Row("MSG00100", "no special infos", person="no_data", operation="consultSpecialInfos"),
    Row("MSG00100", "cards asked, only permits held", person="permits_only", permits=False),
    Row("MSG00005", "valid NISS unknown to the register", person="unknown"),
    Row("MSG00007", "canceled NISS", person="canceled"),
    Row("MSG00011", "checksum wrong", person=BAD_CHECKSUM),
    Row("MSG00012", "not integrated", person="not_integrated"),
    Row("MSG00012", "inactive dossier (row 1)", person="inactive_dossier"),
    Row("MSG00012", "quality code 3 (row 1)", person="disallowed_quality"),
    Row("MSG00012", "inactive dossier (row 2)", client="onem_secondary", person="inactive_dossier"),
    Row("MSG00013", "legal context of another row", legal_context="NEO:SOCIAL_INSPECTION"),
    Row(
        "MSG00013",
        "no legal context for the operation",
        client="cards_only",
        operation="consultSpecialInfos",
    ),
    Row("MSG00014", "certificate is ONEM, identification is VDAB", client="identity_mismatch"),
    Row("REG00004", "BIS number", person="bis"),
    Row("REG00004", "BIS number, special infos", person="bis", operation="consultSpecialInfos"),
    Row("REG00101", "work permits not allowed", client="cards_only", person="cards_and_permits"),
    Row("MSG00002", "supplier failure", person="supplier_failure"),
    Row(
        "MSG00002",
        "supplier failure, special",
        person="supplier_failure",
        operation="consultSpecialInfos",
    ),
    Row("MSG00003", "internal error", person="internal_error"),
    Row("MSG00004", "both data groups false (NOTES §4)", cards=False, permits=False),
    Row("MSG00004", "legal context over 64 chars", legal_context="X" * 65),
    Row("MSG00015", "certificate without right to the service", client="no_service_access"),
    Row("MSG00051", "SOAPAction of no operation", tweak={"action": '"urn:nothing"'}),
    Row("MSG00051", "SOAPAction missing", tweak={"action": ""}),
    Row("MSG00052", "wrong path", tweak={"path": "/ForeignerSituationService/v2/consult"}),
    Row("MSG00053", "SOAP 1.2 envelope", tweak={"soap12": "envelope"}),
    Row("MSG00053", "application/soap+xml", tweak={"soap12": "content-type"}),
]


def send(service, row: Row) -> requests.Response:  # type: ignore[no-untyped-def]
    role = DATASET.client_roles()[row.client]
    sample = samples.for_roles(
        DATASET,
        row.operation,
        row.person,
        row.client,
        legal_context=row.legal_context,
        cards=row.cards,
        permits=row.permits,
    )
    body, headers = sample.body, dict(sample.headers)
    if "action" in row.tweak:
        if row.tweak["action"]:
            headers["SOAPAction"] = row.tweak["action"]
        else:
            del headers["SOAPAction"]
    if row.tweak.get("soap12") == "envelope":
        body = body.replace(NS_SOAP11.encode(), NS_SOAP12.encode())
    if row.tweak.get("soap12") == "content-type":
        headers["Content-Type"] = "application/soap+xml; charset=utf-8"
    url = service.base_url + row.tweak.get("path", "/ForeignerSituationService/v1/consult")
    with session_for(service, role.certificate_org) as session:
        return session.post(url, data=body, headers=headers, timeout=10)


def test_every_code_of_both_tables_is_covered() -> None:
    assert {r.code for r in ROWS} == set(tables.all_codes())


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.code}-{r.why}" for r in ROWS])
def test_documented_request_gets_its_code(reference_service, row: Row) -> None:  # type: ignore[no-untyped-def]
    response = send(reference_service(), row)
    envelope = parse_untrusted(response.content)
    body = envelope.find(f"{{{NS_SOAP11}}}Body")
    assert body is not None
    payload = body[0]
    if tables.kind_of(row.code) == "business":
        expected = tables.business_codes()[row.code]
        assert response.status_code == 200
        status = payload.find("status")
        assert status is not None, etree.tostring(payload)
        triple = (status.findtext("value"), status.findtext("code"), status.findtext("description"))
        assert triple == (expected.value, expected.code, expected.description)
    else:
        row_t = tables.technical_codes()[row.code]
        assert response.status_code == 500
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        assert etree.QName(payload).localname == "Fault"
        code_text = payload.findtext("faultcode") or ""
        prefix, _, local = code_text.partition(":")
        assert payload.nsmap.get(prefix) == NS_SOAP11 and local == row_t.fault_kind
        detail = payload.find("detail")
        assert detail is not None
        fault = detail[0]
        assert fault.findtext("detail/reasonCode") == row.code
        assert fault.findtext("detail/severity") == "FATAL"
        assert CONTRACT.validate(fault) == []
        # The detail element is the operation's own fault element.
        assert etree.QName(fault).localname == CONTRACT.operations[row.operation].fault
