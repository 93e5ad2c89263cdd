"""The role vocabulary: the client and person roles a case may name (``data/roles.yaml``).

Cases never hold a NISS or an organisation; they name roles, and an environment maps the roles
it can play. The vocabulary tells an unmapped role (the case is not triggerable there) from a
typo (the case file is refused). It belongs to the cases, not to any one environment: the
reference dataset is only the environment that plays every role.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from conformance import paths

ROLES_FILE = "roles.yaml"


@dataclass(frozen=True)
class Roles:
    """Role names: the ones an environment maps, or the shared vocabulary."""

    clients: frozenset[str]
    persons: frozenset[str]


@dataclass(frozen=True)
class Person:
    """The test person playing a role: the NISS to send, and the NISS it was replaced by (if
    any; docs/decisions.md)."""

    role: str
    ssin: str
    replaced_by: str | None = None

    @property
    def final_ssin(self) -> str:
        """The NISS the answer must carry: the replacing one when replaced."""
        return self.replaced_by or self.ssin


@functools.cache
def descriptions() -> dict[str, Mapping[str, str]]:
    """``{"clients": {role: who}, "persons": {role: what}}``, as the shipped file says."""
    with (paths.data_dir() / ROLES_FILE).open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return {kind: {str(k): str(v) for k, v in raw[kind].items()} for kind in ("clients", "persons")}


def vocabulary() -> Roles:
    """Every client and person role of the vocabulary."""
    known = descriptions()
    return Roles(frozenset(known["clients"]), frozenset(known["persons"]))
