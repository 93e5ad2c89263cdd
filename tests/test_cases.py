"""harness/cases.py: the JSON Schema, refusals naming file and line, codes and roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import niss, paths, tables
from conformance.harness import given as given_block
from conformance.harness.cases import Case, CaseFileError, load_file
from conformance.harness.certs import CRAFTS
from conformance.roles import Roles

CLIENTS = {"onem", "onem_inspection", "cards_only"}
PERSONS = {"cards_and_permits", "unknown", "no_data"}

GOOD = """\
cases:
  - id: found
    title: a person is found
    tss: "6.1 MSG00000"
    operation: consultEmploymentInfos
    client: onem
    request:
      person: cards_and_permits
      dataGroups: {employmentCards: true, workPermits: false}
    expect:
      status: {value: DATA_FOUND, code: MSG00000}
      assertions:
        - {path: result/employmentCards/employmentCard, count: {min: 1}}
  - id: crafted
    title: wrong path
    tss: "6.2 MSG00052"
    operation: raw
    craft: wrong_path
    client: onem
    request: {person: no_data}
    expect:
      fault: {faultcode: Client, code: MSG00052}
  - id: generated
    title: unknown NISS
    tss: "6.1 MSG00005"
    operation: consultSpecialInfos
    client: onem
    given:
      ssin: {strategy: unknown_niss}
      examples: 3
    expect:
      status: {value: NO_RESULT, code: MSG00005}
