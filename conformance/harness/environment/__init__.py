"""Environments: where to send, as whom, about whom.

Cases name roles, never a NISS or an endpoint (docs/architecture.md "roles"). An environment maps
each client role to a :class:`ClientProfile` and each person role to a :class:`Person`. Two kinds:

- ``reference`` (built in, ``conformance/data/environments/reference.yaml``, see ``reference.py``):
  derives clients and persons from its dataset and, once started, runs the embedded reference
  service on a free loopback port, over two-way TLS with the dev PKI ``conformance serve`` uses;
- a YAML file (``files.py``; see ``cases/environments/acceptance.example.yaml`` and
  docs/environments.md).
"""

from __future__ import annotations

from pathlib import Path

from conformance import paths
from conformance.harness.environment.files import check_url, from_file
from conformance.harness.environment.model import (
    ClientProfile,
    Environment,
    EnvironmentConfigError,
    EnvironmentHandle,
    Timeouts,
)
from conformance.harness.environment.reference import load_reference, shared_pki_dir
from conformance.reference.defects import DEFECTS
from conformance.roles import Person

__all__ = [
    "BUILTIN",
    "ClientProfile",
    "Environment",
    "EnvironmentConfigError",
    "EnvironmentHandle",
    "Person",
    "Timeouts",
    "check_environment",
    "load_environment",
    "shared_pki_dir",
]

BUILTIN = ("reference",)


def load_environment(
    name_or_path: str = "reference",
    endpoint: str | None = None,
    *,
    defect: str | None = None,
    start: bool = True,
) -> EnvironmentHandle:
    """Load a built-in environment by name, or a YAML environment file by path.

    ``endpoint`` overrides the URL. With ``reference`` nothing is started: requests go to
    ``endpoint`` with the dev PKI ``conformance serve`` shares (:func:`shared_pki_dir`).
    ``defect`` starts the embedded service with one deliberate deviation from the TSS
    (``conformance.reference.defects``), to prove the checks catch it. With ``start=False``
    loading only reads files: :meth:`EnvironmentHandle.start` starts the rest later (the
    embedded service, its dev PKI), as a run does at its first case.
    """
    path = _environment_file(name_or_path, endpoint, defect)
    if path is None:
        builtin = paths.data_dir() / "environments" / f"{name_or_path}.yaml"
        handle = load_reference(builtin, endpoint, defect)
    else:
        env = from_file(path)
        if endpoint is not None:
            env.endpoint = endpoint
        handle = EnvironmentHandle(env)
    if start:
        handle.start()
    return handle


def check_environment(
    name_or_path: str = "reference", endpoint: str | None = None, *, defect: str | None = None
) -> None:
    """Raise what :func:`load_environment` would raise for a bad file, URL or defect option,
    without starting anything: lets a command refuse bad input in one line, before a run."""
    path = _environment_file(name_or_path, endpoint, defect)
    if path is not None:
        from_file(path)


def _environment_file(name_or_path: str, endpoint: str | None, defect: str | None) -> Path | None:
    """The environment file to read, or None for a built-in environment."""
    if defect is not None and name_or_path not in BUILTIN:
        raise EnvironmentConfigError(f"{name_or_path}: a defect applies to the built-in reference")
    if defect is not None and defect not in DEFECTS:
        raise EnvironmentConfigError(
            f"unknown defect {defect!r} (see conformance serve --list-defects)"
        )
    if endpoint is not None:
        check_url(endpoint, "--endpoint")
    if name_or_path in BUILTIN:
        return None
    path = Path(name_or_path)
    if not path.is_file():
        raise EnvironmentConfigError(
            f"{name_or_path}: no such environment file "
            f"(built-in environments: {', '.join(BUILTIN)})"
        )
    return path.resolve()
