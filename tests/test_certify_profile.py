"""The certification profile covers what issue 12 lists; every other code is not applicable
with its reason (data, conformance/data/certification.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import roles, tables
from conformance.certify import profile
from conformance.harness.cases import CaseFileError, load_file


def _cases() -> list[profile.ProfileCase]:
    vocabulary = roles.vocabulary()
    return profile.profile_cases(clients=frozenset({"onem"}), persons=vocabulary.persons)


def test_the_profile_covers_tls_both_operations_niss_control_and_binding_errors() -> None:
    cases = _cases()
    mandatory = {c.case.code or c.case.craft for c in cases if c.mandatory}
    assert mandatory >= {
        "no_client_cert",  # the refusal without a certificate
        "MSG00000",
        "MSG00011", "REG00004", "MSG00005",
        "MSG00051", "MSG00052", "MSG00053", "MSG00004",
    }  # fmt: skip
    answered = {c.case.operation for c in cases if c.mandatory and c.case.code == "MSG00000"}
    assert answered == {"consultEmploymentInfos", "consultSpecialInfos"}
    assert {c.case.code for c in cases if not c.mandatory} >= {"MSG00100"}


def test_every_other_code_is_not_applicable_with_a_reason() -> None:
    cases = _cases()
    expected = {c.case.code for c in cases if c.case.code}
    uncovered = profile.uncovered_codes(cases)
    assert set(uncovered) | expected == set(tables.all_codes())
    assert set(uncovered) == set(profile.not_applicable())  # each reason is written as data
    assert all(len(reason) > 20 for reason in uncovered.values())


def test_a_case_runs_as_the_partners_client(tmp_path: Path) -> None:
    cases = _cases()
    path = profile.write_profile_cases(tmp_path, cases, "partner")
    vocabulary = roles.vocabulary()
    loaded = load_file(
        path,
        codes=set(tables.all_codes()),
        clients={"partner"},
        persons=vocabulary.persons,
    )
    assert {c.client_roles for c in loaded} == {("partner",)}
    assert [c.id for c in loaded] == [c.case.id for c in cases]


def test_the_certification_field_is_checked_by_the_case_schema(tmp_path: Path) -> None:
    path = tmp_path / "cases" / "x.yaml"
    path.parent.mkdir()
    path.write_text(
        "cases:\n  - id: a\n    title: t\n    tss: '6.1'\n    operation: consultEmploymentInfos\n"
        "    client: onem\n    request: {person: unknown}\n    certification: always\n"
        "    expect: {status: {value: NO_RESULT, code: MSG00005}}\n"
    )
    with pytest.raises(CaseFileError, match="'always' is not one of"):
        load_file(path, codes=set(tables.all_codes()), clients={"onem"}, persons={"unknown"})
