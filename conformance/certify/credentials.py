"""The partner's client certificate and key: loaded, checked, described (never the key).

The certificate is a PEM pair or a PKCS#12 file whose password is read from the environment
variable the client profile names (``p12_password_env``), as for a run. It is refused before
anything runs when it has expired, is not yet valid, or does not match its key: a package
signed with it would prove nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from conformance.harness.environment import ClientProfile

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class CredentialError(Exception):
    """The client's certificate cannot sign a package. The message names the file and why."""


@dataclass(frozen=True)
class Credentials:
    certificate: x509.Certificate
    key: SigningKey
    source: str  # the file(s) they came from, for messages


def colon_hex(data: bytes) -> str:
    """``AB:CD:...``, as ``openssl x509 -fingerprint`` prints. Two hex digits at most between
    colons, so a digest can never read as an 11-digit number (the package's NISS audit)."""
    return ":".join(f"{byte:02X}" for byte in data)


def load(client: ClientProfile, *, now: dt.datetime | None = None) -> Credentials:
    """The client's certificate and private key, checked; raise :class:`CredentialError`."""
    if client.p12 is not None:
        source = str(client.p12)
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(
                client.p12.read_bytes(), client.p12_password()
            )
        except (OSError, ValueError) as exc:
            raise CredentialError(f"{source}: cannot be read as PKCS#12: {exc}") from None
    elif client.cert is not None and client.key is not None:
        source = f"{client.cert} + {client.key}"
        try:
            cert = x509.load_pem_x509_certificate(client.cert.read_bytes())
            key = serialization.load_pem_private_key(client.key.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise CredentialError(f"{source}: cannot be read as a PEM pair: {exc}") from None
    else:
        raise CredentialError(
            f"client {client.role!r} has no certificate: a package is signed with the client's "
            "key (give cert + key or p12 in the environment file)"
        )
    if cert is None or key is None:
        raise CredentialError(f"{source}: holds no certificate and private key")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CredentialError(f"{source}: an RSA or EC key is needed to sign, not {type(key)}")
    _check(cert, key, source, now or dt.datetime.now(dt.UTC))
    return Credentials(cert, key, source)


def _check(cert: x509.Certificate, key: SigningKey, source: str, now: dt.datetime) -> None:
    if cert.not_valid_after_utc < now:
        raise CredentialError(
            f"{source}: the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        )
    if cert.not_valid_before_utc > now:
        raise CredentialError(
            f"{source}: the certificate is valid only from "
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if cert.public_key().public_bytes(der, public) != key.public_key().public_bytes(der, public):
        raise CredentialError(f"{source}: the certificate does not match its private key")


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """What the manifest says of the certificate: never the key."""
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": colon_hex(cert.serial_number.to_bytes(20, "big").lstrip(b"\0") or b"\0"),
        "sha256_fingerprint": colon_hex(cert.fingerprint(hashes.SHA256())),
        "not_before": _utc(cert.not_valid_before_utc),
        "not_after": _utc(cert.not_valid_after_utc),
    }


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
