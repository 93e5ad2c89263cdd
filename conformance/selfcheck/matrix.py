"""The kill matrix: which deliberate defect the catalogue caught, by which cases, and why.

Verdicts (one per defect):

- ``caught``: at least one case FAILED with a failure entry matching the defect's
  ``failure_signature`` (``reference/defects/``): the harness names the real problem;
- ``caught by unrelated failure``: cases failed, but none says what the defect breaks;
- ``survived``: every case passed against the defective service;
- ``broken run``: the run crashed, timed out, or a case errored instead of failing: proves nothing.

Only ``caught`` is a success. The self-check also fails when the clean reference does not pass
every case (a harness that fails a faithful service proves nothing by failing a defective one).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.reports import allure_files
from conformance.reports.session import RESULTS_DIR
from conformance.selfcheck.runs import CaseFailure, RunResult

CAUGHT = "caught"
UNRELATED = "caught by unrelated failure"
SURVIVED = "survived"
BROKEN = "broken run"

JSON_FILE = "killmatrix.json"
MD_FILE = "killmatrix.md"
_MD_CASES = 5  # catching cases listed per defect in Markdown (all are in the JSON)


@dataclass(frozen=True)
class DefectRow:
    name: str
    description: str
    signature: tuple[str, ...]
    verdict: str
    caught_by: tuple[CaseFailure, ...]  # every failed case, signature matches first
    matched: tuple[str, ...]  # ids of the failed cases whose failure matches the signature
    run: RunResult


@dataclass
class KillMatrix:
    clean: RunResult
    rows: list[DefectRow] = field(default_factory=list)
    wall_time_s: float = 0.0

    @property
    def clean_passed(self) -> bool:
        return self.clean.exit_code == 0 and not self.clean.failures and not self.clean.broken

    @property
    def ok(self) -> bool:
        return self.clean_passed and all(row.verdict == CAUGHT for row in self.rows)

    def count(self, verdict: str) -> int:
        return sum(1 for row in self.rows if row.verdict == verdict)


def judge(name: str, description: str, signature: Sequence[str], run: RunResult) -> DefectRow:
    """The verdict for one defect's run."""
    matched = tuple(f.case_id for f in run.failures if f.matches(signature))
    ordered = sorted(run.failures, key=lambda f: (f.case_id not in matched, f.case_id))
    if run.broken:
        verdict = BROKEN
    elif not run.failures:
        verdict = SURVIVED
    elif matched:
        verdict = CAUGHT
    else:
        verdict = UNRELATED
    return DefectRow(name, description, tuple(signature), verdict, tuple(ordered), matched, run)


def clean_problems(clean: RunResult) -> list[str]:
    """Why the clean reference run does not pass (empty when it does)."""
    problems = list(clean.problems)
    problems += [f"{f.case_id}: {f.title}" for f in clean.failures]
    if not problems and clean.exit_code != 0:
        problems.append(f"conformance run exited {clean.exit_code} (e.g. coverage incomplete)")
    return problems


def exit_code(matrix: KillMatrix) -> int:
    """0 when the clean reference passed and every defect was caught for the right reason."""
    return 0 if matrix.ok else 1


# ---- output ------------------------------------------------------------------------------------


def progress_line(index: int, total: int, row: DefectRow) -> str:
    """``[7/29] echo_legal_context ... caught by 41 cases`` (one line per finished run)."""
    if row.verdict == CAUGHT:
        what = f"caught by {len(row.caught_by)} case(s) ({len(row.matched)} naming the problem)"
    elif row.verdict == UNRELATED:
        what = f"FAILED CASES DO NOT NAME THE PROBLEM ({len(row.caught_by)} case(s) failed)"
    elif row.verdict == SURVIVED:
        what = "SURVIVED (every case passed)"
    else:
        what = "BROKEN RUN: " + "; ".join(row.run.problems[:2])
    return f"[{index}/{total}] {row.name} ... {what} ({row.run.duration_s:.1f} s)"


def terminal_lines(matrix: KillMatrix) -> list[str]:
    """The matrix for the terminal: one line per defect, then the verdict."""
    width = max((len(row.name) for row in matrix.rows), default=6)
    lines = ["Kill matrix", f"  {'defect':{width}}  {'verdict':28} first case naming the problem"]
    for row in matrix.rows:
        first = next((f for f in row.caught_by if f.case_id in row.matched), None)
        shown = f"{first.case_id}: {first.evidence(row.signature)}" if first else _why_not(row)
        lines.append(f"  {row.name:{width}}  {row.verdict:28} {_cut(shown)}")
    lines.append(summary_line(matrix))
    return lines


