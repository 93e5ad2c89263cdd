"""harness/budget.py: ``--max-time`` (or the environment's ``max_time``) bounds a whole run.
Once spent, cases not started are reported not-run with the reason, a generated case stops
before its next example, the reports are written and the run exits 8."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import paths, tables
from conformance.harness import execute
from conformance.harness.budget import Budget
from conformance.harness.cases import Case, load_file
from conformance.harness.outcome import NOT_RUN, PASSED
from conformance.harness.runtime import Runtime, open_runtime


def test_a_budget_is_spent_after_its_seconds_only() -> None:
    assert not Budget().spent()  # unbounded
    assert not Budget(3600).spent()
    assert Budget(1, started=time.monotonic() - 2).spent()
    assert Budget(90).reason() == "not run: the run's --max-time of 90 s was reached"


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    runtime = open_runtime("reference")
    yield runtime
    runtime.close()


def _case(runtime: Runtime, name: str, case_id: str) -> Case:
    env = runtime.environment
    cases = load_file(
        paths.cases_dir() / name,
        codes=set(tables.all_codes()),
        clients=set(env.clients),
        persons=set(env.persons),
    )
    return next(case for case in cases if case.id == case_id)


@dataclasses.dataclass(frozen=True)
class _SpentAfter(Budget):
    """Spent from its ``calls``-th question on (no clock in the test)."""

    asked: list[int] = dataclasses.field(default_factory=list)
    calls: int = 1

    def spent(self) -> bool:
        self.asked.append(1)
        return len(self.asked) > self.calls


def test_a_case_not_started_is_not_run(runtime: Runtime) -> None:
    sent: list[object] = []
    runtime.transport.add_recorder(sent.append)
    runtime.budget = _SpentAfter(60, calls=0)
    try:
        outcome = execute.run_case(_case(runtime, "properties.yaml", "gen-bis"), runtime)
    finally:
        runtime.budget = Budget()
    assert outcome.outcome == NOT_RUN and not outcome.exchanges and not sent


def test_a_generated_case_stops_before_its_next_example(runtime: Runtime) -> None:
    sent: list[object] = []
    runtime.transport.add_recorder(sent.append)
    case = _case(runtime, "properties.yaml", "gen-bis")
    # Spent after run_case's own question and three examples.
    runtime.budget = _SpentAfter(60, calls=4)
    try:
        outcome = execute.run_case(case, runtime, seed=1)
    finally:
        runtime.budget = Budget()
    assert outcome.outcome == NOT_RUN
    assert len(sent) == 3
    assert execute.run_case(case, runtime, seed=1).outcome == PASSED  # unbounded: the whole case


@pytest.mark.slow
def test_a_run_stopped_at_max_time_writes_its_reports_and_exits_8(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--report-dir", "out",
         "--max-time", "0.001"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 8, result.stdout[-3000:] + result.stderr[-2000:]
    assert (tmp_path / "out" / "junit.xml").is_file()
    rows = json.loads((tmp_path / "out" / "coverage.json").read_text())
    assert {row["outcome"] for row in rows} == {"not-run"}
    reason = "not run: the run's --max-time of 0.001 s was reached"
    assert {row["reason"] for row in rows} == {reason}
    assert reason in result.stdout and " passed" not in result.stdout
