"""harness/collect.py: which files are cases, collection errors with file:line, markers, xdist.

These runs use a small environment file and a stub endpoint that answers HTML, so no reference
service starts: every case that runs fails with the formatter's one-line title.
"""

from __future__ import annotations

import http.server
import json
import pickle
import re
import threading
from pathlib import Path

import pytest

from conformance import tables
from conformance.harness.cases import load_file
from conformance.harness.collect import case_folder_problem, is_case_file

pytest_plugins = ["pytester"]

ENV = """\
name: stub
endpoint: {endpoint}
clients:
  onem: {{customer_identification: {{cbeNumber: "0206737484"}}, legal_context: "NEO:UNEMPLOYMENT"}}
persons:
  unknown: "72031217528"
  canceled: "79071525335"
"""

CASE = """\
  - id: {id}
    title: {title}
    tss: "6.1 {code}"
    operation: {operation}
    client: onem
    request: {{person: {person}}}
    expect:
      status: {{value: {value}, code: {code}}}
"""


def case(
    id: str,
    code: str = "MSG00005",
    operation: str = "consultSpecialInfos",
    person: str = "unknown",
    title: str = "a case",
    value: str = "NO_RESULT",
) -> str:
    return CASE.format(
        id=id, code=code, operation=operation, person=person, title=title, value=value
    )


@pytest.fixture
def project(pytester: pytest.Pytester, html_endpoint: str) -> pytest.Pytester:
    (pytester.path / "env.yaml").write_text(ENV.format(endpoint=html_endpoint))
    (pytester.path / "cases").mkdir()
    return pytester


def _args(pytester: pytest.Pytester, *extra: str) -> list[str]:
    return [
        "--env",
        str(pytester.path / "env.yaml"),
        "--report-dir",
        str(pytester.path / "rep"),
        "-p",
        "no:cacheprovider",
        "--strict-markers",
        *extra,
    ]


def _write(pytester: pytest.Pytester, name: str, text: str) -> Path:
    path = pytester.path / "cases" / name
    path.write_text(text)
    return path


def test_which_yaml_files_are_cases(tmp_path: Path) -> None:
    assert is_case_file(tmp_path / "cases" / "a.yaml")
    assert is_case_file(tmp_path / "cases" / "sub" / "b.yml")
    assert not is_case_file(tmp_path / "cases" / "environments" / "acc.yaml")
    assert not is_case_file(tmp_path / "other" / "a.yaml")
    assert not is_case_file(tmp_path / "cases" / "notes.txt")


def test_a_cases_argument_that_would_collect_nothing_says_why(tmp_path: Path) -> None:
    assert case_folder_problem(tmp_path / "missing") == "no such file or folder"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.yaml").write_text("cases: []\n")
    assert "folder named 'cases'" in (case_folder_problem(tmp_path / "mine") or "")
    assert case_folder_problem(tmp_path / "mine" / "a.yaml") is not None
    (tmp_path / "cases" / "environments").mkdir(parents=True)
    (tmp_path / "cases" / "environments" / "acc.yaml").write_text("endpoint: x\n")
    assert case_folder_problem(tmp_path / "cases") is not None  # environments are not cases
    assert case_folder_problem(tmp_path) is not None
    (tmp_path / "cases" / "sub").mkdir()
    (tmp_path / "cases" / "sub" / "b.yml").write_text("cases: []\n")
    assert case_folder_problem(tmp_path / "cases") is None
    assert case_folder_problem(tmp_path) is None  # a folder holding a cases folder
    assert case_folder_problem(tmp_path / "cases" / "sub" / "b.yml") is None


def test_one_item_per_case(project: pytest.Pytester) -> None:
    _write(project, "a.yaml", "cases:\n" + case("first") + case("second"))
    result = project.runpytest("cases", "--collect-only", "-q", *_args(project))
    result.stdout.fnmatch_lines(
        ["cases/a.yaml::first", "cases/a.yaml::second", "2 tests collected*"]
    )
    assert result.ret == 0


