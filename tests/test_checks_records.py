"""harness/checks/records.py: the same employment card or work permit (number and dates) listed
twice in one answer is flagged; distinct documents, partial records without a number and a
duplicate card (another order number) are not."""

from __future__ import annotations

import pytest
from lxml import etree
from test_checks import EMPLOYMENT, _employment, _run, _titles, factory  # noqa: F401

from conformance.harness.checks import OTHER

ALL_GROUPS = {"employmentCards": True, "workPermits": True}


def _card(number: str | None, start: str = "2024-03-01", end: str = "2027-02-28", dup: str = ""):
    parts = [f"<inceptionDate>{start}</inceptionDate><expiryDate>{end}</expiryDate>"]
    if dup:
        parts.append(f"<duplicate>{dup}</duplicate>")
    if number:
        parts.append(f"<cardNumber>{number}</cardNumber>")
    return etree.fromstring(f"<employmentCard>{''.join(parts)}</employmentCard>")


def _permit(number: str, start: str = "2023-01-01") -> etree._Element:
    return etree.fromstring(
        f"<workPermit><inceptionDate>{start}</inceptionDate><expiryDate>2026-12-31</expiryDate>"
        f"<permitNumber>{number}</permitNumber></workPermit>"
    )


def _records(cards: list[etree._Element], permits: list[etree._Element] = ()):
    def change(payload: etree._Element) -> None:
        holder = payload.find("result/employmentCards")
        for old in list(holder):
            holder.remove(old)
        holder.extend(cards)
        if permits:
            group = etree.SubElement(payload.find("result"), "workPermits")
            group.extend(permits)
            payload.find("criteria/dataGroups/workPermits").text = "true"

    return change


def _duplicates(factory, cards, permits=()):  # noqa: F811
    expectation = _employment(data_groups=ALL_GROUPS if permits else None)
    report = _run(factory, expectation, EMPLOYMENT, _records(cards, list(permits)))
    return [f for f in report.failures if "each document once" in f.title], report


def test_a_card_listed_twice_is_flagged(factory):  # noqa: F811
    flagged, _ = _duplicates(factory, [_card("B1234567"), _card("B1234567"), _card("B7654321")])
    assert len(flagged) == 1, flagged
    failure = flagged[0]
    assert failure.category == OTHER
    assert failure.rule == "records.duplicate"
    assert str(failure.authority) == "decision duplicate-records"
    shown = "number B1234567 (2024-03-01 to 2027-02-28) x2"
    assert failure.received == f"listed more than once: {shown}"


def test_a_permit_listed_twice_is_flagged(factory):  # noqa: F811
    flagged, _ = _duplicates(factory, [_card("B1")], [_permit("P9"), _permit("P9")])
    assert [f.title.split(":")[0] for f in flagged] == ["result/workPermits/workPermit"]


@pytest.mark.parametrize(
    "cards",
    [
        [_card("B1"), _card("B2")],  # two documents
        [_card("B1"), _card("B1", start="2027-03-01", end="2030-02-28")],  # renewed: other dates
        [_card("B1"), _card("B1", dup="1")],  # the card and its duplicate
        [_card(None), _card(None)],  # partial records without a number (TSS 2.4)
    ],
)
def test_what_the_tss_permits_is_not_flagged(factory, cards):  # noqa: F811
    flagged, report = _duplicates(factory, cards)
    assert flagged == [] and report.passed, _titles(report.failures)
