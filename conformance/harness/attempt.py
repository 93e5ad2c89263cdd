"""One attempt: build the request, send it through the transport, run every check on the answer.

A plain case makes one attempt with its fixed ``request:`` block; a ``given:`` case makes one
per drawn example (``harness/properties.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.contract import EMPLOYMENT_INFOS
from conformance.exchange import Exchange
from conformance.harness import crafts, expectation
from conformance.harness import given as given_block
from conformance.harness.cases import Case
from conformance.harness.checks import CheckFailure, run_checks
from conformance.harness.environment import ClientProfile
from conformance.harness.runtime import Runtime


@dataclass(frozen=True)
class Attempt:
    exchange: Exchange
    client: ClientProfile
    failures: tuple[CheckFailure, ...]
    warnings: tuple[CheckFailure, ...]


def attempt(case: Case, runtime: Runtime, draw: given_block.Draw) -> Attempt:
    env = runtime.environment
    request = crafts.build_request(case, env, runtime.factory, draw)
    client = crafts.sender(case, env.client(draw.client))
    exchange = runtime.transport.send(request, client)
    report = run_checks(exchange, expectation.for_case(case, env, draw), runtime.contract)
    return Attempt(exchange, client, tuple(report.failures), tuple(report.warnings))


def fixed_draw(case: Case, runtime: Runtime) -> given_block.Draw:
    """The one input of a plain case: its ``request:`` block with the environment's NISS."""
    person = str(case.request["person"])
    groups = case.request.get("dataGroups")
    if groups is None and case.wire_operation == EMPLOYMENT_INFOS:
        groups = given_block.DEFAULT_GROUPS
    return given_block.Draw(
        client=case.client,
        person=person,
        ssin=runtime.environment.person(person).ssin,
        data_groups=dict(groups) if groups is not None else None,
        ticket=_opt(case.request, "ticket"),
        timestamp_sent=_opt(case.request, "timestampSent"),
    )


def _opt(mapping: Mapping[str, Any], key: str) -> str | None:
    return None if mapping.get(key) is None else str(mapping[key])