def test_refused_files_name_file_and_line_and_the_others_still_run(
    project: pytest.Pytester,
) -> None:
    _write(project, "good.yaml", "cases:\n" + case("good"))
    _write(project, "bad_yaml.yaml", "cases:\n  - id: [oops\n")
    _write(
        project,
        "bad_key.yaml",
        "cases:\n" + case("k").replace("    client:", "    colour: red\n    client:"),
    )
    _write(project, "bad_code.yaml", "cases:\n" + case("c", code="MSG04242"))
    _write(project, "bad_role.yaml", "cases:\n" + case("r", person="ghost"))
    result = project.runpytest("cases", *_args(project))
    out = result.stdout.str()
    assert "bad_yaml.yaml:3: invalid YAML" in out
    assert "bad_key.yaml:6: unknown key 'colour'" in out
    assert "bad_code.yaml:9: unknown return code 'MSG04242'" in out
    assert "bad_role.yaml:7: unknown person role 'ghost'" in out
    result.assert_outcomes(failed=1, errors=4)  # the good file ran (and met the HTML server)
    rows = json.loads((project.path / "rep" / "coverage.json").read_text())
    assert {r["code"]: r["cases"] for r in rows}["MSG00005"] == ["good"]
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_failure_is_the_formatter_text_without_traceback(project: pytest.Pytester) -> None:
    _write(project, "a.yaml", "cases:\n" + case("one"))
    result = project.runpytest("cases", "-rf", *_args(project))
    out = result.stdout.str()
    assert "Traceback" not in out and "conformance/harness" not in out
    result.stdout.fnmatch_lines(
        ["*Expected:*", "*Reproduce with:*", "FAILED cases/a.yaml::one - FAILED: *"]
    )


def test_markers_select_by_code_and_operation(project: pytest.Pytester) -> None:
    text = "cases:\n" + case("a") + case("b", code="MSG00007", person="canceled")
    text += case("c", operation="consultEmploymentInfos").replace(
        "    expect:", "    markers: [smoke]\n    expect:"
    )
    _write(project, "a.yaml", text)
    by_code = project.runpytest("cases", "--collect-only", "-q", "-m", "MSG00007", *_args(project))
    by_code.stdout.fnmatch_lines(["cases/a.yaml::b", "1/3 tests collected (2 deselected)*"])
    by_op = project.runpytest(
        "cases", "--collect-only", "-q", "-m", "consultEmploymentInfos", *_args(project)
    )
    by_op.stdout.fnmatch_lines(["cases/a.yaml::c", "1/3 tests collected (2 deselected)*"])
    custom = project.runpytest("cases", "--collect-only", "-q", "-m", "smoke", *_args(project))
    custom.stdout.fnmatch_lines(["cases/a.yaml::c", "1/3 tests collected (2 deselected)*"])
    listed = project.runpytest("--markers", *_args(project))
    listed.stdout.fnmatch_lines(["@pytest.mark.consultSpecialInfos:*", "@pytest.mark.MSG00005:*"])


def test_runs_under_xdist_and_the_controller_aggregates(project: pytest.Pytester) -> None:
    _write(project, "a.yaml", "cases:\n" + case("a1") + case("a2"))
    _write(project, "b.yaml", "cases:\n" + case("b1", code="MSG00007", person="canceled"))
    result = project.runpytest("cases", "-n", "2", *_args(project))
    result.assert_outcomes(failed=3)
    rows = {r["code"]: r for r in json.loads((project.path / "rep" / "coverage.json").read_text())}
    assert rows["MSG00005"]["cases"] == ["a1", "a2"] and rows["MSG00005"]["outcome"] == "failed"
    assert rows["MSG00007"]["cases"] == ["b1"]
    assert rows["MSG00000"]["outcome"] == "not-run"


