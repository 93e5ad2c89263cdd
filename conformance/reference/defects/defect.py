"""What one deliberate defect is, and the three ways to build one from the faithful policy.

A :class:`Defect` is a named, one-line-described override of
:class:`~conformance.reference.policy.Policy`: :func:`flags` flips switches, :func:`substitute`
answers one TSS code with another, :func:`mutate` adds a mutator (``mutators.py``) that bends
the built payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType

from conformance.harness import rules
from conformance.reference.policy import Mutator, Policy


@dataclass(frozen=True)
class Defect:
    name: str
    description: str
    apply: Callable[[Policy], Policy]
    # What a harness failure must say for this defect to count as caught for the right reason
    # (``conformance selfcheck``): the rule id broken (data/rules.yaml), then fragments that
    # all appear in that failure (title, authority, Expected, Received) of one failed case.
    failure_signature: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.failure_signature:
            rules.rule(self.failure_signature[0])  # a signature names a known rule id first


def flags(**changes: object) -> Callable[[Policy], Policy]:
    return lambda policy: replace(policy, **changes)  # type: ignore[arg-type]


def substitute(code: str, wrong: str) -> Callable[[Policy], Policy]:
    def apply(policy: Policy) -> Policy:
        merged = {**policy.code_substitutions, code: wrong}
        return replace(policy, code_substitutions=MappingProxyType(merged))

    return apply


def mutate(mutator: Mutator) -> Callable[[Policy], Policy]:
    return lambda policy: replace(policy, mutators=(*policy.mutators, mutator))
