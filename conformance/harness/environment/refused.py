"""The ``refused_certificates`` key of an environment file: certificates the environment's own
CA issued that the service must still refuse (docs/client-certificates.md).

```yaml
refused_certificates:
  expired: {cert: certs/expired.pem, key: certs/expired.key}
  not_yet_valid: {p12: certs/future.p12, p12_password_env: FUTURE_P12_PASSWORD}
  no_client_auth: {cert: certs/server-usage.pem, key: certs/server-usage.key}
```
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from conformance.harness.environment.model import CertificateFiles, EnvironmentConfigError

KINDS = ("expired", "not_yet_valid", "no_client_auth")
_ENTRY_KEYS = {"cert", "key", "p12", "p12_password_env"}


def refused_certificates(path: Path, base: Path, value: Any) -> dict[str, CertificateFiles]:
    """The validated entries, paths resolved against ``base``; one line naming the key if bad."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EnvironmentConfigError(
            f"{path}: refused_certificates: must map {', '.join(KINDS)} to certificate files"
        )
    result = {}
    for kind, spec in value.items():
        where = f"refused_certificates.{kind}"
        if kind not in KINDS:
            raise EnvironmentConfigError(
                f"{path}: {where}: unknown kind (allowed: {', '.join(KINDS)})"
            )
        result[str(kind)] = _entry(path, base, where, spec)
    return result


def _entry(path: Path, base: Path, where: str, spec: Any) -> CertificateFiles:
    if not isinstance(spec, dict):
        raise EnvironmentConfigError(
            f"{path}: {where}: give {{cert: ..., key: ...}} or {{p12: ...}}"
        )
    unknown = sorted(set(spec) - _ENTRY_KEYS)
    if unknown:
        raise EnvironmentConfigError(
            f"{path}: {where}: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(_ENTRY_KEYS))})"
        )
    pem = "cert" in spec and "key" in spec
    if pem == ("p12" in spec) or ("cert" in spec) != ("key" in spec):
        raise EnvironmentConfigError(f"{path}: {where}: give 'cert'+'key' or 'p12', one of them")
    var = spec.get("p12_password_env")
    if "p12" in spec and not var:
        raise EnvironmentConfigError(
            f"{path}: {where}: 'p12' needs 'p12_password_env', the name of the environment "
            "variable holding its password (never the password itself)"
        )
    if var and var not in os.environ:
        raise EnvironmentConfigError(
            f"{path}: {where}.p12_password_env: environment variable {var} is not set"
        )
    return CertificateFiles(
        cert=_file(path, base, f"{where}.cert", spec.get("cert")),
        key=_file(path, base, f"{where}.key", spec.get("key")),
        p12=_file(path, base, f"{where}.p12", spec.get("p12")),
        p12_password_env=str(var) if var else None,
    )


def _file(path: Path, base: Path, where: str, value: Any) -> Path | None:
    if value is None:
        return None
    resolved = (base / Path(os.path.expanduser(str(value)))).resolve()
    if not resolved.is_file():
        raise EnvironmentConfigError(f"{path}: {where}: no such file {resolved}")
    return resolved
