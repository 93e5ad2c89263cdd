"""The hooks of a conformance run, registered by ``conformance/plugin.py`` only when the run asks
for one (so importing this module is allowed to be heavy). Collection lives in
``harness/collect.py``, running a case in ``harness/execute.py``, and the run as a whole
(outcomes, coverage, SLA, reports, exit status) in ``harness/run_controller.py``.

With xdist, each worker runs cases with its own environment (built once per worker); every case
report carries its outcome to the controller, which alone aggregates coverage and writes reports.
Generated cases take their Hypothesis settings from :func:`hypothesis_profiles.for_cases`, per
item: the process's Hypothesis default is left as it is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance import hypothesis_profiles, tables
from conformance.harness import collect, execute, preflight, runtime, wire
from conformance.harness.environment import Environment
from conformance.harness.environment.summary import environment_summary
from conformance.harness.outcome import FAILED
from conformance.harness.run_controller import RunController
from conformance.hypothesis_profiles import ENV_VAR
from conformance.paths import DEFAULT_REPORT_DIR
from conformance.plugin import DEFAULT_ENV
from conformance.reports import live
from conformance.reports.masking import Masker
from conformance.reports.session import ReportDirError, ReportSession


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
        controller = RunController(config, _report_dir(config))
        # A folder that cannot be written stops the run before anything runs (under xdist the
        # controller collects nothing, so the arguments tell whether cases will run).
        if _runs_cases(config):
            controller.check_writable(usage_error=True)
            controller.clear_bundles()  # an earlier run's bundles would outlive a fix
        config.pluginmanager.register(controller, "conformance-controller")


def _report_dir(config: pytest.Config) -> Path:
    return Path(config.getoption("conformance_report_dir") or DEFAULT_REPORT_DIR).resolve()


def _runs_cases(config: pytest.Config) -> bool:
    # --collect-only writes nothing, so it neither checks nor clears the folder.
    explicit = config.getoption("conformance_report_dir")
    return bool(explicit or collect.names_cases(config.args)) and not config.option.collectonly


# What pytest shows instead of running a session (help, fixtures, markers, the cache).
_INFORMATIONAL = (
    "help",
    "version",
    "markers",
    "showfixtures",
    "show_fixtures_per_test",
    "cacheshow",
)


def stop_before_cases(config: pytest.Config) -> int | None:
    """From ``pytest_cmdline_main``, before any session (and before xdist starts workers): a
    CA bundle or client certificate that cannot be opened stops the run with exit code 4, an
    endpoint that is down (the preflight, ``harness/preflight.py``) with 6; either with one
    line on stderr. (``pytest.exit`` from a session hook prints its reason three times, once
    in a banner naming pytest's internal exception.)"""
    if hasattr(config, "workerinput") or not _runs_cases(config):
        return None
    if any(getattr(config.option, name, None) for name in _INFORMATIONAL):
        return None
    try:
        ReportSession.folder_only(_report_dir(config)).check_writable()
    except ReportDirError:
        return None  # pytest_configure refuses the folder: exit 4 comes first
    env = config.getoption("conformance_env") or DEFAULT_ENV
    stop = preflight.before_cases(env, config.getoption("conformance_endpoint"))
    if stop is None:
        return None
    code, line = stop
    sys.stderr.write(f"conformance: {line}\n")
    return code


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
        outcome.outcome, outcome.crash = FAILED, str(report.longrepr)
    summary = environment_summary(_environment(item.config))
    masking = item.config.getoption("conformance_mask_ssin")
    # Scrubbed here already, not only by the controller's final pass: a run killed outright
    # must not leave a password in an attachment.
    secrets = [os.environ.get(name, "") for name in summary["secret_env_vars"]]
    live.attach_outcome(
        outcome, mask=Masker(summary["known_ssins"]) if masking else None, secrets=secrets
    )
    setattr(report, wire.OUTCOME_ATTR, wire.outcome_to_wire(outcome))
    setattr(report, wire.ENVIRONMENT_ATTR, summary)
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    runtime.close_runtime(config)
    if config.getoption("conformance_report_dir"):
        set_hypothesis_home_dir(None)  # back to Hypothesis's default (in-process runs)


def _environment(config: pytest.Config) -> Environment:
    try:
        return runtime.runtime_for(config).environment
    except runtime.RuntimeStartError:  # each case failed saying why; the files were loaded
        return runtime.environment_for(config)
