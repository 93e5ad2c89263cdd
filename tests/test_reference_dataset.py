"""The reference dataset: valid NISS, every role of the vocabulary, TSS integration rows."""

from __future__ import annotations

import pytest
from stdnum.be import bis as stdnum_bis
from stdnum.be import nn as stdnum_nn

from conformance import niss, roles, tables
from conformance.reference.dataset import Dataset, DatasetError

DATASET = Dataset.load()


def test_the_dataset_plays_every_role_of_the_vocabulary_and_no_other() -> None:
    vocabulary = roles.vocabulary()
    assert set(DATASET.person_roles()) == vocabulary.persons
    assert set(DATASET.client_roles()) == vocabulary.clients


def test_every_niss_is_valid_by_both_oracles() -> None:
    numbers = [p.ssin for p in DATASET.persons.values()] + list(DATASET.unregistered.values())
    for number in numbers:
        assert niss.is_valid(number), number
        assert stdnum_nn.is_valid(number) or stdnum_bis.is_valid(number), number


def test_unknown_and_bis_roles() -> None:
    roles = DATASET.person_roles()
    assert roles["unknown"].ssin not in DATASET.persons
    assert niss.is_bis(roles["bis"].ssin or "") and stdnum_bis.is_valid(roles["bis"].ssin)
    assert not any(niss.is_bis(p.ssin) for p in DATASET.persons.values())
    replaced = roles["replaced"]
    assert replaced.replaced_by in DATASET.persons


def test_onem_policies_come_from_the_tss_integration_table() -> None:
    rows = {row.sector_institutions[0]: row for row in tables.integration_rows()}
    for org in DATASET.organisations.values():
        row = rows.get((org.sector, org.institution))  # type: ignore[arg-type]
        if row is None:
            continue
        expected = None if row.quality_codes is None else frozenset(row.quality_codes)
        assert org.integration.quality_codes == expected, org.id
        assert org.integration.active_dossier_required == (row.control == "active_dossier")
        assert row.legal_context in org.legal_contexts["consultEmploymentInfos"]
    assert DATASET.organisations["onem"].cbe == rows[(18, 0)].cbe


def test_client_roles_are_usable() -> None:
    for role in DATASET.client_roles().values():
        assert role.certificate_org in DATASET.organisations
        assert set(role.customer_identification) in ({"cbeNumber"}, {"sector", "institution"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("persons: []\n", "organisations: missing"),
        ("organisations: [{id: x}]\npersons: []\n", "organisation 'x': needs a `cbe`"),
        (
            "organisations: []\npersons: [{ssin: '85073003328', status: gone}]\n",
            "person 85073003328: `status` must be one of",
        ),
        (
            "organisations: []\npersons: [{ssin: '85073003328', status: replaced,"
            " replaced_by: '91012906810'}]\nintegrations: []\n",
            "replaced_by 91012906810 is not a person",
        ),
        ("organisations: [\n", "line 2: invalid YAML: expected the node content"),
        ("persons:\n  - ssin: '1'\n   status: x\n", "line 3: invalid YAML: expected <block end>"),
        ("organisations: []\norganisations: []\npersons: []\n", "line 2: duplicate key"),
        (
            "organisations: []\npersons: [{ssin: '85073003328'}]\n"
            "unregistered_roles: {unknown: '85073003328'}\n",
            "unregistered_roles.unknown: 85073003328 is a registered person",
        ),
        (
            "organisations: [{id: a, sector: 1, institution: 2, integration: {quality_codes: all}}]"
            "\npersons: []\nintegrations: []\nclients: {x: {certificate: a, identification: b,"
            " legal_context: L}}\n",
            "clients.x: `identification` must be an organisation id",
        ),
    ],
)
def test_loader_errors_name_the_file_and_the_problem(tmp_path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(DatasetError) as caught:
        Dataset.load(path)
    assert str(path) in str(caught.value) and message in str(caught.value)
    assert "\n" not in str(caught.value)  # one line, also for a YAML error


def test_missing_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatasetError, match="cannot be read"):
        Dataset.load(tmp_path / "nope.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\xff")
    with pytest.raises(DatasetError, match=r"binary.yaml: file: not UTF-8 text \(byte 1"):
        Dataset.load(binary)
