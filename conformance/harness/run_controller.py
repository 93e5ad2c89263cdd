"""The run as a whole, on the xdist controller (or the only process): every case's outcome as it
arrives (live failure line, reports, ``outcomes.jsonl``, SLA samples), then at the end coverage,
``sla.json``, the exit status and the terminal summary. Registered by ``harness/hooks.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conformance.contract import Contract, ContractError, load_contract
from conformance.harness import collect, coverage, wire
from conformance.harness.budget import EXIT_MAX_TIME
from conformance.harness.failures import deviation_lines
from conformance.harness.outcome import DEVIATION, NOT_RUN, NOT_TRIGGERABLE, CaseOutcome
from conformance.plugin import DEFAULT_ENV
from conformance.reports import live, outcomes_file
from conformance.reports.masking import Masker
from conformance.reports.session import ReportDirError, ReportSession
from conformance.sla import files as sla_files
from conformance.sla import render
from conformance.sla.compute import VIOLATED, SlaReport
from conformance.sla.samples import Sample


class RunController:
    """Run-level hooks, registered on the controller only: aggregate outcomes, coverage, reports."""

    def __init__(self, config: pytest.Config, report_dir: Path) -> None:
        self.config = config
        self.report_dir = report_dir
        self.results: list[coverage.CaseResult] = []
        self.environment: dict[str, Any] | None = None
        self.reports: ReportSession | None = None
        self.rows: list[coverage.CoverageRow] | None = None
        self.interrupted = False
        self.saw_case_files = False
        self.sla_samples: list[Sample] = []
        self.sla_excluded: list[str] = []  # the cases marked ``sla: exclude`` that ran
        self.sla: SlaReport | None = None
        self.stopped = False  # a case was not run: --max-time was reached
        self.deviations: list[CaseOutcome] = []  # cases whose only broken rules are decisions

    def check_writable(self, *, usage_error: bool) -> None:
        try:
            ReportSession.folder_only(self.report_dir).check_writable()
        except ReportDirError as exc:
            if usage_error:
                raise pytest.UsageError(str(exc)) from None
            pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)

    def clear_bundles(self) -> None:
        ReportSession.folder_only(self.report_dir).clear_bundles()
        outcomes_file.clear(self.report_dir)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if not self.config.option.collectonly and any(
            isinstance(item, collect.CaseItem) for item in items
        ):
            self.check_writable(usage_error=False)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, wire.OUTCOME_ATTR, None)
        if data is None:
            return
        outcome: CaseOutcome = wire.outcome_from_wire(data)
        self.environment = self.environment or getattr(report, wire.ENVIRONMENT_ATTR)
        reason = ""
        if outcome.outcome in (NOT_TRIGGERABLE, NOT_RUN) and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")  # the skip message
        self.stopped = self.stopped or outcome.outcome == NOT_RUN
        self.results.append(
            coverage.CaseResult(
                outcome.case_id, outcome.code or None, outcome.outcome, reason, outcome.decision
            )
        )
        if outcome.outcome == DEVIATION:
            self.deviations.append(outcome)
        self._print_live(outcome)
        self.sla_samples += outcome.sla_samples
        if not outcome.sla_sample and outcome.exchanges:
            self.sla_excluded.append(outcome.case_id)
        if self.reports is None:
            self.reports = self._report_session()
        self.reports.case_finished(outcome)
        outcomes_file.append(self.report_dir, outcomes_file.record(outcome, reason=reason))

    def _print_live(self, outcome: CaseOutcome) -> None:
        """The failure's line now, flushed: a run killed from outside still shows why."""
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        env = self.environment or {}
        masking = self.config.getoption("conformance_mask_ssin")
        line = live.failure_line(
            outcome,
            mask=Masker(env.get("known_ssins", ())) if masking else None,
            secrets=[os.environ.get(name, "") for name in env.get("secret_env_vars", ())],
        )
        if terminal is None or line is None:
            return
        terminal.ensure_newline()
        terminal.write_line(line)
        terminal.flush()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # Only this plugin collects YAML; under xdist the controller sees refused files only.
        if report.nodeid.split("::")[0].endswith(collect.SUFFIXES):
            self.saw_case_files = True
            if report.failed:  # a refused case file: its cases never ran, and the run says so
                reason = str(report.longrepr).strip().splitlines()
                line = outcomes_file.collection_error(report.nodeid, reason[-1] if reason else "")
                outcomes_file.append(self.report_dir, line)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.option.collectonly or not (self.environment or self.saw_case_files):
            return  # nothing ran, or no case at all (e.g. the project's own tests)
        self.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        declared = self.environment["not_triggerable"] if self.environment else {}
        self.rows = coverage.rows(self.results, declared)
        coverage.write(self.report_dir, self.rows)
        partial = self.config.getoption("conformance_allow_partial")
        if coverage.missing(self.rows) and not partial and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.sla = sla_files.write(
            self.report_dir, self.sla_samples, extra={"excluded_cases": sorted(self.sla_excluded)}
        )
        enforce = self.config.getoption("conformance_sla") or bool(
            (self.environment or {}).get("sla_enforce")
        )
        if self.stopped and session.exitstatus in (0, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = EXIT_MAX_TIME  # incomplete, whatever the cases that ran said
        if enforce and self.sla.verdict == VIOLATED and session.exitstatus == 0:
            session.exitstatus = sla_files.EXIT_SLA_VIOLATED  # cases passed, SLA did not

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.rows is None:
            return
        declared = self.environment["not_triggerable"] if self.environment else {}
        skipped = coverage.not_triggerable_lines(self.results, declared)
        if skipped:  # printed by conformance run too: it asks for no code summary only
            terminalreporter.section("not triggerable here")
            for line in skipped:
                terminalreporter.write_line(line)
        if self.deviations:  # printed by conformance run too, so QA can ask BCSS about each
            terminalreporter.section("deviations from our decisions (not failures)")
            for line in deviation_lines(self.deviations):
                terminalreporter.write_line(line)
        if self.config.getoption("conformance_no_summary"):
            return
        terminalreporter.section("TSS return codes")
        for line in coverage.summary_lines(self.rows):
            terminalreporter.write_line(line)
        partial = self.config.getoption("conformance_allow_partial")
        terminalreporter.write_line(coverage.verdict_line(self.rows, partial=partial))
        if self.sla is not None:
            terminalreporter.write_line(render.summary_line(render.to_json(self.sla)))

    def pytest_unconfigure(self) -> None:
        if self.rows is not None:
            # After junitxml wrote its file, so masking covers it too.
            reports = self.reports or self._report_session()
            reports.finish([row.as_json() for row in self.rows], self.interrupted)

    def _report_session(self) -> ReportSession:
        env = self.environment or {}
        name = env.get("name") or self.config.getoption("conformance_env") or DEFAULT_ENV
        junit = self.config.getoption("xmlpath", None)
        allure_dir = self.config.getoption("allure_report_dir", None)
        return ReportSession(
            self.report_dir,
            mask_ssin=bool(self.config.getoption("conformance_mask_ssin")),
            environment_name=name,
            endpoint=env.get("endpoint", ""),
            client_organisation=env.get("organisation", ""),
            known_ssins=env.get("known_ssins", ()),
            secret_env_vars=env.get("secret_env_vars", ()),
            contract=_contract(env),
            junit_path=Path(junit) if junit else None,
            results_dir=Path(allure_dir) if allure_dir else None,
        )


def _contract(env: dict[str, Any]) -> Contract | None:
    """The contract the workers judged against (for the reports' sha256 digests)."""
    try:
        return load_contract(env.get("xsd"), env.get("wsdl"))
    except ContractError:
        return None
