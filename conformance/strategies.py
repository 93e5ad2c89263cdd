"""Hypothesis strategies for the service's data: NISS, BIS, broken NISS, incomplete dates,
timestamps and tickets.

Each function checks its arguments eagerly (``InvalidArgument``) and returns a
``SearchStrategy``. Rules come from ``conformance.niss`` and ``conformance.dates``
(docs/decisions.md); the strategies build values from parts so every example is valid by
construction.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from conformance.dates import days_in_month

InvalidReason = Literal["checksum", "pattern", "date"]
INVALID_REASONS: tuple[InvalidReason, ...] = ("checksum", "pattern", "date")

# TSS 5 and our XSD: ``ticket`` is a string of at most 36 characters.
TICKET_MAX = 36


def _check_digits(nine: str, century: int) -> str:
    value = int(nine) if century == 1900 else int("2" + nine)
    return f"{97 - value % 97:02d}"


@st.composite
def _birth_part(draw: st.DrawFn, centuries: tuple[int, ...], unknown: bool) -> tuple[int, str]:
    """(century, YYMMDD) with a real date, or 00 month/day parts when ``unknown``."""
    century = draw(st.sampled_from(centuries))
    yy = draw(st.integers(0, 99))
    month = draw(st.integers(0 if unknown else 1, 12))
    top = days_in_month(century + yy, month) if month else 31
    day = draw(st.integers(0 if unknown else 1, top))
    return century, f"{yy:02d}{month:02d}{day:02d}"


def _checked_centuries(century: int | None) -> tuple[int, ...]:
    if century not in (None, 1900, 2000):
        raise InvalidArgument(f"century={century!r} must be None, 1900 or 2000")
    return (1900, 2000) if century is None else (century,)


def _with_checksum(century_and_date: tuple[int, str], sequence: int, offset: int = 0) -> str:
    century, yymmdd = century_and_date
    nine = f"{yymmdd[:2]}{int(yymmdd[2:4]) + offset:02d}{yymmdd[4:]}{sequence:03d}"
    return nine + _check_digits(nine, century)


def niss(century: int | None = None, unknown_date_parts: bool = True) -> st.SearchStrategy[str]:
    """Valid national numbers (niss.validate), compact 11-digit strings.

    ``century`` fixes 1900 or 2000 (default both). With ``unknown_date_parts`` the month and day
    may be 00 (including the fictitious 000001). Shrinks towards 1900, year 00, month and day 00
    (or 01 when unknown parts are off) and sequence 001.
    """
    centuries = _checked_centuries(century)
    if not isinstance(unknown_date_parts, bool):
        raise InvalidArgument(f"unknown_date_parts={unknown_date_parts!r} must be a bool")
    return st.builds(
        _with_checksum, _birth_part(centuries, unknown_date_parts), st.integers(1, 999)
    )


def bis(kind: int | None = None, century: int | None = None) -> st.SearchStrategy[str]:
    """Valid BIS numbers: month raised by ``kind`` (20: sex unknown, 40: sex known; default both).

    The sequence may be 000 (the XSD allows it for BIS). Shrinks towards +20, 1900, year 00,
    month and day 00, sequence 000.
    """
    if kind not in (None, 20, 40):
        raise InvalidArgument(f"kind={kind!r} must be None, 20 or 40")
    offsets = st.sampled_from((20, 40)) if kind is None else st.just(kind)
    return st.builds(
        _with_checksum,
        _birth_part(_checked_centuries(century), True),
        st.integers(0, 999),
        offsets,
    )


@st.composite
def _wrong_checksum(draw: st.DrawFn) -> str:
    valid = draw(niss())
    nine = valid[:9]
    good = {_check_digits(nine, 1900), _check_digits(nine, 2000)}
    wrong = draw(st.integers(0, 97).map("{:02d}".format).filter(lambda cc: cc not in good))
    return nine + wrong


def _pattern_breakers() -> st.SearchStrategy[str]:
    digits = st.text("0123456789", min_size=1, max_size=15).filter(lambda s: len(s) != 11)
    valid = niss()
    return st.one_of(
        digits,  # wrong length
        st.tuples(valid, st.integers(0, 10), st.sampled_from("aZ /+")).map(
            lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]  # a non-digit
        ),
        st.tuples(valid, st.sampled_from((13, 19, 33, 39, 53, 99))).map(
            lambda t: f"{t[0][:2]}{t[1]:02d}{t[0][4:]}"  # month outside 00-12/20-32/40-52
        ),
        st.tuples(valid, st.integers(32, 99)).map(
            lambda t: f"{t[0][:4]}{t[1]:02d}{t[0][6:]}"  # day 32-99
        ),
        valid.map(lambda s: s[:6] + "000" + s[9:]),  # NN sequence 000
        st.tuples(valid, st.sampled_from(("98", "99"))).map(lambda t: t[0][:9] + t[1]),
    )


@st.composite
def _impossible_day(draw: st.DrawFn) -> str:
    century = draw(st.sampled_from((1900, 2000)))
    yy = draw(st.integers(0, 99))
    month = draw(st.sampled_from((2, 4, 6, 9, 11)))
    day = draw(st.integers(days_in_month(century + yy, month) + 1, 31))
    return _with_checksum((century, f"{yy:02d}{month:02d}{day:02d}"), draw(st.integers(1, 999)))


def invalid_niss(reason: InvalidReason | None = None) -> st.SearchStrategy[str]:
    """Numbers ``niss.validate`` refuses, by reason (default: any of them).

    * ``"checksum"``: matches the XSD ``SsinType`` but the check digits fit neither century
      (the service answers MSG00011).
    * ``"pattern"``: breaks ``SsinType`` (length, a non-digit, month, day 32+, NN sequence 000,
      check digits 98/99), so the request is XSD-invalid (MSG00004).
    * ``"date"``: matches ``SsinType`` with good check digits, but the day does not exist in
      its month, e.g. 02-30 (MSG00011).

    Shrinks towards the shrunk valid NISS it was derived from.
    """
    if reason is None:
        return st.one_of(*(invalid_niss(r) for r in INVALID_REASONS))
    if reason == "checksum":
        return _wrong_checksum()
    if reason == "pattern":
        return _pattern_breakers()
    if reason == "date":
        return _impossible_day()
    raise InvalidArgument(f"reason={reason!r} must be None or one of {INVALID_REASONS}")


@st.composite
def _incomplete_date(draw: st.DrawFn, min_year: int, max_year: int) -> str:
    year = draw(st.integers(min_year, max_year))
    month = draw(st.integers(0, 12))
    day = draw(st.integers(0, days_in_month(year, month) if month else 31))
    return f"{year:04d}-{month:02d}-{day:02d}"


def incomplete_dates(
    allow_indefinite: bool = True, min_year: int = 1900, max_year: int = 2099
) -> st.SearchStrategy[str]:
    """Well-formed incomplete dates, wire form ``yyyy-mm-dd`` (conformance.dates).

    Month and/or day may be 00; a known day fits its month. ``allow_indefinite`` adds
    ``9999-00-00``. Years lie in ``[min_year, max_year]`` within 0-2999 (the pattern's [0-2]).
    Shrinks towards ``{min_year}-00-00``.
    """
    if not isinstance(allow_indefinite, bool):
        raise InvalidArgument(f"allow_indefinite={allow_indefinite!r} must be a bool")
    if not 0 <= min_year <= max_year <= 2999:
        raise InvalidArgument(f"need 0 <= min_year ({min_year}) <= max_year ({max_year}) <= 2999")
    dates = _incomplete_date(min_year, max_year)
    return st.one_of(dates, st.just("9999-00-00")) if allow_indefinite else dates


def timestamps(max_offset_hours: int = 14) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes (years 2000-2099) with whole-minute UTC offsets.

    Offsets lie within ±``max_offset_hours`` (xsd:dateTime allows ±14:00). Shrinks towards
    2000-01-01T00:00 at UTC+00:00.
    """
    if not isinstance(max_offset_hours, int) or not 0 <= max_offset_hours <= 14:
        raise InvalidArgument(f"max_offset_hours={max_offset_hours!r} must be an int in 0..14")
    minutes = max_offset_hours * 60
    zones = st.integers(-minutes, minutes).map(lambda m: timezone(timedelta(minutes=m)))
    return st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=zones
    )


def tickets(max_size: int = TICKET_MAX) -> st.SearchStrategy[str]:
    """Client tickets: strings of at most ``max_size`` (≤ 36) XML-safe characters.

    Excludes control characters (``\\r`` would not survive XML end-of-line handling) and
    surrogates, so a ticket round-trips through an XML document. Shrinks towards "".
    """
    if not isinstance(max_size, int) or not 0 <= max_size <= TICKET_MAX:
        raise InvalidArgument(f"max_size={max_size!r} must be an int in 0..{TICKET_MAX}")
    alphabet = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufffe\uffff")
    return st.text(alphabet, max_size=max_size)
