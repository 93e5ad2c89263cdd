"""One self-check run: the case catalogue in a subprocess, against the clean reference or one
deliberate defect, read back from its ``outcomes.jsonl`` (``reports/outcomes_file.py``).

A subprocess per run isolates each defect completely (its own embedded service, PKI, pytest
session and Hypothesis state). What the run proved is read only from the structured outcomes,
never from rendered text:

- a ``failed`` (or ``deviation``) case with check failures is a case the checks FAILED: only
  these can catch a defect, and a defect's signature names the rule id that must be broken;
- a case that crashed before its checks, a missing or unreadable ``outcomes.jsonl``, a refused
  case file, an unexpected exit code or a timeout make the run BROKEN. A broken run never counts
  as a kill, whatever else failed in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.harness.outcome import DEVIATION, FAILED, PASSED
from conformance.hypothesis_profiles import SELFCHECK
from conformance.reports import outcomes_file

CLEAN = "clean"  # the run against the faithful reference
# pytest exit codes of a run that went to the end: 0 all passed, 1 some case failed.
_COMPLETED = (0, 1)


@dataclass(frozen=True)
class CaseFailure:
    """A case the checks failed: its id, a title line and its failures as data (the
    ``outcomes.jsonl`` records: rule, authority, title, expected, received, category)."""

    case_id: str
    title: str
    failures: tuple[Mapping[str, Any], ...] = ()

    def matches(self, signature: Sequence[str]) -> bool:
        """True when one failure breaks the signature's rule (its first item) and holds every
        other fragment in its title, expected, received or authority."""
        return self.evidence(signature) is not None

    def evidence(self, signature: Sequence[str]) -> str | None:
        """The first failure matching ``signature``, on one line (None if none): what a reader
        checks to judge that the failure names the real problem."""
        if not signature:
            return None
        rule, *fragments = signature
        for failure in self.failures:
            if failure.get("rule") != rule:
                continue
            line = describe(failure)
            if all(fragment in line for fragment in fragments):
                return line
        return None


def describe(failure: Mapping[str, Any]) -> str:
    """One failure record as one line: title, rule and authority, Expected, Received."""
    authority = failure.get("authority") or {}
    return (
        f"{failure.get('title')} ({authority.get('kind')} {authority.get('ref')}; "
        f"rule {failure.get('rule')}); Expected: {failure.get('expected')}; "
        f"Received: {failure.get('received')}"
    )


@dataclass
class RunResult:
    """What one run of the catalogue showed."""

    name: str  # CLEAN or a defect name
    report_dir: Path
    exit_code: int | None = None  # None: killed at the timeout
    duration_s: float = 0.0
    passed: int = 0
    failures: list[CaseFailure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why the run is broken; empty when not

    @property
    def broken(self) -> bool:
        return bool(self.problems)


def command(name: str, report_dir: Path, cases: Path | None = None) -> list[str]:
    """The ``conformance run`` command line of one self-check run."""
    argv = [sys.executable, "-m", "conformance.cli", "run", "--report-dir", str(report_dir)]
    if name != CLEAN:
        argv += ["--defect", name]
    if cases is not None:
        argv += ["--cases", str(cases)]
    return argv


def run_one(
    name: str, report_dir: Path, log: Path, *, timeout_s: float, cases: Path | None = None
) -> RunResult:
    """Run the catalogue once (clean or with defect ``name``) and read its JUnit file; the
    subprocess's output goes to ``log``.

    A defect's ``report_dir`` is emptied first, and the clean run's JUnit file removed: a
    previous run's files must never be read as this one's.
    """
    if name != CLEAN:
        shutil.rmtree(report_dir, ignore_errors=True)
    outcomes_file.clear(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    result = RunResult(name, report_dir)
    # The selfcheck Hypothesis profile: no shrinking (a kill needs a failing example only).
    env = {**os.environ, "HYPOTHESIS_PROFILE": SELFCHECK}
    t0 = time.perf_counter()
    with log.open("wb") as out:
        try:
            done = subprocess.run(
                command(name, report_dir, cases),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                timeout=timeout_s,
                check=False,
            )
            result.exit_code = done.returncode
        except subprocess.TimeoutExpired:  # subprocess.run has killed the child
            result.problems.append(f"timed out after {timeout_s:.0f} s (see {log})")
    result.duration_s = time.perf_counter() - t0
    if result.exit_code is not None and result.exit_code not in _COMPLETED:
        result.problems.append(f"conformance run exited {result.exit_code} (see {log})")
    read_outcomes(report_dir, result)
    return result


def read_outcomes(report_dir: Path, result: RunResult) -> None:
    """Fill ``result`` from the run's ``outcomes.jsonl``: passed count, check failures and
    broken cases."""
    try:
        lines = outcomes_file.read(report_dir)
    except FileNotFoundError:
        result.problems.append(f"no {outcomes_file.OUTCOMES_FILE} written")
        return
    except (OSError, ValueError) as exc:
        result.problems.append(f"{outcomes_file.OUTCOMES_FILE} unreadable: {exc}")
        return
    for line in lines:
        case_id = str(line.get("case_id", "?"))
        if line.get("outcome") == outcomes_file.ERROR:
            result.problems.append(f"{case_id}: error: {line.get('reason') or '(no reason)'}")
        elif line.get("crashed"):
            result.problems.append(f"{case_id}: crashed before its checks ran")
        elif line.get("outcome") == PASSED:
            result.passed += 1
        elif line.get("outcome") in (FAILED, DEVIATION):
            found = (*line.get("failures", ()), *line.get("deviations", ()))
            head = describe(found[0]) if found else "(no failure recorded)"
            result.failures.append(CaseFailure(case_id, head, tuple(found)))
