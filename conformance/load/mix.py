"""The weighted mix of a load run: the catalogue's business requests, judged by the run's checks.

Eligible: the plain cases of the catalogue (no ``craft:``, no ``given:``, not ``sla: exclude``)
that the environment can play. Each request draws an operation first, with equal weight for
both operations, then one of that operation's cases: the mix does not lean towards the
operation the catalogue happens to test most. Each request is one attempt
(``harness/attempt.py``): the same request factory, transport and checks as ``conformance run``.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass

from conformance import paths, roles, tables
from conformance.contract import operation_names
from conformance.harness.attempt import Attempt, attempt, fixed_draw
from conformance.harness.cases import RAW, Case, load_file
from conformance.harness.checks import CheckFailure
from conformance.harness.environment import Environment
from conformance.harness.runtime import Runtime
from conformance.harness.transport import Transport
from conformance.harness.triggerable import not_triggerable_reason
from conformance.sla.samples import SampleRecorder


class EmptyMixError(RuntimeError):
    """The environment can play none of the catalogue's business requests."""


def eligible_cases(env: Environment) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(paths.cases_dir().glob("*.yaml")):
        cases += load_file(
            path,
            codes=set(tables.all_codes()),
            clients=set(env.clients),
            persons=set(env.persons),
            vocabulary=roles.vocabulary(),
        )
    return [
        case
        for case in cases
        if case.craft is None
        and case.given is None
        and case.sla_sample
        and case.operation != RAW
        and not_triggerable_reason(case, env) is None
    ]


class RequestMix:
    """Draws the next case: an operation (equal weights), then one of its cases."""

    def __init__(self, cases: Sequence[Case], seed: int | None = None) -> None:
        self.by_operation = {
            op: [c for c in cases if c.operation == op]
            for op in operation_names()
            if any(c.operation == op for c in cases)
        }
        if not self.by_operation:
            raise EmptyMixError("no business request of the catalogue can run in this environment")
        self._random = random.Random(seed)

    def next_case(self) -> Case:
        operation = self._random.choice(sorted(self.by_operation))
        return self._random.choice(self.by_operation[operation])


def user_runtime(shared: Runtime) -> Runtime:
    """A runtime of one's own for a Locust user: its own connections and samples."""
    transport = Transport(shared.environment)
    samples = SampleRecorder()
    transport.add_recorder(samples)
    return dataclasses.replace(shared, transport=transport, samples=samples)


@dataclass(frozen=True)
class Checked:
    case: Case
    made: Attempt

    @property
    def failure(self) -> str | None:
        """The Locust failure text: the first broken rule by its title (None: all checks held)."""
        return failure_name(self.made.failures[0]) if self.made.failures else None


def failure_name(failure: CheckFailure) -> str:
    # Locust groups failures by their text: the rule id and title keep one row per rule.
    return f"{failure.rule}: {failure.title}"


def send_one(case: Case, runtime: Runtime) -> Checked:
    return Checked(case, attempt(case, runtime, fixed_draw(case, runtime)))
