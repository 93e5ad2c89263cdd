"""End to end: ``conformance run`` on the shipped catalogue, from another working directory.

Against the embedded reference service every case passes and all 17 TSS codes are covered; against
a wrong server (HTML, or a reference with a deliberate defect) the run fails with one-line
messages naming the TSS rule.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Container, Iterator
from pathlib import Path

import pytest
import throwaway_client
import yaml

from conformance import paths, tables
from conformance.reference.server import start_in_thread

pytestmark = pytest.mark.slow


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    env["COLUMNS"] = "400"  # the short summary keeps each whole one-line message
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--report-dir", "out", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _coverage(cwd: Path) -> dict[str, dict]:
    return {row["code"]: row for row in json.loads((cwd / "out" / "coverage.json").read_text())}


def _check_complete_pass(cwd: Path, result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    rows = _coverage(cwd)
    assert set(rows) == set(tables.all_codes()) and len(rows) == 17
    assert {row["outcome"] for row in rows.values()} == {"passed"}
    assert all(row["cases"] for row in rows.values())
    assert (cwd / "out" / "junit.xml").is_file()
    assert [p.name for p in cwd.iterdir()] == ["out"], "nothing written outside --report-dir"
    assert any((cwd / "out" / "allure-results").glob("*-result.json"))
    # The reference keeps the TSS 7 SLA; the cases that provoke failures on purpose (client
    # certificates refused, binding errors, a failing supplier) are not counted.
    sla = json.loads((cwd / "out" / "sla.json").read_text())
    assert sla["verdict"] == "met", sla["criteria"]
    assert "tls-expired-certificate" in sla["excluded_cases"]
    tail = result.stdout.strip().splitlines()[-2:]
    assert tail[0].startswith("coverage: complete") and tail[1].endswith("exit code: 0")


def test_the_catalogue_passes_against_the_reference_service(tmp_path: Path) -> None:
    _check_complete_pass(tmp_path, _run(tmp_path))


def test_the_catalogue_passes_under_xdist(tmp_path: Path) -> None:
    result = _run(tmp_path, "--", "-n", "2")
    _check_complete_pass(tmp_path, result)
    assert "2 workers" in result.stdout


def test_a_server_answering_html_fails_every_case_with_one_line(
    tmp_path: Path, html_endpoint: str
) -> None:
    result = _run(tmp_path, "--endpoint", html_endpoint)
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    # Plain http: the TLS cases are skipped as not applicable, never passed.
    summary = re.search(r"=+ (\d+) failed(?:, \d+ skipped)? in [^=]* =+", result.stdout)
    assert summary and "passed" not in summary[0], "no case passes against an HTML page"
    assert len(failed) == int(summary[1]) == len({line.split()[1] for line in failed})
    for line in failed:
        # One line: the rule's title and the failure category (e.g. "[schema violation]").
        assert re.search(r" - FAILED: .+ \[[a-zA-Z/ -]+\]", line), line
        assert not line.endswith("..."), line
    assert sum(" - FAILED: SOAP 1.1 response" in line for line in failed) >= len(failed) - 1
    _only_msg00014_needs_tls(_coverage(tmp_path))
    assert "Traceback" not in result.stdout


def _only_msg00014_needs_tls(rows: dict[str, dict], declared: Container[str] = ()) -> None:
    """Over plain HTTP every code fails but MSG00014, which needs a client certificate (and
    those the environment declares not triggerable)."""
    assert rows["MSG00014"]["outcome"] == "not-run"
    assert "not two-way TLS" in str(rows["MSG00014"])
    others = {r["outcome"] for c, r in rows.items() if c != "MSG00014" and c not in declared}
    assert others == {"failed"}


@pytest.fixture
def defective_endpoint(tmp_path: Path) -> Iterator[str]:
    # Plain HTTP: the run's own reference environment holds another dev PKI.
    service = start_in_thread(
        tls=False, defect="canceled_as_unknown", audit_log=tmp_path / "a.jsonl"
    )
    yield service.url
    service.stop()


def test_a_server_returning_a_wrong_code_fails_that_case(
    tmp_path: Path, defective_endpoint: str
) -> None:
    result = _run(
        tmp_path, "--endpoint", defective_endpoint, "--", "-m", "MSG00007", "--allow-partial"
    )
    assert result.returncode == 1, result.stdout[-3000:]
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    assert len(failed) == 1 and "msg00007-canceled" in failed[0]
    assert "[wrong return code]" in failed[0]
    assert "MSG00007" in result.stdout and "MSG00005" in result.stdout
    assert _coverage(tmp_path)["MSG00007"]["outcome"] == "failed"


def _filled_acceptance_example(folder: Path, password: bytes) -> Path:
    """The shipped acceptance example with every placeholder filled: test persons, and one
    throwaway certificate in every file it names (PKCS#12 files protected by ``password``)."""
    data = yaml.safe_load(
        (paths.cases_dir() / "environments" / "acceptance.example.yaml").read_text()
    )
    for role, value in data["persons"].items():
        data["persons"][role] = (
            {"ssin": "87030341186", "replaced_by": "91012906810"}
            if isinstance(value, dict)
            else "85073003328"
        )
    contents = throwaway_client.client_files(password, "acceptance example")
    for client in data["clients"].values():
        for kind, content in contents.items():
            if kind in client:
                (folder / client[kind]).parent.mkdir(exist_ok=True)
                (folder / client[kind]).write_bytes(content)
    (folder / data["ca_bundle"]).write_bytes(contents["cert"])
    target = folder / "acceptance.yaml"
    target.write_text(yaml.safe_dump(data), encoding="utf-8")
    return target


def test_the_acceptance_example_once_filled_runs_and_declares_its_gaps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, html_endpoint: str
) -> None:
    # A live but wrong endpoint: every case that runs fails with one line, and the codes the
    # example declares not triggerable say so, with its reason.
    env_file = _filled_acceptance_example(tmp_path, b"example")
    monkeypatch.setenv("BCSS_ONEM_P12_PASSWORD", "example")
    result = _run(tmp_path, "--env", str(env_file), "--endpoint", html_endpoint)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout
    declared = yaml.safe_load(env_file.read_text())["not_triggerable"]
    rows = _coverage(tmp_path)
    for code, reason in declared.items():
        assert rows[code]["outcome"] == "not-triggerable" and rows[code]["reason"] == reason
    _only_msg00014_needs_tls(rows, declared)


