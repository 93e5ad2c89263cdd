"""conformance.dates: form rules (NOTES §2/§4), indefinite 9999-00-00, partial-order compare."""

from __future__ import annotations

import datetime
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from conformance import dates, strategies
from conformance.dates import IncompleteDate, compare, parse
from conformance.paths import xsd_dir

_FS_NS = "http://kszbcss.fgov.be/types/ForeignerSituation/v1"
_TEST_NS = "urn:test:dates"


def _date_schema() -> etree.XMLSchema:
    """A tiny schema whose only element has the payload's IncompleteDateType (with 9999-00-00)."""
    payload = (xsd_dir() / "ForeignerSituationV1.xsd").resolve()
    return etree.XMLSchema(
        etree.XML(
            f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:fs="{_FS_NS}"
                targetNamespace="{_TEST_NS}" elementFormDefault="qualified">
              <xsd:import namespace="{_FS_NS}" schemaLocation="{payload.as_uri()}"/>
              <xsd:element name="date" type="fs:IncompleteDateType"/>
            </xsd:schema>"""
        )
    )


SCHEMA = _date_schema()


def xsd_accepts(value: str) -> bool:
    element = etree.Element(f"{{{_TEST_NS}}}date")
    element.text = value
    return SCHEMA.validate(element)


def test_doctests():
    assert doctest.testmod(dates).failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-05-17", IncompleteDate(2019, 5, 17)),
        ("2019-05-00", IncompleteDate(2019, 5, None)),
        ("2019-00-00", IncompleteDate(2019)),
        ("2019-00-17", IncompleteDate(2019, None, 17)),
        ("2000-02-29", IncompleteDate(2000, 2, 29)),
        ("9999-00-00", IncompleteDate(9999)),
    ],
)
def test_parse_valid(text, expected):
    assert parse(text) == expected
    assert str(parse(text)) == text
    assert xsd_accepts(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("2019-5-17", "length"),
        ("2019-05-171", "length"),
        ("2019/05/17", "format"),
        ("2019-0a-17", "format"),
        ("２０１９-05-17", "format"),  # full-width digits
        ("3019-05-17", "year"),
        ("9999-12-31", "year"),
        ("2019-13-01", "month"),
        ("2019-05-32", "day"),
        ("2019-02-29", "day"),
        ("1900-02-29", "day"),
        ("2019-04-31", "day"),
    ],
)
def test_parse_names_the_broken_rule(text, rule):
    with pytest.raises(dates.InvalidIncompleteDate) as caught:
        parse(text)
    assert caught.value.rule == rule
    assert not dates.is_valid(text)


def test_indefinite():
    assert dates.is_indefinite("9999-00-00")
    assert parse("9999-00-00").is_indefinite
    assert not dates.is_indefinite("2999-00-00")
    assert not parse("9999-00-00").is_complete


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("2019-05-17", "2019-05-18", "before"),
        ("2019-05-18", "2019-05-17", "after"),
        ("2019-05-17", "2019-05-17", "same"),
        ("2019-05-00", "2019-05-17", "unknown"),
        ("2019-05-00", "2019-05-00", "unknown"),
        ("2019-04-00", "2019-05-01", "before"),
        ("2019-00-00", "2019-05-17", "unknown"),
        ("2019-00-17", "2019-00-17", "unknown"),  # a day without its month cannot be placed
        ("2018-00-00", "2019-00-00", "before"),
        ("9999-00-00", "2999-12-31", "after"),
        ("9999-00-00", "9999-00-00", "same"),
        ("2019-12-00", "2019-00-00", "unknown"),
    ],
)
def test_compare(a, b, order):
    assert compare(parse(a), parse(b)) == order


@given(strategies.incomplete_dates())
def test_generated_dates_parse_round_trip_and_match_the_xsd(text):
    assert str(parse(text)) == text
    assert xsd_accepts(text)


@given(st.text("0123456789-", min_size=10, max_size=10))
def test_parse_agrees_with_the_xsd_except_for_impossible_days(text):
    """The XSD has the shape; parse() adds 'a known day fits its month' (NOTES §4)."""
    if dates.is_valid(text):
        assert xsd_accepts(text)
    elif xsd_accepts(text):
        with pytest.raises(dates.InvalidIncompleteDate, match="does not exist"):
            parse(text)


@given(st.dates(datetime.date(1, 1, 1), datetime.date(2999, 12, 31)))
def test_every_real_date_parses(day):
    assert parse(day.isoformat()) == IncompleteDate(day.year, day.month, day.day)


@given(st.dates(), st.dates())
def test_compare_on_complete_dates_is_the_calendar_order(x, y):
    a, b = IncompleteDate(x.year, x.month, x.day), IncompleteDate(y.year, y.month, y.day)
    expected = "before" if x < y else "after" if x > y else "same"
    assert compare(a, b) == expected


@given(strategies.incomplete_dates(), strategies.incomplete_dates())
def test_compare_is_antisymmetric_and_sound(a_text, b_text):
    a, b = parse(a_text), parse(b_text)
    flipped = {"before": "after", "after": "before", "same": "same", "unknown": "unknown"}
    assert compare(b, a) == flipped[compare(a, b)]
    if compare(a, b) == "before":  # then every day `a` may stand for precedes every day of `b`
        assert a.bounds()[1] < b.bounds()[0]
