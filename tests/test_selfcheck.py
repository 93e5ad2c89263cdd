"""conformance selfcheck: the kill matrix logic on synthetic runs, and the real self-check
(clean reference passes; every deliberate defect caught by a failure naming the problem)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.harness.checks import ECHO, WRONG_CODE, CheckFailure
from conformance.harness.outcome import FAILED, NOT_TRIGGERABLE, PASSED, CaseOutcome
from conformance.reference import defects
from conformance.reference.defects import DEFECTS
from conformance.reports import outcomes_file
from conformance.selfcheck import SUBDIR, run_selfcheck
from conformance.selfcheck import matrix as km
from conformance.selfcheck.runs import CLEAN, CaseFailure, RunResult, read_outcomes, run_one

SIGNATURE = ("status.code", "TSS 6.1 MSG00007")

WRONG = CheckFailure(
    "Return code MSG00007",
    "NO_RESULT/MSG00007",
    "NO_RESULT/MSG00005",
    WRONG_CODE,
    rule="status.code",
    ref="6.1 MSG00007",
)
ECHOED = CheckFailure("Echo of legalContext", "<a/>", "<b/>", ECHO, rule="echo.legalContext")


def _records(*failures: CheckFailure) -> tuple[dict[str, Any], ...]:
    return tuple(outcomes_file.failure_record(f) for f in failures)


# ---- reading one run ---------------------------------------------------------------------------


def test_a_signature_names_a_rule_and_fragments_of_one_failure() -> None:
    failure = CaseFailure("c", "t", _records(WRONG, ECHOED))
    assert failure.matches(SIGNATURE)
    assert failure.evidence(SIGNATURE) == (
        "Return code MSG00007 (TSS 6.1 MSG00007; rule status.code); "
        "Expected: NO_RESULT/MSG00007; Received: NO_RESULT/MSG00005"
    )
    # The rule and the fragments must meet in ONE failure; text alone never matches.
    assert not failure.matches(("status.code", "Echo of legalContext"))
    assert not failure.matches(("echo.criteria",))
    assert not failure.matches(("TSS 6.1 MSG00007",))
    assert not failure.matches(())


def _outcome(case_id: str, outcome: str, *failures: CheckFailure, crash: str = "") -> CaseOutcome:
    return CaseOutcome(
        case_id, "t", "6.1", "consultEmploymentInfos", "MSG00007", outcome,
        failures=list(failures), crash=crash,
    )  # fmt: skip


def test_read_outcomes_tells_check_failures_from_crashes_and_errors(tmp_path: Path) -> None:
    for line in (
        outcomes_file.record(_outcome("ok", PASSED)),
        outcomes_file.record(_outcome("skip", NOT_TRIGGERABLE), reason="not triggerable"),
        outcomes_file.record(_outcome("caught", FAILED, WRONG)),
        outcomes_file.record(_outcome("crash", FAILED, crash="Traceback ...\n  KeyError: 'x'")),
        outcomes_file.collection_error("cases/x.yaml", "collection failure"),
    ):
        outcomes_file.append(tmp_path, line)
    result = RunResult("d", tmp_path)
    read_outcomes(tmp_path, result)
    assert result.passed == 1
    assert [f.case_id for f in result.failures] == ["caught"]
    assert result.failures[0].matches(SIGNATURE)
    assert result.problems == [
        "crash: crashed before its checks ran",
        "cases/x.yaml: error: collection failure",
    ]
    missing = RunResult("d", tmp_path / "absent")
    read_outcomes(tmp_path / "absent", missing)
    assert missing.broken and "no outcomes.jsonl written" in missing.problems[0]


# ---- verdicts and exit code --------------------------------------------------------------------


def _run(
    name: str, *failures: CaseFailure, exit_code: int = 1, problems: tuple[str, ...] = ()
) -> RunResult:
    return RunResult(name, Path("/r") / name, exit_code, 1.0, 10, list(failures), list(problems))


CAUGHT_BY = CaseFailure("msg00007-canceled", "Return code MSG00007", _records(WRONG))
UNRELATED = CaseFailure("echo", "Echo of legalContext", _records(ECHOED))
CLEAN_RUN = _run(CLEAN, exit_code=0)


@pytest.mark.parametrize(
    ("run", "verdict"),
    [
        (_run("d", CAUGHT_BY, UNRELATED), km.CAUGHT),
        (_run("d", UNRELATED), km.UNRELATED),
        (_run("d", exit_code=0), km.SURVIVED),
        # A broken run proves nothing, even with a matching failure in it.
        (_run("d", CAUGHT_BY, problems=("timed out after 1 s",)), km.BROKEN),
    ],
)
def test_judge(run: RunResult, verdict: str) -> None:
    row = km.judge("d", "desc", SIGNATURE, run)
    assert row.verdict == verdict
    if verdict == km.CAUGHT:
        assert row.matched == ("msg00007-canceled",)
        assert row.caught_by[0] is CAUGHT_BY  # the case naming the problem comes first


def _matrix(clean: RunResult, *verdict_runs: RunResult) -> km.KillMatrix:
    rows = [km.judge(r.name, "desc", SIGNATURE, r) for r in verdict_runs]
    return km.KillMatrix(clean, rows, 3.0)


def test_exit_code_zero_only_when_clean_passes_and_every_defect_is_caught() -> None:
    caught = _run("a", CAUGHT_BY)
    assert km.exit_code(_matrix(CLEAN_RUN, caught)) == 0
    assert km.exit_code(_matrix(CLEAN_RUN, caught, _run("b", exit_code=0))) == 1  # survivor
    assert km.exit_code(_matrix(CLEAN_RUN, caught, _run("b", UNRELATED))) == 1
    assert km.exit_code(_matrix(CLEAN_RUN, _run("b", problems=("x",)))) == 1
    failing_clean = _run(CLEAN, UNRELATED)
    assert km.exit_code(_matrix(failing_clean, caught)) == 1
    assert km.clean_problems(failing_clean) == ["echo: Echo of legalContext"]
    # Exit 1 without a failed case (e.g. a TSS code not exercised) is a failing clean run too.
    incomplete = _run(CLEAN, exit_code=1)
    assert km.exit_code(_matrix(incomplete, caught)) == 1
    assert "exited 1" in km.clean_problems(incomplete)[0]


def test_matrix_files_and_terminal_lines(tmp_path: Path) -> None:
    matrix = _matrix(CLEAN_RUN, _run("a", CAUGHT_BY, UNRELATED), _run("b", exit_code=0))
    (tmp_path / "allure-results").mkdir()  # the clean run's Allure results
    json_path, md_path = km.write(matrix, tmp_path)
    attached = json.loads(
        (tmp_path / "allure-results" / "bcss-selfcheck-globals.json").read_text(encoding="utf-8")
    )["attachments"]
    assert [a["name"] for a in attached] == [km.MD_FILE, km.JSON_FILE]
    source = tmp_path / "allure-results" / attached[0]["source"]
    assert source.read_bytes() == md_path.read_bytes()
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["ok"] is False and data["clean"]["passed"] is True
    assert data["summary"] == {
        "defects": 2,
        km.CAUGHT: 1,
        km.UNRELATED: 0,
        km.SURVIVED: 1,
        km.BROKEN: 0,
    }
    first = data["defects"][0]
    assert first["verdict"] == km.CAUGHT and first["signature"] == list(SIGNATURE)
    assert first["caught_by"][0]["signature_matched"] is True
    assert "Received: NO_RESULT/MSG00005" in first["caught_by"][0]["evidence"]
    assert first["caught_by"][1] == {
        "case_id": "echo",
        "title": "Echo of legalContext",
        "signature_matched": False,
        "evidence": None,
    }
    markdown = md_path.read_text(encoding="utf-8")
    assert "| `a`<br>desc | caught |" in markdown and "| `b`<br>desc | survived |" in markdown
    lines = km.terminal_lines(matrix)
    assert any(line.split()[:2] == ["b", "survived"] for line in lines)
    assert lines[-1].startswith("selfcheck: clean reference passed; 1/2 defects caught")


# ---- the registry and the command --------------------------------------------------------------


def test_every_defect_has_a_signature() -> None:
    assert len(DEFECTS) >= 25
    for defect in DEFECTS.values():
        assert defect.failure_signature and all(defect.failure_signature), defect.name


# Which defect proves each check can fail (issue 6: "together they cover every check"), and the
# rule id (data/rules.yaml) the check reports that the defect's signature names.
CHECK_PROVEN_BY = {
    "check_transport": ("client_cert_optional", "tls.client-certificate-required"),
    "check_refused_certificate": ("any_client_ca_accepted", "tls.untrusted-certificate-refused"),
    "check_soap11": ("soap12_content_type", "http.content-type"),
    "check_http_status": ("business_with_http_500", "http.answer-status"),
    "check_schema": ("unknown_element", "schema.valid"),
    "check_known_code": ("status_code_mismatch", "status.known-code"),
    "check_business_row": ("status_description_mismatch", "status.description"),
    "check_expected_outcome": ("soap12_accepted", "status.code"),
    "check_fault_shape": ("fault_detail_other_operation", "fault.detail"),
    "check_operation": ("response_other_operation", "operation.response"),
    "check_echo": ("echo_legal_context", "echo.legalContext"),
    "check_information_cbss": ("ticket_not_uuid", "cbss.ticket"),
    "check_ssin": ("replaced_not_followed", "ssin.final"),
    "check_result_groups": ("result_dropped", "result.present"),
    "check_dates": ("date_month_13", "dates.form"),
    "check_duplicate_records": ("duplicate_records", "records.duplicate"),
    "check_reasons_of_stay": ("reason_of_stay_7_digits", "reasons.form"),
    "check_assertions": ("first_card_only", "case.assertion"),
}


def test_every_check_has_a_defect_whose_signature_names_it() -> None:
    """With the real self-check below (every defect caught by its signature), this proves that
    every check of the harness can fail."""
    import inspect

    from conformance.harness.checks import all_checks

    checks = {check.__name__: check for check in all_checks()}
    assert set(CHECK_PROVEN_BY) == set(checks)
    for name, (defect, rule) in CHECK_PROVEN_BY.items():
        source = inspect.getsource(inspect.getmodule(checks[name]))  # type: ignore[arg-type]
        family = rule.split(".")[0]
        assert f'"{rule}"' in source or f'f"{family}.{{' in source, name
        assert DEFECTS[defect].failure_signature[0] == rule, name


def test_every_code_of_both_tables_has_a_wrong_code_defect() -> None:
    """Issue 6: the defects together cover every code of TSS 6.1 and 6.2; each code is named by
    the signature of a defect that breaks it (proven caught by the real self-check below)."""
    from conformance import tables

    named = {part for d in DEFECTS.values() for part in d.failure_signature}
    for code in tables.all_codes():
        section = "6.1" if tables.kind_of(code) == "business" else "6.2"
        assert any(part == f"TSS {section} {code}" for part in named), code


def test_list_and_unknown_defect(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["selfcheck", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in DEFECTS) and "signature: " in listed
    assert main(["selfcheck", "--report-dir", str(tmp_path), "--defect", "nope"]) == 4
    assert "unknown defect(s) nope" in capsys.readouterr().err
    missing = tmp_path / "no-such-folder"
    assert main(["selfcheck", "--report-dir", str(tmp_path), "--cases", str(missing)]) == 4
    captured = capsys.readouterr()
    said = f"conformance selfcheck: --cases {missing}: no such file or folder"
    assert captured.err.strip() == said
    assert "selfcheck:" not in captured.out  # refused before anything ran
    with pytest.raises(KeyError, match="known:"):
        run_selfcheck(tmp_path, ["nope"])


def test_a_run_over_its_timeout_is_broken(tmp_path: Path) -> None:
    result = run_one(CLEAN, tmp_path, tmp_path / "out.txt", timeout_s=0.05)
    assert result.exit_code is None and result.broken
    assert "timed out" in result.problems[0]


@pytest.mark.slow
def test_a_refused_case_file_is_a_broken_run_not_a_kill(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "bad.yaml").write_text("cases:\n  - id: x\n", encoding="utf-8")
    result = run_one(
        "canceled_as_unknown", tmp_path / "r", tmp_path / "o.txt", timeout_s=120, cases=cases
    )
    row = km.judge("canceled_as_unknown", "", SIGNATURE, result)
    assert row.verdict == km.BROKEN and not result.failures
    assert any("error" in problem for problem in result.problems)


@pytest.mark.slow
def test_a_signature_the_failures_do_not_name_is_not_a_kill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = DEFECTS["canceled_as_unknown"]
    wrong = type(real)(real.name, real.description, real.apply, ("echo.criteria",))
    monkeypatch.setitem(defects.DEFECTS, real.name, wrong)
    matrix = run_selfcheck(tmp_path, [real.name], progress=lambda line: None)
    (row,) = matrix.rows
    assert row.verdict == km.UNRELATED and [f.case_id for f in row.caught_by] == [
        "msg00007-canceled"
    ]
    assert matrix.clean_passed and km.exit_code(matrix) == 1


# ---- the real self-check -----------------------------------------------------------------------


@pytest.mark.slow
def test_selfcheck_clean_reference_passes_and_every_defect_is_caught(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "selfcheck", "--report-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    data = json.loads((tmp_path / km.JSON_FILE).read_text(encoding="utf-8"))
    assert data["ok"] is True and data["clean"]["passed"] is True
    assert data["clean"]["cases_passed"] > 0 and data["clean"]["problems"] == []
    assert [d["name"] for d in data["defects"]] == list(DEFECTS)
    for defect in data["defects"]:
        assert defect["verdict"] == km.CAUGHT, defect
        evidence = [c["evidence"] for c in defect["caught_by"] if c["signature_matched"]]
        assert evidence and all(
            all(fragment in e for fragment in DEFECTS[defect["name"]].failure_signature)
            for e in evidence
        )
        assert (tmp_path / SUBDIR / defect["name"] / outcomes_file.OUTCOMES_FILE).is_file()
    assert (tmp_path / km.MD_FILE).is_file() and (tmp_path / "coverage.json").is_file()
    assert f"{len(DEFECTS)}/{len(DEFECTS)} defects caught" in done.stdout


def test_run_selfcheck_orchestration_with_fake_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress lines, matrix order and files, without subprocesses; a run that cannot start
    (OSError) is a broken run and does not stop the others."""
    import conformance.selfcheck as selfcheck

    def fake(name: str, folder: Path, log: Path, **_: object) -> RunResult:
        if name == "echo_criteria":
            raise OSError("disk full")
        if name == CLEAN:
            return _run(CLEAN, exit_code=0)
        signature = DEFECTS[name].failure_signature
        record = {"rule": signature[0], "title": " ".join(signature[1:])}
        return _run(name, CaseFailure("c", "x", (record,)))

    monkeypatch.setattr(selfcheck, "run_one", fake)
    (tmp_path / km.MD_FILE).write_text("stale", encoding="utf-8")
    lines: list[str] = []
    names = ["canceled_as_unknown", "echo_criteria", "bis_accepted"]
    matrix = run_selfcheck(tmp_path, names, jobs=1, progress=lines.append)
    assert [row.name for row in matrix.rows] == names
    assert [row.verdict for row in matrix.rows] == [km.CAUGHT, km.BROKEN, km.CAUGHT]
    assert "could not run: disk full" in matrix.rows[1].run.problems[0]
    assert lines[0].startswith("[clean] reference ... passed")
    assert lines[1].startswith("[1/3] canceled_as_unknown ... caught by 1 case(s)")
    assert lines[2].startswith("[2/3] echo_criteria ... BROKEN RUN: could not run")
    assert km.exit_code(matrix) == 1
    assert "stale" not in (tmp_path / km.MD_FILE).read_text(encoding="utf-8")
