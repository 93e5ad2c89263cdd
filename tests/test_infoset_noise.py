"""Comments and processing instructions are not content: no check may see them.

Every answer that passes every check still passes with a comment in every place XML allows one
(before and after the root, between elements, inside every element, splitting every text). With
processing instructions in the same places, the only failure is the one rule that forbids them
in a SOAP message (SOAP 1.1 §3, WS-I BP R1009): no echo, text or path check trips over them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree
from test_checks import (  # the answers and request builders of the checks' own tests
    _ANSWERS,
    EMPLOYMENT,
    FAULT,
    FAULT_EXP,
    NEW_SSIN,
    SSIN,
    URL,
    XML,
    _employment,
    _replaced_answer,
    _request,
    example_exchange,
)

from conformance import soap
from conformance.contract import load_contract
from conformance.exchange import Exchange
from conformance.harness.checks import CheckReport, run_checks
from conformance.harness.client import RequestFactory
from conformance.harness.environment import Environment
from conformance.harness.expectation import Expectation, PathAssertion
from conformance.xmlsafe import parse_untrusted, processing_instructions

Noise = Callable[[int], etree._Element]


@pytest.fixture(scope="module")
def factory() -> RequestFactory:
    return RequestFactory(Environment("test", URL, {}, {}), load_contract())


def comment(n: int) -> etree._Element:
    return etree.Comment(f" note {n} <ssin>00000000000</ssin> ")


def pi(n: int) -> etree._Element:
    return etree.ProcessingInstruction(f"noise{n}", "x='1'")


def sprinkle(body: bytes, noise: Noise) -> bytes:
    """``body`` with ``noise`` before the root, after it, first and last in every element, after
    every child, and splitting every text of two characters or more."""
    root = etree.fromstring(body)  # our own test bytes: trusted
    count = 0

    def make() -> etree._Element:
        nonlocal count
        count += 1
        return noise(count)

    for element in list(root.iter(tag=etree.Element)):
        text = element.text
        children = list(element)
        for child in children:
            child.addnext(make())  # after the child, before its tail: the tail moves on
        if text and len(text) >= 2 and not text.isspace():
            middle = len(text) // 2
            element.text = text[:middle]
            split = make()
            split.tail = text[middle:]
            element.insert(0, split)
        else:
            element.insert(0, make())
        element.append(make())
    root.addprevious(make())
    root.addnext(make())
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _check(
    factory: RequestFactory, expectation: Expectation, body: bytes, status: int
) -> CheckReport:
    request = _request(factory, expectation.operation or "consultEmploymentInfos", SSIN)
    return run_checks(
        Exchange(request, status, {"Content-Type": XML}, body), expectation, factory.contract
    )


def _doctored(change: Callable[[etree._Element], object]) -> bytes:
    root = etree.fromstring(EMPLOYMENT.encode())
    change(root.find(f"{{{soap.NS_SOAP11}}}Body")[0])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_the_sprinkler_really_puts_noise_everywhere() -> None:
    noisy = sprinkle(EMPLOYMENT.encode(), comment)
    assert noisy.count(b"<!--") > 90
    assert b"<ssin>85073<!--" in noisy  # texts are split
    clean = sprinkle(EMPLOYMENT.encode(), pi)
    assert len(processing_instructions(clean)) == clean.count(b"<?noise")


def test_the_parser_drops_comments_and_pis_and_joins_the_text() -> None:
    for noise in (comment, pi):
        root = parse_untrusted(sprinkle(EMPLOYMENT.encode(), noise))
        assert [n for n in root.iter() if not isinstance(n.tag, str)] == []
        payload = soap.read(root).payload
        assert payload is not None and payload.findtext("ssin") == SSIN


CASES = {
    "data-found": (lambda: _employment(), EMPLOYMENT.encode(), 200),
    "fault": (lambda: FAULT_EXP, FAULT.encode(), 500),
    "replaced": (lambda: _employment(final_ssin=NEW_SSIN), _doctored(_replaced_answer), 200),
    "assertions": (
        lambda: _employment(
            assertions=tuple(
                PathAssertion.from_mapping(a)
                for a in (
                    {"path": "ssin", "equals": SSIN},
                    {"path": "result/employmentCards/employmentCard", "count": 2},
                    {"path": "status/code", "matches": "MSG0+"},
                )
            )
        ),
        EMPLOYMENT.encode(),
        200,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_comments_everywhere_change_no_verdict(factory: RequestFactory, name: str) -> None:
    expectation, body, status = CASES[name]
    assert _check(factory, expectation(), body, status).passed  # the clean answer passes
    report = _check(factory, expectation(), sprinkle(body, comment), status)
    assert report.passed, [f.title for f in report.failures]
    assert not report.warnings


@pytest.mark.parametrize("name", sorted(CASES))
def test_pis_everywhere_break_only_the_rule_against_them(
    factory: RequestFactory, name: str
) -> None:
    expectation, body, status = CASES[name]
    report = _check(factory, expectation(), sprinkle(body, pi), status)
    assert [(f.rule, str(f.authority)) for f in report.failures] == [
        ("soap.no-processing-instruction", "WS-I BP R1009 (SOAP 1.1 §3)")
    ]
    noisy = sprinkle(body, pi)
    assert report.failures[0].received.endswith(f"({noisy.count(b'<?noise')} in all)")


@pytest.mark.parametrize("path", _ANSWERS, ids=[p.stem for p in _ANSWERS])
def test_every_valid_example_passes_with_comments_everywhere(factory: RequestFactory, path) -> None:  # type: ignore[no-untyped-def]
    exchange, expectation = example_exchange(factory, path, sprinkle(path.read_bytes(), comment))
    report = run_checks(exchange, expectation, factory.contract)
    assert report.passed, [f"{f.title}: {f.expected} / {f.received}" for f in report.failures]


def test_an_echo_that_differs_still_fails_under_the_noise(factory: RequestFactory) -> None:
    # Ignoring comments must not mean ignoring content: a changed legalContext still fails.
    def change(payload: etree._Element) -> None:
        payload.find("legalContext").text = "NEO:OTHER"

    report = _check(factory, _employment(), sprinkle(_doctored(change), comment), 200)
    assert [f.title for f in report.failures if "legalContext" in f.title]
