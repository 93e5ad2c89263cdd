"""Reading a dataset file into a :class:`~conformance.reference.dataset.Dataset`.

Loading checks its shape and cross references, and every error names the file and the entry,
so a user swapping in their own dataset can fix it without reading this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance import contract, tables, yamlfile
from conformance.reference.dataset import (
    CARD_FIELDS,
    DATA_GROUPS,
    PERMIT_FIELDS,
    SIMULATIONS,
    SPECIAL_FIELDS,
    STATUSES,
    ClientRole,
    Dataset,
    DatasetError,
    Integration,
    IntegrationPolicy,
    Organisation,
    Record,
)


def load_dataset(path: Path) -> Dataset:
    """Load the dataset file ``path``. Raises :class:`DatasetError` naming file and entry."""
    return _Loader(path).load()


class _Loader:
    """Turns the YAML document into a :class:`Dataset`, failing with file + entry + problem."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> DatasetError:
        return DatasetError(f"dataset {self.path}: {where}: {problem}")

    def load(self) -> Dataset:
        try:
            doc, _ = yamlfile.load(self.path)
        except yamlfile.YamlFileError as exc:
            raise self.fail(f"line {exc.line}" if exc.line else "file", exc.problem) from None
        if not isinstance(doc, dict):
            raise self.fail("file", "the top level must be a mapping")
        orgs = {
            o.id: o
            for o in (self.organisation(i, o) for i, o in enumerate(self.seq(doc, "organisations")))
        }
        persons: dict[str, Record] = {}
        for i, raw in enumerate(self.seq(doc, "persons")):
            person = self.person(i, raw)
            if person.ssin in persons:
                raise self.fail(f"persons[{i}]", f"NISS {person.ssin} appears twice")
            persons[person.ssin] = person
        unregistered = {str(k): str(v) for k, v in (doc.get("unregistered_roles") or {}).items()}
        for role, ssin in unregistered.items():
            if ssin in persons:
                raise self.fail(f"unregistered_roles.{role}", f"{ssin} is a registered person")
        dataset = Dataset(self.path, orgs, {}, persons, unregistered)
        self.check_references(dataset)
        dataset.clients = {
            str(role): self.client(str(role), raw, orgs)
            for role, raw in (doc.get("clients") or {}).items()
        }
        dataset.integrations = [
            row
            for i, raw in enumerate(self.seq(doc, "integrations"))
            for row in self.integration(i, raw, dataset)
        ]
        return dataset

    def seq(self, doc: dict[str, Any], key: str) -> list[Any]:
        value = doc.get(key)
        if not isinstance(value, list):
            raise self.fail(key, "missing, or not a list")
        return value

    def organisation(self, i: int, raw: Any) -> Organisation:
        where = f"organisations[{i}]"
        if not isinstance(raw, dict) or not raw.get("id"):
            raise self.fail(where, "each organisation needs an `id`")
        where = f"organisation {raw['id']!r}"
        if not raw.get("cbe") and raw.get("sector") is None:
            raise self.fail(where, "needs a `cbe` and/or `sector` + `institution`")
        contexts = raw.get("legal_contexts") or {}
        unknown_ops = set(contexts) - set(contract.operation_names())
        if unknown_ops:
            raise self.fail(where, f"legal_contexts names unknown operations {sorted(unknown_ops)}")
        groups = frozenset(raw.get("data_groups") or ())
        if groups - set(DATA_GROUPS):
            raise self.fail(where, f"unknown data groups {sorted(groups - set(DATA_GROUPS))}")
        return Organisation(
            id=str(raw["id"]),
            name=str(raw.get("name", raw["id"])),
            cbe=str(raw["cbe"]) if raw.get("cbe") else None,
            sector=_opt_int(raw.get("sector")),
            institution=_opt_int(raw.get("institution")),
            service_access=bool(raw.get("service_access", False)),
            legal_contexts={op: frozenset(map(str, v or ())) for op, v in contexts.items()},
            data_groups=groups,
            integration=self.integration_policy(where, raw.get("integration")),
        )

    def integration_policy(self, where: str, raw: Any) -> IntegrationPolicy:
        """``{tss_partner: NAME}`` (a row of the TSS table) or an explicit policy."""
        if isinstance(raw, dict) and "tss_partner" in raw:
            rows = {row.partner: row for row in tables.integration_rows()}
            row = rows.get(raw["tss_partner"])
            if row is None:
                raise self.fail(
                    where, f"tss_partner {raw['tss_partner']!r} is not in {sorted(rows)}"
                )
            codes = None if row.quality_codes is None else frozenset(row.quality_codes)
            return IntegrationPolicy(codes, row.control == "active_dossier")
        if not isinstance(raw, dict) or "quality_codes" not in raw:
            raise self.fail(
                where, "`integration` needs `tss_partner` or `quality_codes` (list or all)"
            )
        codes_raw = raw["quality_codes"]
        return IntegrationPolicy(
            quality_codes=None if codes_raw == "all" else frozenset(int(c) for c in codes_raw),
            active_dossier_required=bool(raw.get("active_dossier_required", True)),
        )

    def person(self, i: int, raw: Any) -> Record:
        where = f"persons[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("ssin"), str):
            raise self.fail(where, "each person needs an `ssin` written as a quoted string")
        ssin, status = raw["ssin"], raw.get("status", "active")
        where = f"person {ssin}"
        if len(ssin) != 11 or not ssin.isdigit():
            raise self.fail(where, "`ssin` must be 11 digits")
        if status not in STATUSES:
            raise self.fail(where, f"`status` must be one of {STATUSES}, not {status!r}")
        if (status == "replaced") != bool(raw.get("replaced_by")):
            raise self.fail(where, "`replaced_by` is required with, and only with, status replaced")
        if raw.get("simulate") not in (None, *SIMULATIONS):
            raise self.fail(where, f"`simulate` must be one of {SIMULATIONS}")
        records = {}
        for key, fields in (
            ("employment_cards", CARD_FIELDS),
            ("work_permits", PERMIT_FIELDS),
            ("special_infos", SPECIAL_FIELDS),
        ):
            items = raw.get(key) or []
            for n, item in enumerate(items):
                if not isinstance(item, dict) or "inceptionDate" not in item:
                    raise self.fail(f"{where} {key}[{n}]", "needs at least an `inceptionDate`")
                extra = set(item) - set(fields)
                if extra:
                    raise self.fail(f"{where} {key}[{n}]", f"unknown fields {sorted(extra)}")
            records[key] = tuple(items)
        return Record(
            ssin=ssin,
            role=raw.get("role"),
            status=status,
            replaced_by=raw.get("replaced_by"),
            simulate=raw.get("simulate"),
            **records,
        )

    def check_references(self, dataset: Dataset) -> None:
        for person in dataset.persons.values():
            if person.replaced_by and person.replaced_by not in dataset.persons:
                raise self.fail(
                    f"person {person.ssin}", f"replaced_by {person.replaced_by} is not a person"
                )

    def client(self, role: str, raw: Any, orgs: dict[str, Organisation]) -> ClientRole:
        where = f"clients.{role}"
        if not isinstance(raw, dict) or raw.get("certificate") not in orgs:
            raise self.fail(where, "`certificate` must name an organisation id")
        ident = raw.get("identification")
        if isinstance(ident, str) and ident in orgs:
            # An organisation id: its CBE number, or its sector/institution when it has none.
            org = orgs[ident]
            ident = (
                {"cbeNumber": org.cbe}
                if org.cbe
                else {
                    "sector": org.sector,
                    "institution": org.institution,
                }
            )
        if not isinstance(ident, dict) or not (
            "cbeNumber" in ident or {"sector", "institution"} <= set(ident)
        ):
            raise self.fail(
                where,
                "`identification` must be an organisation id, {cbeNumber} or {sector, institution}",
            )
        if not raw.get("legal_context"):
            raise self.fail(where, "needs a `legal_context`")
        return ClientRole(str(raw["certificate"]), dict(ident), str(raw["legal_context"]))

    def integration(self, i: int, raw: Any, dataset: Dataset) -> list[Integration]:
        where = f"integrations[{i}]"
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a mapping")
        by_role = {p.role: p.ssin for p in dataset.persons.values() if p.role}
        rows = []
        for ref in raw.get("persons") or ():
            ssin = by_role.get(ref, ref)
            if ssin not in dataset.persons:
                raise self.fail(where, f"{ref!r} is neither a person role nor a person NISS")
            for org in raw.get("organisations") or ():
                if org not in dataset.organisations:
                    raise self.fail(where, f"{org!r} is not an organisation id")
                rows.append(
                    Integration(
                        org,
                        ssin,
                        int(raw.get("quality_code", 0)),
                        bool(raw.get("dossier_active", True)),
                    )
                )
        return rows


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
