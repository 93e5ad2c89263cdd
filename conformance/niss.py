"""NISS / SSIN: the Belgian national number and BIS numbers (TSS 3.3.3; docs/decisions.md).

Eleven digits ``YYMMDDSSSCC``:

* ``YYMMDD`` is the birth date. A month or day of ``00`` is unknown; ``000001`` is the fictitious
  date of a fully unknown birth date. BIS numbers raise the month by 20 (sex unknown) or by 40
  (sex known).
* ``SSS`` counts births that day: odd for men, even for women. A national number never has 000
  (the XSD ``SsinType`` refuses it); a BIS number may.
* ``CC = 97 - (YYMMDDSSS mod 97)``, computed on ``"2" + YYMMDDSSS`` for births from 2000 on. The
  formula that matches gives the century.

Decisions where the TSS is silent (see docs/decisions.md):

* ``validate`` accepts national and BIS numbers alike (structure only). The service refuses a
  well-formed BIS with REG00004 and a broken structure with MSG00011, so they must be told apart.
* A day beyond 31, or beyond the month's length when the month is known (``850230``), is refused
  (rule ``"day"``); python-stdnum reads it as an unknown day instead.
* The century comes from the checksum alone, so a number "born" in a future year is valid.

>>> validate('85.07.30-033.28')
'85073003328'
>>> birth_date('17073003384'), sex('17073003384')
((2017, 7, 30), 'M')
>>> is_bis('85273003371'), sex('85273003371')
(True, None)
>>> validate('85073003329')
Traceback (most recent call last):
    ...
conformance.niss.InvalidNiss: checksum: check digits 29 match neither century
"""

from __future__ import annotations

import calendar
from typing import Literal

Rule = Literal["length", "digits", "month", "day", "sequence", "checksum"]

_SEPARATORS = str.maketrans("", "", " .-")
_DIGITS = frozenset("0123456789")
_FICTITIOUS = "0001"  # MMDD of the fictitious date 1900-00-01 / 2000-00-01 (with any BIS offset)


class InvalidNiss(ValueError):
    """A NISS that breaks ``rule``; ``reason`` says how."""

    def __init__(self, reason: str, rule: Rule) -> None:
        super().__init__(f"{rule}: {reason}")
        self.reason = reason
        self.rule: Rule = rule


def compact(ssin: str) -> str:
    """Strip surrounding whitespace and the usual separators (spaces, dots, dashes)."""
    return ssin.strip().translate(_SEPARATORS)


def _bis_offset(month: int) -> int:
    return 40 if month >= 40 else 20 if month >= 20 else 0


def _century(number: str) -> int | None:
    check = int(number[9:])
    if 97 - int(number[:9]) % 97 == check:
        return 1900
    if 97 - int("2" + number[:9]) % 97 == check:
        return 2000
    return None


def validate(ssin: str) -> str:
    """Return the compact NISS, or raise ``InvalidNiss`` naming the first broken rule."""
    number = compact(ssin)
    if len(number) != 11:
        raise InvalidNiss(f"{len(number)} characters instead of 11", "length")
    if not set(number) <= _DIGITS:
        raise InvalidNiss("only the digits 0-9 are allowed", "digits")
    raw_month, day, sequence = int(number[2:4]), int(number[4:6]), int(number[6:9])
    offset = _bis_offset(raw_month)
    month = raw_month - offset
    if month > 12:
        raise InvalidNiss(f"month {number[2:4]} is not 00-12, 20-32 or 40-52", "month")
    if day > 31:
        raise InvalidNiss(f"day {number[4:6]} is not 00-31", "day")
    if sequence == 0 and offset == 0:
        raise InvalidNiss("sequence 000 is allowed only in a BIS number", "sequence")
    century = _century(number)
    if century is None:
        raise InvalidNiss(f"check digits {number[9:]} match neither century", "checksum")
    if month and day > calendar.monthrange(century + int(number[:2]), month)[1]:
        raise InvalidNiss(f"day {day} does not exist in month {month:02d}", "day")
    return number


def check_digits_match(digits: str) -> bool:
    """Whether 11 digits carry check digits of either century, whatever their date says.

    Looser than :func:`is_valid` on purpose: what could be a NISS (a 31 November, a month 13) is
    masked in reports, so only what cannot be one at all stays readable.

    >>> check_digits_match('35113174609'), is_valid('35113174609')
    (True, False)
    """
    return len(digits) == 11 and set(digits) <= _DIGITS and _century(digits) is not None


def is_valid(ssin: str) -> bool:
    """Whether ``validate`` accepts the number (national or BIS)."""
    try:
        validate(ssin)
    except InvalidNiss:
        return False
    return True


def is_bis(ssin: str) -> bool:
    """Whether a valid number is a BIS number (month raised by 20 or 40)."""
    return _bis_offset(int(validate(ssin)[2:4])) > 0


def century(ssin: str) -> int:
    """1900 or 2000, as the check digits tell."""
    result = _century(validate(ssin))
    assert result is not None  # validate() checked it
    return result


def birth_date(ssin: str) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) with unknown parts as None.

    The fictitious ``000001`` means nothing is known, not even the year. A month of 00 makes the
    day unreliable too (the day's counter may have run out: docs/decisions.md), so it is None
    as well.
    """
    number = validate(ssin)
    year = century(number) + int(number[:2])
    month = int(number[2:4]) - _bis_offset(int(number[2:4]))
    day = int(number[4:6])
    if number[:2] == "00" and f"{month:02d}{day:02d}" == _FICTITIOUS:
        return (None, None, None)
    if month == 0:
        return (year, None, None)
    return (year, month, day or None)


def sex(ssin: str) -> Literal["M", "F"] | None:
    """ "M" (odd sequence) or "F" (even); None for a BIS +20, given while the sex was unknown."""
    number = validate(ssin)
    if _bis_offset(int(number[2:4])) == 20:
        return None
    return "M" if int(number[6:9]) % 2 else "F"
