"""Duplicate records: the same employment card or work permit listed twice in one answer.

An answer lists the documents on record (TSS 5.2.2); the same document twice, same number and
same dates, is a merge or gateway bug that no single-record check sees. The TSS does not say so
in words: this is our reading, decision ``duplicate-records`` (docs/decisions.md). A record
without a number is never flagged (partial National Register records are allowed, TSS 2.4), and
a card's duplicate order number is part of its identity (a duplicate card is another card).
"""

from __future__ import annotations

from collections import Counter

from lxml import etree

from conformance.harness.checks import OTHER, CheckFailure, Observed
from conformance.harness.expectation import Expectation

# record path under result -> the child elements that, with the dates, identify one document
_IDENTITY = {
    "employmentCards/employmentCard": ("cardNumber", "duplicate"),
    "workPermits/workPermit": ("permitNumber",),
}
_DATES = ("inceptionDate", "expiryDate", "expirationDetails/expiryDate")


def check_duplicate_records(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """No employmentCard or workPermit appears twice with the same number and dates."""
    payload = observed.payload
    if payload is None:
        return []
    failures = []
    for path, fields in _IDENTITY.items():
        keys = (_identity(record, fields) for record in payload.iterfind(f"result/{path}"))
        counts = Counter(key for key in keys if key is not None)
        repeated = [key for key, count in counts.items() if count > 1]
        if not repeated:
            continue
        kind = path.rsplit("/", 1)[1]
        shown = "; ".join(f"{_describe(key)} x{counts[key]}" for key in repeated)
        failures.append(
            CheckFailure(
                f"result/{path}: each document once",
                f"every {kind} listed once",
                f"listed more than once: {shown}",
                OTHER,
                rule="records.duplicate",
            )
        )
    return failures


def _identity(record: etree._Element, fields: tuple[str, ...]) -> tuple[str, ...] | None:
    number = (record.findtext(fields[0]) or "").strip()
    if not number:
        return None
    rest = [(record.findtext(name) or "").strip() for name in (*fields[1:], *_DATES)]
    return (number, *rest)


def _describe(key: tuple[str, ...]) -> str:
    number, *rest = key
    dates = [part for part in rest[-len(_DATES) :] if part]
    return f"number {number}" + (f" ({' to '.join(dates[:2])})" if dates else "")