class _Canned(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(500)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def _reference_fault() -> bytes:
    """A real MSG00004 fault of the reference service (a body that is not XML)."""
    import requests

    from conformance.reference.server import start_in_thread

    service = start_in_thread(tls=False)
    try:
        with requests.Session() as session:
            session.trust_env = False
            action = '"http://kszbcss.fgov.be/ForeignerSituationService/consultEmploymentInfos"'
            answer = session.post(
                service.url,
                data=b"<not-xml",
                headers={"Content-Type": "text/xml", "SOAPAction": action},
            )
    finally:
        service.stop()
    assert answer.status_code == 500 and b"MSG00004" in answer.content
    return answer.content


ANY = """\
cases:
  - id: any-answer
    title: any TSS answer
    tss: "6"
    operation: consultEmploymentInfos
    client: onem
    request: {person: unknown}
    expect:
      table: any
"""


@pytest.mark.parametrize(("code", "passes"), [("MSG00004", True), ("MSG00005", False)])
def test_table_any_accepts_a_technical_fault_but_not_a_business_code_as_fault(
    pytester: pytest.Pytester, code: str, passes: bool
) -> None:
    handler = type(
        "Handler", (_Canned,), {"body": _reference_fault().replace(b"MSG00004", code.encode())}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = (
            f"http://127.0.0.1:{server.server_address[1]}/ForeignerSituationService/v1/consult"
        )
        (pytester.path / "env.yaml").write_text(ENV.format(endpoint=endpoint))
        (pytester.path / "cases").mkdir()
        (pytester.path / "cases" / "any.yaml").write_text(ANY)
        result = pytester.runpytest("cases", *_args(pytester, "--allow-partial", "-rf"))
    finally:
        server.shutdown()
        server.server_close()
    if passes:
        result.assert_outcomes(passed=1)
    else:
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            ["*FAILED: Return code MSG00005: a business code is an in-band*(TSS 6.1 MSG00005)*"]
        )


def test_a_role_the_environment_does_not_map_is_not_triggerable_not_refused(
    project: pytest.Pytester,
) -> None:
    # `no_data` is a role of docs/architecture.md that this environment does not map.
    _write(
        project,
        "a.yaml",
        "cases:\n"
        + case("mapped")
        + case("gap", code="MSG00100", person="no_data", value="NO_DATA_FOUND"),
    )
    result = project.runpytest("cases", "-rs", *_args(project))
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*MSG00100 not triggerable in this environment: the environment maps no person*"]
    )
    rows = {r["code"]: r for r in json.loads((project.path / "rep" / "coverage.json").read_text())}
    gap = rows["MSG00100"]
    assert gap["outcome"] == "not-run" and "no person role 'no_data'" in gap["reason"]


def test_the_shipped_catalogue_collects_under_a_partial_environment(
    project: pytest.Pytester,
) -> None:
    from conformance import paths

    result = project.runpytest(str(paths.cases_dir()), "--collect-only", "-q", *_args(project))
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    assert re.search(r"^\d+ tests collected in", result.stdout.str(), re.MULTILINE)


def test_cases_are_plain_picklable_data(tmp_path: Path) -> None:
    path = tmp_path / "cases" / "a.yaml"
    path.parent.mkdir()
    path.write_text("cases:\n" + case("a"))
    (loaded,) = load_file(
        path, codes=set(tables.all_codes()), clients={"onem"}, persons={"unknown"}
    )
    assert pickle.loads(pickle.dumps(loaded)) == loaded


def test_an_environment_that_cannot_start_fails_each_case_saying_why(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.harness import runtime

    def cannot_start(*args: object, **kwargs: object) -> None:
        raise runtime.RuntimeStartError("environment 'stub' could not start: no free port")

    monkeypatch.setattr(runtime, "open_runtime", cannot_start)
    _write(project, "a.yaml", "cases:\n" + case("first") + case("second"))
    result = project.runpytest("cases", *_args(project))
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.assert_outcomes(failed=2)
    assert result.stdout.str().count("could not start: no free port") >= 2
