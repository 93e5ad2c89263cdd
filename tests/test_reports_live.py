"""Allure labels and attachments set inside a running test (issue 5 item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.harness.checks import WRONG_CODE, CheckFailure
from conformance.harness.outcome import PASSED, CaseOutcome
from conformance.reports import live
from conformance.reports.masking import Masker

pytest_plugins = ["pytester"]

TEST_FILE = """
from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.outcome import CaseOutcome
from conformance.reports import live
from conformance.reports.masking import Masker

MASK = {mask}

def test_case():
    live.annotate_case(case_id="employment/unknown", title="unknown NISS", tss_ref="6.1 MSG00005",
                       operation="consultEmploymentInfos", code="MSG00005", severity="critical",
                       tags=["niss", "generated"])
    request = OutgoingRequest("https://127.0.0.1/x", b"<r><ssin>85073003328</ssin></r>", {{}})
    outcome = CaseOutcome(
        case_id="employment/unknown", title="unknown NISS", tss_ref="6.1 MSG00005",
        operation="consultEmploymentInfos", code="MSG00005", outcome="failed",
        exchanges=[Exchange(request=request, status=200, body=b"<a><ssin>85073003328</ssin></a>")],
        failure_text="FAILED: status [wrong return code]\\nReproduce with:\\n  curl -sS https://x\\n",
        failure_category="wrong return code", hypothesis_seed="12345",
    )
    live.attach_outcome(outcome, mask=Masker() if MASK else None, secrets=["pw-123"])
    assert False, "the case failed"
"""


def _run(pytester: pytest.Pytester, *, mask: bool, alluredir: bool = True) -> Path:
    pytester.makepyfile(test_live=TEST_FILE.format(mask=mask))
    results = pytester.path / "results"
    args = ["-p", "no:cacheprovider", "-q"] + ([f"--alluredir={results}"] if alluredir else [])
    outcome = pytester.runpytest_subprocess(*args)
    outcome.assert_outcomes(failed=1)
    return results


@pytest.mark.slow
def test_labels_link_and_attachments(pytester: pytest.Pytester) -> None:
    results = _run(pytester, mask=False)
    result = json.loads(next(results.glob("*-result.json")).read_text())
    labels = {(label["name"], label["value"]) for label in result["labels"]}
    assert {
        ("epic", "ForeignerSituationService v1"),
        ("feature", "consultEmploymentInfos"),
        ("story", "MSG00005"),
        ("severity", "critical"),
        ("tag", "niss"),
        ("tag", "generated"),
        ("failure_category", "wrong return code"),
    } <= labels
    assert result["name"] == "employment/unknown: unknown NISS"
    assert {"type": "tss", "url": "6.1 MSG00005", "name": "TSS 6.1 MSG00005"} in result["links"]
    attached = {a["name"]: (results / a["source"]).read_text() for a in result["attachments"]}
    assert set(attached) == {"request", "response (HTTP 200)", "reproduce", "hypothesis seed"}
    assert "85073003328" in attached["request"]
    assert attached["reproduce"].startswith("Reproduce with:") and "curl" in attached["reproduce"]
    assert "--hypothesis-seed=12345" in attached["hypothesis seed"]


@pytest.mark.slow
def test_attachments_are_masked_when_asked(pytester: pytest.Pytester) -> None:
    results = _run(pytester, mask=True)
    texts = [p.read_text() for p in results.glob("*-attachment*")]
    assert texts and not any("85073003328" in t for t in texts)
    assert any("85#" in t for t in texts)


@pytest.mark.slow
def test_without_alluredir_nothing_is_recorded(pytester: pytest.Pytester) -> None:
    results = _run(pytester, mask=False, alluredir=False)
    assert not results.exists()


def test_reproduction_text_is_the_formatters_block() -> None:
    from conformance.harness.outcome import CaseOutcome
    from conformance.reports.live import reproduction_text

    outcome = CaseOutcome(
        "c",
        "t",
        "r",
        "raw",
        "MSG00004",
        "failed",
        failure_text="FAILED: x\nResponse:\n  ...\nReproduce with:\n  curl y\n",
    )
    assert reproduction_text(outcome) == "Reproduce with:\n  curl y"
    outcome.failure_text = ""
    assert reproduction_text(outcome) == ""


# ---- the failure's one line, printed as the case fails (issue 14) ---------------------------


def _failed(*failures: CheckFailure) -> CaseOutcome:
    return CaseOutcome(
        case_id="msg00005-unknown-person", title="t", tss_ref="6.1 MSG00005",
        operation="consultEmploymentInfos", code="MSG00005", outcome="failed",
        failures=list(failures),
    )  # fmt: skip


def test_a_failed_case_is_one_line_from_its_first_failure() -> None:
    first = CheckFailure(
        "TSS 6.1 MSG00005", "MSG00005", "MSG00000\nfor 85073003328", WRONG_CODE, rule="status.code"
    )
    second = CheckFailure("Echo of legalContext", "a", "b", rule="echo.legalContext")
    line = live.failure_line(_failed(first, second), mask=None, secrets=["pw-1"])
    assert line == (
        "conformance: msg00005-unknown-person failed: TSS 6.1 MSG00005 [wrong return code] "
        "(TSS 6.1 / 6.2; rule status.code): expected MSG00005; "
        "received MSG00000 for 85073003328 (+1 more)"
    )
    assert not line.startswith("FAILED ")  # pytest's short summary lines do


def test_the_line_is_masked_and_scrubbed_and_none_unless_failed() -> None:
    failure = CheckFailure(
        "ssin (TSS 5.2.2)", "85073003328", "pw-1 and 85073003328", rule="ssin.final"
    )
    outcome = _failed(failure)
    line = live.failure_line(outcome, mask=Masker(["85073003328"]), secrets=["pw-1"])
    assert line and "85073003328" not in line and "pw-1" not in line
    outcome.outcome = PASSED
    assert live.failure_line(outcome, mask=None) is None
