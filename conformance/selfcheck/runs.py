"""One self-check run: the case catalogue in a subprocess, against the clean reference or one
deliberate defect, read back from its JUnit file.

A subprocess per run isolates each defect completely (its own embedded service, PKI, pytest
session and Hypothesis state). What the run proved is read only from ``junit.xml``:

- a ``<failure>`` whose text is the failure formatter's (``harness/failures.py``: it begins
  ``FAILED: `` and lists numbered entries) is a case the checks FAILED: only these can catch a
  defect;
- any other ``<failure>`` (a traceback: the case crashed), any ``<error>`` (collection or setup),
  a missing JUnit file, an unexpected exit code or a timeout make the run BROKEN. A broken run
  never counts as a kill, whatever else failed in it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conformance.hypothesis_profiles import SELFCHECK
from conformance.reports.session import JUNIT_FILE
from conformance.xmlsafe import UntrustedXMLError, parse_untrusted

CLEAN = "clean"  # the run against the faithful reference
_FORMATTER_HEAD = "FAILED: "  # harness/failures.py: the title line of a failed exchange
_ENTRY = re.compile(r"^\d+\. ")
_JUNIT_MAX_BYTES = 64 * 1024 * 1024
# pytest exit codes of a run that went to the end: 0 all passed, 1 some case failed.
_COMPLETED = (0, 1)


@dataclass(frozen=True)
class CaseFailure:
    """A case the checks failed: its id, the failure's title line and its numbered entries."""

    case_id: str
    title: str
    entries: tuple[str, ...] = ()

    def matches(self, signature: Sequence[str]) -> bool:
        """True when every fragment of ``signature`` appears in one and the same entry."""
        return self.evidence(signature) is not None

    def evidence(self, signature: Sequence[str]) -> str | None:
        """The first entry holding every fragment of ``signature``, on one line (None if none):
        what a reader checks to judge that the failure names the real problem."""
        if not signature:
            return None
        for entry in self.entries:
            if all(fragment in entry for fragment in signature):
                head, *rest = entry.splitlines()
                return "; ".join([_ENTRY.sub("", head, count=1), *rest])
        return None


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
    (report_dir / JUNIT_FILE).unlink(missing_ok=True)
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
    read_junit(report_dir / JUNIT_FILE, result)
    return result


def read_junit(path: Path, result: RunResult) -> None:
    """Fill ``result`` from a JUnit file: passed count, check failures and broken cases."""
    try:
        root = parse_untrusted(path.read_bytes(), max_bytes=_JUNIT_MAX_BYTES)
    except FileNotFoundError:
        result.problems.append(f"no {path.name} written")
        return
    except UntrustedXMLError as exc:
        result.problems.append(f"{path.name} unreadable: {exc.reason}")
        return
    for case in root.iter("testcase"):
        case_id = case.get("name", "?")
        outcome = next((child for child in case if child.tag in ("failure", "error")), None)
        if outcome is None:
            if case.find("skipped") is None:
                result.passed += 1
            continue
        text = outcome.text or outcome.get("message") or ""
        if outcome.tag == "failure" and text.startswith(_FORMATTER_HEAD):
            result.failures.append(CaseFailure(case_id, text.splitlines()[0], entries(text)))
        else:
            first = (outcome.get("message") or text or "").strip().splitlines()
            what = "crashed" if outcome.tag == "failure" else "error"
            result.problems.append(f"{case_id}: {what}: {first[0] if first else '(no message)'}")


def entries(failure_text: str) -> tuple[str, ...]:
    """The numbered entries of a formatter text (title, Expected, Received, details), without
    the warnings, the response or the reproduction block: only what the checks said."""
    found: list[list[str]] = []
    for line in failure_text.splitlines()[1:]:
        if _ENTRY.match(line):
            found.append([line])
        elif line.startswith(" ") and found:
            found[-1].append(line.strip())
        else:
            break  # "Warnings:" or the "Response ..." heading: the entries are over
    return tuple("\n".join(lines) for lines in found)
