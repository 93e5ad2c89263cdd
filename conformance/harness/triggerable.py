"""The not-triggerable rule: a case this environment cannot play is reported, never failed."""

from __future__ import annotations

from urllib.parse import urlsplit

from conformance.harness.cases import Case
from conformance.harness.certs.factory import not_applicable
from conformance.harness.environment import Environment


def not_triggerable_reason(case: Case, environment: Environment) -> str | None:
    """Why ``case`` cannot run here: its id or its code is declared not triggerable, it needs
    TLS the environment does not offer, or the environment maps none of the roles it needs
    (docs/architecture.md "roles"). None when it can run."""
    declared = environment.not_triggerable.get(case.id) or environment.not_triggerable.get(
        case.code or ""
    )
    if declared:
        return declared
    tls = not_applicable(case.craft, bool(case.expect.get("tls_refused")), environment)
    if tls:
        return tls
    if "two_way_tls" in case.requires and not _two_way_tls(environment):
        return (
            "the endpoint is not two-way TLS: the case needs the organisation of a client "
            "certificate (TSS §4), and no certificate is presented here"
        )
    missing = []
    if not case.given or not case.given.get("client"):
        missing += [] if case.client in environment.clients else [f"client role {case.client!r}"]
    elif not set(case.given["client"]) & set(environment.clients):
        missing.append(f"any of the client roles {', '.join(case.given['client'])}")
    person = case.request.get("person")
    if person and person not in environment.persons:
        missing.append(f"person role {person!r}")
    roles = (case.given or {}).get("person")
    if roles and "ssin" not in (case.given or {}) and not set(roles) & set(environment.persons):
        missing.append(f"any of the person roles {', '.join(roles)}")
    return f"the environment maps no {' and no '.join(missing)}" if missing else None


def _two_way_tls(environment: Environment) -> bool:
    return environment.tls and urlsplit(environment.endpoint).scheme == "https"
