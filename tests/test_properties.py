"""harness/properties.py: the Hypothesis seed replays a generated case.

The plugin tests prove a failing example prints ``--hypothesis-seed``; a failing example is
shrunk to the same minimal one whatever the seed, so only passing examples show that the seed
really drives generation: the same seed sends the same requests, another seed other ones.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stubs
from recording import OWN_TICKET, property_case, recording_runtime

from conformance.exchange import Exchange
from conformance.harness import execute
from conformance.harness.cases import Case
from conformance.harness.environment import Timeouts
from conformance.harness.failures import outcome_text
from conformance.harness.outcome import FAILED, PASSED
from conformance.harness.runtime import Runtime, open_runtime

SENT: list[Exchange] = []  # every exchange of this module's runtime, in order


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    yield from recording_runtime(SENT)


_case = property_case


def _sent(runtime: Runtime, case: Case, seed: int) -> list[bytes]:
    """Every request body the case sent with ``seed``, in order; the case must pass. The
    harness's own per-message ticket is fresh every time, so it is blanked."""
    SENT.clear()
    outcome = execute.run_case(case, runtime, seed=seed)
    assert outcome.outcome == PASSED, outcome_text(outcome)
    assert outcome.hypothesis_seed == str(seed)
    return [OWN_TICKET.sub(b"<ticket/>", exchange.request.body) for exchange in SENT]


def test_the_same_seed_sends_the_same_requests(runtime: Runtime) -> None:
    case = _case(runtime, "gen-unknown-niss")
    first = _sent(runtime, case, 20261130)
    assert len(first) >= 2  # several examples were drawn
    assert _sent(runtime, case, 20261130) == first
    assert _sent(runtime, case, 4242) != first


def test_a_run_without_seed_draws_one_and_names_it(runtime: Runtime) -> None:
    case = _case(runtime, "gen-bis")
    outcome = execute.run_case(case, runtime)
    assert outcome.outcome == PASSED, outcome_text(outcome)
    assert outcome.hypothesis_seed is not None and outcome.hypothesis_seed.isdigit()


@pytest.mark.parametrize("behaviour", ["refused", "reset", "blackhole"])
def test_a_transport_failure_stops_the_property_at_its_first_exchange(behaviour: str) -> None:
    """No shrinking, no further example: a dead endpoint costs one exchange per generated case
    (shrinking transport failures once cost 62 exchanges for gen-unknown-niss)."""
    stub = None if behaviour == "refused" else stubs.Stub(getattr(stubs, behaviour))
    url = stub.url() if stub else f"http://127.0.0.1:{stubs.free_port()}/x"
    sent: list[Exchange] = []
    runtime = open_runtime("reference", endpoint=url)
    try:
        runtime.environment.timeouts = Timeouts(connect=0.5, read=0.5)
        runtime.transport.add_recorder(sent.append)
        outcome = execute.run_case(_case(runtime, "gen-unknown-niss"), runtime, seed=1)
    finally:
        runtime.close()
        if stub:
            stub.close()
    assert outcome.outcome == FAILED
    assert len(sent) == 1, [exchange.error for exchange in sent]
    assert sent[0].error and sent[0].error in outcome_text(outcome)
    if stub:
        assert stub.connections == 1
