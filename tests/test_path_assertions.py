"""harness/path_assertions.py: any node by default, ``all:`` and ``count:`` when a case means more,
and malformed assertions refused when the case file loads (file, line, the problem)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from conformance import tables
from conformance.harness.cases import CaseFileError, load_file
from conformance.harness.path_assertions import (
    InvalidAssertion,
    PathAssertion,
    describe,
    evaluate,
)

# Two status/information pairs: another one BEFORE the replacedSsin pair (issue 9, choice 5).
ANSWER = etree.fromstring(
    b"<r><status><value>DATA_FOUND</value><code>MSG00000</code>"
    b"<information><fieldName>note</fieldName><fieldValue>x</fieldValue></information>"
    b"<information><fieldName>replacedSsin</fieldName><fieldValue>85073003328</fieldValue>"
    b"</information></status>"
    b"<result><employmentCards>"
    b"<employmentCard><permitNumber>A1</permitNumber></employmentCard>"
    b"<employmentCard><permitNumber>A2</permitNumber></employmentCard>"
    b"<employmentCard><permitNumber>B3</permitNumber></employmentCard>"
    b"</employmentCards></result></r>"
)
NAME = "status/information/fieldName"
NUMBER = "result/employmentCards/employmentCard/permitNumber"


def _holds(data: dict[str, object]) -> bool:
    return evaluate(PathAssertion.from_mapping(data), ANSWER) is None


@pytest.mark.parametrize(
    ("data", "held"),
    [
        # any node: an extra pair before the one looked for changes nothing
        ({"path": NAME, "equals": "replacedSsin"}, True),
        ({"path": NAME, "equals": "note"}, True),
        ({"path": NAME, "equals": "other"}, False),
        ({"path": NUMBER, "matches": "B[0-9]"}, True),
        ({"path": "status/absentElement", "equals": "x"}, False),
        # all: every node, and at least one
        ({"path": NUMBER, "matches": "[AB][0-9]", "all": True}, True),
        ({"path": NUMBER, "matches": "A[0-9]", "all": True}, False),
        ({"path": NAME, "equals": "replacedSsin", "all": True}, False),
        ({"path": "status/absentElement", "matches": ".*", "all": True}, False),
        # count beside a test: how many nodes satisfy it
        ({"path": NUMBER, "matches": "A[0-9]", "count": 2}, True),
        ({"path": NUMBER, "matches": "A[0-9]", "count": 3}, False),
        ({"path": NAME, "equals": "replacedSsin", "count": 1}, True),
        ({"path": NUMBER, "matches": "A[0-9]", "count": {"min": 1, "max": 2}}, True),
        ({"path": NUMBER, "matches": "[AB][0-9]", "count": {"max": 2}}, False),
        # count alone counts the nodes; present / absent
        ({"path": NUMBER, "count": 3}, True),
        ({"path": NUMBER, "count": {"min": 4}}, False),
        ({"path": NAME, "present": True}, True),
        ({"path": NAME, "absent": True}, False),
    ],
)
def test_what_holds(data: dict[str, object], held: bool) -> None:
    assert _holds(data) is held


def test_a_failure_shows_every_node_and_how_many_held() -> None:
    assertion = PathAssertion.from_mapping({"path": NUMBER, "matches": "A[0-9]", "all": True})
    assert evaluate(assertion, ANSWER) == "2 of 3 nodes hold: 'A1', 'A2', 'B3'"
    assert describe(assertion) == "matches 'A[0-9]' on every node"
    anyone = PathAssertion.from_mapping({"path": NAME, "equals": "x"})
    assert describe(anyone) == "equals 'x' on at least one node"


@pytest.mark.parametrize(
    "data",
    [
        {"path": NAME, "equals": "x", "all": True, "count": 1},
        {"path": NAME, "equals": "x", "matches": "x"},
        {"path": NAME, "equals": "x", "all": False},
        {"path": NAME, "count": 1, "all": True},
        {"path": NAME, "present": True, "count": 1},
        {"path": NAME, "matches": "(unclosed"},
        {"path": NAME, "equals": "x", "count": -1},
    ],
)
def test_malformed_assertions_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(InvalidAssertion):
        PathAssertion.from_mapping(data)


CASE = """\
cases:
  - id: with-assertions
    title: assertions
    tss: "6.1 MSG00000"
    operation: consultEmploymentInfos
    client: onem
    request:
      person: cards_and_permits
      dataGroups: {{employmentCards: true, workPermits: false}}
    expect:
      status: {{value: DATA_FOUND, code: MSG00000}}
      assertions:
        - {{path: ssin, present: true}}
        - {assertion}
"""


def _load(tmp_path: Path, assertion: str) -> list[object]:
    path = tmp_path / "cases.yaml"
    path.write_text(CASE.format(assertion=assertion), encoding="utf-8")
    return load_file(
        path, codes=set(tables.all_codes()), clients={"onem"}, persons={"cards_and_permits"}
    )


def test_the_case_format_takes_all_and_count_beside_a_test(tmp_path: Path) -> None:
    assert _load(
        tmp_path,
        "{path: result/employmentCards/employmentCard/permitNumber, matches: 'A.*', all: true}",
    )
    assert _load(tmp_path, "{path: status/information/fieldName, equals: replacedSsin, count: 1}")


@pytest.mark.parametrize(
    ("assertion", "words"),
    [
        ("{path: ssin, matches: '(unclosed'}", "bad regular expression"),
        ("{path: ssin, equals: x, all: true, count: 1}", "cases.yaml:14: "),
        ("{path: ssin, all: true}", "cases.yaml:14: case 'with-assertions'"),
    ],
)
def test_a_bad_assertion_is_refused_at_load_naming_its_line(
    tmp_path: Path, assertion: str, words: str
) -> None:
    with pytest.raises(CaseFileError) as info:
        _load(tmp_path, assertion)
    assert words in str(info.value) and "cases.yaml" in str(info.value)
