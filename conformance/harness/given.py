"""A case's ``given:`` block as one Hypothesis strategy over request inputs.

``given`` names strategies from ``conformance.strategies`` (NISS, BIS, invalid NISS by reason,
tickets, timestamps) and role lists to draw from. Everything not drawn comes from the case's
``request:`` block, so a generated case differs from a plain one only where it says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from conformance import strategies
from conformance.contract import EMPLOYMENT_INFOS
from conformance.harness.cases import Case

DEFAULT_EXAMPLES = 10
# A consultEmploymentInfos case that names no data groups asks for both.
DEFAULT_GROUPS = {"employmentCards": True, "workPermits": True}


@dataclass(frozen=True)
class Draw:
    """One generated request input. ``person`` is None when the NISS itself was generated."""

    client: str
    person: str | None
    ssin: str | None
    data_groups: Mapping[str, bool] | None
    ticket: str | None
    timestamp_sent: str | None  # wire text (xsd:dateTime)


def examples(case: Case) -> int:
    """How many examples the case asks for (``given.examples``)."""
    return int((case.given or {}).get("examples", DEFAULT_EXAMPLES))


def _ssin_strategy(spec: Mapping[str, Any], known: Collection[str]) -> st.SearchStrategy[str]:
    name = spec["strategy"]
    if name == "niss":
        return strategies.niss()
    if name == "unknown_niss":
        # A valid NISS the environment does not map: TSS 3.3.3 "must be known" -> MSG00005.
        return strategies.niss().filter(lambda s: s not in known)
    if name == "bis":
        return strategies.bis()
    if name == "invalid_niss":
        return strategies.invalid_niss(reason=spec.get("reason", "checksum"))
    raise ValueError(f"given.ssin: unknown strategy {name!r}")


def _text(value: Any) -> st.SearchStrategy[str | None]:
    return st.just(None if value is None else str(value))


def _data_groups(case: Case) -> st.SearchStrategy[Mapping[str, bool] | None]:
    if case.wire_operation != EMPLOYMENT_INFOS:
        return st.just(None)
    if (case.given or {}).get("dataGroups") == "any":
        # Well-formed requests ask for at least one group (both false is MSG00004: decision
        # both-groups-false).
        pairs = st.sampled_from([(True, False), (False, True), (True, True)])
        return pairs.map(lambda p: {"employmentCards": p[0], "workPermits": p[1]})
    groups = case.request.get("dataGroups") or DEFAULT_GROUPS
    return st.just(dict(groups))


def strategy(
    case: Case,
    persons: Mapping[str, str],
    clients: Collection[str] | None = None,
    known_ssins: Collection[str] = (),
) -> st.SearchStrategy[Draw]:
    """Draw request inputs for ``case``; ``persons`` maps person roles to their NISS and
    ``clients`` names the client roles the environment maps (None: all of the case's).
    ``unknown_niss`` avoids ``persons``' NISS and ``known_ssins`` (e.g. replacing NISS).

    Role lists are cut to the roles the environment maps (``triggerable.not_triggerable_reason``
    skips a case left with none)."""
    given = case.given or {}
    usable = [c for c in case.client_roles if clients is None or c in clients]
    client_roles = st.sampled_from(sorted(usable))
    # given.ssin and given.person together: either a generated NISS or a test person.
    choices: list[st.SearchStrategy[tuple[str | None, str | None]]] = []
    if "ssin" in given:
        generated = _ssin_strategy(given["ssin"], {*persons.values(), *known_ssins})
        choices.append(generated.map(lambda s: (None, s)))
    if "person" in given or "ssin" not in given:
        wanted = given.get("person") or [case.request["person"]]
        roles = sorted(r for r in wanted if r in persons)
        choices.append(st.sampled_from(roles).map(lambda r: (r, persons[r])))
    people = st.one_of(choices)
    tickets = strategies.tickets() if given.get("ticket") else _text(case.request.get("ticket"))
    stamps = (
        strategies.timestamps().map(lambda t: t.isoformat())
        if given.get("timestampSent")
        else _text(case.request.get("timestampSent"))
    )
    return st.builds(
        lambda client, person, groups, ticket, stamp: Draw(
            client=client,
            person=person[0],
            ssin=person[1],
            data_groups=groups,
            ticket=ticket,
            timestamp_sent=stamp,
        ),
        client_roles,
        people,
        _data_groups(case),
        tickets,
        stamps,
    )
