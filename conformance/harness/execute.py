"""Running one case: its attempt(s), then the :class:`CaseOutcome` the reports read.

A plain case makes one attempt (``harness/attempt.py``); a case with ``given:`` runs as a
Hypothesis property (``harness/properties.py``). The outcome carries the failures as data;
the one formatter (``harness/failures.py``) renders them at the edges, so the terminal and the
reports say the same thing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from conformance.harness.attempt import attempt, fixed_draw
from conformance.harness.cases import Case
from conformance.harness.checks import CheckFailure
from conformance.harness.environment import Environment
from conformance.harness.failures import reproduction
from conformance.harness.outcome import (
    DEVIATION,
    FAILED,
    NOT_RUN,
    NOT_TRIGGERABLE,
    PASSED,
    CaseOutcome,
)
from conformance.harness.properties import BudgetSpent, run_property
from conformance.harness.runtime import Runtime
from conformance.harness.triggerable import not_triggerable_reason


def blank_outcome(case: Case) -> CaseOutcome:
    """A passed outcome for ``case``, before anything ran."""
    return CaseOutcome(
        case_id=case.id,
        title=case.title,
        tss_ref=case.tss,
        operation=case.operation,
        code=case.code or "",
        outcome=PASSED,
        client_role=case.client,
        decision=case.decision,
        sla_sample=case.sla_sample,
    )


def run_case(case: Case, runtime: Runtime, *, seed: int | str | None = None) -> CaseOutcome:
    """Run ``case`` and return its outcome (never raises for a failing endpoint)."""
    outcome = blank_outcome(case)
    if not_triggerable_reason(case, runtime.environment):
        outcome.outcome = NOT_TRIGGERABLE
        return outcome
    if runtime.budget.spent():
        outcome.outcome = NOT_RUN
        return outcome
    runtime.samples.take()  # anything sent outside a case (a preflight) is not this case's
    t0 = time.perf_counter()
    if case.given:
        try:
            made = run_property(case, runtime, seed, outcome)
        except BudgetSpent:  # between two examples: what ran passed, but the case is not done
            outcome.outcome = NOT_RUN
            return outcome
    else:
        made = attempt(case, runtime, fixed_draw(case, runtime))
    outcome.duration_s = time.perf_counter() - t0
    outcome.exchanges = [made.exchange]
    samples = runtime.samples.take()  # every example of a generated case, not only the last
    outcome.sla_samples = samples if case.sla_sample else []
    outcome.client_role = made.client.role  # a generated case may have drawn another client
    outcome.warnings = list(made.warnings)
    outcome.reproduce = reproduction(
        made.exchange,
        made.client,
        seed=outcome.hypothesis_seed,
        ca_bundle=runtime.environment.ca_bundle,
    )
    outcome.failures, outcome.deviations = split_deviations(made.failures, runtime.environment)
    if outcome.failures:
        outcome.outcome = FAILED
    elif outcome.deviations:
        outcome.outcome = DEVIATION
    return outcome


def split_deviations(
    failures: Sequence[CheckFailure], environment: Environment
) -> tuple[list[CheckFailure], list[CheckFailure]]:
    """(failures, deviations): a broken decision the environment does not enforce is a
    deviation; everything else (every TSS, standard or contract rule) is a failure."""
    deviations = [
        f for f in failures if f.is_decision and not environment.enforces(f.authority.ref)
    ]
    return [f for f in failures if f not in deviations], deviations
