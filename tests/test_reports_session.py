"""ReportSession: the run-level reports the plugin drives (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import paths
from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.checks import WRONG_CODE, CheckFailure
from conformance.harness.outcome import FAILED, PASSED, CaseOutcome
from conformance.reports.session import ReportDirError, ReportSession

NISS = "85073003328"
URL = "https://127.0.0.1:4520/ForeignerSituationService/v1/consult"
EXAMPLES = paths.xsd_dir() / "examples" / "valid"


def _session(report_dir: Path, *, mask: bool, secrets: tuple[str, ...] = ()) -> ReportSession:
    return ReportSession(
        report_dir,
        mask_ssin=mask,
        environment_name="acceptance",
        endpoint=URL,
        client_organisation="ONEM",
        known_ssins=[NISS],
        secrets=secrets,
    )


def _outcome(case_id: str, outcome: str) -> CaseOutcome:
    request = OutgoingRequest(URL, (EXAMPLES / "request_employment_cbe_full.xml").read_bytes(), {})
    response = (EXAMPLES / "response_employment_cards_only.xml").read_bytes()
    return CaseOutcome(
        case_id=case_id,
        title="t",
        tss_ref="6.1 MSG00000",
        operation="consultEmploymentInfos",
        code="MSG00000",
        outcome=outcome,
        exchanges=[Exchange(request=request, status=200, body=response)],
        failures=[CheckFailure("x", "a", "b", WRONG_CODE, rule="status.code")]
        if outcome == FAILED
        else [],
    )


def _run(report_dir: Path, session: ReportSession) -> None:
    """What a run leaves behind: results, junit, then finish() as pytest_unconfigure calls it."""
    session.check_writable()
    (session.results_dir / "abc-result.json").write_text(
        json.dumps({"name": f"case for {NISS}", "status": "failed"})
    )
    (session.results_dir / "abc-attachment.xml").write_text(f"<ssin>{NISS}</ssin>")
    (report_dir / "junit.xml").write_text(f'<testsuite><testcase name="{NISS}"/></testsuite>')
    session.case_finished(_outcome("passing", PASSED))
    session.case_finished(_outcome("failing", FAILED))
    rows = [
        {
            "code": "MSG00000",
            "kind": "business",
            "description": "",
            "cases": ["failing"],
            "outcome": "failed",
        }
    ]
    session.finish(rows, interrupted=False)


def _all_bytes(report_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(report_dir)): p.read_bytes() for p in report_dir.rglob("*") if p.is_file()
    }


def test_finish_writes_matrix_and_allure_run_files(tmp_path: Path) -> None:
    session = _session(tmp_path, mask=False)
    _run(tmp_path, session)
    assert (tmp_path / "coverage.md").is_file() and (tmp_path / "coverage.json").is_file()
    assert "[failing](bundles/failing/README.txt)" in (tmp_path / "coverage.md").read_text()
    results = tmp_path / "allure-results"
    for name in ("environment.properties", "categories.json", "bcss-coverage-globals.json"):
        assert (results / name).is_file(), name
    assert sorted(p.name for p in (tmp_path / "bundles").iterdir()) == ["failing"]


def test_without_mask_the_niss_stays_everywhere_it_was(tmp_path: Path) -> None:
    _run(tmp_path, _session(tmp_path, mask=False))
    files = _all_bytes(tmp_path)
    for name in ("junit.xml", "allure-results/abc-result.json", "bundles/failing/request.xml"):
        assert NISS.encode() in files[name], name


def test_mask_ssin_masks_every_artefact(tmp_path: Path) -> None:
    session = _session(tmp_path, mask=True)
    _run(tmp_path, session)
    files = _all_bytes(tmp_path)
    leaks = [name for name, data in files.items() if NISS.encode() in data]
    assert leaks == []
    mask = session.masker.mask_of(NISS).encode()  # type: ignore[union-attr]
    assert mask in files["junit.xml"] and mask in files["bundles/failing/response.xml"]
    json.loads(files["allure-results/abc-result.json"])  # still valid JSON


def test_secrets_never_reach_an_artefact_masked_or_not(tmp_path: Path) -> None:
    for mask in (False, True):
        folder = tmp_path / str(mask)
        session = _session(folder, mask=mask, secrets=("hunter2-p12",))
        session.check_writable()
        leaky = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\npass hunter2-p12"
        (session.results_dir / "x-attachment.txt").write_text(leaky)
        outcome = _outcome("failing", FAILED)
        outcome.failures.append(CheckFailure("leak", "a", leaky, rule="schema.valid"))
        session.case_finished(outcome)
        session.finish([], interrupted=True)
        for name, data in _all_bytes(folder).items():
            assert b"PRIVATE KEY" not in data and b"hunter2-p12" not in data, name


def test_secret_env_vars_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEM_P12_PASSWORD", "s3cret-value")
    session = ReportSession(
        tmp_path,
        mask_ssin=False,
        environment_name="",
        endpoint="",
        client_organisation="",
        secret_env_vars=["ONEM_P12_PASSWORD"],
    )
    assert session.secrets == ("s3cret-value",)


def test_unwritable_report_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ReportDirError, match=r"report folder .*a-file.* cannot be written"):
        _session(blocker / "reports", mask=False).check_writable()


def test_interrupted_finish_lists_codes_not_run(tmp_path: Path) -> None:
    session = _session(tmp_path, mask=False)
    session.check_writable()
    session.finish([], interrupted=True)
    text = (tmp_path / "coverage.md").read_text()
    assert "interrupted" in text and "MSG00053" in text and "not run" in text


def test_cleaning_touches_only_report_artefacts(tmp_path: Path) -> None:
    # `--report-dir .` must never rewrite the user's own files.
    own = tmp_path / "notes.txt"
    own.write_text(NISS)
    _run(tmp_path, _session(tmp_path, mask=True))
    assert own.read_text() == NISS


def _rendered_before(report_dir: Path) -> None:
    """What an earlier unmasked `conformance report` leaves: the history and both renders."""
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "history.jsonl").write_text(json.dumps({"message": f"ssin {NISS}"}) + "\n")
    for name in ("allure-report", "allure-report-single"):
        (report_dir / name).mkdir()
        (report_dir / name / "index.html").write_text(f"<html>{NISS}</html>")


def test_masking_covers_the_history_and_drops_html_rendered_unmasked(tmp_path: Path) -> None:
    _rendered_before(tmp_path)
    _run(tmp_path, _session(tmp_path, mask=True))
    assert NISS not in (tmp_path / "history.jsonl").read_text()
    json.loads((tmp_path / "history.jsonl").read_text())  # still one JSON line
    assert not (tmp_path / "allure-report").exists()
    assert not (tmp_path / "allure-report-single").exists()


def test_without_mask_earlier_html_and_history_are_kept(tmp_path: Path) -> None:
    _rendered_before(tmp_path)
    _run(tmp_path, _session(tmp_path, mask=False))
    assert NISS in (tmp_path / "history.jsonl").read_text()
    assert (tmp_path / "allure-report-single" / "index.html").is_file()


def test_clear_bundles_removes_only_earlier_bundles(tmp_path: Path) -> None:
    session = _session(tmp_path, mask=False)
    session.check_writable()
    session.case_finished(_outcome("failing", FAILED))
    own = tmp_path / "bundles" / "notes"
    own.mkdir()
    (own / "README.txt").write_text("my own notes")
    assert session.clear_bundles() == [tmp_path / "bundles" / "failing"]
    assert sorted(p.name for p in (tmp_path / "bundles").iterdir()) == ["notes"]
