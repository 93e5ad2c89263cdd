"""Crossing from an xdist worker to the controller: a :class:`CaseOutcome` as plain data."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.checks import CheckFailure
from conformance.harness.outcome import CaseOutcome
from conformance.sla.samples import Sample

# Attributes of a pytest TestReport that carry a case to the controller (they survive xdist's
# serialisation of the report).
OUTCOME_ATTR = "conformance_outcome"
ENVIRONMENT_ATTR = "conformance_environment"


def outcome_to_wire(outcome: CaseOutcome) -> dict[str, Any]:
    """Plain data (execnet-serialisable) for a test report attribute."""
    return dataclasses.asdict(outcome)


def outcome_from_wire(data: Mapping[str, Any]) -> CaseOutcome:
    fields = dict(data)
    fields["sla_samples"] = [Sample.from_wire(s) for s in fields.get("sla_samples", ())]
    exchanges = []
    for raw in fields.pop("exchanges", ()):
        ex = dict(raw)
        request = OutgoingRequest(**ex.pop("request"))
        exchanges.append(Exchange(request=request, **ex))
    for key in ("failures", "warnings", "deviations"):
        fields[key] = [failure_from_data(f) for f in fields.get(key, ())]
    return CaseOutcome(exchanges=exchanges, **fields)


def failure_from_data(data: Mapping[str, Any]) -> CheckFailure:
    """A :class:`CheckFailure` from ``dataclasses.asdict`` of one (its rule is checked again)."""
    known = {f.name for f in dataclasses.fields(CheckFailure)}
    kept = {key: value for key, value in data.items() if key in known}
    kept["details"] = tuple(kept.get("details") or ())
    return CheckFailure(**kept)
