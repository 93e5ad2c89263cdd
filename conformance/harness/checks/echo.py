"""Checks on what the answer repeats or adds about the request: echo, informationCBSS, NISS."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta

from lxml import etree

from conformance.harness.checks import ECHO, OTHER, SCHEMA, CheckFailure, Observed
from conformance.harness.expectation import Expectation

ECHOED = ("informationCustomer", "legalContext", "criteria")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
REPLACED_FIELD = "replacedSsin"  # decision replaced-indication (data/rules.yaml)


def canonical(element: etree._Element) -> bytes:
    """Exclusive C14N of ``element``, ignoring whitespace-only text in element-only content
    (insignificant for the XSD's complex types), so pretty-printing never counts as a change."""
    clone = copy.deepcopy(element)
    for node in clone.iter(tag=etree.Element):
        if len(node):
            if node.text is not None and not node.text.strip():
                node.text = None
            for child in node:
                if child.tail is not None and not child.tail.strip():
                    child.tail = None
    clone.tail = None
    return etree.tostring(clone, method="c14n", exclusive=True)


def check_echo(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """informationCustomer, legalContext and criteria are echoed exactly (TSS 5.2.2 / 5.3.2)."""
    request, answer = observed.request_payload, observed.payload
    if answer is None and observed.fault_detail is not None:
        answer = observed.fault_detail  # its informationCustomer, when present, is an echo too
        names: tuple[str, ...] = ("informationCustomer",)
    else:
        names = ECHOED
    if request is None or answer is None:
        return []
    failures = []
    for name in names:
        sent, got = request.find(name), answer.find(name)
        if sent is None or (got is None and answer is observed.fault_detail):
            continue
        sent_c14n = canonical(sent).decode()
        got_c14n = canonical(got).decode() if got is not None else "(absent)"
        if sent_c14n != got_c14n:
            failures.append(
                CheckFailure(f"Echo of {name}", sent_c14n, got_c14n, ECHO, rule=f"echo.{name}")
            )
    return failures


def check_information_cbss(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """informationCBSS has a UUID ticketCBSS and timestampReceive <= timestampReply (TSS 5.1.2)."""
    holder = observed.payload if observed.payload is not None else observed.fault_detail
    block = holder.find("informationCBSS") if holder is not None else None
    if block is None:
        return []  # required by the XSD: check_schema reports its absence
    title = "informationCBSS"
    failures = []
    ticket = (block.findtext("ticketCBSS") or "").strip()
    if not _UUID.fullmatch(ticket):
        failures.append(
            CheckFailure(
                f"{title}: ticketCBSS",
                "a UUID 8-4-4-4-12",
                ticket or "(empty)",
                SCHEMA,
                rule="cbss.ticket",
            )
        )
    received, replied = (
        parse_timestamp(block.findtext(n)) for n in ("timestampReceive", "timestampReply")
    )
    if received is None or replied is None:
        failures.append(
            CheckFailure(
                f"{title}: timestamps",
                "timestampReceive and timestampReply as xsd:dateTime",
                f"{block.findtext('timestampReceive')!r}, {block.findtext('timestampReply')!r}",
                OTHER,
                rule="cbss.timestamps",
            )
        )
    elif (received.tzinfo is None) != (replied.tzinfo is None):
        failures.append(
            CheckFailure(f"{title}: timestamps", "both with or both without a time zone",
                         f"{received.isoformat()} / {replied.isoformat()}", OTHER,
                         rule="cbss.timestamp-zones")
        )  # fmt: skip
    elif received > replied:
        failures.append(
            CheckFailure(f"{title}: timestamps", "timestampReceive <= timestampReply",
                         f"{received.isoformat()} > {replied.isoformat()}", OTHER,
                         rule="cbss.timestamp-order")
        )  # fmt: skip
    return failures


def check_ssin(observed: Observed, expectation: Expectation) -> list[CheckFailure]:
    """ssin is the final NISS; status/information replacedSsin (value: the NISS sent) is there
    exactly when that NISS was replaced (TSS 5.2.2 "ssin", decision replaced-indication)."""
    payload = observed.payload
    if payload is None or payload.find("status") is None:
        return []
    requested = expectation.requested_ssin or _request_ssin(observed)
    final = expectation.final_ssin or requested
    ssin = payload.findtext("ssin")
    replaced_values = [
        (info.findtext("fieldValue") or "").strip()
        for info in payload.iterfind("status/information")
        if (info.findtext("fieldName") or "").strip() == REPLACED_FIELD
    ]
    failures = []
    if final and ssin is not None and ssin.strip() != final:
        failures.append(
            CheckFailure("ssin: the final NISS", final, ssin.strip(), ECHO, rule="ssin.final")
        )
    replaced = bool(requested and final and requested != final)
    if replaced and ssin is None and payload.findtext("status/value") != "NO_RESULT":
        failures.append(
            CheckFailure(
                "ssin: the final NISS of a replaced person",
                final or "",
                "(absent)",
                ECHO,
                rule="ssin.replaced-present",
            )
        )
    title = f"status/information {REPLACED_FIELD} (replaced NISS)"
    if (
        replaced
        and replaced_values != [requested]
        and payload.findtext("status/value") != "NO_RESULT"
    ):
        failures.append(
            CheckFailure(
                title,
                f"one entry with value {requested}",
                _show(replaced_values),
                ECHO,
                rule="ssin.replaced-indication",
            )
        )
    if not replaced and replaced_values:
        failures.append(
            CheckFailure(
                title,
                "absent (the NISS was not replaced)",
                _show(replaced_values),
                ECHO,
                rule="ssin.replaced-indication",
            )
        )
    return failures


def _request_ssin(observed: Observed) -> str | None:
    request = observed.request_payload
    text = request.findtext("criteria/ssin") if request is not None else None
    return text.strip() if text else None


def _show(values: list[str]) -> str:
    return ", ".join(values) if values else "(absent)"


def parse_timestamp(text: str | None) -> datetime | None:
    """An xsd:dateTime as a datetime (None when absent or unreadable); also read by the SLA."""
    if not text:
        return None
    text = text.strip()
    # xsd:dateTime allows 24:00:00 for the end of a day; Python's datetime does not.
    end_of_day = re.match(r"(\d{4}-\d\d-\d\d)T24:00:00(?:\.0+)?(.*)$", text)
    try:
        if end_of_day:
            day = datetime.fromisoformat(f"{end_of_day[1]}T00:00:00{end_of_day[2]}")
            return day + timedelta(days=1)
        return datetime.fromisoformat(text)
    except ValueError:
        return None
