"""harness/coverage.py: one row per TSS code, the failing-run rule, coverage.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import tables
from conformance.harness import coverage
from conformance.harness.coverage import CaseResult

pytest_plugins = ["pytester"]


def _by_code(rows: list[coverage.CoverageRow]) -> dict[str, coverage.CoverageRow]:
    return {row.code: row for row in rows}


def test_one_row_per_code_of_both_tables_in_table_order() -> None:
    rows = coverage.rows([], {})
    assert [r.code for r in rows] == list(tables.all_codes())
    assert len(rows) == len(tables.business_codes()) + len(tables.technical_codes())
    kinds = _by_code(rows)
    assert kinds["MSG00005"].kind == "business" and kinds["MSG00053"].kind == "technical"
    assert kinds["MSG00005"].description == tables.all_codes()["MSG00005"].description


def test_a_failed_case_makes_its_code_failed_even_if_another_passed() -> None:
    rows = _by_code(
        coverage.rows(
            [
                CaseResult("a", "MSG00005", "passed"),
                CaseResult("b", "MSG00005", "failed"),
                CaseResult("c", "MSG00007", "passed"),
            ],
            {},
        )
    )
    assert (rows["MSG00005"].outcome, rows["MSG00005"].cases) == ("failed", ["a", "b"])
    assert rows["MSG00007"].outcome == "passed"
    assert rows["MSG00011"].outcome == "not-run" and rows["MSG00011"].reason == "no case ran"


def test_declared_not_triggerable_codes_carry_their_reason() -> None:
    reason = "needs two-way TLS with a second certificate"
    rows = _by_code(
        coverage.rows(
            [CaseResult("x", "MSG00014", "not-triggerable", reason)], {"MSG00014": reason}
        )
    )
    assert rows["MSG00014"].outcome == "not-triggerable" and rows["MSG00014"].reason == reason
    assert rows["MSG00014"] not in coverage.missing(rows.values())


def test_the_run_fails_for_codes_not_exercised() -> None:
    every = [CaseResult(f"c-{code}", code, "passed") for code in tables.all_codes()]
    assert coverage.missing(coverage.rows(every, {})) == []
    without = [r for r in every if r.code != "MSG00053"]
    assert [r.code for r in coverage.missing(coverage.rows(without, {}))] == ["MSG00053"]
    assert coverage.missing(coverage.rows(without, {"MSG00053": "no SOAP 1.2 stack"})) == []
    assert "INCOMPLETE" in coverage.verdict_line(coverage.rows(without, {}))
    assert "complete" in coverage.verdict_line(coverage.rows(every, {}))


def test_a_property_case_without_a_code_counts_for_no_row() -> None:
    rows = coverage.rows([CaseResult("any", None, "passed")], {})
    assert all(r.cases == [] for r in rows)


def test_coverage_json_shape(tmp_path: Path) -> None:
    rows = coverage.rows(
        [
            CaseResult("a", "MSG00000", "passed"),
            CaseResult("b", "MSG00004", "deviation", decision="both-groups-false"),
        ],
        {"MSG00015": "no such org"},
    )
    path = coverage.write(tmp_path, rows)
    data = json.loads(path.read_text())
    assert path.name == "coverage.json" and len(data) == len(tables.all_codes())
    first = data[0]
    assert first == {
        "code": "MSG00000",
        "kind": "business",
        "description": tables.all_codes()["MSG00000"].description,
        "cases": ["a"],
        "outcome": "passed",
        "authority": {"kind": "TSS", "ref": "6.1 MSG00000"},
        "decisions": [],
    }
    # A code exercised only by a deviating case says so, with the decision it rests on.
    deviated = next(r for r in data if r["code"] == "MSG00004")
    assert deviated["outcome"] == "deviation" and deviated["decisions"] == ["both-groups-false"]
    declared = next(r for r in data if r["code"] == "MSG00015")
    assert declared["outcome"] == "not-triggerable" and declared["reason"] == "no such org"
    outcomes = {"passed", "failed", "deviation", "not-run", "not-triggerable"}
    assert {r["outcome"] for r in data} <= outcomes


# ---- the rule, end to end through the plugin (no service: every code declared not triggerable)


def _env(endpoint: str, not_triggerable: dict[str, str]) -> str:
    lines = [
        "name: declared",
        f"endpoint: {endpoint}",
        "clients:",
        "  onem:",
        '    customer_identification: {cbeNumber: "0206737484"}',
        '    legal_context: "NEO:UNEMPLOYMENT"',
        "persons:",
        '  unknown: "72031217528"',
        "not_triggerable:",
    ]
    lines += [f'  {code}: "{reason}"' for code, reason in not_triggerable.items()]
    return "\n".join(lines) + "\n"


CASES = """\
cases:
  - id: unknown-person
    title: unknown
    tss: "6.1 MSG00005"
    operation: consultSpecialInfos
    client: onem
    request: {person: unknown}
    expect:
      status: {value: NO_RESULT, code: MSG00005}
"""


def _run(
    pytester: pytest.Pytester, endpoint: str, not_triggerable: dict[str, str]
) -> pytest.RunResult:
    # A live endpoint (HTML): a dead one would stop the run at its preflight.
    (pytester.path / "env.yaml").write_text(_env(endpoint, not_triggerable))
    (pytester.path / "cases").mkdir(exist_ok=True)
    (pytester.path / "cases" / "a.yaml").write_text(CASES)
    return pytester.runpytest(
        "cases",
        "--env",
        str(pytester.path / "env.yaml"),
        "--report-dir",
        str(pytester.path / "rep"),
        "-p",
        "no:cacheprovider",
        "-rs",
    )


def test_complete_when_every_code_is_declared_not_triggerable(
    pytester: pytest.Pytester, html_endpoint: str
) -> None:
    result = _run(
        pytester, html_endpoint, {code: "declared in this test" for code in tables.all_codes()}
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*MSG00005 not triggerable in this environment: declared in this test*"]
    )
    assert result.ret == pytest.ExitCode.OK
    rows = json.loads((pytester.path / "rep" / "coverage.json").read_text())
    assert {r["outcome"] for r in rows} == {"not-triggerable"}
    assert next(r for r in rows if r["code"] == "MSG00005")["cases"] == ["unknown-person"]


def test_one_code_missing_fails_a_run_whose_cases_all_passed(
    pytester: pytest.Pytester, html_endpoint: str
) -> None:
    declared = {code: "declared in this test" for code in tables.all_codes() if code != "MSG00053"}
    result = _run(pytester, html_endpoint, declared)
    result.assert_outcomes(skipped=1)  # nothing failed...
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # ...yet MSG00053 was never exercised
    result.stdout.fnmatch_lines(["MSG00053  technical not-run*", "coverage: INCOMPLETE*MSG00053*"])
    rows = json.loads((pytester.path / "rep" / "coverage.json").read_text())
    assert next(r for r in rows if r["code"] == "MSG00053")["outcome"] == "not-run"


def test_allow_partial_reports_the_gap_without_failing(
    pytester: pytest.Pytester, html_endpoint: str
) -> None:
    declared = {code: "declared in this test" for code in tables.all_codes() if code != "MSG00053"}
    (pytester.path / "env.yaml").write_text(_env(html_endpoint, declared))
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "a.yaml").write_text(CASES)
    result = pytester.runpytest(
        "cases",
        "--env",
        str(pytester.path / "env.yaml"),
        "--allow-partial",
        "--report-dir",
        str(pytester.path / "rep"),
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["coverage: partial run (--allow-partial), not exercised: MSG00053"]
    )
