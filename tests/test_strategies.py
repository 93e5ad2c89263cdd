"""conformance.strategies: values are what each docstring advertises; bad arguments fail eagerly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis.errors import InvalidArgument
from lxml import etree

from conformance import dates, niss, strategies
from conformance.xmlsafe import parse_untrusted

_DATETIME_SCHEMA = etree.XMLSchema(
    etree.XML(
        """<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
             <xsd:element name="t" type="xsd:dateTime"/>
             <xsd:element name="ticket">
               <xsd:simpleType>
                 <xsd:restriction base="xsd:string"><xsd:maxLength value="36"/></xsd:restriction>
               </xsd:simpleType>
             </xsd:element>
           </xsd:schema>"""
    )
)


@pytest.mark.parametrize(
    "call",
    [
        lambda: strategies.niss(century=1800),
        lambda: strategies.niss(unknown_date_parts="yes"),
        lambda: strategies.bis(kind=30),
        lambda: strategies.bis(century=2100),
        lambda: strategies.invalid_niss(reason="typo"),
        lambda: strategies.incomplete_dates(allow_indefinite=1),
        lambda: strategies.incomplete_dates(min_year=2000, max_year=1999),
        lambda: strategies.incomplete_dates(max_year=3000),
        lambda: strategies.timestamps(max_offset_hours=15),
        lambda: strategies.tickets(max_size=37),
        lambda: strategies.tickets(max_size=-1),
    ],
)
def test_bad_arguments_raise_eagerly(call):
    # Raised by the call itself, before any example is drawn.
    with pytest.raises(InvalidArgument):
        call()


@given(strategies.niss(century=2000))
def test_niss_century_is_honoured(number):
    assert niss.century(number) == 2000


@given(strategies.niss(century=1900, unknown_date_parts=False))
def test_niss_without_unknown_parts_has_a_full_birth_date(number):
    year, month, day = niss.birth_date(number)
    assert niss.century(number) == 1900
    assert year is not None and month is not None and day is not None


@given(strategies.bis(kind=20))
def test_bis_plus_20_has_unknown_sex(number):
    assert niss.is_bis(number) and 20 <= int(number[2:4]) <= 32
    assert niss.sex(number) is None


@given(strategies.bis(kind=40))
def test_bis_plus_40_has_known_sex(number):
    assert niss.is_bis(number) and 40 <= int(number[2:4]) <= 52
    assert niss.sex(number) in ("M", "F")


@given(strategies.invalid_niss())
def test_invalid_niss_of_any_reason_is_refused(number):
    assert not niss.is_valid(number)


@given(strategies.incomplete_dates(allow_indefinite=False, min_year=1990, max_year=1999))
def test_incomplete_dates_honour_their_bounds(text):
    date = dates.parse(text)
    assert not date.is_indefinite
    assert 1990 <= date.year <= 1999


@given(strategies.timestamps(max_offset_hours=2))
def test_timestamps_are_aware_and_valid_xsd_datetimes(moment):
    offset = moment.utcoffset()
    assert offset is not None and abs(offset) <= timedelta(hours=2)
    element = etree.Element("t")
    element.text = moment.isoformat()
    assert _DATETIME_SCHEMA.validate(element), moment.isoformat()


@given(strategies.tickets())
def test_tickets_round_trip_through_xml(ticket):
    element = etree.Element("ticket")
    element.text = ticket
    assert _DATETIME_SCHEMA.validate(element)
    parsed = parse_untrusted(etree.tostring(element, encoding="utf-8"))
    assert (parsed.text or "") == ticket
