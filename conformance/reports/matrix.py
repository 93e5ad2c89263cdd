"""The return-code coverage matrix a person reads: ``coverage.md``.

It renders the rows of ``coverage.json`` (written by the harness: ``{code, kind, description,
cases, outcome, reason?}``), one per code of both TSS tables (§6 "Code retour"), with the
meaning taken from :mod:`conformance.tables`. A code of the tables that has no row (a run cut
short) is listed as not-run, so an interrupted run still shows what was not covered.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from conformance.harness.outcome import NOT_RUN

_ICON = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    # exercised only by cases that broke nothing but our decisions (docs/decisions.md)
    "deviation": "🔶 deviation (decision)",
    "not-run": "⏸ not run",
    "not-triggerable": "⚠ not triggerable",
}


def table_codes() -> dict[str, dict[str, str]]:
    """``{code: {kind, description}}`` for every code of both TSS tables, in table order."""
    from conformance import tables

    rows: dict[str, dict[str, str]] = {}
    getters = (("business", tables.business_codes), ("technical", tables.technical_codes))
    for kind, getter in getters:
        for code, row in getter().items():
            rows[code] = {"kind": kind, "description": str(getattr(row, "description", ""))}
    return rows


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Rows from a ``coverage.json``; a clear ValueError when the file is not such a list."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable coverage.json ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) and "code" in r for r in data):
        raise ValueError(f"{path}: expected a JSON list of objects with a 'code'")
    return data


def complete_rows(
    rows: Iterable[Mapping[str, Any]], codes: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """The given rows in table order, the descriptions from the tables, missing codes not-run."""
    by_code = {str(r["code"]): dict(r) for r in rows}
    result = []
    for code, info in codes.items():
        row = by_code.pop(
            code,
            {"code": code, "cases": [], "outcome": NOT_RUN, "reason": "no case ran for this code"},
        )
        row["kind"] = info["kind"]
        row["description"] = info["description"] or row.get("description", "")
        result.append(row)
    for row in by_code.values():  # a code outside the tables: keep it visible
        row.setdefault("kind", "unknown")
        result.append(row)
    return result


def render(
    rows: list[dict[str, Any]],
    *,
    interrupted: bool = False,
    bundles: Mapping[str, str] | None = None,
    heading: str = "Return-code coverage",
) -> str:
    """Markdown: a summary line and one table row per code. ``bundles`` maps a failed case id
    to its bundle folder (relative to the matrix) so the reader can open it."""
    bundles = bundles or {}
    counts = Counter(str(r.get("outcome", NOT_RUN)) for r in rows)
    lines = [f"# {heading}", ""]
    if interrupted:
        lines += ["**The run was interrupted**: codes not reached are listed as not run.", ""]
    summary = ", ".join(f"{counts[k]} {k}" for k in _ICON if counts[k])
    lines += [f"{len(rows)} codes: {summary}.", ""]
    lines += [
        "| code | kind | meaning (TSS §6) | cases | outcome |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        outcome = str(row.get("outcome", NOT_RUN))
        shown = _ICON.get(outcome, outcome)
        if row.get("reason"):
            shown += f" ({row['reason']})"
        cases = [_case_cell(str(c), bundles) for c in row.get("cases", [])] or ["—"]
        lines.append(
            f"| {_cell(row['code'])} | {_cell(row.get('kind', ''))} "
            f"| {_cell(row.get('description', ''))} | {', '.join(cases)} | {_cell(shown)} |"
        )
    lines.append("")
    return "\n".join(lines)


def _case_cell(case_id: str, bundles: Mapping[str, str]) -> str:
    link = bundles.get(case_id)
    return f"[{_cell(case_id)}]({link})" if link else _cell(case_id)


def _cell(value: object) -> str:
    # A pipe or a newline would break the table.
    return str(value).replace("|", "\\|").replace("\n", " ")
