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
from conformance.harness import certs, crafts, expectation
from conformance.harness import given as given_block
from conformance.harness.cases import Case
from conformance.harness.certs.factory import RefusedCertificate
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
    refused = _refused_certificate(case, runtime, draw.client)
    client = crafts.sender(case, env.client(draw.client), refused)
    exchange = runtime.transport.send(request, client)
    expected = expectation.for_case(case, env, draw, refused_certificate=refused)
    report = run_checks(exchange, expected, runtime.contract)
    return Attempt(exchange, client, tuple(report.failures), tuple(report.warnings))


def _refused_certificate(case: Case, runtime: Runtime, role: str) -> RefusedCertificate | None:
    """The certificate a TLS case presents (``harness/certs``); None for every other case."""
    if case.craft not in certs.CRAFTS:
        return None
    return runtime.certificates.for_case(case.id, case.craft, runtime.environment.client(role))


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
