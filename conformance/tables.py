"""The TSS tables as typed, read-only data, loaded once from ``data/tables.yaml``.

The YAML holds, word for word, the TSS return-code tables (6.1 Business, 6.2 Technique), the
integration-control table (3.3.4), the reasons of stay (10.1.1, cut off in our copy) and the SLA
figures (7). Code elsewhere asks this module; it never copies a code's description.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from conformance.paths import data_dir

TABLES_FILE = "tables.yaml"

Kind = Literal["business", "technical"]
Control = Literal["active_dossier", "no_period"]


class TablesError(RuntimeError):
    """The tables file is missing or does not have the expected shape."""


@dataclass(frozen=True)
class BusinessCode:
    """A row of TSS 6.1: in-band outcome, HTTP 200 with ``status/value`` and ``status/code``."""

    value: str
    code: str
    description: str
    section: str = "6.1"


@dataclass(frozen=True)
class TechnicalCode:
    """A row of TSS 6.2: a SOAP fault whose ``detail/reasonCode`` is ``code``."""

    faultcode: str  # the QName as the TSS writes it, e.g. "soapenv:Server"
    code: str
    description: str
    section: str = "6.2"

    @property
    def fault_kind(self) -> str:
        """The faultcode's local part, ``"Client"`` or ``"Server"`` (the prefix is not fixed)."""
        return self.faultcode.rpartition(":")[2]


@dataclass(frozen=True)
class IntegrationRow:
    """A row of TSS 3.3.4. ``quality_codes`` is None for "tous les qualités"."""

    partner: str
    role: str
    legal_context: str
    quality_codes: tuple[int, ...] | None
    cbe: str | None
    sector_institutions: tuple[tuple[int, int], ...]
    control: Control
    section: str = "3.3.4"

    def allows_quality(self, quality_code: int) -> bool:
        return self.quality_codes is None or quality_code in self.quality_codes


@dataclass(frozen=True)
class ReasonOfStay:
    """A CTMS reason-of-stay code (TSS 10.1.1); ``description_fr`` is None where the TSS is cut."""

    code: str
    description_nl: str
    description_fr: str | None


@dataclass(frozen=True)
class ResponseTime:
    percent: int
    under_seconds: float


@dataclass(frozen=True)
class Sla:
    """TSS 7: BCSS-internal availability and response times (not the authentic source's)."""

    availability_percent: float
    response_times: tuple[ResponseTime, ...]
    scope: str
    section: str


@dataclass(frozen=True)
class _Tables:
    business: dict[str, BusinessCode]
    technical: dict[str, TechnicalCode]
    integration: tuple[IntegrationRow, ...]
    reasons: dict[str, ReasonOfStay]
    reasons_complete: bool
    sla: Sla


def tables_path() -> Path:
    return data_dir() / TABLES_FILE


@functools.cache
def _tables() -> _Tables:
    path = tables_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TablesError(f"cannot read the TSS tables file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise TablesError(f"the TSS tables file {path} is not valid YAML: {exc}") from exc
    try:
        return _build(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise TablesError(f"the TSS tables file {path} is malformed: {exc!r}") from exc


def _build(raw: Any) -> _Tables:
    if not isinstance(raw, dict):
        raise TypeError("top level must be a mapping")
    business = [BusinessCode(**row) for row in raw["business_codes"]]
    technical = [TechnicalCode(**row) for row in raw["technical_codes"]]
    codes = [row.code for row in business + technical]
    if len(set(codes)) != len(codes):
        raise ValueError("a return code appears twice")
    integration = tuple(
        IntegrationRow(
            partner=row["partner"],
            role=row["role"],
            legal_context=row["legal_context"],
            quality_codes=None
            if row["quality_codes"] == "all"
            else tuple(int(q) for q in row["quality_codes"]),
            cbe=row["cbe"],
            sector_institutions=tuple((int(s), int(i)) for s, i in row["sector_institutions"]),
            control=_control(row["control"]),
            section=row["section"],
        )
        for row in raw["integration_control"]
    )
    reasons = {row["code"]: ReasonOfStay(**row) for row in raw["reasons_of_stay"]}
    sla_raw = raw["sla"]
    sla = Sla(
        availability_percent=sla_raw["availability_percent"],
        response_times=tuple(ResponseTime(**rt) for rt in sla_raw["response_times"]),
        scope=sla_raw["scope"],
        section=sla_raw["section"],
    )
    return _Tables(
        business={row.code: row for row in business},
        technical={row.code: row for row in technical},
        integration=integration,
        reasons=reasons,
        reasons_complete=bool(raw["reasons_of_stay_complete"]),
        sla=sla,
    )


def _control(text: str) -> Control:
    if text == "active_dossier":
        return "active_dossier"
    if text == "no_period":
        return "no_period"
    raise ValueError(f"unknown control type {text!r}")


def business_codes() -> dict[str, BusinessCode]:
    """TSS 6.1, code -> row, in TSS order."""
    return dict(_tables().business)


def technical_codes() -> dict[str, TechnicalCode]:
    """TSS 6.2, code -> row, in TSS order."""
    return dict(_tables().technical)


def all_codes() -> dict[str, BusinessCode | TechnicalCode]:
    """Both tables, business first, code -> row."""
    merged: dict[str, BusinessCode | TechnicalCode] = dict(_tables().business)
    merged.update(_tables().technical)
    return merged


def kind_of(code: str) -> Kind | None:
    """Whether a TSS code is in-band ("business"), a fault ("technical"), or unknown (None)."""
    if code in _tables().business:
        return "business"
    if code in _tables().technical:
        return "technical"
    return None


def integration_rows() -> tuple[IntegrationRow, ...]:
    return _tables().integration


def reasons_of_stay() -> dict[str, ReasonOfStay]:
    """CTMS code -> row, in TSS order (the table is cut off after 01010700 in our copy)."""
    return dict(_tables().reasons)


def reasons_of_stay_complete() -> bool:
    """False: our TSS copy is cut off, so an unknown well-formed code is a warning (decision
    truncated-reasons-table)."""
    return _tables().reasons_complete


def sla() -> Sla:
    return _tables().sla


def reload() -> None:
    """Forget the cached tables, so the next call reads the file again (tests, live edits)."""
    _tables.cache_clear()
