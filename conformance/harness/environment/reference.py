"""The built-in ``reference`` environment: the embedded service and its dataset's roles."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from conformance.harness import rules
from conformance.harness.environment.files import (
    max_time,
    not_triggerable,
    read_yaml,
    refuse_unknown,
    timeouts,
)
from conformance.harness.environment.model import (
    CertificateFiles,
    ClientProfile,
    Environment,
    EnvironmentConfigError,
    EnvironmentHandle,
)

if TYPE_CHECKING:
    from conformance.reference.dataset import Dataset
    from conformance.reference.pki import DevPki

_REFERENCE_KEYS = {"name", "dataset", "tls", "timeouts", "max_time", "not_triggerable"}


def load_reference(path: Path, endpoint: str | None, defect: str | None) -> EnvironmentHandle:
    """The embedded service and every dataset role (docs/architecture.md "roles"), not started.

    Loading reads the file and the dataset only; :meth:`EnvironmentHandle.start` (the first
    case) builds the dev PKI and starts the service. The dev PKI of the shipped dataset lives in
    the cache folder ``conformance serve`` uses (:func:`shared_pki_dir`, created once under a
    lock, reused while valid): certificate paths in reproduction commands stay valid after the
    run, and a served reference trusts the same clients. A custom dataset gets a fresh PKI in a
    temporary folder, deleted at close. Without ``endpoint`` the service starts on a free
    loopback port; with one, nothing starts.
    """
    # Imported here: only the built-in environment needs the embedded service's dataset.
    from conformance.reference.dataset import Dataset

    data = read_yaml(path)
    refuse_unknown(path, "", data, _REFERENCE_KEYS)
    dataset = Dataset.load(data.get("dataset"))
    tls = bool(data.get("tls", True)) if endpoint is None else urlsplit(endpoint).scheme == "https"
    if endpoint is not None and defect is not None:
        raise EnvironmentConfigError("a defect applies to the embedded service, not --endpoint")
    planned = _environment(path, data, dataset, endpoint or "", pki=None)
    return EnvironmentHandle(
        planned, starter=lambda: _start(path, data, dataset, endpoint, defect, tls=tls)
    )


def _start(
    path: Path,
    data: dict[str, Any],
    dataset: Dataset,
    endpoint: str | None,
    defect: str | None,
    *,
    tls: bool,
) -> EnvironmentHandle:
    from conformance.reference.server import build_pki, start_in_thread

    tmpdir = None
    pki_dir = None
    if tls and data.get("dataset") is None:
        pki_dir = shared_pki_dir()
    elif tls:
        tmpdir = Path(tempfile.mkdtemp(prefix="bcss-conformance-"))
        pki_dir = tmpdir / "pki"
    service = None
    try:
        pki = None
        if pki_dir is not None:
            with _locked(pki_dir):
                pki = build_pki(dataset, pki_dir)
        if endpoint is None:
            service = start_in_thread(
                dataset=dataset, tls=tls, host="127.0.0.1", port=0, pki_dir=pki_dir, defect=defect
            )
    except BaseException:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    if endpoint is not None:
        url = endpoint
    else:
        assert service is not None
        url = service.url
    env = _environment(path, data, dataset, url, pki=pki)
    return EnvironmentHandle(env, service=service, tmpdir=tmpdir)


def _environment(
    path: Path, data: dict[str, Any], dataset: Dataset, url: str, *, pki: DevPki | None
) -> Environment:
    clients = {}
    for role, client_role in dataset.client_roles().items():
        creds = pki.clients.get(client_role.certificate_org) if pki is not None else None
        clients[role] = ClientProfile(
            role=role,
            customer_identification=dict(client_role.customer_identification),
            legal_context=client_role.legal_context,
            cert=Path(creds.cert) if creds else None,
            key=Path(creds.key) if creds else None,
            certificate_org=client_role.certificate_org,
        )
    persons = dataset.person_roles()
    return Environment(
        name=str(data.get("name") or "reference"),
        endpoint=url,
        clients=clients,
        persons=persons,
        ca_bundle=Path(pki.ca_cert) if pki is not None else None,
        timeouts=timeouts(path, data.get("timeouts")),
        max_time=max_time(path, data.get("max_time")),
        not_triggerable=not_triggerable(path, data.get("not_triggerable")),
        # The dev CA's own certificates the service must refuse (docs/client-certificates.md).
        refused_certificates={
            kind: CertificateFiles(cert=creds.cert, key=creds.key)
            for kind, creds in (pki.refused.items() if pki is not None else ())
        },
        # Our reference implements every decision: the self-check must still kill each defect.
        enforced_decisions=frozenset(rules.all_decisions()),
        source=path,
    )


def shared_pki_dir() -> Path:
    """The dev PKI folder ``conformance serve`` uses by default (reused while valid)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "conformance" / "reference-pki"


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise PKI creation between processes (xdist workers) sharing ``directory``."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f"{directory.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
