"""coverage.md from coverage.json rows: one row per code of both TSS §6 tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import tables
from conformance.reports import matrix


def _rows() -> list[dict]:
    return [
        {
            "code": "MSG00000",
            "kind": "business",
            "description": "x",
            "cases": ["a", "b"],
            "outcome": "passed",
        },
        {
            "code": "MSG00005",
            "kind": "business",
            "description": "x",
            "cases": ["unknown"],
            "outcome": "failed",
        },
        {
            "code": "MSG00015",
            "kind": "technical",
            "description": "x",
            "cases": [],
            "outcome": "not-triggerable",
            "reason": "needs a certificate without rights",
        },
    ]


def _table_row(text: str, code: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {code} "))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_every_table_code_has_a_row_with_the_tss_meaning(tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps(_rows()))
    rows = matrix.complete_rows(matrix.load_rows(path), matrix.table_codes())
    text = matrix.render(rows, bundles={"unknown": "bundles/unknown/README.txt"})
    all_codes = list(tables.business_codes()) + list(tables.technical_codes())
    assert [r["code"] for r in rows] == all_codes
    code, kind, meaning, cases, outcome = _table_row(text, "MSG00005")
    assert (code, kind) == ("MSG00005", "business")
    assert meaning == tables.business_codes()["MSG00005"].description
    assert cases == "[unknown](bundles/unknown/README.txt)"
    assert "failed" in outcome
    assert "needs a certificate without rights" in _table_row(text, "MSG00015")[4]
    assert _table_row(text, "MSG00000")[3] == "a, b"
    not_run = _table_row(text, "MSG00100")
    assert "not run" in not_run[4] and not_run[3] == "—"


def test_interrupted_run_says_so_and_lists_everything_not_run() -> None:
    rows = matrix.complete_rows([], matrix.table_codes())
    text = matrix.render(rows, interrupted=True)
    assert "interrupted" in text
    assert text.count("not run") >= len(tables.all_codes())


def test_a_code_outside_the_tables_stays_visible() -> None:
    rows = matrix.complete_rows(
        [{"code": "XYZ0001", "cases": ["c"], "outcome": "failed"}], matrix.table_codes()
    )
    assert rows[-1]["code"] == "XYZ0001" and rows[-1]["kind"] == "unknown"


def test_pipes_in_text_do_not_break_the_table() -> None:
    text = matrix.render(
        [{"code": "C", "kind": "k", "description": "a|b\nc", "cases": [], "outcome": "passed"}]
    )
    assert "a\\|b c" in text


@pytest.mark.parametrize("content", ["{", '{"code": 1}', '[{"no": "code"}]'])
def test_unreadable_coverage_json_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "coverage.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=r"coverage\.json"):
        matrix.load_rows(path)
