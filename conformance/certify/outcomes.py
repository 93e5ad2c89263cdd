"""The verdict of each case of a finished run, read from its report folder (one function).

:func:`case_verdicts` reads ``outcomes.jsonl`` (``reports/outcomes_file.py``: one JSON object per
case, with the rule ids and authorities of its failures and deviations). Nothing here reads
rendered failure text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.harness.outcome import DEVIATION, FAILED, NOT_TRIGGERABLE, PASSED
from conformance.reports.outcomes_file import OUTCOMES_FILE

__all__ = ["DEVIATION", "FAILED", "NOT_TRIGGERABLE", "OUTCOMES_FILE", "PASSED", "Verdict"]


@dataclass(frozen=True)
class Verdict:
    case_id: str
    title: str
    operation: str
    code: str
    outcome: str  # passed | failed | deviation | not-triggerable
    failures: list[dict[str, Any]] = field(default_factory=list)  # rule, authority, title, ...
    deviations: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""  # why a case did not run
    duration_s: float = 0.0


def case_verdicts(report_dir: Path) -> dict[str, Verdict]:
    """Case id -> verdict, from the run's ``outcomes.jsonl`` (FileNotFoundError without one)."""
    return _from_outcomes(report_dir / OUTCOMES_FILE)


def _failure(data: dict[str, Any]) -> dict[str, Any]:
    kept = ("rule", "authority", "title", "category", "warning")
    return {key: data.get(key) for key in kept}


def _from_outcomes(path: Path) -> dict[str, Verdict]:
    found: dict[str, Verdict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        found[str(data["case_id"])] = Verdict(
            case_id=str(data["case_id"]),
            title=str(data.get("title", "")),
            operation=str(data.get("operation", "")),
            code=str(data.get("code") or ""),
            outcome=str(data["outcome"]),
            failures=[_failure(f) for f in data.get("failures", [])],
            deviations=[_failure(f) for f in data.get("deviations", [])],
            reason=str(data.get("reason") or ""),
            duration_s=round(float(data.get("duration_s") or 0.0), 3),
        )
    return found
