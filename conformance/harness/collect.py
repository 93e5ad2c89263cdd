"""pytest collection of YAML cases: one :class:`CaseFile` per file, one :class:`CaseItem` per case.

Which files are cases: every ``*.yaml``/``*.yml`` file inside a folder named ``cases`` (at any
depth below it), except those under an ``environments`` folder (environment files live there).
The shipped catalogue is ``conformance.paths.cases_dir()``.

Only public pytest API is used (no ``_pytest.*``), and an item holds nothing but its
:class:`~conformance.harness.cases.Case` (plain data), so items work under xdist.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import contract, roles, tables
from conformance.harness import execute, runtime
from conformance.harness.cases import RAW, Case, CaseFileError, load_file
from conformance.harness.failures import junit_line, outcome_text
from conformance.harness.outcome import DEVIATION, FAILED, NOT_RUN, NOT_TRIGGERABLE, CaseOutcome
from conformance.harness.triggerable import not_triggerable_reason

CASES_FOLDER = "cases"
EXCLUDED_FOLDER = "environments"
SUFFIXES = (".yaml", ".yml")


def is_case_file(path: Path) -> bool:
    """True for YAML files under a ``cases`` folder and not under ``environments``."""
    if path.suffix not in SUFFIXES:
        return False
    folders = path.parent.parts
    return CASES_FOLDER in folders and EXCLUDED_FOLDER not in folders[folders.index(CASES_FOLDER) :]


def case_folder_problem(path: Path) -> str | None:
    """Why ``path`` (a ``--cases`` argument) would collect no case, or None when it holds one:
    pytest alone would only say "no tests ran"."""
    if not path.exists():
        return "no such file or folder"
    candidates = [path] if path.is_file() else path.rglob("*")
    if any(p.suffix in SUFFIXES and is_case_file(p.resolve()) for p in candidates):
        return None
    return (
        f"no case file: cases are {' or '.join('*' + s for s in SUFFIXES)} files under a folder "
        f"named '{CASES_FOLDER}' (not under '{EXCLUDED_FOLDER}'); put them in such a folder"
    )


def names_cases(args: list[str]) -> bool:
    """True when pytest's arguments point at case files (a case file or a ``cases`` folder, or
    a folder holding one)."""
    for arg in args:
        path = Path(arg.split("::")[0]).resolve()
        if CASES_FOLDER in path.parts or (path / CASES_FOLDER).is_dir() or is_case_file(path):
            return True
    return False


def operation_markers() -> tuple[str, ...]:
    """A case carries its operation as a marker (``-m consultSpecialInfos``)."""
    return (*contract.operation_names(), RAW)


def register_marker(config: pytest.Config, name: str, help_text: str) -> None:
    """Register a marker once, so ``--strict-markers`` accepts it."""
    known = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    if name not in known:
        config.addinivalue_line("markers", f"{name}: {help_text}")


class CaseFile(pytest.File):
    """A YAML case file; a refused file is one collection error naming file and line."""

    def collect(self) -> Iterator[CaseItem]:
        try:  # loaded, not started: collection starts nothing
            environment = runtime.environment_for(self.config)
        except runtime.RuntimeStartError as exc:
            raise self.CollectError(f"{self.path}: {exc}") from None
        try:
            cases = load_file(
                self.path,
                codes=set(tables.all_codes()),
                clients=set(environment.clients),
                persons=set(environment.persons),
                # A role outside the environment but in the vocabulary is not a typo: the
                # environment cannot play it (e.g. acceptance has no simulated supplier failure).
                vocabulary=roles.vocabulary(),
            )
        except CaseFileError as exc:
            # One refused file must not stop the others (a run still reports every other case).
            self.config.option.continue_on_collection_errors = True
            raise self.CollectError(str(exc)) from None
        for case in cases:
            yield CaseItem.from_parent(self, name=case.id, case=case)


class CaseItem(pytest.Item):
    """One case, run by :func:`execute.run_case`; a failure shows the formatter's text only."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.outcome: CaseOutcome | None = None
        marks = [case.operation, *([case.code] if case.code else []), *case.markers]
        for mark in marks:
            register_marker(self.config, mark, "declared by a YAML case")
            self.add_marker(mark)

    def runtest(self) -> None:
        shared = runtime.runtime_for(self.config)
        self.outcome = execute.run_case(self.case, shared, seed=_seed(self.config))
        if self.outcome.outcome == NOT_TRIGGERABLE:
            reason = not_triggerable_reason(self.case, shared.environment)
            pytest.skip(f"{self.case.code or 'case'} not triggerable in this environment: {reason}")
        if self.outcome.outcome == NOT_RUN:
            pytest.skip(shared.budget.reason())
        for failure in self.outcome.failures:  # JUnit <properties>: the authority of each one
            self.user_properties.append(("failure", junit_line(failure)))
        if self.outcome.outcome == FAILED:
            pytest.fail(outcome_text(self.outcome), pytrace=False)
        if self.outcome.outcome == DEVIATION:
            # A passed testcase: CI tools paint failures red and break the build, and a deviation
            # is not a failure; its properties and output say what the endpoint did instead.
            for deviation in self.outcome.deviations:
                self.user_properties.append(("deviation", junit_line(deviation)))
            sys.stdout.write(outcome_text(self.outcome))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        # The formatter's text is the whole message: no "Failed:" prefix, no traceback.
        if isinstance(excinfo.value, pytest.fail.Exception) and not excinfo.value.pytrace:
            return excinfo.value.msg
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(self.case.line - 1, 0), f"{self.case.id}: {self.case.title}"


def _seed(config: pytest.Config) -> int | str | None:
    # Hypothesis's own pytest option, so `--hypothesis-seed=N` reproduces a generated case.
    try:
        raw = config.getoption("hypothesis_seed")
    except ValueError:
        return None
    if raw is None:
        return None
    text = str(raw)
    return int(text) if text.isdigit() else text
