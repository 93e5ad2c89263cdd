"""plugin.py: options, the report folder check, one environment per session, masking, seeds."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from conformance.harness import runtime as harness_runtime

pytest_plugins = ["pytester"]

UNKNOWN = "72031217528"  # the env's `unknown` person (a valid NISS)

# A live but wrong endpoint (an HTML page): a dead one would stop the run at its preflight.
ENV = f"""\
name: wrong
endpoint: ENDPOINT
clients:
  onem: {{customer_identification: {{cbeNumber: "0206737484"}}, legal_context: "NEO:UNEMPLOYMENT"}}
persons:
  unknown: "{UNKNOWN}"
"""

CASE = """\
cases:
  - id: {id}
    title: unknown person
    tss: "6.1 MSG00005"
    operation: consultSpecialInfos
    client: onem
    request: {{person: unknown}}
    expect:
      status: {{value: NO_RESULT, code: MSG00005}}
"""

GENERATED = """\
cases:
  - id: generated
    title: unknown NISS
    tss: "6.1 MSG00005"
    operation: consultSpecialInfos
    client: onem
    given:
      ssin: {strategy: unknown_niss}
      examples: 5
    expect:
      status: {value: NO_RESULT, code: MSG00005}
"""


@pytest.fixture
def project(pytester: pytest.Pytester, html_endpoint: str) -> pytest.Pytester:
    (pytester.path / "env.yaml").write_text(ENV.replace("ENDPOINT", html_endpoint))
    (pytester.path / "cases").mkdir()
    return pytester


def _args(pytester: pytest.Pytester, *extra: str) -> list[str]:
    return ["cases", "--env", str(pytester.path / "env.yaml"), "-p", "no:cacheprovider", *extra]


def test_options_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        ["*--env=NAME|PATH*", "*--endpoint=URL*", "*--report-dir=DIR*", "*--mask-ssin*"]
    )


def test_an_unwritable_report_dir_stops_the_run_before_anything_runs(
    project: pytest.Pytester,
) -> None:
    (project.path / "cases" / "a.yaml").write_text(CASE.format(id="a"))
    blocker = project.path / "not-a-folder"
    blocker.write_text("a file where the report folder should be")
    result = project.runpytest(*_args(project, "--report-dir", str(blocker / "reports")))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*report folder {blocker / 'reports'} cannot be written*"])
    assert "collected" not in result.stdout.str()


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]])
def test_an_unwritable_default_report_dir_is_caught_too(
    project: pytest.Pytester, xdist: list[str]
) -> None:
    (project.path / "cases" / "a.yaml").write_text(CASE.format(id="a"))
    (project.path / "reports").write_text("a file, not a folder")
    result = project.runpytest(*_args(project, *xdist))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*report folder*reports cannot be written*"])


def test_default_report_dir_is_reports_in_the_working_directory(project: pytest.Pytester) -> None:
    (project.path / "cases" / "a.yaml").write_text(CASE.format(id="a"))
    project.runpytest(*_args(project))
    assert (project.path / "reports" / "coverage.json").is_file()


def test_a_run_without_cases_writes_no_reports(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_ok():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()
    assert "TSS return codes" not in result.stdout.str()


def test_a_broken_environment_is_a_clear_collection_error(project: pytest.Pytester) -> None:
    (project.path / "cases" / "a.yaml").write_text(CASE.format(id="a"))
    result = project.runpytest(
        "cases",
        "--env",
        str(project.path / "missing.yaml"),
        "-p",
        "no:cacheprovider",
        "--report-dir",
        str(project.path / "rep"),
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*missing.yaml: no such environment file*"])
    rows = json.loads((project.path / "rep" / "coverage.json").read_text())
    assert {row["outcome"] for row in rows} == {"not-run"}  # still written, every code not run


def test_one_environment_per_session_closed_at_the_end(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[harness_runtime.Runtime] = []
    closed: list[harness_runtime.Runtime] = []
    real_open = harness_runtime.open_runtime

    def counting_open(*args: str | None, **kwargs: Any) -> harness_runtime.Runtime:
        runtime = real_open(*args, **kwargs)
        real_close = runtime.close

        def close() -> None:
            closed.append(runtime)
            real_close()

        runtime.close = close  # type: ignore[method-assign]
        opened.append(runtime)
        return runtime

    monkeypatch.setattr(harness_runtime, "open_runtime", counting_open)
    for name in ("a", "b", "c"):
        (project.path / "cases" / f"{name}.yaml").write_text(CASE.format(id=name))
    result = project.runpytest(*_args(project, "--report-dir", str(project.path / "rep")))
    result.assert_outcomes(failed=3)
    assert len(opened) == 1 and closed == opened


def test_mask_ssin_keeps_niss_out_of_the_junit_report(project: pytest.Pytester) -> None:
    (project.path / "cases" / "a.yaml").write_text(CASE.format(id="a"))
    rep = project.path / "rep"
    plain = project.runpytest(*_args(project, "--report-dir", str(rep), f"--junitxml={rep}/j.xml"))
    plain.assert_outcomes(failed=1)
    assert UNKNOWN in (rep / "j.xml").read_text()
    masked = project.runpytest(
        *_args(project, "--report-dir", str(rep), f"--junitxml={rep}/j.xml", "--mask-ssin")
    )
    masked.assert_outcomes(failed=1)
    assert UNKNOWN not in (rep / "j.xml").read_text()


def _request_ssin(output: str) -> str:
    match = re.search(r"<ssin>(\d+)</ssin>", output)
    assert match, "the failure text shows the request"
    return match.group(1)


def test_a_generated_failure_prints_a_seed_that_reproduces_it(project: pytest.Pytester) -> None:
    (project.path / "cases" / "g.yaml").write_text(GENERATED)
    rep = str(project.path / "rep")
    first = project.runpytest(*_args(project, "--report-dir", rep))
    first.assert_outcomes(failed=1)
    seed = re.search(r"--hypothesis-seed=(\d+)", first.stdout.str())
    assert seed, "the reproduction names the Hypothesis seed"
    again = project.runpytest(*_args(project, "--report-dir", rep, f"--hypothesis-seed={seed[1]}"))
    again.assert_outcomes(failed=1)
    assert f"--hypothesis-seed={seed[1]}" in again.stdout.str()
    assert _request_ssin(again.stdout.str()) == _request_ssin(first.stdout.str())


# ---- opt-in: nothing happens unless the run asks for conformance ------------------------------

HEAVY = (
    "hypothesis", "lxml", "zeep", "xmlschema", "cryptography", "asn1crypto", "requests", "yaml",
    "jsonschema", "allure", "allure_commons", "allure_pytest",
)  # fmt: skip


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = (
        "import sys, conformance.plugin\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('conformance'))))\n"
        f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    ours, heavy = [*done.stdout.splitlines(), ""][:2]
    assert set(ours.split()) == {"conformance", "conformance.paths", "conformance.plugin"}
    assert heavy == ""


def test_without_opting_in_cases_folders_are_left_alone(project: pytest.Pytester) -> None:
    (project.path / "cases" / "a.yaml").write_text(CASE.format(id="a"))
    result = project.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "Hypothesis profile" not in result.stdout.str()  # no header line of ours either
    assert not (project.path / "reports").exists()
    opted_in = project.runpytest("--conformance", "--env", str(project.path / "env.yaml"))
    opted_in.assert_outcomes(failed=1)  # the same file, asked for


def test_any_conformance_option_opts_in(project: pytest.Pytester) -> None:
    (project.path / "cases" / "a.yaml").write_text(CASE.format(id="a"))
    result = project.runpytest(*_args(project, "--collect-only", "-q"))
    result.stdout.fnmatch_lines(["*a.yaml::a*"])


def test_collecting_starts_nothing(project: pytest.Pytester, monkeypatch) -> None:
    """The built-in reference: collection reads the dataset's roles; no dev PKI, no service."""
    cache = project.path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    (project.path / "cases" / "a.yaml").write_text(CASE.format(id="a"))
    started: list[object] = []
    real_start = harness_runtime.open_runtime
    monkeypatch.setattr(
        harness_runtime, "open_runtime", lambda *a, **k: started.append(a) or real_start(*a, **k)
    )
    result = project.runpytest(
        "--conformance", "cases", "--collect-only", "-q", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(["*a.yaml::a*"])
    assert started == [] and not cache.exists()
    assert not (project.path / "reports").exists()
