"""YAML environment files: read, validate, resolve paths (docs/environments.md).

Unknown keys are refused and every error names the file and the key. A PKCS#12 password is never
in the file: ``p12_password_env`` names the environment variable holding it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import tables, yamlfile
from conformance.contract import ContractError
from conformance.harness import rules
from conformance.harness.environment.model import (
    ClientProfile,
    Environment,
    EnvironmentConfigError,
    Timeouts,
)
from conformance.harness.environment.refused import refused_certificates
from conformance.roles import Person

_TOP_KEYS = {
    "name", "endpoint", "ca_bundle", "timeouts", "max_time", "xsd", "wsdl",
    "clients", "persons", "not_triggerable", "refused_certificates", "sla", "max_rps", "tls",
    "decisions",
}  # fmt: skip
_CLIENT_KEYS = {
    "customer_identification", "legal_context", "cert", "key", "p12", "p12_password_env",
    "certificate_org",
}  # fmt: skip
_PERSON_KEYS = {"ssin", "replaced_by"}


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data, _ = yamlfile.load(path)
    except yamlfile.YamlFileError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise EnvironmentConfigError(f"{where}: {exc.problem}") from None
    if not isinstance(data, dict):
        raise EnvironmentConfigError(
            f"{path}: must be a mapping of keys, got {type(data).__name__}"
        )
    return data


def refuse_unknown(path: Path, where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise EnvironmentConfigError(
            f"{path}: {where}unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def from_file(path: Path) -> Environment:
    data = read_yaml(path)
    refuse_unknown(path, "", data, _TOP_KEYS)
    for key in ("endpoint", "clients", "persons"):
        if key not in data:
            raise EnvironmentConfigError(f"{path}: missing key {key!r}")
    base = path.parent
    endpoint = str(data["endpoint"])
    check_url(endpoint, f"{path}: endpoint")
    clients = _mapping(path, "clients", data["clients"])
    persons = _mapping(path, "persons", data["persons"])
    environment = Environment(
        name=str(data.get("name") or path.stem),
        endpoint=endpoint,
        clients={role: _client(path, base, role, spec) for role, spec in clients.items()},
        persons={role: _person(path, role, spec) for role, spec in persons.items()},
        ca_bundle=_file(path, base, "ca_bundle", data.get("ca_bundle")),
        timeouts=timeouts(path, data.get("timeouts")),
        max_time=max_time(path, data.get("max_time")),
        not_triggerable=not_triggerable(path, data.get("not_triggerable")),
        tls=tls_flag(path, data.get("tls")),
        refused_certificates=refused_certificates(path, base, data.get("refused_certificates")),
        xsd=_file(path, base, "xsd", data.get("xsd")),
        wsdl=_file(path, base, "wsdl", data.get("wsdl")),
        sla_enforce=_sla_mode(path, data.get("sla")) == "enforce",
        max_rps=_max_rps(path, data.get("max_rps")),
        enforced_decisions=enforced_decisions(path, data.get("decisions")),
        source=path,
    )
    if environment.xsd or environment.wsdl:
        try:  # compiled now (and cached), so that a broken official file is one line up front
            environment.contract()
        except ContractError as exc:
            raise EnvironmentConfigError(f"{path}: {exc}") from None
    return environment


def _sla_mode(path: Path, value: Any) -> str:
    if value is None:
        return "report"
    if value not in ("report", "enforce"):
        raise EnvironmentConfigError(f"{path}: sla: must be 'report' or 'enforce', got {value!r}")
    return str(value)


def _max_rps(path: Path, value: Any) -> float | None:
    """The load runs' rate cap (``conformance load``): a positive number of requests/s."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise EnvironmentConfigError(f"{path}: max_rps: must be a positive number, got {value!r}")
    return float(value)


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
    refuse_unknown(path, f"{where}: ", spec, _CLIENT_KEYS)
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
        if not re.fullmatch(r"[0-9]{10}", ident["cbeNumber"]):
            raise EnvironmentConfigError(
                f"{path}: {where}.customer_identification.cbeNumber: "
                f"{ident['cbeNumber']!r} is not 10 digits (quote it in YAML: a leading 0 matters)"
            )
    else:
        for key in ("sector", "institution"):
            number = ident[key]
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 999:
                raise EnvironmentConfigError(
                    f"{path}: {where}.customer_identification.{key}: {number!r} is not an "
                    "integer from 0 to 999 (the XSD's customerIdentification)"
                )
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
    refuse_unknown(path, f"persons.{role}: ", spec, _PERSON_KEYS)
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


def timeouts(path: Path, value: Any) -> Timeouts:
    if value is None:
        return Timeouts()
    if not isinstance(value, dict):
        raise EnvironmentConfigError(f"{path}: timeouts: must be {{connect: s, read: s}}")
    refuse_unknown(path, "timeouts: ", value, {"connect", "read"})
    try:
        result = Timeouts(**{k: float(v) for k, v in value.items()})
    except (TypeError, ValueError):
        raise EnvironmentConfigError(f"{path}: timeouts: values must be seconds") from None
    if result.connect <= 0 or result.read <= 0:
        raise EnvironmentConfigError(f"{path}: timeouts: values must be positive")
    return result


def max_time(path: Path, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise EnvironmentConfigError(f"{path}: max_time: must be a positive number of seconds")
    return float(value)


_CODE_SHAPE = re.compile(r"[A-Z]+[0-9]*")  # a code, or a typo of one
_CASE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")  # the case schema's id pattern


def not_triggerable(path: Path, value: Any) -> dict[str, str]:
    """Return codes or case ids -> why this environment cannot play them."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
        raise EnvironmentConfigError(
            f"{path}: not_triggerable: must map each code or case id to a reason"
        )
    codes = tables.all_codes()
    for key in map(str, value):
        if _CODE_SHAPE.fullmatch(key) and key not in codes:
            # A typo would excuse nothing and leave the real code reported as a coverage gap.
            raise EnvironmentConfigError(
                f"{path}: not_triggerable.{key}: not a code of the TSS tables (conformance codes)"
            )
        if not _CODE_SHAPE.fullmatch(key) and not _CASE_ID.fullmatch(key):
            raise EnvironmentConfigError(
                f"{path}: not_triggerable.{key}: neither a TSS code nor a case id"
            )
    return {str(k): v for k, v in value.items()}


def enforced_decisions(path: Path, value: Any) -> frozenset[str]:
    """``decisions: enforce`` (all of them) or a list of decision ids that fail a case here;
    absent: none (a broken decision is a deviation)."""
    known = rules.all_decisions()
    if value is None:
        return frozenset()
    if value == "enforce":
        return frozenset(known)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EnvironmentConfigError(
            f"{path}: decisions: must be 'enforce' or a list of decision ids, got {value!r}"
        )
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise EnvironmentConfigError(
            f"{path}: decisions: unknown decision id(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})"
        )
    return frozenset(value)


def tls_flag(path: Path, value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, bool):
        raise EnvironmentConfigError(f"{path}: tls: must be true or false, got {value!r}")
    return value


def check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EnvironmentConfigError(f"{where}: {url!r} is not an http(s) URL")
