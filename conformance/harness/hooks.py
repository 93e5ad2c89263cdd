"""The hooks of a conformance run, registered by ``conformance/plugin.py`` only when the run asks
for one (so importing this module is allowed to be heavy). Collection lives in
``harness/collect.py``, running a case in ``harness/execute.py``, return-code coverage in
``harness/coverage.py`` and reports in ``conformance/reports``.

With xdist, each worker runs cases with its own environment (built once per worker); every case
report carries its outcome to the controller, which alone aggregates coverage and writes reports.
Generated cases take their Hypothesis settings from :func:`hypothesis_profiles.for_cases`, per
item: the process's Hypothesis default is left as it is.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance import hypothesis_profiles, tables
from conformance.contract import Contract, ContractError, load_contract
from conformance.harness import collect, coverage, execute, preflight, runtime, wire
from conformance.harness.budget import EXIT_MAX_TIME
from conformance.harness.environment.summary import environment_summary
from conformance.harness.outcome import FAILED, NOT_RUN, NOT_TRIGGERABLE, CaseOutcome
from conformance.hypothesis_profiles import ENV_VAR
from conformance.paths import DEFAULT_REPORT_DIR
from conformance.plugin import DEFAULT_ENV
from conformance.reports import live
from conformance.reports.masking import Masker
from conformance.reports.session import ReportDirError, ReportSession
from conformance.sla import files as sla_files
from conformance.sla import render
from conformance.sla.compute import VIOLATED, SlaReport
from conformance.sla.samples import Sample

_WIRE = "conformance_outcome"  # attribute of a TestReport; survives xdist serialisation
_ENV = "conformance_environment"
SLA_VIOLATED = 7  # exit code: every case passed, the SLA did not (--sla or sla: enforce)


def pytest_configure(config: pytest.Config) -> None:
    hypothesis_profiles.register_missing()  # so --hypothesis-profile=nightly finds the name
    runtime.mark_session_start(config)  # --max-time counts from here
    runtime.set_case_profile(config, _case_profile(config))
    for name in collect.operation_markers():
        collect.register_marker(config, name, "cases of this operation")
    for code in tables.all_codes():
        collect.register_marker(
            config, code, f"cases expecting {code} (TSS {tables.kind_of(code)})"
        )
    explicit = config.getoption("conformance_report_dir")
    if explicit:
        # Hypothesis caches in ./.hypothesis; with a report folder given (conformance run always
        # gives one) it goes there instead, in every xdist worker too: the working directory may
        # be read-only or someone else's project.
        set_hypothesis_home_dir(Path(explicit).resolve() / ".hypothesis")
    if not hasattr(config, "workerinput"):  # the controller, or a run without xdist
        controller = _Controller(config, Path(explicit or DEFAULT_REPORT_DIR).resolve())
        # A folder that cannot be written stops the run before anything runs (under xdist the
        # controller collects nothing, so the arguments tell whether cases will run).
        # --collect-only writes nothing, so it neither checks nor clears the folder.
        wanted = explicit or collect.names_cases(config.args)
        if wanted and not config.option.collectonly:
            controller.check_writable(usage_error=True)
            controller.clear_bundles()  # an earlier run's bundles would outlive a fix
            controller.preflight = True
        config.pluginmanager.register(controller, "conformance-controller")


def _case_profile(config: pytest.Config) -> str:
    """Our profile for the generated cases: --hypothesis-profile, else $HYPOTHESIS_PROFILE, when
    it names one of ours; else ci (another project's profile is that project's business)."""
    for name in (config.getoption("hypothesis_profile", None), os.environ.get(ENV_VAR)):
        if name and hypothesis_profiles.is_ours(name):
            return str(name)
    return hypothesis_profiles.CI


def pytest_report_header(config: pytest.Config) -> str:
    return f"conformance: generated cases use the Hypothesis profile {_case_profile(config)}"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if collect.is_case_file(file_path):
        return collect.CaseFile.from_parent(parent, path=file_path)
    return None


def pytest_runtest_call(item: pytest.Item) -> None:
    if isinstance(item, collect.CaseItem):
        case = item.case
        live.annotate_case(
            case_id=case.id,
            title=case.title,
            tss_ref=case.tss,
            operation=case.operation,
            code=case.code or "any",
            severity=case.severity,
            tags=case.tags,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    if not isinstance(item, collect.CaseItem) or report.when != "call":
        return report
    outcome = item.outcome
    if outcome is None or (report.failed and outcome.outcome != FAILED):
        # The case crashed before an outcome (e.g. a request that cannot be built).
        outcome = execute.blank_outcome(item.case)
        outcome.outcome, outcome.failure_text = FAILED, str(report.longrepr)
    summary = environment_summary(runtime.runtime_for(item.config).environment)
    masking = item.config.getoption("conformance_mask_ssin")
    # Scrubbed here already, not only by the controller's final pass: a run killed outright
    # must not leave a password in an attachment.
    secrets = [os.environ.get(name, "") for name in summary["secret_env_vars"]]
    live.attach_outcome(
        outcome, mask=Masker(summary["known_ssins"]) if masking else None, secrets=secrets
    )
    setattr(report, _WIRE, wire.outcome_to_wire(outcome))
    setattr(report, _ENV, summary)
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    runtime.close_runtime(config)
    if config.getoption("conformance_report_dir"):
        set_hypothesis_home_dir(None)  # back to Hypothesis's default (in-process runs)


class _Controller:
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
        self.preflight = False  # cases will run: check the endpoint first
        self.stopped = False  # a case was not run: --max-time was reached

    @pytest.hookimpl(tryfirst=True)  # before xdist starts its workers
    def pytest_sessionstart(self) -> None:
        if not self.preflight:
            return
        env = self.config.getoption("conformance_env") or DEFAULT_ENV
        down = preflight.endpoint_down(env, self.config.getoption("conformance_endpoint"))
        if down:
            pytest.exit(down, returncode=preflight.EXIT_ENDPOINT_DOWN)

    def check_writable(self, *, usage_error: bool) -> None:
        try:
            ReportSession.folder_only(self.report_dir).check_writable()
        except ReportDirError as exc:
            if usage_error:
                raise pytest.UsageError(str(exc)) from None
            pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)

    def clear_bundles(self) -> None:
        ReportSession.folder_only(self.report_dir).clear_bundles()

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if not self.config.option.collectonly and any(
            isinstance(item, collect.CaseItem) for item in items
        ):
            self.check_writable(usage_error=False)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, _WIRE, None)
        if data is None:
            return
        outcome: CaseOutcome = wire.outcome_from_wire(data)
        self.environment = self.environment or getattr(report, _ENV)
        reason = ""
        if outcome.outcome in (NOT_TRIGGERABLE, NOT_RUN) and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")  # the skip message
        self.stopped = self.stopped or outcome.outcome == NOT_RUN
        self.results.append(
            coverage.CaseResult(outcome.case_id, outcome.code or None, outcome.outcome, reason)
        )
        self._print_live(outcome)
        self.sla_samples += outcome.sla_samples
        if not outcome.sla_sample and outcome.exchanges:
            self.sla_excluded.append(outcome.case_id)
        if self.reports is None:
            self.reports = self._report_session()
        self.reports.case_finished(outcome)

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
            session.exitstatus = SLA_VIOLATED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.rows is None:
            return
        declared = self.environment["not_triggerable"] if self.environment else {}
        skipped = coverage.not_triggerable_lines(self.results, declared)
        if skipped:  # printed by conformance run too: it asks for no code summary only
            terminalreporter.section("not triggerable here")
            for line in skipped:
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
