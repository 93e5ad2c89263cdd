"""Environments: where to send, as whom, about whom.

Cases name roles, never a NISS or an endpoint (docs/ARCHITECTURE.md "roles"). An environment maps
each client role to a :class:`ClientProfile` and each person role to a :class:`Person`. Two kinds:

- ``reference`` (built in, ``conformance/data/environments/reference.yaml``): starts the embedded
  reference service on a free loopback port, over two-way TLS with the dev PKI that
  ``conformance serve`` also uses, and derives clients and persons from its dataset;
- a YAML file (see ``cases/environments/acceptance.example.yaml`` and the README section
  "Environments"). Unknown keys are refused; every error names the file and the key. A PKCS#12
  password is never in the file: the file names an environment variable that holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from conformance import paths
from conformance.contract import Contract, load_contract

BUILTIN = ("reference",)

_TOP_KEYS = {
    "name", "endpoint", "ca_bundle", "timeouts", "xsd", "wsdl",
    "clients", "persons", "not_triggerable",
}  # fmt: skip
_CLIENT_KEYS = {
    "customer_identification", "legal_context", "cert", "key", "p12", "p12_password_env",
    "certificate_org",
}  # fmt: skip
_PERSON_KEYS = {"ssin", "replaced_by"}
_REFERENCE_KEYS = {"name", "dataset", "tls", "timeouts", "not_triggerable"}


class EnvironmentConfigError(Exception):
    """An environment file is unusable. The message names the file and the key."""


@dataclass(frozen=True)
class Person:
    """A test person: the NISS to send, and the NISS it was replaced by (if any, NOTES §4)."""

    role: str
    ssin: str
    replaced_by: str | None = None

    @property
    def final_ssin(self) -> str:
        """The NISS the answer must carry: the replacing one when replaced."""
        return self.replaced_by or self.ssin


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
    not_triggerable: dict[str, str] = field(default_factory=dict)
    xsd: Path | None = None  # the official XSD, when the user has it
    wsdl: Path | None = None
    source: Path | None = None

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
    """A loaded environment and what it started (the embedded service). Close it when done."""

    def __init__(
        self, environment: Environment, *, service: Any = None, tmpdir: Path | None = None
    ):
        self.environment = environment
        self.service = service  # conformance.reference RunningService, for the built-in one
        self._tmpdir = tmpdir

    def close(self) -> None:
        """Stop the embedded service (re-raising its thread's error) and delete the dev PKI."""
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


def load_environment(
    name_or_path: str = "reference", endpoint: str | None = None, *, defect: str | None = None
) -> EnvironmentHandle:
    """Load a built-in environment by name, or a YAML environment file by path.

    ``endpoint`` overrides the URL. With ``reference`` nothing is started: requests go to
    ``endpoint`` with the dev PKI ``conformance serve`` shares (:func:`shared_pki_dir`).
    ``defect`` starts the embedded service with one deliberate deviation from the TSS
    (``conformance.reference.defects``), to prove the checks catch it.
    """
    if defect is not None and name_or_path not in BUILTIN:
        raise EnvironmentConfigError(f"{name_or_path}: a defect applies to the built-in reference")
    if endpoint is not None:
        _check_url(endpoint, "--endpoint")
    if name_or_path in BUILTIN:
        builtin = paths.data_dir() / "environments" / f"{name_or_path}.yaml"
        return _load_reference(builtin, endpoint, defect)
    path = Path(name_or_path)
    if not path.is_file():
        raise EnvironmentConfigError(
            f"{name_or_path}: no such environment file "
            f"(built-in environments: {', '.join(BUILTIN)})"
        )
    env = _from_file(path.resolve())
    if endpoint is not None:
        env.endpoint = endpoint
    return EnvironmentHandle(env)


# ---- YAML environment files ------------------------------------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EnvironmentConfigError(f"{path}: cannot be read as YAML: {exc}") from None
    if not isinstance(data, dict):
        raise EnvironmentConfigError(
            f"{path}: must be a mapping of keys, got {type(data).__name__}"
        )
    return data


def _refuse_unknown(path: Path, where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise EnvironmentConfigError(
            f"{path}: {where}unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _from_file(path: Path) -> Environment:
    data = _read_yaml(path)
    _refuse_unknown(path, "", data, _TOP_KEYS)
    for key in ("endpoint", "clients", "persons"):
        if key not in data:
            raise EnvironmentConfigError(f"{path}: missing key {key!r}")
    base = path.parent
    endpoint = str(data["endpoint"])
    _check_url(endpoint, f"{path}: endpoint")
    clients = _mapping(path, "clients", data["clients"])
    persons = _mapping(path, "persons", data["persons"])
    return Environment(
        name=str(data.get("name") or path.stem),
        endpoint=endpoint,
        clients={role: _client(path, base, role, spec) for role, spec in clients.items()},
        persons={role: _person(path, role, spec) for role, spec in persons.items()},
        ca_bundle=_file(path, base, "ca_bundle", data.get("ca_bundle")),
        timeouts=_timeouts(path, data.get("timeouts")),
        not_triggerable=_not_triggerable(path, data.get("not_triggerable")),
        xsd=_file(path, base, "xsd", data.get("xsd")),
        wsdl=_file(path, base, "wsdl", data.get("wsdl")),
        source=path,
    )


def _mapping(path: Path, key: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EnvironmentConfigError(f"{path}: {key}: must be a mapping of role -> entry")
    return {str(k): v for k, v in value.items()}


def _file(path: Path, base: Path, key: str, value: Any) -> Path | None:
    if value is None:
        return None
    resolved = (base / Path(os.path.expanduser(str(value)))).resolve()
    if not resolved.is_file():
        raise EnvironmentConfigError(f"{path}: {key}: no such file {resolved}")
    return resolved


def _client(path: Path, base: Path, role: str, spec: Any) -> ClientProfile:
    where = f"clients.{role}"
    if not isinstance(spec, dict):
        raise EnvironmentConfigError(f"{path}: {where}: must be a mapping")
    _refuse_unknown(path, f"{where}: ", spec, _CLIENT_KEYS)
    for key in ("customer_identification", "legal_context"):
        if key not in spec:
            raise EnvironmentConfigError(f"{path}: {where}: missing key {key!r}")
    ident = spec["customer_identification"]
    ok_cbe = isinstance(ident, dict) and set(ident) == {"cbeNumber"}
    ok_sector = isinstance(ident, dict) and set(ident) == {"sector", "institution"}
    if not (ok_cbe or ok_sector):
        raise EnvironmentConfigError(
            f"{path}: {where}.customer_identification: give {{cbeNumber: ...}} "
            "or {sector: n, institution: n} (TSS 5.1.1)"
        )
    if ok_cbe:
        ident = {"cbeNumber": str(ident["cbeNumber"])}
    if ("cert" in spec) != ("key" in spec):
        raise EnvironmentConfigError(f"{path}: {where}: 'cert' and 'key' go together")
    if "p12" in spec and "cert" in spec:
        raise EnvironmentConfigError(f"{path}: {where}: give 'cert'+'key' or 'p12', not both")
    if "p12" in spec:
        var = spec.get("p12_password_env")
        if not var:
            raise EnvironmentConfigError(
                f"{path}: {where}: 'p12' needs 'p12_password_env', the name of the environment "
                "variable holding its password (never the password itself)"
            )
        if var not in os.environ:
            raise EnvironmentConfigError(
                f"{path}: {where}.p12_password_env: environment variable {var} is not set"
            )
    return ClientProfile(
        role=role,
        customer_identification=ident,
        legal_context=str(spec["legal_context"]),
        cert=_file(path, base, f"{where}.cert", spec.get("cert")),
        key=_file(path, base, f"{where}.key", spec.get("key")),
        p12=_file(path, base, f"{where}.p12", spec.get("p12")),
        p12_password_env=spec.get("p12_password_env"),
        certificate_org=str(spec["certificate_org"]) if spec.get("certificate_org") else None,
    )


def _person(path: Path, role: str, spec: Any) -> Person:
    if isinstance(spec, str):
        spec = {"ssin": spec}
    if not isinstance(spec, dict) or "ssin" not in spec:
        raise EnvironmentConfigError(
            f"{path}: persons.{role}: give a NISS string or {{ssin: ..., replaced_by: ...}}"
        )
    _refuse_unknown(path, f"persons.{role}: ", spec, _PERSON_KEYS)
    ssin = _niss_text(path, f"persons.{role}.ssin", spec["ssin"])
    replaced = spec.get("replaced_by")
    return Person(
        role, ssin, _niss_text(path, f"persons.{role}.replaced_by", replaced) if replaced else None
    )


def _niss_text(path: Path, where: str, value: Any) -> str:
    # Shape only (11 digits, quoted in YAML so leading zeros survive): an environment may hold a
    # person with a bad checksum on purpose; the checks and the service judge the rest.
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{11}", value):
        raise EnvironmentConfigError(f"{path}: {where}: {value!r} is not an 11-digit NISS string")
    return value


def _timeouts(path: Path, value: Any) -> Timeouts:
    if value is None:
        return Timeouts()
    if not isinstance(value, dict):
        raise EnvironmentConfigError(f"{path}: timeouts: must be {{connect: s, read: s}}")
    _refuse_unknown(path, "timeouts: ", value, {"connect", "read"})
    try:
        result = Timeouts(**{k: float(v) for k, v in value.items()})
    except (TypeError, ValueError):
        raise EnvironmentConfigError(f"{path}: timeouts: values must be seconds") from None
    if result.connect <= 0 or result.read <= 0:
        raise EnvironmentConfigError(f"{path}: timeouts: values must be positive")
    return result


def _not_triggerable(path: Path, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
        raise EnvironmentConfigError(f"{path}: not_triggerable: must map each code to a reason")
    return {str(k): v for k, v in value.items()}


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EnvironmentConfigError(f"{where}: {url!r} is not an http(s) URL")


# ---- the built-in reference environment -------------------------------------------------------


def _load_reference(path: Path, endpoint: str | None, defect: str | None) -> EnvironmentHandle:
    """The embedded service and every dataset role (ARCHITECTURE "roles").

    The dev PKI of the shipped dataset lives in the cache folder ``conformance serve`` uses
    (:func:`shared_pki_dir`, created once under a lock, reused while valid): certificate paths in
    reproduction commands stay valid after the run, and a served reference trusts the same
    clients. A custom dataset gets a fresh PKI in a temporary folder, deleted at close.
    Without ``endpoint`` the service starts on a free loopback port; with one, nothing starts.
    """
    # Imported here: only the built-in environment needs the embedded service.
    from conformance.reference.dataset import Dataset
    from conformance.reference.server import build_pki, start_in_thread

    data = _read_yaml(path)
    _refuse_unknown(path, "", data, _REFERENCE_KEYS)
    dataset = Dataset.load(data.get("dataset"))
    tls = bool(data.get("tls", True)) if endpoint is None else urlsplit(endpoint).scheme == "https"
    if endpoint is not None and defect is not None:
        raise EnvironmentConfigError("a defect applies to the embedded service, not --endpoint")
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
    persons = {
        role: Person(role, str(p["ssin"]), str(p["replaced_by"]) if p.get("replaced_by") else None)
        for role, p in dataset.person_roles().items()
    }
    env = Environment(
        name=str(data.get("name") or "reference"),
        endpoint=url,
        clients=clients,
        persons=persons,
        ca_bundle=Path(pki.ca_cert) if pki is not None else None,
        timeouts=_timeouts(path, data.get("timeouts")),
        not_triggerable=_not_triggerable(path, data.get("not_triggerable")),
        source=path,
    )
    return EnvironmentHandle(env, service=service, tmpdir=tmpdir)


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