"""


def _load(tmp_path: Path, text: str) -> list:
    path = tmp_path / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    return load_file(path, codes=set(tables.all_codes()), clients=CLIENTS, persons=PERSONS)


def _refusal(tmp_path: Path, text: str) -> CaseFileError:
    with pytest.raises(CaseFileError) as info:
        _load(tmp_path, text)
    return info.value


def test_a_good_file_loads_with_lines_and_codes(tmp_path: Path) -> None:
    found, crafted, generated = _load(tmp_path, GOOD)
    assert (found.id, found.line, found.code, found.operation) == (
        "found",
        2,
        "MSG00000",
        "consultEmploymentInfos",
    )
    assert crafted.craft == "wrong_path" and crafted.wire_operation == "consultEmploymentInfos"
    assert crafted.code == "MSG00052"
    assert generated.given == {"ssin": {"strategy": "unknown_niss"}, "examples": 3}
    assert generated.person_roles == ()


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    error = _refusal(tmp_path, GOOD.replace("title: wrong path", "title: [wrong path"))
    assert error.path.name == "cases.yaml" and error.line is not None
    assert str(error).startswith(f"{tmp_path / 'cases.yaml'}:")
    assert "invalid YAML" in str(error)


def test_unknown_key_names_the_key_and_its_line(tmp_path: Path) -> None:
    error = _refusal(
        tmp_path, GOOD.replace("    craft: wrong_path", "    craft: wrong_path\n    colour: red")
    )
    assert error.line == 19
    assert "unknown key 'colour'" in error.message


def test_a_repeated_key_is_refused_not_silently_overridden(tmp_path: Path) -> None:
    error = _refusal(
        tmp_path,
        GOOD.replace("    craft: wrong_path\n", "    craft: wrong_path\n    craft: soap12\n"),
    )
    assert error.line == 19 and "duplicate key 'craft'" in error.message


def test_unknown_nested_key_is_refused_too(tmp_path: Path) -> None:
    error = _refusal(
        tmp_path, GOOD.replace("person: cards_and_permits", "persn: cards_and_permits")
    )
    assert error.line == 8 and "unknown key 'persn'" in error.message


def test_unknown_code_names_its_line(tmp_path: Path) -> None:
    error = _refusal(tmp_path, GOOD.replace("code: MSG00052", "code: MSG00099"))
    assert error.line == 22
    assert "unknown return code 'MSG00099'" in error.message


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "value: DATA_FOUND",
            "value: NO_RESULT",
            11,
            "MSG00000 comes with status value DATA_FOUND",
        ),
        ("code: MSG00000", "code: MSG00004", 11, "MSG00004 is a technical code"),
        ("faultcode: Client, code: MSG00052", "code: MSG00005", 22, "MSG00005 is a business code"),
        ("faultcode: Client", "faultcode: Server", 22, "MSG00052 is a Client fault (TSS 6.2)"),
    ],
)
def test_an_outcome_at_odds_with_the_tables_is_refused(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    # Such a case could only fail, and its failure would blame the service, not the case.
    error = _refusal(tmp_path, GOOD.replace(old, new))
    assert error.line == line and message in error.message


def test_unknown_client_role_names_its_line(tmp_path: Path) -> None:
    error = _refusal(tmp_path, GOOD.replace("client: onem\n    given", "client: nobody\n    given"))
    assert error.line == 27 and "unknown client role 'nobody'" in error.message


def test_unknown_person_role_names_its_line(tmp_path: Path) -> None:
    error = _refusal(
        tmp_path, GOOD.replace("request: {person: no_data}", "request: {person: ghost}")
    )
    assert error.line == 20 and "unknown person role 'ghost'" in error.message


def test_schema_errors_name_their_line(tmp_path: Path) -> None:
    error = _refusal(tmp_path, GOOD.replace("value: DATA_FOUND", "value: FOUND"))
    assert error.line == 11 and "FOUND" in error.message


def test_raw_needs_a_craft(tmp_path: Path) -> None:
    error = _refusal(tmp_path, GOOD.replace("    craft: wrong_path\n", ""))
    assert "craft" in error.message


def test_a_case_needs_a_person_or_a_generated_ssin(tmp_path: Path) -> None:
    error = _refusal(tmp_path, GOOD.replace("    request: {person: no_data}\n", ""))
    assert error.line == 14 and "needs request.person" in error.message


def test_special_infos_take_no_data_groups(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    given:\n      ssin: {strategy: unknown_niss}",
        "    request:\n      dataGroups: {employmentCards: true, workPermits: true}\n"
        "    given:\n      ssin: {strategy: unknown_niss}",
    )
    error = _refusal(tmp_path, text)
    assert "no dataGroups" in error.message


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    error = _refusal(tmp_path, GOOD.replace("id: crafted", "id: found"))
    assert error.line == 14 and "duplicate case id 'found' (first at line 2)" in error.message


def test_a_literal_niss_is_not_a_role(tmp_path: Path) -> None:
    error = _refusal(tmp_path, GOOD.replace("person: cards_and_permits", "person: '85073003328'"))
    assert error.line == 8


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    assert "empty case file" in _refusal(tmp_path, "# nothing\n").message


def _catalogue() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(paths.cases_dir().glob("*.yaml")):
        cases += load_file(
            path, codes=set(tables.all_codes()), clients=_ROLES[0], persons=_ROLES[1]
        )
    return cases


# The roles of docs/architecture.md.
_ROLES = (
    {
        "onem",
        "onem_sector",
        "onem_secondary",
        "onem_inspection",
        "no_service_access",
        "cards_only",
        "identity_mismatch",
    },
    {
        "concurrent_cards",
        "indefinite_expiry",
        "incomplete_dates",
        "closed_cards",
        "permits_only",
        "cards_and_permits",
        "special_infos_ssin",
        "special_infos_fictional",
        "no_data",
        "replaced",
        "canceled",
        "unknown",
        "bis",
        "not_integrated",
        "inactive_dossier",
        "disallowed_quality",
        "supplier_failure",
        "internal_error",
    },
)


def test_the_catalogue_names_only_architecture_roles_and_covers_every_code() -> None:
    cases = _catalogue()
    assert len({c.id for c in cases}) == len(cases)
    assert {c.code for c in cases if c.code} == set(tables.all_codes())


def test_the_catalogue_covers_the_binding_errors_and_both_operations() -> None:
    cases = _catalogue()
    assert {c.craft for c in cases if c.craft} == {
        "soap12",
        "wrong_soap_action",
        "missing_soap_action",
        "wrong_path",
        "malformed_xml",
        "xsd_invalid",
        "both_groups_false",
        "no_client_cert",
        *CRAFTS,  # the refused client certificates (cases/client_certificates.yaml)
    }
    assert {c.operation for c in cases} == {"consultEmploymentInfos", "consultSpecialInfos", "raw"}
    groups = {
        (g["employmentCards"], g["workPermits"])
        for c in cases
        if c.client == "onem" and c.request.get("person") == "cards_and_permits"
        for g in [c.request.get("dataGroups")]
        if g
    }
    assert groups == {(True, False), (False, True), (True, True)}
    integration_clients = {c.client for c in cases if c.tss.startswith("3.3.4")}
    assert integration_clients == {"onem", "onem_sector", "onem_secondary", "onem_inspection"}


# ---- given blocks (harness/given.py): what a generated case draws ---------------------------

PERSON_SSINS = {"cards_and_permits": "90091814606", "unknown": "72031217528"}


def _generated(tmp_path: Path, given: str, extra: str = "") -> Case:
    text = f"""\
cases:
  - id: g
    title: generated
    tss: "6.1"
    operation: consultEmploymentInfos
    client: onem
{extra}    given:
{given}
    expect:
      table: any
"""
    (case,) = _load(tmp_path, text)
    return case


@settings(max_examples=30, database=None)
@given(data=st.data())
def test_given_draws_what_the_block_says(data: st.DataObject) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        case = _generated(
            Path(tmp),
            "      ssin: {strategy: unknown_niss}\n      client: [onem, cards_only]\n"
            "      ticket: tickets\n      timestampSent: timestamps\n      dataGroups: any",
        )
    draw = data.draw(given_block.strategy(case, PERSON_SSINS))
    assert draw.person is None and draw.ssin not in PERSON_SSINS.values()
    assert niss.is_valid(draw.ssin)
    assert draw.client in {"onem", "cards_only"}
    assert draw.data_groups is not None and any(draw.data_groups.values())
    assert isinstance(draw.ticket, str) and len(draw.ticket) <= 36
    assert isinstance(draw.timestamp_sent, str) and "T" in draw.timestamp_sent


@settings(max_examples=20, database=None)
@given(data=st.data())
def test_given_persons_come_from_the_environment(data: st.DataObject) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        case = _generated(
            Path(tmp),
            "      person: [cards_and_permits]",
            "    request:\n      dataGroups: {employmentCards: false, workPermits: true}\n",
        )
    draw = data.draw(given_block.strategy(case, PERSON_SSINS))
    assert (draw.person, draw.ssin) == ("cards_and_permits", "90091814606")
    assert draw.data_groups == {"employmentCards": False, "workPermits": True}
    assert draw.ticket is None and draw.timestamp_sent is None


TLS_CASE = """\
cases:
  - id: no-cert
    title: no client certificate
    tss: "NOTES 1"
    operation: consultEmploymentInfos
    client: onem
    request: {person: cards_and_permits}
