"""Running one case: its attempt(s), then the :class:`CaseOutcome` the reports read.

A plain case makes one attempt (``harness/attempt.py``); a case with ``given:`` runs as a
Hypothesis property (``harness/properties.py``). Failure text always comes from the one
formatter (``harness/failures.py``), so the terminal and the reports say the same thing.
"""

from __future__ import annotations

import time

from conformance.harness.attempt import attempt, fixed_draw
from conformance.harness.cases import Case
from conformance.harness.checks import CheckFailure
from conformance.harness.failures import format_failure, reproduction
from conformance.harness.outcome import FAILED, NOT_RUN, NOT_TRIGGERABLE, PASSED, CaseOutcome
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
    outcome.warnings = [_warning_line(w) for w in made.warnings]
    outcome.reproduce = reproduction(
        made.exchange,
        made.client,
        seed=outcome.hypothesis_seed,
        ca_bundle=runtime.environment.ca_bundle,
    )
    if made.failures:
        outcome.outcome = FAILED
        outcome.failure_category = made.failures[0].category
        outcome.failures = list(made.failures)
        outcome.failure_text = format_failure(
            made.exchange,
            [*made.failures, *made.warnings],
            client=made.client,
            seed=outcome.hypothesis_seed,
            ca_bundle=runtime.environment.ca_bundle,
        )
    return outcome


def _warning_line(warning: CheckFailure) -> str:
    return f"{warning.title}: expected {warning.expected}; received {warning.received}"
