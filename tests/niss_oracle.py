"""An oracle for "no NISS-like number left readable", written from the rule alone (TSS 3.3.3:
check digits ``97 - n mod 97`` over the first 9 digits, or over ``2`` followed by them) and
independent of the masker it judges."""

from __future__ import annotations

import re

_TOKEN = re.compile(rb"(?<![0-9])[0-9]{11}(?![0-9])")
_PRINTED = re.compile(rb"(?<![0-9])[0-9]{2}\.[0-9]{2}\.[0-9]{2}-[0-9]{3}\.[0-9]{2}(?![0-9])")


def checksum_century(digits: str) -> bool:
    check = int(digits[9:])
    return check in (97 - int(digits[:9]) % 97, 97 - int("2" + digits[:9]) % 97)


def readable_niss(data: bytes) -> list[str]:
    """Every 11-digit token (bare or printed YY.MM.DD-SSS.CC) whose check digits match."""
    tokens = [m.group(0).decode() for m in _TOKEN.finditer(data)]
    tokens += [re.sub(r"\D", "", m.group(0).decode()) for m in _PRINTED.finditer(data)]
    return [t for t in tokens if checksum_century(t)]
