"""``conformance run``: the shipped case catalogue, through pytest, against one environment.

Exit codes are pytest's, with one addition from the plugin: a run where a TSS code was not
exercised (and not declared not triggerable) exits 1 even when every case passed.

- 0: every case passed and every TSS code is covered;
- 1: a case failed, or coverage is incomplete;
  A refused case file (collection error) also exits 1; the other files still run;
- 2: interrupted (Ctrl-C, ``-x``), or the environment could not be loaded;
- 3: internal error; 4: usage error (e.g. a report folder that cannot be written);
- 5: no case was collected (e.g. ``-m`` matching nothing);
- 6: the endpoint is down (the preflight exchange got no answer): no case was run;
- 7: every case passed, but the TSS 7 SLA was violated and ``--sla`` (or ``sla: enforce``) asked
  for it to count;
- 8: stopped at ``--max-time``: the cases not started are reported not-run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from conformance import paths
from conformance.harness import collect, coverage
from conformance.harness.budget import EXIT_MAX_TIME
from conformance.harness.environment import EnvironmentConfigError, check_environment
from conformance.harness.preflight import EXIT_ENDPOINT_DOWN
from conformance.paths import DEFAULT_REPORT_DIR
from conformance.reports.session import JUNIT_FILE, RESULTS_DIR, ReportDirError, ReportSession
from conformance.sla import files as sla_files
from conformance.sla import render

HELP = "Run the case catalogue against an environment (default: the embedded reference service)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env",
        default="reference",
        metavar="NAME|PATH",
        help="built-in environment name or environment YAML file (default: reference)",
    )
    parser.add_argument("--endpoint", metavar="URL", help="override the environment's endpoint")
    parser.add_argument(
        "--report-dir",
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help="reports folder: junit.xml, allure-results/, coverage.json "
        f"(default: {DEFAULT_REPORT_DIR})",
    )
    parser.add_argument("--mask-ssin", action="store_true", help="mask every NISS in the reports")
    parser.add_argument(
        "--sla",
        action="store_true",
        help="fail the run with exit code 7 when the TSS 7 SLA is violated (sla.json, sla.md)",
    )
    parser.add_argument(
        "--defect",
        metavar="NAME",
        help="run against the embedded reference with one deliberate defect (see conformance "
        "serve --list-defects)",
    )
    parser.add_argument(
        "--max-time",
        metavar="SECONDS",
        help="stop the run cleanly after SECONDS, reports written, exit code 8 (default: the "
        "environment file's max_time)",
    )
    parser.add_argument(
        "--cases", metavar="DIR", default=None, help="case folder (default: the shipped catalogue)"
    )
    parser.add_argument(
        "pytest_args",
        nargs=argparse.REMAINDER,
        metavar="-- PYTEST_ARGS",
        help="extra pytest arguments after --, e.g. -- -n 2 -m MSG00005",
    )


def pytest_arguments(args: argparse.Namespace, ini_file: Path) -> list[str]:
    """The pytest command line ``conformance run`` uses."""
    report_dir = Path(args.report_dir).resolve()
    cases = Path(args.cases).resolve() if args.cases else paths.cases_dir()
    extra = list(args.pytest_args or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    argv = [
        str(cases),
        # Our own empty ini: the working directory's pytest settings must not leak in.
        "-c",
        str(ini_file),
        "--rootdir",
        str(cases.parent),
        "-p",
        "no:cacheprovider",  # may run from a read-only place
        "-o",
        "console_output_style=progress",
        "--strict-markers",
        "--assert=plain",  # cases assert nothing themselves; the conformance package is imported
        "-rfEs",
        "--conformance",
        "--env",
        args.env,
        "--report-dir",
        str(report_dir),
        f"--junitxml={report_dir / JUNIT_FILE}",
        "-o",
        "junit_logging=system-out",  # a deviation's text: the <system-out> of a passed testcase
        f"--alluredir={report_dir / RESULTS_DIR}",
        "--no-code-summary",  # printed below, last
    ]
    if args.endpoint:
        argv += ["--endpoint", args.endpoint]
    if args.mask_ssin:
        argv.append("--mask-ssin")
    if getattr(args, "sla", False):
        argv.append("--sla")
    if getattr(args, "max_time", None):
        argv += ["--max-time", args.max_time]
    if getattr(args, "defect", None):
        argv += ["--defect", args.defect]
    return argv + extra


def run(args: argparse.Namespace) -> int:
    report_dir = Path(args.report_dir).resolve()
    try:  # a bad environment is one line, before anything is touched or started
        check_environment(args.env, args.endpoint, defect=getattr(args, "defect", None))
    except EnvironmentConfigError as exc:
        print(f"conformance run: {exc}", file=sys.stderr)
        return int(pytest.ExitCode.USAGE_ERROR)
    if args.cases and (problem := collect.case_folder_problem(Path(args.cases))):
        print(f"conformance run: --cases {args.cases}: {problem}", file=sys.stderr)
        return int(pytest.ExitCode.USAGE_ERROR)
    # One run per results folder: an earlier run's results would show as retries of this one;
    # the trend lives in history.jsonl (``conformance report``). Not allure's --clean-alluredir:
    # under xdist every worker would empty the folder as it starts, racing the others' results.
    shutil.rmtree(report_dir / RESULTS_DIR, ignore_errors=True)
    try:
        ReportSession.folder_only(report_dir).check_writable()
    except ReportDirError as exc:
        print(f"conformance run: {exc}", file=sys.stderr)
        return int(pytest.ExitCode.USAGE_ERROR)
    coverage_file = report_dir / coverage.COVERAGE_FILE
    coverage_file.unlink(missing_ok=True)  # never show a previous run's verdict
    for name in (sla_files.SLA_JSON, sla_files.SLA_MD, sla_files.SLA_PNG):
        (report_dir / name).unlink(missing_ok=True)  # the history and its trend plot stay
    with tempfile.TemporaryDirectory(prefix="conformance-run-") as tmp:
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        code = int(pytest.main(pytest_arguments(args, ini)))
    _print_summary(coverage_file, code, partial="--allow-partial" in (args.pytest_args or ()))
    return code


def _print_summary(coverage_file: Path, code: int, *, partial: bool) -> None:
    if code == EXIT_ENDPOINT_DOWN:  # the reason is the one line above, on stderr
        print(f"\nconformance run: endpoint down, no case was run (exit code {code})")
        return
    if code == pytest.ExitCode.USAGE_ERROR:  # likewise
        print(f"\nconformance run: bad input, no case was run (exit code {code})")
        return
    if not coverage_file.is_file():
        print(f"\nconformance run: no coverage written (pytest exit code {code})")
        return
    data = json.loads(coverage_file.read_text(encoding="utf-8"))
    rows = [coverage.CoverageRow(**row) for row in data]
    sla_json = coverage_file.parent / sla_files.SLA_JSON
    if sla_json.is_file():
        print("\n" + render.summary_line(json.loads(sla_json.read_text(encoding="utf-8"))))
    print("\nTSS return codes")
    for line in coverage.summary_lines(rows):
        print("  " + line)
    print(coverage.verdict_line(rows, partial=partial))
    if code == EXIT_MAX_TIME:
        print("stopped at --max-time: the cases not started are reported not-run")
    print(f"reports: {coverage_file.parent}   exit code: {code}")
