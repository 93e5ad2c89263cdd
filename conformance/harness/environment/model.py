"""The environment model: client profiles, test persons, timeouts, and the loaded handle.

A test person is :class:`conformance.roles.Person`, the one person class.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.contract import Contract, load_contract
from conformance.roles import Person


class EnvironmentConfigError(Exception):
    """An environment file is unusable. The message names the file and the key."""


@dataclass(frozen=True)
class ClientProfile:
    """A client organisation as the service sees it (TSS 5.1.1 and two-way TLS).

    ``customer_identification`` is ``{"cbeNumber": "0206737484"}`` or
    ``{"sector": 18, "institution": 0}``. The certificate is a PEM pair (``cert``, ``key``) or a
    PKCS#12 file (``p12``) whose password is read from the environment variable
    ``p12_password_env`` when needed. ``certificate_org`` names the certificate's owner, for
    reports only.
    """

    role: str
    customer_identification: Mapping[str, Any]
    legal_context: str
    cert: Path | None = None
    key: Path | None = None
    p12: Path | None = None
    p12_password_env: str | None = None
    certificate_org: str | None = None

    @property
    def has_certificate(self) -> bool:
        return self.cert is not None or self.p12 is not None

    def p12_password(self) -> bytes | None:
        """The PKCS#12 password from its environment variable (None when not set or no p12)."""
        if self.p12 is None or not self.p12_password_env:
            return None
        value = os.environ.get(self.p12_password_env)
        return value.encode() if value is not None else None


@dataclass(frozen=True)
class CertificateFiles:
    """A client certificate and its key, as a PEM pair or a PKCS#12 file (password from
    ``p12_password_env``): one the environment's own CA issued that the service must refuse."""

    cert: Path | None = None
    key: Path | None = None
    p12: Path | None = None
    p12_password_env: str | None = None


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0


@dataclass
class Environment:
    """One resolved environment. Paths are absolute."""

    name: str
    endpoint: str
    clients: dict[str, ClientProfile]
    persons: dict[str, Person]
    ca_bundle: Path | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)
    max_time: float | None = None  # seconds a whole run may take (--max-time overrides)
    not_triggerable: dict[str, str] = field(default_factory=dict)  # code or case id -> why
    tls: bool = True  # ``tls: false``: no two-way TLS to test here (a dev stub, a local proxy)
    # expired / not_yet_valid / no_client_auth -> files (docs/client-certificates.md)
    refused_certificates: dict[str, CertificateFiles] = field(default_factory=dict)
    xsd: Path | None = None  # the official XSD, when the user has it
    wsdl: Path | None = None
    sla_enforce: bool = False  # ``sla: enforce``: a violated SLA fails the run (exit 7)
    max_rps: float | None = None  # ``max_rps``: the rate cap of a load run
    # Decision ids (data/rules.yaml) broken here fail a case; the others make it a deviation.
    # ``decisions: enforce`` names them all (the reference implements every one).
    enforced_decisions: frozenset[str] = frozenset()
    source: Path | None = None

    def enforces(self, decision_id: str) -> bool:
        return decision_id in self.enforced_decisions

    def client(self, role: str) -> ClientProfile:
        try:
            return self.clients[role]
        except KeyError:
            raise EnvironmentConfigError(
                f"{self._where()}: no client profile for role {role!r} "
                f"(known: {', '.join(sorted(self.clients)) or 'none'})"
            ) from None

    def person(self, role: str) -> Person:
        try:
            return self.persons[role]
        except KeyError:
            raise EnvironmentConfigError(
                f"{self._where()}: no test person for role {role!r} "
                f"(known: {', '.join(sorted(self.persons)) or 'none'})"
            ) from None

    def contract(self) -> Contract:
        """The contract verdicts are taken against: the environment's files, else ours."""
        return load_contract(self.xsd, self.wsdl)

    def _where(self) -> str:
        return f"environment {self.name!r}" + (f" ({self.source})" if self.source else "")


class EnvironmentHandle:
    """A loaded environment and what it started (the embedded service). Close it when done.

    Loading and starting are separate: a handle may come with a ``starter``, run by
    :meth:`start` (the first case does), so collecting cases only reads files. Until then
    :attr:`environment` holds the roles, timeouts and declarations, but no endpoint to send to.
    """

    def __init__(
        self,
        environment: Environment,
        *,
        service: Any = None,
        tmpdir: Path | None = None,
        starter: Callable[[], EnvironmentHandle] | None = None,
    ):
        self.environment = environment
        self.service = service  # conformance.reference RunningService, for the built-in one
        self._tmpdir = tmpdir
        self._starter = starter

    @property
    def started(self) -> bool:
        return self._starter is None

    def start(self) -> Environment:
        """Start what the environment needs, once; the environment to send to."""
        if self._starter is not None:
            running = self._starter()
            self._starter = None
            self.environment, self.service, self._tmpdir = (
                running.environment,
                running.service,
                running._tmpdir,
            )
        return self.environment

    def close(self) -> None:
        """Stop the embedded service (re-raising its thread's error); delete a temporary PKI."""
        service, self.service = self.service, None
        try:
            if service is not None:
                service.stop()
        finally:
            if self._tmpdir is not None:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
                self._tmpdir = None

    def __enter__(self) -> EnvironmentHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