%s
"""


@pytest.mark.parametrize(
    ("lines", "loads"),
    [
        ("    craft: no_client_cert\n    expect: {tls_refused: true}", True),
        ("    expect: {tls_refused: true}", False),  # the refusal needs the craft
        (
            "    craft: no_client_cert\n    expect: {status: {value: DATA_FOUND, code: MSG00000}}",
            False,
        ),
        (
            "    craft: no_client_cert\n"
            "    expect: {tls_refused: true, status: {value: DATA_FOUND, code: MSG00000}}",
            False,
        ),
    ],
)
def test_no_client_cert_craft_goes_with_an_expected_tls_refusal(
    tmp_path: Path, lines: str, loads: bool
) -> None:
    text = TLS_CASE % lines
    if loads:
        (case,) = _load(tmp_path, text)
        assert case.craft == "no_client_cert" and case.expect == {"tls_refused": True}
        assert case.code is None
    else:
        _refusal(tmp_path, text)


def test_a_vocabulary_role_the_environment_lacks_is_kept_as_unmapped(tmp_path: Path) -> None:
    vocabulary = Roles(frozenset({"onem", "onem_secondary"}), frozenset({"canceled", "no_data"}))
    path = tmp_path / "cases.yaml"
    path.write_text(
        GOOD.replace(
            "client: onem\n    request:\n      person: cards",
            "client: onem_secondary\n    request:\n      person: cards",
        )
    )
    found, *_ = load_file(
        path, codes=set(tables.all_codes()), clients=CLIENTS, persons=PERSONS, vocabulary=vocabulary
    )
    assert found.unmapped == ("client role 'onem_secondary'",)
    path.write_text(
        GOOD.replace(
            "client: onem\n    request:\n      person: cards",
            "client: onem_secundary\n    request:\n      person: cards",
        )
    )
    with pytest.raises(CaseFileError, match="unknown client role 'onem_secundary'"):
        load_file(
            path,
            codes=set(tables.all_codes()),
            clients=CLIENTS,
            persons=PERSONS,
            vocabulary=vocabulary,
        )


def test_every_case_that_provokes_a_failure_on_purpose_is_left_out_of_the_sla() -> None:
    """A crafted binding error or TLS refusal, or an expected Server fault (a failing supplier,
    an internal error), would count against availability or skew response times."""
    for case in _catalogue():
        on_purpose = case.craft is not None or (
            "fault" in case.expect and case.expect["fault"]["faultcode"] == "Server"
        )
        assert case.sla_sample is not on_purpose, case.id


def test_every_broken_case_is_named_in_one_line(tmp_path: Path) -> None:
    # A typo in each of the three cases (a schema error, an unknown role, an unknown code):
    # one refusal that names the three, in file order, on one line.
    text = (
        GOOD.replace("    title: a person is found\n", "    titel: a person is found\n")
        .replace("code: MSG00005}", "code: MSG00099}")
        .replace("    request: {person: no_data}", "    request: {person: nobody}")
    )
    refusal = _refusal(tmp_path, text)
    message = str(refusal)
    assert "\n" not in message
    assert [line for line, _ in refusal.problems] == sorted(line for line, _ in refusal.problems)
    assert len(refusal.problems) == 3, message
    assert "unknown key 'titel'" in message
    assert "MSG00099" in message and "'nobody'" in message
    assert message.startswith(f"{tmp_path / 'cases.yaml'}:{refusal.line}: ")


def test_a_single_problem_reads_as_before(tmp_path: Path) -> None:
    refusal = _refusal(tmp_path, GOOD.replace("code: MSG00005}", "code: MSG00099}"))
    assert len(refusal.problems) == 1
    assert str(refusal) == f"{tmp_path / 'cases.yaml'}:{refusal.line}: {refusal.message}"


def test_a_long_list_of_problems_is_cut() -> None:
    from conformance.harness.case_file import MAX_PROBLEMS

    problems = [(line, f"problem {line}") for line in range(1, 16)]
    message = str(CaseFileError.of_all(Path("x.yaml"), problems))
    assert message.startswith("x.yaml:1: problem 1; line 2: problem 2")
    assert f"problem {MAX_PROBLEMS}" in message and f"problem {MAX_PROBLEMS + 1}" not in message
    assert message.endswith(f"; and {15 - MAX_PROBLEMS} more problems")
