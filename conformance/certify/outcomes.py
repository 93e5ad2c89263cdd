"""The verdict of each case of a finished run, read from its report folder (one function).

:func:`case_verdicts` reads ``outcomes.jsonl`` (one JSON object per case, with the rule ids and
authorities of its failures) when the run wrote one, else the Allure results every run writes
(case id, code, status, the failure category): then rule ids are not known and are ``None``.
Nothing here parses the rendered failure text beyond its first line, shown as a title.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.reports.session import RESULTS_DIR

OUTCOMES_FILE = "outcomes.jsonl"
PASSED, FAILED, DEVIATION, NOT_TRIGGERABLE = "passed", "failed", "deviation", "not-triggerable"
_ALLURE_STATUS = {"passed": PASSED, "failed": FAILED, "broken": FAILED, "skipped": NOT_TRIGGERABLE}


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
    """Case id -> verdict, from ``outcomes.jsonl`` if the run wrote it, else Allure results."""
    outcomes = report_dir / OUTCOMES_FILE
    if outcomes.is_file():
        return _from_outcomes(outcomes)
    return _from_allure(report_dir / RESULTS_DIR)


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


def _from_allure(results: Path) -> dict[str, Verdict]:
    found: dict[str, Verdict] = {}
    for path in sorted(results.glob("*-result.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        labels = {label["name"]: label["value"] for label in data.get("labels", [])}
        case_id = labels.get("case_id")
        if not case_id:
            continue
        outcome = _ALLURE_STATUS.get(str(data.get("status")), FAILED)
        message = str((data.get("statusDetails") or {}).get("message") or "").strip()
        first = message.splitlines()[0].removeprefix("Failed: ") if message else ""
        failures = []
        if outcome == FAILED:
            category = labels.get("failure_category", "")
            failures = [{"rule": None, "authority": None, "title": first, "category": category}]
        found[case_id] = Verdict(
            case_id=case_id,
            title=str(data.get("name", "")).removeprefix(f"{case_id}: "),
            operation=labels.get("feature", ""),
            code=labels.get("story", ""),
            outcome=outcome,
            failures=failures,
            reason=first if outcome == NOT_TRIGGERABLE else "",
            duration_s=round((int(data.get("stop", 0)) - int(data.get("start", 0))) / 1000, 3),
        )
    return found
