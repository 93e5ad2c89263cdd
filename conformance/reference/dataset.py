"""The reference service's register: organisations, client roles, persons and integrations.

A dataset is a YAML file (the shipped one is ``conformance/data/datasets/reference.yaml``),
read by ``dataset_file.py``; this module holds what it is read into.
Persons and clients carry the ROLES of ``docs/architecture.md``; the harness maps roles to
real values through :meth:`Dataset.person_roles` and :meth:`Dataset.client_roles`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import paths
from conformance.roles import Person

STATUSES = ("active", "replaced", "canceled")
SIMULATIONS = ("supplier_failure", "internal_error")
DATA_GROUPS = ("employmentCards", "workPermits", "specialInfos")
# Record fields in XSD order (TSS 5.2.2 / 5.3.2); the response builder follows this order.
CARD_FIELDS = (
    "inceptionDate",
    "expiryDate",
    "duplicate",
    "cardNumber",
    "expirationDetails",
    "comment",
)
PERMIT_FIELDS = ("inceptionDate", "expiryDate", "permitNumber", "expirationDetails", "comment")
SPECIAL_FIELDS = (
    "inceptionDate",
    "expiryDate",
    "comment1",
    "comment2",
    "limosa",
    "reason1",
    "reason2",
    "nrBase",
)


class DatasetError(ValueError):
    """The dataset file is unusable; the message names the file and what is wrong."""


@dataclass(frozen=True)
class IntegrationPolicy:
    """What the integration control demands of one client (TSS §3.3.4 table)."""

    quality_codes: frozenset[int] | None  # None: every quality code
    active_dossier_required: bool


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    cbe: str | None
    sector: int | None
    institution: int | None
    service_access: bool
    legal_contexts: Mapping[str, frozenset[str]]
    data_groups: frozenset[str]
    integration: IntegrationPolicy

    def identified_by(self, identification: Mapping[str, Any]) -> bool:
        """True when a ``customerIdentification`` (as a dict) designates this organisation."""
        if "cbeNumber" in identification:
            return self.cbe is not None and str(identification["cbeNumber"]) == self.cbe
        try:
            sector, institution = int(identification["sector"]), int(identification["institution"])
        except (KeyError, TypeError, ValueError):
            return False
        return (sector, institution) == (self.sector, self.institution)


@dataclass(frozen=True)
class ClientRole:
    certificate_org: str
    customer_identification: dict[str, Any]
    legal_context: str


@dataclass(frozen=True)
class Record:
    """The register's record of one NISS. The person a role names is
    :class:`conformance.roles.Person`, derived by :meth:`Dataset.person_roles`."""

    ssin: str
    role: str | None
    status: str
    replaced_by: str | None = None
    simulate: str | None = None
    employment_cards: tuple[dict[str, Any], ...] = ()
    work_permits: tuple[dict[str, Any], ...] = ()
    special_infos: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Integration:
    organisation: str
    ssin: str
    quality_code: int
    dossier_active: bool


@dataclass
class Dataset:
    path: Path
    organisations: dict[str, Organisation]
    clients: dict[str, ClientRole]
    persons: dict[str, Record]  # by NISS
    unregistered: dict[str, str]  # role -> NISS with no record (unknown, bis)
    integrations: list[Integration] = field(default_factory=list)
    _index: dict[tuple[str, str], list[Integration]] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Dataset:
        """Load ``path`` (None: the shipped reference dataset). Raises :class:`DatasetError`."""
        from conformance.reference.dataset_file import load_dataset  # it builds these classes

        return load_dataset(Path(path) if path else default_path())

    def person_roles(self) -> dict[str, Person]:
        """The person playing each role this dataset tags, registered or not."""
        roles = {
            r.role: Person(r.role, r.ssin, r.replaced_by) for r in self.persons.values() if r.role
        }
        for role, ssin in self.unregistered.items():
            roles[role] = Person(role, ssin)
        return roles

    def client_roles(self) -> dict[str, ClientRole]:
        return dict(self.clients)

    def organisation_identified_by(self, identification: Mapping[str, Any]) -> Organisation | None:
        return next(
            (o for o in self.organisations.values() if o.identified_by(identification)), None
        )

    def integrations_of(self, organisation: str, ssin: str) -> list[Integration]:
        if self._index is None:  # built once: the integration control runs on every request
            index: dict[tuple[str, str], list[Integration]] = {}
            for row in self.integrations:
                index.setdefault((row.organisation, row.ssin), []).append(row)
            self._index = index
        return self._index.get((organisation, ssin), [])


def default_path() -> Path:
    return paths.data_dir() / "datasets" / "reference.yaml"
