"""``sla-history.jsonl``: one line of SLA figures per run, for the nightly trend.

It lives in the report folder beside the run's files and is only ever appended to: a run
clears its own results (``allure-results/``, ``coverage.json``), never this file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.sla.compute import SlaReport
from conformance.sla.samples import OK, SUPPLIER

HISTORY_FILE = "sla-history.jsonl"
TREND_RUNS = 10  # sla.md states availability over this many last runs


def entry(report: SlaReport, *, kind: str) -> dict[str, Any]:
    """The history line of one run (``kind``: "run" or "load")."""
    results = report.overall.results
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": kind,
        "verdict": report.verdict,
        "samples": report.overall.requests,
        "p90_s": report.overall.client.percentiles.get("p90"),
        "p95_s": report.overall.client.percentiles.get("p95"),
        "availability_percent": report.availability_percent,
        # Counts, so that availability over several runs is pooled, not an average of averages.
        "available": results.get(OK, 0),
        "counted": report.overall.requests - results.get(SUPPLIER, 0),
    }


def append(report_dir: Path, line: dict[str, Any]) -> list[dict[str, Any]]:
    """Append one run's line; return the whole history, oldest first."""
    path = report_dir / HISTORY_FILE
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True) + "\n")
    return read(report_dir)


def read(report_dir: Path) -> list[dict[str, Any]]:
    """Every readable line; a line that is not a JSON object (a torn write) is skipped."""
    path = report_dir / HISTORY_FILE
    if not path.is_file():
        return []
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            lines.append(data)
    return lines


def pooled_availability(history: list[dict[str, Any]], runs: int = TREND_RUNS) -> float | None:
    """Availability over the last ``runs`` runs, pooled over their requests."""
    recent = history[-runs:]
    counted = sum(int(line.get("counted") or 0) for line in recent)
    available = sum(int(line.get("available") or 0) for line in recent)
    return 100 * available / counted if counted else None
