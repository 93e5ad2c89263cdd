"""Crossing from an xdist worker to the controller: a :class:`CaseOutcome` as plain data."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from conformance.exchange import Exchange, OutgoingRequest
from conformance.harness.checks import CheckFailure
from conformance.harness.outcome import CaseOutcome
from conformance.sla.samples import Sample


def outcome_to_wire(outcome: CaseOutcome) -> dict[str, Any]:
    """Plain data (execnet-serialisable) for a test report attribute."""
    return dataclasses.asdict(outcome)


def _failure(data: Mapping[str, Any]) -> CheckFailure:
    return CheckFailure(**{**data, "details": tuple(data.get("details", ()))})


def outcome_from_wire(data: Mapping[str, Any]) -> CaseOutcome:
    fields = dict(data)
    fields["sla_samples"] = [Sample.from_wire(s) for s in fields.get("sla_samples", ())]
    fields["failures"] = [_failure(f) for f in fields.get("failures", ())]
    exchanges = []
    for raw in fields.pop("exchanges", ()):
        ex = dict(raw)
        request = OutgoingRequest(**ex.pop("request"))
        exchanges.append(Exchange(request=request, **ex))
    return CaseOutcome(exchanges=exchanges, **fields)
