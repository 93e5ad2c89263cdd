"""conformance.tables against the TSS text itself (6.1, 6.2, 10.1.1), both ways."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import cli, tables

# The TSS text is not ours to ship: CONFORMANCE_TSS names it, else the team's copy beside the clone.
SPEC = Path(
    os.environ.get("CONFORMANCE_TSS")
    or Path(__file__).resolve().parents[2] / "shared" / "spec" / "000_ea162e2262a92177.txt"
)


def _spec_lines() -> list[str]:
    if not SPEC.is_file():
        pytest.skip(f"TSS text not found at {SPEC} (set CONFORMANCE_TSS to its path)")
    return SPEC.read_text(encoding="utf-8").splitlines()


def _groups(start: str, stop: str | None) -> list[list[str]]:
    """Tab-indented cells between two headings, grouped by the blank lines between rows."""
    lines = _spec_lines()
    begin = next(i for i, line in enumerate(lines) if line.endswith(start))
    end = next(
        (i for i, line in enumerate(lines[begin + 1 :], begin + 1) if stop and line.endswith(stop)),
        len(lines),
    )
    groups: list[list[str]] = [[]]
    for line in lines[begin + 1 : end]:
        if line.startswith("\t"):
            groups[-1].append(line.strip())
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g][1:]  # drop the header row


def test_business_rows_match_the_tss_word_for_word():
    tss = [tuple(g) for g in _groups("]Business", "]Technique")]
    ours = [(r.value, r.code, r.description) for r in tables.business_codes().values()]
    assert len(tss) == 10
    assert ours == tss


def test_technical_rows_match_the_tss_word_for_word():
    tss = [tuple(g) for g in _groups("]Technique", "]Disponibilité et performance")]
    ours = [(r.faultcode, r.code, r.description) for r in tables.technical_codes().values()]
    assert len(tss) == 7
    assert ours == tss


def test_reasons_of_stay_match_the_tss_including_the_cut_off_row():
    tss = _groups("]Motifs de séjour", None)
    ours = [
        [r.code, r.description_nl] + ([r.description_fr] if r.description_fr is not None else [])
        for r in tables.reasons_of_stay().values()
    ]
    assert ours == tss
    assert tables.reasons_of_stay()["01010700"].description_fr is None
    assert tables.reasons_of_stay_complete() is False


def test_kind_of_and_fault_kind():
    assert tables.kind_of("MSG00000") == "business"
    assert tables.kind_of("MSG00004") == "technical"
    assert tables.kind_of("MSG99999") is None
    kinds = {code: row.fault_kind for code, row in tables.technical_codes().items()}
    assert kinds == {
        "MSG00002": "Server",
        "MSG00003": "Server",
        "MSG00004": "Client",
        "MSG00015": "Client",
        "MSG00051": "Client",
        "MSG00052": "Client",
        "MSG00053": "Client",
    }
    assert list(tables.all_codes()) == [*tables.business_codes(), *tables.technical_codes()]


def test_integration_rows_follow_tss_3_3_4():
    rows = tables.integration_rows()
    text = "\n".join(_spec_lines())
    assert [r.legal_context for r in rows] == [
        "NEO:UNEMPLOYMENT",
        "NEO:UNEMPLOYMENT",
        "NEO:SOCIAL_INSPECTION",
    ]
    assert all(r.partner in text and r.legal_context in text for r in rows)
    assert rows[0].cbe == "0206737484" and rows[0].sector_institutions == ((18, 0),)
    assert rows[1].sector_institutions == ((18, 1),) and rows[2].sector_institutions == ((18, 2),)
    assert rows[0].allows_quality(902) and not rows[0].allows_quality(3)
    assert rows[2].quality_codes is None and rows[2].allows_quality(3)
    assert [r.control for r in rows] == ["active_dossier", "active_dossier", "no_period"]


def test_sla_figures():
    sla = tables.sla()
    assert sla.availability_percent == 98
    assert [(t.percent, t.under_seconds) for t in sla.response_times] == [(90, 1), (95, 2)]
    assert "98%" in "\n".join(_spec_lines())


@pytest.mark.parametrize("content", ["business_codes: [", "- just a list", "business_codes: []"])
def test_broken_file_names_the_file(tmp_path, monkeypatch, content):
    (tmp_path / tables.TABLES_FILE).write_text(content, encoding="utf-8")
    monkeypatch.setattr(tables, "data_dir", lambda: tmp_path)
    tables.reload()
    try:
        with pytest.raises(tables.TablesError, match=re.escape(str(tmp_path / tables.TABLES_FILE))):
            tables.business_codes()
    finally:
        monkeypatch.undo()
        tables.reload()


def test_missing_file_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "data_dir", lambda: tmp_path)
    tables.reload()
    try:
        with pytest.raises(tables.TablesError, match=re.escape(tables.TABLES_FILE)):
            tables.sla()
    finally:
        monkeypatch.undo()
        tables.reload()


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_codes_command_prints_every_code(capsys, fmt):
    assert cli.main(["codes", "--format", fmt]) == 0
    out = capsys.readouterr().out
    for code, row in tables.all_codes().items():
        assert code in out and row.description in out
    if fmt == "json":
        data = json.loads(out)
        assert len(data["business"]) == 10 and len(data["technical"]) == 7


def test_codes_text_is_aligned(capsys):
    cli.main(["codes"])
    lines = capsys.readouterr().out.splitlines()
    codes = tables.all_codes()
    code_columns = {line.index(code) for line in lines for code in codes if code in line}
    assert len(code_columns) == 1


def test_codes_into_a_closed_pipe_is_no_traceback():
    # `conformance codes | head -1`: the reader goes away before the table is written.
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "codes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
