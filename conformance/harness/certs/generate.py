"""Certificates made for the run: a throwaway CA and the client certificates it (mis)issues.

Each copies the subject of the environment's client (same O and CN, from its certificate: no key
of it is read), so a service that accepts one would take the caller for that client. The
certificates themselves are built by ``conformance/x509build.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conformance import x509build as build

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CertificateFacts:
    """What a report says of a certificate: who, by whom, when, and its fingerprint."""

    subject: str
    issuer: str
    not_before: str
    not_after: str
    sha256: str

    def describe(self) -> str:
        return (
            f"subject {self.subject}; issuer {self.issuer}; valid {self.not_before} to "
            f"{self.not_after}; SHA-256 {self.sha256}"
        )


def facts(cert: x509.Certificate) -> CertificateFacts:
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc.isoformat(timespec="seconds"),
        not_after=cert.not_valid_after_utc.isoformat(timespec="seconds"),
        sha256=":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
    )


def read_certificate(
    cert: Path | None, p12: Path | None = None, password: bytes | None = None
) -> x509.Certificate:
    """The first certificate of a PEM file, or the certificate of a PKCS#12 file.

    Raises ``ValueError`` or ``OSError`` for an unreadable file."""
    if cert is not None:
        return x509.load_pem_x509_certificate(cert.read_bytes())
    assert p12 is not None
    _key, found, _extra = pkcs12.load_key_and_certificates(p12.read_bytes(), password)
    if found is None:
        raise ValueError(f"{p12} holds no certificate")
    return found


def subject_copy(cert: x509.Certificate) -> x509.Name:
    """The client's O and CN (the rest of a real subject is not needed to impersonate it)."""
    keep = (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME)
    attributes = [a for a in cert.subject if a.oid in keep]
    return x509.Name(attributes) if attributes else cert.subject


def named(organisation: str, common_name: str) -> x509.Name:
    return build.name(common_name[:64], organisation=organisation[:64])


def generate(kind: str, subject: x509.Name, folder: Path) -> tuple[Path, Path, Path | None]:
    """Write ``folder/client.pem`` and ``client.key`` (and ``ca.pem`` unless self-signed) for
    ``kind``: foreign_ca, expired, not_yet_valid, self_signed or no_client_auth."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + 30 * _DAY
    if kind == "expired":
        start, end = now - 30 * _DAY, now - _DAY
    elif kind == "not_yet_valid":
        start, end = now + 30 * _DAY, now + 60 * _DAY
    usage = (
        ExtendedKeyUsageOID.SERVER_AUTH
        if kind == "no_client_auth"
        else ExtendedKeyUsageOID.CLIENT_AUTH
    )
    key = build.new_key()
    ca_path: Path | None = None
    if kind == "self_signed":
        signer, issuer = key, subject
    else:
        signer, ca = build.ca(
            build.name("BCSS conformance throwaway CA (not trusted)"),
            (now - 60 * _DAY, now + 90 * _DAY),
        )
        issuer = ca.subject
        ca_path = folder / "ca.pem"
        build.write_cert(ca_path, ca)
    cert = build.leaf(signer, issuer, key, subject, (start, end), usage=usage)
    cert_path, key_path = folder / "client.pem", folder / "client.key"
    build.write_cert(cert_path, cert)
    build.write_key(key_path, key)
    return cert_path, key_path, ca_path
