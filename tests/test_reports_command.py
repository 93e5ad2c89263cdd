"""`conformance report`: matrix always, HTML through Allure 3 when Node can be had."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conformance import cli
from conformance.reports import html
from conformance.reports.session import ReportSession

pytest_plugins = ["pytester"]

ROWS = [
    {
        "code": "MSG00000",
        "kind": "business",
        "description": "",
        "cases": ["special/found"],
        "outcome": "passed",
    }
]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _finished_run(report_dir: Path) -> None:
    (report_dir / "allure-results").mkdir(parents=True)
    (report_dir / "allure-results" / "0-result.json").write_text(
        json.dumps({"uuid": "0", "name": "special/found", "status": "passed"})
    )
    (report_dir / "coverage.json").write_text(json.dumps(ROWS))


def test_without_node_it_explains_and_still_writes_the_matrix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report_dir = tmp_path / "reports"
    _finished_run(report_dir)
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no node, no npm
    monkeypatch.setenv("BCSS_CONFORMANCE_CACHE", str(tmp_path / "cache"))
    code = cli.main(["report", "--report-dir", str(report_dir)])
    err = capsys.readouterr().err
    assert code == 3
    assert "Node.js" in err and "nodejs.org" in err and html.ALLURE_VERSION in err
    assert "| MSG00000 |" in (report_dir / "coverage.md").read_text()


def test_unwritable_report_dir_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "file").write_text("")
    assert cli.main(["report", "--report-dir", str(tmp_path / "file" / "reports")]) == 4
    assert "cannot be written" in capsys.readouterr().err


def test_a_folder_without_a_run_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["report", "--report-dir", str(tmp_path)]) == 4
    assert "holds no run" in capsys.readouterr().err


def _allure_or_skip() -> None:
    try:
        html.ensure_allure()
    except html.AllureUnavailable as exc:
        pytest.skip(f"Allure 3 cannot be had here: {exc}")


def _dump_dom(page: Path) -> str:
    """The page's DOM after its scripts ran, in headless Chromium with a throwaway profile."""
    dom = ""
    for budget in (15000, 30000, 60000):  # a cold first start may need more virtual time
        with tempfile.TemporaryDirectory() as profile:
            done = subprocess.run(
                [
                    CHROMIUM,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    f"--virtual-time-budget={budget}",
                    "--run-all-compositor-stages-before-draw",
                    "--dump-dom",
                    page.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
        dom = done.stdout
        if "special infos found" in dom:
            break
    return dom


CASES = """
from conformance.reports import live

def test_failing():
    live.annotate_case(case_id="employment/unknown-niss", title="unknown NISS gives MSG00005",
                       tss_ref="6.1 MSG00005", operation="consultEmploymentInfos",
                       code="MSG00005", severity="critical", tags=["niss"])
    assert False, "FAILED: status [wrong return code]"

def test_passing():
    live.annotate_case(case_id="special/found", title="special infos found",
                       tss_ref="6.1 MSG00000", operation="consultSpecialInfos", code="MSG00000")
"""


@pytest.mark.slow
def test_single_file_html_shows_the_cases_in_chromium(pytester: pytest.Pytester) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not installed (.ci/run installs the Debian chromium package)")
    _allure_or_skip()
    report_dir = pytester.path / "reports"
    pytester.makepyfile(test_cases=CASES)
    pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--alluredir={report_dir / 'allure-results'}"
    ).assert_outcomes(passed=1, failed=1)
    session = ReportSession(
        report_dir,
        mask_ssin=False,
        environment_name="reference",
        endpoint="http://127.0.0.1:1/x",
        client_organisation="ONEM",
    )
    session.finish(ROWS, interrupted=False)
    for _ in range(2):  # a second report on the same folder extends the history
        assert cli.main(["report", "--report-dir", str(report_dir), "--single-file"]) == 0
    page = report_dir / html.SINGLE_DIR / "index.html"
    assert not [p for p in page.parent.rglob("*") if p.suffix in (".js", ".css")]  # one file
    assert len((report_dir / html.HISTORY_FILE).read_text().splitlines()) == 2
    dom = _dump_dom(page)
    assert "employment/unknown-niss: unknown NISS gives MSG00005" in dom
    assert "special/found: special infos found" in dom


@pytest.mark.slow
def test_multi_file_html(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js not on PATH")
    _allure_or_skip()
    _finished_run(tmp_path)
    assert cli.main(["report", "--report-dir", str(tmp_path)]) == 0
    assert (tmp_path / html.MULTI_DIR / "index.html").is_file()
