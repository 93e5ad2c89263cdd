"""roles.py: the role vocabulary is data, documented in docs/architecture.md, one Person class."""

from __future__ import annotations

import re
from pathlib import Path

from conformance import roles
from conformance.harness import environment
from conformance.reference.dataset import Dataset

REPO = Path(__file__).resolve().parents[1]


def _documented(heading: str) -> set[str]:
    # The checkout's docs, not the installed package's: CI tests a non-editable install.
    page = REPO / "docs" / "architecture.md"
    section = page.read_text(encoding="utf-8").split(heading, 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M))


def test_the_vocabulary_is_the_documented_one() -> None:
    vocabulary = roles.vocabulary()
    assert vocabulary.persons == _documented("Test persons (`person:` in a case):")
    assert vocabulary.clients == _documented("Client profiles (`client:` in a case):")


def test_every_role_has_a_description() -> None:
    for kind in roles.descriptions().values():
        assert kind and all(text.strip() for text in kind.values())


def test_environments_and_the_reference_dataset_share_one_person_class() -> None:
    assert environment.Person is roles.Person
    assert all(isinstance(p, roles.Person) for p in Dataset.load().person_roles().values())


def test_a_replaced_person_is_answered_for_with_the_replacing_niss() -> None:
    assert roles.Person("replaced", "1", "2").final_ssin == "2"
    assert roles.Person("no_data", "1").final_ssin == "1"
