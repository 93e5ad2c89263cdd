"""The Hypothesis runner: a ``given:`` case as a property over drawn requests.

Every drawn request must pass every check; a failing example is shrunk and reported with the
seed that reproduces it (``--hypothesis-seed``).

A transport failure (no answer, refused, TLS, deadline) says nothing about the drawn input: the
property stops at the first one and reports it, with no shrinking and no further example, so a
dead endpoint costs one exchange per generated case, not dozens.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky

from conformance import hypothesis_profiles
from conformance.exchange import NOT_SENT, Exchange
from conformance.harness import given as given_block
from conformance.harness.attempt import Attempt, attempt
from conformance.harness.cases import Case
from conformance.harness.environment.summary import environment_summary
from conformance.harness.outcome import CaseOutcome
from conformance.harness.runtime import Runtime


class BudgetSpent(BaseException):
    """The run's --max-time was reached between two examples (through Hypothesis untouched,
    like :class:`_TransportFailed`)."""


class _TransportFailed(BaseException):
    """Raised inside the property on a transport failure. A BaseException that is not an
    Exception goes through Hypothesis untouched (as KeyboardInterrupt does): no shrinking, no
    replay, no further example."""

    def __init__(self, failed: Attempt) -> None:
        super().__init__(failed.exchange.error)
        self.attempt = failed


class _ExampleFailed(Exception):
    """Raised inside the property so Hypothesis shrinks towards the smallest failing request."""

    def __init__(self, failed: Attempt) -> None:
        super().__init__(f"{len(failed.failures)} check(s) failed")
        self.attempt = failed


def run_property(
    case: Case, runtime: Runtime, seed: int | str | None, outcome: CaseOutcome
) -> Attempt:
    """Run ``case`` as a property; the attempt returned is the shrunk failure, else the last."""
    # Always run with an explicit seed, so any failure can be replayed with --hypothesis-seed.
    used_seed = seed if seed is not None else random.SystemRandom().getrandbits(64)
    outcome.hypothesis_seed = str(used_seed)
    persons = {role: p.ssin for role, p in runtime.environment.persons.items()}
    clients = set(runtime.environment.clients)
    known = environment_summary(runtime.environment)["known_ssins"]
    last: list[Attempt] = []
    failing: list[Attempt] = []

    @settings(
        runtime.case_settings,  # our profile, never the process's default (hypothesis_profiles)
        max_examples=example_count(case, runtime.case_settings),
        deadline=None,
        database=None,  # a run from a read-only place; the seed is the reproduction
        derandomize=False,
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,  # the formatter's text is the one message of a failure
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @hypothesis_seed(used_seed)
    @given(given_block.strategy(case, persons, clients, known))
    def prop(draw: given_block.Draw) -> None:
        if runtime.budget.spent():
            raise BudgetSpent
        made = attempt(case, runtime, draw)
        last[:] = [made]
        if made.failures and is_transport_failure(made.exchange):
            raise _TransportFailed(made)
        if made.failures:
            failing[:] = [made]
            raise _ExampleFailed(made)

    try:
        prop()
    except _TransportFailed as failed:
        return failed.attempt
    except _ExampleFailed as failed:  # re-raised by Hypothesis for the shrunk example
        return failed.attempt
    except Flaky:
        # The endpoint answered the replayed example differently: still a failure, and the
        # last failing exchange is the evidence.
        if failing:
            return failing[0]
        raise
    return last[0]


def is_transport_failure(exchange: Exchange) -> bool:
    """The exchange failed on the wire (our own request that cannot be sent is the input's)."""
    return exchange.error is not None and exchange.error_kind != NOT_SENT


def example_count(case: Case, profile: settings) -> int:
    """The case's ``given.examples``, raised to the profile's count when larger than ci's
    (``--hypothesis-profile=nightly`` runs every property at least that many times)."""
    ci = hypothesis_profiles.PROFILES[hypothesis_profiles.CI]["max_examples"]
    wanted = given_block.examples(case)
    return max(wanted, profile.max_examples) if profile.max_examples > ci else wanted
