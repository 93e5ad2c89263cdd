"""A pytest fixture serving the reference service, in the style of pytest-httpserver.

Load it with ``pytest_plugins = ["conformance.reference.pytest_fixture"]``. The session-scoped
``reference_service`` fixture is a factory: ``reference_service(tls=True, defect=None)``
starts (once per distinct arguments and session) a service on a free port of 127.0.0.1 and
returns its :class:`~conformance.reference.server.RunningService`. All services share one dev
PKI per session; each has its own audit log. A server thread's error fails the test that
meets it, and every service is stopped at the end of the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from conformance.reference.server import RunningService, start_in_thread

ServiceFactory = Callable[..., RunningService]


@pytest.fixture(scope="session")
def reference_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceFactory]:
    pki_dir = tmp_path_factory.mktemp("reference-pki")
    running: dict[tuple[bool, str | None, str | None], RunningService] = {}

    def start(
        *, tls: bool = True, defect: str | None = None, dataset: Path | str | None = None
    ) -> RunningService:
        key = (tls, defect, str(dataset) if dataset else None)
        if key not in running:
            audit = tmp_path_factory.mktemp("reference-audit") / "audit.jsonl"
            running[key] = start_in_thread(
                tls=tls, defect=defect, dataset=dataset, pki_dir=pki_dir, audit_log=audit
            )
        service = running[key]
        service.check()
        return service

    yield start
    errors = []
    for service in running.values():
        try:
            service.stop()
        except Exception as exc:  # stop them all, then report
            errors.append(exc)
    if errors:
        raise errors[0]


def session_for(service: RunningService, organisation: str | None = "onem") -> requests.Session:
    """A ``requests`` session for ``service``: dev CA trusted, ``organisation``'s certificate
    (None: no certificate). ``trust_env`` is off so REQUESTS_CA_BUNDLE cannot override it."""
    session = requests.Session()
    session.trust_env = False
    if service.pki is not None:
        session.verify = str(service.pki.ca_cert)
        if organisation is not None:
            creds = service.pki.clients[organisation]
            session.cert = (str(creds.cert), str(creds.key))
    return session