def test_the_acceptance_example_with_a_wrong_password_stops_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = _filled_acceptance_example(tmp_path, b"example")
    monkeypatch.setenv("BCSS_ONEM_P12_PASSWORD", "wrong")
    result = _run(tmp_path, "--env", str(env_file))
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr[-2000:]
    [line] = result.stderr.splitlines()
    assert ": cannot open PKCS#12 " in line and "(password from $BCSS_ONEM_P12_PASSWORD)" in line


def test_an_unwritable_report_dir_is_one_line_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file, not a folder")
    result = _run(tmp_path)
    assert result.returncode == 4
    assert "report folder" in result.stderr and "cannot be written" in result.stderr
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--env", "nope.yaml"], "nope.yaml: no such environment file"),
        (["--env", "bad.yaml"], "bad.yaml: unknown key(s) bogus"),
        (["--env", "binary.yaml"], "binary.yaml: not UTF-8 text (byte 8 is 0xff)"),
        (["--env", "broken.yaml"], "broken.yaml:3: invalid YAML: expected ',' or ']'"),
        (["--endpoint", "ftp://host/x"], "--endpoint: 'ftp://host/x' is not an http(s) URL"),
        (["--defect", "nope"], "unknown defect 'nope'"),
        (["--env", "bad.yaml", "--defect", "bis_accepted"], "a defect applies to the built-in"),
        (["--cases", "nowhere"], "--cases nowhere: no such file or folder"),
        (["--cases", "mine"], "--cases mine: no case file: cases are *.yaml or *.yml files under"),
    ],
)
def test_a_bad_environment_is_one_line_before_anything_runs(
    tmp_path: Path, args: list[str], says: str
) -> None:
    (tmp_path / "bad.yaml").write_text("endpoint: https://127.0.0.1:1/x\nbogus: 1\n")
    (tmp_path / "binary.yaml").write_bytes(b"name: x\n\xff")
    (tmp_path / "broken.yaml").write_text("name: x\nendpoint: [a: b\n")
    (tmp_path / "mine").mkdir()  # a folder of cases not named "cases": pytest would collect none
    (tmp_path / "mine" / "a.yaml").write_text("cases: []\n")
    (tmp_path / "out" / "bundles").mkdir(parents=True)
    (tmp_path / "out" / "coverage.json").write_text("[]")  # a previous run's: left untouched
    result = _run(tmp_path, *args)
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert result.stdout == "" and len(lines) == 1 and says in lines[0], result.stderr
    assert (tmp_path / "out" / "coverage.json").read_text() == "[]"
