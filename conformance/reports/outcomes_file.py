"""``outcomes.jsonl``: one JSON object per case, written as each case finishes.

It is the structured record of a run, which the self-check and the certification read (never
the JUnit or Allure text). Each line holds ``case_id``, ``title``, ``operation``, ``code``,
``outcome`` (passed | failed | deviation | not-triggerable | not-run), ``client_role``,
``tss``, ``decision`` (the one the expected outcome rests on, if any), ``reason`` (why a case
did not run), ``crashed`` (true when a case broke before its checks), ``duration_s``, and
``failures``, ``deviations`` and ``warnings``: lists of
``{rule, authority: {kind, ref}, title, expected, received, category, warning}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.harness.checks import CheckFailure
from conformance.harness.outcome import CaseOutcome

OUTCOMES_FILE = "outcomes.jsonl"
ERROR = "error"  # the line of a case file that could not be collected (its cases never ran)


def failure_record(failure: CheckFailure) -> dict[str, Any]:
    return {
        "rule": failure.rule,
        "authority": failure.authority.as_dict(),
        "title": failure.title,
        "expected": failure.expected,
        "received": failure.received,
        "category": failure.category,
        "warning": failure.warning,
    }


def record(outcome: CaseOutcome, *, reason: str = "") -> dict[str, Any]:
    return {
        "case_id": outcome.case_id,
        "title": outcome.title,
        "operation": outcome.operation,
        "code": outcome.code,
        "outcome": outcome.outcome,
        "client_role": outcome.client_role,
        "tss": outcome.tss_ref,
        "decision": outcome.decision,
        "reason": reason,
        "crashed": bool(outcome.crash),
        "duration_s": round(outcome.duration_s, 3),
        "failures": [failure_record(f) for f in outcome.failures],
        "deviations": [failure_record(f) for f in outcome.deviations],
        "warnings": [failure_record(f) for f in outcome.warnings],
    }


def collection_error(nodeid: str, reason: str) -> dict[str, Any]:
    return {"case_id": nodeid, "outcome": ERROR, "reason": reason, "crashed": False}


def clear(report_dir: Path) -> None:
    """Before a run: an earlier run's lines must never be read as this one's."""
    (report_dir / OUTCOMES_FILE).unlink(missing_ok=True)


def append(report_dir: Path, line: dict[str, Any]) -> None:
    """Add one case's line now, so an interrupted run keeps what it gathered."""
    report_dir.mkdir(parents=True, exist_ok=True)
    with (report_dir / OUTCOMES_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def read(report_dir: Path) -> list[dict[str, Any]]:
    """Every line of the run's ``outcomes.jsonl`` (FileNotFoundError when the run wrote none)."""
    text = (report_dir / OUTCOMES_FILE).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]
