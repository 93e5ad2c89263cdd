"""The pytest plugin (``pytest11`` entry point). It does nothing until asked.

A run is a conformance run when ``--conformance`` or another option of this plugin is given
(``conformance run`` always gives them). Otherwise the plugin only adds its options: it collects
nothing, registers no marker and no Hypothesis setting, writes no report and starts no service,
so a project sharing the virtual environment runs as without it (docs/architecture.md, "The
plugin is opt-in"). This module imports pytest only; the hooks of a conformance run live in
``harness/hooks.py``, imported and registered here when the run asks for them.
"""

from __future__ import annotations

import pytest

from conformance.paths import DEFAULT_REPORT_DIR  # a constant; paths imports pathlib only

DEFAULT_ENV = "reference"
HOOKS = "conformance-hooks"  # the name the run's hooks are registered under

# The options (dests) that ask for a conformance run by being given.
_OPT_IN = (
    "conformance",
    "conformance_env",
    "conformance_endpoint",
    "conformance_defect",
    "conformance_report_dir",
    "conformance_mask_ssin",
    "conformance_allow_partial",
    "conformance_sla",
    "conformance_max_time",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "ForeignerSituationService v1 conformance cases")
    group.addoption(
        "--conformance",
        dest="conformance",
        action="store_true",
        help="collect and run the YAML cases under cases/ folders (any option below implies it)",
    )
    group.addoption(
        "--env",
        dest="conformance_env",
        default=None,
        metavar="NAME|PATH",
        help=f"environment: a built-in name ({DEFAULT_ENV}, the default) or an environment file",
    )
    group.addoption(
        "--endpoint",
        dest="conformance_endpoint",
        default=None,
        metavar="URL",
        help="send every request to URL instead of the environment's endpoint",
    )
    group.addoption(
        "--defect",
        dest="conformance_defect",
        default=None,
        metavar="NAME",
        help="start the embedded reference with one deliberate defect (conformance selfcheck)",
    )
    group.addoption(
        "--report-dir",
        dest="conformance_report_dir",
        default=None,
        metavar="DIR",
        help=f"where reports and coverage.json go (default: {DEFAULT_REPORT_DIR}/)",
    )
    group.addoption(
        "--mask-ssin",
        dest="conformance_mask_ssin",
        action="store_true",
        help="mask every NISS in the reports",
    )
    group.addoption(
        "--allow-partial",
        dest="conformance_allow_partial",
        action="store_true",
        help="do not fail the run when a TSS code is not exercised (e.g. with -m)",
    )
    group.addoption(
        "--sla",
        dest="conformance_sla",
        action="store_true",
        help="fail the run (exit 7) when the TSS 7 SLA is violated (sla.json says why)",
    )
    group.addoption(
        "--max-time",
        dest="conformance_max_time",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="stop the run cleanly after SECONDS: cases not started are reported not-run, the "
        "reports are written, exit code 8 (default: the environment file's max_time)",
    )
    group.addoption(
        "--no-code-summary",
        dest="conformance_no_summary",
        action="store_true",
        help="do not print the per-code summary (conformance run prints its own)",
    )


def _seconds(text: str) -> float:
    value = float(text)  # a ValueError is pytest's usage error, naming the option
    if value <= 0:
        raise ValueError(text)
    return value


def is_conformance_run(config: pytest.Config) -> bool:
    return any(config.getoption(dest, None) for dest in _OPT_IN)


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's own, which loads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    if not is_conformance_run(config) or config.pluginmanager.has_plugin(HOOKS):
        return
    from conformance.harness import hooks

    # pytest_configure is historic: registering now runs the hooks' own at once.
    config.pluginmanager.register(hooks, HOOKS)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """A conformance run stops here, before any session starts, when its client certificate
    cannot be opened or its endpoint is down."""
    if not is_conformance_run(config):
        return None
    from conformance.harness import hooks

    return hooks.stop_before_cases(config)