def summary_line(matrix: KillMatrix) -> str:
    clean = "passed" if matrix.clean_passed else "FAILED"
    return (
        f"selfcheck: clean reference {clean}; {matrix.count(CAUGHT)}/{len(matrix.rows)} defects "
        f"caught naming the problem, {matrix.count(UNRELATED)} by unrelated failures, "
        f"{matrix.count(SURVIVED)} survived, {matrix.count(BROKEN)} broken runs "
        f"({matrix.wall_time_s:.1f} s)"
    )


def _why_not(row: DefectRow) -> str:
    if row.verdict == UNRELATED:
        return f"{len(row.caught_by)} failed, none says: {' + '.join(row.signature)}"
    if row.verdict == BROKEN:
        return "; ".join(row.run.problems[:2])
    return "-"


def as_json(matrix: KillMatrix, report_dir: Path) -> dict[str, Any]:
    def where(run: RunResult) -> str:
        return str(_relative(run.report_dir, report_dir))

    return {
        "ok": matrix.ok,
        "wall_time_s": round(matrix.wall_time_s, 2),
        "clean": {
            "passed": matrix.clean_passed,
            "exit_code": matrix.clean.exit_code,
            "cases_passed": matrix.clean.passed,
            "problems": clean_problems(matrix.clean),
            "duration_s": round(matrix.clean.duration_s, 2),
            "report_dir": where(matrix.clean),
        },
        "summary": {
            "defects": len(matrix.rows),
            **{v: matrix.count(v) for v in (CAUGHT, UNRELATED, SURVIVED, BROKEN)},
        },
        "defects": [
            {
                "name": row.name,
                "description": row.description,
                "signature": list(row.signature),
                "verdict": row.verdict,
                "caught_by": [
                    {
                        "case_id": f.case_id,
                        "title": f.title,
                        "signature_matched": f.case_id in row.matched,
                        "evidence": f.evidence(row.signature),
                    }
                    for f in row.caught_by
                ],
                "problems": list(row.run.problems),
                "exit_code": row.run.exit_code,
                "duration_s": round(row.run.duration_s, 2),
                "report_dir": where(row.run),
            }
            for row in matrix.rows
        ],
    }


def render_markdown(matrix: KillMatrix, report_dir: Path) -> str:
    clean = matrix.clean
    lines = [
        "# Kill matrix",
        "",
        "Each deliberate defect of the reference service (`conformance serve --list-defects`) "
        "against the case catalogue. A defect is caught when a case fails with a message "
        "naming what the defect breaks (its signature).",
        "",
        f"- Clean reference: **{'passed' if matrix.clean_passed else 'FAILED'}** "
        f"({clean.passed} cases passed; reports in `{_relative(clean.report_dir, report_dir)}`)",
    ]
    lines += [f"  - {problem}" for problem in clean_problems(clean)]
    lines += [f"- {summary_line(matrix)}", ""]
    lines += [
        "✓: the failure entry matching the signature; ✗: a failed case not naming it (its title).",
        "",
    ]
    lines += ["| defect | verdict | signature | caught by |"]
    lines += ["| --- | --- | --- | --- |"]
    for row in matrix.rows:
        lines.append(
            f"| `{row.name}`<br>{_cell(row.description)} | {row.verdict} | "
            f"{_cell(' + '.join(row.signature))} | {_cases_cell(row)} |"
        )
    return "\n".join(lines) + "\n"


def _cases_cell(row: DefectRow) -> str:
    if row.verdict == BROKEN:
        return _cell("; ".join(row.run.problems))
    shown = [
        f"✓ `{f.case_id}`: {_cell(f.evidence(row.signature) or '')}"
        if f.case_id in row.matched
        else f"✗ `{f.case_id}`: {_cell(f.title)}"
        for f in row.caught_by[:_MD_CASES]
    ]
    if len(row.caught_by) > _MD_CASES:
        shown.append(f"… and {len(row.caught_by) - _MD_CASES} more (see {JSON_FILE})")
    return "<br>".join(shown) or "-"


def _cut(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _relative(path: Path, base: Path) -> Path:
    try:
        return path.resolve().relative_to(base.resolve())
    except ValueError:
        return path


def write(matrix: KillMatrix, report_dir: Path) -> tuple[Path, Path]:
    """Write killmatrix.json and killmatrix.md into ``report_dir`` (beside coverage.*), and
    attach both to the clean run's Allure results as run-level attachments."""
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = report_dir / JSON_FILE, report_dir / MD_FILE
    data = json.dumps(as_json(matrix, report_dir), indent=2, ensure_ascii=False)
    json_path.write_text(data + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(matrix, report_dir), encoding="utf-8")
    results = report_dir / RESULTS_DIR  # the clean run's Allure results: attach both there
    if results.is_dir():
        allure_files.write_globals(
            results,
            [
                (MD_FILE, "text/markdown", md_path.read_bytes()),
                (JSON_FILE, "application/json", json_path.read_bytes()),
            ],
            file_name=allure_files.SELFCHECK_GLOBALS,
        )
    return json_path, md_path
