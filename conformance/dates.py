"""Incomplete dates: ``yyyy-mm-dd`` where the month and/or day may be ``00`` (unknown).

Form rules (our XSD's incomplete date, docs/decisions.md "NISS and dates"): exactly 10
characters; the year starts with 0-2 (the common BCSS pattern); month 00-12; day 00-31, and a
day that fits the month when the month is known. ``9999-00-00`` is the TSS's ``00/00/9999``, an
indefinite expiry (TSS 3.1 "Notez que"). Meaning is not checked: BCSS does no interpretation.

``compare`` knows which parts are unknown and answers ``"unknown"`` when they make the order
undecidable. Decision (TSS silent): a month of 00 makes the day unreliable too, as for a NISS
(docs/decisions.md), so such a date only fixes its year when compared (its day is kept for
round trips).

>>> compare(parse("2019-04-00"), parse("2019-05-17"))
'before'
>>> compare(parse("2019-00-00"), parse("2019-05-17"))
'unknown'
>>> compare(parse("9999-00-00"), parse("2999-12-31"))
'after'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Literal

Rule = Literal["length", "format", "year", "month", "day"]
Order = Literal["before", "after", "same", "unknown"]

INDEFINITE_TEXT = "9999-00-00"
_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_END_OF_TIME = (10_000, 1, 1)  # sorts after every real date


class InvalidIncompleteDate(ValueError):
    """An incomplete date that breaks ``rule``; ``reason`` says how."""

    def __init__(self, reason: str, rule: Rule) -> None:
        super().__init__(f"{rule}: {reason}")
        self.reason = reason
        self.rule: Rule = rule


def days_in_month(year: int, month: int) -> int:
    # calendar.monthrange needs year >= 1; isleap is plain arithmetic and accepts year 0.
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


@dataclass(frozen=True)
class IncompleteDate:
    """A date whose month and/or day may be unknown (None)."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def is_indefinite(self) -> bool:
        """``9999-00-00``: the TSS's "durée indéterminée"."""
        return self.year == 9999 and self.month is None and self.day is None

    @property
    def is_complete(self) -> bool:
        return self.month is not None and self.day is not None and not self.is_indefinite

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month or 0:02d}-{self.day or 0:02d}"

    def bounds(self) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        """The earliest and latest (year, month, day) this date may stand for."""
        if self.is_indefinite:
            return _END_OF_TIME, _END_OF_TIME
        if self.month is None:  # a day without its month cannot be placed
            return (self.year, 1, 1), (self.year, 12, 31)
        if self.day is None:
            last = days_in_month(self.year, self.month)
            return (self.year, self.month, 1), (self.year, self.month, last)
        exact = (self.year, self.month, self.day)
        return exact, exact


def parse(text: str) -> IncompleteDate:
    """Parse the wire form, raising ``InvalidIncompleteDate`` naming the first broken rule."""
    if len(text) != 10:
        raise InvalidIncompleteDate(f"{len(text)} characters instead of 10", "length")
    if not _SHAPE.fullmatch(text):
        raise InvalidIncompleteDate(f"{text!r} is not yyyy-mm-dd with digits", "format")
    if text == INDEFINITE_TEXT:
        return IncompleteDate(9999)
    year, month, day = int(text[:4]), int(text[5:7]), int(text[8:])
    if text[0] not in "012":
        raise InvalidIncompleteDate(
            f"year {text[:4]} must start with 0-2 (or be 9999-00-00)", "year"
        )
    if month > 12:
        raise InvalidIncompleteDate(f"month {text[5:7]} is not 00-12", "month")
    if day > 31:
        raise InvalidIncompleteDate(f"day {text[8:]} is not 00-31", "day")
    if month and day > days_in_month(year, month):
        raise InvalidIncompleteDate(f"day {day} does not exist in {text[:7]}", "day")
    return IncompleteDate(year, month or None, day or None)


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except InvalidIncompleteDate:
        return False
    return True


def is_indefinite(value: str | IncompleteDate) -> bool:
    """Whether ``value`` is ``9999-00-00``."""
    date = parse(value) if isinstance(value, str) else value
    return date.is_indefinite


def compare(a: IncompleteDate, b: IncompleteDate) -> Order:
    """Order ``a`` against ``b``: "before", "after", "same", or "unknown" when undecidable.

    "same" needs both dates fully known (or both indefinite); two equal partial dates may still
    be different days, so they are "unknown".
    """
    (a_first, a_last), (b_first, b_last) = a.bounds(), b.bounds()
    if a.is_indefinite and b.is_indefinite:
        return "same"
    if a_last < b_first:
        return "before"
    if a_first > b_last:
        return "after"
    if a_first == a_last == b_first == b_last:
        return "same"
    return "unknown"
