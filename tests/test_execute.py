"""harness/execute.py: one case against a runtime, through the attempt's request and checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from recording import OWN_TICKET, property_case, recording_runtime

from conformance.exchange import Exchange
from conformance.harness import execute
from conformance.harness.outcome import PASSED
from conformance.harness.runtime import Runtime

SENT: list[Exchange] = []  # every exchange of this module's runtime, in order


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    yield from recording_runtime(SENT)


_case = property_case


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
