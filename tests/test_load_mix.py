"""conformance/load/mix.py: the load mix is the catalogue's plain business requests, both
operations with equal weight; a broken rule names the Locust failure."""

from __future__ import annotations

import collections

from conformance.contract import EMPLOYMENT_INFOS, SPECIAL_INFOS
from conformance.harness.checks import CheckFailure
from conformance.harness.environment import load_environment
from conformance.load.mix import RequestMix, eligible_cases, failure_name


def _cases() -> list:
    return eligible_cases(load_environment("reference", start=False).environment)


def test_only_plain_business_cases_of_both_operations() -> None:
    cases = _cases()
    assert {c.operation for c in cases} == {EMPLOYMENT_INFOS, SPECIAL_INFOS}
    assert all(c.craft is None and c.given is None and c.sla_sample for c in cases)
    ids = {c.id for c in cases}
    assert "msg00000-employment-infos" in ids
    assert not ids & {"msg00002-supplier-failure", "msg00053-soap12", "gen-unknown-niss"}


def test_both_operations_get_the_same_weight() -> None:
    mix = RequestMix(_cases(), seed=1)
    drawn = collections.Counter(mix.next_case().operation for _ in range(4000))
    assert abs(drawn[EMPLOYMENT_INFOS] - drawn[SPECIAL_INFOS]) < 400


def test_a_failure_is_named_by_its_rule_title() -> None:
    failure = CheckFailure("Status description of MSG00000", "x", "y", rule="status.description")
    assert failure_name(failure) == "status.description: Status description of MSG00000"
