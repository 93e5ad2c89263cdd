"""harness/triggerable.py: a case the environment cannot play is not triggerable, and why."""

from __future__ import annotations

from typing import Any

from conformance.harness.cases import Case
from conformance.harness.environment import ClientProfile, Environment
from conformance.harness.triggerable import not_triggerable_reason
from conformance.roles import Person

ENV = Environment(
    name="partial",
    endpoint="https://127.0.0.1:1/",
    clients={"onem": ClientProfile("onem", {"cbeNumber": "0206737484"}, "NEO:UNEMPLOYMENT")},
    persons={"canceled": Person("canceled", "79071525335")},
    not_triggerable={"MSG00002": "acceptance cannot make the register fail"},
)


def _case(code: str = "MSG00007", **fields: Any) -> Case:
    values: dict[str, Any] = {
        "id": "c",
        "title": "t",
        "tss": "6.1",
        "operation": "consultEmploymentInfos",
        "client": "onem",
        "expect": {"status": {"value": "NO_RESULT", "code": code}},
        "request": {"person": "canceled"},
    }
    return Case(**(values | fields))


def test_a_case_the_environment_maps_is_triggerable() -> None:
    assert not_triggerable_reason(_case(), ENV) is None


def test_a_declared_code_gives_the_declared_reason() -> None:
    reason = not_triggerable_reason(_case("MSG00002"), ENV)
    assert reason == "acceptance cannot make the register fail"


def test_unmapped_roles_are_named() -> None:
    case = _case(client="cards_only", request={"person": "bis"})
    reason = not_triggerable_reason(case, ENV)
    assert reason == "the environment maps no client role 'cards_only' and no person role 'bis'"


def test_a_given_case_needs_one_mapped_role_of_each_list() -> None:
    some = _case(given={"client": ["cards_only", "onem"], "person": ["bis", "canceled"]})
    assert not_triggerable_reason(some, ENV) is None
    none = _case(given={"client": ["cards_only"], "person": ["bis"]}, request={})
    assert not_triggerable_reason(none, ENV) == (
        "the environment maps no any of the client roles cards_only"
        " and no any of the person roles bis"
    )
    generated = _case(given={"person": ["bis"], "ssin": "niss"}, request={})
    assert not_triggerable_reason(generated, ENV) is None  # the NISS is drawn, not mapped
