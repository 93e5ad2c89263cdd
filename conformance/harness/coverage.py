"""Return-code coverage: which TSS codes (6.1 business, 6.2 technical) a run exercised.

Every run writes ``<report-dir>/coverage.json``, one row per code of both tables. A run is
complete only when every code was exercised by at least one case that ran, or the environment
declares it not triggerable with a reason (e.g. MSG00014 needs two-way TLS).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from conformance import tables
from conformance.harness.outcome import DEVIATION, FAILED, NOT_RUN, NOT_TRIGGERABLE, PASSED

COVERAGE_FILE = "coverage.json"


@dataclass
class CoverageRow:
    code: str
    kind: str  # "business" | "technical"
    description: str
    cases: list[str] = field(default_factory=list)
    outcome: str = NOT_RUN  # DEVIATION: exercised only by cases that deviated from a decision
    reason: str | None = None
    # Where the expected code comes from: its TSS row, plus the decisions some cases rest on.
    authority: dict[str, str] = field(default_factory=dict)
    decisions: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        row = asdict(self)
        if row["reason"] is None:
            del row["reason"]
        return row


@dataclass(frozen=True)
class CaseResult:
    """What coverage needs of one case: its id, the code it expects and how it ended."""

    case_id: str
    code: str | None
    outcome: str  # PASSED | FAILED | DEVIATION | NOT_RUN | NOT_TRIGGERABLE
    reason: str = ""
    decision: str = ""  # the decision the case's expected code rests on, if any


def rows(results: Iterable[CaseResult], not_triggerable: Mapping[str, str]) -> list[CoverageRow]:
    """One row per TSS code, in table order (business then technical)."""
    by_code: dict[str, list[CaseResult]] = {}
    for result in results:
        if result.code:
            by_code.setdefault(result.code, []).append(result)
    out = []
    for code, row in tables.all_codes().items():
        kind = tables.kind_of(code) or ""
        got = by_code.get(code, [])
        outcomes = {r.outcome for r in got}
        coverage = CoverageRow(code, kind, row.description, sorted({r.case_id for r in got}))
        coverage.authority = {"kind": "TSS", "ref": f"{row.section} {code}"}
        coverage.decisions = sorted({r.decision for r in got if r.decision})
        if FAILED in outcomes:
            coverage.outcome = FAILED
        elif PASSED in outcomes:
            coverage.outcome = PASSED
        elif DEVIATION in outcomes:
            coverage.outcome = DEVIATION
        elif code in not_triggerable:
            coverage.outcome, coverage.reason = NOT_TRIGGERABLE, not_triggerable[code]
        elif NOT_TRIGGERABLE in outcomes:
            # A case was skipped as not triggerable without the environment saying so: the
            # reason it was given is reported, but it does not excuse the gap.
            coverage.reason = next(r.reason for r in got if r.outcome == NOT_TRIGGERABLE)
        else:
            stopped = [r.reason for r in got if r.outcome == NOT_RUN and r.reason]
            coverage.reason = stopped[0] if stopped else "no case ran"
        out.append(coverage)
    return out


def missing(coverage: Iterable[CoverageRow]) -> list[CoverageRow]:
    """Rows that make the run fail: a code never exercised and not declared not triggerable."""
    return [row for row in coverage if row.outcome == NOT_RUN]


def write(report_dir: Path | str, coverage: Iterable[CoverageRow]) -> Path:
    """Write ``coverage.json`` (atomically: a reader never sees half a file)."""
    target = Path(report_dir) / COVERAGE_FILE
    tmp = target.with_name(f".{COVERAGE_FILE}.{os.getpid()}")
    tmp.write_text(
        json.dumps([row.as_json() for row in coverage], indent=2) + "\n", encoding="utf-8"
    )
    tmp.replace(target)
    return target


def summary_lines(coverage: Iterable[CoverageRow]) -> list[str]:
    """The per-code table printed at the end of a run."""
    lines = [f"{'code':<9} {'kind':<9} {'outcome':<16} cases"]
    for row in coverage:
        cases = ", ".join(row.cases) or "-"
        note = f" ({row.reason})" if row.reason else ""
        lines.append(f"{row.code:<9} {row.kind:<9} {row.outcome:<16} {cases}{note}")
    return lines


def verdict_line(coverage: Iterable[CoverageRow], *, partial: bool = False) -> str:
    """One line: is every TSS code exercised (or declared not triggerable)?"""
    gaps = missing(coverage)
    if not gaps:
        return "coverage: complete (every TSS code exercised or declared not triggerable)"
    codes = ", ".join(row.code for row in gaps)
    if partial:
        return f"coverage: partial run (--allow-partial), not exercised: {codes}"
    return f"coverage: INCOMPLETE, the run fails: not exercised: {codes}"


def not_triggerable_lines(results: Iterable[CaseResult], declared: Mapping[str, str]) -> list[str]:
    """The cases this environment could not play, each with why (an unmapped role, a declared
    code or case id, no TLS), then any declared case id no case of the run has (a typo?)."""
    results = list(results)
    lines = [f"  {r.case_id}: {r.reason}" for r in results if r.outcome == NOT_TRIGGERABLE]
    if lines:
        lines.insert(0, f"not triggerable in this environment ({len(lines)} cases):")
    ids = {r.case_id for r in results}
    unknown = sorted(k for k in declared if k not in ids and k not in tables.all_codes())
    if unknown:
        lines.append(f"not_triggerable names no case of this run: {', '.join(unknown)}")
    return lines
