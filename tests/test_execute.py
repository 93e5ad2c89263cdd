"""harness/execute.py: one case against a runtime, through the attempt's request and checks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from conformance import paths, tables
from conformance.exchange import Exchange
from conformance.harness import execute
from conformance.harness.cases import Case, load_file
from conformance.harness.outcome import PASSED
from conformance.harness.runtime import Runtime, open_runtime

OWN_TICKET = re.compile(rb"<ticket>(conformance-[0-9a-f]{24})</ticket>")
SENT: list[Exchange] = []  # every exchange of this module's runtime, in order


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    runtime = open_runtime("reference")
    runtime.transport.add_recorder(SENT.append)
    yield runtime
    runtime.close()


def _case(runtime: Runtime, case_id: str) -> Case:
    env = runtime.environment
    cases = load_file(
        paths.cases_dir() / "properties.yaml",
        codes=set(tables.all_codes()),
        clients=set(env.clients),
        persons=set(env.persons),
    )
    return next(case for case in cases if case.id == case_id)


def test_every_request_carries_a_fresh_client_ticket_unless_the_case_gives_one(
    runtime: Runtime,
) -> None:
    # TSS §8: the service desk wants the BCSS ticket, or else the client's own; a request that
    # got no answer has no BCSS ticket, so the harness always sends its own.
    case = _case(runtime, "gen-unknown-niss")
    SENT.clear()
    assert execute.run_case(case, runtime, seed=1).outcome == PASSED
    tickets = [OWN_TICKET.search(exchange.request.body) for exchange in SENT]
    assert all(tickets) and len({t.group(0) for t in tickets if t}) == len(SENT)
    assert all(len(t.group(1)) == 36 for t in tickets if t)  # the XSD's maximum
