"""What the reference answers: XSD-valid, exact echoes, informationCBSS, replaced NISS, groups."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from lxml import etree

from conformance.contract import NS_SOAP11, load_contract
from conformance.reference import responses, samples
from conformance.reference.dataset import Dataset
from conformance.reference.pytest_fixture import session_for
from conformance.xmlsafe import parse_untrusted

pytest_plugins = ["conformance.reference.pytest_fixture"]

CONTRACT = load_contract()
DATASET = Dataset.load()
PERSONS = DATASET.person_roles()
CLIENTS = DATASET.client_roles()
OPERATIONS = ("consultEmploymentInfos", "consultSpecialInfos")


def ask(service, operation: str, person: str, client: str = "onem", **kw):  # type: ignore[no-untyped-def]
    role = CLIENTS[client]
    sample = samples.for_roles(DATASET, operation, person, client, **kw)
    with session_for(service, role.certificate_org) as session:
        response = session.post(service.url, data=sample.body, headers=sample.headers, timeout=10)
    request_payload = parse_untrusted(sample.body).find(f"{{{NS_SOAP11}}}Body")[0]  # type: ignore[index]
    body = parse_untrusted(response.content).find(f"{{{NS_SOAP11}}}Body")
    assert body is not None
    return response, request_payload, body[0]


def c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("person", sorted(PERSONS))
@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_every_response_validates_against_the_xsd(
    reference_service, operation, person, client
) -> None:  # type: ignore[no-untyped-def]
    _, _, payload = ask(reference_service(), operation, person, client)
    if etree.QName(payload).localname == "Fault":
        detail = payload.find("detail")
        assert detail is not None
        payload = detail[0]
    assert CONTRACT.validate(payload) == []


@pytest.mark.parametrize("operation", OPERATIONS)
def test_echoes_are_exact_in_canonical_form(reference_service, operation: str) -> None:  # type: ignore[no-untyped-def]
    _, request, response = ask(reference_service(), operation, "concurrent_cards", "onem_sector")
    for name in ("informationCustomer", "legalContext", "criteria"):
        sent, echoed = request.find(name), response.find(name)
        assert sent is not None and echoed is not None
        assert c14n(echoed) == c14n(sent), name


def test_new_ticket_is_a_random_rfc4122_version_4_uuid() -> None:
    tickets = [responses.new_ticket() for _ in range(2000)]
    for ticket in tickets:
        parsed = uuid.UUID(ticket)
        assert str(parsed) == ticket
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert len(set(tickets)) == len(tickets)
    # 122 random bits: every hex digit outside the fixed version/variant nibbles varies.
    for position in (0, 9, 15, 20, 35):
        assert len({t[position] for t in tickets}) > 8


def test_information_cbss_is_fresh_uuid_and_ordered_timestamps(reference_service) -> None:  # type: ignore[no-untyped-def]
    service = reference_service()
    tickets = set()
    for _ in range(3):
        _, _, response = ask(service, "consultEmploymentInfos", "concurrent_cards")
        ticket = response.findtext("informationCBSS/ticketCBSS") or ""
        assert str(uuid.UUID(ticket)) == ticket.lower() and uuid.UUID(ticket).version == 4
        tickets.add(ticket)
        received = datetime.fromisoformat(
            response.findtext("informationCBSS/timestampReceive") or ""
        )
        replied = datetime.fromisoformat(response.findtext("informationCBSS/timestampReply") or "")
        assert received.tzinfo is not None and replied.tzinfo is not None
        assert received <= replied
    assert len(tickets) == 3


@pytest.mark.parametrize("operation", OPERATIONS)
def test_replaced_niss_answers_for_the_final_one_with_the_indication(
    reference_service, operation
) -> None:  # type: ignore[no-untyped-def]
    _, _, response = ask(reference_service(), operation, "replaced")
    replaced = PERSONS["replaced"]
    assert response.findtext("status/code") == "MSG00000"
    assert response.findtext("ssin") == replaced.replaced_by
    assert response.findtext("criteria/ssin") == replaced.ssin
    info = response.findall("status/information")
    assert [(i.findtext("fieldName"), i.findtext("fieldValue")) for i in info] == [
        ("replacedSsin", replaced.ssin)
    ]


def test_not_replaced_has_no_indication(reference_service) -> None:  # type: ignore[no-untyped-def]
    _, _, response = ask(reference_service(), "consultEmploymentInfos", "concurrent_cards")
    assert response.findall("status/information") == []
    assert response.findtext("ssin") == PERSONS["concurrent_cards"].ssin


@pytest.mark.parametrize(
    ("cards", "permits", "groups"),
    [
        (True, False, ["employmentCards"]),
        (False, True, ["workPermits"]),
        (True, True, ["employmentCards", "workPermits"]),
    ],
)
def test_result_holds_only_the_requested_groups(reference_service, cards, permits, groups) -> None:  # type: ignore[no-untyped-def]
    _, _, response = ask(
        reference_service(),
        "consultEmploymentInfos",
        "cards_and_permits",
        cards=cards,
        permits=permits,
    )
    result = response.find("result")
    assert result is not None
    assert [etree.QName(c).localname for c in result] == groups
    assert all(len(group) > 0 for group in result)


def test_requested_empty_group_is_present_but_empty(reference_service) -> None:  # type: ignore[no-untyped-def]
    _, _, response = ask(reference_service(), "consultEmploymentInfos", "permits_only")
    cards = response.find("result/employmentCards")
    assert cards is not None and len(cards) == 0
    assert len(response.findall("result/workPermits/workPermit")) == 1


def test_no_data_has_no_result(reference_service) -> None:  # type: ignore[no-untyped-def]
    _, _, response = ask(reference_service(), "consultEmploymentInfos", "no_data")
    assert response.findtext("status/value") == "NO_DATA_FOUND"
    assert response.find("result") is None


def test_person_roles_carry_their_data(reference_service) -> None:  # type: ignore[no-untyped-def]
    service = reference_service()
    _, _, concurrent = ask(service, "consultEmploymentInfos", "concurrent_cards", permits=False)
    assert len(concurrent.findall("result/employmentCards/employmentCard")) >= 2
    _, _, indefinite = ask(service, "consultEmploymentInfos", "indefinite_expiry")
    dates = indefinite.xpath(
        "result/employmentCards/employmentCard/expirationDetails/expiryDate/text()"
    )
    assert "9999-00-00" in dates
    _, _, incomplete = ask(service, "consultEmploymentInfos", "incomplete_dates")
    inception = incomplete.xpath("result/employmentCards/employmentCard/inceptionDate/text()")
    assert any("-00" in d for d in inception)
    _, _, by_ssin = ask(service, "consultSpecialInfos", "special_infos_ssin")
    assert by_ssin.find("result/specialInfos/specialInfo/nrBase/ssin") is not None
    assert by_ssin.findtext("result/specialInfos/specialInfo/reason1/descriptionNl")
    _, _, fictional = ask(service, "consultSpecialInfos", "special_infos_fictional")
    assert (
        fictional.find("result/specialInfos/specialInfo/nrBase/fictionalIdentificationNumber")
        is not None
    )


def test_markup_in_an_echoed_value_stays_text() -> None:
    # The answer is written from serialised pieces: a value that looks like markup must come
    # back as the same text, inside the same structure, and the answer must stay valid.
    from conformance.reference.chain import Verdict

    sample = samples.for_roles(DATASET, "consultEmploymentInfos", "concurrent_cards")
    request = parse_untrusted(sample.body).find(f"{{{NS_SOAP11}}}Body")[0]  # type: ignore[index]
    hostile = '</ticket><status>&amp;"]]>'  # the XSD allows 36 characters
    request.find("informationCustomer/ticket").text = hostile  # type: ignore[union-attr]
    operation = CONTRACT.operations["consultEmploymentInfos"]
    received = responses.now()
    answer = responses.business_answer(
        CONTRACT, operation, request, Verdict("MSG00100"), responses.new_ticket(), received
    )
    element = CONTRACT.parse_valid(answer)
    assert element is not None, CONTRACT.explain(etree.fromstring(answer))
    assert element.findtext("informationCustomer/ticket") == hostile
    assert [child.tag for child in element] == [
        "informationCustomer",
        "informationCBSS",
        "legalContext",
        "criteria",
        "status",
    ]


def test_an_answer_that_breaks_the_contract_does_not_parse_as_valid() -> None:
    # The check the service relies on before sending can fail.
    sample = samples.for_roles(DATASET, "consultEmploymentInfos", "concurrent_cards")
    request = parse_untrusted(sample.body).find(f"{{{NS_SOAP11}}}Body")[0]  # type: ignore[index]
    from conformance.reference.chain import Verdict

    operation = CONTRACT.operations["consultEmploymentInfos"]
    good = responses.business_answer(
        CONTRACT, operation, request, Verdict("MSG00100"), responses.new_ticket(), responses.now()
    )
    assert CONTRACT.parse_valid(good) is not None
    assert CONTRACT.parse_valid(good.replace(b"<status>", b"<state>")) is None
    assert CONTRACT.parse_valid(good[:-5]) is None  # not even well-formed
