"""What the controller's reports need to know of a worker's environment, as plain data."""

from __future__ import annotations

from typing import Any

from conformance.harness.environment.model import Environment


def environment_summary(environment: Environment) -> dict[str, Any]:
    """The environment's name, endpoint, organisations, known NISS and contract files."""
    organisations = sorted(
        {
            c.certificate_org or str(dict(c.customer_identification))
            for c in environment.clients.values()
        }
    )
    ssins = {p.ssin for p in environment.persons.values()}
    ssins |= {p.replaced_by for p in environment.persons.values() if p.replaced_by}
    return {
        "name": environment.name,
        "endpoint": environment.endpoint,
        "organisation": ", ".join(organisations),
        "known_ssins": sorted(ssins),
        "not_triggerable": dict(environment.not_triggerable),
        "xsd": str(environment.xsd) if environment.xsd else None,
        "wsdl": str(environment.wsdl) if environment.wsdl else None,
        "sla_enforce": environment.sla_enforce,
        # Names only: the reports read the values themselves, to scrub them (never sent around).
        "secret_env_vars": sorted(
            {c.p12_password_env for c in environment.clients.values() if c.p12_password_env}
        ),
    }
