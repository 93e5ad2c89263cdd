"""conformance.niss: NOTES §3 examples, one error per rule, python-stdnum as oracle, the XSD."""

from __future__ import annotations

import calendar
import datetime
import doctest

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from lxml import etree
from stdnum.be import bis as stdnum_bis
from stdnum.be import nn as stdnum_nn

from conformance import niss, strategies
from conformance.paths import xsd_dir

_TEST_NS = "urn:test:ssin"


def _ssin_schema() -> etree.XMLSchema:
    """A tiny schema whose only element has CommonV3's SsinType."""
    common = (xsd_dir() / "CommonV3.xsd").resolve()
    return etree.XMLSchema(
        etree.XML(
            f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
                xmlns:common="http://kszbcss.fgov.be/types/common/v3"
                targetNamespace="{_TEST_NS}" elementFormDefault="qualified">
              <xsd:import namespace="http://kszbcss.fgov.be/types/common/v3"
                          schemaLocation="{common.as_uri()}"/>
              <xsd:element name="ssin" type="common:SsinType"/>
            </xsd:schema>"""
        )
    )


SCHEMA = _ssin_schema()


def xsd_accepts(value: str) -> bool:
    element = etree.Element(f"{{{_TEST_NS}}}ssin")
    element.text = value
    return SCHEMA.validate(element)


def _with_check(nine: str, century: int = 1900) -> str:
    value = int(nine) if century == 1900 else int("2" + nine)
    return f"{nine}{97 - value % 97:02d}"


def test_doctests():
    assert doctest.testmod(niss).failed == 0


@pytest.mark.parametrize(
    "number",
    ["85073003328", "17073003384", "00000100166", "80000000130", "98472899765", "85273003371"],
)
def test_notes_known_valid(number):
    assert niss.is_valid(number)
    assert xsd_accepts(number)


@pytest.mark.parametrize(
    ("number", "rule"),
    [
        ("85073003329", "checksum"),
        ("85073500107", "day"),  # stdnum reads day 35 as unknown; the XSD refuses it
        ("85073000098", "sequence"),  # NN sequence 000
        ("8507300332", "length"),
        ("850730033288", "length"),
        ("8507300332a", "digits"),
        ("８５０７３００３３２８", "digits"),  # full-width digits are not 0-9
        ("85133003328", "month"),
        ("85333003328", "month"),
        (_with_check("850230001"), "day"),  # 30 February
        (_with_check("010229001", 2000), "day"),  # 2001 is not a leap year
    ],
)
def test_each_rule_is_named(number, rule):
    with pytest.raises(niss.InvalidNiss) as caught:
        niss.validate(number)
    assert caught.value.rule == rule
    assert not niss.is_valid(number)


def test_leap_day_depends_on_the_century():
    assert niss.birth_date(_with_check("000229001", 2000)) == (2000, 2, 29)
    with pytest.raises(niss.InvalidNiss, match="day"):
        niss.validate(_with_check("000229001", 1900))  # 1900 was not a leap year


def test_compact_strips_separators():
    assert niss.compact(" 85.07.30-033.28 ") == "85073003328"
    assert niss.validate("85 07 30 033 28") == "85073003328"


def test_century_birth_date_and_sex():
    assert niss.century("85073003328") == 1900
    assert niss.century("17073003384") == 2000
    assert niss.birth_date("85073003328") == (1985, 7, 30)
    assert niss.birth_date("00000100166") == (None, None, None)
    assert niss.birth_date("80000000130") == (1980, None, None)
    assert niss.sex("85073003328") == "M"
    assert niss.sex("85273003371") is None  # BIS +20: sex unknown
    assert niss.sex("98472899765") == "M"  # BIS +40: sex known
    assert niss.sex(_with_check("850730002")) == "F"
    assert niss.is_bis("85273003371") and niss.is_bis("98472899765")
    assert not niss.is_bis("85073003328")


def test_bis_may_have_sequence_000():
    number = _with_check("852730000")
    assert niss.is_valid(number) and niss.is_bis(number) and xsd_accepts(number)


def _future_2000(number: str) -> bool:
    """stdnum refuses a 2000-century number born after this year; we do not (see niss.py)."""
    return (
        int(number[:2]) > datetime.date.today().year - 2000
        and number[9:] == _with_check(number[:9], 2000)[9:]
    )


@given(strategies.niss())
def test_generated_niss_agree_with_stdnum(number):
    assert niss.is_valid(number) and not niss.is_bis(number)
    assert xsd_accepts(number)
    if _future_2000(number):
        assert not stdnum_nn.is_valid(number)
        return
    assert stdnum_nn.is_valid(number)
    year, month, day = niss.birth_date(number)
    assert year == stdnum_nn.get_birth_year(number)
    assert month == stdnum_nn.get_birth_month(number)
    if year and month and day:
        assert stdnum_nn.get_birth_date(number) == datetime.date(year, month, day)
    assert niss.sex(number) == stdnum_nn.get_gender(number)


@given(strategies.bis())
def test_generated_bis_agree_with_stdnum(number):
    assert niss.is_valid(number) and niss.is_bis(number)
    assert xsd_accepts(number)
    assume(not _future_2000(number))
    assert stdnum_bis.is_valid(number)
    assert niss.birth_date(number)[0] == stdnum_bis.get_birth_year(number)
    assert niss.sex(number) == stdnum_bis.get_gender(number)


def _oracle(number: str) -> bool:
    """stdnum's verdict, narrowed by the XSD pattern and by 'a known day fits its month'."""
    if not (stdnum_nn.is_valid(number) or stdnum_bis.is_valid(number)):
        return False
    if not xsd_accepts(number):
        return False
    year, month = stdnum_nn.get_birth_year(number), int(number[2:4]) % 20
    day = int(number[4:6])
    return not (year and month and day and day > calendar.monthrange(year, month)[1])


@given(
    st.text("0123456789", min_size=9, max_size=9),
    st.sampled_from(["1900", "2000", "any"]),
    st.integers(0, 99),
)
def test_eleven_digit_strings_agree_with_stdnum(nine, check, any_check):
    number = f"{nine}{any_check:02d}" if check == "any" else _with_check(nine, int(check))
    assume(not _future_2000(number))
    assert niss.is_valid(number) == _oracle(number)


@given(strategies.invalid_niss("pattern"))
def test_pattern_breakers_are_refused_by_the_xsd_and_by_validate(number):
    assert not xsd_accepts(number)
    assert not niss.is_valid(number)


@given(strategies.invalid_niss("checksum"))
def test_wrong_checksums_pass_the_xsd_but_not_validate(number):
    assert xsd_accepts(number)
    with pytest.raises(niss.InvalidNiss) as caught:
        niss.validate(number)
    assert caught.value.rule == "checksum"


@given(strategies.invalid_niss("date"))
def test_impossible_days_pass_the_xsd_but_not_validate(number):
    assert xsd_accepts(number)
    with pytest.raises(niss.InvalidNiss) as caught:
        niss.validate(number)
    assert caught.value.rule == "day"
