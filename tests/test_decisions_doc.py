"""The rule catalogue (data/rules.yaml): loaded once, checked whole, and docs/decisions.md in
sync with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.harness import rules
from conformance.harness.checks import CheckFailure
from conformance.reports import decisions_doc

ROOT = Path(__file__).resolve().parents[1]
ISSUE_DECISIONS = (
    "both-groups-false",
    "impossible-day",
    "missing-soapaction",
    "replaced-indication",
    "credentials-before-niss",
    "empty-result",
    "duplicate-records",
)


def test_docs_decisions_page_is_generated_from_the_catalogue() -> None:
    page = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    assert decisions_doc.updated(page) == page, (
        "docs/decisions.md is out of date: python -m conformance.reports.decisions_doc "
        "docs/decisions.md"
    )
    for key in ISSUE_DECISIONS:
        assert f"### `{key}`" in page and rules.decision(key).why in page


def test_every_rule_has_a_known_authority_and_decisions_exist() -> None:
    for rule in rules.all_rules().values():
        assert rule.authority.kind in rules.KINDS and rule.authority.ref, rule.id
        if rule.authority.is_decision:
            assert rule.authority.ref in rules.all_decisions(), rule.id


def test_an_unknown_rule_or_decision_is_refused_where_it_is_named() -> None:
    with pytest.raises(rules.RulesError, match=r"no rule 'status\.nope'"):
        CheckFailure("t", "e", "r", rule="status.nope")
    with pytest.raises(rules.RulesError, match="no decision 'nope'"):
        CheckFailure("t", "e", "r", rule="status.code", decision="nope")
    case = CheckFailure("t", "e", "r", rule="status.code", decision="both-groups-false")
    assert str(case.authority) == "decision both-groups-false" and case.is_decision
    row = CheckFailure("t", "e", "r", rule="status.code", ref="6.1 MSG00005")
    assert str(row.authority) == "TSS 6.1 MSG00005" and not row.is_decision


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("rules: []\n", "key 'rules'"),
        ("rules:\n  a.b: {authority: RFC, ref: x}\n", "key 'rules.a.b.authority'"),
        ("rules:\n  a.b: {authority: TSS}\n", "key 'rules.a.b.ref'"),
        ("rules:\n  a.b: {authority: decision, ref: nope}\n", "unknown decision 'nope'"),
        ("rules: {}\ndecisions:\n  x: {text: t}\n", "key 'decisions.x'"),
    ],
)
def test_a_malformed_catalogue_names_the_file_and_the_key(
    tmp_path: Path, text: str, key: str
) -> None:
    import yaml

    path = tmp_path / "rules.yaml"
    with pytest.raises(rules.RulesError, match=re.escape(key)) as refused:
        rules._build(yaml.safe_load(text), path)
    assert str(path) in str(refused.value)


def test_an_environment_names_the_decisions_it_enforces(tmp_path: Path) -> None:
    from conformance.harness.environment import EnvironmentConfigError
    from conformance.harness.environment.files import enforced_decisions

    path = tmp_path / "env.yaml"
    assert enforced_decisions(path, None) == frozenset()
    assert enforced_decisions(path, "enforce") == frozenset(rules.all_decisions())
    assert enforced_decisions(path, ["impossible-day"]) == {"impossible-day"}
    for bad, said in ((["nope"], "unknown decision id(s) nope"), ("yes", "must be 'enforce'")):
        with pytest.raises(EnvironmentConfigError, match=re.escape(said)) as refused:
            enforced_decisions(path, bad)
        assert str(refused.value).startswith(f"{path}: decisions: ")
